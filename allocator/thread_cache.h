// thread_cache.h — layer 3: the per-thread singly-linked free lists (TLS SLL), one per class,
// tiny and pool alike. The fast paths (front_gate.h) pop and push here; everything else here is
// slow path: refill from the thread's slab, spill back to slabs, thread exit.
#ifndef HAKMEM_ALLOCATOR_THREAD_CACHE_H_
#define HAKMEM_ALLOCATOR_THREAD_CACHE_H_

#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"
#include "allocator/superslab.h"

namespace hak {

enum CacheState : uint8_t { kCacheUninit = 0, kCacheLive = 1, kCacheDead = 2 };

// Zero-initialised TLS: cap[] == 0 sends the first malloc/free of a thread to the slow path,
// which initialises it. After thread exit cap[] is 0 again, so late frees go straight home.
struct ThreadCache {
  void* head[kNumClasses];
  uint32_t count[kNumClasses];
  uint32_t cap[kNumClasses];
  SlabMeta* current[kNumClasses];
  uint32_t heap_id;
  uint8_t state;
};
static_assert(offsetof(ThreadCache, head) == 0, "fast path: head[] first");

extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));

// Slow paths.
HAK_SLOW_PATH void* CacheRefillPop(int cls);       // head[cls] was empty
HAK_SLOW_PATH void CachePushSlow(void* p, int cls);  // list full, or cache not initialised
// Returns every cached block of the calling thread to its slab and leaves its slabs.
void CacheFlushThread();

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_THREAD_CACHE_H_
