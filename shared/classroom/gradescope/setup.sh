#!/usr/bin/env bash
# Gradescope autograder setup: zip this workshop (without node_modules) with setup.sh and
# run_autograder at the root of the archive, as Gradescope asks. The image needs Node.js
# 20.19 or newer (choose a base image that has it, or install it here your usual way).
set -euo pipefail
cd /autograder/source
node --version
npm ci --no-audit --no-fund
