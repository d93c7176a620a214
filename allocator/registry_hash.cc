// registry_hash.cc — layer 2, registry_impl=hash: fixed table, linear probing, tombstones on removal,
// lock-free reads (a reader sees a slot either before or after a single atomic store).
#include <pthread.h>

#include <atomic>

#include "allocator/config.h"
#include "allocator/registry.h"
#include "allocator/registry_internal.h"
#include "allocator/size_classes.h"

#if HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_HASH

namespace hak {
namespace {
constexpr uintptr_t kEmpty = 0, kTombstone = 1;
std::atomic<uintptr_t> g_slots[kRegistryCapacity];

inline size_t HashOf(uintptr_t base) {
  return size_t(((base >> kSuperSlabShift) * 0x9E3779B97F4A7C15ull) >> (64 - kRegistryBits));
}
}  // namespace

bool RegistryInsert(uintptr_t base) {
  pthread_mutex_lock(&g_registry_lock);
  bool ok = false;
  if (g_registry_size + 1 < kRegistryCapacity) {
    for (size_t i = HashOf(base);; i = (i + 1) & (kRegistryCapacity - 1)) {
      const uintptr_t v = g_slots[i].load(std::memory_order_relaxed);
      if (v == kEmpty || v == kTombstone) {
        g_slots[i].store(base, std::memory_order_release);
        ++g_registry_size;
        ok = true;
        break;
      }
    }
  }
  pthread_mutex_unlock(&g_registry_lock);
  return ok;
}

void RegistryRemove(uintptr_t base) {
  pthread_mutex_lock(&g_registry_lock);
  for (size_t i = HashOf(base);; i = (i + 1) & (kRegistryCapacity - 1)) {
    const uintptr_t v = g_slots[i].load(std::memory_order_relaxed);
    if (v == kEmpty) break;
    if (v == base) {
      g_slots[i].store(kTombstone, std::memory_order_release);
      --g_registry_size;
      break;
    }
  }
  pthread_mutex_unlock(&g_registry_lock);
}

uintptr_t RegistryLookup(uintptr_t p) {
  const uintptr_t base = p & ~(uintptr_t(kSuperSlabSize) - 1);
  for (size_t i = HashOf(base), n = 0; n < kRegistryCapacity;
       i = (i + 1) & (kRegistryCapacity - 1), ++n) {
    const uintptr_t v = g_slots[i].load(std::memory_order_acquire);
    if (v == base) return base;
    if (v == kEmpty) return 0;
  }
  return 0;
}

}  // namespace hak

#endif  // HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_HASH
