// mid_large_test.cc — the Large chunk cache and mremap resizing (large_cache=on, x3_large), and
// that large_cache=off keeps HAKMEM's behaviour (every Large chunk a fresh mmap and a munmap).
// Built under the default config (//allocator:mid_large_test) and under every named config
// (//allocator:x3_large__mid_large_test, ...): each test checks what its build's switch promises.
#include "allocator/mid_large.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "allocator/api.h"
#include "allocator/chunk_arena.h"
#include "allocator/config.h"
#include "allocator/os_pages.h"
#include "allocator/ownership_map.h"

namespace {

using hak::ChunkGetCounters;
using hak::OsGetCounters;

constexpr size_t kMiB = size_t{1} << 20;

// Every test frees all it allocates, and the cache never outlives the last cacheable chunk in
// use: each test starts and must end with an empty Large cache.
void ExpectCacheEmpty() {
  EXPECT_EQ(ChunkGetCounters().large_cached_bytes, 0u);
  EXPECT_EQ(ChunkGetCounters().large_cached_chunks, 0u);
}

// One byte a page (its page number plus seed) and the last byte (seed).
void Fill(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n - 1; i += 4096) b[i] = uint8_t(seed + 1 + i / 4096);
  b[n - 1] = seed;
}
// The page bytes Fill wrote below n.
bool CheckPages(const void* p, size_t n, uint8_t seed) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n - 1; i += 4096) {
    if (b[i] != uint8_t(seed + 1 + i / 4096)) return false;
  }
  return true;
}
bool Check(const void* p, size_t n, uint8_t seed) {
  return CheckPages(p, n, seed) && static_cast<const uint8_t*>(p)[n - 1] == seed;
}

// chunk_arena=on carves Large chunks up to kArenaChunkMax from arenas: the Large cache sees only
// bigger ones, so its tests of smaller chunks say nothing there (the ArenaChunks tests below and
// chunk_arena_test cover that state).
#define SKIP_IF_ARENA()                                                                      \
  if constexpr (hak::kChunkArena) {                                                          \
    GTEST_SKIP() << "chunk_arena=on: these Large chunks are arena chunks (ArenaChunks tests)"; \
  }

TEST(LargeCache, FreedLargeBlockIsReusedWithoutANewMapping) {
  void* keep = hak_malloc(8 * kMiB);  // in use: the cache may hold up to 8 MiB
  ASSERT_NE(keep, nullptr);
  void* p = hak_malloc(4 * kMiB);
  ASSERT_NE(p, nullptr);
  Fill(p, 4 * kMiB, 3);
  const auto os0 = OsGetCounters();
  hak_free(p);
  void* q = hak_malloc(4 * kMiB);
  ASSERT_NE(q, nullptr);
  const auto os1 = OsGetCounters();
  if constexpr (hak::kLargeCache) {
    EXPECT_EQ(q, p) << "the cached chunk of the same size is handed out again";
    EXPECT_EQ(os1.maps, os0.maps);
    EXPECT_EQ(os1.unmaps, os0.unmaps);
  } else {
    EXPECT_EQ(os1.maps, os0.maps + 1);
    EXPECT_EQ(os1.unmaps, os0.unmaps + 1);
  }
  Fill(q, 4 * kMiB, 9);
  EXPECT_TRUE(Check(q, 4 * kMiB, 9));
  hak_free(q);
  hak_free(keep);
  ExpectCacheEmpty();
}

TEST(LargeCache, CachedBytesNeverExceedTheLargeBytesInUseNorTheCaps) {
  SKIP_IF_ARENA();
  // 3 live chunks of 4 MiB, 20 freed of 3..5 MiB: the cache keeps at most the live bytes.
  std::vector<void*> live, freed;
  for (int i = 0; i < 3; ++i) live.push_back(hak_malloc(4 * kMiB));
  for (int i = 0; i < 20; ++i) freed.push_back(hak_malloc(3 * kMiB + size_t(i) * 100000));
  for (void* p : freed) {
    hak_free(p);
    const auto c = ChunkGetCounters();
    EXPECT_LE(c.large_cached_bytes, c.large_live_bytes);
    EXPECT_LE(c.large_cached_bytes, hak::kLargeCacheMaxBytes);
    EXPECT_LE(c.large_cached_chunks, uint64_t(hak::kLargeCacheMaxCount));
  }
  const auto c = ChunkGetCounters();
  if constexpr (hak::kLargeCache) {
    EXPECT_GT(c.large_cached_chunks, 0u);
    EXPECT_GT(c.large_cached_bytes, 8 * kMiB);  // 3 x 4 MiB in use: room for about 3 chunks
  } else {
    EXPECT_EQ(c.large_cached_bytes, 0u);
  }
  for (void* p : live) hak_free(p);
  ExpectCacheEmpty();  // the last free returned everything
}

