#!/usr/bin/env bash
# A preloaded allocator the loader ignores (wrong path, wrong architecture, not a library) is
# caught before any number is reported: the benchmark's --expect check finds glibc still serving
# malloc and refuses (exit 4, no JSON record); a preload that did load is measured.
set -uo pipefail
bench="$1" hakmem="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail=0 passed=0
try() {  # name, want (ok|refused), allocator, LD_PRELOAD value
  local name="$1" want="$2" alloc="$3" pre="$4" code
  LD_PRELOAD="$pre" "$bench" 20000 64 1 --json --expect "$alloc" >"$tmp/$name.out" 2>"$tmp/$name.err"
  code=$?
  if [ "$want" = ok ] && [ "$code" = 0 ] && grep -q "\"allocator\":\"$alloc\"" "$tmp/$name.out"; then
    echo "ok   $name: measured under $alloc"; passed=$((passed + 1))
  elif [ "$want" = refused ] && [ "$code" = 4 ] && ! grep -q ops_per_sec "$tmp/$name.out" &&
       grep -q "refusing to measure" "$tmp/$name.err"; then
    echo "ok   $name: refused before measuring: $(grep refusing "$tmp/$name.err")"; passed=$((passed + 1))
  else
    echo "FAIL $name: exit $code (want $want)"; cat "$tmp/$name.out" "$tmp/$name.err" | head -5
    fail=$((fail + 1))
  fi
}
lib=/usr/lib/x86_64-linux-gnu
try mimalloc_loaded ok mimalloc "$lib/libmimalloc.so.2"
try jemalloc_loaded ok jemalloc "$lib/libjemalloc.so.2"
try hakmem_loaded ok hakmem "$hakmem"
try mimalloc_wrong_path refused mimalloc "/nonexistent/libmimalloc.so.2"
try hakmem_wrong_path refused hakmem "$tmp/no-such/libhakmem.so"
echo "not an ELF file" >"$tmp/libfake.so"
try not_a_library refused tcmalloc "$tmp/libfake.so"
i386=$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.scudo-i386.so 2>/dev/null | head -1)
if [ -n "$i386" ]; then
  try wrong_architecture refused mimalloc "$i386"
else
  echo "FAIL wrong_architecture: no i386 library (libclang-rt-14-dev): run tools/setup.sh"; fail=$((fail + 1))
fi
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
