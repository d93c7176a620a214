// api_test.cc — test of layer 5: API conformance through the direct hak_* API (so it also runs under ASan and TSan, which
// replace malloc themselves). The malloc-symbol override is tested in override_test.cc.
#include "allocator/api.h"
#include "allocator/config.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <cstdint>
#include <cstring>
#include <vector>

#include "allocator/size_classes.h"

namespace {

bool Aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

// Sizes at and around every tier and class edge.
std::vector<size_t> EdgeSizes() {
  std::vector<size_t> v = {0, 1, 7, 8, 15, 16, 17, 31, 32, 63, 64, 127, 128, 255, 256, 511, 512,
                           1023, 1024, 1025, 2048, 2049, 4096, 8192, 16384, 32768, 40960,
                           53248, 53249, 65536, 1 << 20, (2 << 20) - 16, 2 << 20, (2 << 20) + 1,
                           4 << 20};
  return v;
}

TEST(Api, EveryPathMeetsTheAlignmentGuarantee) {
  for (size_t n : EdgeSizes()) {
    void* p = hak_malloc(n);
    ASSERT_NE(p, nullptr) << n;
    EXPECT_TRUE(Aligned(p, n >= 16 ? 16 : 8)) << "malloc(" << n << ") = " << p;
    EXPECT_GE(hak_malloc_usable_size(p), n);
    memset(p, 0xAB, n);
    hak_free(p);
  }
}

TEST(Api, UsableSizeCoversRequestAndIsWritable) {
  for (size_t n = 0; n < 70000; n += (n < 2100 ? 1 : 977)) {
    auto* p = static_cast<unsigned char*>(hak_malloc(n));
    ASSERT_NE(p, nullptr);
    const size_t u = hak_malloc_usable_size(p);
    ASSERT_GE(u, n);
    memset(p, 0xCD, u);  // every usable byte may be written
    hak_free(p);
  }
}

TEST(Api, CallocZeroesAndChecksOverflow) {
  errno = 0;
  EXPECT_EQ(hak_calloc(SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  for (size_t n : EdgeSizes()) {
    // Dirty a block of the same size first, so calloc must really zero a recycled one.
    void* d = hak_malloc(n);
    memset(d, 0xFF, n);
    hak_free(d);
    auto* p = static_cast<unsigned char*>(hak_calloc(1, n));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], 0) << "calloc(" << n << ")[" << i << "]";
    hak_free(p);
  }
}

TEST(Api, ReallocEdgeCases) {
  void* p = hak_realloc(nullptr, 100);  // realloc(NULL, n) == malloc(n)
  ASSERT_NE(p, nullptr);
  EXPECT_GE(hak_malloc_usable_size(p), 100u);
  EXPECT_EQ(hak_realloc(p, 0), nullptr);  // realloc(p, 0) frees p (glibc)
  errno = 0;
  EXPECT_EQ(hak_reallocarray(nullptr, SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(Api, ReallocInPlaceWhenTheClassFits) {
  void* p = hak_malloc(100);  // C4: 127 usable
  EXPECT_EQ(hak_realloc(p, 120), p);
  EXPECT_EQ(hak_realloc(p, 70), p);
  hak_free(p);
}

// chunk_arena=on: a pool block growing past half the pool tier (26 KiB) moves once, to an arena
// chunk (whole 64 KiB granules), which the next growth fits; a smaller growth stays a pool block.
TEST(Api, ReallocGrowingPastHalfThePoolTierMovesToAChunkOnce) {
  if (!hak::kChunkArena) GTEST_SKIP() << "chunk_arena=off: pool blocks move from class to class";
  const size_t chunk_usable = (size_t{64} << 10) - 16;
  size_t n = 16 << 10;
  auto* p = static_cast<unsigned char*>(hak_malloc(n));
  ASSERT_NE(p, nullptr);
  memset(p, 0x5a, n);
  for (;;) {  // one byte past the usable size each step: every step has to move
    const size_t old = n;
    n = hak_malloc_usable_size(p) + 1;
    p = static_cast<unsigned char*>(hak_realloc(p, n));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < old; ++i) ASSERT_EQ(p[i], 0x5a) << old << " -> " << n << " @" << i;
    memset(p, 0x5a, n);
    if (n > (size_t{26} << 10)) break;
    EXPECT_LT(hak_malloc_usable_size(p), chunk_usable) << n << " B: still a pool block";
  }
  EXPECT_GE(hak_malloc_usable_size(p), chunk_usable) << n << " B: an arena chunk";
  EXPECT_EQ(hak_realloc(p, 48 << 10), p) << "the chunk fits the next growth";
  memset(p, 0x3c, 48 << 10);
  p = static_cast<unsigned char*>(hak_realloc(p, 80 << 10));
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < (48 << 10); ++i) ASSERT_EQ(p[i], 0x3c) << i;
  hak_free(p);
}

// A Mid chunk stays in place while the request fits and is at least half of it (hak_realloc's
// inline test); a growth past it or a shrink below half gets a chunk of the new size.
TEST(Api, ReallocOfAChunkStaysInPlaceOnlyWhileItFitsAndIsNotTooBig) {
  auto* p = static_cast<unsigned char*>(hak_malloc(200 << 10));
  ASSERT_NE(p, nullptr);
  const size_t have = hak_malloc_usable_size(p);
  ASSERT_GE(have, size_t{200} << 10);
  memset(p, 0x11, 200 << 10);
  EXPECT_EQ(hak_realloc(p, have), p) << "fits exactly";
  EXPECT_EQ(hak_realloc(p, have / 2 + 1), p) << "more than half";
  EXPECT_EQ(hak_malloc_usable_size(p), have) << "an in-place fit does not resize";
  const size_t big = have + 1;
  p = static_cast<unsigned char*>(hak_realloc(p, big));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(hak_malloc_usable_size(p), big) << "a growth past the chunk resizes it";
  for (size_t i = 0; i < have / 2 + 1; ++i) ASSERT_EQ(p[i], 0x11) << i;
  const size_t small = 70 << 10;
  p = static_cast<unsigned char*>(hak_realloc(p, small));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(hak_malloc_usable_size(p), small);
  EXPECT_LT(hak_malloc_usable_size(p), 2 * small) << "a shrink below half does not keep the big chunk";
  for (size_t i = 0; i < small; ++i) ASSERT_EQ(p[i], 0x11) << i;
  hak_free(p);
}

TEST(Api, ReallocPreservesContentsAcrossEveryClassChange) {
  const std::vector<size_t> sizes = EdgeSizes();
  size_t cur = 1;
  auto* p = static_cast<unsigned char*>(hak_malloc(cur));
  p[0] = 0;
  for (size_t step = 0; step < 2 * sizes.size(); ++step) {
    // Up through every size, then back down.
    const size_t n = step < sizes.size() ? sizes[step] : sizes[2 * sizes.size() - 1 - step];
    if (n == 0) continue;
    for (size_t i = 0; i < cur; ++i) p[i] = static_cast<unsigned char>(i * 7 + 3);
    auto* q = static_cast<unsigned char*>(hak_realloc(p, n));
    ASSERT_NE(q, nullptr);
    const size_t keep = cur < n ? cur : n;
    for (size_t i = 0; i < keep; ++i) {
      ASSERT_EQ(q[i], static_cast<unsigned char>(i * 7 + 3)) << cur << " -> " << n << " @" << i;
    }
    p = q;
    cur = n;
  }
  hak_free(p);
}

TEST(Api, PosixMemalignRejectsBadAlignment) {
  void* p = reinterpret_cast<void*>(0x1);
  EXPECT_EQ(hak_posix_memalign(&p, 3, 64), EINVAL);
  EXPECT_EQ(hak_posix_memalign(&p, 4, 64), EINVAL);  // not a multiple of sizeof(void*)
  EXPECT_EQ(hak_posix_memalign(&p, 24, 64), EINVAL);
  EXPECT_EQ(p, reinterpret_cast<void*>(0x1));  // untouched on failure
  errno = 0;
  EXPECT_EQ(hak_aligned_alloc(24, 64), nullptr);
  EXPECT_EQ(errno, EINVAL);
}

TEST(Api, EveryAlignmentEverySize) {
  for (size_t align = 8; align <= (size_t{1} << 21); align <<= 1) {
    for (size_t n : {size_t{1}, size_t{24}, size_t{1000}, size_t{5000}, size_t{70000}}) {
      void* p = nullptr;
      ASSERT_EQ(hak_posix_memalign(&p, align, n), 0);
      ASSERT_TRUE(Aligned(p, align)) << align << " " << n;
      ASSERT_GE(hak_malloc_usable_size(p), n);
      memset(p, 0x11, n);
      hak_free(p);
      void* q = hak_aligned_alloc(align, n);
      ASSERT_TRUE(Aligned(q, align));
      hak_free(q);
      void* r = hak_memalign(align, n);
      ASSERT_TRUE(Aligned(r, align));
      hak_free(r);
    }
  }
  EXPECT_TRUE(Aligned(hak_memalign(48, 10), 64));  // glibc rounds 48 up to 64
  void* v = hak_valloc(100);
  EXPECT_TRUE(Aligned(v, 4096));
  hak_free(v);
  void* pv = hak_pvalloc(100);
  EXPECT_TRUE(Aligned(pv, 4096));
  EXPECT_GE(hak_malloc_usable_size(pv), 4096u);
  hak_free(pv);
}

TEST(Api, FreePreservesErrnoAndAcceptsNull) {
  void* p = hak_malloc(3 << 20);  // Large: free calls munmap
  errno = 12345;
  hak_free(p);
  hak_free(nullptr);
  EXPECT_EQ(errno, 12345);
  // Every route of the slow path: Mid, pool, a tiny block whose slab goes back (madvise), an
  // interior pointer (a report on stderr), a stack address.
  std::vector<void*> blocks;
  for (size_t n : {size_t{100} << 10, size_t{4000}, size_t{40000}}) blocks.push_back(hak_malloc(n));
  for (int i = 0; i < 20000; ++i) blocks.push_back(hak_malloc(64));
  auto* q = static_cast<char*>(hak_malloc(4000));
  alignas(64) char stack[64];
  errno = 12345;
  for (void* b : blocks) hak_free(b);
  testing::internal::CaptureStderr();
  hak_free(q + 64);
  hak_free(stack + 16);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(errno, 12345);
  hak_free(q);
}

TEST(Api, InteriorPointerIsRefusedOnTheSlowPath) {
  // A pool block's interior pointer: its byte at p-1 is user data, never a valid header here.
  auto* p = static_cast<unsigned char*>(hak_malloc(4000));
  memset(p, 0, 4000);
  const uint64_t before = hak_get_info().invalid_frees;
  hak_free(p + 64);
  EXPECT_EQ(hak_get_info().invalid_frees, before + 1);
  hak_free(p);
}

TEST(Api, LargeAllocationsGoBackToTheOs) {
  const hak_info before = hak_get_info();
  // chunk_arena=on keeps chunks up to kArenaChunkMax in its arenas (chunk_arena.h): a bigger one.
  void* p = hak_malloc(hak::kChunkArena ? size_t{48} << 20 : size_t{8} << 20);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(hak_get_info().live_chunks, before.live_chunks + 1);
  hak_free(p);
  const hak_info after = hak_get_info();
  EXPECT_EQ(after.live_chunks, before.live_chunks);
  EXPECT_EQ(after.os_unmaps, before.os_unmaps + 1);
}

TEST(Api, OutOfMemoryIsEnomemAndRecoverable) {
  hak_test_fail_next_mappings(1000);
  errno = 0;
  EXPECT_EQ(hak_malloc(64 << 20), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  hak_test_fail_next_mappings(0);
  void* p = hak_malloc(64 << 20);
  EXPECT_NE(p, nullptr);
  hak_free(p);
}

TEST(Api, VariantStringNamesEverySwitch) {
  const std::string v = hak_variant_string();
  for (const char* k : {"c7_header=", "free_fast_registry_check=", "classify_order=",
                        "registry_impl=", "free_dispatch=", "page_boundary_check=",
                        "wrapper_guards=", "legacy_c7_branches=", "fast_ownership_check=",
                        "stats="}) {
    EXPECT_NE(v.find(k), std::string::npos) << k;
  }
}

}  // namespace

namespace {

// fork() while other threads allocate: the child must find every allocator lock free (the
// atfork handlers) and be able to allocate and free at once.
TEST(Api, ForkWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 2; ++t) {
    workers.emplace_back([&stop, t] {
      std::vector<void*> live;
      uint32_t x = 0x1234567u * uint32_t(t + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        live.push_back(hak_malloc(x % 70000));
        if (live.size() > 64) {
          for (void* p : live) hak_free(p);
          live.clear();
        }
      }
      for (void* p : live) hak_free(p);
    });
  }
  for (int i = 0; i < 20; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Exercise every tier, including the locks of slab acquisition and the chunk cache.
      for (size_t n : {size_t{16}, size_t{1000}, size_t{30000}, size_t{200000}, size_t{5} << 20}) {
        void* p = hak_malloc(n);
        if (p == nullptr) _exit(2);
        memset(p, 1, n);
        hak_free(p);
      }
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child died of signal " << WTERMSIG(status);
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
  stop = true;
  for (auto& w : workers) w.join();
}

}  // namespace