TEST(LargeCache, CountCapHonoured) {
  SKIP_IF_ARENA();
  // 64 MiB in use, then 40 small Large chunks freed: at most kLargeCacheMaxCount stay.
  std::vector<void*> live, freed;
  for (int i = 0; i < 4; ++i) live.push_back(hak_malloc(16 * kMiB));
  for (int i = 0; i < 40; ++i) freed.push_back(hak_malloc(2 * kMiB + 4096));
  for (void* p : freed) hak_free(p);
  const auto c = ChunkGetCounters();
  EXPECT_LE(c.large_cached_chunks, uint64_t(hak::kLargeCacheMaxCount));
  if constexpr (hak::kLargeCache) {
    EXPECT_EQ(c.large_cached_chunks, uint64_t(hak::kLargeCacheMaxCount));
  }
  for (void* p : live) hak_free(p);
  ExpectCacheEmpty();
}

TEST(LargeCache, FreeingEveryLargeBlockReturnsTheMemory) {
  SKIP_IF_ARENA();
  const auto os0 = OsGetCounters();
  std::vector<void*> ps;
  for (int i = 0; i < 6; ++i) {
    ps.push_back(hak_malloc(3 * kMiB + size_t(i) * kMiB));
    Fill(ps.back(), 3 * kMiB, uint8_t(i));
  }
  for (void* p : ps) hak_free(p);
  ExpectCacheEmpty();
  EXPECT_EQ(OsGetCounters().bytes_mapped_now, os0.bytes_mapped_now);
  for (void* p : ps) EXPECT_EQ(hak::OwnershipGet(reinterpret_cast<uintptr_t>(p)), 0) << p;
}

TEST(LargeCache, IdleEntriesDecay) {
  SKIP_IF_ARENA();
  void* keep = hak_malloc(32 * kMiB);
  // A 6 MiB entry and an 8 MiB one: 8 MiB requests take the 8 MiB entry (closer), never the other.
  void* p = hak_malloc(6 * kMiB);
  void* a = hak_malloc(8 * kMiB);
  hak_free(p);
  hak_free(a);
  const uint64_t expect_both = hak::kLargeCache ? 2 : 0, expect_one = hak::kLargeCache ? 1 : 0;
  EXPECT_EQ(ChunkGetCounters().large_cached_chunks, expect_both);
  // Each round is two clock ticks (a malloc and a free).
  for (uint64_t i = 0; i < hak::kLargeCacheDecayOps / 4; ++i) hak_free(hak_malloc(8 * kMiB));
  EXPECT_EQ(ChunkGetCounters().large_cached_chunks, expect_both) << "not idle long enough yet";
  for (uint64_t i = 0; i < hak::kLargeCacheDecayOps / 4 + 2; ++i) hak_free(hak_malloc(8 * kMiB));
  const auto c = ChunkGetCounters();
  EXPECT_EQ(c.large_cached_chunks, expect_one) << "the 6 MiB entry was idle for the decay window";
  if constexpr (hak::kLargeCache) {
    EXPECT_GE(c.large_cached_bytes, 8 * kMiB);
  }
  hak_free(keep);
  ExpectCacheEmpty();
}

