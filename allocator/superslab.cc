// superslab.cc — layer 2: SuperSlabs and slabs: acquire, adopt, take, leave, return; partial
// lists and the empty cache.
#include "allocator/superslab.h"

#include <errno.h>
#include <pthread.h>

#include "allocator/os_pages.h"
#include "allocator/ownership_map.h"
#include "allocator/registry.h"

namespace hak {
// Heads are peeked without the lock (SlabAdoptPartial, SlabPartialWaiting), so they are atomics.
std::atomic<SlabMeta*> g_partial[kNumClasses];

namespace {

constexpr uint32_t kAllSlabsFree = 0xFFFFFFFFu;
constexpr uint32_t kPoolAllSlabsFree = uint32_t((uint64_t{1} << kPoolSlabsPerSuperSlab) - 1);
constexpr int kEmptyCacheMax = 2;

// g_ss_lock guards SuperSlab-level state (free masks, lists, the empty cache).
// g_class_locks[c] guards class c's partial list and every owner hand-off of its slabs.
// Still glibc's mutexes, measured (2026-12-03, issue 14): lock.h's futex mutex here cut
// size_sweep 52 KiB from 149.8 to 135.0 instr/op, yet the PR gate failed it on that point's time,
// x0.910 (p < 0.0001; by hand x0.94 also unpadded and out of line). Fewer trips through them (a
// 52 KiB list of 8 blocks, not 4: 122.9 instr/op) were slower too, x0.86: recheck with counters.
pthread_mutex_t g_ss_lock = PTHREAD_MUTEX_INITIALIZER;
// Constant-initialised (no constructor): malloc can run before any static initialiser.
struct ClassLock {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
};
ClassLock g_class_locks[kNumClasses];
inline pthread_mutex_t* ClassMutex(int cls) { return &g_class_locks[cls].m; }
SuperSlab* g_tiny_with_free = nullptr;  // tiny SuperSlabs that have free slabs
SuperSlab* g_pool_with_free = nullptr;  // mid_fast_path=on: pool SuperSlabs that have free slabs
SuperSlab* g_empty_cache = nullptr;
int g_empty_count = 0;
int g_pool_kept = 0;  // free pool slabs with pages_kept
int g_pool_release_run = 0;  // pool slab releases since a pool slab was last taken
uint64_t g_live = 0, g_slabs_in_use = 0;

void ListRemove(SuperSlab** head, SuperSlab* ss) {
  if (ss->prev) ss->prev->next = ss->next; else *head = ss->next;
  if (ss->next) ss->next->prev = ss->prev;
  ss->next = ss->prev = nullptr;
}
void ListPush(SuperSlab** head, SuperSlab* ss) {
  ss->prev = nullptr;
  ss->next = *head;
  if (*head) (*head)->prev = ss;
  *head = ss;
}

// Caller holds g_ss_lock. A SuperSlab with every slab free, registered and marked kGranuleFree.
SuperSlab* NewSuperSlab(uint32_t kind) {
  SuperSlab* ss = g_empty_cache;
  if (ss != nullptr) {
    g_empty_cache = ss->next;
    --g_empty_count;
  } else {
    void* mem = OsMapAligned(kSuperSlabSize, kSuperSlabSize);
    if (mem == nullptr) return nullptr;
    const uintptr_t base = reinterpret_cast<uintptr_t>(mem);
    if (!OwnershipSet(base, kSuperSlabSize, kGranuleFree) || !RegistryInsert(base)) {
      OwnershipSet(base, kSuperSlabSize, 0);
      OsUnmap(mem, kSuperSlabSize);
      errno = ENOMEM;
      return nullptr;
    }
    ss = static_cast<SuperSlab*>(mem);
    ++g_live;
  }
  ss->magic = kSuperSlabMagic;
  ss->kind = kind;
  ss->free_mask = kind == kKindPool ? kPoolAllSlabsFree : kAllSlabsFree;
  ss->next = ss->prev = nullptr;
  for (int i = 0; i < kSlabsPerSuperSlab; ++i) {
    SlabMeta& s = ss->slabs[i];
    s.remote.store(0, std::memory_order_relaxed);
    s.used.store(0, std::memory_order_relaxed);
    s.owner.store(0, std::memory_order_relaxed);
    s.home.store(0, std::memory_order_relaxed);
    s.free = nullptr;
    s.class_idx = kNoClass;
    s.on_partial = 0;
    s.slab_idx = uint8_t(i);
    s.pages_kept = 0;
    s.partial_next = s.partial_prev = nullptr;
  }
  return ss;
}

// Caller holds g_ss_lock. Its free pool slabs' kept pages are discarded or unmapped with it.
void RetireSuperSlab(SuperSlab* ss) {
  const uintptr_t base = reinterpret_cast<uintptr_t>(ss);
  for (SlabMeta& k : ss->slabs) {
    if (k.pages_kept) --g_pool_kept;
    k.pages_kept = 0;
  }
  OwnershipSet(base, kSuperSlabSize, kGranuleFree);
  if (g_empty_count < kEmptyCacheMax) {
    // Keep the mapping for reuse but give its pages back: RSS falls when everything is freed.
    OsDiscard(reinterpret_cast<char*>(ss) + kSuperSlabMetaSize, kSuperSlabSize - kSuperSlabMetaSize);
    ss->next = g_empty_cache;
    g_empty_cache = ss;
    ++g_empty_count;
    return;
  }
  OwnershipSet(base, kSuperSlabSize, 0);
  RegistryRemove(base);
  OsUnmap(ss, kSuperSlabSize);
  --g_live;
}

void InitSlab(SlabMeta* s, int cls, uint32_t owner, uintptr_t region_start, uintptr_t region_end) {
  const ClassInfo& ci = kClasses[cls];
  s->start = region_start + ci.user_offset;
  s->capacity = uint32_t((region_end - region_start - ci.user_offset - ci.usable) / ci.stride + 1);
  s->carved.store(0, std::memory_order_relaxed);
  s->free = nullptr;
  s->remote.store(0, std::memory_order_relaxed);
  s->used.store(0, std::memory_order_relaxed);
  s->class_idx = uint8_t(cls);
  s->on_partial = 0;
  s->owner.store(owner, std::memory_order_release);
}

void PartialAdd(int cls, SlabMeta* s) {  // caller holds ClassMutex(cls)
  if (s->on_partial) return;
  s->on_partial = 1;
  s->partial_prev = nullptr;
  SlabMeta* head = g_partial[cls].load(std::memory_order_relaxed);
  s->partial_next = head;
  if (head) head->partial_prev = s;
  g_partial[cls].store(s, std::memory_order_relaxed);
}
void PartialRemove(int cls, SlabMeta* s) {  // caller holds ClassMutex(cls)
  if (!s->on_partial) return;
  if (s->partial_prev) s->partial_prev->partial_next = s->partial_next;
  else g_partial[cls].store(s->partial_next, std::memory_order_relaxed);
  if (s->partial_next) s->partial_next->partial_prev = s->partial_prev;
  s->partial_next = s->partial_prev = nullptr;
  s->on_partial = 0;
}

// Start of slab idx of a SuperSlab of `kind` (a pool slab is kPoolSlabSize, a tiny one kSlabSize).
uintptr_t SlabBase(const SuperSlab* ss, int idx) {
  return reinterpret_cast<uintptr_t>(ss) + (uintptr_t(idx) << (ss->kind == kKindPool ? kPoolSlabShift : kSlabShift));
}

// Caller holds g_ss_lock: slab idx of ss back into its free mask; the SuperSlab joins `list` (its
// kind's SuperSlabs with free slabs) when it was full, and retires when every slab is free.
void ReturnToFreeMask(SuperSlab* ss, int idx, uint32_t all_free, SuperSlab** list) {
  const bool was_full = ss->free_mask == 0;
  ss->free_mask |= 1u << idx;
  if (ss->free_mask == all_free) {
    if (!was_full) ListRemove(list, ss);
    RetireSuperSlab(ss);
  } else if (was_full) {
    ListPush(list, ss);
  }
}

// Caller holds g_ss_lock: a free slab out of the first SuperSlab on `list` (a new SuperSlab of
// `kind` when the list is empty) and out of its free mask, or nullptr (the OS refused). A pool
// slab whose pages were kept comes first.
SuperSlab* TakeFreeSlab(SuperSlab** list, uint32_t kind, int* idx_out) {
  SuperSlab* ss = *list;
  if (ss == nullptr && (ss = NewSuperSlab(kind)) != nullptr) ListPush(list, ss);
  if (ss == nullptr) return nullptr;
  int idx = __builtin_ctz(ss->free_mask);
  if (kind == kKindPool) {
    for (uint32_t m = ss->free_mask; m != 0; m &= m - 1) {
      if (ss->slabs[__builtin_ctz(m)].pages_kept) {
        idx = __builtin_ctz(m);
        break;
      }
    }
  }
  ss->free_mask &= ~(1u << idx);
  if (ss->free_mask == 0) ListRemove(list, ss);
  *idx_out = idx;
  return ss;
}

// mid_fast_path=on, caller holds g_ss_lock: the pages of pool slab idx of ss back to the OS.
void DiscardPoolSlab(SuperSlab* ss, int idx) {
  char* gran = reinterpret_cast<char*>(SlabBase(ss, idx));
  OsDiscard(gran + kSuperSlabMetaSize, kPoolSlabSize - kSuperSlabMetaSize);
}

// mid_fast_path=on, caller holds g_ss_lock: every kept free pool slab's pages back to the OS
// (kept slabs lie in SuperSlabs with a free slab, all on g_pool_with_free).
void DiscardKeptPoolSlabs() {
  for (SuperSlab* ss = g_pool_with_free; ss != nullptr && g_pool_kept > 0; ss = ss->next) {
    for (uint32_t m = ss->free_mask; m != 0; m &= m - 1) {
      SlabMeta& k = ss->slabs[__builtin_ctz(m)];
      if (!k.pages_kept) continue;
      DiscardPoolSlab(ss, __builtin_ctz(m));
      k.pages_kept = 0;
      --g_pool_kept;
    }
  }
}

// Caller holds ClassMutex(cls); s is unowned with used == 0: back to its SuperSlab.
void ReleaseSlabLocked(int cls, SlabMeta* s) {
  PartialRemove(cls, s);
  s->class_idx = kNoClass;
  SuperSlab* ss = SuperSlabOf(reinterpret_cast<uintptr_t>(s));
  pthread_mutex_lock(&g_ss_lock);
  --g_slabs_in_use;
  if (ss->kind == kKindPool && kPoolSlabsPerSuperSlab == 1) {
    RetireSuperSlab(ss);
  } else if (ss->kind == kKindPool) {
    // mid_fast_path=on: the slab's pages go back to the OS now (its SuperSlab may stay live for
    // another class's slab for a long time), then the slab to its SuperSlab's free mask.
    OwnershipSet(SlabBase(ss, s->slab_idx), kPoolSlabSize, kGranuleFree);
    if (++g_pool_release_run == kPoolShrinkRun) DiscardKeptPoolSlabs();
    if (g_pool_kept < kPoolKeptMax && g_pool_release_run < kPoolShrinkRun) {
      s->pages_kept = 1;
      ++g_pool_kept;
    } else {
      DiscardPoolSlab(ss, s->slab_idx);
    }
    ReturnToFreeMask(ss, s->slab_idx, kPoolAllSlabsFree, &g_pool_with_free);
  } else {
    OwnershipSet(SlabBase(ss, s->slab_idx), kSlabSize, kGranuleFree);
    ReturnToFreeMask(ss, s->slab_idx, kAllSlabsFree, &g_tiny_with_free);
  }
  pthread_mutex_unlock(&g_ss_lock);
}

// Unowned slab whose used count may have reached 0: release it if nobody took it meanwhile.
void MaybeRelease(int cls, SlabMeta* s) {
  pthread_mutex_lock(ClassMutex(cls));
  if (s->class_idx == cls && s->owner.load(std::memory_order_seq_cst) == 0 &&
      s->used.load(std::memory_order_acquire) == 0) {
    ReleaseSlabLocked(cls, s);
  }
  pthread_mutex_unlock(ClassMutex(cls));
}

}  // namespace

bool SlabIsBlockStart(const SlabMeta* s, uintptr_t p) {
  if (s->class_idx == kNoClass || p < s->start) return false;
  const ClassInfo& ci = kClasses[s->class_idx];
  const uintptr_t off = p - s->start;
  const uint32_t carved = s->carved.load(std::memory_order_relaxed);
  if ((ci.stride & (ci.stride - 1)) == 0) {  // tiny: no division
    return (off & (ci.stride - 1)) == 0 && (off >> __builtin_ctz(ci.stride)) < carved;
  }
  return off % ci.stride == 0 && off / ci.stride < carved;
}

SlabMeta* SlabAcquire(int cls, uint32_t owner) {
  pthread_mutex_lock(&g_ss_lock);
  SlabMeta* s = nullptr;
  int idx;
  if (cls >= kFirstPoolClass && kPoolSlabsPerSuperSlab > 1) {
    if (SuperSlab* ss = TakeFreeSlab(&g_pool_with_free, kKindPool, &idx)) {
      if (ss->slabs[idx].pages_kept) --g_pool_kept;
      ss->slabs[idx].pages_kept = 0;
      g_pool_release_run = 0;
      const uintptr_t gran = SlabBase(ss, idx);
      s = &ss->slabs[idx];
      InitSlab(s, cls, owner, gran + kSuperSlabMetaSize, gran + kPoolSlabSize);
      OwnershipSet(gran, kPoolSlabSize, kClasses[cls].header);
    }
  } else if (cls >= kFirstPoolClass) {
    SuperSlab* ss = NewSuperSlab(kKindPool);
    if (ss != nullptr) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(ss);
      ss->free_mask = 0;
      s = &ss->slabs[0];
      InitSlab(s, cls, owner, base + kSuperSlabMetaSize, base + kSuperSlabSize);
      OwnershipSet(base, kSuperSlabSize, kClasses[cls].header);
    }
  } else {
    if (SuperSlab* ss = TakeFreeSlab(&g_tiny_with_free, kKindTiny, &idx)) {
      const uintptr_t gran = SlabBase(ss, idx);
      s = &ss->slabs[idx];
      InitSlab(s, cls, owner, idx == 0 ? gran + kSuperSlabMetaSize : gran, gran + kSlabSize);
      OwnershipSet(gran, kSlabSize, kClasses[cls].header);
    }
  }
  if (s != nullptr) ++g_slabs_in_use;
  pthread_mutex_unlock(&g_ss_lock);
  return s;
}

