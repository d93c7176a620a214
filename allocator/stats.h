// stats.h — layer 0: route counters. With HAKMEM_STATS=0 (release) every HAK_STAT is compiled out.
#ifndef HAKMEM_ALLOCATOR_STATS_H_
#define HAKMEM_ALLOCATOR_STATS_H_

#include <atomic>
#include <cstdint>

#include "allocator/config.h"

namespace hak {

// Order and names are part of the stats dump format (hak_stats_dump, harness reads it).
#define HAKMEM_STAT_LIST(X)                                                          \
  X(free_header_fast) /* tiny free pushed on the TLS list by the header fast path */ \
  X(free_ss_hit)      /* tiny/pool free routed by a SuperSlab registry lookup */     \
  X(free_slow_tiny)   /* tiny free classified on the slow path */                    \
  X(free_pool)        /* pool free */                                                \
  X(free_mid)         /* Mid chunk free */                                           \
  X(free_large)       /* Large chunk free */                                         \
  X(free_aligned)     /* free of an aligned interior pointer */                      \
  X(free_foreign)     /* pointer we do not own: handed to glibc or dropped */        \
  X(free_invalid)     /* ours but not a block start: refused */                      \
  X(malloc_fast)      /* tiny (mid_fast_path: and pool) malloc served by a TLS pop */\
  X(malloc_slow)      /* any malloc that took the slow path */                       \
  X(refill)           /* TLS list refills from a slab */                             \
  X(pool_borrow)      /* mid_fast_path: an empty pool list served by a bigger class */\
  X(spill)            /* TLS list spills to slabs */                                 \
  X(remote_sent)      /* remote_free=owner: tiny free put in an outbox for its home */ \
  X(remote_flush)     /* an outbox batch pushed onto its home's inbox (one CAS) */     \
  X(remote_fallback)  /* an outbox batch whose home had exited: kept by the sender */  \
  X(remote_drain)     /* a thread took a non-empty inbox into its lists */

enum StatId : int {
#define HAKMEM_STAT_ENUM(name) kStat_##name,
  HAKMEM_STAT_LIST(HAKMEM_STAT_ENUM)
#undef HAKMEM_STAT_ENUM
  kStatCount
};
extern const char* const kStatNames[kStatCount];

// Defined only with stats=on (stats.cc); referenced only from branches the other configs discard.
extern std::atomic<uint64_t> g_stats[kStatCount];
extern bool g_free_route_trace;  // HAKMEM_FREE_ROUTE_TRACE=1
void TraceFreeRoute(const char* route, const void* p);

HAK_FAST_PATH void Stat(StatId id) {
  if constexpr (kStats) g_stats[id].fetch_add(1, std::memory_order_relaxed);
}
HAK_FAST_PATH void TraceFree(const char* route, const void* p) {
  if constexpr (kStats) {
    if (HAK_UNLIKELY(g_free_route_trace)) TraceFreeRoute(route, p);
  }
}
#define HAK_STAT(name) ::hak::Stat(::hak::kStat_##name)
#define HAK_TRACE_FREE(name, p) ::hak::TraceFree(#name, p)
#define HAK_ROUTE(name, p) (HAK_STAT(name), HAK_TRACE_FREE(name, p))

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_STATS_H_
