#!/usr/bin/env bash
# The sweep under failure. A stand-in tree (LABEL=CONFIG@DIR) whose bench_random_mixed wraps the
# real e3 binary and, on its Nth start, dies of SIGSEGV or hangs:
#   - the sweep exits 3 and names the point, the variant and why;
#   - the points measured before the failure are kept in a result marked incomplete;
#   - with --record nothing is recorded as a baseline;
#   - a hang is ended by --timeout;
#   - Ctrl-C (SIGINT to the sweep alone, as a terminal's reaches it: children run in their own
#     process groups) ends the running benchmark, keeps a partial result marked incomplete,
#     prints one line and exits 130.
# And two sweeps recording the same commit at once: one baseline, complete, and the loser says so.
set -uo pipefail
sweep="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
rf="${TEST_SRCDIR:?}/hakmem_lab"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/sweepfail"
rm -rf "$tmp" && mkdir -p "$tmp"
fail=0 passed=0
check() {  # description, condition...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; passed=$((passed + 1)); else echo "FAIL $what"; fail=$((fail + 1)); fi
}

# A workspace the sweep may record into: a git repository with one commit.
ws="$tmp/ws"
mkdir -p "$ws" && git -C "$ws" init -q && echo x >"$ws/f" && git -C "$ws" add f &&
  git -C "$ws" -c user.name=lab -c user.email=lab@example.org commit -qm init

make_tree() {  # dir, mode (crash|hang), start number that fails
  local dir="$1" mode="$2" at="$3"
  mkdir -p "$dir/harness" "$dir/tools"
  cp "$rf/tools/variants.json" "$dir/tools/"
  for p in bench_mt alloc_benchmark; do ln -sf "$rf/harness/$p.e3" "$dir/harness/$p.e3"; done
  local action='kill -SEGV $$'
  [ "$mode" = hang ] && action='echo $$ >"'"$dir"'/hung.pid"; exec sleep 600'
  cat >"$dir/harness/bench_random_mixed.e3" <<EOF
#!/usr/bin/env bash
n=\$((\$(cat "$dir/count" 2>/dev/null || echo 0) + 1)); echo \$n >"$dir/count"
if [ \$n -eq $at ]; then $action; fi
exec "$rf/harness/bench_random_mixed.e3" "\$@"
EOF
  chmod +x "$dir/harness/bench_random_mixed.e3"
}

py() { /usr/bin/python3 -c "$1" "${@:2}"; }

# ---- 1. a crash in the middle: start 1 is the sweep's identity check, 2..4 are measured ----
make_tree "$tmp/crash" crash 5
out="$tmp/crash.json"
BUILD_WORKSPACE_DIRECTORY="$ws" "$sweep" --variants a=e3@"$tmp/crash",b=e3 --workloads random_mixed \
  --quick --seed 3 --record --allow-dirty --out "$out" >"$tmp/crash.out" 2>"$tmp/crash.err"
code=$?
check "crash: exit 3 (got $code)" test "$code" = 3
check "crash: the reason names the point, the variant and the exit" \
  grep -q -E "sweep: random_mixed .* variant a round [0-9]+: exit " "$tmp/crash.err"
check "crash: a partial result is written, marked incomplete" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["complete"] is False and "variant a" in r["incomplete_reason"] else 1)' "$out"
check "crash: the points measured before the crash are kept" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); n=sum(1 for p in r["points"] if p["samples"]); sys.exit(0 if n >= 2 else 1)' "$out"
check "crash: nothing recorded as a baseline" test ! -e "$ws/baselines"
check "crash: says it was not recorded" grep -q "not recorded as a baseline" "$tmp/crash.err"

# ---- 2. a hang: the per-run time limit ends it ----
make_tree "$tmp/hang" hang 3
start=$SECONDS
"$sweep" --variants a=e3@"$tmp/hang" --workloads random_mixed --quick --timeout 5 --out "$tmp/hang.json" \
  >"$tmp/hang.out" 2>"$tmp/hang.err"
code=$?
check "hang: exit 3 (got $code) within the limit ($((SECONDS - start)) s)" test "$code" = 3 -a $((SECONDS - start)) -lt 60
check "hang: the reason says timed out" grep -q "timed out after 5s" "$tmp/hang.err"
check "hang: result marked incomplete" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["complete"] is False and "timed out" in r["incomplete_reason"] else 1)' "$tmp/hang.json"

