// front_gate.h — layer 4: the fast paths of malloc and free, and the entry to their slow paths.
// The fast paths are inline and small; anything else tail-calls a never-inlined slow path.
// Every history switch that touches a fast path is in this file, at the point it acts (as an
// `if constexpr` on config.h's constants). A tiny free: FreeFast here -> CacheFree in
// thread_cache.h (the header, block-start and link helpers they call are in tiny.h).
#ifndef HAKMEM_ALLOCATOR_FRONT_GATE_H_
#define HAKMEM_ALLOCATOR_FRONT_GATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/ownership_map.h"
#include "allocator/os_pages.h"
#include "allocator/pool.h"
#include "allocator/registry.h"
#include "allocator/size_classes.h"
#include "allocator/stats.h"
#include "allocator/superslab.h"
#include "allocator/thread_cache.h"
#include "allocator/tiny.h"

namespace hak {

HAK_SLOW_PATH void* MallocSlow(size_t n) noexcept;
// A Mid/Large chunk for n, without MallocSlow's tier tests: a request the fast path has found
// above the pool tier (mid_fast_path=on), or a growing pool block hak_realloc moves to a chunk.
HAK_TIER_PATH void* MallocChunkSlow(size_t n) noexcept;
// mid_fast_path=on: the fast path found pool class c's list empty (a borrow from the next
// classes, else a refill: CachePoolRefillPop), without MallocSlow's tier tests and second pop.
HAK_SLOW_PATH void* MallocPoolSlow(int c) noexcept;
HAK_SLOW_PATH void FreeSlow(void* p) noexcept;
// The same, given p's ownership map byte (fast_ownership_check=map_only has loaded it already).
HAK_SLOW_PATH void FreeSlowMapped(void* p, uint8_t map) noexcept;
// The same for a pointer whose map byte is kChunkTag (so not NULL): the chunk's checks and free.
HAK_TIER_PATH void FreeSlowChunk(void* p) noexcept;

// Always-on misuse counters (hak_get_info): frees of pointers we do not own, and refused frees.
extern std::atomic<uint64_t> g_foreign_frees, g_invalid_frees;

// Debug builds only (kDebug): a freed slab block of class >= 2 carries this canary in its second
// word (classes 0 and 1 have no room for it) until malloc hands it out again; free checks for it.
inline constexpr uint64_t kFreedCanary = 0xDEADF4EEB10C5EEDull;
HAK_FAST_PATH void DebugMarkAllocated(void* p, int c) {
  if (c >= 2) reinterpret_cast<uint64_t*>(p)[1] = 0;
}
// True when p (a block start of class c) is already free: reported, and the free is refused.
HAK_SLOW_PATH bool DebugIsDoubleFree(void* p, int c);

// fast_path_checks=on only: a failed check on a fast path (counted in hak_get_info's
// invalid_frees for a free; a malloc drops the popped block and takes the slow path).
extern std::atomic<uint64_t> g_fast_check_failures;
HAK_SLOW_PATH void* MallocFastCheckFailed(void* p, size_t n) noexcept;
HAK_SLOW_PATH void FreeFastCheckFailed(void* p) noexcept;
// fast_path_checks=on: the byte before p is class c's header (C7 of Phase 7 has none: skipped).
HAK_FAST_PATH bool FastCheckHeader(const void* p, int c) {
  if constexpr (!kC7Header) {
    if (c == 7) return true;
  }
  return reinterpret_cast<const uint8_t*>(p)[-1] == kClasses[c].header;
}

// hit_counters=on: the Findings' per-allocation hit counters, per thread and class, plain
// (non-atomic) increments on the fast paths of a release build.
struct FrontHits {
  uint64_t malloc_hit[kNumTinyClasses];
  uint64_t free_hit[kNumTinyClasses];
};
extern __thread FrontHits t_front_hits __attribute__((tls_model("initial-exec")));

// Where the slow-path classifier sends a pointer.
struct Route {
  enum Kind : uint8_t { kSlab, kChunk, kAligned, kForeign, kInvalid } kind;
  int8_t cls;      // kSlab: class 0..14
  bool via_registry;
};
Route Classify(uintptr_t a);
// The same, given a's ownership map byte.
Route ClassifyMapped(uintptr_t a, uint8_t map);
// The same, a Mid/Large chunk's own checks first (the slow free's order; realloc's).
Route ClassifyChunkFirst(uintptr_t a);
// Usable size of one of our pointers (0 for foreign or invalid ones).
size_t UsableSize(const void* p);
// The same for a pointer already classified (realloc classifies once).
size_t UsableSizeRouted(const void* p, Route r);

// ---- malloc fast path: tiny size -> class, pop the TLS list. Instruction budget per call (call,
// frame setup and return included): ci/fastpath_budgets.json, enforced by the gate. ----
HAK_FAST_PATH void* MallocFast(size_t n) {
  if (HAK_LIKELY(n <= kTinyMaxSize)) {
    const int c = TinyClassOf(n);
    void* p = CachePop(t_cache, c);
    if (HAK_LIKELY(p != nullptr)) {
      if constexpr (kFastPathChecks) {
        if (HAK_UNLIKELY(!FastCheckHeader(p, c))) return MallocFastCheckFailed(p, n);
      }
      if constexpr (kHitCounters) ++t_front_hits.malloc_hit[c];
      HAK_STAT(malloc_fast);
      if constexpr (kDebug) DebugMarkAllocated(p, c);
      return p;
    }
  } else if constexpr (kMidFastPath) {
    // mid_fast_path=on: the same pop for the pool tier, class by one table load (size_classes.h).
    if (HAK_LIKELY(n <= kPoolMaxSize)) {
      const int c = PoolClassOf(n);
      void* p = CachePop(t_cache, c);
      if (HAK_LIKELY(p != nullptr)) {
        HAK_STAT(malloc_fast);
        if constexpr (kDebug) DebugMarkAllocated(p, c);
        return p;
      }
      return MallocPoolSlow(c);
    } else {
      return MallocChunkSlow(n);  // the tiers are sorted: MallocSlow would test them again
    }
  }
  return MallocSlow(n);
}

// ---- free fast path, one function per dispatch kind (free_dispatch); budgets per config in
// ci/fastpath_budgets.json. Each switch adds exactly the work the history had at its point. ----

// free_dispatch=superslab and superslab_free (2025-11-09, "header free not working"): every free
// looks up its SuperSlab first. superslab pushes the block on the thread's list; superslab_free
// is the Findings' `hak_super_lookup(ptr); hak_tiny_free_superslab(ptr, ss)`: the block goes back
// to its slab (SlabReturn, as a spill does), so every malloc after it refills from the slab.
HAK_FAST_PATH void FreeFastSuperSlab(void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (HAK_UNLIKELY(a == 0)) return;
  if (RegistryLookup(a) != 0) {
    SlabMeta* s = SlabOf(a);
    const int c = s->class_idx;
    // Only a block start may be pushed: our aligned allocations (AlignHeader, not in the seeds)
    // hand out interior pointers of tiny blocks, and those need the classifier.
    if (c < kNumTinyClasses && TinyIsBlockStart(a, c)) {
      if constexpr (kDebug) {
        if (DebugIsDoubleFree(p, c)) return;
      }
      if constexpr (kFastPathChecks) {
        // The header byte must agree with the slab's class.
        if (HAK_UNLIKELY(!FastCheckHeader(p, c))) return FreeFastCheckFailed(p);
      }
      if constexpr (kHitCounters) ++t_front_hits.free_hit[c];
      HAK_ROUTE(free_ss_hit, p);
      if constexpr (kFreeDispatchSuperSlabFree) {
        return SlabReturn(s, p, p, 1, t_cache.heap_id);
      } else {
        return CacheFree(p, c, kClasses[c].header);
      }
    }
  }
  return FreeSlow(p);
}

// fast_ownership_check=map_only: a free whose map byte h names no tiny (and, mid_fast_path=on, no
// pool) class. A chunk's byte goes straight to the chunk's checks; NULL, foreign, aligned and
// refused pointers to the classifier.
HAK_FAST_PATH void FreeNotSlabMapped(void* p, uint8_t h) {
  if (h == kChunkTag) return FreeSlowChunk(p);
  return FreeSlowMapped(p, h);
}

// mid_fast_path=on: a free whose header byte h is not a tiny one. A pool byte names the class;
// with the ownership check (e3_safe's), the map byte of the granule must equal it and the pointer
// must be a slot start (pool.h: one multiply, no division), as on the tiny path. Anything else is
// classified on the slow path.
HAK_FAST_PATH void FreePoolFast(void* p, uint8_t h) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const uint32_t pc = uint8_t(h - kPoolTag);
  if constexpr (kFreeClassFromMap) {  // h is the map byte
    if (HAK_UNLIKELY(pc >= uint32_t(kNumPoolClasses))) return FreeNotSlabMapped(p, h);
    if (HAK_UNLIKELY(!PoolIsBlockStart(a, int(pc)))) return FreeSlowMapped(p, h);
  } else if (HAK_UNLIKELY(pc >= uint32_t(kNumPoolClasses))) {
    return FreeSlow(p);
  }
  if constexpr (!kFreeClassFromMap && kFastOwnershipCheck) {
    if (HAK_UNLIKELY(OwnershipGet(a) != h || !PoolIsBlockStart(a, int(pc)))) return FreeSlow(p);
  }
  const int c = kFirstPoolClass + int(pc);
  if constexpr (kDebug) {
    if (DebugIsDoubleFree(p, c)) return;
  }
  HAK_ROUTE(free_pool, p);
  CacheFree(p, c, h);
}

