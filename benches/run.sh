#!/usr/bin/env bash
# Every benchmark in one run, beside its peers, written to BENCHMARKS.md.
#
#   bash benches/run.sh ../shared/bench [SCALES]
#
# SCALES: passage counts for the scale runs (default "10000 100000 1000000").
# Needs: the peers' venv (bash ../shared/bench/peers/setup_peers.sh; path in
# PEERS_VENV, default /tmp/peers-venv), wrk (Debian), python3 with venv (for
# Datasette from PyPI, installed into target/bench-venv). Takes 20-30 min.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bash benches/run.sh BENCH_DATA_DIR [SCALES]}" && pwd)"
scales="${2:-10000 100000 1000000}"
peers_py="${PEERS_VENV:-/tmp/peers-venv}/bin/python"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$peers_py" ] || { echo "needs the peers' venv: bash $data/peers/setup_peers.sh" >&2; exit 2; }
venv=target/bench-venv
[ -x "$venv/bin/datasette" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "datasette==0.65.5"; }
cargo build --release --locked --quiet
work="$(mktemp -d)"
# A copy, so rebuilding during the run cannot change the binary under test.
cp target/release/verbatim "$work/verbatim"
bin="$work/verbatim"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
out="$work/BENCHMARKS.md"
secs=10 # each load test

# --- helpers -----------------------------------------------------------
now() { date +%s.%N; }
# serve CORPUS INDEX: starts a server, sets $port and $pid.
serve() {
  port=$(( 20000 + RANDOM % 20000 ))
  "$bin" serve --corpus "$1" --index "$2" --addr "127.0.0.1:$port" >"$work/serve-$port.log" 2>&1 &
  pid=$!; pids+=("$pid")
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve-$port.log" >&2; exit 1; }
    sleep 0.2
  done
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# load KEY LABEL URL SCRIPT: one wrk run; appends a table row.
load() {
  local line
  line=$(wrk -t1 -c8 -d${secs}s -s "benches/wrk/$4" "$3" | tail -n 1)
  echo "$line" >"$work/load-$1.json"
  python3 - "$2" "$line" <<'PY' | tee -a "$out"
import json, sys
d = json.loads(sys.argv[2])
err = d["non_2xx"] + d["socket_errors"]
print(f"| {sys.argv[1]} | {d['rps']:.0f} | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {err} |")
PY
}
rps() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rps"])' "$work/load-$1.json"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# --- header --------------------------------------------------------------
{
  echo "# Benchmarks"
  echo
  echo "Written by \`bash benches/run.sh ${1} ${2:-}\` on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD)."
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, $(uname -sr)."
  echo "Every figure below comes from this one run; peers ran in the same run on the same machine."
  echo "Timings on a shared 2-core machine are noisy: compare ratios within the run, not across runs."
  echo
} >"$out"

# --- quality and in-process speed ----------------------------------------
# (SKIP_QUALITY=1 skips this part, to try the rest quickly.)
[ -n "${SKIP_QUALITY:-}" ] || {
  echo "## SciFact (BEIR), test split: search ranking"
  echo
  echo '```'
  "$bin" bench scifact --data "$data/beir/scifact" --peers "$data/peers" 2>&1 | tee "$work/scifact.txt"
  echo '```'
  echo
  echo "## SciFact: would other BM25 parameters help? (train split grid, then test once)"
  echo
  "$bin" bench scifact --data "$data/beir/scifact" --tune-bm25 2>&1
  echo
  echo "## SciFact: BM25's top 100 reranked with the local embedding model (mix fitted on train, test once)"
  echo
  echo '```'
  "$bin" bench scifact --data "$data/beir/scifact" --hybrid 2>&1 | tee "$work/hybrid.txt"
  echo '```'
  echo
  echo "## Embedding throughput (all-MiniLM-L6-v2, candle, 2 threads, first 500 SciFact abstracts)"
  echo
  echo '```'
  RAYON_NUM_THREADS=2 "$bin" bench embed --data "$data/beir/scifact" --limit 500 2>&1
  echo '```'
  echo
  echo "## SQuAD v1.1 dev: answers (\`/v1/ask\` ranking)"
  echo
  echo '```'
  "$bin" bench squad --data "$data/squad/dev-v1.1.json" --peers "$data/peers" 2>&1 | grep -v ' INFO ' | tee "$work/squad.txt"
  echo
  echo "The same with the articles' own (topic-naming) titles, for comparison only:"
  "$bin" bench squad --data "$data/squad/dev-v1.1.json" --titled 2>&1 | grep -v ' INFO ' | sed -n '/^| split/,/^$/p'
  echo
  echo "paragraph retrieval peers, same run:"
  (cd "$data/peers" && "$peers_py" bench_squad.py bm25s sqlite_fts5 tantivy xapian 2>&1)
  echo '```'
  echo
  echo "## Quote checks (SQuAD perturbation set)"
  echo
  echo '```'
  "$bin" bench quotes --data "$data/squad/dev-v1.1.json" 2>&1
  echo '```'
  echo
} | tee -a "$out"

# --- HTTP on the seed corpus ---------------------------------------------
cp -r corpus "$work/seed"
serve "$work/seed" "$work/seed-index"
seed_port=$port
seed_url="http://127.0.0.1:$seed_port"
{
  echo "## HTTP on the seed corpus (wrk, 1 thread, 8 connections, ${secs} s each, loopback)"
  echo
  echo "| route | requests/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|"
} | tee -a "$out"
load healthz "/healthz" "$seed_url" healthz.lua
load plain "/v1/search (plain words)" "$seed_url" plain_search.lua
load syntax "/v1/search (query language)" "$seed_url" search.lua
load ask "/v1/ask" "$seed_url" ask.lua
load quote "/v1/quotes/check" "$seed_url" quote.lua
{
  echo
  echo "wrk repeats one request, and the server keeps recent query vectors, so the rows above run the model once; distinct questions, one at a time:"
  echo
  python3 benches/ask_latency.py "$seed_url" "$data/squad/dev-v1.1.json" 500
} | tee -a "$out"

# --- Datasette on the same passages --------------------------------------
python3 benches/passages_db.py "$seed_url" "$work/seed.db" >/dev/null
ds_port=$(( 20000 + RANDOM % 20000 ))
"$venv/bin/datasette" serve "$work/seed.db" -p "$ds_port" >"$work/datasette.log" 2>&1 &
pids+=("$!")
until curl -sf "http://127.0.0.1:$ds_port/seed/passages.json?_search=robots" >/dev/null; do sleep 0.3; done
load datasette "Datasette 0.65.5, FTS5 search (same plain words)" "http://127.0.0.1:$ds_port" datasette.lua
{
  echo
  echo "- \`/v1/search\` (plain words) ÷ \`/healthz\`: **$(ratio "$(rps plain)" "$(rps healthz)")** (target ≥ 0.5)."
  echo "- \`/v1/search\` (plain words) ÷ Datasette with the same queries over the same $(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from passages").fetchone()[0])' "$work/seed.db") passages: **$(ratio "$(rps plain)" "$(rps datasette)")×** (target ≥ 20×)."
  echo
} | tee -a "$out"

