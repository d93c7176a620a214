// config.h — layer 0: every build switch of the allocator, documented in one place ("Variants").
//
// Each switch is one historical design decision of HAKMEM (see ../shared/seeds and
// allocator/variants.bzl for which commit used which value). Bazel sets them through
// build settings in allocator/BUILD; a plain compiler invocation gets the E3 defaults below.
// Every value is checked: a typo is a compile error, never a silently different allocator.
#ifndef HAKMEM_ALLOCATOR_CONFIG_H_
#define HAKMEM_ALLOCATOR_CONFIG_H_

// HAKMEM_C7_HEADER (0|1): 1 = Phase E1+: class C7 (1 KiB blocks) carries the 1-byte header like
//   every other tiny class. 0 = Phase 7: C7 blocks are headerless (1024 usable bytes) and the
//   fast free path guesses "maybe C7" from 1 KiB alignment and sends such pointers to the slow path.
#ifndef HAKMEM_C7_HEADER
#define HAKMEM_C7_HEADER 1
#endif

// HAKMEM_FREE_FAST_REGISTRY_CHECK (0|1): 1 = commit 5eabb89ad9: a SuperSlab registry lookup at
//   the top of the tiny free fast path, to detect C7 blocks. The E2 regression.
#ifndef HAKMEM_FREE_FAST_REGISTRY_CHECK
#define HAKMEM_FREE_FAST_REGISTRY_CHECK 0
#endif

// HAKMEM_CLASSIFY_ORDER: order of the slow-path free classifier.
#define HAKMEM_CLASSIFY_HEADER_FIRST 1    // E3-2 / Phase 7: probe the header, registry last
#define HAKMEM_CLASSIFY_REGISTRY_FIRST 2  // a97005f50: registry lookup before the header probe
#ifndef HAKMEM_CLASSIFY_ORDER
#define HAKMEM_CLASSIFY_ORDER HAKMEM_CLASSIFY_HEADER_FIRST
#endif

// HAKMEM_REGISTRY_IMPL: the SuperSlab registry.
#define HAKMEM_REGISTRY_HASH 1    // fixed table, linear probing, lock-free reads
#define HAKMEM_REGISTRY_RBTREE 2  // ordered red-black tree under a lock (the E2 analysis)
#ifndef HAKMEM_REGISTRY_IMPL
#define HAKMEM_REGISTRY_IMPL HAKMEM_REGISTRY_HASH
#endif

// HAKMEM_FREE_DISPATCH: how free() routes a pointer.
#define HAKMEM_FREE_DISPATCH_HEADER 1     // read the 1-byte header (Phase 7 design, E3)
#define HAKMEM_FREE_DISPATCH_SUPERSLAB 2  // every free looks up the SuperSlab first, then pushes
                                          // the block on the thread's list
#define HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE 3  // 2025-11-09 as the Findings show it:
                                               // hak_super_lookup(ptr) then
                                               // hak_tiny_free_superslab(ptr, ss): the block goes
                                               // back to its slab (SlabReturn), not the thread cache
#ifndef HAKMEM_FREE_DISPATCH
#define HAKMEM_FREE_DISPATCH HAKMEM_FREE_DISPATCH_HEADER
#endif

// HAKMEM_PAGE_BOUNDARY_CHECK: what the fast free path does when ptr is page aligned, so that
//   the header byte ptr-1 lies on the previous page.
#define HAKMEM_PAGE_CHECK_SAME_PAGE 1  // never read it there: classify on the slow path
#define HAKMEM_PAGE_CHECK_MINCORE 2    // Phase 7-1.3: mincore() probe, then read the header
#ifndef HAKMEM_PAGE_BOUNDARY_CHECK
#define HAKMEM_PAGE_BOUNDARY_CHECK HAKMEM_PAGE_CHECK_SAME_PAGE
#endif

// HAKMEM_WRAPPER_GUARDS: work done by malloc()/free() around the allocator proper.
#define HAKMEM_WRAPPER_MINIMAL 1  // malloc is the fast path, nothing else
#define HAKMEM_WRAPPER_FULL 2     // 2025-11-09: per-call init, LD_PRELOAD and recursion checks
#ifndef HAKMEM_WRAPPER_GUARDS
#define HAKMEM_WRAPPER_GUARDS HAKMEM_WRAPPER_MINIMAL
#endif

