// mid_large.cc — layer 3: Mid/Large chunks from mmap, the Mid chunk cache, the Large chunk cache
// and mremap resizing (large_cache=on; policy in mid_large.h), the routes to the chunk arenas
// (chunk_arena=on; chunk_arena.h), their counters and fork lock.
#include "allocator/mid_large.h"

#include <errno.h>
#include <pthread.h>

#include <atomic>

#include "allocator/chunk_arena.h"
#include "allocator/lock.h"
#include "allocator/os_pages.h"
#include "allocator/ownership_map.h"

namespace hak {
namespace {

// Mid chunks span 1..33 granules (2 MiB + header rounds up to 33). One LIFO list per size.
constexpr size_t kMidMaxGranules = (kMidMaxSize + kAllocHeaderSize + kGranule - 1) / kGranule;
Lock g_lock;  // lock.h: the futex mutex (uncontended: one CAS, one exchange, inline)
void* g_cache[kMidMaxGranules + 1];
size_t g_cached_bytes = 0;
// What the exact-size lists may hold: kMidCacheMaxBytes; chunk_arena=on also the arenas' room
// (ArenaFrontRoom), so a program whose last frees are Mid chunks still gets the arenas' pages back
// (mem_large_churn 3000 cycles: 56.8 MiB after free, 30.7 before). An arena free sets it to 0, and
// the next Mid free takes the slow path, which asks the arenas again and purges when the front is
// past their room (size_sweep 4 MiB: asking at every arena free cost 10 instructions an op).
size_t g_front_limit = kMidCacheMaxBytes;
uint64_t g_live_chunks = 0;

// mid_thread_cache=on: the calling thread's front of the exact-size lists (policy: mid_large.h).
// Zero-initialised TLS: state 0 until the thread's first cached free registers the exit key.
enum : uint8_t { kMidUninit = 0, kMidLive = 1, kMidDead = 2 };
struct MidThreadCache {
  // By granule count, a stack of chunk starts, newest last: a pop reads no chunk memory (a list
  // linked through the chunks, with the fence below, read 0.082-0.090 s where this reads
  // 0.073-0.080 on the benchmark named there).
  void* slot[kMidThreadMaxGranules + 1][kMidThreadDepth];
  uint8_t count[kMidThreadMaxGranules + 1];
  // Bytes of the cacheable chunks (at most kMidThreadMaxGranules) this thread malloc'd or grew
  // into that size by realloc, minus those it freed or grew out of it: negative on a thread that
  // frees what others malloc.
  int64_t in_use;
  uint32_t bytes;  // cached
  uint16_t chunks;
  uint8_t state;
};
static_assert(kMidThreadMaxChunk <= kMidMaxSize + kAllocHeaderSize,
              "a chunk the thread cache takes is a Mid chunk: a Large request needs more granules");
static_assert(kMidThreadDepth < 256, "MidThreadCache::count is a byte");
static_assert(kMidThreadCacheBytes < (uint64_t{1} << 32) &&
                  kMidThreadCacheBytes / kGranule < (1u << 16),
              "MidThreadCache: bytes and chunks fit their fields");
__thread MidThreadCache t_mid __attribute__((tls_model("initial-exec")));
pthread_key_t g_mid_exit_key;
pthread_once_t g_mid_key_once = PTHREAD_ONCE_INIT;

// The Large cache (large_cache=on): unordered entries, each stamped with the clock at its free.
// It holds Large chunks only; Mid chunks keep their exact-size lists (and the Mid cache's 32 MiB,
// which a round that frees everything and allocates again reuses).
struct LargeEntry {
  AllocHeader* chunk;
  size_t bytes;
  uint64_t stamp;
};
LargeEntry g_large[kLargeCacheMaxCount];
int g_large_count = 0;
size_t g_large_cached_bytes = 0;
size_t g_large_live_bytes = 0;  // bytes of the cacheable chunks in use (the proportional cap)
uint64_t g_large_clock = 0;     // ticks at every Large malloc and free

// Chunks taken out of the cache under the lock, unmapped after it.
struct Victims {
  AllocHeader* chunk[kLargeCacheMaxCount + 1];
  size_t bytes[kLargeCacheMaxCount + 1];
  int n = 0;
  void Add(AllocHeader* c, size_t b) {
    chunk[n] = c;
    bytes[n] = b;
    ++n;
  }
};

AllocHeader* HeaderOf(const void* p) {
  return reinterpret_cast<AllocHeader*>(const_cast<char*>(static_cast<const char*>(p)) -
                                        kAllocHeaderSize);
}

void Release(AllocHeader* h, size_t bytes) {
  OwnershipSet(reinterpret_cast<uintptr_t>(h), bytes, 0);  // before: another thread may map here next
  OsUnmap(h, bytes);
}

void ReleaseAll(const Victims& v) {
  for (int i = 0; i < v.n; ++i) Release(v.chunk[i], v.bytes[i]);
}

// Under g_lock. Removes entry i (order is not kept).
void LargeRemove(int i, Victims* v) {
  if (v != nullptr) v->Add(g_large[i].chunk, g_large[i].bytes);
  g_large_cached_bytes -= g_large[i].bytes;
  g_large[i] = g_large[--g_large_count];
}

// Under g_lock: the decay rule, then the caps (oldest first).
void LargeEnforce(Victims* v) {
  for (int i = g_large_count - 1; i >= 0; --i) {
    if (g_large_clock - g_large[i].stamp > kLargeCacheDecayOps) LargeRemove(i, v);
  }
  const size_t cap = g_large_live_bytes < kLargeCacheMaxBytes ? g_large_live_bytes : kLargeCacheMaxBytes;
  while (g_large_count > 0 && (g_large_cached_bytes > cap || g_large_count > kLargeCacheMaxCount)) {
    int oldest = 0;
    for (int i = 1; i < g_large_count; ++i) {
      if (g_large[i].stamp < g_large[oldest].stamp) oldest = i;
    }
    LargeRemove(oldest, v);
  }
}

// Resizes chunk h of old_b bytes to new_b bytes (granule multiples) with mremap, keeping its pages
// and its ownership map bytes consistent. A growth that cannot happen in place moves the chunk
// and makes it *new_b_out = move_b >= new_b bytes (room for later growth: untouched pages cost
// no memory). Returns its new start, or nullptr with h unchanged.
AllocHeader* RemapChunk(AllocHeader* h, size_t old_b, size_t new_b, size_t move_b, size_t* new_b_out) {
  *new_b_out = new_b;
  const uintptr_t a = reinterpret_cast<uintptr_t>(h);
  if (new_b == old_b) return h;
  if (new_b < old_b) {  // shrink in place: the tail is unmarked first, as in Release
    OwnershipSet(a + new_b, old_b - new_b, 0);
    if (OsRemap(h, old_b, new_b, nullptr)) return h;
    OwnershipSet(a + new_b, old_b - new_b, kChunkTag);  // its leaves exist: cannot fail
    return nullptr;
  }
  if (OsRemap(h, old_b, new_b, nullptr)) {  // grown in place: the new granules are ours now
    if (OwnershipSet(a + old_b, new_b - old_b, kChunkTag)) return h;
    OwnershipSet(a + old_b, new_b - old_b, 0);
    OsRemap(h, new_b, old_b, nullptr);
    return nullptr;
  }
  // Moved: onto an aligned reservation (mremap's own MAYMOVE would only be page aligned).
  new_b = move_b;
  void* dest = OsMapAligned(new_b, kGranule);
  if (dest == nullptr) return nullptr;
  const uintptr_t d = reinterpret_cast<uintptr_t>(dest);
  if (!OwnershipSet(d, new_b, kChunkTag)) {
    Release(static_cast<AllocHeader*>(dest), new_b);
    return nullptr;
  }
  OwnershipSet(a, old_b, 0);  // the old range is unmapped by the move: unmark it before
  if (!OsRemap(h, old_b, new_b, dest)) {
    OwnershipSet(a, old_b, kChunkTag);
    Release(static_cast<AllocHeader*>(dest), new_b);
    return nullptr;
  }
  *new_b_out = new_b;
  return static_cast<AllocHeader*>(dest);
}

size_t ChunkBytesFor(size_t n) { return (n + kAllocHeaderSize + kGranule - 1) & ~(kGranule - 1); }

// large_cache=on: Large chunks (requests above kMidMaxSize) of their own mapping go through the
// Large cache and count in its live bytes (arena chunks do not: chunk_arena.h).
bool Cacheable(bool large) { return kLargeCache && large; }

// chunk_arena=on, g_lock held: every arena chunk of the exact-size Mid lists goes back to its
// arena (free, its pages resident), where first fit can join and reuse them for any size.
void FlushFrontToArena(ArenaPurge* purge) {
  for (size_t g = 1; g <= kMidMaxGranules; ++g) {
    void** link = &g_cache[g];
    while (*link != nullptr) {
      auto* h = static_cast<AllocHeader*>(*link);
      if (!h->in_arena) {  // its own mapping (the arenas were full): it stays
        link = reinterpret_cast<void**>(h);
        continue;
      }
      *link = *reinterpret_cast<void**>(h);
      g_cached_bytes -= g * kGranule;
      ArenaFree(h, g * kGranule, g_cached_bytes, purge);
    }
  }
  g_front_limit = 0;
}

// chunk_arena=on, g_lock held: a chunk of `bytes` from an arena, stamped but for magic/tag
// (counted live), or nullptr when no arena holds it. When the exact-size lists hold at least
// `bytes` (sizes nobody asks for: mem_large_churn's Mid chunks kept 32 MiB there while its Large
// mallocs faulted fresh pages, peak RSS 54 -> 97 MiB), they go back to the arenas first.
// A new arena is mapped with g_lock released for a while (chunk_arena.h).
void* ArenaTake(size_t bytes, bool large, bool* fresh, ArenaPurge* purge) {
  if (g_cached_bytes >= bytes) FlushFrontToArena(purge);
  auto* h = static_cast<AllocHeader*>(ArenaAlloc(bytes, fresh));
  if (h == nullptr && bytes <= kArenaChunkMax && ArenaRoomForAnother()) {
    g_lock.unlock();
    void* base = ArenaReserve();
    g_lock.lock();
    if (base != nullptr && !ArenaAdopt(base)) {
      g_lock.unlock();
      ArenaUnreserve(base);
      g_lock.lock();
    }
    h = static_cast<AllocHeader*>(ArenaAlloc(bytes, fresh));
  }
  if (h == nullptr) return nullptr;
  ++g_live_chunks;
  h->chunk_bytes = bytes;
  h->in_arena = 1;
  h->is_large = large;
  return h;
}

// chunk_arena=on, g_lock not held: the runs an arena call handed back are discarded, then freed.
// A full ArenaPurge (kArenaPurgeMax runs) is followed by another check, so a program that frees
// everything gets every free page back, not the first kArenaPurgeMax runs.
void FinishPurgeSlow(ArenaPurge& purge) {
  while (purge.n != 0) {
    ArenaDiscard(purge);
    g_lock.lock();
    ArenaPurgeDone(purge);
    const bool more = purge.n == kArenaPurgeMax;
    purge.n = 0;
    if (more) ArenaTrim(g_cached_bytes, &purge);
    g_lock.unlock();
  }
}
inline void FinishPurge(ArenaPurge& purge) {
  if (purge.n != 0) FinishPurgeSlow(purge);
}

// large_cache=on: a cached Large chunk fitted to `bytes`, or nullptr (the cache had none, or
// fitting it failed). Counts the chunk live.
AllocHeader* LargeCacheTake(size_t bytes) {
  Victims v;
  AllocHeader* chunk = nullptr;
  size_t have = 0;
  g_lock.lock();
  ++g_large_clock;
  LargeEnforce(&v);
  int best = -1;
  size_t best_dist = 0;
  for (int i = 0; i < g_large_count; ++i) {
    const size_t b = g_large[i].bytes;
    const size_t dist = b >= bytes ? b - bytes : bytes - b;
    if (best < 0 || dist < best_dist) best = i, best_dist = dist;
  }
  if (best >= 0) {
    chunk = g_large[best].chunk;
    have = g_large[best].bytes;
    LargeRemove(best, nullptr);
    // Within slack the chunk keeps its size; otherwise it is fitted to `bytes` below.
    const size_t final_bytes = have >= bytes && have - bytes <= bytes / 4 ? have : bytes;
    g_large_live_bytes += final_bytes;
    ++g_live_chunks;
  }
  g_lock.unlock();
  ReleaseAll(v);
  if (chunk == nullptr) return nullptr;
  if (have >= bytes && have - bytes <= bytes / 4) {
    chunk->chunk_bytes = have;
    return chunk;
  }
  size_t got;
  AllocHeader* fitted = RemapChunk(chunk, have, bytes, bytes, &got);
  if (fitted != nullptr) {
    fitted->chunk_bytes = bytes;
    return fitted;
  }
  // The kernel refused: give the chunk back and let the caller map a fresh one (counted live
  // again there).
  Release(chunk, have);
  g_lock.lock();
  g_large_live_bytes -= bytes;
  --g_live_chunks;
  g_lock.unlock();
  return nullptr;
}

}  // namespace

// large_cache=on, g_lock held, the exact-size Mid list of `granules` empty: takes the smallest
// bigger cached Mid chunk, releases g_lock, and shrinks the chunk in place to `bytes` (its tail
// pages go back to the OS). realloc by mremap leaves chunks of sizes no malloc asks for again (a
// block grown to 1 MiB is freed at 17+ granules, each growth mallocs 2): without this they sat in
// the exact-size lists up to the 32 MiB cap (mem_realloc_grow 1 MiB: RSS after free 12.5 -> 32.3
// MiB against e3_safe). Returns the chunk (counted live, *fresh set), or nullptr. Off the
// exact-hit path, so a hit costs what it costs with large_cache=off.
// chunk_arena=on: an arena chunk is shrunk by its arena instead (the tail's granules stay free
// and resident, no system call), so a round of realloc growth starts in the last round's chunk
// and grows through its own pages (mem_realloc_grow 1 MiB: without it the front kept that chunk
// and the round took another, +1 MiB RSS after free); with no bigger chunk, the arena's first fit.
static void* MidTakeBiggerAndUnlock(size_t granules, size_t bytes, bool* fresh) {
  void* chunk = nullptr;
  size_t have = 0;
  for (size_t g = granules + 1; g <= kMidMaxGranules; ++g) {
    if (g_cache[g] != nullptr) {
      chunk = g_cache[g];
      have = g * kGranule;
      g_cache[g] = *static_cast<void**>(chunk);
      g_cached_bytes -= have;
      ++g_live_chunks;
      break;
    }
  }
  *fresh = false;
  if constexpr (kChunkArena) {  // else a chunk of its own mapping (the arenas were full): remapped
    if (chunk == nullptr || static_cast<AllocHeader*>(chunk)->in_arena) {
      ArenaPurge purge;
      if (chunk == nullptr) {
        chunk = ArenaTake(bytes, false, fresh, &purge);
      } else {
        ArenaResize(chunk, have, bytes, 0, nullptr);  // no purge: the next free checks
        g_front_limit = 0;
      }
      g_lock.unlock();
      FinishPurge(purge);
      return chunk;
    }
  }
  g_lock.unlock();
  if (chunk == nullptr) return nullptr;
  size_t got;
  if (RemapChunk(static_cast<AllocHeader*>(chunk), have, bytes, bytes, &got) != nullptr) return chunk;
  g_lock.lock();  // the kernel refused the shrink: the caller maps a fresh one
  --g_live_chunks;
  g_lock.unlock();
  Release(static_cast<AllocHeader*>(chunk), have);
  return nullptr;
}

namespace {

void* Stamp(void* chunk, bool large) {
  auto* h = static_cast<AllocHeader*>(chunk);
  h->magic = kChunkMagic;
  h->is_large = large;
  h->tag = kChunkTag;
  return static_cast<char*>(chunk) + kAllocHeaderSize;
}

// A fresh chunk of `bytes` from the OS (zeroed), counted live; nullptr with errno set.
void* MapFresh(size_t bytes, bool large, bool* fresh) {
  *fresh = true;
  void* chunk = OsMapAligned(bytes, kGranule);
  if (chunk == nullptr) return nullptr;
  if (!OwnershipSet(reinterpret_cast<uintptr_t>(chunk), bytes, kChunkTag)) {
    OwnershipSet(reinterpret_cast<uintptr_t>(chunk), bytes, 0);
    OsUnmap(chunk, bytes);
    errno = ENOMEM;
    return nullptr;
  }
  g_lock.lock();
  ++g_live_chunks;
  if (Cacheable(large)) g_large_live_bytes += bytes;
  g_lock.unlock();
  static_cast<AllocHeader*>(chunk)->chunk_bytes = bytes;
  static_cast<AllocHeader*>(chunk)->in_arena = 0;
  return Stamp(chunk, large);
}

// g_lock held, the exact-size Mid list of `granules` empty: releases g_lock; large_cache=on
// shrinks a bigger cached Mid chunk (chunk_arena=on: or takes an arena run), else (or when none)
// a fresh chunk is mapped.
HAK_SLOW_PATH void* MidMissAndUnlock(size_t granules, size_t bytes, bool* fresh) {
  if constexpr (kLargeCache) {
    if (void* chunk = MidTakeBiggerAndUnlock(granules, bytes, fresh)) {
      static_cast<AllocHeader*>(chunk)->chunk_bytes = bytes;
      return Stamp(chunk, false);
    }
  } else {
    g_lock.unlock();
  }
  return MapFresh(bytes, false, fresh);
}

// n > kMidMaxSize: large_cache=on reuses a cached Large chunk, else (or when none) maps a fresh one.
HAK_SLOW_PATH void* LargeAlloc(size_t n, bool* fresh) {
  if (n > (size_t{1} << 46)) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t bytes = ChunkBytesFor(n);
  if constexpr (kChunkArena) {
    if (bytes <= kArenaChunkMax) {
      ArenaPurge purge;
      g_lock.lock();
      void* chunk = ArenaTake(bytes, true, fresh, &purge);
      g_lock.unlock();
      FinishPurge(purge);
      if (chunk != nullptr) return Stamp(chunk, true);
      return MapFresh(bytes, true, fresh);  // every arena full: the Large cache is for big ones
    }
  }
  if constexpr (kLargeCache) {
    if (void* chunk = LargeCacheTake(bytes)) {  // its size is set
      *fresh = false;
      return Stamp(chunk, true);
    }
  }
  return MapFresh(bytes, true, fresh);
}

// The shared lists' hit (inline), their miss (its own function), under the chunk lock.
HAK_FAST_PATH void* MidAllocShared(size_t bytes, size_t granules, bool* fresh) {
  g_lock.lock();
  void* chunk = g_cache[granules];
  if (chunk == nullptr) return MidMissAndUnlock(granules, bytes, fresh);
  g_cache[granules] = *static_cast<void**>(chunk);
  g_cached_bytes -= bytes;
  ++g_live_chunks;
  g_lock.unlock();
  *fresh = false;
  static_cast<AllocHeader*>(chunk)->chunk_bytes = bytes;
  return Stamp(chunk, false);
}
void MidFlushAll();

// mid_thread_cache=on, a cacheable size the thread's list did not hold: the same out of line
// (so the thread cache's hit saves no registers), counted in use. Chunks of other sizes in the
// cache go to the shared lists first, where the miss can shrink a bigger one and the arena can
// join them with their neighbours (mem_realloc_grow 1 MiB: a round's last chunk, kept here, made
// the next round's growth copy instead of growing in place: 44M -> 0.32M ops/s).
HAK_TIER_PATH void* MidAllocSharedCounted(size_t bytes, size_t granules, bool* fresh) {
  if (t_mid.chunks != 0) MidFlushAll();
  void* p = MidAllocShared(bytes, granules, fresh);
  if (p != nullptr) t_mid.in_use += int64_t(bytes);
  return p;
}
// mid_thread_cache=on, a request past the thread cache's sizes (the last Mid granule count, or
// Large): out of line, as ChunkAlloc is with the cache off.
HAK_TIER_PATH void* ChunkAllocUncached(size_t n, bool* fresh) {
  if (n > kMidMaxSize) return LargeAlloc(n, fresh);
  const size_t bytes = ChunkBytesFor(n);
  return MidAllocShared(bytes, bytes / kGranule, fresh);
}

}  // namespace

// The Mid exact-size hit is the only path inline here, the same code in every state but
// mid_thread_cache=on (whose hit is the thread's list, the shared lists out of line): a Large
// request and a Mid miss go to their own functions (large_cache=on's code on a Mid hit cost
// size_sweep 64 KiB +3.5 instructions/op when it shared this function).
void* ChunkAlloc(size_t n, bool* fresh) {
  if constexpr (kMidThreadCache) {
    if (n > kMidThreadMaxChunk - kAllocHeaderSize) return ChunkAllocUncached(n, fresh);
    const size_t bytes = ChunkBytesFor(n);
    const size_t granules = bytes / kGranule;
    const uint32_t k = t_mid.count[granules];
    if (k == 0) return MidAllocSharedCounted(bytes, granules, fresh);
    // A full fence before the hit's loads, measured, not needed for correctness (the cache is
    // the thread's own): bench_random_mixed 65536 ws 256 (2M cycles) took 0.13-0.15 s without
    // it and 0.073-0.080 with it (the shared path, whose lock CAS is such a fence, 0.091-0.106);
    // an lfence does not help (0.12-0.16), a locked or to the stack does as mfence does. Our
    // reading, with no hardware counters on this machine: a malloc's loads otherwise wait behind
    // the program's stores to cold lines of the last block (one a page), which a drain here
    // overlaps with nothing else. It costs a one-chunk malloc/free loop 7.8 -> 12.4 ns a pair.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    void* chunk = t_mid.slot[granules][k - 1];
    t_mid.count[granules] = uint8_t(k - 1);
    t_mid.bytes -= uint32_t(bytes);
    --t_mid.chunks;
    t_mid.in_use += int64_t(bytes);
    *fresh = false;
    static_cast<AllocHeader*>(chunk)->chunk_bytes = bytes;
    return Stamp(chunk, false);
  } else {
    if (n > kMidMaxSize) return LargeAlloc(n, fresh);
    const size_t bytes = ChunkBytesFor(n);
    return MidAllocShared(bytes, bytes / kGranule, fresh);
  }
}

namespace {

// g_lock held: whether the exact-size Mid lists take chunk h while they may hold `limit` bytes,
// and the push onto its list (ChunkFree's inline path).
bool FrontTakes(const AllocHeader* h, size_t bytes, const size_t& limit) {
  return !(h->is_large || bytes > kMidMaxGranules * kGranule || g_cached_bytes + bytes > limit);
}
void PushFront(AllocHeader* h, size_t bytes) {
  const size_t granules = bytes / kGranule;
  *reinterpret_cast<void**>(h) = g_cache[granules];
  g_cache[granules] = h;
  g_cached_bytes += bytes;
}

// g_lock held, chunk h not taken by the Mid cache (Large, too big, the cache full, or
// chunk_arena=on: past g_front_limit): releases g_lock; chunk_arena=on frees an arena chunk into
// its arena; large_cache=on caches a Large chunk under the Large policy, else h goes
// to the OS.
HAK_SLOW_PATH void ChunkFreeSlowAndUnlock(AllocHeader* h, size_t bytes) {
  if constexpr (kChunkArena) {
    if (FrontTakes(h, bytes, kMidCacheMaxBytes)) {
      // Past g_front_limit only: the chunk still goes to the front (a realloc's next round grows
      // through it), and the arenas give back what the purge rule says with the front counted.
      PushFront(h, bytes);
      ArenaPurge purge;
      size_t room = ArenaFrontRoom();
      if (g_cached_bytes > room) {
        ArenaTrim(g_cached_bytes, &purge);
        room = ArenaFrontRoom();  // fewer dirty bytes now
      }
      g_front_limit = room < kMidCacheMaxBytes ? room : kMidCacheMaxBytes;
      g_lock.unlock();
      FinishPurge(purge);
      return;
    }
    if (h->in_arena) {
      ArenaPurge purge;
      ArenaFree(h, bytes, g_cached_bytes, &purge);
      g_front_limit = 0;
      g_lock.unlock();
      FinishPurge(purge);
      return;
    }
  }
  if constexpr (kLargeCache) {
    if (Cacheable(h->is_large)) {
      Victims v;
      g_large_live_bytes -= bytes;
      ++g_large_clock;
      if (bytes <= kLargeCacheMaxBytes) {
        if (g_large_count == kLargeCacheMaxCount) {
          int oldest = 0;
          for (int i = 1; i < g_large_count; ++i) {
            if (g_large[i].stamp < g_large[oldest].stamp) oldest = i;
          }
          LargeRemove(oldest, &v);
        }
        g_large[g_large_count++] = {h, bytes, g_large_clock};
        g_large_cached_bytes += bytes;
      } else {
        v.Add(h, bytes);
      }
      LargeEnforce(&v);
      g_lock.unlock();
      ReleaseAll(v);
      return;
    }
  }
  g_lock.unlock();
  Release(h, bytes);
}

// The shared path of a free (h's magic already cleared): the push onto the Mid lists inline.
HAK_FAST_PATH void FreeShared(AllocHeader* h, size_t bytes) {
  g_lock.lock();
  --g_live_chunks;
  if (!FrontTakes(h, bytes, kChunkArena ? g_front_limit : kMidCacheMaxBytes)) return ChunkFreeSlowAndUnlock(h, bytes);
  PushFront(h, bytes);
  g_lock.unlock();
}
// mid_thread_cache=on, a chunk past the thread cache's size: the shared path out of line (so the
// thread cache's push saves no registers).
HAK_TIER_PATH void FreeSharedOutOfLine(AllocHeader* h, size_t bytes) { FreeShared(h, bytes); }

// mid_thread_cache=on: every cached chunk to the shared lists, each list's oldest first, so the
// most recently freed chunk ends on top there as it was here (reuse stays LIFO: handing out the
// oldest of a full cache instead cost size_sweep 64 KiB x0.69 in cache misses).
void MidFlushAll() {
  for (size_t g = 1; g <= kMidThreadMaxGranules && t_mid.chunks != 0; ++g) {
    const uint32_t n = t_mid.count[g];
    t_mid.count[g] = 0;
    t_mid.bytes -= uint32_t(n * g * kGranule);
    t_mid.chunks = uint16_t(t_mid.chunks - n);
    for (uint32_t i = 0; i < n; ++i) FreeShared(static_cast<AllocHeader*>(t_mid.slot[g][i]), g * kGranule);
  }
}

void MidThreadExit(void*) {
  ChunkFlushThread();
  t_mid.state = kMidDead;  // frees from later destructors take the shared path
}
void MidKeyCreate() { pthread_key_create(&g_mid_exit_key, MidThreadExit); }

// mid_thread_cache=on: chunk h of `bytes` onto the thread's list.
HAK_FAST_PATH void MidPush(AllocHeader* h, size_t bytes) {
  const size_t granules = bytes / kGranule;
  const uint32_t k = t_mid.count[granules];
  t_mid.slot[granules][k] = h;
  t_mid.count[granules] = uint8_t(k + 1);
  t_mid.bytes += uint32_t(bytes);
  ++t_mid.chunks;
}

// mid_thread_cache=on, the thread's first cached free: registers the exit key (whose value must
// be non-null for its destructor to run). Marked dead while it does, so a free that re-enters
// (glibc's pthread_setspecific may calloc) takes the shared path; dead for good if it fails.
HAK_SLOW_PATH bool MidThreadStart() {
  t_mid.state = kMidDead;
  pthread_once(&g_mid_key_once, MidKeyCreate);
  if (pthread_setspecific(g_mid_exit_key, &t_mid) != 0) return false;
  t_mid.state = kMidLive;
  return true;
}

// mid_thread_cache=on, a free of a cacheable chunk that the inline test did not push (t_mid.in_use
// already counts it freed): the caps of mid_large.h. Over them, the whole cache goes to the
// shared lists (oldest first) and h is pushed on the empty cache, or goes to the shared lists
// itself when it alone is over.
HAK_TIER_PATH void FreeCacheSlow(AllocHeader* h, size_t bytes) {
  if (t_mid.state != kMidLive && !(t_mid.state == kMidUninit && MidThreadStart())) {
    return FreeShared(h, bytes);  // after thread exit, or the key could not be set
  }
  const int64_t after = t_mid.in_use;
  int64_t limit = after + int64_t(bytes);  // in use before this free
  if (after >= int64_t(kMidThreadCacheFloor)) limit = after;
  else if (limit > int64_t(kMidThreadCacheFloor)) limit = int64_t(kMidThreadCacheFloor);
  if (limit > int64_t(kMidThreadCacheBytes)) limit = int64_t(kMidThreadCacheBytes);
  if (int64_t(t_mid.bytes + bytes) <= limit && t_mid.count[bytes / kGranule] < kMidThreadDepth) {
    return MidPush(h, bytes);
  }
  if (t_mid.chunks != 0) MidFlushAll();
  if (int64_t(bytes) <= limit) return MidPush(h, bytes);
  FreeShared(h, bytes);
}

}  // namespace

// As ChunkAlloc: the push onto the thread's or the shared Mid lists is the inline path,
// everything else its own function.
void ChunkFree(void* p) {
  AllocHeader* h = HeaderOf(p);
  const size_t bytes = h->chunk_bytes;
  h->magic = 0;  // a second free of the same pointer fails ChunkHeaderValid
  if constexpr (kMidThreadCache) {
    if (bytes <= kMidThreadMaxChunk) {
      // Inline: the cache, with h, within kMidThreadCacheBytes, the bytes still in use and its
      // stack's depth (every other case of the caps: FreeCacheSlow).
      const int64_t after = t_mid.in_use - int64_t(bytes);
      t_mid.in_use = after;
      const size_t held = t_mid.bytes + bytes;
      if (HAK_LIKELY(held <= kMidThreadCacheBytes && int64_t(held) <= after &&
                     t_mid.count[bytes / kGranule] < kMidThreadDepth && t_mid.state == kMidLive)) {
        return MidPush(h, bytes);
      }
      return FreeCacheSlow(h, bytes);
    }
    return FreeSharedOutOfLine(h, bytes);
  } else {
    FreeShared(h, bytes);
  }
}

void ChunkFlushThread() {
  if constexpr (kMidThreadCache) MidFlushAll();
}

size_t ChunkThreadCachedBytes() { return kMidThreadCache ? t_mid.bytes : 0; }

namespace {
// mid_thread_cache=on: a realloc of the calling thread moved a chunk from old_b to new_b bytes.
void MidCountResize(size_t old_b, size_t new_b) {
  if constexpr (kMidThreadCache) {
    t_mid.in_use += int64_t(new_b <= kMidThreadMaxChunk ? new_b : 0) -
                    int64_t(old_b <= kMidThreadMaxChunk ? old_b : 0);
  }
}
}  // namespace

void* ChunkRealloc(void* p, size_t n) {
  if (n > (size_t{1} << 46)) return nullptr;
  AllocHeader* h = HeaderOf(p);
  const size_t old_b = h->chunk_bytes;
  const bool old_large = h->is_large;
  size_t new_b = ChunkBytesFor(n);
  const bool large = n > kMidMaxSize;
  if constexpr (kChunkArena) {
    if (h->in_arena) {  // in place, or the caller copies (no mremap inside an arena)
      ArenaPurge purge;
      g_lock.lock();
      const bool ok = ArenaResize(h, old_b, new_b, g_cached_bytes, &purge);
      if (new_b < old_b) g_front_limit = 0;
      g_lock.unlock();
      FinishPurge(purge);
      if (!ok) return nullptr;
      h->chunk_bytes = new_b;
      h->is_large = large;
      MidCountResize(old_b, new_b);
      return p;
    }
  }
  const int saved = errno;
  // A growth that has to move doubles the chunk (at most 2x what is asked), so growing by steps
  // moves O(log n) times, not once per step.
  const size_t move_b = new_b > old_b && 2 * old_b > new_b ? 2 * old_b : new_b;
  AllocHeader* q = RemapChunk(h, old_b, new_b, move_b, &new_b);
  errno = saved;  // a refusal is not the caller's error: it falls back to malloc + copy
  if (q == nullptr) return nullptr;
  q->chunk_bytes = new_b;
  q->is_large = large;
  MidCountResize(old_b, new_b);
  if (Cacheable(old_large) || Cacheable(large)) {
    g_lock.lock();
    g_large_live_bytes += Cacheable(large) ? new_b : 0;
    g_large_live_bytes -= Cacheable(old_large) ? old_b : 0;
    g_lock.unlock();
  }
  return reinterpret_cast<char*>(q) + kAllocHeaderSize;
}

ChunkCounters ChunkGetCounters() {
  g_lock.lock();
  const ArenaCounters a = ArenaGetCounters();
  ChunkCounters c{g_cached_bytes + g_large_cached_bytes + a.dirty_bytes, g_live_chunks, g_large_cached_bytes,
                  uint64_t(g_large_count), g_large_live_bytes, a.arenas, a.live_bytes, a.dirty_bytes};
  g_lock.unlock();
  if constexpr (kMidThreadCache) {  // the caller's cached chunks: cached, not live
    c.cached_bytes += t_mid.bytes;
    c.live_chunks -= t_mid.chunks;
  }
  return c;
}
void ChunkLockForFork() { g_lock.lock(); }
void ChunkUnlockAfterFork(bool child) {
  if (child) g_lock.ResetAfterFork(); else g_lock.unlock();
}

}  // namespace hak
