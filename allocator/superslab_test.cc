// superslab_test.cc — test of layer 2: slabs taken, returned, left, adopted; SuperSlabs released.
#include "allocator/superslab.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "allocator/ownership_map.h"
#include "allocator/pool.h"
#include "allocator/registry.h"

namespace hak {
namespace {

constexpr uint32_t kTestOwner = 0x7fff0001;

class SlabCarving : public ::testing::TestWithParam<int> {};

TEST_P(SlabCarving, EveryBlockAlignedHeadedAndDistinct) {
  const int cls = GetParam();
  const ClassInfo& ci = kClasses[cls];
  const uint64_t slabs_before = SuperSlabGetCounters().slabs_in_use;
  SlabMeta* s = SlabAcquire(cls, kTestOwner);
  ASSERT_NE(s, nullptr);
  const uintptr_t ss = reinterpret_cast<uintptr_t>(SuperSlabOf(s->start));
  EXPECT_EQ(RegistryLookup(s->start), ss);
  EXPECT_EQ(OwnershipGet(s->start), ci.header);

  std::vector<void*> blocks;
  std::set<uintptr_t> seen;
  for (;;) {
    void* head;
    void* tail;
    const uint32_t got = SlabTake(s, ci.batch, &head, &tail);
    if (got == 0) break;
    uint32_t n = 0;
    for (void* p = head; p != nullptr; p = LinkNext(p), ++n) blocks.push_back(p);
    ASSERT_EQ(n, got);
  }
  ASSERT_GT(blocks.size(), 0u);
  EXPECT_GE(s->capacity, blocks.size());
  const size_t align = ci.usable >= 16 ? 16 : 8;
  for (void* p : blocks) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    ASSERT_EQ(a % align, 0u) << "class " << cls;
    ASSERT_TRUE(seen.insert(a).second);
    ASSERT_TRUE(SlabIsBlockStart(s, a));
    ASSERT_FALSE(SlabIsBlockStart(s, a + ci.stride / 2));  // interior pointers are refused
    ASSERT_EQ(SlabOf(a), s);
    ASSERT_LE(a + ci.usable, ss + kSuperSlabSize);
    if (ci.has_header) {
      ASSERT_NE(a % kPageSize, 0u) << "header classes never hand out page-aligned pointers";
      ASSERT_EQ(reinterpret_cast<uint8_t*>(a)[-1], ci.header);
    }
    if (cls >= kFirstPoolClass) {  // the free fast path's test (mid_fast_path) agrees with the slab
      const int pc = cls - kFirstPoolClass;
      ASSERT_TRUE(PoolIsBlockStart(a, pc));
      for (uintptr_t d : {uintptr_t{1}, uintptr_t{16}, uintptr_t{ci.stride / 2}, uintptr_t{ci.usable}}) {
        ASSERT_EQ(PoolIsBlockStart(a + d, pc), SlabIsBlockStart(s, a + d)) << d;
      }
    }
  }
  if (cls >= kFirstPoolClass) {
    EXPECT_EQ(s->capacity, PoolSlabCapacity(cls - kFirstPoolClass));
  }
  // Blocks do not overlap: write every usable byte, then the headers must still be intact.
  for (void* p : blocks) memset(p, 0x5A, ci.usable);
  if (ci.has_header) {
    for (void* p : blocks) ASSERT_EQ(static_cast<uint8_t*>(p)[-1], ci.header);
  }
  // Give everything back and leave: an unowned slab with used == 0 goes back to its SuperSlab.
  for (void* p : blocks) SlabReturn(s, p, p, 1, kTestOwner);
  SlabLeave(s);
  EXPECT_EQ(SuperSlabGetCounters().slabs_in_use, slabs_before);
}

INSTANTIATE_TEST_SUITE_P(AllClasses, SlabCarving, ::testing::Range(0, kNumClasses));

TEST(Slab, RemoteReturnsMakeAnUnownedSlabAdoptable) {
  const int cls = 3;
  const uint64_t slabs_before = SuperSlabGetCounters().slabs_in_use;
  SlabMeta* s = SlabAcquire(cls, kTestOwner);
  ASSERT_NE(s, nullptr);
  void* head;
  void* tail;
  ASSERT_EQ(SlabTake(s, 4, &head, &tail), 4u);
  // Exhaust the slab, so that leaving it puts nothing on the partial list.
  std::vector<std::pair<void*, void*>> rest;
  void* h2;
  void* t2;
  uint32_t got;
  uint32_t rest_n = 0;
  while ((got = SlabTake(s, 64, &h2, &t2)) != 0) {
    rest.push_back({h2, t2});
    rest_n += got;
  }
  SlabLeave(s);
  EXPECT_EQ(s->on_partial, 0);
  // Another thread returns 4 blocks: the slab becomes adoptable.
  SlabReturn(s, head, tail, 4, /*me=*/12345);
  EXPECT_EQ(s->on_partial, 1);
  SlabMeta* adopted = SlabAdoptPartial(cls, kTestOwner);
  ASSERT_EQ(adopted, s);
  void* again;
  void* again_tail;
  EXPECT_EQ(SlabTake(s, 8, &again, &again_tail), 4u);  // exactly the 4 returned blocks
  SlabReturn(s, again, again_tail, 4, kTestOwner);
  for (auto& run : rest) {
    uint32_t n = 0;
    for (void* p = run.first; p != nullptr; p = LinkNext(p)) ++n;
    SlabReturn(s, run.first, run.second, n, kTestOwner);
  }
  EXPECT_EQ(s->used.load(), 0);
  SlabLeave(s);  // unowned and empty: released (its memory may be unmapped now)
  EXPECT_EQ(SuperSlabGetCounters().slabs_in_use, slabs_before);
}

}  // namespace
}  // namespace hak
