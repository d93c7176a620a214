// thread_cache_test.cc — test of layer 3: a pool class's empty list borrows a bigger class's
// cached block before it grows (mid_fast_path=on; PoolBorrow in thread_cache.cc).
#include "allocator/thread_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "allocator/api.h"
#include "allocator/size_classes.h"

namespace hak {
namespace {

// Runs f on a new thread, so the thread cache starts empty (no list, no current slab).
template <typename F>
void OnFreshThread(F f) {
  std::thread t(f);
  t.join();
}

TEST(PoolBorrow, AnEmptyClassTakesTheNextClassesCachedBlockBeforeGrowing) {
  if constexpr (!kMidFastPath) GTEST_SKIP() << "the seeds' pool classes: no borrowing";
  OnFreshThread([] {
    // A block of 20 KiB freed: its class's list holds it (and the rest of its refill).
    void* big = hak_malloc(20000);
    ASSERT_NE(big, nullptr);
    hak_free(big);
    // 16 KiB's list is empty and the class has no slab: served by the 20 KiB class's list top.
    void* p = hak_malloc(16000);
    EXPECT_EQ(p, big);
    EXPECT_EQ(hak_malloc_usable_size(p), 20480u) << "a 20 KiB block, not a fresh 16 KiB slot";
    // Its free goes back to its own class (the map byte names it): the next 20 KiB malloc gets it.
    hak_free(p);
    void* q = hak_malloc(20000);
    EXPECT_EQ(q, big);
    hak_free(q);
  });
}

TEST(PoolBorrow, NeverMoreThanTwoClassesUp) {
  if constexpr (!kMidFastPath) GTEST_SKIP() << "the seeds' pool classes: no borrowing";
  ASSERT_EQ(kClasses[PoolClassOf(16384) + 3].usable, 28672u);
  OnFreshThread([] {
    void* big = hak_malloc(28000);  // three classes above 16 KiB: 20, 24, 28 KiB
    ASSERT_NE(big, nullptr);
    hak_free(big);
    void* p = hak_malloc(16000);
    EXPECT_NE(p, big);
    EXPECT_EQ(hak_malloc_usable_size(p), 16384u) << "its own class: a 28 KiB block wastes 75%";
    hak_free(p);
  });
}

}  // namespace
}  // namespace hak
