#!/usr/bin/env bash
# The one test command (README.md and .ci/run both call it).
# Installs what the tests need when it is missing, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --all-targets "$@"