// HAKMEM_FAST_PATH_CHECKS (0|1): 1 = the Findings' "corruption checks (even in release!)" on the
//   tiny fast paths: malloc checks the header byte of the block it pops, free checks the header
//   byte against the slab's class (free_dispatch=superslab*) or that the block is not already the
//   head of its list (header dispatch). A failed check is counted and the call goes to the slow
//   path (malloc) or is refused (free).
#ifndef HAKMEM_FAST_PATH_CHECKS
#define HAKMEM_FAST_PATH_CHECKS 0
#endif

// HAKMEM_HIT_COUNTERS (0|1): 1 = the Findings' "hit counters (every allocation)": per-thread,
//   per-class malloc and free hit counters incremented on the tiny fast paths in release builds
//   (independent of HAKMEM_STATS).
#ifndef HAKMEM_HIT_COUNTERS
#define HAKMEM_HIT_COUNTERS 0
#endif

// HAKMEM_LEGACY_C7_BRANCHES (0|1): 1 = the `class_idx == 7` special cases that E3-3 removed.
#ifndef HAKMEM_LEGACY_C7_BRANCHES
#define HAKMEM_LEGACY_C7_BRANCHES 0
#endif

// HAKMEM_FAST_OWNERSHIP_CHECK: does the tiny free fast path trust the header byte alone?
#define HAKMEM_OWNERSHIP_NONE 0  // yes (HAKMEM's design, every history state; a foreign or
                                 // interior byte that looks like a header reaches the free list)
#define HAKMEM_OWNERSHIP_MAP 1   // no: the O(1) ownership map must agree and the pointer must be
                                 // a block start (the release default from e3_safe to x3_spill;
                                 // debug builds always check)
#define HAKMEM_OWNERSHIP_MAP_ONLY 2  // the header is not read at all (beyond the seeds, x4_map):
                                     // the map byte, which equals the header byte of every block
                                     // of its slab, names the class, and the block must be a block
                                     // start. A free then reads no byte of the block (the header's
                                     // load missed the cache when another thread or long ago wrote
                                     // the block). Debug builds read and compare the header as
                                     // with map.
#ifndef HAKMEM_FAST_OWNERSHIP_CHECK
#define HAKMEM_FAST_OWNERSHIP_CHECK HAKMEM_OWNERSHIP_MAP_ONLY  // the release default since x4_map
#endif

// HAKMEM_MID_FAST_PATH (0|1): 1 = beyond the seeds (x2_mid): the pool tier (1 KiB .. 52 KiB)
//   gets Tiny's inline TLS fast paths (malloc: size -> class by one table load -> pop; free:
//   header byte -> class -> map + stride test -> push), 24 classes four per power of two (at
//   most 25% of a request wasted, 7 classes today), header bytes 0x40 | class, and cache
//   capacity and refill/spill batches sized by block bytes (pool.h, size_classes.h). 0 = the
//   seeds' pool: 7 classes (2..52 KiB), headers 0xB0 | class, every pool malloc and free on the
//   slow path.
#ifndef HAKMEM_MID_FAST_PATH
#define HAKMEM_MID_FAST_PATH 1  // the release default since x5_arena_mid (2026-12-02)
#endif

// HAKMEM_POOL_KEEP (8|16): under HAKMEM_MID_FAST_PATH, how many free pool slabs keep their pages,
//   and how long a run of pool slab releases with no slab taken gives them back (superslab.h).
//   16 = beyond the seeds (x6_keep16): fewer page faults when threads take slabs other threads
//   emptied, a few MiB more resident after a program's last free.
#ifndef HAKMEM_POOL_KEEP
#define HAKMEM_POOL_KEEP 8
#endif

// HAKMEM_MID_THREAD_CACHE (0|1): 1 = beyond the seeds (x7_mid_tcache): a per-thread front of the
//   Mid chunk lists (chunks up to 1 MiB, 2 MiB a thread), reused without the chunk lock
//   (mid_large.h). 0 = every Mid malloc and free takes the chunk lock.
#ifndef HAKMEM_MID_THREAD_CACHE
#define HAKMEM_MID_THREAD_CACHE 1  // the release default since x7_mid_tcache (2026-12-03)
#endif

// HAKMEM_LARGE_CACHE (0|1): 1 = beyond the seeds (issue 14, state x3_large): freed Large chunks
//   stay mapped in a bounded cache and are reused, resized with mremap; realloc of a Mid/Large
//   chunk resizes it with mremap instead of malloc+copy+free. The policy (caps, decay, fitting):
//   mid_large.h. 0 = HAKMEM's design: every Large chunk is a fresh mmap and a munmap.
#ifndef HAKMEM_LARGE_CACHE
#define HAKMEM_LARGE_CACHE 1  // the release default since x3_spill (2026-12-01)
#endif

