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

// Fast path: two dependent loads.
HAK_FAST_PATH uint8_t OwnershipGet(uintptr_t addr) {
  const uintptr_t hi = addr >> 32;
  if (HAK_UNLIKELY(hi >= (uintptr_t{1} << kMapRootBits))) return 0;
  const uint8_t* leaf = g_ownership_root[hi].load(std::memory_order_acquire);
  if (leaf == nullptr) return 0;
  return leaf[(addr >> kGranuleShift) & (kMapLeafSize - 1)];
}

// Marks [addr, addr+size) (granule aligned) with `value`. False if a leaf cannot be mapped.
bool OwnershipSet(uintptr_t addr, size_t size, uint8_t value);
void OwnershipLockForFork();
void OwnershipUnlockAfterFork(bool child);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_OWNERSHIP_MAP_H_