# ---- 2b. Ctrl-C while a benchmark runs ----
make_tree "$tmp/intr" hang 4
"$sweep" --variants a=e3@"$tmp/intr" --workloads random_mixed --quick --out "$tmp/intr.json" \
  >"$tmp/intr.out" 2>"$tmp/intr.err" &
spid=$!
for _ in $(seq 1 300); do [ -s "$tmp/intr/hung.pid" ] && break; sleep 0.1; done
kill -INT "$spid"
wait "$spid"; code=$?
child=$(cat "$tmp/intr/hung.pid" 2>/dev/null || echo none)
sleep 0.2
check "interrupt: exit 130 (got $code)" test "$code" = 130
check "interrupt: the running benchmark ($child) is gone" sh -c "! kill -0 $child 2>/dev/null"
check "interrupt: one line on stderr, saying so" \
  test "$(grep -v '^\[' "$tmp/intr.err" | wc -l)" = 1 -a "$(grep -c 'interrupted (SIGINT)' "$tmp/intr.err")" = 1
check "interrupt: the partial result is kept, marked incomplete" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["complete"] is False and r["incomplete_reason"].startswith("interrupted (SIGINT)") and r["points"] else 1)' "$tmp/intr.json"
check "interrupt: no temporary file of the sweep is left" test -z "$(ls /tmp/hakmem-sweep-cg.$spid 2>/dev/null)"

# ---- 3. two sweeps recording the same commit at once ----
for i in 1 2; do
  BUILD_WORKSPACE_DIRECTORY="$ws" "$sweep" --variants e3 --workloads random_mixed --quick --seed $i \
    --record --allow-dirty --out "$tmp/twin$i.json" >"$tmp/twin$i.out" 2>"$tmp/twin$i.err" &
  pids[$i]=$!
done
wait "${pids[1]}"; c1=$?
wait "${pids[2]}"; c2=$?
baselines=$(find "$ws/baselines" -path '*/quick/commits/*.json' 2>/dev/null | grep -v '\.tmp\.' | wc -l)
check "twins: exits $c1 and $c2: one 0, one 2" test "$(echo "$c1 $c2" | tr ' ' '\n' | sort | tr '\n' ' ')" = "0 2 "
check "twins: exactly one baseline file ($baselines), no temporary left" \
  test "$baselines" = 1 -a "$(find "$ws/baselines" -name '*.tmp.*' | wc -l)" = 0
check "twins: the baseline is one sweep's complete result" \
  py 'import json,sys,glob
b=glob.glob(sys.argv[1]+"/baselines/*/quick/commits/*.json")[0]; r=json.load(open(b))
import os; twins=[json.load(open(f)) for f in sys.argv[2:] if os.path.exists(f)]
sys.exit(0 if r["complete"] and any(r["points"]==t["points"] for t in twins) else 1)' "$ws" "$tmp/twin1.json" "$tmp/twin2.json"
check "twins: the loser names the existing baseline and keeps its own result" \
  grep -h -q -E "exists|not replaced" "$tmp/twin1.err" "$tmp/twin2.err"

check "twins: stored by the store's rule, <machine>/quick/commits/<commit>.json, beside machine.json" \
  py 'import glob,sys,subprocess
sha=subprocess.run(["git","-C",sys.argv[1],"rev-parse","HEAD"],capture_output=True,text=True).stdout.strip()
sys.exit(0 if glob.glob(sys.argv[1]+"/baselines/*/quick/commits/"+sha+".json") and glob.glob(sys.argv[1]+"/baselines/*/machine.json") else 1)' "$ws"

# ---- 4. --record where the store cannot be: refused before anything runs, naming the directory ----
make_tree "$tmp/rec" crash 99
echo "a file" >"$tmp/plainfile"
HAKMEM_LAB_BASELINES="$tmp/plainfile/store" BUILD_WORKSPACE_DIRECTORY="$ws" "$sweep" --variants a=e3@"$tmp/rec" \
  --workloads random_mixed --quick --record --allow-dirty --out "$tmp/rec.json" >"$tmp/rec.out" 2>"$tmp/rec.err"
code=$?
check "record into an impossible directory: exit 2 (got $code)" test "$code" = 2
check "record into an impossible directory: names it ($(cat "$tmp/rec.err"))" \
  grep -q -F "cannot create directory $tmp/plainfile/store/" "$tmp/rec.err"
check "record into an impossible directory: nothing was run" test ! -e "$tmp/rec/count"

echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
