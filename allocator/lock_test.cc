// lock_test.cc — test of layer 1: the futex lock excludes, wakes its waiters and keeps errno.
#include "allocator/lock.h"

#include <errno.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace hak {
namespace {

TEST(Lock, ExcludesUnderContention) {
  Lock lock;
  uint64_t counter = 0;  // plain: only the lock orders the increments
  constexpr int kThreads = 4;
  constexpr int kRounds = 200000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        LockAcquire(&lock);
        ++counter;
        LockRelease(&lock);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, uint64_t(kThreads) * kRounds);
  EXPECT_EQ(lock.word.load(), 0u) << "free again, no waiter left marked";
}

TEST(Lock, AWaiterSleepsUntilTheHolderReleases) {
  Lock lock;
  LockAcquire(&lock);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    LockAcquire(&lock);
    got = true;
    LockRelease(&lock);
  });
  // The waiter spins, then marks the word 2 and sleeps: wait until it has.
  while (lock.word.load() != 2) std::this_thread::yield();
  EXPECT_FALSE(got.load());
  errno = 1234;
  LockRelease(&lock);  // sees 2: frees the word and wakes it
  EXPECT_EQ(errno, 1234) << "a release that wakes keeps errno";
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(lock.word.load(), 0u);
}

TEST(Lock, ResetInChildFreesAHeldLock) {
  Lock lock;
  LockAcquire(&lock);
  LockResetInChild(&lock);
  LockAcquire(&lock);  // would wait forever if the reset had not freed it
  LockRelease(&lock);
  EXPECT_EQ(lock.word.load(), 0u);
}

}  // namespace
}  // namespace hak
