// ownership_map_test.cc — test of layer 1: map bytes set, read and cleared per granule.
#include "allocator/ownership_map.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <thread>

#include "allocator/os_pages.h"

namespace hak {
namespace {

TEST(OwnershipMap, UnknownAddressesAreNotOurs) {
  int on_stack = 0;
  EXPECT_EQ(OwnershipGet(reinterpret_cast<uintptr_t>(&on_stack)), 0);
  EXPECT_EQ(OwnershipGet(0), 0);
  EXPECT_EQ(OwnershipGet(UINTPTR_MAX), 0);            // beyond the 47-bit space
  EXPECT_EQ(OwnershipGet(uintptr_t{1} << 47), 0);
}

TEST(OwnershipMap, SetAndClearWholeGranules) {
  void* mem = OsMapAligned(4 * kGranule, kGranule);
  ASSERT_NE(mem, nullptr);
  const uintptr_t a = reinterpret_cast<uintptr_t>(mem);
  ASSERT_TRUE(OwnershipSet(a + kGranule, 2 * kGranule, 0xA3));
  EXPECT_EQ(OwnershipGet(a), 0);
  EXPECT_EQ(OwnershipGet(a + kGranule), 0xA3);
  EXPECT_EQ(OwnershipGet(a + 3 * kGranule - 1), 0xA3);
  EXPECT_EQ(OwnershipGet(a + 3 * kGranule), 0);
  ASSERT_TRUE(OwnershipSet(a + kGranule, 2 * kGranule, 0));
  EXPECT_EQ(OwnershipGet(a + kGranule), 0);
  OsUnmap(mem, 4 * kGranule);
}

// The classifier probes granules that may change hands on another thread at that moment (the
// granule before a granule-aligned block, foreign pointers). Under TSan this test fails if that
// probe is a plain read; everywhere it checks that the reader only ever sees old or new.
TEST(OwnershipMap, RacyProbeSeesOldOrNewWhileAnotherThreadChangesHands) {
  void* mem = OsMapAligned(2 * kGranule, kGranule);
  ASSERT_NE(mem, nullptr);
  const uintptr_t a = reinterpret_cast<uintptr_t>(mem);
  ASSERT_TRUE(OwnershipSet(a, kGranule, 0xA3));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const uint8_t v = OwnershipGetRacy(a + kGranule / 2);
      if (v != 0xA3 && v != kGranuleFree) bad.fetch_add(1);
    }
  });
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(OwnershipSet(a, kGranule, (i & 1) ? 0xA3 : kGranuleFree));
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_TRUE(OwnershipSet(a, kGranule, 0));
  OsUnmap(mem, 2 * kGranule);
}

TEST(OsPages, AlignedMappingAndProbe) {
  void* mem = OsMapAligned(kSuperSlabSize, kSuperSlabSize);
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(mem) % kSuperSlabSize, 0u);
  EXPECT_TRUE(OsPageMapped(mem));
  static_cast<char*>(mem)[kSuperSlabSize - 1] = 1;  // the whole range is writable
  OsUnmap(mem, kSuperSlabSize);
  EXPECT_FALSE(OsPageMapped(mem));
}

TEST(OsPages, InjectedFailureReturnsNullWithEnomem) {
  OsFailNextMappings(1);
  errno = 0;
  EXPECT_EQ(OsMapAligned(kGranule, kGranule), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* ok = OsMapAligned(kGranule, kGranule);
  EXPECT_NE(ok, nullptr);
  OsUnmap(ok, kGranule);
}

}  // namespace
}  // namespace hak
