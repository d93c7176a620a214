// thread_cache.h — layer 3: the per-thread singly-linked free lists (TLS SLL), one per class,
// tiny and pool alike. CachePop and CachePush below are the lists' only pop and push, for every
// caller (fast paths, refill, pool, slow frees); thread_cache.cc holds the slow paths: refill
// from the thread's slab, spill back to slabs, thread exit.
#ifndef HAKMEM_ALLOCATOR_THREAD_CACHE_H_
#define HAKMEM_ALLOCATOR_THREAD_CACHE_H_

#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"
#include "allocator/superslab.h"
#include "allocator/tiny.h"

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

// The list's pop: the first block of class c, or nullptr when the list is empty.
HAK_FAST_PATH void* CachePop(ThreadCache& tc, int c) {
  void* p = tc.head[c];
  if (HAK_LIKELY(p != nullptr)) {
    tc.head[c] = LinkNext(p);
    --tc.count[c];
  }
  return p;
}
// The list's push: a chain of n linked blocks first..last of class c (header byte h) goes on top.
HAK_FAST_PATH void CachePush(ThreadCache& tc, int c, void* first, void* last, uint32_t n, uint8_t h) {
  LinkSet(last, tc.head[c], h);
  tc.head[c] = first;
  tc.count[c] += n;
}

// Slow paths.
HAK_SLOW_PATH void* CacheRefillPop(int cls);       // head[cls] was empty
HAK_SLOW_PATH void CachePushSlow(void* p, int cls);  // list full, or cache not initialised

// A freed block start p of class c (header byte h) on the calling thread's list: the fast push,
// or the slow path when the list is at capacity (or the cache is not live: cap is 0 then).
HAK_FAST_PATH void CacheFree(void* p, int c, uint8_t h) {
  ThreadCache& tc = t_cache;
  if (HAK_UNLIKELY(tc.count[c] >= tc.cap[c])) return CachePushSlow(p, c);
  CachePush(tc, c, p, p, 1, h);
}
// Returns every cached block of the calling thread to its slab and leaves its slabs.
void CacheFlushThread();

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_THREAD_CACHE_H_
