#!/usr/bin/env bash
# Start-up with and without the document store (issue 36): serves a
# corpus four times and prints, for each, the seconds from launch to the
# first /readyz 200, the resident memory after one search, and where
# /metrics says the text lives.
#
#   bash benches/startup.sh BIN CORPUS_DIR INDEX_DIR
#
# Start 1 and 2 read the store that `verbatim index` wrote; start 3 runs
# with the store deleted (so it parses the corpus, and writes the store
# again); start 4 reads it back. Lexical (--vectors off). For a corpus:
#   verbatim bench generate --scifact ../shared/bench/beir/scifact/corpus.jsonl --passages 100000 --out DIR
set -euo pipefail
bin="${1:?usage: bash benches/startup.sh BIN CORPUS_DIR INDEX_DIR}"
corpus="${2:?corpus dir}"
index="${3:?index dir}"
"$bin" --vectors off index --corpus "$corpus" --index "$index" >/dev/null 2>&1
start() {
  local port=$((20000 + RANDOM % 20000))
  local t0 t1 pid rss
  t0=$(date +%s.%N)
  "$bin" --vectors off serve --corpus "$corpus" --index "$index" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.05; done
  t1=$(date +%s.%N)
  curl -s -G "http://127.0.0.1:$port/v1/search" --data-urlencode 'q=protein' -o /dev/null
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  python3 -c "import sys; print(f'{sys.argv[1]}: ready in {float(sys.argv[3]) - float(sys.argv[2]):.2f} s, RSS {int(sys.argv[4]) / 1024:.0f} MiB')" "$1" "$t0" "$t1" "$rss"
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^verbatim_(text|resident)_bytes' | sort | sed 's/^/  /'
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
start "start 1 (store written by index)"
start "start 2"
rm -f "$index/docs.store"
start "start 3 (no store: parses, writes it)"
start "start 4"
