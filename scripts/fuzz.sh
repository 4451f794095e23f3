#!/usr/bin/env bash
# Long fuzzing runs with cargo-fuzz, outside CI. Each target runs for
# SECONDS (default 120) from its seeds in fuzz/seeds/<target>; the growing
# corpus goes to fuzz/corpus/<target> (not committed). A crash leaves its
# input in fuzz/artifacts/<target>/: copy it into fuzz/seeds/<target>/ and
# the test suite replays it from then on.
#
#   cargo install cargo-fuzz && bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(query quote draft front_matter segment html pdf corpus_file)
export RUSTC_BOOTSTRAP=1 # cargo-fuzz passes nightly-only sanitizer flags
echo "| target | seconds | runs | corpus | result |"
echo "|---|---|---|---|---|"
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  log="$(mktemp)"
  cargo fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -n 1)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  if [ $rc -eq 0 ]; then result="no crash"; else result="CRASH (see fuzz/artifacts/$t, $log)"; status=1; fi
  echo "| $t | $seconds | ${runs:-?} | $corpus | $result |"
done
exit $status
