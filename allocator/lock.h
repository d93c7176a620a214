// lock.h — layer 1: the allocator's mutex on a hot path (the chunk lock of mid_large.cc): one
// futex word (Drepper, "Futexes Are Tricky", mutex 2): 0 free, 1 held, 2 held and maybe waited
// for. Taking a free lock is one compare-and-swap and releasing an unwaited one one atomic
// subtract, both inline; a waiter spins briefly, then sleeps in the kernel (FUTEX_WAIT), and
// the release that sees 2 wakes one. glibc's pthread_mutex_lock and pthread_mutex_unlock (a
// call each, mutex-kind dispatch) cost the Mid chunk hit path 53 instructions per malloc + free
// pair (callgrind, size_sweep 64 KiB: 26% of its instructions).
#ifndef HAKMEM_ALLOCATOR_LOCK_H_
#define HAKMEM_ALLOCATOR_LOCK_H_

#include <atomic>
#include <cstdint>

#include "allocator/config.h"

namespace hak {

struct Lock {
  std::atomic<uint32_t> word{0};
};
static_assert(sizeof(Lock) == 4, "one futex word");

HAK_SLOW_PATH void LockWait(Lock* l);     // the word was not 0: spin, then sleep until taken
HAK_SLOW_PATH void UnlockWake(Lock* l);   // the word was 2: free it and wake one waiter

HAK_FAST_PATH void LockAcquire(Lock* l) {
  uint32_t free_word = 0;
  if (HAK_UNLIKELY(!l->word.compare_exchange_strong(free_word, 1, std::memory_order_acquire,
                                                    std::memory_order_relaxed))) {
    LockWait(l);
  }
}
HAK_FAST_PATH void LockRelease(Lock* l) {
  if (HAK_UNLIKELY(l->word.fetch_sub(1, std::memory_order_release) != 1)) UnlockWake(l);
}
// fork(): the child has one thread, so a lock the parent's other threads held is simply free.
inline void LockResetInChild(Lock* l) { l->word.store(0, std::memory_order_relaxed); }

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_LOCK_H_
