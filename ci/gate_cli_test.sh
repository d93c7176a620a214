#!/usr/bin/env bash
# The gate binary on the fixtures: exit 0 pass, 1 regression, 2 bad input, with messages.
set -uo pipefail
gate="$1"; data="$(dirname "$2")"
fail=0; passed=0
check() {  # case expected-exit [pattern in output]
  local out code
  out=$("$gate" --base-result "$data/$1.base.json" --head-result "$data/$1.head.json" \
        --gate-config "$3" --budgets "$4" --json "$TEST_TMPDIR/$1.json" 2>&1); code=$?
  if [ "$code" != "$2" ]; then echo "FAIL $1: exit $code, want $2"; echo "$out" | tail -5; fail=$((fail+1)); return; fi
  if [ -n "${5:-}" ] && ! grep -q -- "$5" <<<"$out"; then echo "FAIL $1: output lacks '$5'"; fail=$((fail+1)); return; fi
  echo "ok   $1 (exit $code)"; passed=$((passed+1))
}
cfg="$3"; bud="$4"
check clear_regression 1 "$cfg" "$bud" "FAIL: "
check clear_improvement 0 "$cfg" "$bud" "improvement"
check noise_only 0 "$cfg" "$bud" "PASS"
check one_of_many 1 "$cfg" "$bud" "FAIL: 1 regression"
check missing_point 2 "$cfg" "$bud" "lacks 1 point"
check schema_mismatch 2 "$cfg" "$bud" "schema_version: is 2"
check instructions_only 1 "$cfg" "$bud" "REGRESSION"
check fastpath_over_budget 1 "$cfg" "$bud" "over the budget of 31"
# Bad command lines are bad input too.
"$gate" --base-result x.json >/dev/null 2>&1; [ $? = 2 ] && { echo "ok   half a pair (exit 2)"; passed=$((passed+1)); } || { echo "FAIL half a pair"; fail=$((fail+1)); }
out=$("$gate" --base-result "$data/nope.json" --head-result "$data/nope.json" 2>&1); code=$?
if [ "$code" = 2 ] && grep -q "nope.json: cannot open" <<<"$out"; then
  echo "ok   missing file named (exit 2)"; passed=$((passed+1))
else
  echo "FAIL missing file: exit $code: $out"; fail=$((fail+1))
fi
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
