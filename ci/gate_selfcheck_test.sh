#!/usr/bin/env bash
# The gate measured for real on this tree's configs, judged on instructions only (deterministic
# under callgrind, so fit for CI): e3 -> e2 must fail, e2 -> e3 must pass with improvements,
# e3 -> e3 must pass; the memory and multi-thread rows are judged on RSS; a base that lacks
# instruction counts is refused. Throughput verdicts are exercised by the A/A and detection
# benchmarks (ci/gate_reliability.sh).
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
run e3 e2 1 "over the budget of 25"
run e2 e3 0 "improvement"
run e3 e3 0 "PASS"
# The shipped build against itself on the memory and cross-thread workloads: RSS is judged
# (deterministic enough at these sizes), and both rows are in the table.
out=$("$gate" --base-config e3_safe --head-config e3_safe --quick --no-timing \
      --workloads mem_liveset,mt_churn 2>&1); code=$?
if [ "$code" = 0 ] && grep -q "^mem_liveset mib=16 .* [0-9.]\+ *[0-9.]\+$" <<<"$out" && grep -q "^mt_churn threads=2" <<<"$out"; then
  echo "ok   e3_safe -> e3_safe on mem_liveset, mt_churn: exit 0, RSS judged"; passed=$((passed+1))
else
  echo "FAIL memory/multi-thread A/A: exit $code"; echo "$out" | tail -12; fail=$((fail+1))
fi
# Coverage: a real result whose base copy lost its instruction counts is never judged as if
# it had none: exit 2, naming what the base lacks.
sweep="${RUNFILES_DIR:-$0.runfiles}/hakmem_lab/harness/sweep"
[ -x "$sweep" ] || sweep="$(dirname "$gate")/gate.runfiles/hakmem_lab/harness/sweep"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
if "$sweep" --variants e3_safe --workloads random_mixed --quick --rounds 3 --instructions --out "$tmp/head.json" >/dev/null 2>&1; then
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
for p in r["points"]: p["instructions_per_op"]=None
json.dump(r, open(sys.argv[2],"w"))' "$tmp/head.json" "$tmp/base.json"
  out=$("$gate" --base-result "$tmp/base.json" --head-result "$tmp/head.json" 2>&1); code=$?
  if [ "$code" = 2 ] && grep -q "the base lacks random_mixed ws=128: instructions" <<<"$out"; then
    echo "ok   base without instruction counts: exit 2, named"; passed=$((passed+1))
  else
    echo "FAIL coverage: exit $code"; echo "$out" | tail -5; fail=$((fail+1))
  fi
else
  echo "FAIL coverage: the sweep did not run ($sweep)"; fail=$((fail+1))
fi
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
