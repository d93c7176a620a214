#!/usr/bin/env bash
# tools/instr_table.sh — instruction counts of every allocator config, as the sweep measures them
# (callgrind, deterministic): the fast-path probe's tiny malloc hit and free hit (100 toggled
# calls minus 100 empty windows, per call) and bench_random_mixed's instructions/op at ws=128 and
# ws=1024 (seed 1234567, sizes 16..1039, --instr-atstart=no as in harness/sweep.cc).
#
#   tools/instr_table.sh [CYCLES]   (default 200000, the sweep's --instructions count)
#   BIN=DIR tools/instr_table.sh      measure copies in DIR (fastpath_probe.<config>, ...), e.g. a
#                                     snapshot taken before a rebuild
#
# Needs the binaries: bazel build //harness:fastpath_probe.all_variants
#   //harness:bench_random_mixed.all_variants. Run it under the lab's exclusive lock:
#   flock -x /tmp/hakmem-lab.lock tools/instr_table.sh > table.md
# A refactor of the allocator that must not change code paths must leave this table identical.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-200000}
bin=${BIN:-$(bazel info bazel-bin 2>/dev/null)/harness}
configs=$(python3 tools/variants.py --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)["variants"]))')
out=$(mktemp /tmp/instr_table.XXXXXX)
trap 'rm -f "$out"' EXIT

total() {  # total Ir of the collected part of a callgrind run
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1
  awk -F: '/^(totals|summary):/ {t=$2} END {print t+0}' "$out"
}

echo "| config | malloc_hit | free_hit | rm_ws128 instr/op | rm_ws1024 instr/op |"
echo "|---|---|---|---|---|"
for c in $configs; do
  p="$bin/fastpath_probe.$c"
  e=$(total --collect-atstart=no "$p" empty 100)
  m=$(total --collect-atstart=no "$p" malloc 100)
  f=$(total --collect-atstart=no "$p" free 100)
  row="| $c | $(( (m - e + 50) / 100 )) | $(( (f - e + 50) / 100 ))"
  for ws in 128 1024; do
    t=$(total --instr-atstart=no "$bin/bench_random_mixed.$c" "$cycles" "$ws" 1234567 16 1039 --json --expect hakmem)
    row="$row | $(awk -v t="$t" -v n="$cycles" 'BEGIN {printf "%.4f (%d)", t / n, t}')"
  done
  echo "$row |"
done
echo
echo "(cycles=$cycles; instr/op = total Ir / cycles, total in parentheses)"
