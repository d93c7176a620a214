// A tiny program with a known call graph, profiled by make_rootcause_fixtures.sh into
// tiny.callgrind and tiny_instr.callgrind (rootcause_test checks the call counts below).
// Only the part between the callgrind client requests is collected:
//   main -> Leaf x10, main -> Mid x3, Mid -> Leaf x2 each (Leaf: 16 calls), main -> Fact(5) x1,
//   Fact -> Fact x4 (recursion).
#include <valgrind/callgrind.h>

namespace fixture {
namespace {

__attribute__((noipa)) int Leaf(int x) { return x * 3 + 1; }

__attribute__((noipa)) int Mid(int x) { return Leaf(x) + Leaf(x + 1); }

__attribute__((noipa)) int Fact(int n) {
  if (n <= 1) return 1;
  int r = Fact(n - 1);
  asm volatile("" : "+r"(r));  // keeps the recursion a real call (no accumulator loop)
  return n * r;
}

}  // namespace
}  // namespace fixture

int main(int argc, char**) {
  volatile int sink = 0;
  CALLGRIND_START_INSTRUMENTATION;
  for (int i = 0; i < 10; ++i) sink = sink + fixture::Leaf(i + argc);
  for (int i = 0; i < 3; ++i) sink = sink + fixture::Mid(i + argc);
  sink = sink + fixture::Fact(4 + argc);
  CALLGRIND_STOP_INSTRUMENTATION;
  return sink == 0 ? 1 : 0;
}
