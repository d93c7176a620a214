// os_pages.cc — layer 1: mmap/munmap/mremap/madvise/mincore/futex, fault injection and the OS counters.
#include "allocator/os_pages.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "allocator/size_classes.h"

namespace hak {
namespace {
std::atomic<int> g_fail_next{0};
std::atomic<uint64_t> g_maps{0}, g_unmaps{0}, g_failed{0}, g_bytes_now{0}, g_remaps{0};
}  // namespace

void OsFailNextMappings(int n) { g_fail_next.store(n < 0 ? 0 : n, std::memory_order_relaxed); }

OsCounters OsGetCounters() {
  return {g_maps.load(std::memory_order_relaxed), g_unmaps.load(std::memory_order_relaxed),
          g_failed.load(std::memory_order_relaxed), g_bytes_now.load(std::memory_order_relaxed),
          g_remaps.load(std::memory_order_relaxed)};
}

void* OsMapAligned(size_t size, size_t align) {
  int left = g_fail_next.load(std::memory_order_relaxed);
  while (left > 0 && !g_fail_next.compare_exchange_weak(left, left - 1)) {
  }
  if (left > 0) {
    g_failed.fetch_add(1, std::memory_order_relaxed);
    errno = ENOMEM;
    return nullptr;
  }
  if (size == 0 || size > (size_t{1} << 46)) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t span = size + align - kPageSize;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  if (raw == MAP_FAILED) {
    g_failed.fetch_add(1, std::memory_order_relaxed);
    errno = ENOMEM;
    return nullptr;
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + align - 1) & ~(uintptr_t(align) - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + span, want_end = aligned + size;
  if (end > want_end) munmap(reinterpret_cast<void*>(want_end), end - want_end);
  g_maps.fetch_add(1, std::memory_order_relaxed);
  g_bytes_now.fetch_add(size, std::memory_order_relaxed);
  return reinterpret_cast<void*>(aligned);
}

void OsUnmap(void* p, size_t size) {
  const int saved = errno;
  munmap(p, size);
  errno = saved;
  g_unmaps.fetch_add(1, std::memory_order_relaxed);
  g_bytes_now.fetch_sub(size, std::memory_order_relaxed);
}

bool OsRemap(void* p, size_t old_size, size_t new_size, void* dest) {
  const int saved = errno;
  void* q = dest == nullptr ? mremap(p, old_size, new_size, 0)
                            : mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
  errno = saved;
  if (q == MAP_FAILED) return false;
  g_remaps.fetch_add(1, std::memory_order_relaxed);
  if (dest == nullptr) {
    if (new_size >= old_size) g_bytes_now.fetch_add(new_size - old_size, std::memory_order_relaxed);
    else g_bytes_now.fetch_sub(old_size - new_size, std::memory_order_relaxed);
  } else {
    g_bytes_now.fetch_sub(old_size, std::memory_order_relaxed);  // dest's new_size was counted
  }
  return true;
}

void OsDiscard(void* p, size_t size) {
  const int saved = errno;
  madvise(p, size, MADV_DONTNEED);
  errno = saved;
}

bool OsPageMapped(const void* addr) {
  const int saved = errno;
  unsigned char vec;
  void* page = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(addr) & ~(kPageSize - 1));
  const bool mapped = mincore(page, kPageSize, &vec) == 0;
  errno = saved;
  return mapped;
}

void OsFutexWait(std::atomic<int>* word, int expected) {
  static_assert(sizeof(std::atomic<int>) == sizeof(int), "the futex word is the atomic's int");
  const int saved = errno;
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
  errno = saved;
}

void OsFutexWake(std::atomic<int>* word) {
  const int saved = errno;
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  errno = saved;
}

}  // namespace hak
