// lock_test.cc — test of layer 1: the futex mutex (lock.h) excludes, sleeps and wakes.
#include "allocator/lock.h"

#include <errno.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace hak {
namespace {

TEST(Lock, UncontendedLockAndUnlockLeaveItFree) {
  Lock l;
  EXPECT_FALSE(l.HeldForTest());
  l.lock();
  EXPECT_TRUE(l.HeldForTest());
  l.unlock();
  EXPECT_FALSE(l.HeldForTest());
}

// More threads than the machine's 2 cores, each holding the lock across a read-modify-write of
// plain memory: a lost update means two holders at once. With 4 threads on 2 cores holders are
// preempted, so waiters run out of spins and sleep in the futex (state 2) and must be woken.
TEST(Lock, ExcludesAndWakesEveryWaiter) {
  Lock l;
  uint64_t plain = 0;  // guarded by l only
  constexpr int kThreads = 4, kIters = 200000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < kIters; ++i) {
        l.lock();
        const uint64_t v = plain;
        plain = v + 1;
        l.unlock();
      }
    });
  }
  for (auto& t : ts) t.join();  // a waiter never woken hangs here (the test's timeout fails it)
  EXPECT_EQ(plain, uint64_t{kThreads} * kIters);
  EXPECT_FALSE(l.HeldForTest());
}

// A waiter that finds the lock held for long sleeps in the futex; the unlock must wake it.
TEST(Lock, AWaiterBlockedOnAHeldLockRunsAfterTheUnlock) {
  Lock l;
  std::atomic<int> stage{0};
  l.lock();
  std::thread waiter([&] {
    stage.store(1);
    l.lock();  // spins out, then FUTEX_WAIT with the state at 2
    stage.store(2);
    l.unlock();
  });
  while (stage.load() != 1) std::this_thread::yield();
  EXPECT_EQ(stage.load(), 1) << "the waiter cannot pass a held lock";
  l.unlock();
  waiter.join();
  EXPECT_EQ(stage.load(), 2);
  EXPECT_FALSE(l.HeldForTest());
}

TEST(Lock, TheContendedPathKeepsErrno) {
  Lock l;
  l.lock();
  std::thread waiter([&] {
    errno = 1234;
    l.lock();
    const int seen = errno;
    l.unlock();
    EXPECT_EQ(seen, 1234);
  });
  for (int i = 0; i < 1000; ++i) std::this_thread::yield();  // let it reach the futex
  errno = 4321;
  l.unlock();
  EXPECT_EQ(errno, 4321) << "the wake kept errno";
  waiter.join();
}

}  // namespace
}  // namespace hak
