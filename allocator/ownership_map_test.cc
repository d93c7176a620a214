// ownership_map_test.cc — test of layer 1: map bytes set, read and cleared per granule.
#include "allocator/ownership_map.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

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
