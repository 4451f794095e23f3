#!/usr/bin/env bash
# The one test command (README.md and .ci/run both call it).
# Installs what the tests need when it is missing, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium through chromedriver.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver for the browser tests..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

cargo test --locked --all-targets "$@"

# The OpenAPI contract, probed by schemathesis against a real server.
bash scripts/schemathesis.sh
echo "browser screenshots: $(pwd)/target/browser-screenshots"
