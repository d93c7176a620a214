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

// ---- remote_free=owner and spill: home slots and outboxes ----
// A home slot is held by one live thread at a time (claimed at thread init, released at exit).
// Its inbox[c] is a Treiber stack of class-c blocks; the head word is (count << 48 | head), so
// senders push a whole chain and add its length in one CAS, and the holder takes everything,
// count included, with one exchange. Push plus take-all is ABA-safe. While no thread holds the
// slot its inboxes read kInboxClosed and a sender keeps its chain; a stale sender that reaches a
// slot re-claimed by another thread delivers to that thread, which is as valid a cache as any.
constexpr uintptr_t kInboxClosed = 1;  // never a block address (blocks are 8-aligned)
constexpr int kInboxCountShift = 48;
constexpr uintptr_t kInboxAddrMask = (uintptr_t{1} << kInboxCountShift) - 1;
constexpr uint32_t kInboxMaxCount = 0xFFFF;
struct alignas(64) HomeSlot {
  std::atomic<uintptr_t> inbox[kNumTinyClasses];
};
static_assert(sizeof(HomeSlot) == 64, "one home slot per cache line: senders to different homes never share one");
HomeSlot g_homes[kHomeSlots];                     // zero: open and empty (unclaimed slots are never a home)
std::atomic<uint32_t> g_home_claimed[kHomeSlots];  // 1 = held by a live thread

// Per thread: up to kOutboxHomes homes, one chain head..tail per class, linked as a TLS list
// (each link carries its class's header byte); a chain's tail links to nullptr until its push.
struct OutboxEntry {
  uint32_t home;   // 0 = entry free
  uint32_t total;  // blocks in all chains
  void* head[kNumTinyClasses];
  void* tail[kNumTinyClasses];
  uint32_t count[kNumTinyClasses];
};
struct Outbox {
  OutboxEntry e[kOutboxHomes];
  uint32_t pending;  // blocks in all entries
  uint32_t victim;   // round robin when every entry is taken
};
__thread Outbox t_outbox __attribute__((tls_model("initial-exec")));

void Spill(ThreadCache& tc, int cls, uint32_t n);

// mid_fast_path=on: a pool class's list starts at a quarter of its capacity (at least 4 blocks)
// and doubles at each refill up to the full kPoolCacheBytes (size_classes.h), and a refill takes half of
// the current capacity. A thread that only frees blocks of a class (a consumer) caches little of
// it and spills the rest back to the slabs, and a class a thread touches a few times carves few
// slots; a class it keeps allocating from reaches the full cache after two refills.
uint32_t StartCap(int c) {
  const uint32_t full = kClasses[c].cap;
  if (!kMidFastPath || c < kFirstPoolClass) return full;
  return full / 4 > 4 ? full / 4 : (full < 4 ? full : 4);
}

// mid_fast_path=on: a pool class whose list is empty and whose slab has no freed block to give
// back would grow: carve slots never used (their pages faulted in) or take a new slab. Before
// that, a block cached for one of the next kPoolBorrowUp classes (at most 1.25^2 = 1.56x the
// class's size, already resident) is handed out instead; its free goes to its own class by the
// map byte, as any free does. With 24 classes each class's own high-water mark of live blocks was
// resident (medium_mixed ws 128: 4.0 MiB of heap against 2.5 MiB with the seeds' 7 classes).
// Known cost (2026-12-03, issue 14): a borrowed block's free refills the bigger class, never this
// one, so a malloc/free loop of one size stays on this slow path while the next classes hold
// blocks (size 2048 after 3 KiB loops: 172 instructions a pair instead of 71, 14 ns instead of
// 3.4; 128 since the miss reaches this without MallocSlow's and CacheRefillPop's frames). Capping
// borrows between refills mends the loop, but the gate failed every cap tried on medium_mixed ws
// 512 RSS after free (8.8 -> 11.2 MiB): the borrowing is what saves that memory.
// (Inlined into CachePoolRefillPop, the fast path's miss: a borrow there costs no frame of its own.)
inline constexpr int kPoolBorrowUp = 2;
HAK_FAST_PATH void* PoolBorrow(ThreadCache& tc, int cls) {
  const SlabMeta* s = tc.current[cls];
  if (s != nullptr && (s->free != nullptr || s->remote.load(std::memory_order_relaxed) != 0)) return nullptr;
  if (SlabPartialWaiting(cls)) return nullptr;
  for (int up = cls + 1; up <= cls + kPoolBorrowUp && up < kNumClasses; ++up) {
    if (void* p = CachePop(tc, up)) {
      HAK_STAT(pool_borrow);
      return p;
    }
  }
  return nullptr;
}