TEST(LargeCache, ReuseFitsAChunkOfAnotherSize) {
  SKIP_IF_ARENA();
  void* keep = hak_malloc(32 * kMiB);
  void* p = hak_malloc(12 * kMiB);
  Fill(p, 12 * kMiB, 5);
  hak_free(p);
  const auto os0 = OsGetCounters();
  void* q = hak_malloc(3 * kMiB);  // shrinks the 12 MiB entry in place
  ASSERT_NE(q, nullptr);
  if constexpr (hak::kLargeCache) {
    EXPECT_EQ(q, p);
    EXPECT_EQ(OsGetCounters().remaps, os0.remaps + 1);
    EXPECT_EQ(OsGetCounters().bytes_mapped_now + 9 * kMiB, os0.bytes_mapped_now);
    EXPECT_LT(hak_malloc_usable_size(q), 4 * kMiB);
    // the tail's granules are no longer ours
    EXPECT_EQ(hak::OwnershipGet(reinterpret_cast<uintptr_t>(q) + 8 * kMiB), 0);
  }
  Fill(q, 3 * kMiB, 6);
  hak_free(q);
  void* r = hak_malloc(10 * kMiB);  // grows the 3 MiB entry
  ASSERT_NE(r, nullptr);
  Fill(r, 10 * kMiB, 7);
  EXPECT_TRUE(Check(r, 10 * kMiB, 7));
  EXPECT_EQ(hak::OwnershipGet(reinterpret_cast<uintptr_t>(r) + 9 * kMiB), hak::kChunkTag);
  hak_free(r);
  hak_free(keep);
  ExpectCacheEmpty();
}

TEST(LargeCache, ReallocKeepsContentsAndUsesMremap) {
  const auto os0 = OsGetCounters();
  size_t n = 100 * 1024;  // a Mid chunk
  auto* p = static_cast<uint8_t*>(hak_malloc(n));
  Fill(p, n, 1);
  for (size_t m : {size_t{300} * 1024, size_t{900} * 1024, 2 * kMiB + 1, 5 * kMiB, 17 * kMiB}) {
    auto* q = static_cast<uint8_t*>(hak_realloc(p, m));
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(Check(q, n, 1)) << n << " -> " << m;
    EXPECT_GE(hak_malloc_usable_size(q), m);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 16, 0u);
    Fill(q, m, 1);
    p = q;
    n = m;
  }
  // Shrinking: below half the chunk, resized in place (tail released), contents kept.
  auto* s = static_cast<uint8_t*>(hak_realloc(p, 3 * kMiB));
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(CheckPages(s, 3 * kMiB, 1));
  const auto os1 = OsGetCounters();
  if constexpr (hak::kChunkArena) {  // every size here fits an arena: in place or a copy
    EXPECT_EQ(s, p) << "a shrink stays in place";
    EXPECT_EQ(os1.remaps, os0.remaps);
    EXPECT_LT(hak_malloc_usable_size(s), 4 * kMiB);
  } else if constexpr (hak::kLargeCache) {
    EXPECT_EQ(s, p) << "a shrink stays in place";
    EXPECT_GE(os1.remaps, os0.remaps + 5);
    EXPECT_LT(hak_malloc_usable_size(s), 4 * kMiB);
  } else {
    EXPECT_EQ(os1.remaps, os0.remaps);
  }
  hak_free(s);
  ExpectCacheEmpty();
}

TEST(LargeCache, ReallocGrowthByStepsMovesRarely) {
  if constexpr (!hak::kLargeCache) GTEST_SKIP() << "large_cache=off copies on every growth";
  size_t n = 64 * 1024;
  auto* p = static_cast<uint8_t*>(hak_malloc(n));
  Fill(p, n, 2);
  const auto os0 = OsGetCounters();
  int moves = 0;
  while (n < 16 * kMiB) {
    const size_t m = n + 256 * 1024;
    auto* q = static_cast<uint8_t*>(hak_realloc(p, m));
    ASSERT_NE(q, nullptr);
    moves += q != p;
    ASSERT_TRUE(Check(q, n, 2));
    Fill(q, m, 2);
    p = q;
    n = m;
  }
  // 64 steps; doubling on a move: about log2(16 MiB / 64 KiB) = 8 moves, never one per step.
  // Every growth is an mremap (in place, or a move onto one fresh reservation): no copy.
  const auto os1 = OsGetCounters();
  EXPECT_LE(moves, 12);
  EXPECT_LE(os1.maps - os0.maps, uint64_t(moves));
  if constexpr (hak::kChunkArena) {  // grown into the free granules after it, or copied
    EXPECT_EQ(os1.remaps, os0.remaps);
  } else {
    EXPECT_GE(moves, 1);
    EXPECT_GE(os1.remaps - os0.remaps, uint64_t(moves));
  }
  hak_free(p);
  ExpectCacheEmpty();
}

