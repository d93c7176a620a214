// chunk_arena_test.cc — the chunk arenas' bitmap and purge rule (chunk_arena.h), called directly
// (single-threaded, so no lock). Built in the default config, where mid_large.cc never calls
// the arena: this binary is its only user. The chunk routes through it are mid_large_test's,
// under x5_arena.
#include "allocator/chunk_arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "allocator/ownership_map.h"

namespace {

using hak::ArenaAlloc;
using hak::ArenaFree;
using hak::ArenaGetCounters;
using hak::ArenaPurge;
using hak::kGranule;

char* Alloc(size_t granules, bool* fresh = nullptr) {
  bool f;
  void* p = ArenaAlloc(granules * kGranule, fresh ? fresh : &f);
  if (p == nullptr && hak::ArenaRoomForAnother()) {  // as mid_large.cc does, lock aside
    void* base = hak::ArenaReserve();
    if (base != nullptr && hak::ArenaAdopt(base)) p = ArenaAlloc(granules * kGranule, fresh ? fresh : &f);
  }
  return static_cast<char*>(p);
}
// Discards and returns the runs a call handed back, as mid_large.cc does; the bytes purged.
size_t Finish(const ArenaPurge& purge) {
  hak::ArenaDiscard(purge);
  hak::ArenaPurgeDone(purge);
  size_t bytes = 0;
  for (int i = 0; i < purge.n; ++i) bytes += purge.bytes[i];
  return bytes;
}
// Frees and finishes the purge it starts; returns the bytes purged.
size_t Free(void* p, size_t granules, size_t cached = 0) {
  ArenaPurge purge;
  ArenaFree(p, granules * kGranule, cached, &purge);
  return Finish(purge);
}
uint8_t Map(const void* p) { return hak::OwnershipGet(reinterpret_cast<uintptr_t>(p)); }

// Each test frees all it takes: the live bytes go back to what they were.
class ChunkArena : public ::testing::Test {
 protected:
  void SetUp() override { live0_ = ArenaGetCounters().live_bytes; }
  void TearDown() override { EXPECT_EQ(ArenaGetCounters().live_bytes, live0_); }
  uint64_t live0_ = 0;
};

TEST_F(ChunkArena, AFreedRunIsReusedByAnotherSizeWithItsPages) {
  char* a = Alloc(4);
  char* b = Alloc(2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  memset(a, 0x5a, 4 * kGranule);
  Free(a, 4);
  bool fresh = true;
  char* c = Alloc(3, &fresh);
  EXPECT_EQ(c, a) << "first fit takes the freed run";
  EXPECT_FALSE(fresh) << "its pages were written: not zero";
  EXPECT_EQ(c[0], 0x5a) << "the pages stayed resident and unchanged (no purge under the cap)";
  Free(c, 3);
  Free(b, 2);
}

TEST_F(ChunkArena, FreeNeighboursCoalesce) {
  char* a = Alloc(3);
  char* b = Alloc(5);
  char* guard = Alloc(1);
  ASSERT_EQ(b, a + 3 * kGranule) << "a fresh arena region is carved in order";
  Free(a, 3);
  Free(b, 5);
  char* c = Alloc(8);
  EXPECT_EQ(c, a) << "two freed neighbours serve one chunk of their joint size";
  Free(c, 8);
  Free(guard, 1);
}

TEST_F(ChunkArena, GrowInPlaceOnlyIntoFreeGranulesAndShrinkFreesTheTail) {
  char* a = Alloc(2);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(hak::ArenaResize(a, 2 * kGranule, 70 * kGranule, 0, nullptr)) << "70 granules cross a word";
  char* b = Alloc(1);
  EXPECT_EQ(b, a + 70 * kGranule) << "the grown chunk's granules are in use";
  EXPECT_FALSE(hak::ArenaResize(a, 70 * kGranule, 71 * kGranule, 0, nullptr)) << "b is in the way";
  EXPECT_EQ(Map(a + 69 * kGranule), hak::kChunkTag);
  ArenaPurge purge;
  EXPECT_TRUE(hak::ArenaResize(a, 70 * kGranule, 40 * kGranule, 0, &purge));
  EXPECT_EQ(purge.n, 0);
  EXPECT_EQ(Map(a + 40 * kGranule), hak::kChunkTag) << "arena granules say chunk, live or free";
  char* c = Alloc(30);
  EXPECT_EQ(c, a + 40 * kGranule) << "the tail is reused";
  Free(c, 30);
  Free(b, 1);
  Free(a, 40);
}

// The cap is 4x what is in use for a program that holds little (so the pages of a freed 16 MiB
// block go back when 73 KiB stay in use: libstdc++'s emergency pool), the square from 1 MiB in use
// on up to 128 MiB at 5.66 MiB in use (mem_large_churn's live bytes dip to 2-6 MiB between
// reuses; size_sweep 4 MiB's live count wanders from ~8 to ~28 blocks), and what is in use from
// 128 MiB on.
TEST(ChunkArenaCap, FourTimesInUseThenTheSquareThen128MiBThenWhatIsInUse) {
  constexpr size_t kKiB = 1024, kMiB = kKiB * kKiB;
  static_assert(hak::ArenaDirtyCap(0) == 0);
  static_assert(hak::ArenaDirtyCap(73 * kKiB) == 292 * kKiB);
  static_assert(hak::ArenaDirtyCap(512 * kKiB) == 2 * kMiB);
  static_assert(hak::ArenaDirtyCap(1 * kMiB) == 4 * kMiB);  // where the two meet
  static_assert(hak::ArenaDirtyCap(2 * kMiB) == 16 * kMiB);
  static_assert(hak::ArenaDirtyCap(3 * kMiB) == 36 * kMiB);
  static_assert(hak::ArenaDirtyCap(4 * kMiB) == 64 * kMiB);
  static_assert(hak::ArenaDirtyCap(5 * kMiB) == 100 * kMiB);
  static_assert(hak::ArenaDirtyCap(5800 * kKiB) == 128 * kMiB);  // the square is just past it: capped
  static_assert(hak::ArenaDirtyCap(6 * kMiB) == 128 * kMiB);
  static_assert(hak::ArenaDirtyCap(64 * kMiB) == 128 * kMiB);
  static_assert(hak::ArenaDirtyCap(128 * kMiB) == 128 * kMiB);
  static_assert(hak::ArenaDirtyCap(200 * kMiB) == 200 * kMiB);  // as much free as is in use
  static_assert(hak::ArenaDirtyCap(size_t{1} << 40) == size_t{1} << 40);
  for (size_t b = 0; b < 160 * kMiB; b += 4 * kKiB) {
    EXPECT_LE(hak::ArenaDirtyCap(b), hak::ArenaDirtyCap(b + 4 * kKiB)) << "monotonic at " << b;
  }
}

TEST_F(ChunkArena, DirtyBytesStayUnderTheCapHighestFirstAndComeBackZero) {
  const size_t n = hak::kArenaChunkMax / kGranule;  // 512 granules, 32 MiB
  char* keep = Alloc(32);  // 2 MiB in use once low and high go: the cap is 16 MiB
  const size_t cap = hak::ArenaDirtyCap(32 * kGranule);
  ASSERT_EQ(cap, size_t{16} << 20);
  char* low = Alloc(n);
  char* high = Alloc(n);
  ASSERT_NE(low, nullptr);
  ASSERT_NE(high, nullptr);
  for (size_t i = 0; i < n * kGranule; i += 4096) low[i] = high[i] = 1;
  EXPECT_EQ(Free(low, n), 0u) << "32 MiB dirty, 34 MiB in use: under the cap";
  ArenaPurge purge;
  ArenaFree(high, n * kGranule, 0, &purge);
  ASSERT_GT(purge.n, 0) << "64 MiB dirty is over the 16 MiB cap";
  EXPECT_LE(ArenaGetCounters().dirty_bytes, cap - cap / 8);
  // 64 MiB dirty down to 14: the 50 MiB at the top go, all of high and low's last 18 MiB.
  const size_t over = 2 * n * kGranule - (cap - cap / 8);
  size_t purged = 0;
  for (int i = 0; i < purge.n; ++i) {
    EXPECT_GE(purge.addr[i], reinterpret_cast<uintptr_t>(high) + n * kGranule - over) << "the highest go first";
    purged += purge.bytes[i];
  }
  EXPECT_EQ(purged, over);
  // Until ArenaPurgeDone the runs being discarded are not handed out.
  char* meanwhile = Alloc(n);
  ASSERT_NE(meanwhile, nullptr);
  for (int i = 0; i < purge.n; ++i) {
    const uintptr_t m = reinterpret_cast<uintptr_t>(meanwhile);
    EXPECT_TRUE(m + n * kGranule <= purge.addr[i] || m >= purge.addr[i] + purge.bytes[i]);
  }
  Free(meanwhile, n);
  Finish(purge);
  const char* top = high + n * kGranule - 4096;
  EXPECT_EQ(*top, 0) << "a purged page reads zero";
  // Back to the bitmap: first fit takes low's run again, its pages still resident.
  bool fresh = true;
  char* again = Alloc(n, &fresh);
  EXPECT_EQ(again, low);
  EXPECT_FALSE(fresh);
  Free(again, n);
  Free(keep, 32);
  EXPECT_LE(ArenaGetCounters().dirty_bytes, 4 * ArenaGetCounters().live_bytes);
}

// A program that frees (nearly) everything gets the pages back at that free: never more dirty
// bytes than 4 times the bytes in use.
TEST_F(ChunkArena, FreeingNearlyEverythingGivesThePagesBack) {
  char* one = Alloc(1);
  char* big = Alloc(100);
  ASSERT_NE(big, nullptr);
  memset(big, 1, 100 * kGranule);
  const auto before = ArenaGetCounters();
  EXPECT_GE(Free(big, 100), 96 * kGranule);
  const auto after = ArenaGetCounters();
  EXPECT_LE(after.dirty_bytes, 4 * after.live_bytes);
  EXPECT_LT(after.dirty_bytes, before.dirty_bytes + 100 * kGranule);
  Free(one, 1);
  EXPECT_LE(ArenaGetCounters().dirty_bytes, 4 * ArenaGetCounters().live_bytes);
}

// ArenaFrontRoom: a caller holding that many bytes cached leaves the dirty bytes under the cap
// (a check purges nothing), and it is not vacuous: everything cached, the check purges them all.
TEST_F(ChunkArena, TheFrontRoomKeepsTheDirtyBytesUnderTheCap) {
  char* keep = Alloc(32);    // 2 MiB in use
  char* front = Alloc(64);   // 4 MiB the caller holds cached
  char* a = Alloc(256);      // 16 MiB, freed: dirty
  ASSERT_NE(keep, nullptr);
  ASSERT_NE(front, nullptr);
  ASSERT_NE(a, nullptr);
  for (size_t i = 0; i < 256 * kGranule; i += 4096) a[i] = 1;
  Free(a, 256, 64 * kGranule);
  const uint64_t dirty = ArenaGetCounters().dirty_bytes;
  ASSERT_GT(dirty, 0u);
  const size_t room = hak::ArenaFrontRoom();
  EXPECT_LT(room, ArenaGetCounters().live_bytes);
  ArenaPurge purge;
  hak::ArenaTrim(room, &purge);
  EXPECT_EQ(purge.n, 0) << "room " << room;
  hak::ArenaTrim(ArenaGetCounters().live_bytes, &purge);  // nothing in use: every dirty page goes
  EXPECT_EQ(Finish(purge), dirty);
  EXPECT_EQ(ArenaGetCounters().dirty_bytes, 0u);
  EXPECT_EQ(hak::ArenaFrontRoom(), ~size_t{0}) << "none dirty: no limit";
  Free(front, 64);
  Free(keep, 32);
}

// Resident pages first: a dirty free run is taken before a lower clean (purged) one.
TEST_F(ChunkArena, ADirtyRunIsPreferredToALowerCleanOne) {
  char* a = Alloc(6);
  char* g1 = Alloc(1);
  char* b = Alloc(6);
  char* g2 = Alloc(1);
  ASSERT_EQ(b, a + 7 * kGranule);
  // Nothing counted in use (all "cached" by the caller): the cap is 0, a's pages go back.
  EXPECT_GE(Free(a, 6, size_t{1} << 40), 6 * kGranule);
  memset(b, 1, 6 * kGranule);
  EXPECT_EQ(Free(b, 6), 0u) << "6 dirty granules, at least 2 in use: under 4x";
  bool fresh = true;
  char* c = Alloc(5, &fresh);
  EXPECT_EQ(c, b) << "first fit alone takes a's clean run (or a lower one)";
  EXPECT_FALSE(fresh);
  EXPECT_EQ(c[0], 1);
  Free(c, 5);
  Free(g2, 1);
  Free(g1, 1);
}

TEST_F(ChunkArena, TooBigIsRefused) {
  bool fresh;
  EXPECT_EQ(ArenaAlloc(hak::kArenaChunkMax + kGranule, &fresh), nullptr);
  EXPECT_EQ(ArenaAlloc(0, &fresh), nullptr);
}

}  // namespace
