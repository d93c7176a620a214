// os_pages.h — layer 1: memory from the OS. The only file that calls mmap/munmap/mincore.
#ifndef HAKMEM_ALLOCATOR_OS_PAGES_H_
#define HAKMEM_ALLOCATOR_OS_PAGES_H_

#include <cstddef>
#include <cstdint>

namespace hak {

// size bytes aligned to `align` (a power of two >= page size), zero-filled, or nullptr with errno
// ENOMEM. Over-maps and trims, so no address space is wasted.
void* OsMapAligned(size_t size, size_t align);
void OsUnmap(void* p, size_t size);
// Gives pages back to the OS but keeps the mapping (contents become zero).
void OsDiscard(void* p, size_t size);
// True when the page holding `addr` is mapped (mincore), without touching it.
bool OsPageMapped(const void* addr);

// Fault injection for tests: the next `n` mappings fail with ENOMEM (n < 0: none).
void OsFailNextMappings(int n);
// Process-wide counters (always on: they live on the mmap path, never on a fast path).
struct OsCounters {
  uint64_t maps, unmaps, failed_maps, bytes_mapped_now;
};
OsCounters OsGetCounters();

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_OS_PAGES_H_
