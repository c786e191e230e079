#!/usr/bin/env bash
# Exercism's test-runner interface: run.sh <exercise slug> <solution folder> <output folder>
# writes <output folder>/results.json (version 3): each test with its status, message, code
# (test_code: the grader test's source) and task (task_id). The exercise slug is a lesson's
# (03-timeouts, or timeouts, or 3); the solution folder holds that lesson's files, or the
# lessons, or a whole copy of the workshop. Run from anywhere: it grades with this workshop.
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: run.sh <exercise slug> <solution folder> <output folder>" >&2
  exit 2
fi
slug="$1"
solution="$(cd "$2" && pwd)"
mkdir -p "$3"
output="$(cd "$3" && pwd)"
cd "$(dirname "$0")/../../.."
exec npx tsx shared/cli/grade.ts --lesson "$slug" --target "$solution" --format exercism --out "$output/results.json"