// remote_free=spill: a chain that cannot go home (closed or full inbox) goes back to its slabs,
// one SlabReturn per run of blocks from the same slab, as a local-mode spill does. (Never onto
// this thread's lists: the spill that built the chain is making room there.)
void ReturnChainToSlabs(ThreadCache& tc, void* b) {
  while (b != nullptr) {
    SlabMeta* s = SlabOf(reinterpret_cast<uintptr_t>(b));
    void* run_head = b;
    void* run_tail = b;
    uint32_t run = 1;
    b = LinkNext(b);
    while (b != nullptr && SlabOf(reinterpret_cast<uintptr_t>(b)) == s) {
      run_tail = b;
      ++run;
      b = LinkNext(b);
    }
    SlabReturn(s, run_head, run_tail, run, tc.heap_id);
  }
}

// How many blocks a home's class-c inbox may hold before senders keep their chains. owner: the
// head word's count field. spill: four list capacities, so an idle home cannot hoard what other
// threads could reuse from the slabs.
uint32_t InboxLimit(int c) { return kRemoteFreeSpill ? 4u * kClasses[c].cap : kInboxMaxCount; }

// A chain of tiny blocks (links as in the TLS lists: each carries its class) onto this thread's
// lists, block by block; a list pushed beyond its capacity spills back down to it. The slow form:
// fallbacks and thread exit only (the home's drain of an empty list splices without a walk).
void Distribute(ThreadCache& tc, void* b) {
  uint32_t touched = 0;
  while (b != nullptr) {
    const uintptr_t w = *static_cast<uintptr_t*>(b);
    void* next = reinterpret_cast<void*>(w & kLinkAddrMask);
    const uint8_t h = uint8_t(w >> 56);
    const int c = h & 0x07;
    CachePush(tc, c, b, b, 1, h);
    touched |= 1u << c;
    b = next;
  }
  while (touched != 0) {
    const int c = __builtin_ctz(touched);
    touched &= touched - 1;
    if (tc.count[c] > tc.cap[c]) Spill(tc, c, tc.count[c] - tc.cap[c]);
  }
}

// Sends the class-c chain of an outbox entry to its home with one CAS (or keeps it: the home has
// exited, the inbox count would overflow, or an address does not fit the head word).
void FlushChain(ThreadCache& tc, OutboxEntry& e, int c) {
  const uint32_t n = e.count[c];
  void* head = e.head[c];
  void* tail = e.tail[c];
  const uint8_t h = kClasses[c].header;
  std::atomic<uintptr_t>& inbox = g_homes[e.home].inbox[c];
  uintptr_t old = inbox.load(std::memory_order_relaxed);
  for (;;) {
    if (old == kInboxClosed || (old >> kInboxCountShift) + n > InboxLimit(c) ||
        (reinterpret_cast<uintptr_t>(head) & ~kInboxAddrMask) != 0) {
      LinkSet(tail, nullptr, h);
      HAK_STAT(remote_fallback);
      if constexpr (kRemoteFreeSpill) {
        ReturnChainToSlabs(tc, head);
      } else {
        Distribute(tc, head);
      }
      break;
    }
    LinkSet(tail, reinterpret_cast<void*>(old & kInboxAddrMask), h);
    const uintptr_t next = (((old >> kInboxCountShift) + n) << kInboxCountShift) | reinterpret_cast<uintptr_t>(head);
    if (inbox.compare_exchange_weak(old, next, std::memory_order_release, std::memory_order_relaxed)) {
      HAK_STAT(remote_flush);
      break;
    }
  }
  e.head[c] = e.tail[c] = nullptr;
  e.count[c] = 0;
  e.total -= n;
  t_outbox.pending -= n;
  if (e.total == 0) e.home = 0;
}

