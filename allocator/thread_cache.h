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
  // remote_free=owner|spill: this thread's home slot (1..kHomeSlots-1), the value its slabs carry in
  // SlabMeta::home; 0 before init, after exit, or when every slot is taken (frees stay local).
  uint32_t home_slot;
};
static_assert(offsetof(ThreadCache, head) == 0, "fast path: head[] first");
static_assert(offsetof(ThreadCache, home_slot) == offsetof(ThreadCache, state) + 4 &&
                  sizeof(ThreadCache) == offsetof(ThreadCache, home_slot) + 8,
              "home_slot: after state, before the tail padding");

// remote_free=owner and spill (thread_cache.cc; spill reaches them only from a list's overflow,
// Spill): home slots, each with one MPSC inbox per tiny class (a
// Treiber stack of blocks whose head word also counts them, so the home takes a whole inbox into
// an empty list in O(1), without walking it); per thread, an outbox of kOutboxHomes homes with
// one chain per class, a chain pushed in one CAS once it holds kRemoteBatch blocks, and every
// chain when its home is evicted, on the thread's next refill, and at thread exit.
inline constexpr uint32_t kHomeSlots = 64;    // slot 0 = no home
inline constexpr uint32_t kOutboxHomes = 4;
inline constexpr uint32_t kRemoteBatch = 16;  // blocks per chain per CAS

extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));

// The list's pop: the first block of class c, or nullptr when the list is empty.
HAK_FAST_PATH void* CachePop(ThreadCache& tc, int c) {
  void* p = tc.head[c];
  if (HAK_LIKELY(p != nullptr)) {
    void* next = LinkNext(p);
    tc.head[c] = next;
    --tc.count[c];
    // remote_free=owner: blocks that came home were last written by the sender's core, so the
    // next pop's link load would miss; start fetching it now (prefetching nullptr is harmless).
    if constexpr (kRemoteFreeOwner) __builtin_prefetch(next, 1, 3);
  }
  return p;
}
// The list's push: a chain of n linked blocks first..last of class c (header byte h) goes on top.
HAK_FAST_PATH void CachePush(ThreadCache& tc, uint32_t c, void* first, void* last, uint32_t n, uint8_t h) {
  LinkSet(last, tc.head[c], h);
  tc.head[c] = first;
  tc.count[c] += n;
}

// Slow paths.
HAK_SLOW_PATH void* CacheRefillPop(int cls) noexcept;       // head[cls] was empty
// mid_fast_path=on, pool class cls's list empty: PoolBorrow first (a short function, so the
// borrow does not pay CacheRefillPop's frame), else CacheRefillPop.
HAK_SLOW_PATH void* CachePoolRefillPop(int cls) noexcept;
HAK_SLOW_PATH void CachePushSlow(void* p, int cls) noexcept;  // list full, or cache not initialised
// remote_free=owner: tiny block start p of class c whose slab's home is not this thread's slot:
// into the outbox for that home (or this thread's list when there is no live home).
HAK_SLOW_PATH void CacheFreeRemote(void* p, int c) noexcept;

// A freed block start p of class c (header byte h) on the calling thread's list: the fast push,
// or the slow path when the list is at capacity (or the cache is not live: cap is 0 then).
// Called for tiny blocks only (the header fast path, after the ownership map proved p is in a
// tiny slab). remote_free=owner: one load of the slab's home and a compare with this thread's
// slot; a block homed elsewhere takes the remote path. (Also before init and after exit, when
// home_slot is 0: the remote path sorts those out.)
HAK_FAST_PATH void CacheFree(void* p, uint32_t c, uint8_t h) {
  ThreadCache& tc = t_cache;
  if constexpr (kRemoteFreeOwner) {
    if (HAK_UNLIKELY(TinySlabHome(reinterpret_cast<uintptr_t>(p)) != tc.home_slot)) return CacheFreeRemote(p, int(c));
  }
  if (HAK_UNLIKELY(tc.count[c] >= tc.cap[c])) return CachePushSlow(p, int(c));
  CachePush(tc, c, p, p, 1, h);
}
// Returns every cached block of the calling thread to its slab and leaves its slabs
// (remote_free=owner: after sending its outboxes home and taking its inbox).
void CacheFlushThread();

// remote_free=owner and spill, for tests and hak_get_info-style introspection: blocks waiting in
// the calling thread's outboxes or in a home's inbox, and whether home slot `slot` is held by a
// live thread.
uint32_t CacheOutboxPending();
uint32_t CacheInboxPending(uint32_t slot, int c);  // blocks waiting in slot's class-c inbox
bool CacheHomeSlotLive(uint32_t slot);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_THREAD_CACHE_H_