TEST(LargeCache, ThreadsShareTheCacheSafely) {
  void* keep = hak_malloc(32 * kMiB);
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([t, &bad] {
      uint32_t x = 0x9E3779B9u * uint32_t(t + 1);
      for (int i = 0; i < 200; ++i) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        const size_t n = 300 * 1024 + x % (6 * kMiB);
        auto* p = static_cast<uint8_t*>(hak_malloc(n));
        if (p == nullptr) {
          bad.fetch_add(1);
          continue;
        }
        p[0] = uint8_t(t);
        p[n - 1] = uint8_t(t);
        if (i % 3 == 0) {
          auto* q = static_cast<uint8_t*>(hak_realloc(p, n + kMiB));
          if (q == nullptr || q[0] != uint8_t(t) || q[n - 1] != uint8_t(t)) bad.fetch_add(1);
          if (q != nullptr) p = q;
        }
        hak_free(p);
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_EQ(bad.load(), 0);
  hak_free(keep);
  ExpectCacheEmpty();
}

// fork() while another thread churns Large blocks through the cache: the child finds the chunk
// lock free and can use the cache and mremap at once.
TEST(LargeCache, ForkWhileTheCacheIsBusy) {
  void* keep = hak_malloc(32 * kMiB);
  std::atomic<bool> stop{false};
  std::thread worker([&stop] {
    uint32_t x = 12345;
    while (!stop.load(std::memory_order_relaxed)) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      void* p = hak_malloc(3 * kMiB + x % kMiB);
      void* q = hak_realloc(p, 5 * kMiB);
      hak_free(q);
    }
  });
  for (int i = 0; i < 10; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      void* p = hak_malloc(4 * kMiB);
      if (p == nullptr) _exit(2);
      memset(p, 1, 4 * kMiB);
      void* q = hak_realloc(p, 9 * kMiB);
      if (q == nullptr || static_cast<uint8_t*>(q)[4 * kMiB - 1] != 1) _exit(3);
      hak_free(q);
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child died of signal " << WTERMSIG(status);
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
  stop = true;
  worker.join();
  hak_free(keep);
  ExpectCacheEmpty();
}


// large_cache=on: a Mid malloc that misses its exact-size list takes the smallest bigger cached
// Mid chunk, shrunk in place (realloc by mremap leaves chunks of sizes no malloc asks for again;
// they would sit in the lists up to the 32 MiB cap). Off: HAKMEM's exact-size lists only.
TEST(MidCache, AnExactMissShrinksTheSmallestBiggerCachedChunk) {
  constexpr size_t kN = 5 * 64 * 1024 - 100;  // 5 granules with the header
  // Take every cached chunk that could serve kN, so the only candidate below is p.
  std::vector<void*> held;
  for (;;) {
    const uint64_t before = ChunkGetCounters().cached_bytes;
    held.push_back(hak_malloc(kN));
    if (ChunkGetCounters().cached_bytes == before) break;
  }
  void* p = hak_malloc(kMiB);
  Fill(p, kMiB, 7);
  hak_free(p);
  hak_flush_thread_cache();  // into the shared lists (mid_thread_cache=on: the thread's would keep it)
  const uint64_t with_p = ChunkGetCounters().cached_bytes;
  void* q = hak_malloc(kN);
  ASSERT_NE(q, nullptr);
  Fill(q, kN, 3);
  EXPECT_TRUE(Check(q, kN, 3));
  if constexpr (hak::kLargeCache) {
    EXPECT_EQ(q, p) << "the 1 MiB chunk, shrunk, must serve the miss";
    EXPECT_LT(ChunkGetCounters().cached_bytes, with_p);
    EXPECT_GE(hak_malloc_usable_size(q), kN);
    EXPECT_LT(hak_malloc_usable_size(q), kMiB) << "shrunk to the request's granules";
  } else {
    EXPECT_EQ(ChunkGetCounters().cached_bytes, with_p) << "off: no exact chunk, a fresh mapping";
  }
  hak_free(q);
  for (void* h : held) hak_free(h);
  ExpectCacheEmpty();
}
// ---- chunk_arena=on (x5_arena): the chunk routes through the arenas (chunk_arena.h) ----

#define SKIP_UNLESS_ARENA()                                                        \
  if constexpr (!hak::kChunkArena) {                                               \
    GTEST_SKIP() << "chunk_arena=off: every chunk is its own mapping";             \
  }

TEST(ArenaChunks, ChunksOfAnySizeComeFromTheArenaWithoutAMapping) {
  SKIP_UNLESS_ARENA();
  void* keep = hak_malloc(8 * kMiB);  // in use: up to 4 x 8 MiB of freed pages may stay
  auto* p = static_cast<uint8_t*>(hak_malloc(6 * kMiB));
  ASSERT_NE(p, nullptr);
  Fill(p, 6 * kMiB, 4);
  hak_free(p);
  const auto os0 = OsGetCounters();
  auto* q = static_cast<uint8_t*>(hak_malloc(4 * kMiB));  // Large, and another size
  ASSERT_NE(q, nullptr);
  // Which free run first fit takes depends on the tests before (chunk_arena_test checks that it
  // is the freed one); here: no mapping, whatever the size.
  auto* r = static_cast<uint8_t*>(hak_malloc(300 * 1024));  // Mid: the front's, or the run's rest
  ASSERT_NE(r, nullptr);
  const auto os1 = OsGetCounters();
  EXPECT_EQ(os1.maps, os0.maps);
  EXPECT_EQ(os1.unmaps, os0.unmaps);
  hak_free(r);
  hak_free(q);
  hak_free(keep);
}

TEST(ArenaChunks, ReallocGrowsIntoTheFreeGranulesAfterItWithNoSystemCall) {
  SKIP_UNLESS_ARENA();
  auto* p = static_cast<uint8_t*>(hak_malloc(8 * kMiB));
  ASSERT_NE(p, nullptr);
  auto* s = static_cast<uint8_t*>(hak_realloc(p, 100 * 1024));  // the tail's granules are free now
  ASSERT_EQ(s, p) << "a shrink stays in place";
  Fill(s, 100 * 1024, 8);
  const auto os0 = OsGetCounters();
  size_t n = 100 * 1024;
  for (size_t m = 200 * 1024; m <= 7 * kMiB; m += 300 * 1024) {
    auto* q = static_cast<uint8_t*>(hak_realloc(s, m));
    ASSERT_EQ(q, s) << m;
    ASSERT_TRUE(Check(q, n, 8)) << n << " -> " << m;
    Fill(q, m, 8);
    n = m;
  }
  const auto os1 = OsGetCounters();
  EXPECT_EQ(os1.maps, os0.maps);
  EXPECT_EQ(os1.remaps, os0.remaps);
  EXPECT_EQ(os1.unmaps, os0.unmaps);
  hak_free(s);
}

TEST(ArenaChunks, CallocOfReusedPagesIsZero) {
  SKIP_UNLESS_ARENA();
  for (size_t n : {size_t{5} * kMiB, size_t{700} * 1024}) {
    auto* p = static_cast<uint8_t*>(hak_malloc(n));
    ASSERT_NE(p, nullptr);
    memset(p, 0xff, n);
    hak_free(p);
    auto* q = static_cast<uint8_t*>(hak_calloc(1, n));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q, p) << "the same run, its pages dirty";
    bool zero = true;
    for (size_t i = 0; i < n; i += 512) zero &= q[i] == 0;
    EXPECT_TRUE(zero && q[n - 1] == 0) << n;
    hak_free(q);
  }
}

TEST(ArenaChunks, FreedPagesStayUnderTheCap) {
  SKIP_UNLESS_ARENA();
  std::vector<void*> ps;
  for (int i = 0; i < 12; ++i) {
    ps.push_back(hak_malloc(3 * kMiB + size_t(i) * kMiB));
    ASSERT_NE(ps.back(), nullptr);
    Fill(ps.back(), 3 * kMiB, uint8_t(i));
  }
  const uint64_t live = ChunkGetCounters().arena_live_bytes;
  EXPECT_GE(live, (12 * 3 + 66) * kMiB);
  for (void* p : ps) {
    hak_free(p);
    const auto c = ChunkGetCounters();
    EXPECT_LE(c.arena_dirty_bytes, hak::ArenaDirtyCap(c.arena_live_bytes));
  }
  const auto c = ChunkGetCounters();
  EXPECT_LE(c.arena_live_bytes + (12 * 3 + 66) * kMiB, live) << "every chunk went back";
  for (void* p : ps) {  // the map still says chunk; the header refuses a second free
    EXPECT_EQ(hak::OwnershipGet(reinterpret_cast<uintptr_t>(p)), hak::kChunkTag) << p;
    EXPECT_FALSE(hak::ChunkHeaderValid(p)) << p;
  }
  const uint64_t invalid = hak_get_info().invalid_frees;
  hak_free(ps[0]);  // a double free of an arena chunk
  EXPECT_EQ(hak_get_info().invalid_frees, invalid + 1);
  EXPECT_EQ(c.large_cached_chunks, 0u);
}

// The purge rule as it stands now: the arenas' dirty bytes within the cap for what is in use,
// less the Mid cache's bytes (chunk_arena.h).
void ExpectArenaDirtyUnderTheCap() {
  const auto c = ChunkGetCounters();
  const uint64_t front = c.cached_bytes - c.large_cached_bytes - c.arena_dirty_bytes;
  const uint64_t in_use = c.arena_live_bytes - front;
  const uint64_t cap = hak::ArenaDirtyCap(in_use);
  EXPECT_LE(c.arena_dirty_bytes, cap > front ? cap - front : 0)
      << "in use " << in_use << ", the Mid cache " << front;
}

// One free can leave more than kArenaPurgeMax dirty runs over the cap; they all go at that free.
TEST(ArenaChunks, AFreeOverTheCapPurgesMoreThanOneBatchOfRuns) {
  SKIP_UNLESS_ARENA();
  constexpr int kRuns = 3 * hak::kArenaPurgeMax;
  std::vector<void*> big, small;
  for (int i = 0; i < kRuns; ++i) {  // 2.5 MiB Large chunks (straight to the arena), 100 KiB between
    big.push_back(hak_malloc(5 * kMiB / 2));
    small.push_back(hak_malloc(100 * 1024));
    ASSERT_NE(big.back(), nullptr);
    ASSERT_NE(small.back(), nullptr);
    Fill(big.back(), 5 * kMiB / 2, uint8_t(i));
  }
  void* last = hak_malloc(8 * kMiB);
  ASSERT_NE(last, nullptr);
  Fill(last, 8 * kMiB, 1);
  // The small ones go to the Mid cache: still taken in the arena, so the big ones' runs stay
  // apart, but not in use. While `last` is in use the cap is 128 MiB (less the Mid cache).
  for (void* p : small) hak_free(p);
  for (void* p : big) hak_free(p);
  ASSERT_GT(ChunkGetCounters().arena_dirty_bytes, uint64_t(hak::kArenaPurgeMax) * 5 * kMiB / 2)
      << "more dirty runs than one purge hands back";
  hak_free(last);  // next to nothing in use: every dirty run goes
  ExpectArenaDirtyUnderTheCap();
}

// The last frees of a program can be Mid chunks, which the exact-size lists take with no purge
// check: the lists stop taking them while the arenas' room says so, and the free goes to the arena.
TEST(ArenaChunks, MidFreesIntoTheFrontStillGiveTheArenaPagesBack) {
  SKIP_UNLESS_ARENA();
  std::vector<void*> mid, large;
  for (int i = 0; i < 8; ++i) {
    mid.push_back(hak_malloc(3 * kMiB / 2));  // Mid (<= 2 MiB): freed into the front
    ASSERT_NE(mid.back(), nullptr);
    Fill(mid.back(), 3 * kMiB / 2, uint8_t(i));
  }
  for (int i = 0; i < 16; ++i) {
    large.push_back(hak_malloc(3 * kMiB));
    ASSERT_NE(large.back(), nullptr);
    Fill(large.back(), 3 * kMiB, uint8_t(i));
  }
  for (void* p : large) hak_free(p);  // 12 MiB in use: the cap is 128 MiB, 48 MiB dirty stay
  ASSERT_GT(ChunkGetCounters().arena_dirty_bytes, 40 * kMiB);
  for (void* p : mid) hak_free(p);  // nothing in use after these
  ExpectArenaDirtyUnderTheCap();
}

// ---- The per-thread Mid cache (mid_thread_cache=on, mid_large.h). Each test runs on a thread of
// its own, whose cache starts empty; with the switch off the same calls must cache nothing.

constexpr size_t kMidRequest = 100000;           // a 128 KiB chunk (2 granules)
constexpr size_t kMidChunk = size_t{128} << 10;

template <typename F>
void OnFreshThread(F f) {
  std::thread(f).join();
}

TEST(MidThreadCache, AFreedChunkIsTakenBackByTheSameThread) {
  OnFreshThread([] {
    void* p = hak_malloc(kMidRequest);
    ASSERT_NE(p, nullptr);
    Fill(p, kMidRequest, 3);
    const auto shared = ChunkGetCounters();
    hak_free(p);
    if constexpr (!hak::kMidThreadCache) {
      EXPECT_EQ(hak::ChunkThreadCachedBytes(), 0u);
      return;
    }
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), kMidChunk);
    // Counted as the caller's cached bytes, not live (the shared lists did not change).
    EXPECT_EQ(ChunkGetCounters().live_chunks, shared.live_chunks - 1);
    EXPECT_EQ(ChunkGetCounters().cached_bytes, shared.cached_bytes + kMidChunk);
    void* q = hak_malloc(kMidRequest - 1000);  // the same granule count
    EXPECT_EQ(q, p);
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), 0u);
    EXPECT_TRUE(hak::ChunkHeaderValid(q));
    EXPECT_EQ(hak_malloc_usable_size(q), kMidChunk - 16);
    void* other = hak_malloc(3 * kMidRequest);  // another granule count: not this chunk
    EXPECT_NE(other, q);
    hak_free(other);
    hak_free(q);
    hak_flush_thread_cache();
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), 0u);
  });
}