void FlushEntry(ThreadCache& tc, OutboxEntry& e) {
  for (int c = 0; c < kNumTinyClasses && e.total != 0; ++c) {
    if (e.count[c] != 0) FlushChain(tc, e, c);
  }
}

void FlushOutbox(ThreadCache& tc) {
  for (OutboxEntry& e : t_outbox.e) {
    if (e.total != 0) FlushEntry(tc, e);
  }
}

// The outbox entry for `home` (an entry of another home sent off when all are taken).
OutboxEntry& OutboxFor(ThreadCache& tc, uint32_t home) {
  Outbox& ob = t_outbox;
  OutboxEntry* free_entry = nullptr;
  for (OutboxEntry& x : ob.e) {
    if (x.home == home) return x;
    if (x.home == 0 && free_entry == nullptr) free_entry = &x;
  }
  if (free_entry == nullptr) {  // every entry taken by another home: send one off
    free_entry = &ob.e[ob.victim++ % kOutboxHomes];
    FlushEntry(tc, *free_entry);
  }
  free_entry->home = home;
  return *free_entry;
}

// A linked run first..last of n class-c blocks onto the outbox chain for `home`.
void OutboxAdd(OutboxEntry& e, int c, void* first, void* last, uint32_t n) {
  if (e.count[c] == 0) e.tail[c] = last;
  LinkSet(last, e.head[c], kClasses[c].header);
  e.head[c] = first;
  e.count[c] += n;
  e.total += n;
  t_outbox.pending += n;
}

// The holder takes its class-c inbox: spliced whole into an empty list (the refill case), else
// block by block. Only the holder closes its inboxes, so one it sees open stays open.
void DrainInbox(ThreadCache& tc, int c) {
  if (tc.home_slot == 0) return;
  std::atomic<uintptr_t>& inbox = g_homes[tc.home_slot].inbox[c];
  const uintptr_t w = inbox.load(std::memory_order_relaxed);
  if (w == 0 || w == kInboxClosed) return;
  HAK_STAT(remote_drain);
  const uintptr_t all = inbox.exchange(0, std::memory_order_acquire);
  void* chain = reinterpret_cast<void*>(all & kInboxAddrMask);
  if (tc.head[c] == nullptr) {
    tc.head[c] = chain;
    tc.count[c] = uint32_t(all >> kInboxCountShift);
  } else {
    Distribute(tc, chain);
  }
}

void ClaimHomeSlot(ThreadCache& tc) {
  for (uint32_t i = 1; i < kHomeSlots; ++i) {
    uint32_t expected = 0;
    if (g_home_claimed[i].load(std::memory_order_relaxed) == 0 &&
        g_home_claimed[i].compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
      for (auto& inbox : g_homes[i].inbox) inbox.store(0, std::memory_order_release);  // open
      tc.home_slot = i;
      return;
    }
  }
  tc.home_slot = 0;  // every slot held: this thread's slabs have no home, frees of them stay local
}

// Thread exit: outboxes home, the inboxes closed and taken (senders from now on keep their
// chains), then the normal flush spills it all; the slot is free for the next thread.
void ReleaseHomeSlot(ThreadCache& tc) {
  FlushOutbox(tc);
  const uint32_t slot = tc.home_slot;
  if (slot == 0) return;
  for (auto& inbox : g_homes[slot].inbox) {
    const uintptr_t all = inbox.exchange(kInboxClosed, std::memory_order_acq_rel);
    Distribute(tc, reinterpret_cast<void*>(all & kInboxAddrMask));
  }
  CacheFlushThread();
  tc.home_slot = 0;
  g_home_claimed[slot].store(0, std::memory_order_release);
}

void OnThreadExit(void*) {
  ThreadCache& tc = t_cache;
  if constexpr (kRemoteHomes) {
    if (tc.state == kCacheLive) ReleaseHomeSlot(tc);
  }
  CacheFlushThread();
  tc.state = kCacheDead;
  for (int c = 0; c < kNumClasses; ++c) tc.cap[c] = 0;  // later frees miss the fast path
}

