// superslab.h — layer 2: 2 MiB aligned SuperSlabs cut into slabs, one class per slab.
//
// A tiny SuperSlab has 32 slabs of 64 KiB (slab 0 starts after the 4 KiB metadata page); a pool
// SuperSlab is one slab of ~2 MiB for one pool class (mid_fast_path=on: 8 slabs of 256 KiB, each
// of its own class, released slabs' pages discarded; size_classes.h). Per-slab state:
//   free    owner-private list of returned blocks
//   remote  lock-free stack where any thread returns blocks (spills, thread exit)
//   used    blocks out of the slab (in some thread cache or in the user's hands)
//   owner   heap id of the thread carving it, 0 when none; an unowned slab with free blocks sits
//           on its class's partial list until a thread adopts it
//   home    remote_free=owner: thread slot (thread_cache.cc) of the last thread that carved from
//           it, kept when the slab is left; a free by another thread sends the block there.
//           Written by that thread, read by any freeing thread (a stale value only picks another
//           live cache, which is as valid as any)
// A slab goes back to its SuperSlab when it is unowned and used == 0; an empty SuperSlab goes to
// a small cache and beyond that back to the OS.
#ifndef HAKMEM_ALLOCATOR_SUPERSLAB_H_
#define HAKMEM_ALLOCATOR_SUPERSLAB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"
#include "allocator/tiny.h"