// The caps, checked at every free: at most kMidThreadCacheBytes (and the depth), at most the bytes
// in use before the free; freeing everything leaves at most the floor.
TEST(MidThreadCache, HoldsNoMoreThanTheCapNorTheBytesInUse) {
  OnFreshThread([] {
    std::vector<void*> ps;
    for (int i = 0; i < 40; ++i) {  // 5 MiB of 128 KiB chunks
      ps.push_back(hak_malloc(kMidRequest));
      ASSERT_NE(ps.back(), nullptr);
    }
    size_t in_use = ps.size() * kMidChunk, most = 0;
    for (void* p : ps) {
      hak_free(p);
      const size_t cached = hak::ChunkThreadCachedBytes();
      EXPECT_LE(cached, hak::kMidThreadCacheBytes);
      EXPECT_LE(cached, in_use) << "more than was in use before this free";
      in_use -= kMidChunk;
      if (cached > most) most = cached;
    }
    if constexpr (hak::kMidThreadCache) {
      EXPECT_EQ(most, std::min(hak::kMidThreadCacheBytes, hak::kMidThreadDepth * kMidChunk))
          << "the cache filled to its caps on the way";
      EXPECT_LE(hak::ChunkThreadCachedBytes(), hak::kMidThreadCacheFloor) << "the floor once nothing is in use";
    } else {
      EXPECT_EQ(most, 0u);
    }
    hak_flush_thread_cache();
  });
}

