#!/usr/bin/env bash
# Inputs whose cost grew with the square of their length (issue 35), fed at
# 1 MiB to a release binary: the seconds each takes, one line per shape.
#
#   bash benches/quadratic.sh [BIN]
#
# BIN (default: a fresh `cargo build --release`) is the binary to measure;
# run it once with an older commit's build for the "before" column.
# Shapes:
#   segment-dots   a corpus file of `a.a.a.…` (sentence splitting's
#                  abbreviation scan), through `verbatim index`
#   quote-marks    a quote of `word … word … …` with one `[x]` at the end
#                  (the mark search), through POST /v1/quotes/check
#   quote-brackets a quote of `[a [a [a …` (unmatched brackets), the same way
#   draft-openers  a draft paragraph of `“a “a “a …`, never closed (the
#                  double-quote opener stack), through POST /v1/quotes/check-draft
#   draft-singles  a draft of `"a b c" 'x ` over and over (each single mark
#                  against every double quotation), the same way
# Not part of the test suite: the tests check these shapes' results, not
# their time.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${1:-}" ]; then
  cargo build --release --locked --quiet
  BIN=target/release/verbatim
else
  BIN="$1"
fi
work="$(mktemp -d /tmp/verbatim-quadratic.XXXXXX)"
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
MIB=1048576

python3 - "$work" "$MIB" <<'EOF'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
def cut(s):
    return s[:n]
open(f"{work}/dots.md", "w").write(cut("a." * (n // 2 + 1)))
open(f"{work}/marks.json", "w").write(json.dumps({"quote": cut("word … " * (n // 7)) + " [x]"}))
open(f"{work}/brackets.json", "w").write(json.dumps({"quote": cut("[a " * (n // 3 + 1))}))
# Sized in bytes of JSON: a curly mark is three bytes of UTF-8.
open(f"{work}/openers.json", "w").write(json.dumps({"text": "“a " * (n // 5)}, ensure_ascii=False))
open(f"{work}/singles.json", "w").write(json.dumps({"text": "\"a b c\" 'x " * (n // 14)}))
EOF

elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

mkdir -p "$work/corpus"
cp "$work/dots.md" "$work/corpus/"
t0=$(date +%s.%N)
"$BIN" --vectors off index --corpus "$work/corpus" --index "$work/index" >/dev/null 2>&1
t1=$(date +%s.%N)
echo "segment-dots   1 MiB: $(elapsed "$t0" "$t1") s (verbatim index)"

mkdir -p "$work/seed"
printf '# Seed\n\nA small corpus.\n' > "$work/seed/seed.md"
port=$((20000 + RANDOM % 20000))
"$BIN" --vectors off serve --corpus "$work/seed" --index "$work/seed-index" \
  --addr "127.0.0.1:$port" --max-body-bytes 2000000 --request-timeout-ms 600000 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
for shape in marks brackets; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -H 'content-type: application/json' \
    --data-binary "@$work/$shape.json" "http://127.0.0.1:$port/v1/quotes/check")
  echo "quote-$shape 1 MiB: $(elapsed 0 "$t") s (POST /v1/quotes/check)"
done
for shape in openers singles; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -H 'content-type: application/json' \
    --data-binary "@$work/$shape.json" "http://127.0.0.1:$port/v1/quotes/check-draft")
  echo "draft-$shape 1 MiB: $(elapsed 0 "$t") s (POST /v1/quotes/check-draft)"
done
