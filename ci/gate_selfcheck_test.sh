#!/usr/bin/env bash
# The gate measured for real on this tree's configs, judged on instructions only (deterministic
# under callgrind, so fit for CI): e3 -> e2 must fail, e2 -> e3 must pass with improvements,
# e3 -> e3 must pass. Throughput verdicts are exercised by the A/A and detection benchmarks.
set -uo pipefail
gate="$1"
fail=0; passed=0
run() {  # base head expected-exit pattern
  local out code
  out=$("$gate" --base-config "$1" --head-config "$2" --quick --no-timing --workloads random_mixed 2>&1); code=$?
  if [ "$code" = "$3" ] && grep -q -- "$4" <<<"$out"; then
    echo "ok   $1 -> $2: exit $code"; passed=$((passed+1))
  else
    echo "FAIL $1 -> $2: exit $code (want $3, '$4')"; echo "$out" | tail -15; fail=$((fail+1))
  fi
}
run e3 e2 1 "over the budget of 31"
run e2 e3 0 "improvement"
run e3 e3 0 "PASS"
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