// Over its caps the cache goes to the shared lists oldest first: the chunks come back newest
// first, across the thread's stack and the shared list.
TEST(MidThreadCache, ReuseStaysLastInFirstOutPastTheCaps) {
  if constexpr (!hak::kMidThreadCache) {
    GTEST_SKIP() << "mid_thread_cache=off: the order is the shared lists' (which a full front leaves)";
  }
  OnFreshThread([] {
    std::vector<void*> ps;
    for (int i = 0; i < 20; ++i) ps.push_back(hak_malloc(kMidRequest));
    for (void* p : ps) hak_free(p);
    for (int i = 19; i >= 0; --i) EXPECT_EQ(hak_malloc(kMidRequest), ps[i]) << i;
    for (void* p : ps) hak_free(p);
    hak_flush_thread_cache();
  });
}

// A malloc the thread's stacks cannot serve sends their chunks to the shared lists first.
TEST(MidThreadCache, AMissSendsTheCacheToTheSharedLists) {
  OnFreshThread([] {
    void* keep = hak_malloc(4 * kMidRequest);  // in use, so the next free is cached
    void* p = hak_malloc(kMidRequest);
    hak_free(p);
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), hak::kMidThreadCache ? kMidChunk : 0u);
    void* q = hak_malloc(2 * kMidRequest);  // another granule count: a miss
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), 0u);
    hak_free(q);
    hak_free(keep);
    hak_flush_thread_cache();
  });
}

