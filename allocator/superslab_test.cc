// superslab_test.cc — test of layer 2: slabs taken, returned, left, adopted; SuperSlabs released.
#include "allocator/superslab.h"

#include <gtest/gtest.h>

#include <sys/mman.h>

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

// mid_fast_path=on: a released pool slab keeps its pages for the next slab taken (a churn pays no
// page faults), and a run of kPoolShrinkRun releases with no slab taken between them gives every
// kept slab's pages back (a program that frees everything does not keep the last slabs resident).
bool Resident(const void* p) {
  unsigned char v = 0;
  void* page = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(4095));
  return mincore(page, 4096, &v) == 0 && (v & 1) != 0;  // unmapped counts as not resident
}

TEST(PoolSlab, KeptPagesGoBackAfterARunOfReleases) {
  if (kPoolSlabsPerSuperSlab == 1) GTEST_SKIP() << "the seeds' pool: one slab per SuperSlab, no kept pages";
  const int cls = kFirstPoolClass;
  auto take_touch = [&](std::vector<SlabMeta*>* held, std::vector<void*>* blocks, int n) {
    for (int i = 0; i < n; ++i) {
      SlabMeta* s = SlabAcquire(cls, kTestOwner);
      ASSERT_NE(s, nullptr);
      void *h, *t;
      ASSERT_EQ(SlabTake(s, 1, &h, &t), 1u);
      static_cast<char*>(h)[0] = 1;  // its page is resident now
      held->push_back(s);
      blocks->push_back(h);
    }
  };
  auto release = [&](SlabMeta* s, void* b) {
    SlabReturn(s, b, b, 1, kTestOwner);
    SlabLeave(s);  // unowned and empty: released
  };
  // A run of releases first, so that no slab kept by an earlier test is left.
  std::vector<SlabMeta*> held;
  std::vector<void*> blocks;
  take_touch(&held, &blocks, kPoolShrinkRun);
  for (size_t i = 0; i < held.size(); ++i) release(held[i], blocks[i]);
  held.clear();
  blocks.clear();
  take_touch(&held, &blocks, kPoolShrinkRun + 1);
  // A slab a whose SuperSlab holds another held slab, the pin: released last, so that no release
  // before the check can retire (and so discard) a's SuperSlab.
  size_t a = held.size(), pin = held.size();
  for (size_t i = 0; i < held.size() && a == held.size(); ++i) {
    for (size_t j = 0; j < held.size(); ++j) {
      if (j != i && SuperSlabOf(reinterpret_cast<uintptr_t>(held[j])) ==
                        SuperSlabOf(reinterpret_cast<uintptr_t>(held[i]))) {
        a = i;
        pin = j;
        break;
      }
    }
  }
  ASSERT_LT(a, held.size());
  void* block_a = blocks[a];
  release(held[a], block_a);
  EXPECT_TRUE(Resident(block_a)) << "the first release of a run keeps its pages";
  EXPECT_EQ(SuperSlabGetCounters().pool_kept_bytes, kPoolSlabSize - kSuperSlabMetaSize)
      << "hak_info reports the kept slab's pages (the gate's tier report names them)";
  int released = 1;
  for (size_t i = 0; i < held.size(); ++i) {
    if (i == a || i == pin) continue;
    release(held[i], blocks[i]);
    if (++released == kPoolShrinkRun - 1) {
      EXPECT_TRUE(Resident(block_a)) << "kept until the run is long";
    }
  }
  ASSERT_EQ(released, kPoolShrinkRun);
  EXPECT_FALSE(Resident(block_a)) << "a run of " << kPoolShrinkRun << " releases gives kept pages back";
  EXPECT_EQ(SuperSlabGetCounters().pool_kept_bytes, 0u);
  release(held[pin], blocks[pin]);
  // A slab taken ends the run: the next release keeps its pages again.
  held.clear();
  blocks.clear();
  take_touch(&held, &blocks, 2);
  release(held[0], blocks[0]);
  EXPECT_TRUE(Resident(blocks[0]) || SuperSlabOf(reinterpret_cast<uintptr_t>(held[0])) !=
                                          SuperSlabOf(reinterpret_cast<uintptr_t>(held[1])));
  release(held[1], blocks[1]);
}

}  // namespace
}  // namespace hak
