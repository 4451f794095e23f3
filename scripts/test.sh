#!/usr/bin/env bash
# The one test command (README.md and .ci/run both call it).
# Installs what the tests need when it is missing, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium through chromedriver.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing Debian's chromium and chromium-driver for the browser tests (apt-get; chromium-driver also brings chromium to its own version)..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The README test runs the README's curl lines as pasted.
if ! command -v curl >/dev/null 2>&1; then
  echo "installing Debian's curl for the README test (apt-get)..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq curl >/dev/null
fi

# The OCR tests read scans with Tesseract (English and Japanese data) and
# render text-less PDF pages with poppler's pdftoppm.
if ! command -v tesseract >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
  || ! tesseract --list-langs 2>/dev/null | grep -qx jpn; then
  echo "installing Debian's tesseract-ocr, tesseract-ocr-jpn and poppler-utils for the OCR tests (apt-get)..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tesseract-ocr tesseract-ocr-eng tesseract-ocr-jpn poppler-utils >/dev/null
fi

# The browser tests run axe-core (npm) in every view of the page.
AXE_VERSION=4.14.1
if [ ! -f target/npm/node_modules/axe-core/axe.min.js ] || ! grep -q "\"version\": \"$AXE_VERSION\"" target/npm/node_modules/axe-core/package.json; then
  echo "installing axe-core@$AXE_VERSION from npm into target/npm for the browser tests' accessibility checks..."
  mkdir -p target/npm
  npm install --prefix target/npm --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION" >/dev/null
fi

# `failpoints` arms the crash points of the write path (src/failpoint.rs)
# for the fault-injection tests (tests/it/faults.rs).
cargo test --locked --all-targets --features failpoints "$@"

# The OpenAPI contract, probed by schemathesis against a real server.
bash scripts/schemathesis.sh

# The MCP server, driven by the official Python MCP SDK over stdio.
bash scripts/mcp.sh
echo "browser screenshots: $(pwd)/target/browser-screenshots"