TEST(MidThreadCache, AThreadThatFreesWhatOthersMallocCachesNothing) {
  std::vector<void*> ps;
  for (int i = 0; i < 8; ++i) ps.push_back(hak_malloc(kMidRequest));
  OnFreshThread([&] {
    for (void* p : ps) {
      hak_free(p);
      EXPECT_EQ(hak::ChunkThreadCachedBytes(), 0u);
    }
  });
}

TEST(MidThreadCache, ThreadExitReturnsTheCache) {
  hak_flush_thread_cache();
  const uint64_t live = ChunkGetCounters().live_chunks;
  size_t cached_at_exit = 0;
  std::vector<void*> kept;
  OnFreshThread([&] {
    std::vector<void*> ps;
    for (int i = 0; i < 8; ++i) ps.push_back(hak_malloc(kMidRequest + i * hak::kGranule));
    for (int i = 0; i < 4; ++i) hak_free(ps[i]);  // 4 stay in use: the cache keeps these 4
    cached_at_exit = hak::ChunkThreadCachedBytes();
    kept.assign(ps.begin() + 4, ps.end());
  });
  if constexpr (hak::kMidThreadCache) {
    EXPECT_GT(cached_at_exit, 0u);
  }
  EXPECT_EQ(ChunkGetCounters().live_chunks, live + 4) << "the exited thread's cache is back in the shared lists";
  for (void* p : kept) hak_free(p);
  EXPECT_EQ(ChunkGetCounters().live_chunks, live);
}