// HAKMEM_CHUNK_ARENA (0|1): 1 = beyond the seeds (issue 14, state x5_arena): Mid and Large
//   chunks up to 32 MiB are carved first-fit from 256 MiB arenas by a granule bitmap, freed pages
//   reused by any size, realloc grown in place (chunk_arena.h). Needs large_cache=on (its realloc
//   route). 0 = one mapping per chunk, cached by exact size (HAKMEM) and by large_cache.
#ifndef HAKMEM_CHUNK_ARENA
#define HAKMEM_CHUNK_ARENA 1  // the release default since x5_arena (2026-12-01)
#endif

// HAKMEM_REMOTE_FREE: where a tiny free of a block homed at another thread goes (not in the seeds;
//   "beyond the seeds", issue 14). A tiny slab's home is the thread slot of the thread that last
//   carved from it (SlabMeta::home, kept when the slab is left).
#define HAKMEM_REMOTE_FREE_LOCAL 0  // HAKMEM's design (every state up to e3_safe): onto the freeing
                                    // thread's own list; blocks migrate, spills return them one
                                    // slab run at a time
#define HAKMEM_REMOTE_FREE_OWNER 1  // home in batches: a per-thread outbox per home thread, flushed
                                    // by count or on refill with one CAS onto the home's MPSC
                                    // inbox; the home drains its inbox when a list runs empty,
                                    // before refilling from slabs (thread_cache.h/.cc)
#define HAKMEM_REMOTE_FREE_SPILL 2  // local's free fast path; a list that overflows sends the
                                    // blocks it spills that are homed at another live thread
                                    // home (one CAS per home and class onto the same inboxes)
                                    // instead of back to their slabs
#ifndef HAKMEM_REMOTE_FREE
#define HAKMEM_REMOTE_FREE HAKMEM_REMOTE_FREE_SPILL  // the release default since x3_spill
#endif

// HAKMEM_STATS (0|1): route counters, refill/spill counts, and a per-free route trace
//   (environment HAKMEM_FREE_ROUTE_TRACE=1). 0 compiles every counter out of the fast paths.
#ifndef HAKMEM_STATS
#define HAKMEM_STATS 0
#endif

// HAKMEM_DEBUG (0|1): misuse detection with messages on stderr: double free of a small block
//   (a canary in freed blocks of classes >= 2 and a walk of the thread's list), interior,
//   foreign and stack pointers; forces the fast-path ownership check. On in dbg builds (no
//   NDEBUG) and in //allocator:hakmem_core_debug.
#ifndef HAKMEM_DEBUG
#ifdef NDEBUG
#define HAKMEM_DEBUG 0
#else
#define HAKMEM_DEBUG 1
#endif
#endif

// ---- Validation: every switch takes only its listed values. ----
#if HAKMEM_C7_HEADER != 0 && HAKMEM_C7_HEADER != 1
#error "HAKMEM_C7_HEADER must be 0 or 1"
#endif
#if HAKMEM_FREE_FAST_REGISTRY_CHECK != 0 && HAKMEM_FREE_FAST_REGISTRY_CHECK != 1
#error "HAKMEM_FREE_FAST_REGISTRY_CHECK must be 0 or 1"
#endif
#if HAKMEM_CLASSIFY_ORDER != HAKMEM_CLASSIFY_HEADER_FIRST && \
    HAKMEM_CLASSIFY_ORDER != HAKMEM_CLASSIFY_REGISTRY_FIRST
#error "HAKMEM_CLASSIFY_ORDER must be HEADER_FIRST or REGISTRY_FIRST"
#endif
#if HAKMEM_REGISTRY_IMPL != HAKMEM_REGISTRY_HASH && HAKMEM_REGISTRY_IMPL != HAKMEM_REGISTRY_RBTREE
#error "HAKMEM_REGISTRY_IMPL must be HASH or RBTREE"
#endif
#if HAKMEM_FREE_DISPATCH != HAKMEM_FREE_DISPATCH_HEADER && \
    HAKMEM_FREE_DISPATCH != HAKMEM_FREE_DISPATCH_SUPERSLAB && \
    HAKMEM_FREE_DISPATCH != HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE
#error "HAKMEM_FREE_DISPATCH must be HEADER, SUPERSLAB or SUPERSLAB_FREE"
#endif
#if HAKMEM_FAST_PATH_CHECKS != 0 && HAKMEM_FAST_PATH_CHECKS != 1
#error "HAKMEM_FAST_PATH_CHECKS must be 0 or 1"
#endif
#if HAKMEM_HIT_COUNTERS != 0 && HAKMEM_HIT_COUNTERS != 1
#error "HAKMEM_HIT_COUNTERS must be 0 or 1"
#endif
#if HAKMEM_PAGE_BOUNDARY_CHECK != HAKMEM_PAGE_CHECK_SAME_PAGE && \
    HAKMEM_PAGE_BOUNDARY_CHECK != HAKMEM_PAGE_CHECK_MINCORE
#error "HAKMEM_PAGE_BOUNDARY_CHECK must be SAME_PAGE or MINCORE"
#endif
#if HAKMEM_WRAPPER_GUARDS != HAKMEM_WRAPPER_MINIMAL && HAKMEM_WRAPPER_GUARDS != HAKMEM_WRAPPER_FULL
#error "HAKMEM_WRAPPER_GUARDS must be MINIMAL or FULL"
#endif
#if HAKMEM_LEGACY_C7_BRANCHES != 0 && HAKMEM_LEGACY_C7_BRANCHES != 1
#error "HAKMEM_LEGACY_C7_BRANCHES must be 0 or 1"
#endif
#if HAKMEM_FAST_OWNERSHIP_CHECK != HAKMEM_OWNERSHIP_NONE && \
    HAKMEM_FAST_OWNERSHIP_CHECK != HAKMEM_OWNERSHIP_MAP && HAKMEM_FAST_OWNERSHIP_CHECK != HAKMEM_OWNERSHIP_MAP_ONLY
#error "HAKMEM_FAST_OWNERSHIP_CHECK must be NONE, MAP or MAP_ONLY"
#endif
#if HAKMEM_MID_FAST_PATH != 0 && HAKMEM_MID_FAST_PATH != 1
#error "HAKMEM_MID_FAST_PATH must be 0 or 1"
#endif
#if HAKMEM_POOL_KEEP != 8 && HAKMEM_POOL_KEEP != 16
#error "HAKMEM_POOL_KEEP must be 8 or 16"
#endif
#if HAKMEM_MID_THREAD_CACHE != 0 && HAKMEM_MID_THREAD_CACHE != 1
#error "HAKMEM_MID_THREAD_CACHE must be 0 or 1"
#endif
#if HAKMEM_STATS != 0 && HAKMEM_STATS != 1
#error "HAKMEM_STATS must be 0 or 1"
#endif
#if HAKMEM_LARGE_CACHE != 0 && HAKMEM_LARGE_CACHE != 1
#error "HAKMEM_LARGE_CACHE must be 0 or 1"
#endif
#if HAKMEM_CHUNK_ARENA != 0 && HAKMEM_CHUNK_ARENA != 1
#error "HAKMEM_CHUNK_ARENA must be 0 or 1"
#endif
#if HAKMEM_CHUNK_ARENA && !HAKMEM_LARGE_CACHE
#error "chunk_arena=on resizes chunks through large_cache=on's realloc route: it needs large_cache=on"
#endif
#if HAKMEM_REMOTE_FREE != HAKMEM_REMOTE_FREE_LOCAL && HAKMEM_REMOTE_FREE != HAKMEM_REMOTE_FREE_OWNER && \
    HAKMEM_REMOTE_FREE != HAKMEM_REMOTE_FREE_SPILL
#error "HAKMEM_REMOTE_FREE must be LOCAL, OWNER or SPILL"
#endif
// Exclusive combinations.
#if HAKMEM_FREE_DISPATCH != HAKMEM_FREE_DISPATCH_HEADER && HAKMEM_FREE_FAST_REGISTRY_CHECK
#error "free_dispatch=superslab already looks up every free; free_fast_registry_check is meaningless"
#endif
#if HAKMEM_FREE_DISPATCH != HAKMEM_FREE_DISPATCH_HEADER && \
    HAKMEM_FAST_OWNERSHIP_CHECK != HAKMEM_OWNERSHIP_NONE
