#!/usr/bin/env bash
# Gate reliability on this machine (a benchmark, not a CI test): N runs of each pair with timing
# verdicts on, counting how often the gate fails.
#   A/A      e3 -> e3       every failure is a false alarm
#   detect   e3 -> e2       every pass is a missed regression
#   power    e3 -> e3_safe  a small real slowdown (ownership map on the free fast path)
# usage: gate_reliability.sh GATE [N]   (bazel run //ci:gate_reliability -- 20)
set -uo pipefail
gate="$1"; n="${2:-20}"
for pair in "e3 e3" "e3 e2" "e3 e3_safe"; do
  set -- $pair
  fails=0; total_s=0
  for i in $(seq 1 "$n"); do
    start=$(date +%s)
    "$gate" --base-config "$1" --head-config "$2" --quick --workloads random_mixed,size_sweep \
      --json "/tmp/gate-rel-$1-$2-$i.json" >/dev/null 2>&1
    code=$?
    total_s=$((total_s + $(date +%s) - start))
    [ "$code" = 2 ] && { echo "run $i of $1 -> $2: gate error (exit 2)" >&2; continue; }
    [ "$code" = 1 ] && fails=$((fails + 1))
    echo "$1 -> $2 run $i: exit $code ($(python3 -c "import json;print(json.load(open('/tmp/gate-rel-$1-$2-$i.json'))['headline'])"))" >&2
  done
  echo "$1 -> $2: failed $fails of $n runs, mean wall time $((total_s / n))s per gate run"
done
