// front_gate.h — layer 4: the fast paths of malloc and free, and the entry to their slow paths.
// The fast paths are inline and small; anything else tail-calls a never-inlined slow path.
// Every history switch that touches a fast path is in this file, at the point it acts.
#ifndef HAKMEM_ALLOCATOR_FRONT_GATE_H_
#define HAKMEM_ALLOCATOR_FRONT_GATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/ownership_map.h"
#include "allocator/os_pages.h"
#include "allocator/registry.h"
#include "allocator/size_classes.h"
#include "allocator/stats.h"
#include "allocator/superslab.h"
#include "allocator/thread_cache.h"
#include "allocator/tiny.h"

namespace hak {

HAK_SLOW_PATH void* MallocSlow(size_t n);
HAK_SLOW_PATH void FreeSlow(void* p);

// Always-on misuse counters (hak_get_info): frees of pointers we do not own, and refused frees.
extern std::atomic<uint64_t> g_foreign_frees, g_invalid_frees;

#if HAKMEM_DEBUG
// Debug builds only: a freed slab block of class >= 2 carries this canary in its second word
// (classes 0 and 1 have no room for it) until malloc hands it out again; free checks for it.
inline constexpr uint64_t kFreedCanary = 0xDEADF4EEB10C5EEDull;
HAK_FAST_PATH void DebugMarkAllocated(void* p, int c) {
  if (c >= 2) reinterpret_cast<uint64_t*>(p)[1] = 0;
}
// True when p (a block start of class c) is already free: reported, and the free is refused.
HAK_SLOW_PATH bool DebugIsDoubleFree(void* p, int c);
#endif

// Where the slow-path classifier sends a pointer.
struct Route {
  enum Kind : uint8_t { kSlab, kChunk, kAligned, kForeign, kInvalid } kind;
  int8_t cls;      // kSlab: class 0..14
  bool via_registry;
};
Route Classify(uintptr_t a);
// Usable size of one of our pointers (0 for foreign or invalid ones).
size_t UsableSize(const void* p);

// ---- malloc fast path: tiny size -> class, pop the TLS list. Budget: 20 instructions per call
// (ci/fastpath_budgets.json; call, frame setup and return included). ----
HAK_FAST_PATH void* MallocFast(size_t n) {
  if (HAK_LIKELY(n <= kTinyMaxSize)) {
    const int c = TinyClassOf(n);
    void* p = CachePop(t_cache, c);
    if (HAK_LIKELY(p != nullptr)) {
      HAK_STAT(malloc_fast);
#if HAKMEM_DEBUG
      DebugMarkAllocated(p, c);
#endif
      return p;
    }
  }
  return MallocSlow(n);
}

// ---- free fast path: header byte -> class, push the TLS list. Budget: 31 instructions per call
// in E3 (ci/fastpath_budgets.json). Each switch below adds exactly the work the history had at
// this point. ----
HAK_FAST_PATH void FreeFast(void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
#if HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_SUPERSLAB
  // 2025-11-09 ("header free not working"): every free looks up its SuperSlab first.
  if (HAK_UNLIKELY(a == 0)) return;
  if (RegistryLookup(a) != 0) {
    SlabMeta* s = SlabOf(a);
    const int c = s->class_idx;
    // Only a block start may be pushed: our aligned allocations (AlignHeader, not in the seeds)
    // hand out interior pointers of tiny blocks, and those need the classifier.
    if (c < kNumTinyClasses && TinyIsBlockStart(a, c)) {
#if HAKMEM_DEBUG
      if (DebugIsDoubleFree(p, c)) return;
#endif
      HAK_ROUTE(free_ss_hit, p);
      return CacheFree(p, c, kClasses[c].header);
    }
  }
  return FreeSlow(p);
#else
#if !HAKMEM_C7_HEADER
  // Phase 7: C7 blocks have no header; a 1 KiB aligned pointer may be one (NULL is too).
  if (HAK_UNLIKELY((a & 0x3FF) == 0)) return FreeSlow(p);
#endif
  if (HAK_UNLIKELY((a & (kPageSize - 1)) == 0)) {  // NULL lands here too
#if HAKMEM_PAGE_BOUNDARY_CHECK == HAKMEM_PAGE_CHECK_MINCORE
    // Phase 7-1.3: probe the previous page, then read the header there.
    if (a == 0) return;
    if (!OsPageMapped(reinterpret_cast<const char*>(p) - 1)) return FreeSlow(p);
#else
    return FreeSlow(p);  // header would be on the previous page: never read it here
#endif
  }
#if HAKMEM_FREE_FAST_REGISTRY_CHECK
  // Commit 5eabb89ad9: "is this C7?" asked of the registry on every free.
  if (RegistryLookup(a) != 0 && SlabOf(a)->class_idx == 7) return FreeSlow(p);
#endif
  const uint8_t h = reinterpret_cast<const uint8_t*>(p)[-1];
  if (HAK_UNLIKELY(!IsTinyHeader(h))) return FreeSlow(p);
  const int c = h & 0x07;
#if HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_MAP || HAKMEM_DEBUG
  // Release default (e3_safe) and every debug build: the map byte of a tiny slab equals its
  // blocks' header byte, so one compare proves ownership and class; the stride test refuses
  // interior pointers. Anything refused is classified, counted and (debug) reported on the
  // slow path.
  if (HAK_UNLIKELY(OwnershipGet(a) != h || !TinyIsBlockStart(a, c))) return FreeSlow(p);
#endif
#if HAKMEM_LEGACY_C7_BRANCHES
  // Pre-E3-3: the `class_idx == 7` special case. Written when C7 had no header (a byte at
  // ptr-1 claiming C7 could not be trusted), it outlived E1 and sends every C7 free to the
  // slow path, where the classifier re-derives the class.
  if (c == 7) return FreeSlow(p);
#endif
#if HAKMEM_DEBUG
  if (DebugIsDoubleFree(p, c)) return;
#endif
  HAK_ROUTE(free_header_fast, p);
  CacheFree(p, c, h);
#endif
}

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_FRONT_GATE_H_
