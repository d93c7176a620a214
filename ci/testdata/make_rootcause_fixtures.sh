#!/usr/bin/env bash
# Regenerates the callgrind fixtures of //ci:rootcause_test (run from the repository root;
# an argument writes them to another folder instead):
#   random_mixed.{e2,e3}.callgrind  the benchmark's measured loop, as the sweep profiles it
#                                   (e2's free path calls hak::RegistryLookup, e3's does not)
#   tiny.callgrind                  //ci:rootcause_fixture_prog, positions: line
#   tiny_instr.callgrind            the same with --dump-instr=yes --collect-jumps=yes
#                                   (positions: instr line, jcnd= lines)
# tiny*: the tests assert call counts fixed by the program and relations between costs, so a
# regenerated pair passes as it is. random_mixed.*: the tests also pin totals and inclusive costs
# read from these files with `callgrind_annotate --inclusive=yes FILE`; the benchmark and the
# allocator change, so after regenerating, re-read those numbers and update rootcause_test.cc.
set -euo pipefail
out="${1:-ci/testdata}"  # another folder: compare before replacing
bazel build //harness:bench_random_mixed.e2 //harness:bench_random_mixed.e3 //ci:rootcause_fixture_prog
cg() { valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$@" >/dev/null 2>&1; }
for c in e2 e3; do
  cg "$out/random_mixed.$c.callgrind" "bazel-bin/harness/bench_random_mixed.$c" 200000 1024 1234567 --json
done
cg "$out/tiny.callgrind" bazel-bin/ci/rootcause_fixture_prog
cg "$out/tiny_instr.callgrind" --dump-instr=yes --collect-jumps=yes bazel-bin/ci/rootcause_fixture_prog
chmod 644 "$out"/*.callgrind
ls -l "$out"/*.callgrind