SlabMeta* SlabAdoptPartial(int cls, uint32_t owner) {
  if (!SlabPartialWaiting(cls)) return nullptr;
  pthread_mutex_lock(ClassMutex(cls));
  SlabMeta* s = g_partial[cls].load(std::memory_order_relaxed);
  if (s != nullptr) {
    PartialRemove(cls, s);
    s->owner.store(owner, std::memory_order_seq_cst);
  }
  pthread_mutex_unlock(ClassMutex(cls));
  return s;
}

uint32_t SlabTake(SlabMeta* s, uint32_t want, void** head_out, void** tail_out) {
  const ClassInfo& ci = kClasses[s->class_idx];
  void* head = nullptr;
  void* tail = nullptr;
  uint32_t got = 0;
  // 1. Reuse: the owner's free list, refilled from the remote stack when empty.
  if (s->free == nullptr && s->remote.load(std::memory_order_relaxed) != 0) {
    s->free = reinterpret_cast<void*>(s->remote.exchange(0, std::memory_order_acquire));
  }
  if (s->free != nullptr) {
    head = tail = s->free;
    got = 1;
    while (got < want) {
      void* nx = LinkNext(tail);
      if (nx == nullptr) break;
      tail = nx;
      ++got;
    }
    s->free = LinkNext(tail);
  }
  // 2. Carve fresh slots (tiny.h: page-aligned user pointers are skipped, so the fast free path
  //    may read ptr-1 without a probe).
  got = CarveSlots(ci, s->start, s->capacity, s->carved, got, want, head, tail);
  if (got != 0) {
    LinkSet(tail, nullptr, ci.header);
    s->used.fetch_add(int32_t(got), std::memory_order_relaxed);
  }
  *head_out = head;
  *tail_out = tail;
  return got;
}

