// chunk_arena.h — layer 2 (chunk_arena=on, state x5_arena; beyond the seeds): Mid and Large
// chunks carved from big reservations by a first-fit bitmap of 64 KiB granules, so a freed
// chunk's pages are reused by a chunk of ANY size, neighbours coalesce by themselves, and a
// realloc grows into the free granules after it with no system call.
//
// Why: HAKMEM maps every chunk on its own and caches it by exact size. mem_large_churn (8 live
// blocks of 256 KiB..8 MiB) then faulted nearly every page it wrote (x0.03 of mimalloc), and
// realloc growth to 1 MiB faulted 226 pages a round (x0.01 of glibc): a miss took a bigger cached
// chunk and gave its tail back to the OS, the growth faulted it again. mimalloc's arenas (64 KiB
// slices, a bitmap, delayed purge) do what this does.
//
// Policy (documented here, checked in chunk_arena_test.cc):
//  - An arena is kArenaBytes of address space, mapped once, never unmapped (untouched pages cost
//    no memory). At most kMaxArenas; a chunk above kArenaChunkMax, or when every arena is full,
//    is mapped on its own as before.
//  - Allocation: resident pages first, the first free run holding a dirty granule (DirtyFit),
//    else the lowest free run that fits (FirstFit), over all arenas. Every granule of an arena
//    says kChunkTag in the ownership map from its mapping on, live or free: the chunk routes
//    check the header, which a freed chunk fails.
//  - Free: the granules become free and "dirty" (their pages may be resident). A later
//    allocation that takes dirty granules takes resident pages (*fresh is false).
//  - Purge: after a free the dirty bytes never stay above ArenaDirtyCap(in use) less the bytes of
//    arena chunks the caller holds cached (its exact-size front: those pages are free and resident
//    too, and not in use). The cap is 4x what is in use while that is under 1 MiB, then the square
//    (64 MiB x (in use / 4 MiB)^2) up to 128 MiB, which it reaches at 5.66 MiB in use (x4_map
//    kept up to 32 MiB in the Mid cache and 64 MiB in the Large cache; the cap was 64 MiB from 4
//    MiB in use until 2026-12-03, see below), and as much as is in use from 128 MiB on. So a
//    program that holds little gets the pages back at that free (mem_realloc_grow 16 MiB: 73 KiB
//    stay in use, libstdc++'s emergency pool), one that holds a few MiB keeps a churn's worth, and
//    one that holds hundreds keeps at most as much free as it holds. Over the cap, the highest
//    dirty granules go (first fit reuses the low ones) until 7/8 of the cap is left, with
//    madvise(MADV_DONTNEED) outside the caller's lock: ArenaFree and ArenaResize hand the runs back in an ArenaPurge
//    (at most kArenaPurgeMax runs; the caller checks again with ArenaTrim while one comes back
//    full), marked in use meanwhile; the caller discards them with ArenaDiscard and returns them
//    with ArenaPurgeDone under its lock. A resize with no ArenaPurge (the Mid front's reuse of a
//    bigger chunk, which grows again) is checked at the next free. A run still being discarded
//    when the process forks stays marked in use in the child. Frees into the caller's front
//    check nothing, so the front grows without a check only up to ArenaFrontRoom() (computed
//    on a lower bound of the cap); past it the caller checks the rule (ArenaTrim).
//    Measured on mem_large_churn (default, interleaved medians): the cap of 4x in use gave 36K
//    ops/s (mimalloc 160K): its live bytes dip to 2-6 MiB between reuses and each dip purged
//    (2.6 GB purged and faulted again in 20000 cycles, all at caps of 26 MiB or less). 16x in
//    use: 172K, but RSS after the last free of mem_realloc_grow 16 MiB 3.6 -> 4.95 MiB (16 x 73
//    KiB kept); 16x not counting the front against the cap: 11.7 MiB after free against 10.4.
//    The square: 167K, 10.0 MiB after free, mem_realloc_grow 1 and 16 MiB unchanged. The square alone (no 4x) took
//    mem_realloc_grow 1 MiB from 15M to 0.6M ops/s: its growth holds under 1 MiB. Above 64 MiB
//    in use (bench_random_mixed of 4 MiB blocks, 20000 cycles; `/usr/bin/time`): with the cap at
//    64 MiB, ws 64 faulted 232K pages in 0.65 s and ws 256 620K in 1.35 s, as the live count
//    wandered (tcmalloc 59K/0.31 s and 171K/0.63 s, mimalloc 50K/0.30 s and 185K/0.66 s); the cap
//    of the bytes in use: 83K/0.33 s and 159K/0.62 s, twice them: 47K/0.26 s and 159K/0.60 s;
//    peak RSS the same in all (191 and 638 MB; tcmalloc 196 and 642, mimalloc 204 and 664). At
//    ws 32 (the gate's point) neither changes anything: its 44K extra faults come from dips of
//    the live count below 32 MiB, which only a time or ops decay would ride out. A flat 128 MiB
//    (2026-12-03, 8192 cycles, 3 interleaved runs each, `/usr/bin/time`): ws 32 faults 43.5K ->
//    25.9K and 80-89K -> 131-144K ops/s (mimalloc 125-152K, tcmalloc 106-122K), ws 64 56.5K ->
//    46.4K, ws 256 162K both; peak RSS unchanged at every ws (105, 187, 651 MB): the pages kept
//    are the ones the next high of the live count takes again. mem_large_churn, mem_liveset and
//    mem_realloc_grow (1 and 16 MiB): peak and after-free RSS and faults unchanged (they hold
//    under 4 MiB or never have 64 MiB free). The cost: a program holding 6..128 MiB may keep up
//    to 128 MiB of freed pages resident, not 64.
//    Earlier, against x4_map (bench_mem and callgrind, one at a time): a flat 32 MiB cap kept
//    16 MiB after the last free of mem_realloc_grow 16 MiB (x4_map: 3.1 MiB); a cap of the
//    live bytes (1x) or 2x left mem_large_churn at 6-12K ops/s (4x: 27-37K); a rule split by
//    the kind of chunk that freed the pages (Mid 32 MiB, Large as x3_large) at 13K. A 2 MiB
//    exact-size front cost size_sweep 64 KiB 14 instructions an op (its free set is 16 MiB); a
//    32 MiB front that never goes back raised mem_large_churn's peak RSS from 54 to 97 MiB. A
//    32 MiB cap faulted size_sweep 4 MiB (ws 256) 2.2x as many pages as x4_map's Large cache
//    (1.31M against 0.60M in 20000 cycles, x0.55 throughput); 64 MiB: 0.62M, the same speed.
// Not thread-safe: every call but ArenaDiscard runs under the caller's lock (mid_large.cc's
// chunk lock, also taken around fork()).
#ifndef HAKMEM_ALLOCATOR_CHUNK_ARENA_H_
#define HAKMEM_ALLOCATOR_CHUNK_ARENA_H_