// free_dispatch=header (Phase 7's design, E3): the byte before the pointer names the class
// (fast_ownership_check=map_only: the ownership map byte does).
HAK_FAST_PATH void FreeFastHeader(void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uint8_t h;
  if constexpr (kFreeClassFromMap) {
    // fast_ownership_check=map_only: the map byte names the class (it equals the header byte of
    // every block of a tiny or pool slab), so no byte of the block is read, and there is no
    // page-boundary case. NULL and foreign pointers map to 0 (not tiny).
    h = OwnershipGet(a);
  } else {
    if constexpr (!kC7Header) {
      // Phase 7: C7 blocks have no header; a 1 KiB aligned pointer may be one (NULL is too).
      if (HAK_UNLIKELY((a & 0x3FF) == 0)) return FreeSlow(p);
    }
    if (HAK_UNLIKELY((a & (kPageSize - 1)) == 0)) {  // NULL lands here too
      if constexpr (kPageCheckMincore) {
        // Phase 7-1.3: probe the previous page, then read the header there.
        if (a == 0) return;
        if (!OsPageMapped(reinterpret_cast<const char*>(p) - 1)) return FreeSlow(p);
      } else {
        return FreeSlow(p);  // header would be on the previous page: never read it here
      }
    }
    if constexpr (kFreeFastRegistryCheck) {
      // Commit 5eabb89ad9: "is this C7?" asked of the registry on every free.
      if (RegistryLookup(a) != 0 && SlabOf(a)->class_idx == 7) return FreeSlow(p);
    }
    h = reinterpret_cast<const uint8_t*>(p)[-1];
  }
  // IsTinyHeader(h), with the class kept in the register (unsigned: no sign extension). This is
  // TinyHeaderIndex(h) spelled out: GCC 12 gave the call form one more register copy on the
  // release build's hit path (38 instructions against 37, fastpath_probe under callgrind).
  const uint32_t c = uint8_t(h - kTinyTag);
  if (HAK_UNLIKELY(c >= uint32_t(kNumTinyClasses))) {
    if constexpr (kMidFastPath) return FreePoolFast(p, h);
    if constexpr (kFreeClassFromMap) return FreeNotSlabMapped(p, h);
    return FreeSlow(p);
  }
  if constexpr (kFreeClassFromMap) {
    if (HAK_UNLIKELY(!TinyIsBlockStart(a, c))) return FreeSlowMapped(p, h);  // h is the map byte
  } else if constexpr (kFastOwnershipCheck) {
    // Release default (e3_safe) and every debug build: the map byte of a tiny slab equals its
    // blocks' header byte, so one compare proves ownership and class; the stride test refuses
    // interior pointers. Anything refused is classified, counted and (debug) reported on the
    // slow path.
    if (HAK_UNLIKELY(OwnershipGet(a) != h || !TinyIsBlockStart(a, c))) return FreeSlow(p);
  }
  if constexpr (kLegacyC7Branches) {
    // Pre-E3-3: the `class_idx == 7` special case. Written when C7 had no header (a byte at
    // ptr-1 claiming C7 could not be trusted), it outlived E1 and sends every C7 free to the
    // slow path, where the classifier re-derives the class.
    if (c == 7) return FreeSlow(p);
  }
  if constexpr (kDebug) {
    if (DebugIsDoubleFree(p, c)) return;
  }
  if constexpr (kFastPathChecks) {
    // A block already at the head of its list is freed twice.
    if (HAK_UNLIKELY(t_cache.head[c] == p)) return FreeFastCheckFailed(p);
  }
  if constexpr (kHitCounters) ++t_front_hits.free_hit[c];
  HAK_ROUTE(free_header_fast, p);
  CacheFree(p, c, h);
}

HAK_FAST_PATH void FreeFast(void* p) {
  if constexpr (kFreeDispatchSuperSlab || kFreeDispatchSuperSlabFree) {
    FreeFastSuperSlab(p);
  } else {
    FreeFastHeader(p);
  }
}

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_FRONT_GATE_H_
