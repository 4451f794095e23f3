#!/usr/bin/env bash
# SciFact's 300 test queries over HTTP (issue 16): `verbatim serve` on the
# 5,183 abstracts, driven by wrk with the real claims in turn, beside
# Datasette (SQLite FTS5, porter) on the same abstracts with the same words
# OR-ed, and `/healthz`, all in one run on one machine. Prints a Markdown
# table (requests/s, p50, p99) and the ratios.
#
#   bash benches/scifact_http.sh ../shared/bench [SECONDS]
#
# Needs wrk (Debian) and python3 with venv (Datasette from PyPI, into
# target/bench-venv, as benches/run.sh). Vectors are off, as in the
# in-process `verbatim bench scifact --vectors off`, so both measure BM25
# with highlights and exact totals.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bash benches/scifact_http.sh BENCH_DATA_DIR [SECONDS]}" && pwd)"
secs="${2:-10}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
venv=target/bench-venv
[ -x "$venv/bin/datasette" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "datasette==0.65.5"; }
cargo build --release --locked --quiet
work="$(mktemp -d)"
cp target/release/verbatim "$work/verbatim"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

mkdir "$work/corpus"
cp "$data/beir/scifact/corpus.jsonl" "$work/corpus/scifact.jsonl"
# The test split's 300 claims, as plain words (the in-process bench's
# reading: verbatim's folded tokens), URL-encoded for both servers.
python3 - "$data/beir/scifact" "$work" <<'PY'
import json, re, sys, urllib.parse, sqlite3
d, work = sys.argv[1], sys.argv[2]
test = {l.split("\t")[0] for l in open(f"{d}/qrels/test.tsv") if not l.startswith("query-id")}
words = lambda t: re.findall(r"\w+", t.lower())
qs = [json.loads(l) for l in open(f"{d}/queries.jsonl")]
qs = [words(q["text"]) for q in qs if q["_id"] in test]
assert len(qs) == 300, len(qs)
with open(f"{work}/verbatim.txt", "w") as f:
    for w in qs: f.write(urllib.parse.quote_plus(" ".join(w)) + "\n")
with open(f"{work}/datasette.txt", "w") as f:
    for w in qs: f.write(urllib.parse.quote_plus(" OR ".join(f'"{x}"' for x in w)) + "\n")
db = sqlite3.connect(f"{work}/scifact.db")
db.executescript("""
create table docs (id text primary key, title text, text text);
create virtual table docs_fts using fts5(title, text, content=docs, tokenize='porter unicode61');
""")
for l in open(f"{d}/corpus.jsonl"):
    j = json.loads(l)
    db.execute("insert into docs values (?, ?, ?)", (j["_id"], j.get("title", ""), j["text"]))
db.execute("insert into docs_fts(docs_fts) values ('rebuild')")
db.commit()
PY

port=$(( 20000 + RANDOM % 20000 ))
"$work/verbatim" serve --corpus "$work/corpus" --index "$work/index" --vectors off \
  --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pids+=("$!")
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.3; done
ds_port=$(( port + 1 ))
"$venv/bin/datasette" serve "$work/scifact.db" -p "$ds_port" >"$work/datasette.log" 2>&1 &
pids+=("$!")
until curl -sf "http://127.0.0.1:$ds_port/scifact/docs.json?_search=cell" >/dev/null; do sleep 0.3; done

fmt() { # LABEL FILE: one table row from wrk's JSON line
  python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
err = d["non_2xx"] + d["socket_errors"]
print(f"| {sys.argv[1]} | {d['rps']:.0f} | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {err} |")
PY
}
row() { # LABEL KEY URL QUERIES PATH_PREFIX
  QUERIES="$4" QUERY_PATH="$5" wrk -t1 -c8 -d${secs}s -s benches/wrk/queries.lua "$3" | tail -n 1 >"$work/$2.json"
  fmt "$1" "$work/$2.json"
}
rps() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rps"])' "$work/$1.json"; }
base="http://127.0.0.1:$port"
echo "| route (SciFact test claims in turn; wrk -t1 -c8, ${secs} s) | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|"
wrk -t1 -c8 -d${secs}s -s benches/wrk/healthz.lua "$base" | tail -n 1 >"$work/healthz.json"
fmt /healthz "$work/healthz.json"
row "verbatim /v1/search, 10 hits" v10 "$base" "$work/verbatim.txt" "/v1/search?limit=10&q="
row "verbatim /v1/search, 100 hits" v100 "$base" "$work/verbatim.txt" "/v1/search?limit=100&q="
row "Datasette 0.65.5 FTS5, 10 rows" d10 "http://127.0.0.1:$ds_port" "$work/datasette.txt" "/scifact/docs.json?_searchmode=raw&_size=10&_search="
row "Datasette 0.65.5 FTS5, 100 rows" d100 "http://127.0.0.1:$ds_port" "$work/datasette.txt" "/scifact/docs.json?_searchmode=raw&_size=100&_search="
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
echo
echo "- verbatim ÷ Datasette: $(ratio "$(rps v10)" "$(rps d10)")× at 10 hits, $(ratio "$(rps v100)" "$(rps d100)")× at 100."
echo "- verbatim 10 hits ÷ /healthz: $(ratio "$(rps v10)" "$(rps healthz)")."