// Realloc moves a chunk's bytes in use between sizes the cache takes and sizes it does not. A
// chunk another thread malloc'd shows what this thread counts: its free here is cached only when
// this thread has at least its bytes in use.
TEST(MidThreadCache, ReallocMovesTheBytesInUse) {
  std::vector<void*> elsewhere;
  for (int i = 0; i < 2; ++i) elsewhere.push_back(hak_malloc(kMidRequest));
  OnFreshThread([&] {
    void* p = hak_malloc(kMidRequest);
    ASSERT_NE(p, nullptr);
    p = hak_realloc(p, 3 * kMiB);  // past the cache's sizes: nothing cacheable in use
    ASSERT_NE(p, nullptr);
    hak_free(elsewhere[0]);
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), 0u) << "the grown chunk still counted in use";
    hak_free(p);
  });
  OnFreshThread([&] {
    void* p = hak_malloc(3 * kMiB);
    ASSERT_NE(p, nullptr);
    Fill(p, kMidRequest, 9);
    p = hak_realloc(p, kMidRequest);  // into a cacheable size: 128 KiB in use
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(CheckPages(p, kMidRequest, 9));
    hak_free(elsewhere[1]);
    EXPECT_EQ(hak::ChunkThreadCachedBytes(), hak::kMidThreadCache ? kMidChunk : 0u)
        << "the shrunk chunk not counted in use";
    hak_free(p);
    hak_flush_thread_cache();
  });
}

}  // namespace