void GlobalInitOnce() { pthread_key_create(&g_exit_key, OnThreadExit); }

HAK_SLOW_PATH void ThreadInit(ThreadCache& tc) {
  // Mark live first: anything below that re-enters malloc (pthread_once, the key's registration)
  // finds an initialised cache instead of recursing here.
  tc.heap_id = g_next_heap_id.fetch_add(1, std::memory_order_relaxed);
  if (tc.heap_id == 0) tc.heap_id = g_next_heap_id.fetch_add(1, std::memory_order_relaxed);
  for (int c = 0; c < kNumClasses; ++c) tc.cap[c] = StartCap(c);
  if constexpr (kRemoteHomes) ClaimHomeSlot(tc);
  tc.state = kCacheLive;
  pthread_once(&g_once, GlobalInitOnce);
  pthread_setspecific(g_exit_key, &tc);
}

// Returns the first n blocks of the list of class cls to their slabs, one SlabReturn per run of
// blocks from the same slab. The list's bulk detach: it walks the runs in place and cuts the list
// once, where n CachePops would write head and count n times. remote_free=spill: a tiny run whose
// slab is homed at another thread goes into the outbox for that home instead, and the outbox is
// sent once the list is cut (one CAS per home and class).
void Spill(ThreadCache& tc, int cls, uint32_t n) {
  HAK_STAT(spill);
  void* p = tc.head[cls];
  uint32_t done = 0;
  [[maybe_unused]] bool sent = false;
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
    done += run;
    if constexpr (kRemoteFreeSpill) {
      const uint32_t home = cls < kNumTinyClasses ? s->home.load(std::memory_order_relaxed) : 0;
      if (home != 0 && home != tc.home_slot && home < kHomeSlots) {
        HAK_STAT(remote_sent);
        OutboxAdd(OutboxFor(tc, home), cls, run_head, run_tail, run);
        sent = true;
        continue;
      }
    }
    SlabReturn(s, run_head, run_tail, run, tc.heap_id);
  }
  tc.head[cls] = p;
  tc.count[cls] -= done;
  if constexpr (kRemoteFreeSpill) {
    if (sent) FlushOutbox(tc);
  }
}

void FlushClass(ThreadCache& tc, int cls) {
  Spill(tc, cls, tc.count[cls]);
  if (tc.current[cls] != nullptr) {
    SlabLeave(tc.current[cls]);
    tc.current[cls] = nullptr;
  }
}

// The refill proper: the list of class cls is empty and nothing came home or could be borrowed;
// a batch from the thread's slab (a partial or a new one when it is exhausted). Out of line and
// tail-called, so CachePoolRefillPop, which reaches it after a failed borrow, keeps a small frame.
HAK_SLOW_PATH void* RefillFromSlabs(ThreadCache& tc, int cls) {
  HAK_STAT(refill);
  uint32_t want = tc.state == kCacheDead ? 1 : kClasses[cls].batch;
  if constexpr (kMidFastPath) {
    if (cls >= kFirstPoolClass && tc.state == kCacheLive) {
      const uint32_t half = tc.cap[cls] / 2 > 0 ? tc.cap[cls] / 2 : 1;
      if (want > half) want = half;
      if (tc.cap[cls] < kClasses[cls].cap) tc.cap[cls] = tc.cap[cls] * 2 < kClasses[cls].cap ? tc.cap[cls] * 2 : kClasses[cls].cap;
    }
  }
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
    if constexpr (kRemoteHomes) s->home.store(tc.home_slot, std::memory_order_relaxed);
    tc.current[cls] = s;
  }
  // Hand out the first block, cache the rest.
  void* rest = LinkNext(head);
  if (got > 1) CachePush(tc, cls, rest, tail, got - 1, kClasses[cls].header);
  if (HAK_UNLIKELY(tc.state == kCacheDead)) FlushClass(tc, cls);
  return head;
}
}  // namespace

