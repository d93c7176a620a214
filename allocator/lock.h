// lock.h — layer 1: the allocator's mutex for locks taken on a program's normal path (the Mid/Large
// chunk lock, once per Mid malloc and free). Drepper's three-state futex mutex ("Futexes Are
// Tricky", mutex 3): 0 free, 1 held, 2 held with waiters. Uncontended, Lock is one CAS and Unlock
// one exchange, inline; glibc's pthread_mutex_lock/unlock cost size_sweep 64 KiB about 55
// instructions an op (type and elision checks in both, out of line). Contended, a short spin,
// then FUTEX_WAIT in the OS layer (os_pages.cc keeps the system calls).
#ifndef HAKMEM_ALLOCATOR_LOCK_H_
#define HAKMEM_ALLOCATOR_LOCK_H_

#include <atomic>

#include "allocator/config.h"
#include "allocator/os_pages.h"

namespace hak {

class Lock {
 public:
  constexpr Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  HAK_FAST_PATH void lock() {
    int expected = 0;
    if (HAK_LIKELY(state_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed))) return;
    LockSlow();
  }
  HAK_FAST_PATH void unlock() {
    if (HAK_UNLIKELY(state_.exchange(0, std::memory_order_release) == 2)) OsFutexWake(&state_);
  }
  // fork() child: the only thread; whatever the parent's threads held is free.
  void ResetAfterFork() { state_.store(0, std::memory_order_relaxed); }
  bool HeldForTest() const { return state_.load(std::memory_order_relaxed) != 0; }

 private:
  HAK_SLOW_PATH void LockSlow() {
    for (int i = 0; i < 64; ++i) {  // the holder is usually a few hundred instructions from done
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      int expected = 0;
      if (state_.load(std::memory_order_relaxed) == 0 &&
          state_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed)) {
        return;
      }
    }
    // Held: say there are waiters (2) and sleep until the holder's unlock wakes one.
    while (state_.exchange(2, std::memory_order_acquire) != 0) OsFutexWait(&state_, 2);
  }

  std::atomic<int> state_{0};
};
static_assert(sizeof(Lock) == sizeof(int) && std::atomic<int>::is_always_lock_free, "a futex word");

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_LOCK_H_
