// thread_cache.cc — layer 3: the TLS lists' slow paths: thread init, refill, spill, thread exit.
#include "allocator/thread_cache.h"

#include <pthread.h>

#include <atomic>

#include "allocator/stats.h"

namespace hak {

__thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));

namespace {
std::atomic<uint32_t> g_next_heap_id{1};
pthread_key_t g_exit_key;
pthread_once_t g_once = PTHREAD_ONCE_INIT;

void OnThreadExit(void*) {
  CacheFlushThread();
  ThreadCache& tc = t_cache;
  tc.state = kCacheDead;
  for (int c = 0; c < kNumClasses; ++c) tc.cap[c] = 0;  // later frees miss the fast path
}

void GlobalInitOnce() { pthread_key_create(&g_exit_key, OnThreadExit); }

HAK_SLOW_PATH void ThreadInit(ThreadCache& tc) {
  // Mark live first: anything below that re-enters malloc (pthread_once, the key's registration)
  // finds an initialised cache instead of recursing here.
  tc.heap_id = g_next_heap_id.fetch_add(1, std::memory_order_relaxed);
  if (tc.heap_id == 0) tc.heap_id = g_next_heap_id.fetch_add(1, std::memory_order_relaxed);
  for (int c = 0; c < kNumClasses; ++c) tc.cap[c] = kClasses[c].cap;
  tc.state = kCacheLive;
  pthread_once(&g_once, GlobalInitOnce);
  pthread_setspecific(g_exit_key, &tc);
}

// Returns the first n blocks of the list of class cls to their slabs, one SlabReturn per run of
// blocks from the same slab. The list's bulk detach: it walks the runs in place and cuts the list
// once, where n CachePops would write head and count n times.
void Spill(ThreadCache& tc, int cls, uint32_t n) {
  HAK_STAT(spill);
  void* p = tc.head[cls];
  uint32_t done = 0;
  while (done < n && p != nullptr) {
    SlabMeta* s = SlabOf(reinterpret_cast<uintptr_t>(p));
    void* run_head = p;
    void* run_tail = p;
    uint32_t run = 1;
    p = LinkNext(p);
    while (done + run < n && p != nullptr && SlabOf(reinterpret_cast<uintptr_t>(p)) == s) {
      run_tail = p;
      ++run;
      p = LinkNext(p);
    }
    SlabReturn(s, run_head, run_tail, run, tc.heap_id);
    done += run;
  }
  tc.head[cls] = p;
  tc.count[cls] -= done;
}

void FlushClass(ThreadCache& tc, int cls) {
  Spill(tc, cls, tc.count[cls]);
  if (tc.current[cls] != nullptr) {
    SlabLeave(tc.current[cls]);
    tc.current[cls] = nullptr;
  }
}
}  // namespace

void* CacheRefillPop(int cls) {
  ThreadCache& tc = t_cache;
  if (HAK_UNLIKELY(tc.state == kCacheUninit)) ThreadInit(tc);
  // Another path (pool, memalign) may have filled the list meanwhile.
  if (void* p = CachePop(tc, cls)) return p;
  HAK_STAT(refill);
  const uint32_t want = tc.state == kCacheDead ? 1 : kClasses[cls].batch;
  void* head = nullptr;
  void* tail = nullptr;
  uint32_t got = 0;
  for (;;) {
    SlabMeta* s = tc.current[cls];
    if (s != nullptr) {
      got = SlabTake(s, want, &head, &tail);
      if (got != 0) break;
      SlabLeave(s);  // exhausted: unowned until frees come back to it
      tc.current[cls] = nullptr;
    }
    s = SlabAdoptPartial(cls, tc.heap_id);
    if (s == nullptr) s = SlabAcquire(cls, tc.heap_id);
    if (s == nullptr) return nullptr;  // errno ENOMEM from the OS layer
    tc.current[cls] = s;
  }
  // Hand out the first block, cache the rest.
  void* rest = LinkNext(head);
  if (got > 1) CachePush(tc, cls, rest, tail, got - 1, kClasses[cls].header);
  if (HAK_UNLIKELY(tc.state == kCacheDead)) FlushClass(tc, cls);
  return head;
}

void CachePushSlow(void* p, int cls) {
  ThreadCache& tc = t_cache;
  if (tc.state == kCacheUninit) ThreadInit(tc);
  if (HAK_UNLIKELY(tc.state == kCacheDead)) {  // thread is exiting: straight home
    SlabReturn(SlabOf(reinterpret_cast<uintptr_t>(p)), p, p, 1, 0);
    return;
  }
  if (tc.count[cls] >= tc.cap[cls]) Spill(tc, cls, tc.count[cls] - tc.cap[cls] / 2);
  CachePush(tc, cls, p, p, 1, kClasses[cls].header);
}

void CacheFlushThread() {
  ThreadCache& tc = t_cache;
  if (tc.state != kCacheLive) return;
  for (int c = 0; c < kNumClasses; ++c) FlushClass(tc, c);
}

}  // namespace hak
