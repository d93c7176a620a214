// front_gate.cc — layer 4: the slow paths: malloc misses, and the free classifier.
#include "allocator/front_gate.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "allocator/aligned.h"
#include "allocator/mid_large.h"

namespace hak {

std::atomic<uint64_t> g_foreign_frees{0}, g_invalid_frees{0};
std::atomic<uint64_t> g_fast_check_failures{0};
__thread FrontHits t_front_hits __attribute__((tls_model("initial-exec")));

namespace {

// Reports misuse in debug builds; release builds only count it.
void ReportMisuse(const char* what, const void* p) {
  if constexpr (kDebug) {
    char line[128];
    const int n = snprintf(line, sizeof line, "hakmem: %s: %p\n", what, p);
    if (n > 0) (void)!write(2, line, size_t(n));
  }
}

// The calling thread's stack, [lo, hi), looked up once per thread on the first foreign free.
bool OnThisThreadsStack(uintptr_t a) {
  static __thread uintptr_t lo, hi;
  if (hi == 0) {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {  // may call malloc: we hold no lock
      void* base = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &base, &size) == 0) {
        lo = reinterpret_cast<uintptr_t>(base);
        hi = lo + size;
      }
      pthread_attr_destroy(&attr);
    }
    if (hi == 0) hi = 1;  // unknown: never matches
  }
  return a >= lo && a < hi;
}

using FreeFn = void (*)(void*);
std::atomic<FreeFn> g_next_free{nullptr};

// A pointer we do not own: memory allocated before we were interposed belongs to glibc. glibc's
// free reads the 16 bytes before the pointer, so it is called only when they are provably mapped.
void FreeForeign(void* p) {
  g_foreign_frees.fetch_add(1, std::memory_order_relaxed);
  HAK_ROUTE(free_foreign, p);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & 15) != 0 || ((a & (kPageSize - 1)) < 16 && !OsPageMapped(reinterpret_cast<void*>(a - 16)))) {
    g_invalid_frees.fetch_add(1, std::memory_order_relaxed);
    ReportMisuse("free of a foreign pointer glibc cannot own either (ignored)", p);
    return;
  }
  if (OnThisThreadsStack(a)) {  // glibc would abort ("free(): invalid pointer")
    g_invalid_frees.fetch_add(1, std::memory_order_relaxed);
    ReportMisuse("free of a stack address (ignored)", p);
    return;
  }
  ReportMisuse("free of a pointer hakmem did not allocate (passed to glibc's free)", p);
  FreeFn next = g_next_free.load(std::memory_order_acquire);
  if (next == nullptr) {
    next = reinterpret_cast<FreeFn>(dlsym(RTLD_NEXT, "free"));
    g_next_free.store(next, std::memory_order_release);
  }
  // RTLD_NEXT searches the objects after ours, so this is glibc's free, never our own.
  if (next != nullptr) next(p);
}

bool HeaderReadable(uintptr_t a) {
  // a is in a granule we own; a-1 is in the same granule unless a is granule aligned.
  return (a & (kGranule - 1)) != 0 || OwnershipGetRacy(a - 1) != 0;
}

Route FromRegistry(uintptr_t a) {
  if (RegistryLookup(a) == 0) return {Route::kInvalid, -1, true};
  SlabMeta* s = SlabOf(a);
  if (!SlabIsBlockStart(s, a)) return {Route::kInvalid, -1, true};
  return {Route::kSlab, int8_t(s->class_idx), true};
}

Route FromHeader(uintptr_t a, uint8_t map) {
  if (!HeaderReadable(a)) return {Route::kInvalid, -1, false};
  const uint8_t h = reinterpret_cast<const uint8_t*>(a)[-1];
  if (h == map && ClassOfHeader(h) >= 0) {
    if (SlabIsBlockStart(SlabOf(a), a)) return {Route::kSlab, int8_t(ClassOfHeader(h)), false};
  } else if (h == kChunkTag && map == kChunkTag) {
    if (ChunkHeaderValid(reinterpret_cast<void*>(a))) return {Route::kChunk, -1, false};
  } else if (h == kAlignTag) {
    if (AlignedBase(reinterpret_cast<void*>(a)) != nullptr) return {Route::kAligned, -1, false};
  }
  return {Route::kInvalid, -1, false};
}

}  // namespace

