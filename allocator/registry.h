// registry.h — layer 2: the registry of live SuperSlabs (2 MiB aligned regions).
// Lock-free lookups, writes under a lock. In E3 it is used only off the fast path; the history
// switches (free_fast_registry_check, classify_order=registry_first, free_dispatch=superslab)
// put it back on hot paths to reproduce what that cost.
#ifndef HAKMEM_ALLOCATOR_REGISTRY_H_
#define HAKMEM_ALLOCATOR_REGISTRY_H_

#include <cstddef>
#include <cstdint>

namespace hak {

inline constexpr int kRegistryBits = 14;  // hash: 16384 slots = 32 GiB of SuperSlabs
inline constexpr size_t kRegistryCapacity = size_t{1} << kRegistryBits;

// `base` is 2 MiB aligned. Insert fails (false) only when the registry is full.
bool RegistryInsert(uintptr_t base);
void RegistryRemove(uintptr_t base);
// The base of the registered SuperSlab containing p, or 0.
uintptr_t RegistryLookup(uintptr_t p);
size_t RegistrySize();
// fork(): the child re-initialises the writers' lock.
void RegistryLockForFork();
void RegistryUnlockAfterFork(bool child);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_REGISTRY_H_
