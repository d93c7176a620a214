// ownership_map.cc — layer 1: the ownership map's leaves (mapped on first use) and its writers.
#include "allocator/ownership_map.h"

#include <pthread.h>

#include "allocator/os_pages.h"

namespace hak {

std::atomic<uint8_t*> g_ownership_root[size_t{1} << kMapRootBits];

namespace {
pthread_mutex_t g_leaf_lock = PTHREAD_MUTEX_INITIALIZER;

uint8_t* LeafFor(uintptr_t hi) {
  uint8_t* leaf = g_ownership_root[hi].load(std::memory_order_acquire);
  if (leaf != nullptr) return leaf;
  pthread_mutex_lock(&g_leaf_lock);
  leaf = g_ownership_root[hi].load(std::memory_order_relaxed);
  if (leaf == nullptr) {
    leaf = static_cast<uint8_t*>(OsMapAligned(kMapLeafSize, kPageSize));
    if (leaf != nullptr) g_ownership_root[hi].store(leaf, std::memory_order_release);
  }
  pthread_mutex_unlock(&g_leaf_lock);
  return leaf;
}
}  // namespace

bool OwnershipSet(uintptr_t addr, size_t size, uint8_t value) {
  for (uintptr_t a = addr; a < addr + size; a += kGranule) {
    const uintptr_t hi = a >> 32;
    if (hi >= (uintptr_t{1} << kMapRootBits)) return false;
    uint8_t* leaf = LeafFor(hi);
    if (leaf == nullptr) return false;
    // Plain byte stores: a reader racing with a change of hands sees old or new, both safe,
    // because memory is marked before it is handed out and unmarked after it is taken back.
    __atomic_store_n(&leaf[(a >> kGranuleShift) & (kMapLeafSize - 1)], value, __ATOMIC_RELEASE);
  }
  return true;
}

void OwnershipLockForFork() { pthread_mutex_lock(&g_leaf_lock); }
void OwnershipUnlockAfterFork(bool child) {
  if (child) pthread_mutex_init(&g_leaf_lock, nullptr); else pthread_mutex_unlock(&g_leaf_lock);
}

}  // namespace hak
