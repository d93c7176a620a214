#!/usr/bin/env bash
# The gate binary on the fixtures: exit 0 pass, 1 regression, 2 bad input, with messages.
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
gate="$(abs "$1")"; data="$(dirname "$(abs "$2")")"
fail=0; passed=0
check() {  # case expected-exit [pattern in output]
  local out code
  out=$("$gate" --base-result "$data/$1.base.json" --head-result "$data/$1.head.json" \
        --gate-config "$3" --budgets "$4" --json "$TEST_TMPDIR/$1.json" 2>&1); code=$?
  if [ "$code" != "$2" ]; then echo "FAIL $1: exit $code, want $2"; echo "$out" | tail -5; fail=$((fail+1)); return; fi
  if [ -n "${5:-}" ] && ! grep -q -- "$5" <<<"$out"; then echo "FAIL $1: output lacks '$5'"; fail=$((fail+1)); return; fi
  echo "ok   $1 (exit $code)"; passed=$((passed+1))
}
cfg="$(abs "$3")"; bud="$(abs "$4")"
check clear_regression 1 "$cfg" "$bud" "FAIL: "
check clear_improvement 0 "$cfg" "$bud" "improvement"
check noise_only 0 "$cfg" "$bud" "PASS"
check one_of_many 1 "$cfg" "$bud" "FAIL: 1 regression"
check missing_point 2 "$cfg" "$bud" "lacks 1 point"
check schema_mismatch 2 "$cfg" "$bud" "schema_version: is 99"
check instructions_only 1 "$cfg" "$bud" "REGRESSION"
check fastpath_over_budget 1 "$cfg" "$bud" "over the budget of 25"
check memory_bloat 1 "$cfg" "$bud" "4 memory"
check memory_noise 0 "$cfg" "$bud" "PASS"
check mt_regression 1 "$cfg" "$bud" "1 throughput"
check base_lacks_instructions 2 "$cfg" "$bud" "the base lacks random_mixed ws=128: instructions"
check new_in_head 2 "$cfg" "$bud" "new in head, the base lacks it: random_mixed ws=1024"
check params_mismatch 2 "$cfg" "$bud" "different parameters: random_mixed ws=128: base cycles=1000000"
# Bad command lines are bad input too.
"$gate" --base-result x.json >/dev/null 2>&1; [ $? = 2 ] && { echo "ok   half a pair (exit 2)"; passed=$((passed+1)); } || { echo "FAIL half a pair"; fail=$((fail+1)); }
out=$("$gate" --base-result "$data/nope.json" --head-result "$data/nope.json" 2>&1); code=$?
if [ "$code" = 2 ] && grep -q "nope.json: cannot open" <<<"$out"; then
  echo "ok   missing file named (exit 2)"; passed=$((passed+1))
else
  echo "FAIL missing file: exit $code: $out"; fail=$((fail+1))
fi
# Error paths: each is one line and exit 2, before anything is measured or built.
expect2() {  # name pattern command...
  local name="$1" pat="$2" out code; shift 2
  out=$("$@" 2>&1); code=$?
  if [ "$code" = 2 ] && grep -q -- "$pat" <<<"$out" && [ "$(wc -l <<<"$out")" -le 2 ]; then
    echo "ok   $name (exit 2)"; passed=$((passed+1))
  else
    echo "FAIL $name: exit $code, want 2 and '$pat': $out" | head -5; fail=$((fail+1))
  fi
}
b="$data/clear_regression.base.json"
expect2 "unwritable --json" "directory /nonexistent/dir does not exist" \
  "$gate" --base-result "$b" --head-result "$b" --json /nonexistent/dir/v.json
expect2 "unwritable --markdown" "does not exist" "$gate" --base-result "$b" --head-result "$b" --markdown /nope/x.md
expect2 "unwritable --report" "does not exist" "$gate" --base-result "$b" --head-result "$b" --report /nope/r
expect2 "--config outside revision mode" "--config goes with --base/--head" \
  "$gate" --base-result "$b" --head-result "$b" --config e3
