#!/usr/bin/env bash
# schemathesis (PyPI) against a real server's /openapi.json, with writes on,
# over a scratch copy of the default corpus. Called by scripts/test.sh after
# `cargo test` (which builds target/debug/verbatim). Settings: schemathesis.toml.
#
#   bash scripts/schemathesis.sh [EXAMPLES]   (default 25 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-25}"
venv="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
. scripts/venv.sh
ensure_venv "$venv" "schemathesis==4.32.5" test -x "$venv/bin/schemathesis"
bin=target/debug/verbatim
[ -x "$bin" ] || cargo build --locked --quiet
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r corpus "$work/corpus"
token="schemathesis-token-$RANDOM$RANDOM-0123456789"
VERBATIM_TOKEN="$token" "$bin" serve --corpus "$work/corpus" --index "$work/index" \
  --addr 127.0.0.1:0 --log-format json >"$work/log" 2>&1 &
server=$!
for _ in $(seq 1 600); do
  addr=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/log" | head -n 1 || true)
  [ -n "$addr" ] && curl -sf "$addr/readyz" >/dev/null && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "schemathesis: the server did not start" >&2; cat "$work/log" >&2; exit 1; }
"$venv/bin/schemathesis" run "$addr/openapi.json" --checks all --max-examples "$examples" \
  --generation-deterministic -H "Authorization: Bearer $token"
# The server must have survived all of it.
curl -sf "$addr/healthz" >/dev/null || { echo "schemathesis: the server is down" >&2; exit 1; }
