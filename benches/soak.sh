#!/usr/bin/env bash
# Load soak: a mixed load of searches, questions, quote checks and writes
# for MINUTES (default 3) in 30-second windows, while hostile clients hold
# idle and slowloris connections and readers that stop reading ask for
# exports. Reads come from wrk (benches/wrk/reads.lua),
# writes beside them from benches/write_latency.py (a PUT every 100 ms), so
# each is reported on its own. Reports per window: read throughput and
# p50/p99, write count and p50/p99, errors and the server's RSS; then
# SIGTERM with the stalled readers still connected, and how long the
# process took to exit. Fails if any request errs or the exit outlives the
# drain deadline (10 s) by more than 5 s.
#
#   bash benches/soak.sh [MINUTES]
#
# Needs wrk (Debian package `wrk`) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-3}"
windows=$(( minutes * 2 ))
command -v wrk >/dev/null || { echo "soak: needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release --quiet
work="$(mktemp -d)"
trap 'kill "$server" "$slow" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r corpus "$work/corpus"
export VERBATIM_TOKEN="soak-token-$(date +%s)-0123456789"
port=$(( 20000 + RANDOM % 20000 ))
target/release/verbatim serve --corpus "$work/corpus" --index "$work/index" \
  --addr "127.0.0.1:$port" --max-connections 512 >"$work/server.log" 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
wrk -t2 -c16 -d10s -s benches/wrk/reads.lua "http://127.0.0.1:$port" >/dev/null
rss_before=$(rss)
python3 benches/slowclients.py "127.0.0.1:$port" $(( minutes * 60 + 5 )) 300 300 16 >"$work/slow.json" &
slow=$!
echo "| window | reads/s | read p50 ms | read p99 ms | read max ms | writes | write p50 ms | write p99 ms | write max ms | errors | RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
errors=0
for w in $(seq 1 "$windows"); do
  python3 benches/write_latency.py "http://127.0.0.1:$port" "$VERBATIM_TOKEN" --seconds 30 --every 100 >"$work/writes.json" &
  writer=$!
  line=$(wrk -t2 -c16 -d30s -s benches/wrk/reads.lua "http://127.0.0.1:$port" | tail -n 1)
  wait "$writer"
  r=$(rss)
  python3 - "$w" "$line" "$(cat "$work/writes.json")" "$r" <<'PY'
import json, sys
w, d, wr, rss = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
errors = d["non_2xx"] + d["socket_errors"] + wr["errors"]
print(f"| {w} | {d['rps']:.0f} | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {d['max_ms']:.1f} | {wr['writes']} | {wr['p50_ms']:.1f} | {wr['p99_ms']:.1f} | {wr['max_ms']:.1f} | {errors} | {rss/1024:.1f} |")
PY
  errors=$(( errors + $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); w=json.loads(sys.argv[2]); print(d["non_2xx"]+d["socket_errors"]+w["errors"])' "$line" "$(cat "$work/writes.json")") ))
done
wait "$slow" || true
rss_after=$(rss)
echo
echo "hostile clients: $(cat "$work/slow.json")"
echo "RSS after warm-up $(( rss_before / 1024 )) MiB, after the soak $(( rss_after / 1024 )) MiB"
echo "errors: $errors"
# Shutdown with readers that never read still connected.
python3 benches/slowclients.py "127.0.0.1:$port" 30 0 0 16 >/dev/null &
slow=$!
sleep 3
t0=$(date +%s.%N)
kill -TERM "$server"
exited=no
for _ in $(seq 1 150); do
  if ! kill -0 "$server" 2>/dev/null; then exited=yes; break; fi
  sleep 0.1
done
t1=$(date +%s.%N)
kill "$slow" 2>/dev/null || true
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$t1")
echo "SIGTERM with 16 stalled readers connected: exited $exited after $took s (drain deadline 10 s)"
[ "$errors" -eq 0 ] && [ "$exited" = yes ]
