#!/usr/bin/env bash
# api-snapshot.sh BIN OUTDIR: the responses of BIN (a verbatim binary) to ~70 HTTP
# requests and 6 CLI commands on the seed corpus, one file each, so that two
# builds can be compared byte for byte with `diff -r` (took_ms is masked).
# Used to show that a structural change left the API unchanged.
set -u
mkdir -p "$2"
BIN=$(realpath "$1"); OUT=$(realpath "$2")
cd "$(dirname "$0")/.."
IDX=$(mktemp -d)
PORT=7399
$BIN --index $IDX serve --addr 127.0.0.1:$PORT >/dev/null 2>&1 &
PID=$!
for i in $(seq 1 100); do curl -s 127.0.0.1:$PORT/readyz | grep -q ok && break; sleep 0.2; done
n=0
get() { n=$((n+1)); curl -s -G "127.0.0.1:$PORT$1" "${@:2}" | sed -E 's/"took_ms":[0-9]+/"took_ms":0/' > $OUT/get-$n.json; }
post() { n=$((n+1)); curl -s -X POST -H 'content-type: application/json' "127.0.0.1:$PORT$1" --data "$2" > $OUT/post-$n.json; }
for q in 'sovereign AI' '"sovereign AI"' 'robots Japan' 'Honda NOT Sony' '+Honda -Sony' 'labour' 'die' 'kind:source-note' 'doc:japan-ai-experiment trillion' '1,000' 'Japan’s AI strategy' 'Fifth Generation' '(' '' 'AI OR robot' ; do
  get /v1/search --data-urlencode "q=$q"
  get /v1/search --data-urlencode "q=$q" --data-urlencode limit=3 --data-urlencode offset=2
done
get /v1/documents
get /v1/documents/japan-ai-experiment
get /v1/passages/japan-ai-experiment:p3
get /v1/passages/nope:p1
get /openapi.json
get /v1/search/export --data-urlencode 'q=AI' --data-urlencode format=csv
get /v1/search/export --data-urlencode 'q=AI' --data-urlencode format=jsonl
while IFS= read -r q; do post /v1/ask "$(python3 -c 'import json,sys; print(json.dumps({"question":sys.argv[1],"limit":5}))' "$q")"; done <<'Q'
How much is Honda contributing to the venture?
What did NEC say about the model?
Who leads the AI Strategy Headquarters?
What is the total funding?
Which automaker joined the project?
When was the company established?
What are the dangers of the plan?
Why does Japan want its own AI?
Who is leading the new venture?
How much did the government commit?
When was the company set up?
What is sovereign AI?
What was the Fifth Generation Computer project?
Who are the sources?
What is physical AI?
Q
post /v1/ask '{"question":""}'
post /v1/ask '{"question":"robots","limit":0}'
post /v1/ask '{"question":"robots","doc":"japan-ai-experiment","kind":"article"}'
while IFS= read -r q; do post /v1/quotes/check "$(python3 -c 'import json,sys; print(json.dumps({"quote":sys.argv[1]}))' "$q")"; done <<'Q'
sovereign AI
a homegrown "sovereign AI" model tied to chips
Japan’s plan is framed as a bold bet
SoftBank, Sony, NEC, and Honda are leading a new venture
SoftBank, Sony, NEC and Toyota are leading a new venture
the moon is made of cheese
grand tech projects before ... effort
Q
post /v1/quotes/check '{"quote":""}'
post /v1/quotes/check-draft '{"text":"Analysts noted that Japan tried “grand tech projects before, like the 1980s “Fifth Generation Computer” effort that spent hundreds of millions” and failed. He said \"SoftBank, Sony, NEC, and Honda are leading a new venture\" today. And “the moon”."}'
post /v1/quotes/check-draft '{"text":"He said “physical AI” and “sovereign AI model”.","include_short":true}'
n=$((n+1)); curl -s -X POST -H 'content-type: application/json' -H 'accept: text/csv' "127.0.0.1:$PORT/v1/quotes/check-draft" --data '{"text":"He said “SoftBank, Sony, NEC, and Honda are leading” and “the cow jumped over”."}' > $OUT/post-$n.csv
kill $PID; wait $PID 2>/dev/null
$BIN --index $IDX search 'sovereign AI' > $OUT/cli-search.txt 2>&1
$BIN --index $IDX search --json 'robots Japan' > $OUT/cli-search.json 2>&1
$BIN --index $IDX ask 'Who is leading the new venture?' > $OUT/cli-ask.txt 2>&1
$BIN --index $IDX ask --json 'How much did the government commit?' > $OUT/cli-ask.json 2>&1
$BIN --index $IDX check 'SoftBank, Sony, NEC and Toyota are leading a new venture' > $OUT/cli-check.txt 2>&1; echo "rc=$?" >> $OUT/cli-check.txt
$BIN --index $IDX check --json 'sovereign AI' > $OUT/cli-check.json 2>&1
rm -rf "$IDX"
echo "$(ls "$OUT" | wc -l) responses in $OUT"
