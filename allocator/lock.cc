// lock.cc — layer 1: the futex waits and wakes of lock.h (errno kept: free never changes it).
#include "allocator/lock.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hak {
namespace {
// Tries before sleeping: a chunk lock is held for a list push or pop (or an arena bitmap search),
// shorter than a futex round trip; on a 2-core machine the holder is usually running.
constexpr int kSpins = 100;

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

void LockWait(Lock* l) {
  for (int i = 0; i < kSpins; ++i) {
    CpuRelax();
    uint32_t free_word = 0;
    if (l->word.load(std::memory_order_relaxed) == 0 &&
        l->word.compare_exchange_weak(free_word, 1, std::memory_order_acquire, std::memory_order_relaxed)) {
      return;
    }
  }
  const int saved = errno;
  // From here on the word says 2 while we hold it, so our release wakes whoever waits after us.
  while (l->word.exchange(2, std::memory_order_acquire) != 0) {
    syscall(SYS_futex, &l->word, FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
  }
  errno = saved;
}

void UnlockWake(Lock* l) {
  const int saved = errno;
  l->word.store(0, std::memory_order_release);
  syscall(SYS_futex, &l->word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  errno = saved;
}

}  // namespace hak
