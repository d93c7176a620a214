// fastpath_probe MODE [n] — run under
//   valgrind --tool=callgrind --collect-atstart=no fastpath_probe MODE
// to count the instructions of n tiny malloc hits (MODE=malloc), n tiny free hits (MODE=free),
// or n empty collection windows (MODE=empty: the toggle's own cost, to subtract).
// Each measured call sits alone between two CALLGRIND_TOGGLE_COLLECTs, after a warm-up that
// leaves the thread's free list holding n blocks of the size (so every malloc is a hit) with room
// for n more (so every free is a hit). The seeds' budget: "fast path must stay <10 cycles".
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
constexpr size_t kSize = 24;  // hakmem C2 (32-byte blocks); a tiny size for every allocator
constexpr int kMaxN = 100;    // below hakmem's C2 cache capacity (256) with a batch left over
void* volatile g_blocks[kMaxN];
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "malloc") != 0 && strcmp(argv[1], "free") != 0 &&
                   strcmp(argv[1], "empty") != 0)) {
    fprintf(stderr, "usage: fastpath_probe malloc|free|empty [n<=%d]\n", kMaxN);
    return 2;
  }
  const int n = argc > 2 ? atoi(argv[2]) : kMaxN;
  if (n < 1 || n > kMaxN) {
    fprintf(stderr, "fastpath_probe: n must be 1..%d\n", kMaxN);
    return 2;
  }
  // Warm-up: the free list now holds n blocks of kSize.
  for (int i = 0; i < n; ++i) g_blocks[i] = malloc(kSize);
  for (int i = 0; i < n; ++i) free(g_blocks[i]);

  if (strcmp(argv[1], "malloc") == 0) {
    for (int i = 0; i < n; ++i) {
      CALLGRIND_TOGGLE_COLLECT;
      void* p = malloc(kSize);
      CALLGRIND_TOGGLE_COLLECT;
      g_blocks[i] = p;
    }
    for (int i = 0; i < n; ++i) free(g_blocks[i]);
  } else if (strcmp(argv[1], "free") == 0) {
    for (int i = 0; i < n; ++i) g_blocks[i] = malloc(kSize);
    for (int i = 0; i < n; ++i) {
      void* p = g_blocks[i];
      CALLGRIND_TOGGLE_COLLECT;
      free(p);
      CALLGRIND_TOGGLE_COLLECT;
    }
  } else {
    for (int i = 0; i < n; ++i) {
      CALLGRIND_TOGGLE_COLLECT;
      __asm__ volatile("" ::: "memory");
      CALLGRIND_TOGGLE_COLLECT;
    }
  }
  printf("fastpath_probe %s n=%d\n", argv[1], n);
  return 0;
}
