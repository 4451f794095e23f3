#!/usr/bin/env bash
# Long fuzzing runs with cargo-fuzz, outside CI. Each target runs for
# SECONDS (default 120) from its seeds in fuzz/seeds/<target>; the growing
# corpus goes to fuzz/corpus/<target> (not committed). A crash leaves its
# input in fuzz/artifacts/<target>/: copy it into fuzz/seeds/<target>/ and
# the test suite replays it from then on.
#
# The text targets (quote, draft, segment, html) may grow inputs to 1 MiB
# (-max_len), the request body limit, so a cost that grows with the square
# of the length shows up as a timeout (-timeout=10), not only crashes. Their
# long seeds (fuzz/seeds/<target>/long-*, deep-*: the shapes of
# benches/quadratic.sh at 32 KB) are replayed by `cargo test` too.
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
  case "$t" in
    quote|draft|segment|html) max_len=(-max_len=1048576) ;;
    *) max_len=() ;;
  esac
  cargo fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 "${max_len[@]}" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -n 1)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  if [ $rc -eq 0 ]; then result="no crash"; else result="CRASH (see fuzz/artifacts/$t, $log)"; status=1; fi
  echo "| $t | $seconds | ${runs:-?} | $corpus | $result |"
done
exit $status
