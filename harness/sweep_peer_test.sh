#!/usr/bin/env bash
# sweep --peer NAME=/path/lib.so: an allocator the lab does not know, measured like any peer.
#   - its runs use the glibc-linked binaries under LD_PRELOAD, each checked by the probe to be
#     served by that library (other:<soname>);
#   - the result records the library's path, soname and sha256, and reads back valid;
#   - a bad --peer (no '=', missing file, not a library of this machine, a library that does not
#     serve malloc or cannot load) is one line, exit 2, before anything is measured.
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
sweep="$(abs "$1")" lib="$(abs "$2")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/sweeppeer"
rm -rf "$tmp" && mkdir -p "$tmp"
fail=0 passed=0
check() {  # description, condition...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; passed=$((passed + 1)); else echo "FAIL $what"; fail=$((fail + 1)); fi
}
py() { /usr/bin/python3 -c "$1" "${@:2}"; }
hash=$(sha256sum "$lib" | cut -c1-64)

# ---- 1. the peer is measured and recorded ----
out="$tmp/x.json"
"$sweep" --peer other="$lib" --variants system --workloads random_mixed --quick --rounds 1 --out "$out" \
  >"$tmp/ok.out" 2>"$tmp/ok.err"
code=$?
check "peer: exit 0 (got $code)" test "$code" = 0
[ "$code" = 0 ] || head -5 "$tmp/ok.err"
check "peer: variants are system, then other" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if [v["name"] for v in r["variants"]]==["system","other"] else 1)' "$out"
check "peer: probed as other:libother_malloc.so" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); v=r["variants"][1]; sys.exit(0 if v["allocator"]=="other:libother_malloc.so" else 1)' "$out"
check "peer: path, soname and sha256 recorded" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); p=r["variants"][1]["preload"]
sys.exit(0 if p=={"path":sys.argv[2],"soname":"libother_malloc.so","sha256":sys.argv[3]} else 1)' "$out" "$lib" "$hash"
check "peer: system is glibc, with no preload" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); v=r["variants"][0]; sys.exit(0 if v["allocator"]=="glibc" and "preload" not in v else 1)' "$out"
check "peer: its points are measured" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); n=sum(1 for p in r["points"] if p["variant"]=="other" and p["samples"]); sys.exit(0 if n==2 else 1)' "$out"
check "peer: the table has its column" grep -q -E "^random_mixed .* x[0-9.]+" "$tmp/ok.out"

# ---- 2. placed in --variants, and through Google Benchmark's context check ----
out2="$tmp/placed.json"
"$sweep" --variants other,system --peer other="$lib" --workloads random_mixed,gbench --quick --rounds 1 \
  --out "$out2" >"$tmp/placed.out" 2>"$tmp/placed.err"
code=$?
check "placed: exit 0 (got $code)" test "$code" = 0
[ "$code" = 0 ] || head -5 "$tmp/placed.err"
check "placed: other comes first, gbench points measured for it" \
  py 'import json,sys; r=json.load(open(sys.argv[1])); ok=[v["name"] for v in r["variants"]]==["other","system"]
n=sum(1 for p in r["points"] if p["variant"]=="other" and p["workload"].startswith("gbench/"))
sys.exit(0 if ok and n>0 else 1)' "$out2"

# ---- 3. a bad --peer: one line, exit 2, nothing measured, no result ----
refused() {  # name, expected message (grep -E), sweep arguments...
  local name="$1" msg="$2"; shift 2
  "$sweep" --variants system --workloads random_mixed --quick --rounds 1 --out "$tmp/$name.json" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  local c=$? lines
  lines=$(wc -l <"$tmp/$name.err")
  if [ "$c" = 2 ] && [ "$lines" = 1 ] && grep -q -E -e "$msg" "$tmp/$name.err" && ! grep -q '^\[' "$tmp/$name.err" &&
     [ ! -e "$tmp/$name.json" ]; then
    echo "ok   $name: $(cat "$tmp/$name.err")"; passed=$((passed + 1))
  else
    echo "FAIL $name: exit $c, $lines line(s) (want 2, one line matching '$msg')"; head -5 "$tmp/$name.err"
    fail=$((fail + 1))
  fi
}
refused no_equals "bad --peer 'other'" --peer other
refused empty_path "bad --peer" --peer other=
refused missing_file "--peer other: .*no-such.so: no such file" --peer other="$tmp/no-such.so"
echo "not an ELF file" >"$tmp/libfake.so"
refused not_elf "--peer other: not loadable: .*libfake.so: not an ELF file" --peer other="$tmp/libfake.so"
i386=$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.scudo-i386.so 2>/dev/null | head -1)
if [ -n "$i386" ]; then
  refused wrong_architecture "--peer other: not loadable: .*another architecture" --peer other="$i386"
else
  echo "FAIL wrong_architecture: no i386 library (libclang-rt-14-dev): run tools/setup.sh"; fail=$((fail + 1))
fi
# A library that loads but does not serve malloc: the probe still finds glibc, and refuses.
refused not_an_allocator "--peer m: .*asked for other:libm.so.6 but malloc is served by glibc" \
  --peer m=/usr/lib/x86_64-linux-gnu/libm.so.6
# A library whose dependency is missing: the loader gives up on the program.
py 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d.replace(b"libc.so.6\0", b"libq.so.6\0"))' \
  "$lib" "$tmp/libbroken.so"
refused missing_dependency "--peer broken: .*libq.so.6" --peer broken="$tmp/libbroken.so"
refused name_of_a_config "--peer mimalloc: a config has that name" --peer mimalloc="$lib"
refused given_twice "--peer other given twice" --peer other="$lib" --peer other="$lib"
refused label_clash "variant 'other' given twice" --peer other="$lib" --variants other=e3
refused colon_in_path "LD_PRELOAD cannot carry" --peer other="$tmp/a:b.so"

echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
