#!/usr/bin/env bash
# The sweep's outputs are checked before anything is measured, and never collide:
#   - an --out or --csv in a directory that does not exist is exit 2 naming the directory, and
#     no benchmark has run (a stand-in tree counts the starts of its benchmark);
#   - two sweeps started in the same second with the default --out write two files;
#   - --csv writes a header and one row per point; --commit accepts only a full commit id.
set -uo pipefail
sweep="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
rf="${TEST_SRCDIR:?}/hakmem_lab"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/sweepcli"
rm -rf "$tmp" && mkdir -p "$tmp"
fail=0 passed=0
check() {  # description, condition...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; passed=$((passed + 1)); else echo "FAIL $what"; fail=$((fail + 1)); fi
}

# A stand-in tree whose bench_random_mixed counts its starts, then runs the real e3 binary.
tree="$tmp/tree"
mkdir -p "$tree/harness" "$tree/tools"
cp "$rf/tools/variants.json" "$tree/tools/"
cat >"$tree/harness/bench_random_mixed.e3" <<EOS
#!/usr/bin/env bash
echo x >>"$tree/starts"
exec "$rf/harness/bench_random_mixed.e3" "\$@"
EOS
chmod +x "$tree/harness/bench_random_mixed.e3"

for flag in --out --csv; do
  rm -f "$tree/starts"
  args=(--variants a=e3@"$tree" --workloads random_mixed --quick)
  [ "$flag" = --csv ] && args+=(--out "$tmp/ok.json")
  "$sweep" "${args[@]}" "$flag" /nonexistent/dir/x >"$tmp/o" 2>"$tmp/e"
  code=$?
  check "$flag in a missing directory: exit 2 (got $code)" test "$code" = 2
  check "$flag in a missing directory: the message names it" grep -q -e "$flag /nonexistent/dir/x: directory /nonexistent/dir does not exist" "$tmp/e"
  check "$flag in a missing directory: nothing was measured" test ! -e "$tree/starts"
done

"$sweep" --variants e3 --workloads random_mixed --quick --commit abc --out "$tmp/c.json" >"$tmp/o" 2>"$tmp/e"
code=$?
check "--commit abc: exit 2 (got $code)" test "$code" = 2 -a "$(grep -c 'full 40-hex commit id' "$tmp/e")" = 1

# Two sweeps in the same second, default --out: results/sweep-<second>-<pid>.json each.
ws="$tmp/ws"
mkdir -p "$ws" && git -C "$ws" init -q && echo x >"$ws/f" && git -C "$ws" add f &&
  git -C "$ws" -c user.name=lab -c user.email=lab@example.org commit -qm init
for i in 1 2; do
  BUILD_WORKSPACE_DIRECTORY="$ws" "$sweep" --variants e3 --workloads random_mixed --quick --rounds 1 \
    >"$tmp/twin$i.out" 2>"$tmp/twin$i.err" &
  pids[$i]=$!
done
wait "${pids[1]}"; c1=$?
wait "${pids[2]}"; c2=$?
check "same second: both sweeps exit 0 ($c1, $c2)" test "$c1$c2" = 00
check "same second: two result files" test "$(ls "$ws"/results/sweep-*.json | wc -l)" = 2

# --csv: a header and one row per point, the point's median as the JSON has it.
"$sweep" --variants e3,system --workloads random_mixed --quick --rounds 1 --out "$tmp/r.json" --csv "$tmp/r.csv" \
  >"$tmp/o" 2>"$tmp/e"
check "--csv: exit 0" test $? = 0
check "--csv: header + one row per point" /usr/bin/python3 -c '
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
r = json.load(open(sys.argv[2]))
assert len(rows) == len(r["points"]) == 4, (len(rows), len(r["points"]))
for row, p in zip(rows, r["points"]):
    assert row["workload"] == p["workload"] and row["variant"] == p["variant"] and row["label"] == p["label"]
    assert abs(float(row["median"]) - p["median"]) <= 1e-9 * p["median"]
' "$tmp/r.csv" "$tmp/r.json"

# medium_mixed: the quick grid is ws 128 and 2048 at 5e5 cycles, sizes 1025..32768, one point per
# variant, each record the medium program's (mean request in its range), labels ws=N.
"$sweep" --variants x2_mid,system --workloads medium_mixed --quick --rounds 1 --out "$tmp/m.json" \
  >"$tmp/mo" 2>"$tmp/me"
check "medium_mixed: exit 0" test $? = 0
check "medium_mixed: quick grid, both variants" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
pts = r["points"]
assert sorted((p["variant"], p["label"]) for p in pts) == [
    ("system", "ws=128"), ("system", "ws=2048"), ("x2_mid", "ws=128"), ("x2_mid", "ws=2048")], pts
for p in pts:
    assert p["workload"] == "medium_mixed", p
    assert p["params"]["cycles"] == 5e5 and p["params"]["min_size"] == 1025 and p["params"]["max_size"] == 32768, p
    assert p["median"] > 0, p
' "$tmp/m.json"

echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
