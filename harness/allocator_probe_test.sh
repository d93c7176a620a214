#!/usr/bin/env bash
# The probe names the library that really serves malloc. A preloaded allocator the lab does not
# know (libother_malloc.so: glibc's malloc behind dlsym(RTLD_NEXT)) is other:libother_malloc.so,
# never glibc, and --expect system refuses it (exit 4, no numbers); --expect other:<soname> accepts
# exactly that library. glibc is glibc only when libc.so.6 serves malloc; known peers keep their
# names; a hakmem linked into the executable is hakmem, served by the executable itself.
set -uo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
bench="$1" mt="$2" hakmem_bench="$3" other="$(abs "$4")" nosoname="$(abs "$5")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
lib=/usr/lib/x86_64-linux-gnu
fail=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && cat "$@" | head -5; fail=$((fail + 1)); }

# run NAME PRELOAD EXPECT [BINARY]: one tiny run with --json (and --expect EXPECT unless "").
run() {
  local name="$1" pre="$2" expect="$3" bin="${4:-$bench}"
  local args=(20000 64 1 --json)
  [ "$bin" = "$mt" ] && args=(prodcons --threads 2 --ops 20000 --json)
  [ -n "$expect" ] && args+=(--expect "$expect")
  LD_PRELOAD="$pre" "$bin" "${args[@]}" >"$tmp/$name.out" 2>"$tmp/$name.err"
  echo $? >"$tmp/$name.code"
}
field() {  # NAME KEY: the JSON record's value of KEY ("" when absent)
  /usr/bin/python3 -c 'import json,sys
try:
    print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2], ""))
except Exception:
    print("")' "$tmp/$1.out" "$2"
}
code() { cat "$tmp/$1.code"; }
# measured NAME ALLOCATOR [SONAME [PATH]]: exit 0 and the record names that allocator (and object).
measured() {
  local name="$1" want="$2" c a s p
  c=$(code "$name") a=$(field "$name" allocator) s=$(field "$name" allocator_soname) p=$(field "$name" allocator_path)
  if [ "$c" = 0 ] && [ "$a" = "$want" ] && { [ $# -lt 3 ] || [ "$s" = "$3" ]; } && { [ $# -lt 4 ] || [ "$p" = "$4" ]; }; then
    ok "$name: allocator=$a soname=$s path=$p"
  else
    bad "$name: exit $c allocator='$a' soname='$s' path='$p' (want $want ${3:-} ${4:-})" "$tmp/$name.out" "$tmp/$name.err"
  fi
}
# refused NAME: exit 4, a "refusing to measure" line that names what serves malloc, no numbers.
refused() {
  local name="$1" served="$2"
  if [ "$(code "$name")" = 4 ] && ! grep -q ops_per_sec "$tmp/$name.out" &&
     grep -q "refusing to measure: .*served by $served" "$tmp/$name.err"; then
    ok "$name: $(grep refusing "$tmp/$name.err")"
  else
    bad "$name: exit $(code "$name") (want 4, refused, served by $served)" "$tmp/$name.out" "$tmp/$name.err"
  fi
}

libc=$(readlink -f "$lib/libc.so.6")

# glibc: no preload.
run glibc "" system
measured glibc glibc libc.so.6 "$libc"
run glibc_no_expect "" ""
measured glibc_no_expect glibc libc.so.6

# An unknown library: other:<soname>, never glibc.
run other "$other" other:libother_malloc.so
measured other other:libother_malloc.so libother_malloc.so "$(readlink -f "$other")"
run other_no_expect "$other" ""
measured other_no_expect other:libother_malloc.so libother_malloc.so
run other_as_system "$other" system
refused other_as_system other:libother_malloc.so
run other_as_glibc "$other" glibc
refused other_as_glibc other:libother_malloc.so
run other_as_another "$other" other:libsomething_else.so
refused other_as_another other:libother_malloc.so
run other_as_mimalloc "$other" mimalloc
refused other_as_mimalloc other:libother_malloc.so
# Without a soname the file name stands in.
run nosoname "$nosoname" other:libother_malloc_nosoname.so
measured nosoname other:libother_malloc_nosoname.so "" "$(readlink -f "$nosoname")"

# A preload the loader ignored: glibc serves, and other:... refuses.
run other_wrong_path "$tmp/no-such/libother_malloc.so" other:libother_malloc.so
refused other_wrong_path glibc
run other_not_loaded "" other:libother_malloc.so
refused other_not_loaded glibc

# bench_mt carries the same fields.
run mt_other "$other" other:libother_malloc.so "$mt"
measured mt_other other:libother_malloc.so libother_malloc.so "$(readlink -f "$other")"
run mt_other_as_system "$other" system "$mt"
if [ "$(code mt_other_as_system)" = 4 ] && grep -q "refusing to measure" "$tmp/mt_other_as_system.err"; then
  ok "mt_other_as_system: refused"
else
  bad "mt_other_as_system: exit $(code mt_other_as_system)" "$tmp/mt_other_as_system.err"
fi

# Known peers keep their names.
run mimalloc "$lib/libmimalloc.so.2" mimalloc
measured mimalloc mimalloc libmimalloc.so.2
run mimalloc_as_system "$lib/libmimalloc.so.2" system
refused mimalloc_as_system mimalloc
run jemalloc "$lib/libjemalloc.so.2" jemalloc
measured jemalloc jemalloc libjemalloc.so.2
run tcmalloc "$lib/libtcmalloc_minimal.so.4" tcmalloc
measured tcmalloc tcmalloc libtcmalloc_minimal.so.4
# Two preloads: the first one serves malloc, and is named.
run other_then_mimalloc "$other:$lib/libmimalloc.so.2" ""
measured other_then_mimalloc other:libother_malloc.so libother_malloc.so
run mimalloc_then_other "$lib/libmimalloc.so.2:$other" ""
measured mimalloc_then_other mimalloc libmimalloc.so.2

# hakmem linked into the executable: the executable serves malloc, even with a preload.
exe=$(readlink -f "$hakmem_bench")
run hakmem "" hakmem "$hakmem_bench"
measured hakmem hakmem "" "$exe"
run hakmem_with_other "$other" hakmem "$hakmem_bench"
measured hakmem_with_other hakmem "" "$exe"

echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
