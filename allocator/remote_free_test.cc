// remote_free_test.cc — test of layer 3: where a tiny free of another thread's block goes.
// remote_free=local (every state up to e3_safe): onto the freeing thread's own list.
// remote_free=owner (x1_remote): home in batches (thread_cache.h): the outbox holds it until a
// chain reaches kRemoteBatch, the home takes its inbox when a list runs empty, thread exit
// flushes outboxes and closes inboxes, and nothing is stranded. remote_free=spill (x1_spill):
// local's lists, and only a list's overflow goes home. Built under every named variant
// (//allocator:x1_remote__remote_free_test), so both modes run in CI and under ASan/TSan.
#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "allocator/api.h"
#include "allocator/config.h"
#include "allocator/superslab.h"
#include "allocator/thread_cache.h"

namespace {

using namespace hak;

constexpr size_t kSize = 48;  // tiny class C3 (63 usable bytes)

std::vector<void*> AllocN(size_t n, size_t size = kSize) {
  std::vector<void*> v;
  for (size_t i = 0; i < n; ++i) {
    void* p = hak_malloc(size);
    EXPECT_NE(p, nullptr);
    memset(p, 0x5A, size);
    v.push_back(p);
  }
  return v;
}

size_t CountIn(const std::vector<void*>& got, const std::set<void*>& from) {
  size_t k = 0;
  for (void* p : got) k += from.count(p);
  return k;
}

// A thread that runs `first`, then waits until released, then runs `second` and exits.
struct TwoPhaseThread {
  std::promise<void> first_done, go;
  std::thread t;
  template <class F, class G>
  TwoPhaseThread(F first, G second) {
    std::future<void> go_f = go.get_future();
    t = std::thread([this, first, second, go_f = std::move(go_f)]() mutable {
      first();
      first_done.set_value();
      go_f.wait();
      second();
    });
  }
  void WaitFirst() { first_done.get_future().wait(); }
  void RunSecondAndJoin() {
    go.set_value();
    t.join();
  }
};

// 200 blocks allocated by A, freed by B, then B allocates 200 blocks of the same class.
// local: B's list now holds A's blocks, so B gets exactly those back (LIFO).
// owner: they went home; B gets none of them, and A, once its list runs dry, gets all 200.
TEST(RemoteFree, FreedBlocksStayWithTheFreeingThreadOrGoHome) {
  constexpr size_t kN = 200;  // below C3's cap (256): nothing spills in local mode
  std::set<void*> from_a;
  std::vector<void*> a_blocks, a_again;
  TwoPhaseThread a(
      [&] {
        a_blocks = AllocN(kN);
        from_a.insert(a_blocks.begin(), a_blocks.end());
      },
      [&] {
        // A's list still has blocks of its last refill; the returned ones follow its drain.
        a_again = AllocN(kN + kClasses[3].cap + kRemoteBatch);
      });
  a.WaitFirst();
  ASSERT_EQ(from_a.size(), kN);
  size_t b_got_a = 0;
  std::thread b([&] {
    for (void* p : a_blocks) hak_free(p);
    std::vector<void*> mine = AllocN(kN);
    b_got_a = CountIn(mine, from_a);
    for (void* p : mine) {
      if (!from_a.count(p)) hak_free(p);  // B's own blocks
    }
    // (local: the blocks of A that B got back stay with B's test bookkeeping below.)
    if (kRemoteFreeOwner) {
      EXPECT_EQ(CacheOutboxPending(), 0u) << "B's refill must have flushed its outbox";
    }
  });
  b.join();
  if constexpr (kRemoteFreeOwner) {
    EXPECT_EQ(b_got_a, 0u) << "owner mode: A's blocks must not enter B's list";
  } else if constexpr (kFreeDispatchSuperSlabFree) {
    // f7_broken: every free goes back to its slab, no thread list is involved.
  } else {
    EXPECT_EQ(b_got_a, kN) << "local mode: B's list holds A's blocks and hands them out first";
  }
  a.RunSecondAndJoin();
  if constexpr (kRemoteFreeOwner) {
    EXPECT_EQ(CountIn(a_again, from_a), kN) << "owner mode: every block came home to A";
  }
  // In local mode B handed A's blocks out again and did not free them: free them here.
  std::set<void*> freed;
  for (void* p : a_again) {
    if (freed.insert(p).second) hak_free(p);
  }
  if constexpr (!kRemoteFreeOwner) {
    for (void* p : a_blocks) {
      if (freed.insert(p).second) hak_free(p);
    }
  }
}

// owner: a chain waits in the outbox until it holds kRemoteBatch blocks, then goes in one push.
TEST(RemoteFree, OutboxFlushesByCount) {
  if constexpr (!kRemoteFreeOwner) GTEST_SKIP() << "remote_free=local has no outbox";
  std::vector<void*> a_blocks;
  TwoPhaseThread a([&] { a_blocks = AllocN(kRemoteBatch); }, [&] {
    for (void* p : a_blocks) hak_free(p);
  });
  a.WaitFirst();
  std::thread b([&] {
    for (uint32_t i = 0; i + 1 < kRemoteBatch; ++i) {
      hak_free(a_blocks[i]);
      EXPECT_EQ(CacheOutboxPending(), i + 1);
    }
    hak_free(a_blocks[kRemoteBatch - 1]);
    EXPECT_EQ(CacheOutboxPending(), 0u) << "the chain reached kRemoteBatch: pushed home";
  });
  b.join();
  // Give A its blocks back to free: A mallocs them from its inbox first once its list is empty.
  a_blocks.clear();
  a.RunSecondAndJoin();
}

// spill: frees stay on the freeing thread's list (local's fast path) until it overflows; then the
// blocks it spills that are homed at another thread go to that home's inbox at once, not to
// their slabs, and nothing waits in the outbox.
TEST(RemoteFree, SpillSendsOverflowHome) {
  if constexpr (!kRemoteFreeSpill) GTEST_SKIP() << "only remote_free=spill sends on overflow";
  constexpr int kClass = 3;  // kSize's class
  const uint32_t cap = kClasses[kClass].cap;
  std::vector<void*> a_blocks;
  uint32_t a_slot = 0;
  TwoPhaseThread a(
      [&] {
        a_blocks = AllocN(2 * cap);
        a_slot = t_cache.home_slot;
      },
      [&] {
        for (void* p : a_blocks) hak_free(p);
      });
  a.WaitFirst();
  ASSERT_NE(a_slot, 0u);
  const uint32_t inbox_before = CacheInboxPending(a_slot, kClass);
  std::vector<void*> b_kept;
  std::thread b([&] {
    // Below capacity: every free is a plain push onto B's list.
    for (uint32_t i = 0; i < cap; ++i) hak_free(a_blocks[i]);
    EXPECT_EQ(CacheInboxPending(a_slot, kClass), inbox_before) << "no overflow yet: nothing may go home";
    EXPECT_EQ(t_cache.count[kClass], cap);
    // The next free overflows the list: the spilled half (A's blocks) goes to A's inbox.
    hak_free(a_blocks[cap]);
    EXPECT_GE(CacheInboxPending(a_slot, kClass), inbox_before + cap / 2) << "the overflow must go home";
    EXPECT_EQ(CacheOutboxPending(), 0u) << "the spill sends its outbox at once";
    EXPECT_LE(t_cache.count[kClass], cap);
    // B keeps the blocks still on its list: take them back so A can free all of them.
    b_kept = AllocN(t_cache.count[kClass]);
  });
  b.join();
  // Blocks 0..cap are freed (home, or B's and taken back: freed here); A frees the rest.
  std::vector<void*> rest;
  for (size_t i = cap + 1; i < a_blocks.size(); ++i) rest.push_back(a_blocks[i]);
  for (void* p : b_kept) hak_free(p);
  a_blocks = rest;
  a.RunSecondAndJoin();
}

// Whatever exits first, every block ends up back in its slab: slabs in use return to where they
// were. (A slab is released only when it is unowned and every block is back, so a block left in
// an outbox, an inbox or a dead thread's cache keeps slabs_in_use above the start.)
class RemoteFreeExit : public ::testing::TestWithParam<bool> {};

TEST_P(RemoteFreeExit, ThreadExitStrandsNothing) {
  const bool owner_exits_first = GetParam();
  const uint64_t before = SuperSlabGetCounters().slabs_in_use;
  constexpr size_t kN = 3000;  // several slabs per class, all tiny classes
  std::vector<void*> blocks;
  TwoPhaseThread a(
      [&] {
        for (size_t i = 0; i < kN; ++i) {
          void* p = hak_malloc(1 + (i * 37) % kTinyMaxSize);
          ASSERT_NE(p, nullptr);
          blocks.push_back(p);
        }
      },
      [] {});
  a.WaitFirst();
  EXPECT_GT(SuperSlabGetCounters().slabs_in_use, before);
  // B's cache is live before A exits, so A's slot is not free for B to claim: B's chains really
  // meet a closed inbox when A exits first.
  TwoPhaseThread b([] { hak_free(hak_malloc(8)); }, [&] {
    for (void* p : blocks) hak_free(p);
    // Leaves with blocks in its outbox (the last chains of each class never reached the batch).
  });
  b.WaitFirst();
  if (owner_exits_first) a.RunSecondAndJoin();  // A's inbox closes: B's chains must fall back
  b.RunSecondAndJoin();
  if (!owner_exits_first) a.RunSecondAndJoin();  // A takes its inbox at exit
  EXPECT_EQ(SuperSlabGetCounters().slabs_in_use, before) << "blocks stranded after both threads exited";
}
INSTANTIATE_TEST_SUITE_P(Order, RemoteFreeExit, ::testing::Bool(), [](const auto& param_info) {
  return param_info.param ? std::string("OwnerExitsFirst") : std::string("FreerExitsFirst");
});

// owner: a thread holds a live home slot while it runs and gives it up at exit; its slabs carry it.
TEST(RemoteFree, HomeSlotsAreHeldWhileLiveAndReleasedAtExit) {
  if constexpr (!kRemoteHomes) GTEST_SKIP() << "remote_free=local has no home slots";
  uint32_t slot = 0;
  uint32_t slab_home = 0;
  std::thread t([&] {
    void* p = hak_malloc(kSize);
    slot = t_cache.home_slot;
    slab_home = TinySlabHome(reinterpret_cast<uintptr_t>(p));
    EXPECT_TRUE(CacheHomeSlotLive(slot));
    hak_free(p);
  });
  t.join();
  EXPECT_NE(slot, 0u);
  EXPECT_EQ(slab_home, slot) << "a slab carved by a thread is homed at that thread's slot";
  EXPECT_FALSE(CacheHomeSlotLive(slot)) << "the slot must be free once its thread exited";
}

// Many threads pass blocks around in a ring, some exit early: contents survive, nothing is lost.
TEST(RemoteFree, RingOfThreadsKeepsContentsAndStrandsNothing) {
  const uint64_t before = SuperSlabGetCounters().slabs_in_use;
  constexpr int kThreads = 6, kRounds = 4;
  constexpr size_t kPer = 2000;
  std::vector<std::vector<void*>> handed(kThreads);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::vector<void*>> next(kThreads);
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
      ts.emplace_back([&, t, round] {
        // Free what the previous thread of the ring allocated, checking its fill byte.
        for (void* p : handed[(t + 1) % kThreads]) {
          const uint8_t want = uint8_t(reinterpret_cast<uintptr_t>(p) >> 4);
          EXPECT_EQ(*static_cast<uint8_t*>(p), want);
          hak_free(p);
        }
        if (t == round % kThreads) return;  // one thread per round exits without allocating
        for (size_t i = 0; i < kPer; ++i) {
          // Sizes from 8 (C1 up): a C0 link's top byte is the next slot's header, so pushing a
          // C0 block rewrites (with the same value) the header byte another thread may be
          // reading to free its neighbour. TSan reports that in both modes (a design race of
          // the C0 link encoding, tiny.h, not of the remote path): kept out of this test.
          const size_t n = 8 + (i * 131 + size_t(t) * 7) % (kTinyMaxSize - 7);
          void* p = hak_malloc(n);
          ASSERT_NE(p, nullptr);
          memset(p, uint8_t(reinterpret_cast<uintptr_t>(p) >> 4), n);
          next[t].push_back(p);
        }
      });
    }
    for (auto& th : ts) th.join();
    handed.swap(next);
  }
  std::thread last([&] {
    for (auto& v : handed) {
      for (void* p : v) hak_free(p);
    }
  });
  last.join();
  EXPECT_EQ(SuperSlabGetCounters().slabs_in_use, before);
}

}  // namespace