void SlabLeave(SlabMeta* s) {
  const int cls = s->class_idx;
  pthread_mutex_lock(ClassMutex(cls));
  s->owner.store(0, std::memory_order_seq_cst);
  if (s->used.load(std::memory_order_seq_cst) == 0) {
    ReleaseSlabLocked(cls, s);
  } else if (s->free != nullptr || s->remote.load(std::memory_order_seq_cst) != 0 ||
             s->carved.load(std::memory_order_relaxed) < s->capacity) {
    PartialAdd(cls, s);
  }
  pthread_mutex_unlock(ClassMutex(cls));
}

void SlabReturn(SlabMeta* s, void* head, void* tail, uint32_t n, uint32_t me) {
  const int cls = s->class_idx;
  const uint8_t hdr = kClasses[cls].header;
  if (me != 0 && s->owner.load(std::memory_order_relaxed) == me) {
    // Our own slab: the private list, no CAS. Only we can change owner away from us.
    LinkSet(tail, s->free, hdr);
    s->free = head;
    s->used.fetch_sub(int32_t(n), std::memory_order_release);
    return;
  }
  uintptr_t old = s->remote.load(std::memory_order_relaxed);
  do {
    LinkSet(tail, reinterpret_cast<void*>(old), hdr);
  } while (!s->remote.compare_exchange_weak(old, reinterpret_cast<uintptr_t>(head),
                                            std::memory_order_seq_cst));
  // An unowned slab that just became non-empty must be findable: put it on the partial list.
  // (Pairs with SlabLeave: owner store then remote load, here remote CAS then owner load.)
  if (old == 0 && s->owner.load(std::memory_order_seq_cst) == 0) {
    pthread_mutex_lock(ClassMutex(cls));
    if (s->class_idx == cls && s->owner.load(std::memory_order_relaxed) == 0) PartialAdd(cls, s);
    pthread_mutex_unlock(ClassMutex(cls));
  }
  const int32_t left = s->used.fetch_sub(int32_t(n), std::memory_order_seq_cst) - int32_t(n);
  if (left == 0 && s->owner.load(std::memory_order_seq_cst) == 0) MaybeRelease(cls, s);
}

SuperSlabCounters SuperSlabGetCounters() {
  pthread_mutex_lock(&g_ss_lock);
  SuperSlabCounters c{g_live, uint64_t(g_empty_count), g_slabs_in_use,
                      uint64_t(g_pool_kept) * (kPoolSlabSize - kSuperSlabMetaSize)};
  pthread_mutex_unlock(&g_ss_lock);
  return c;
}

void SuperSlabLockForFork() {
  for (auto& l : g_class_locks) pthread_mutex_lock(&l.m);
  pthread_mutex_lock(&g_ss_lock);
}
void SuperSlabUnlockAfterFork(bool child) {
  if (child) {
    pthread_mutex_init(&g_ss_lock, nullptr);
    for (auto& l : g_class_locks) pthread_mutex_init(&l.m, nullptr);
    return;
  }
  pthread_mutex_unlock(&g_ss_lock);
  for (auto& l : g_class_locks) pthread_mutex_unlock(&l.m);
}

}  // namespace hak
