#!/usr/bin/env bash
# What a large vector log costs a process that loads it (issue 36, item 4).
#
#   bash benches/vector_log.sh BIN [RECORDS] [WORK_DIR]
#
# Builds a one-document index with vectors on, then appends RECORDS
# (default 1,000,000) synthetic records to its vector log: valid
# checksums, keys of texts no corpus holds (788 bytes each, 788 MB for a
# million). Then, with /usr/bin/time, for wall time and peak resident
# memory:
# - `add` of one new file, twice, each on a fresh copy: a writer loads the
#   whole log, since it reads no corpus;
# - `index` of the same corpus, twice on one copy: the first start finds
#   the synthetic records unused (texts no longer in the corpus), the
#   second shows what the first left.
# The model is the vendored one; nothing is embedded but the corpus's
# one passage and the added file.
set -euo pipefail
bin="${1:?usage: bash benches/vector_log.sh BIN [RECORDS] [WORK_DIR]}"
records="${2:-1000000}"
work="${3:-$(mktemp -d)}"
mkdir -p "$work"
cd "$work"
rm -rf corpus base run run-corpus
mkdir corpus
printf '# A\n\nRobots build cars in Nagoya.\n' > corpus/a.md
printf '# N\n\nFarm robots pick strawberries.\n' > new.md
"$bin" --vectors on index --corpus corpus --index base >/dev/null 2>&1
log=$(ls base/vectors-*.bin)
python3 - "$log" "$records" <<'EOF'
import hashlib, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
DIM = 384
# 97 distinct unit-scale vectors are enough: the loader never looks at values.
vs = [struct.pack('<384e', *[((j * 7 + d) % 97) / 97.0 / 20 for d in range(DIM)]) for j in range(97)]
with open(path, 'ab') as f:
    buf = bytearray()
    for i in range(n):
        key = hashlib.sha256(b"synthetic %d" % i).digest()[:16]
        v = vs[i % 97]
        buf += key + v + hashlib.sha256(key + v).digest()[:4]
        if len(buf) > 1 << 24:
            f.write(buf)
            buf = bytearray()
    f.write(buf)
EOF
echo "log: $(stat -c %s "$log") bytes ($records synthetic records)"
measure() {
  /usr/bin/time -f "$1: wall %e s, peak RSS %M KB" "${@:2}" 2>&1 >/dev/null | grep -E "wall|rewritten|ERROR"
}
for k in 1 2; do
  rm -rf run run-corpus
  cp -r base run
  cp -r corpus run-corpus
  measure "add, copy $k" "$bin" --vectors on add --corpus run-corpus --index run new.md
done
rm -rf run
cp -r base run
for k in 1 2; do
  measure "index, start $k" "$bin" --vectors on index --corpus corpus --index run
done
echo "log after: $(stat -c %s "$(ls run/vectors-*.bin)") bytes"
