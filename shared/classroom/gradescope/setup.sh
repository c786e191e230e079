#!/usr/bin/env bash
# Gradescope autograder setup, run once as root when the autograder image is built. Gradescope's
# base image (Ubuntu) has no Node.js: this installs Node 20 from NodeSource's apt repository, or,
# if that fails, the official tarball from nodejs.org (checked against its SHASUMS256.txt); then
# redis-server (lesson 09's graders start a private one), and the workshop's own packages.
# AUTOGRADER_ROOT (default /autograder) exists for trying it out away from Gradescope.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive

# Node.js 20.19 or newer (the workshop's engines field).
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}
install_from_nodesource() {
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl gnupg >/dev/null
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y -qq nodejs >/dev/null
}
install_from_tarball() {
  local arch base file
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "setup.sh: no Node.js build for $(uname -m)" >&2; return 1 ;; esac
  base=https://nodejs.org/dist/latest-v20.x
  file=$(curl -fsSL "$base/SHASUMS256.txt" | awk -v want="linux-$arch.tar.xz" '$2 ~ want"$" { print $2 }')
  curl -fsSLo "/tmp/$file" "$base/$file"
  (cd /tmp && curl -fsSL "$base/SHASUMS256.txt" | grep " $file\$" | sha256sum -c -)
  tar -xJf "/tmp/$file" -C /usr/local --strip-components=1
  rm -f "/tmp/$file"
}
# (An old Ubuntu nodejs left by a half-failed NodeSource setup is shadowed: /usr/local/bin comes first.)
node_ok || install_from_nodesource || true
node_ok || install_from_tarball
node_ok || { echo "setup.sh: Node.js 20.19 or newer could not be installed" >&2; exit 1; }
node --version

# Lesson 09's graders need a real redis-server (without one its tests would be left out).
if ! command -v redis-server >/dev/null 2>&1; then
  { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; } ||
    echo "setup.sh: no redis-server: lesson 09's tests will be left out (shown, not counted)" >&2
fi

cd "$root/source"
npm ci --no-audit --no-fund
