#!/usr/bin/env bash
# The cost curve (issue 19): generated corpora of real text at each size,
# built, served and measured, one row per size, then the slope between
# consecutive sizes.
#
#   bash benches/scale.sh ../shared/bench [SIZES] [WORK_DIR]
#
# SIZES: passage counts (default "10000 100000 1000000"); 10000000 works
# too (about 5.6 GB of corpus and several GB of index in WORK_DIR; see
# BENCHMARKS.md for how long it takes). WORK_DIR (default a fresh
# directory under /tmp) keeps the generated corpora between runs: a corpus
# already there is reused, its index always rebuilt from scratch.
# Lexical (--vectors off), since vectors are off past 50,000 passages by
# default. Needs wrk (Debian) and curl.
#
# SECS (default 10) and WRITES (default 20) set the load and the writes.
#
# Per size: build s and MB/s (`verbatim index` from nothing), index MB,
# time to ready (launch → first /readyz 200), serve RSS after the load (and its heap alone: RssAnon),
# search / ask / quote check over wrk (1 thread, 4 connections, SECS s
# each, bodies from benches/make_bodies.py), one live write (POST of a
# small new document, one at a time, over one kept-alive connection,
# WRITES of them; p50 and max).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bash benches/scale.sh BENCH_DATA_DIR [SIZES] [WORK_DIR]}" && pwd)"
sizes="${2:-10000 100000 1000000}"
work="${3:-$(mktemp -d /tmp/verbatim-scale.XXXXXX)}"
secs="${SECS:-10}"
writes="${WRITES:-20}"
mkdir -p "$work"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
# BIN: another build to measure (an older commit's, for a before/after).
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=target/release/verbatim
fi
# A copy, so rebuilding during the run cannot change the binary under test.
bin="$work/verbatim"
cp "$BIN" "$bin"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT
export VERBATIM_TOKEN="scale-token-0123456789abcdef"
now() { date +%s.%N; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# The heap alone: RSS less the mapped files (index, document store), which
# are page cache the kernel may drop and re-read.
anon_mib() { awk '/RssAnon/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
rows="$work/rows.jsonl"
: >"$rows"

echo "# verbatim bench scale: $("$bin" --version), built from ${BIN}, $(nproc) cores, $(date -u +%F)"
echo
echo "| passages | documents | corpus MB | build s | MB/s | index MB | ready s | serve RSS / heap MiB | search p50 / p99 ms | ask p50 / p99 ms | quote p50 / p99 ms | write p50 / max ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
  c="$work/gen-$n"
  [ -d "$c" ] || "$bin" bench generate --scifact "$data/beir/scifact/corpus.jsonl" --passages "$n" --out "$c" >/dev/null
  rm -rf "$c.index"
  mb=$(du -smL "$c" | cut -f1)
  docs=$(cat "$c"/*.jsonl | wc -l)
  t0=$(now)
  "$bin" --vectors off index --corpus "$c" --index "$c.index" >"$work/index-$n.log" 2>&1
  t1=$(now)
  size=$(du -sm "$c.index" | cut -f1)
  [ -f "$work/bodies-$n/search.txt" ] || { mkdir -p "$work/bodies-$n"; python3 benches/make_bodies.py "$c" "$work/bodies-$n" 300 >/dev/null; }
  port=$(( 20000 + RANDOM % 20000 ))
  t2=$(now)
  "$bin" --vectors off serve --corpus "$c" --index "$c.index" --addr "127.0.0.1:$port" >"$work/serve-$n.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve-$n.log" >&2; exit 1; }
    sleep 0.05
  done
  t3=$(now)
  b="$work/bodies-$n"
  QUERIES="$b/search.txt" wrk -t1 -c4 -d"${secs}s" -s benches/wrk/queries.lua "http://127.0.0.1:$port" | tail -n 1 >"$work/search-$n.json"
  BODIES="$b/ask.jsonl" BODIES_PATH=/v1/ask wrk -t1 -c4 -d"${secs}s" -s benches/wrk/bodies.lua "http://127.0.0.1:$port" | tail -n 1 >"$work/ask-$n.json"
  BODIES="$b/quote.jsonl" BODIES_PATH=/v1/quotes/check wrk -t1 -c4 -d"${secs}s" -s benches/wrk/bodies.lua "http://127.0.0.1:$port" | tail -n 1 >"$work/quote-$n.json"
  python3 benches/write_latency.py "http://127.0.0.1:$port" "$VERBATIM_TOKEN" "$writes" --json >"$work/write-$n.json"
  rss=$(rss_mib "$pid")
  anon=$(anon_mib "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
  rm -f "$c"/w[0-9]*.md # the written documents, so a reused corpus stays as generated
  python3 - "$n" "$docs" "$mb" "$t0" "$t1" "$t2" "$t3" "$size" "$rss" "$anon" "$work" "$rows" <<'PY'
import json, sys
n, docs, mb, t0, t1, t2, t3, size, rss, anon, work, rows = sys.argv[1:]
load = lambda k: json.load(open(f"{work}/{k}-{n}.json"))
s, a, q, w = load("search"), load("ask"), load("quote"), load("write")
build = float(t1) - float(t0)
row = dict(passages=int(n), docs=int(docs), mb=int(mb), build_s=build, mb_s=int(mb) / build,
           index_mb=int(size), ready_s=float(t3) - float(t2), rss_mib=int(rss), anon_mib=int(anon),
           search=(s["p50_ms"], s["p99_ms"]), ask=(a["p50_ms"], a["p99_ms"]),
           quote=(q["p50_ms"], q["p99_ms"]), write=(w["p50_ms"], w["max_ms"]),
           errors=sum(d["non_2xx"] + d["socket_errors"] for d in (s, a, q)) + w["errors"])
open(rows, "a").write(json.dumps(row) + "\n")
pair = lambda p: f"{p[0]:.1f} / {p[1]:.1f}"
note = f" ({row['errors']} errors)" if row["errors"] else ""
print(f"| {row['passages']:,} | {row['docs']:,} | {mb} | {build:.1f} | {row['mb_s']:.1f} | {size} | "
      f"{row['ready_s']:.2f} | {rss} / {anon} | {pair(row['search'])} | {pair(row['ask'])} | "
      f"{pair(row['quote'])} | {pair(row['write'])}{note} |")
PY
done
python3 - "$rows" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
if len(rows) < 2:
    sys.exit()
print()
print("Slope between sizes: how much each figure grows per 10× passages "
      "(1.0 = flat, 10 = linear).")
print()
print("| from → to | build s | index MB | ready s | RSS MiB | search p99 | ask p99 | quote p99 | write p50 |")
print("|---|---|---|---|---|---|---|---|---|")
for a, b in zip(rows, rows[1:]):
    tens = math.log10(b["passages"] / a["passages"])
    g = lambda x, y: f"{(y / x) ** (1 / tens):.2f}" if x > 0 else "-"
    print(f"| {a['passages']:,} → {b['passages']:,} | {g(a['build_s'], b['build_s'])} | "
          f"{g(a['index_mb'], b['index_mb'])} | {g(a['ready_s'], b['ready_s'])} | "
          f"{g(a['rss_mib'], b['rss_mib'])} | {g(a['search'][1], b['search'][1])} | "
          f"{g(a['ask'][1], b['ask'][1])} | {g(a['quote'][1], b['quote'][1])} | "
          f"{g(a['write'][0], b['write'][0])} |")
PY
