#!/usr/bin/env bash
# The MCP server (`verbatim mcp`) driven by the official Python MCP SDK
# (`mcp` on PyPI) over stdio, on a scratch copy of the default corpus.
# Called by scripts/test.sh after `cargo test` (which builds
# target/debug/verbatim). The client test: tests/mcp/client_test.py.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${MCP_VENV:-target/mcp-venv}"
. scripts/venv.sh
ensure_venv "$venv" "mcp==2.3.0" "$venv/bin/python" -c 'import mcp'
bin=target/debug/verbatim
[ -x "$bin" ] || cargo build --locked --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r corpus "$work/corpus"
"$venv/bin/python" tests/mcp/client_test.py "$bin" "$work/corpus" "$work/index" 2>"$work/stderr" \
  || { echo "mcp: the client test failed; the server's stderr:" >&2; tail -n 40 "$work/stderr" >&2; exit 1; }
