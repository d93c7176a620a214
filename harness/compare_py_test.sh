#!/usr/bin/env bash
# Google Benchmark's own compare.py (Debian's libbenchmark-tools) reads what the lab writes:
#   - a lab result (its "benchmarks" array): `compare.py benchmarks A.json B.json` and
#     `compare.py filters R.json e3/ system/` (two variants of one interleaved sweep);
#   - the raw Google Benchmark JSON the sweep keeps beside its result for the gbench workload.
set -uo pipefail
sweep="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
compare=/usr/share/benchmark/compare.py
py=/usr/bin/python3  # Debian's, which has the scipy compare.py needs
tmp="${TEST_TMPDIR:-$(mktemp -d)}/comparepy"
rm -rf "$tmp" && mkdir -p "$tmp"
fail=0 passed=0
check() {  # description, condition...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; passed=$((passed + 1)); else echo "FAIL $what"; fail=$((fail + 1)); fi
}
[ -e "$compare" ] || { echo "FAIL $compare missing (tools/setup.sh installs libbenchmark-tools)"; exit 1; }

for i in 1 2; do
  "$sweep" --variants e3,system --workloads random_mixed --quick --rounds 3 --seed $i --out "$tmp/r$i.json" \
    >/dev/null 2>"$tmp/sweep$i.err" || { cat "$tmp/sweep$i.err"; exit 1; }
done
"$py" "$compare" benchmarks "$tmp/r1.json" "$tmp/r2.json" >"$tmp/bench.out" 2>&1
check "compare.py benchmarks: exit 0" test $? = 0
check "compare.py benchmarks: a row per point, named variant/workload/label" \
  grep -q "e3/random_mixed/ws=128" "$tmp/bench.out"
check "compare.py benchmarks: the system rows too" grep -q "system/random_mixed/ws=1024" "$tmp/bench.out"
"$py" "$compare" filters "$tmp/r1.json" e3/ system/ >"$tmp/filters.out" 2>&1
check "compare.py filters e3/ system/: exit 0 and both points" \
  sh -c "grep -q 'random_mixed/ws=128' '$tmp/filters.out' && grep -q 'random_mixed/ws=1024' '$tmp/filters.out'"
# The time compare.py reads is 1e9 / median ops/s: its old/new columns are the lab's medians.
check "compare.py's time is 1e9 / the lab's median" "$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))
b = {x["name"]: x for x in r["benchmarks"]}
for p in r["points"]:
    x = b[p["variant"] + "/" + p["workload"] + "/" + p["label"]]
    assert x["time_unit"] == "ns" and abs(x["real_time"] - 1e9 / p["median"]) < 1e-6 * x["real_time"], x
' "$tmp/r1.json"

"$sweep" --variants e3 --workloads gbench --quick --rounds 2 --out "$tmp/g.json" >/dev/null 2>"$tmp/g.err"
check "gbench sweep: exit 0" test $? = 0
check "gbench sweep: raw JSON kept beside the result" test -s "$tmp/g.gbench-e3.json"
"$py" "$compare" benchmarks "$tmp/g.gbench-e3.json" "$tmp/g.gbench-e3.json" >"$tmp/g.out" 2>&1
check "compare.py reads the raw gbench JSON (both rounds as repetitions)" \
  sh -c "test \$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[\"benchmarks\"]))' '$tmp/g.gbench-e3.json') -ge 2 && grep -q BM_ '$tmp/g.out'"

echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
