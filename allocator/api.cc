// api.cc — layer 5: the hak_* direct API (the malloc family with glibc's semantics, counters,
// route statistics and their exit-time dump).
#include "allocator/api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "allocator/aligned.h"
#include "allocator/front_gate.h"
#include "allocator/mid_large.h"
#include "allocator/stats.h"
#include "allocator/variant_string.h"

using namespace hak;

extern "C" {

HAK_EXPORT void* hak_malloc(size_t n) { return MallocFast(n); }

// free never changes errno: the fast path makes no call that could, FreeSlow restores it.
HAK_EXPORT void hak_free(void* p) { FreeFast(p); }

HAK_EXPORT void* hak_calloc(size_t count, size_t size) {
  size_t n;
  if (__builtin_mul_overflow(count, size, &n)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (n > kPoolMaxSize) {
    bool fresh = false;
    void* p = ChunkAlloc(n, &fresh);
    if (p != nullptr && !fresh) memset(p, 0, n);  // fresh pages from the OS are already zero
    return p;
  }
  void* p = hak_malloc(n);
  if (p != nullptr) memset(p, 0, n);
  return p;
}

HAK_EXPORT size_t hak_malloc_usable_size(const void* p) { return p ? UsableSize(p) : 0; }

namespace {
// Everything but a chunk's in-place realloc (hak_realloc below), for a block classified as r.
__attribute__((noinline)) void* ReallocRouted(void* p, size_t n, Route r) {  // not cold: small blocks too
  const size_t have = UsableSizeRouted(p, r);
  if (have == 0 && r.kind != Route::kForeign) {
    errno = EINVAL;  // not a live block of ours: refuse rather than copy from it
    return nullptr;
  }
  // In place while the block still fits and is not more than twice what is needed.
  if (have != 0 && n <= have && n >= have / 2) return p;
  if constexpr (kLargeCache) {
    // A Mid/Large chunk staying above the pool tier is resized by mremap: no copy.
    if (have > kPoolMaxSize && n > kPoolMaxSize && r.kind == Route::kChunk) {
      if (void* q = ChunkRealloc(p, n)) return q;
    }
  }
  // chunk_arena=on: a pool block growing past half the pool tier moves to an arena chunk now, not
  // from class to class: the chunk's later growth is in place (ChunkRealloc). realloc growth to
  // 1 MiB by 16 KiB steps copied 16 + 32 + 48 KiB a round (memcpy 82% of its instructions); now 16.
  const bool to_chunk = kChunkArena && n > have && n > kPoolMaxSize / 2 && r.kind == Route::kSlab &&
                        r.cls >= kFirstPoolClass;
  void* q = to_chunk ? MallocChunkSlow(n) : hak_malloc(n);
  if (q == nullptr) return nullptr;  // p is left untouched, as C requires
  if (have != 0) {
    memcpy(q, p, n < have ? n : have);
    hak_free(p);
  }
  return q;
}
}  // namespace

// A chunk that still fits (the realloc of a buffer grown by steps: a 64 KiB granule takes four
// 16 KiB steps) returns here, inline: through the classifier's and the usable size's calls and a
// six-register frame that return took about 100 instructions, now 46 (callgrind, bench_mem
// realloc_grow --max-kb 1024). Anything else goes to ReallocRouted with the route
// ClassifyChunkFirst would give.
HAK_EXPORT void* hak_realloc(void* p, size_t n) {
  if (p == nullptr) return hak_malloc(n);
  if (n == 0) {  // glibc: realloc(p, 0) frees p and returns NULL
    hak_free(p);
    return nullptr;
  }
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const uint8_t map = OwnershipGetRacy(a);
  if (IsChunkBlock(a, map)) {
    const size_t have = ChunkUsable(p);
    if (n <= have && n >= have / 2) return p;
    return ReallocRouted(p, n, Route{Route::kChunk, -1, false});
  }
  return ReallocRouted(p, n, ClassifyMapped(a, map));
}

HAK_EXPORT void* hak_reallocarray(void* p, size_t count, size_t size) {
  size_t n;
  if (__builtin_mul_overflow(count, size, &n)) {
    errno = ENOMEM;
    return nullptr;
  }
  return hak_realloc(p, n);
}

HAK_EXPORT void* hak_memalign(size_t alignment, size_t n) {
  if (alignment > (SIZE_MAX >> 1) + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if ((alignment & (alignment - 1)) != 0) {  // glibc rounds up to a power of two
    alignment = size_t{1} << (64 - __builtin_clzll(alignment));
  }
  if (alignment <= 8) return hak_malloc(n);
  // Every block of 8 bytes or more usable is 16-aligned; C0 (7 usable) is only 8-aligned.
  if (alignment <= 16) return hak_malloc(n < 8 ? 8 : n);
  void* p = AlignedAlloc(alignment, n);
  if (p == nullptr) errno = ENOMEM;
  return p;
}

HAK_EXPORT int hak_posix_memalign(void** out, size_t alignment, size_t n) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  const int saved = errno;
  void* p = hak_memalign(alignment, n);
  if (p == nullptr) {
    errno = saved;
    return ENOMEM;
  }
  *out = p;
  return 0;
}

HAK_EXPORT void* hak_aligned_alloc(size_t alignment, size_t n) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  return hak_memalign(alignment, n);
}

HAK_EXPORT void* hak_valloc(size_t n) { return hak_memalign(kPageSize, n); }

HAK_EXPORT void* hak_pvalloc(size_t n) {
  if (n > SIZE_MAX - kPageSize) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t rounded = n == 0 ? kPageSize : (n + kPageSize - 1) & ~(kPageSize - 1);
  return hak_memalign(kPageSize, rounded);
}

HAK_EXPORT void hak_flush_thread_cache(void) {
  CacheFlushThread();
  ChunkFlushThread();
}

HAK_EXPORT hak_info hak_get_info(void) {
  const SuperSlabCounters ss = SuperSlabGetCounters();
  const ChunkCounters ch = ChunkGetCounters();
  const OsCounters os = OsGetCounters();
  return hak_info{ss.live_superslabs,
                  ss.cached_superslabs,
                  ss.slabs_in_use,
                  ch.live_chunks,
                  ch.cached_bytes,
                  os.maps,
                  os.unmaps,
                  os.failed_maps,
                  os.bytes_mapped_now,
                  g_foreign_frees.load(std::memory_order_relaxed),
                  g_invalid_frees.load(std::memory_order_relaxed),
                  ss.pool_kept_bytes};
}

HAK_EXPORT void hak_test_fail_next_mappings(int n) { OsFailNextMappings(n); }

HAK_EXPORT const char* hak_variant_string(void) { return kVariantString; }

}  // extern "C"