# --- scale ---------------------------------------------------------------
{
  echo "## Scale: generated corpora of real text (recombined SciFact sentences)"
  echo
  echo "Latency: wrk, 1 thread, 4 connections, ${secs} s per route, bodies drawn from the corpus (benches/make_bodies.py)."
  echo
  echo "| passages | documents | corpus MB | build s | MB/s | index MB | serve RSS MiB (after load) | search req/s | search p50 / p99 ms | ask req/s | ask p50 / p99 ms | quote req/s | quote p50 / p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee -a "$out"
for n in $scales; do
  c="$work/gen-$n"
  "$bin" bench generate --scifact "$data/beir/scifact/corpus.jsonl" --passages "$n" --out "$c" >/dev/null
  mb=$(du -sm "$c" | cut -f1)
  docs=$(cat "$c"/*.jsonl | wc -l)
  t0=$(now)
  "$bin" index --corpus "$c" --index "$c.index" >/dev/null 2>&1
  t1=$(now)
  build=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
  rate=$(python3 -c "print(f'{$mb / ($t1 - $t0):.1f}')")
  size=$(du -sm "$c.index" | cut -f1)
  python3 benches/make_bodies.py "$c" "$work" 300 >/dev/null
  serve "$c" "$c.index"
  QUERIES="$work/search.txt" wrk -t1 -c4 -d${secs}s -s benches/wrk/queries.lua "http://127.0.0.1:$port" | tail -n 1 >"$work/search-$n.json"
  BODIES="$work/ask.jsonl" BODIES_PATH=/v1/ask wrk -t1 -c4 -d${secs}s -s benches/wrk/bodies.lua "http://127.0.0.1:$port" | tail -n 1 >"$work/ask-$n.json"
  BODIES="$work/quote.jsonl" BODIES_PATH=/v1/quotes/check wrk -t1 -c4 -d${secs}s -s benches/wrk/bodies.lua "http://127.0.0.1:$port" | tail -n 1 >"$work/quote-$n.json"
  rss=$(rss_mib "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$n" "$docs" "$mb" "$build" "$rate" "$size" "$rss" "$work/search-$n.json" "$work/ask-$n.json" "$work/quote-$n.json" <<'PY' | tee -a "$out"
import json, sys
n, docs, mb, build, rate, size, rss, search, ask, quote = sys.argv[1:]
s, a, q = json.load(open(search)), json.load(open(ask)), json.load(open(quote))
err = sum(d["non_2xx"] + d["socket_errors"] for d in (s, a, q))
note = f" ({err} errors)" if err else ""
print(f"| {int(n):,} | {int(docs):,} | {mb} | {build} | {rate} | {size} | {rss} | {s['rps']:.0f} | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} | {a['rps']:.0f} | {a['p50_ms']:.1f} / {a['p99_ms']:.1f} | {q['rps']:.0f} | {q['p50_ms']:.1f} / {q['p99_ms']:.1f}{note} |")
PY
  rm -rf "$c" "$c.index"
done
echo | tee -a "$out"

# --- the targets, measured -----------------------------------------------
python3 - "$out" "$work" "$(ratio "$(rps plain)" "$(rps healthz)")" "$(ratio "$(rps plain)" "$(rps datasette)")" <<'PY'
import json, os, re, sys
out, work, search_ratio, ds_ratio = sys.argv[1:]
def read(name):
    p = os.path.join(work, name)
    return open(p).read() if os.path.exists(p) else ""
rows = []
sci = read("scifact.txt")
peers = [json.loads(l)["ndcg10"] for l in sci.splitlines() if l.startswith("{")]
m = re.search(r"Lexical: .*?nDCG@10 ([0-9.]+)", sci)
if m:
    rows.append(("SciFact nDCG@10 (test), /v1/search lexical", ">= 0.70", m.group(1), f"peers {min(peers):.3f}-{max(peers):.3f}" if peers else ""))
m = re.search(r"Hybrid: .*?nDCG@10 ([0-9.]+)", sci)
if m:
    rows.append(("SciFact nDCG@10 (test), /v1/search hybrid (default)", ">= 0.73", m.group(1), "lexical above"))
sq = read("squad.txt")
m = re.search(r"\| held-out \(24-47\) \| \d+ \| ([0-9.]+) \| ([0-9.]+) \|", sq)
peers = [json.loads(l)["answer_sentence_top1"] for l in sq.splitlines() if l.startswith("{") and "answer_sentence_top1" in l]
if m:
    rows.append(("SQuAD answer-sentence top-1, held-out, neutral titles", ">= 0.78", m.group(2), f"lexical ranker {m.group(1)}; peers (all articles) {min(peers):.3f}-{max(peers):.3f}" if peers else f"lexical ranker {m.group(1)}"))
m = re.search(r"served path \(engine.ask, shipped weights\), held-out 24-47: answerable answered and right ([0-9.]+) .*?unanswerable abstained ([0-9.]+)", sq)
if m:
    rows.append(("SQuAD leave-gold-out, held-out: answerable answered and right", ">= 0.75", m.group(1), "served path"))
    rows.append(("SQuAD leave-gold-out, held-out: unanswerable abstained", ">= 0.80", m.group(2), "served path"))
rows.append(("/v1/search ÷ /healthz throughput (seed)", ">= 0.5", search_ratio, ""))
rows.append(("/v1/search ÷ Datasette throughput (seed)", ">= 20", ds_ratio, ""))
big = [l for l in open(out).read().splitlines() if l.startswith("| 1,000,000 |")]
if big:
    c = [x.strip() for x in big[0].strip("|").split("|")]
    rows.append(("1M passages: ask p99 ms", "<= 50", c[8].split("/")[1].strip(), ""))
    rows.append(("1M passages: quote check p99 ms", "<= 100", c[10].split("/")[1].split("(")[0].strip(), ""))
    rows.append(("1M passages: server RSS MiB", "<= 2048", c[6], ""))
table = ["## Targets", "", "| target | goal | measured | beside |", "|---|---|---|---|"]
table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
text = open(out).read()
head, sep, rest = text.partition("\n## ")
open(out, "w").write(head.rstrip("\n") + "\n\n" + "\n".join(table) + "\n\n## " + rest)
PY
cp "$out" BENCHMARKS.md
echo "wrote BENCHMARKS.md"