# Relative paths are the user's: under `bazel run`, BUILD_WORKING_DIRECTORY.
mkdir -p "$TEST_TMPDIR/here"; cp "$b" "$TEST_TMPDIR/here/base.json"
out=$(cd / && BUILD_WORKING_DIRECTORY="$TEST_TMPDIR/here" "$gate" --base-result base.json --head-result base.json \
      --gate-config "$cfg" --budgets "$bud" --json v.json 2>&1); code=$?
if [ "$code" = 0 ] && [ -s "$TEST_TMPDIR/here/v.json" ]; then
  echo "ok   relative paths from BUILD_WORKING_DIRECTORY"; passed=$((passed+1))
else
  echo "FAIL relative paths: exit $code: $(tail -2 <<<"$out")"; fail=$((fail+1))
fi
# Revisions: a throwaway repository. A dirty tree is refused (not silently measured as its
# commit), an unknown revision and one older than the lab's targets are named.
repo="$TEST_TMPDIR/repo"; rm -rf "$repo"; mkdir -p "$repo"
g() { git -C "$repo" -c user.email=t@t -c user.name=t "$@" >/dev/null 2>&1; }
g init -q; echo one > "$repo/a.txt"; g add a.txt; g commit -qm old
old=$(git -C "$repo" rev-parse HEAD)
mkdir -p "$repo/harness" "$repo/allocator"
printf 'variant_binaries("bench_random_mixed")\nvariant_binaries("fastpath_probe")\n' > "$repo/harness/BUILD.bazel"
printf '"name": "e3_safe"\n' > "$repo/allocator/variants.bzl"
g add -A; g commit -qm lab
expect2 "revision older than the lab" "is older than the lab" \
  env BUILD_WORKSPACE_DIRECTORY="$repo" "$gate" --base "$old" --head HEAD --workloads random_mixed
expect2 "revision without a workload's targets" "has no per-config bench_mt targets" \
  env BUILD_WORKSPACE_DIRECTORY="$repo" "$gate" --base HEAD --head HEAD --workloads random_mixed,mt_churn
expect2 "revision without the config" "has no config 'e2'" \
  env BUILD_WORKSPACE_DIRECTORY="$repo" "$gate" --base HEAD --head HEAD --workloads random_mixed --config e2
expect2 "unknown revision" "'nosuchrev' is not a commit" \
  env BUILD_WORKSPACE_DIRECTORY="$repo" "$gate" --base nosuchrev --head HEAD
# By default each revision's own shipped build (the variant without switches): a change that moves
# the default is judged old shipped -> new shipped, not by the head's config name on both sides.
printf '    {\n        "name": "old_ship",\n        "switches": {},\n    },\n    {"name": "e3_safe", "switches": {"a": "b"}},\n' \
  > "$repo/allocator/variants.bzl"
g add -A; g commit -qm old_ship
printf '    {"name": "old_ship", "switches": {"a": "b"}},\n    {\n        "name": "new_ship",\n        "switches": {},\n    },\n' \
  > "$repo/allocator/variants.bzl"
g add -A; g commit -qm moved
# Both names come from the revisions' own variants.bzl (neither is the lab's own shipped build).
expect2 "each revision's own shipped build" "ships old_ship, head .* ships new_ship; judging old_ship -> new_ship" \
  env BUILD_WORKSPACE_DIRECTORY="$repo" "$gate" --base HEAD~1 --head HEAD --workloads random_mixed,mt_churn
echo two > "$repo/a.txt"
expect2 "dirty tree refused" "uncommitted changes in 1 tracked file(s) (first: a.txt)" \
  env BUILD_WORKSPACE_DIRECTORY="$repo" "$gate" --base HEAD --head HEAD --workloads random_mixed
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