Route Classify(uintptr_t a) { return ClassifyMapped(a, OwnershipGetRacy(a)); }

Route ClassifyMapped(uintptr_t a, uint8_t map) {
  if (map == 0) return {Route::kForeign, -1, false};
  const bool slab_memory = map != kChunkTag && map != kGranuleFree;
  if constexpr (kClassifyRegistryFirst) {
    // a97005f50: ask the registry before looking at the header.
    if (slab_memory) {
      Route r = FromRegistry(a);
      if (r.kind == Route::kSlab) return r;
    }
    return FromHeader(a, map);
  }
  // Header first; the registry only for what the header cannot name (Phase 7's headerless C7,
  // an overwritten header byte).
  Route r = FromHeader(a, map);
  if (r.kind == Route::kInvalid && slab_memory) {
    Route reg = FromRegistry(a);
    if (reg.kind == Route::kSlab) return reg;
  }
  return r;
}

namespace {
void FreeSlowRoute(void* p, uint8_t map);
}  // namespace

Route ClassifyChunkFirst(uintptr_t a) {
  const uint8_t map = OwnershipGetRacy(a);
  if (IsChunkBlock(a, map)) return {Route::kChunk, -1, false};
  return ClassifyMapped(a, map);
}

// Called only from kDebug branches (a release build discards them, and the linker this function).
bool DebugIsDoubleFree(void* p, int c) {
  bool twice = false;
  if (c >= 2) {
    uint64_t* w = reinterpret_cast<uint64_t*>(p);
    twice = w[1] == kFreedCanary;
    w[1] = kFreedCanary;
  }
  // Classes 0 and 1 (and a canary the program overwrote): is it on this thread's list?
  const ThreadCache& tc = t_cache;
  void* q = tc.head[c];
  for (uint32_t i = 0; !twice && q != nullptr && i < tc.count[c]; ++i, q = LinkNext(q)) twice = q == p;
  if (twice) {
    g_invalid_frees.fetch_add(1, std::memory_order_relaxed);
    ReportMisuse("double free of a small block (ignored)", p);
  }
  return twice;
}

namespace {
// A chunk's free, counted as Mid or Large (stats=on).
void FreeChunkRouted(void* p) {
  if constexpr (kStats) {
    if (ChunkUsable(p) > kMidMaxSize) HAK_ROUTE(free_large, p); else HAK_ROUTE(free_mid, p);
  }
  ChunkFree(p);
}

// errno: the OS layer keeps it across munmap, mremap, madvise and mincore (os_pages.cc), so only
// the routes that call out (glibc's free, a misuse report) save it, not every slow free.
HAK_FAST_PATH void FreeSlowWith(void* p, uint8_t map) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  // A Mid/Large chunk first (IsChunkBlock) and nothing else: the generic route cost a 64 KiB
  // free about 40 instructions.
  if (IsChunkBlock(a, map)) {
    FreeChunkRouted(p);
  } else {
    FreeSlowRoute(p, map);
  }
}
}  // namespace

void FreeSlow(void* p) noexcept {
  if (p == nullptr) return;
  FreeSlowWith(p, OwnershipGetRacy(reinterpret_cast<uintptr_t>(p)));
}

void FreeSlowMapped(void* p, uint8_t map) noexcept {
  if (p == nullptr) return;
  FreeSlowWith(p, map);
}

void FreeSlowChunk(void* p) noexcept { FreeSlowWith(p, kChunkTag); }

