// registry_test.cc — test of layer 2: the SuperSlab registry (insert, lookup, remove) of this build's impl.
#include "allocator/registry.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "allocator/os_pages.h"
#include "allocator/size_classes.h"

namespace hak {
namespace {

// Real 2 MiB aligned regions: the rbtree registry keeps its nodes inside them.
class Registry : public ::testing::Test {
 protected:
  static constexpr size_t kRegions = 512;
  void SetUp() override {
    mem_ = OsMapAligned(kRegions * kSuperSlabSize, kSuperSlabSize);
    ASSERT_NE(mem_, nullptr);
  }
  void TearDown() override { OsUnmap(mem_, kRegions * kSuperSlabSize); }
  uintptr_t Base(size_t i) const { return reinterpret_cast<uintptr_t>(mem_) + i * kSuperSlabSize; }
  void* mem_ = nullptr;
};

TEST_F(Registry, InsertLookupRemove) {
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

TEST_F(Registry, RandomInsertRemoveAgreesWithAModel) {
  std::mt19937 rng(42);
  std::set<size_t> model;
  for (int step = 0; step < 20000; ++step) {
    const size_t i = rng() % kRegions;
    if (model.count(i) != 0 && rng() % 2 == 0) {
      RegistryRemove(Base(i));
      model.erase(i);
    } else if (model.count(i) == 0) {
      ASSERT_TRUE(RegistryInsert(Base(i)));
      model.insert(i);
    }
    if (step % 997 == 0) {
      for (size_t k = 0; k < kRegions; ++k) {
        ASSERT_EQ(RegistryLookup(Base(k) + 4096), model.count(k) ? Base(k) : 0u) << step << " " << k;
      }
    }
  }
  for (size_t i : model) RegistryRemove(Base(i));
  for (size_t k = 0; k < kRegions; ++k) ASSERT_EQ(RegistryLookup(Base(k)), 0u);
}

}  // namespace
}  // namespace hak