namespace hak {

inline constexpr uint8_t kNoClass = 0xFF;

struct alignas(64) SlabMeta {
  std::atomic<uintptr_t> remote;  // head of the remote-free stack (untagged pointer)
  std::atomic<int32_t> used;
  std::atomic<uint32_t> owner;
  void* free;           // owner-private free list
  uintptr_t start;      // user pointer of slot 0
  std::atomic<uint32_t> carved;  // bump index (owner writes; freeing threads read it)
  uint32_t capacity;    // slots in the slab
  uint8_t class_idx;    // kNoClass while the slab is free
  uint8_t on_partial;
  uint8_t slab_idx;
  uint8_t pages_kept;  // mid_fast_path=on: a free pool slab whose pages were not discarded (under g_ss_lock)
  std::atomic<uint32_t> home;  // remote_free=owner: home thread slot, 0 = none (was padding)
  SlabMeta* partial_next;
  SlabMeta* partial_prev;
};
static_assert(sizeof(SlabMeta) == 64, "SlabMeta must stay one cache line");
static_assert(offsetof(SlabMeta, home) == 44 && offsetof(SlabMeta, partial_next) == 48,
              "home fills the hole before partial_next: the layout is otherwise unchanged");

enum SuperSlabKind : uint32_t { kKindTiny = 1, kKindPool = 2 };
inline constexpr uint64_t kSuperSlabMagic = 0x48414b4d454d5353ull;  // "HAKMEMSS"

struct alignas(64) SuperSlab {
  uint64_t magic;
  uint32_t kind;
  uint32_t free_mask;  // tiny: bit i set = slab i free
  SuperSlab* next;     // in the list of tiny SuperSlabs with free slabs, or the empty cache
  SuperSlab* prev;
  SuperSlab* rb_child[2];  // registry_impl=rbtree: intrusive tree links
  SuperSlab* rb_parent;
  uint8_t rb_red;
  uint8_t pad[7];
  SlabMeta slabs[kSlabsPerSuperSlab];
};
static_assert(sizeof(SuperSlab) == 64 + 64 * kSlabsPerSuperSlab, "SuperSlab header layout");
static_assert(sizeof(SuperSlab) <= kSuperSlabMetaSize, "SuperSlab metadata must fit its page");
static_assert(kSuperSlabMetaSize % 1024 == 0, "slab 0 must keep 1 KiB alignment of its slots");

HAK_FAST_PATH SuperSlab* SuperSlabOf(uintptr_t p) {
  return reinterpret_cast<SuperSlab*>(p & ~(uintptr_t(kSuperSlabSize) - 1));
}
// Slab holding p; p must lie in a live SuperSlab.
HAK_FAST_PATH SlabMeta* SlabOf(uintptr_t p) {
  SuperSlab* ss = SuperSlabOf(p);
  const size_t idx = ss->kind == kKindPool ? (p >> kPoolSlabShift) & (kPoolSlabsPerSuperSlab - 1)
                                           : (p >> kSlabShift) & (kSlabsPerSuperSlab - 1);
  return &ss->slabs[idx];
}
// remote_free=owner, free fast path: the home slot of the tiny slab holding p. p must lie in a
// tiny SuperSlab (the ownership map byte proved it), so no kind test: one shift, one mask, one load.
HAK_FAST_PATH uint32_t TinySlabHome(uintptr_t p) {
  // slab index * sizeof(SlabMeta) straight from the address: one shift and one mask.
  static_assert(sizeof(SlabMeta) == (size_t{1} << 6), "the shift below assumes 64-byte SlabMeta");
  const uintptr_t off = (p >> (kSlabShift - 6)) & (uintptr_t(kSlabsPerSuperSlab - 1) << 6);
  const char* slabs = reinterpret_cast<const char*>(SuperSlabOf(p)->slabs);
  return reinterpret_cast<const SlabMeta*>(slabs + off)->home.load(std::memory_order_relaxed);
}
// True when p is the user pointer of a slot of slab s (not interior, not metadata).
bool SlabIsBlockStart(const SlabMeta* s, uintptr_t p);

// mid_fast_path=on: at most this many free pool slabs keep their pages (the next slab a class
// takes is likely one of them: no page faults); a slab released beyond it is discarded.
// pool_keep=16 (x6_keep16) keeps 16 and waits for a run of 16 (config.h).
inline constexpr int kPoolKeptMax = HAKMEM_POOL_KEEP;
// Kept pages serve a churn (slabs released and taken again). A run of this many pool slab
// releases with no pool slab taken between them means the program is shrinking: every kept
// slab's pages go back, and so do those of each further release in the run. Without it the last
// 8 slabs a program released stayed resident after it freed everything (mem_thread_churn
// x3_spill -> x3_spill_mid: RSS after free +2 MiB, the gate's one failing point).
inline constexpr int kPoolShrinkRun = HAKMEM_POOL_KEEP;

// A fresh slab for class `cls`, owned by `owner`; nullptr with errno ENOMEM.
SlabMeta* SlabAcquire(int cls, uint32_t owner);
// An unowned slab of class `cls` with free blocks, now owned by `owner`; nullptr if none.
SlabMeta* SlabAdoptPartial(int cls, uint32_t owner);
// Racy hint: an unowned slab of class `cls` with free blocks is waiting (SlabAdoptPartial may
// still find none). Inline: PoolBorrow asks it on every borrow.
extern std::atomic<SlabMeta*> g_partial[kNumClasses];  // per class, under the class lock (superslab.cc)
inline bool SlabPartialWaiting(int cls) { return g_partial[cls].load(std::memory_order_relaxed) != nullptr; }
// Owner only: up to `want` blocks as a linked chain (*head .. *tail). Returns the count.
uint32_t SlabTake(SlabMeta* s, uint32_t want, void** head, void** tail);
// Owner only: gives the slab up (on exhaustion or thread exit).
void SlabLeave(SlabMeta* s);
// Any thread: returns a chain of n blocks of slab s. `me` is the caller's heap id.
void SlabReturn(SlabMeta* s, void* head, void* tail, uint32_t n, uint32_t me);

struct SuperSlabCounters {
  uint64_t live_superslabs, cached_superslabs, slabs_in_use;
  uint64_t pool_kept_bytes;  // mid_fast_path=on: pages free pool slabs keep resident (kPoolKeptMax)
};
SuperSlabCounters SuperSlabGetCounters();

void SuperSlabLockForFork();
void SuperSlabUnlockAfterFork(bool child);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_SUPERSLAB_H_
