#!/usr/bin/env bash
# What an export of every hit, and a page far down a ranking, cost in
# memory and time at 1M passages (issue 35, item 13).
#
#   bash benches/export_memory.sh ../shared/bench [WORK_DIR]
#
# Generates (or reuses) the 1M-passage corpus of benches/scale.sh in
# WORK_DIR, indexes it lexically, serves it, and per query reports the hit
# count, the export's bytes and seconds, and the growth of the server's
# anonymous memory (RssAnon: the heap, not the mapped document text, which
# is page cache) at its peak during the export, sampled every 20 ms.
# BIN: another build to measure (an older commit's, for a before/after).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bash benches/export_memory.sh BENCH_DATA_DIR [WORK_DIR]}" && pwd)"
work="${2:-$(mktemp -d /tmp/verbatim-export.XXXXXX)}"
mkdir -p "$work"
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=target/release/verbatim
fi
bin="$work/verbatim"
cp "$BIN" "$bin"
c="$work/gen-1000000"
[ -d "$c" ] || "$bin" bench generate --scifact "$data/beir/scifact/corpus.jsonl" --passages 1000000 --out "$c" >/dev/null
[ -d "$c.index" ] || "$bin" --corpus "$c" --index "$c.index" index --vectors off >/dev/null
port=18470
"$bin" --corpus "$c" --index "$c.index" serve --addr "127.0.0.1:$port" --vectors off >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.5; done
anon() { awk '/RssAnon/ {print $2}' "/proc/$pid/status"; }
echo "# verbatim export memory at 1M passages: $("$bin" --version), built from ${BIN}, $(date -u +%F)"
echo
echo "| query | hits | export MB | export s | heap growth at peak MiB | page at offset 467,000 s |"
echo "|---|---|---|---|---|---|"
for q in cells kind:generated; do
  url="http://127.0.0.1:$port/v1/search"
  total=$(curl -s "$url?q=$q&limit=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  base=$(anon)
  rm -f "$work/stop"
  ( peak=$base; while [ ! -f "$work/stop" ]; do r=$(anon); [ "$r" -gt "$peak" ] && peak=$r; echo "$peak" >"$work/peak"; sleep 0.02; done ) &
  sampler=$!
  s=$(date +%s.%N)
  bytes=$(curl -s "$url/export?q=$q&format=jsonl" | wc -c)
  e=$(date +%s.%N)
  touch "$work/stop"; wait $sampler
  peak=$(cat "$work/peak")
  deep=$(curl -s -o /dev/null -w '%{time_total}' "$url?q=$q&limit=10&offset=467000")
  printf '| `%s` | %s | %.0f | %.2f | %d | %.2f |\n' "$q" "$total" "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$e - $s" | bc -l)" $(((peak - base) / 1024)) "$deep"
done
