#include "allocator/registry.h"

#include <gtest/gtest.h>

#include <vector>

#include "allocator/size_classes.h"

namespace hak {
namespace {

// Fake 2 MiB aligned bases far from anything mapped: the registry never dereferences them.
uintptr_t Base(uintptr_t i) { return (uintptr_t{0x500000} + i) << kSuperSlabShift; }

TEST(Registry, InsertLookupRemove) {
  const size_t before = RegistrySize();
  ASSERT_TRUE(RegistryInsert(Base(1)));
  EXPECT_EQ(RegistryLookup(Base(1)), Base(1));
  EXPECT_EQ(RegistryLookup(Base(1) + kSuperSlabSize - 1), Base(1));  // any interior address
  EXPECT_EQ(RegistryLookup(Base(2)), 0u);
  EXPECT_EQ(RegistrySize(), before + 1);
  RegistryRemove(Base(1));
  EXPECT_EQ(RegistryLookup(Base(1)), 0u);
  EXPECT_EQ(RegistrySize(), before);
}

TEST(Registry, ManyEntriesSurviveRemovalsAroundThem) {
  std::vector<uintptr_t> bases;
  for (uintptr_t i = 100; i < 1100; ++i) {
    ASSERT_TRUE(RegistryInsert(Base(i)));
    bases.push_back(Base(i));
  }
  for (size_t i = 0; i < bases.size(); i += 2) RegistryRemove(bases[i]);  // tombstones
  for (size_t i = 0; i < bases.size(); ++i) {
    EXPECT_EQ(RegistryLookup(bases[i] + 12345), i % 2 ? bases[i] : 0u) << i;
  }
  for (size_t i = 1; i < bases.size(); i += 2) RegistryRemove(bases[i]);
  for (uintptr_t b : bases) EXPECT_EQ(RegistryLookup(b), 0u);
}

}  // namespace
}  // namespace hak
