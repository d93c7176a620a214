// ownership_map.h — layer 1: O(1) answer to "is this address ours, and what is there?".
//
// One byte per 64 KiB granule of the 47-bit address space, in a two-level radix map
// (root indexed by addr >> 32, leaves of 65536 bytes mapped on first use). The byte is
//   0                  not ours: never read memory near such a pointer
//   kGranuleFree       ours and mapped, holds no live block (free slab, cached SuperSlab)
//   0xA0|c, 0xB0|p     a tiny slab of class c / a pool SuperSlab of pool class p: the same
//                      byte as the blocks' header, so "map byte == header byte" proves both
//                      ownership and class in one compare
//   kChunkTag          a Mid/Large chunk
// Reads are lock-free; writes happen only when memory changes hands (slow paths).
#ifndef HAKMEM_ALLOCATOR_OWNERSHIP_MAP_H_
#define HAKMEM_ALLOCATOR_OWNERSHIP_MAP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"

namespace hak {

inline constexpr uint8_t kGranuleFree = 0x01;
inline constexpr int kMapRootBits = 47 - 32;  // 32768 root entries
inline constexpr size_t kMapLeafSize = size_t{1} << (32 - kGranuleShift);

extern std::atomic<uint8_t*> g_ownership_root[size_t{1} << kMapRootBits];

// A granule's index in its leaf: bits kGranuleShift..31 of the address, so a 32-bit shift of
// the low word (one instruction fewer on the free fast path than a 64-bit shift and a mask).
static_assert(kMapLeafSize == (size_t{1} << (32 - kGranuleShift)), "a leaf spans 4 GiB");
HAK_FAST_PATH uint32_t MapLeafIndex(uintptr_t addr) { return uint32_t(addr) >> kGranuleShift; }

// Fast path: two dependent loads. For an address the caller holds as a live block of ours: the
// byte of a granule with a live block in it is not rewritten while the block lives, so the plain
// read cannot race with OwnershipSet unless the pointer was never live (a misuse, which the
// caller's check then refuses whatever value it reads).
HAK_FAST_PATH uint8_t OwnershipGet(uintptr_t addr) {
  const uintptr_t hi = addr >> 32;
  if (HAK_UNLIKELY(hi >= (uintptr_t{1} << kMapRootBits))) return 0;
  const uint8_t* leaf = g_ownership_root[hi].load(std::memory_order_acquire);
  if (leaf == nullptr) return 0;
  return leaf[MapLeafIndex(addr)];
}

// The same answer for an address that may lie in memory changing hands right now (the granule
// before a granule-aligned block, the classifier's probes of foreign pointers): an atomic byte
// load, because OwnershipSet may be storing that byte on another thread. TSan found the race
// (HeaderReadable against ReleaseSlabLocked in f7_fix1__stress_test). A separate function so
// that the fast path keeps its fused load-and-compare (the atomic load costs one instruction).
inline uint8_t OwnershipGetRacy(uintptr_t addr) {
  const uintptr_t hi = addr >> 32;
  if (HAK_UNLIKELY(hi >= (uintptr_t{1} << kMapRootBits))) return 0;
  const uint8_t* leaf = g_ownership_root[hi].load(std::memory_order_acquire);
  if (leaf == nullptr) return 0;
  return __atomic_load_n(&leaf[MapLeafIndex(addr)], __ATOMIC_ACQUIRE);
}

// Marks [addr, addr+size) (granule aligned) with `value`. False if a leaf cannot be mapped.
bool OwnershipSet(uintptr_t addr, size_t size, uint8_t value);
void OwnershipLockForFork();
void OwnershipUnlockAfterFork(bool child);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_OWNERSHIP_MAP_H_