#include <cstddef>
#include <cstdint>

#include "allocator/size_classes.h"

namespace hak {

inline constexpr size_t kArenaBytes = size_t{256} << 20;
inline constexpr size_t kArenaGranules = kArenaBytes / kGranule;
inline constexpr int kMaxArenas = 64;
inline constexpr size_t kArenaChunkMax = size_t{32} << 20;
inline constexpr size_t kArenaDirtyMax = size_t{128} << 20;
inline constexpr size_t kArenaDirtyPerLive = 4;
inline constexpr size_t kArenaDirtySquareUnit = size_t{256} << 10;  // the square: in_use^2 / this (4 MiB -> 64 MiB)
inline constexpr size_t kArenaDirtyFullAt = size_t{6} << 20;  // in use from which the cap is kArenaDirtyMax
inline constexpr int kArenaPurgeMax = 8;  // runs handed back per call (the rest at later calls)

// The purge rule's cap for `in_use` bytes of arena chunks in use: max(kArenaDirtyPerLive x
// in_use, in_use^2 / kArenaDirtySquareUnit) up to kArenaDirtyMax, which holds from
// kArenaDirtyFullAt in use (the square reaches it at 5.66 MiB); from kArenaDirtyMax in use on,
// in_use itself.
constexpr size_t ArenaDirtyCap(size_t in_use) {
  static_assert(kArenaDirtyFullAt < (size_t{1} << 32), "in_use squared fits");
  static_assert(kArenaDirtyFullAt * kArenaDirtyFullAt / kArenaDirtySquareUnit >= kArenaDirtyMax &&
                    kArenaDirtyPerLive * kArenaDirtyFullAt < kArenaDirtyMax,
                "the square reaches kArenaDirtyMax by kArenaDirtyFullAt; 4x in use stays under it (ArenaFrontRoom)");
  if (in_use >= kArenaDirtyFullAt) return in_use > kArenaDirtyMax ? in_use : kArenaDirtyMax;
  const size_t square = in_use * in_use / kArenaDirtySquareUnit, linear = kArenaDirtyPerLive * in_use;
  const size_t cap = square > linear ? square : linear;
  return cap < kArenaDirtyMax ? cap : kArenaDirtyMax;
}

struct ArenaPurge {
  uintptr_t addr[kArenaPurgeMax];
  size_t bytes[kArenaPurgeMax];
  int n = 0;
};

// A run of `bytes` (a granule multiple, <= kArenaChunkMax) from the arenas there are, granule
// aligned, or nullptr (none can hold it). *fresh: every page of it is zero.
void* ArenaAlloc(size_t bytes, bool* fresh);
// A new arena, in three steps because mapping one takes the ownership map's lock, which fork()
// takes before the caller's (fork.cc): under the lock ArenaRoomForAnother; without it
// ArenaReserve (mmap and map bytes; nullptr, errno untouched, when the OS refuses); under it
// again ArenaAdopt (false when others filled the last slot meanwhile: ArenaUnreserve it,
// without the lock).
bool ArenaRoomForAnother();
void* ArenaReserve();
void ArenaUnreserve(void* base);
bool ArenaAdopt(void* base);
// chunk came from ArenaAlloc (or ArenaResize) with `bytes`. cached: the bytes of arena chunks the
// caller holds in a cache of its own (mid_large.h's exact-size front), live here but not in use.
void ArenaFree(void* chunk, size_t bytes, size_t cached, ArenaPurge* purge);
// Resizes in place: a growth takes the granules after the chunk when they are all free (false,
// nothing changed, when not); a shrink frees the tail. purge == nullptr: no purge now (the next
// free checks).
bool ArenaResize(void* chunk, size_t old_bytes, size_t new_bytes, size_t cached, ArenaPurge* purge);
// The most bytes of arena chunks the caller may hold cached (the `cached` it passes) without
// leaving dirty bytes over the cap (no limit with none dirty), the live and dirty bytes being what
// they are. A take only raises the bound and a purge too, so it holds until the next ArenaFree
// or shrinking ArenaResize.
size_t ArenaFrontRoom();
// The purge rule checked again with no chunk freed: after an ArenaPurge came back full.
void ArenaTrim(size_t cached, ArenaPurge* purge);
// Outside the lock: gives the purged runs' pages back to the OS (they read as zero after).
void ArenaDiscard(const ArenaPurge& purge);
// Under the lock again: the discarded runs are free and clean.
void ArenaPurgeDone(const ArenaPurge& purge);

struct ArenaCounters {
  uint64_t arenas, live_bytes, dirty_bytes;
};
ArenaCounters ArenaGetCounters();

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_CHUNK_ARENA_H_
