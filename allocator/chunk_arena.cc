// chunk_arena.cc — layer 2: the chunk arenas' first-fit granule bitmaps and purge rule
// (chunk_arena=on; policy in chunk_arena.h). Every function but ArenaDiscard runs under the
// caller's lock.
#include "allocator/chunk_arena.h"

#include <errno.h>

#include "allocator/os_pages.h"
#include "allocator/ownership_map.h"

namespace hak {
namespace {

constexpr size_t kWords = kArenaGranules / 64;
static_assert(kArenaGranules % 64 == 0 && kWords <= 64, "whole bitmap words, one summary word");
static_assert(kArenaChunkMax <= kArenaBytes, "the biggest arena chunk fits an arena");

struct Arena {
  uintptr_t base;
  size_t low;              // no free granule below this one
  size_t free;             // free granules (dirty or not; not those being purged)
  uint64_t has_free, has_used, has_dirty;  // bit w: word w of used has a 0, a 1; of dirty a 1
  uint64_t used[kWords];   // 1: in a live chunk, or being purged
  uint64_t dirty[kWords];  // 1: free, its pages may be resident
};
static_assert(sizeof(Arena) == 48 + 2 * kArenaGranules / 8, "two bits a granule, counts, summaries");

// The summary bits of word w after granules of it were taken (used set, dirty cleared) or freed
// (used cleared, dirty set or not): only the bits such a change can move.
void SyncTaken(Arena& a, size_t w) {
  const uint64_t bit = uint64_t{1} << w;
  a.has_used |= bit;
  if (a.used[w] == ~uint64_t{0}) a.has_free &= ~bit;
  if (a.dirty[w] == 0) a.has_dirty &= ~bit;
}
void SyncFreed(Arena& a, size_t w, bool dirty) {
  const uint64_t bit = uint64_t{1} << w;
  a.has_free |= bit;
  if (dirty) a.has_dirty |= bit;
  if (a.used[w] == 0) a.has_used &= ~bit;
}

Arena g_arena[kMaxArenas];
int g_count = 0;
size_t g_live_bytes = 0, g_dirty_bytes = 0;

uint64_t MaskFrom(size_t bit) { return ~uint64_t{0} << (bit & 63); }

// __builtin_popcountll is a libgcc call without -mpopcnt (the baseline x86-64 these builds target).
size_t Popcount(uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return size_t((x * 0x0101010101010101ull) >> 56);
}

// First granule >= i of arena a whose used bit is `value`, or kArenaGranules. The summary word
// skips whole words (size_sweep 4 MiB: first fit crossed about 30 full words a malloc).
size_t NextWith(const Arena& a, size_t i, bool value) {
  if (i >= kArenaGranules) return kArenaGranules;
  size_t w = i / 64;
  uint64_t x = (value ? a.used[w] : ~a.used[w]) & MaskFrom(i);
  if (x == 0) {
    const uint64_t more = w + 1 < kWords ? (value ? a.has_used : a.has_free) & MaskFrom(w + 1) : 0;
    if (more == 0) return kArenaGranules;
    w = size_t(__builtin_ctzll(more));
    x = value ? a.used[w] : ~a.used[w];
  }
  return w * 64 + size_t(__builtin_ctzll(x));
}

// One past the highest granule below i whose bit in `bits` is `value` (0 when there is none).
size_t AfterLastWith(const uint64_t* bits, size_t i, bool value) {
  size_t w = i / 64;
  uint64_t x = (value ? bits[w] : ~bits[w]) & ((uint64_t{1} << (i & 63)) - 1);
  while (x == 0) {
    if (w == 0) return 0;
    --w;
    x = value ? bits[w] : ~bits[w];
  }
  return w * 64 + 64 - size_t(__builtin_clzll(x));
}

// First dirty granule >= i, or kArenaGranules.
size_t NextDirty(const Arena& a, size_t i) {
  if (i >= kArenaGranules) return kArenaGranules;
  size_t w = i / 64;
  uint64_t x = a.dirty[w] & MaskFrom(i);
  if (x == 0) {
    const uint64_t more = w + 1 < kWords ? a.has_dirty & MaskFrom(w + 1) : 0;
    if (more == 0) return kArenaGranules;
    w = size_t(__builtin_ctzll(more));
    x = a.dirty[w];
  }
  return w * 64 + size_t(__builtin_ctzll(x));
}

// Lowest start of n free granules that takes resident ones: the first free run with a dirty
// granule and room for n, the window starting at that granule (or ending at the run's end), or
// kArenaGranules. Without it first fit took clean (purged) low runs while the dirty ones waited
// higher up to be purged: with a 32 MiB cap, size_sweep 4 MiB faulted 2.6x as many pages as
// x4_map with first fit alone, 2.2x with this (the 64 MiB cap made it 1.03x).
size_t DirtyFit(const Arena& a, size_t n) {
  size_t d = a.has_dirty != 0 ? NextDirty(a, 0) : kArenaGranules;
  while (d < kArenaGranules) {
    const size_t end = NextWith(a, d, true);
    if (end - AfterLastWith(a.used, d, true) >= n) return d + n <= end ? d : end - n;
    d = NextDirty(a, end);
  }
  return kArenaGranules;
}

// Lowest start of n free granules, or kArenaGranules.
size_t FirstFit(const Arena& a, size_t n) {
  if (a.free < n) return kArenaGranules;
  size_t i = NextWith(a, a.low, false);
  while (i + n <= kArenaGranules) {
    const size_t end = NextWith(a, i, true);
    if (end - i >= n) return i;
    i = NextWith(a, end, false);
  }
  return kArenaGranules;
}

// Calls f(word, mask, granules in mask) for the words covering granules [i, i+n).
template <typename F>
void ForRange(size_t i, size_t n, F f) {
  while (n > 0) {
    const size_t bit = i & 63, take = n < 64 - bit ? n : 64 - bit;
    const uint64_t mask = (take == 64 ? ~uint64_t{0} : ((uint64_t{1} << take) - 1)) << bit;
    f(i / 64, mask, take);
    i += take;
    n -= take;
  }
}

Arena& ArenaOf(uintptr_t a) {
  int i = 0;
  while (a - g_arena[i].base >= kArenaBytes) ++i;  // the caller holds a chunk of one of them
  return g_arena[i];
}

uintptr_t AddrOf(const Arena& a, size_t granule) { return a.base + granule * kGranule; }

// Marks [i, i+n) of arena a in use. Returns how many of them were dirty.
size_t TakeGranules(Arena& a, size_t i, size_t n) {
  size_t dirty = 0;
  ForRange(i, n, [&](size_t w, uint64_t m, size_t k) {
    if (const uint64_t d = a.dirty[w] & m) dirty += d == m ? k : Popcount(d);
    a.dirty[w] &= ~m;
    a.used[w] |= m;
    SyncTaken(a, w);
  });
  a.free -= n;
  g_dirty_bytes -= dirty * kGranule;
  g_live_bytes += n * kGranule;
  if (i == a.low) a.low = i + n;
  return dirty;
}

// The purge rule (chunk_arena.h): over the cap, the highest dirty granules go to `purge` (marked
// in use, no longer dirty) until the dirty bytes are at most 7/8 of it or `purge` is full.
void Enforce(size_t cached, ArenaPurge* purge) {
  const size_t in_use = g_live_bytes > cached ? g_live_bytes - cached : 0;
  size_t cap = ArenaDirtyCap(in_use);
  cap = cap > cached ? cap - cached : 0;  // the caller's cached chunks are free and resident too
  if (g_dirty_bytes <= cap) return;
  const size_t target = cap - cap / 8;
  for (int ai = g_count - 1; ai >= 0 && g_dirty_bytes > target && purge->n < kArenaPurgeMax; --ai) {
    Arena& a = g_arena[ai];
    while (a.has_dirty != 0 && g_dirty_bytes > target && purge->n < kArenaPurgeMax) {
      // The run of dirty granules ending at the highest dirty bit, cut to what is over target.
      const size_t w = 63 - size_t(__builtin_clzll(a.has_dirty));
      const size_t top = w * 64 + 63 - size_t(__builtin_clzll(a.dirty[w]));
      const size_t want = (g_dirty_bytes - target + kGranule - 1) / kGranule;
      const size_t start = AfterLastWith(a.dirty, top, false);
      const size_t lo = top + 1 - start > want ? top + 1 - want : start;
      const size_t n = top + 1 - lo;
      ForRange(lo, n, [&](size_t ww, uint64_t m, size_t) {
        a.dirty[ww] &= ~m;
        a.used[ww] |= m;
        SyncTaken(a, ww);
      });
      a.free -= n;
      g_dirty_bytes -= n * kGranule;
      purge->addr[purge->n] = AddrOf(a, lo);
      purge->bytes[purge->n] = n * kGranule;
      ++purge->n;
    }
  }
}

// Frees [i, i+n) of arena a: free and dirty.
void FreeGranules(Arena& a, size_t i, size_t n) {
  if (i < a.low) a.low = i;
  ForRange(i, n, [&](size_t w, uint64_t m, size_t) {
    a.used[w] &= ~m;
    a.dirty[w] |= m;
    SyncFreed(a, w, true);
  });
  a.free += n;
  g_live_bytes -= n * kGranule;
  g_dirty_bytes += n * kGranule;
}

}  // namespace

void* ArenaAlloc(size_t bytes, bool* fresh) {
  const size_t n = bytes / kGranule;
  if (bytes > kArenaChunkMax || n == 0) return nullptr;
  for (int pass = 0; pass < 2; ++pass) {  // resident pages first, then any free run
    for (int ai = 0; ai < g_count; ++ai) {
      const size_t i = pass == 0 ? DirtyFit(g_arena[ai], n) : FirstFit(g_arena[ai], n);
      if (i != kArenaGranules) {
        *fresh = TakeGranules(g_arena[ai], i, n) == 0;
        return reinterpret_cast<void*>(AddrOf(g_arena[ai], i));
      }
    }
  }
  return nullptr;
}

bool ArenaRoomForAnother() { return g_count < kMaxArenas; }

void* ArenaReserve() {
  const int saved = errno;
  void* base = OsMapAligned(kArenaBytes, kGranule);
  if (base == nullptr) {
    errno = saved;
    return nullptr;
  }
  // Every granule says kChunkTag for good, live or free: each chunk route checks the header
  // (ChunkHeaderValid), which a freed chunk fails (magic 0) and a discarded page reads as zero.
  // So taking and freeing a run writes no map byte (OwnershipSet of a 4 MiB chunk's 65 bytes
  // cost size_sweep 4 MiB 1064 instructions per malloc+free).
  if (!OwnershipSet(reinterpret_cast<uintptr_t>(base), kArenaBytes, kChunkTag)) {
    ArenaUnreserve(base);
    errno = saved;
    return nullptr;
  }
  return base;
}

void ArenaUnreserve(void* base) {
  OwnershipSet(reinterpret_cast<uintptr_t>(base), kArenaBytes, 0);
  OsUnmap(base, kArenaBytes);
}

bool ArenaAdopt(void* base) {
  if (g_count == kMaxArenas) return false;
  Arena& a = g_arena[g_count++];
  a.base = reinterpret_cast<uintptr_t>(base);  // its bitmaps are zero: never used
  a.low = 0;
  a.free = kArenaGranules;
  a.has_free = ~uint64_t{0} >> (64 - kWords);
  return true;
}

void ArenaFree(void* chunk, size_t bytes, size_t cached, ArenaPurge* purge) {
  const uintptr_t c = reinterpret_cast<uintptr_t>(chunk);
  Arena& a = ArenaOf(c);
  FreeGranules(a, (c - a.base) / kGranule, bytes / kGranule);
  Enforce(cached, purge);
}

bool ArenaResize(void* chunk, size_t old_bytes, size_t new_bytes, size_t cached, ArenaPurge* purge) {
  const uintptr_t c = reinterpret_cast<uintptr_t>(chunk);
  Arena& a = ArenaOf(c);
  const size_t i = (c - a.base) / kGranule, old_n = old_bytes / kGranule, new_n = new_bytes / kGranule;
  if (new_n > old_n) {
    if (new_bytes > kArenaChunkMax || i + new_n > kArenaGranules || NextWith(a, i + old_n, true) < i + new_n) {
      return false;
    }
    TakeGranules(a, i + old_n, new_n - old_n);
  } else if (new_n < old_n) {
    FreeGranules(a, i + new_n, old_n - new_n);
  }
  if (purge != nullptr) Enforce(cached, purge);
  return true;
}

void ArenaTrim(size_t cached, ArenaPurge* purge) { Enforce(cached, purge); }

void ArenaDiscard(const ArenaPurge& purge) {
  for (int i = 0; i < purge.n; ++i) OsDiscard(reinterpret_cast<void*>(purge.addr[i]), purge.bytes[i]);
}

void ArenaPurgeDone(const ArenaPurge& purge) {
  for (int i = 0; i < purge.n; ++i) {
    Arena& a = ArenaOf(purge.addr[i]);
    const size_t g = (purge.addr[i] - a.base) / kGranule;
    ForRange(g, purge.bytes[i] / kGranule, [&](size_t w, uint64_t m, size_t) {
      a.used[w] &= ~m;
      SyncFreed(a, w, false);
    });
    a.free += purge.bytes[i] / kGranule;
    if (g < a.low) a.low = g;
  }
}

// Cached bytes c hold when cap(L - c) - c >= D (L live, D dirty), i.e. cap(u) + u >= L + D for
// u = L - c in use; cap(u) + u grows with u, so c may reach L - u* for the least such u*, found on
// a lower bound of the cap (4x in use below kArenaDirtyFullAt, where the square is above it).
size_t ArenaFrontRoom() {
  if (g_dirty_bytes == 0) return ~size_t{0};  // nothing to purge: any cache holds the rule
  const size_t t = g_live_bytes + g_dirty_bytes;
  constexpr size_t k = kArenaDirtyPerLive + 1;
  size_t u;
  if (t <= k * kArenaDirtyFullAt) {
    u = (t + k - 1) / k;
  } else if (t <= kArenaDirtyMax + kArenaDirtyFullAt) {
    u = kArenaDirtyFullAt;
  } else if (t <= 2 * kArenaDirtyMax) {
    u = t - kArenaDirtyMax;
  } else {
    u = (t + 1) / 2;
  }
  return g_live_bytes > u ? g_live_bytes - u : 0;
}

ArenaCounters ArenaGetCounters() {
  return {uint64_t(g_count), g_live_bytes, g_dirty_bytes};
}

}  // namespace hak
