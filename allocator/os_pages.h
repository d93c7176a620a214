// os_pages.h — layer 1: memory from the OS. The only file that calls mmap/munmap/mremap/mincore
// (and futex, for lock.h).
#ifndef HAKMEM_ALLOCATOR_OS_PAGES_H_
#define HAKMEM_ALLOCATOR_OS_PAGES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hak {

// size bytes aligned to `align` (a power of two >= page size), zero-filled, or nullptr with errno
// ENOMEM. Over-maps and trims, so no address space is wasted.
void* OsMapAligned(size_t size, size_t align);
void OsUnmap(void* p, size_t size);
// Resizes the mapping [p, p+old_size) to new_size with mremap, keeping its pages (no copy).
// dest == nullptr: in place (a shrink always succeeds, a growth only when the pages after it
// are free). dest != nullptr: a mapping of new_size (e.g. from OsMapAligned) that the pages move
// onto (MREMAP_FIXED), so the new start keeps dest's alignment; [p, p+old_size) is then
// unmapped. False (nothing changed, errno kept) on failure. Sizes: multiples of the page size.
bool OsRemap(void* p, size_t old_size, size_t new_size, void* dest);
// Gives pages back to the OS but keeps the mapping (contents become zero).
void OsDiscard(void* p, size_t size);
// True when the page holding `addr` is mapped (mincore), without touching it.
bool OsPageMapped(const void* addr);

// lock.h's contended path: sleep while *word == expected (FUTEX_WAIT_PRIVATE; returns at once
// when it differs, and on a wake or a signal), and wake one sleeper. errno is kept.
void OsFutexWait(std::atomic<int>* word, int expected);
void OsFutexWake(std::atomic<int>* word);

// Fault injection for tests: the next `n` mappings fail with ENOMEM (n < 0: none).
void OsFailNextMappings(int n);
// Process-wide counters (always on: they live on the mmap path, never on a fast path).
struct OsCounters {
  uint64_t maps, unmaps, failed_maps, bytes_mapped_now;
  uint64_t remaps;  // successful OsRemap calls
};
OsCounters OsGetCounters();

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_OS_PAGES_H_