#error "free_dispatch=superslab does not read the header; fast_ownership_check=map has nothing to check"
#endif
#if HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_OWNER && HAKMEM_FREE_DISPATCH != HAKMEM_FREE_DISPATCH_HEADER
#error "remote_free=owner reads the home of a slab the header fast path has proved tiny; free_dispatch=superslab* is not supported"
#endif
#if HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_OWNER && HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_NONE && !HAKMEM_DEBUG
#error "remote_free=owner reads the slab metadata of the freed pointer: it needs fast_ownership_check=map or map_only, which prove the pointer is in a tiny slab"
#endif

// ---- The switches as C++ constants: code tests them with `if constexpr`, never `#if`, so every
// config's code compiles (is parsed and type-checked) in every build and the branches of the
// other configs vanish. A discarded branch may name a symbol that only another config defines.
namespace hak {
inline constexpr bool kC7Header = HAKMEM_C7_HEADER;
inline constexpr bool kFreeFastRegistryCheck = HAKMEM_FREE_FAST_REGISTRY_CHECK;
inline constexpr bool kClassifyRegistryFirst = HAKMEM_CLASSIFY_ORDER == HAKMEM_CLASSIFY_REGISTRY_FIRST;
inline constexpr bool kRegistryRbtree = HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_RBTREE;
inline constexpr bool kFreeDispatchSuperSlab = HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_SUPERSLAB;
// free_dispatch=superslab_free: the same lookup, then the block goes back to its slab.
inline constexpr bool kFreeDispatchSuperSlabFree = HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE;
inline constexpr bool kFastPathChecks = HAKMEM_FAST_PATH_CHECKS;
inline constexpr bool kHitCounters = HAKMEM_HIT_COUNTERS;
inline constexpr bool kPageCheckMincore = HAKMEM_PAGE_BOUNDARY_CHECK == HAKMEM_PAGE_CHECK_MINCORE;
inline constexpr bool kWrapperFull = HAKMEM_WRAPPER_GUARDS == HAKMEM_WRAPPER_FULL;
inline constexpr bool kLegacyC7Branches = HAKMEM_LEGACY_C7_BRANCHES;
inline constexpr bool kMidFastPath = HAKMEM_MID_FAST_PATH;
inline constexpr bool kStats = HAKMEM_STATS;
// large_cache=on: the Large chunk cache and mremap for Mid/Large realloc (mid_large.h).
inline constexpr bool kLargeCache = HAKMEM_LARGE_CACHE;
// chunk_arena=on: Mid/Large chunks from first-fit arenas (chunk_arena.h).
inline constexpr bool kChunkArena = HAKMEM_CHUNK_ARENA;
// mid_thread_cache=on: a per-thread cache in front of the Mid chunk lists (mid_large.h).
inline constexpr bool kMidThreadCache = HAKMEM_MID_THREAD_CACHE;
// remote_free=owner: tiny frees of blocks homed at another thread go home in batches.
inline constexpr bool kRemoteFreeOwner = HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_OWNER;
// remote_free=spill: the same homes and inboxes, reached only when a list overflows.
inline constexpr bool kRemoteFreeSpill = HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_SPILL;
// Either: slabs carry a home, threads hold home slots and drain their inboxes.
inline constexpr bool kRemoteHomes = kRemoteFreeOwner || kRemoteFreeSpill;
inline constexpr bool kDebug = HAKMEM_DEBUG;
// The tiny free fast path checks the ownership map and the block stride: the release default
// (fast_ownership_check=map) and every debug build.
inline constexpr bool kFastOwnershipCheck = HAKMEM_FAST_OWNERSHIP_CHECK != HAKMEM_OWNERSHIP_NONE || HAKMEM_DEBUG;
// fast_ownership_check=map_only (release builds): the free fast path takes the class from the
// ownership map byte and never reads the block's header byte.
inline constexpr bool kFreeClassFromMap = HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_MAP_ONLY && !HAKMEM_DEBUG;
}  // namespace hak

// ---- Path annotations (snmalloc style). ----
#define HAK_FAST_PATH inline __attribute__((always_inline))
#define HAK_SLOW_PATH __attribute__((noinline, cold))
// Out of line but not cold: the entry to another tier that is a program's normal path (a Mid or
// Large chunk), so a fast path tail-calls it rather than calling it from a .cold section (GCC's
// hot/cold split turned the tail call into call, jump back, return: +3 instructions an op).
#define HAK_TIER_PATH __attribute__((noinline))
#define HAK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HAK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HAK_EXPORT __attribute__((visibility("default")))

#endif  // HAKMEM_ALLOCATOR_CONFIG_H_