void* CacheRefillPop(int cls) noexcept {
  ThreadCache& tc = t_cache;
  if (HAK_UNLIKELY(tc.state == kCacheUninit)) ThreadInit(tc);
  // Another path (pool, memalign) may have filled the list meanwhile.
  if (void* p = CachePop(tc, cls)) return p;
  if constexpr (kRemoteHomes) {
    // Before the slabs: send our outboxes home, then take what came home to us.
    if (HAK_LIKELY(tc.state == kCacheLive)) {
      if (t_outbox.pending != 0) FlushOutbox(tc);
      if (cls < kNumTinyClasses) {
        DrainInbox(tc, cls);
        if (void* p = CachePop(tc, cls)) return p;
      }
    }
  }
  if constexpr (kMidFastPath) {
    if (cls >= kFirstPoolClass && tc.state == kCacheLive) {
      if (void* p = PoolBorrow(tc, cls)) return p;
    }
  }
  return RefillFromSlabs(tc, cls);
}

void* CachePoolRefillPop(int cls) noexcept {
  ThreadCache& tc = t_cache;
  // Live and no outbox to send (CacheRefillPop sends it before anything else).
  if (HAK_LIKELY(tc.state == kCacheLive) && (!kRemoteHomes || t_outbox.pending == 0)) {
    if (void* p = PoolBorrow(tc, cls)) return p;
    return RefillFromSlabs(tc, cls);  // what CacheRefillPop would do next, the borrow not tried twice
  }
  return CacheRefillPop(cls);
}

void CachePushSlow(void* p, int cls) noexcept {
  ThreadCache& tc = t_cache;
  if (tc.state == kCacheUninit) ThreadInit(tc);
  if (HAK_UNLIKELY(tc.state == kCacheDead)) {  // thread is exiting: straight home
    SlabReturn(SlabOf(reinterpret_cast<uintptr_t>(p)), p, p, 1, 0);
    return;
  }
  if (tc.count[cls] >= tc.cap[cls]) Spill(tc, cls, tc.count[cls] - tc.cap[cls] / 2);
  CachePush(tc, cls, p, p, 1, kClasses[cls].header);
}

void CacheFreeRemote(void* p, int c) noexcept {
  ThreadCache& tc = t_cache;
  if (HAK_UNLIKELY(tc.state != kCacheLive)) {
    if (tc.state == kCacheUninit) ThreadInit(tc);
    if (tc.state == kCacheDead) {  // thread is exiting: straight home to the slab
      SlabReturn(SlabOf(reinterpret_cast<uintptr_t>(p)), p, p, 1, 0);
      return;
    }
  }
  const uint32_t home = TinySlabHome(reinterpret_cast<uintptr_t>(p));
  if (home == tc.home_slot || home == 0 || home >= kHomeSlots) return CachePushSlow(p, c);  // ours / no home
  HAK_STAT(remote_sent);
  OutboxEntry& e = OutboxFor(tc, home);
  OutboxAdd(e, c, p, p, 1);
  if (e.count[c] >= kRemoteBatch) FlushChain(tc, e, c);
}

void CacheFlushThread() {
  ThreadCache& tc = t_cache;
  if (tc.state != kCacheLive) return;
  if constexpr (kRemoteHomes) {
    FlushOutbox(tc);
    for (int c = 0; c < kNumTinyClasses; ++c) DrainInbox(tc, c);
  }
  for (int c = 0; c < kNumClasses; ++c) FlushClass(tc, c);
}

uint32_t CacheOutboxPending() { return t_outbox.pending; }
uint32_t CacheInboxPending(uint32_t slot, int c) {
  if (slot == 0 || slot >= kHomeSlots || c < 0 || c >= kNumTinyClasses) return 0;
  const uintptr_t w = g_homes[slot].inbox[c].load(std::memory_order_acquire);
  return w == kInboxClosed ? 0 : uint32_t(w >> kInboxCountShift);
}
bool CacheHomeSlotLive(uint32_t slot) {
  return slot != 0 && slot < kHomeSlots && g_home_claimed[slot].load(std::memory_order_acquire) != 0;
}

}  // namespace hak