// ---- Route statistics (the counters themselves are layer 0: stats.h) ----

namespace {
// A fixed buffer line: dumping must not allocate (it runs inside the allocator at exit).
struct Line {
  char buf[1024];
  size_t len = 0;
  __attribute__((format(printf, 2, 3))) void operator()(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf + len, sizeof buf - len, fmt, ap);
    va_end(ap);
    if (n > 0) len += size_t(n) < sizeof buf - len ? size_t(n) : sizeof buf - len - 1;
  }
};
}  // namespace

extern "C" HAK_EXPORT int hak_stats_enabled(void) { return HAKMEM_STATS; }

extern "C" HAK_EXPORT size_t hak_stats_snapshot(uint64_t* out, size_t n) {
  size_t i = 0;
  if constexpr (hak::kStats) {
    for (; i < n && i < hak::kStatCount; ++i) out[i] = hak::g_stats[i].load(std::memory_order_relaxed);
  }
  return i;
}

extern "C" HAK_EXPORT const char* hak_stat_name(size_t i) {
  return i < hak::kStatCount ? hak::kStatNames[i] : nullptr;
}

// One "hakmem-stats {json}" line at exit when HAKMEM_STATS_DUMP is set: how the harness and the
// preload tests learn that this allocator really served the process, and how it routed.
// HAKMEM_STATS_DUMP=1 writes to stderr; any other value is a file path appended to (programs
// such as GNU sort close stderr before exit).
extern "C" HAK_EXPORT void hak_stats_dump(int fd) {
  Line line;
  auto& put = line;
  const hak_info info = hak_get_info();
  put("hakmem-stats {\"pid\":%d,\"stats_compiled\":%d,\"superslabs\":%llu,\"os_maps\":%llu,"
      "\"foreign_frees\":%llu",
      int(getpid()), HAKMEM_STATS, (unsigned long long)info.live_superslabs,
      (unsigned long long)info.os_maps, (unsigned long long)info.foreign_frees);
  if constexpr (hak::kStats) {
    for (size_t i = 0; i < hak::kStatCount; ++i) {
      put(",\"%s\":%llu", hak::kStatNames[i],
          (unsigned long long)hak::g_stats[i].load(std::memory_order_relaxed));
    }
  }
  put("}\n");
  (void)!write(fd, line.buf, line.len);
}

namespace {
__attribute__((destructor)) void DumpAtExit() {
  const char* v = getenv("HAKMEM_STATS_DUMP");
  if (v == nullptr || v[0] == '\0' || strcmp(v, "0") == 0) return;
  if (strcmp(v, "1") == 0) {
    hak_stats_dump(2);
    return;
  }
  const int fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    hak_stats_dump(fd);
    close(fd);
  }
}
}  // namespace