namespace {
void FreeSlowRoute(void* p, uint8_t map) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const Route r = ClassifyMapped(a, map);
  switch (r.kind) {
    case Route::kSlab:
      if constexpr (kDebug) {
        if (DebugIsDoubleFree(p, r.cls)) return;
      }
      if (r.cls >= kFirstPoolClass) {
        HAK_ROUTE(free_pool, p);
      } else if (r.via_registry) {
        HAK_ROUTE(free_ss_hit, p);
      } else {
        HAK_ROUTE(free_slow_tiny, p);
      }
      return CachePushSlow(p, r.cls);
    case Route::kChunk:
      return FreeChunkRouted(p);
    case Route::kAligned: {
      HAK_ROUTE(free_aligned, p);
      void* base = AlignedRelease(p);
      return FreeSlowRoute(base, OwnershipGetRacy(reinterpret_cast<uintptr_t>(base)));
    }
    case Route::kForeign: {
      const int saved = errno;  // dlsym, glibc's free, a report on stderr
      FreeForeign(p);
      errno = saved;
      return;
    }
    case Route::kInvalid: {
      const int saved = errno;
      g_invalid_frees.fetch_add(1, std::memory_order_relaxed);
      HAK_ROUTE(free_invalid, p);
      ReportMisuse("free of a pointer that is not the start of a live block (ignored)", p);
      errno = saved;
      return;
    }
  }
}

void* MallocSlowRoute(size_t n) {
  if (n <= kTinyMaxSize) return CacheRefillPop(TinyClassOf(n));
  if (n <= kPoolMaxSize) {
    // Pool TLS: the same per-thread lists as tiny, reached only from here.
    const int cls = PoolClassOf(n);
    if (void* p = CachePop(t_cache, cls)) return p;
    return CacheRefillPop(cls);
  }
  bool fresh;
  return ChunkAlloc(n, &fresh);
}
}  // namespace

void* MallocSlow(size_t n) noexcept {
  HAK_STAT(malloc_slow);
  void* p = MallocSlowRoute(n);
  if (HAK_UNLIKELY(p == nullptr)) {
    errno = ENOMEM;  // the only place malloc sets errno
  } else if constexpr (kDebug) {
    if (n <= kPoolMaxSize) DebugMarkAllocated(p, n <= kTinyMaxSize ? TinyClassOf(n) : PoolClassOf(n));
  }
  return p;
}

void* MallocPoolSlow(int c) noexcept {
  HAK_STAT(malloc_slow);
  void* p = CachePoolRefillPop(c);
  if (HAK_UNLIKELY(p == nullptr)) {
    errno = ENOMEM;
  } else if constexpr (kDebug) {
    DebugMarkAllocated(p, c);
  }
  return p;
}

void* MallocChunkSlow(size_t n) noexcept {
  HAK_STAT(malloc_slow);
  bool fresh;
  void* p = ChunkAlloc(n, &fresh);
  if (HAK_UNLIKELY(p == nullptr)) errno = ENOMEM;
  return p;
}

// fast_path_checks=on: the popped block's header was not its class's (a corrupt list). The block
// is dropped (not handed out, not listed again) and the request served by the slow path.
void* MallocFastCheckFailed(void* p, size_t n) noexcept {
  g_fast_check_failures.fetch_add(1, std::memory_order_relaxed);
  ReportMisuse("fast-path check: corrupt block on the free list", p);
  return MallocSlow(n);
}

// fast_path_checks=on: a free the check refused (header/slab mismatch, or already the list's
// head): counted in invalid_frees, never listed.
void FreeFastCheckFailed(void* p) noexcept {
  g_fast_check_failures.fetch_add(1, std::memory_order_relaxed);
  g_invalid_frees.fetch_add(1, std::memory_order_relaxed);
  ReportMisuse("fast-path check: refused free", p);
}

size_t UsableSize(const void* p) { return UsableSizeRouted(p, Classify(reinterpret_cast<uintptr_t>(p))); }

size_t UsableSizeRouted(const void* p, Route r) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  switch (r.kind) {
    case Route::kSlab: return kClasses[r.cls].usable;
    case Route::kChunk: return ChunkUsable(p);
    case Route::kAligned: {
      const void* base = AlignedBase(p);
      return UsableSize(base) - size_t(a - reinterpret_cast<uintptr_t>(base));
    }
    default: return 0;
  }
}

}  // namespace hak
