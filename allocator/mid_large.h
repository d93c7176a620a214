// mid_large.h — layer 3: requests above the pool tier. Each block is a chunk of whole 64 KiB
// granules from mmap, with a 16-byte AllocHeader before the user pointer (whose last byte is
// kChunkTag). Mid (<= 2 MiB) chunks are kept in a bounded cache for reuse (exact granule count,
// 32 MiB). Large chunks go straight back to the OS with munmap, unless large_cache=on (below).
// chunk_arena=on (x5_arena) carves chunks up to kArenaChunkMax from arenas instead of mapping
// each one (policy in chunk_arena.h): a Mid malloc that the exact-size lists (the front, 32 MiB)
// miss shrinks a bigger chunk of theirs or takes the arena's lowest free run, a Large malloc
// takes that run (the front's chunks go back to the arena first when they hold as many bytes),
// a free the front refuses returns the run, and realloc grows or shrinks an arena chunk in place
// (when the granules after it are free) or copies; only chunks above kArenaChunkMax, or when
// every arena is full, are mapped on their own and go through the Large cache below.
//
// The Large cache (large_cache=on, state x3_large; beyond the seeds). Policy:
//  - What: a freed Large chunk (> 2 MiB requested) of at most kLargeCacheMaxBytes stays mapped,
//    its pages resident and unchanged, in a cache of at most kLargeCacheMaxCount chunks. Mid
//    chunks keep the Mid cache (exact granule count, 32 MiB): routing Mid chunks above 256 KiB
//    through the Large cache (the first x3_large) emptied them at every "free everything" and
//    cost mem_liveset x0.916 against e3_safe.
//  - Byte cap: the cached bytes never exceed min(kLargeCacheMaxBytes, the bytes of the Large
//    chunks in use). So the cache can at most double the Large footprint, and a program that
//    frees all its Large blocks gets every cached byte back to the OS at that last free (RSS
//    after free is what it is without the cache). Over a cap, the oldest entries go first.
//  - Decay: every Large malloc and free ticks a clock; an entry not reused within
//    kLargeCacheDecayOps ticks is unmapped (checked at each tick, no thread, no timer: a
//    program that stops allocating Large blocks keeps at most the capped bytes).
//  - Reuse: a Large malloc takes the cached chunk closest in size. Within slack (its size is
//    need .. need + need/4) it is used as it is; larger, it is shrunk in place with mremap (the
//    tail's pages go back to the OS); smaller, it is grown with mremap (in place when the
//    address space after it is free, else moved onto a fresh 64 KiB-aligned reservation: page
//    tables move, no bytes are copied), so its resident pages are kept and only the rest faults.
//    No madvise(MADV_DONTNEED) on cached chunks: a discarded chunk faults every page again on
//    reuse, and page faults, not mmap/munmap, are the cost of a fresh Large block.
//  - realloc: ChunkRealloc resizes a Mid or Large chunk with the same mremap steps instead of
//    malloc + memcpy + free (large_cache=off keeps the copy).
// Everything is under the one chunk lock (taken around fork(), fork.cc); munmap and mremap run
// outside it, and the per-thread Mid cache below needs no lock.
//
// The per-thread Mid cache (mid_thread_cache=on, state x7_mid_tcache; beyond the seeds). Policy:
//  - What: a thread's free of a chunk of at most kMidThreadMaxGranules granules (1 MiB, so
//    requests up to 1 MiB - 16; bigger ones, of which the cache could hold one, cost size_sweep
//    1 MiB 613 -> 706 instructions an op in flushes and paid nothing back) goes onto that
//    thread's own LIFO stack for its granule count (at most kMidThreadDepth, 8, chunks); the
//    thread's next Mid malloc of that granule count pops it. Neither side takes the chunk lock
//    (whose CAS and exchange were most of a 30 ns Mid malloc/free pair).
//  - Caps: after a free the cache holds at most kMidThreadCacheBytes (2 MiB), and no more than
//    the bytes of such chunks the thread still has in use (what it malloc'd minus what it freed)
//    or, when that is below kMidThreadCacheFloor (512 KiB), than the floor and the bytes in use
//    before the free. So a malloc/free loop of one chunk of up to 512 KiB reuses it, a thread
//    that frees what others malloc caches nothing, and a program that frees everything keeps at
//    most 512 KiB here. A free over the caps sends the whole cache to the shared lists, each
//    list's oldest chunk first so the shared list's top is the most recently freed (reuse stays
//    LIFO), then caches the chunk if it alone fits.
//  - Miss: a Mid malloc the thread's list cannot serve sends the cache's other chunks to the
//    shared lists first (there a miss can shrink a bigger one and the arena join neighbours).
//  - Return: every chunk goes to the shared lists at thread exit (a pthread key registered at the
//    thread's first cached free) and at hak_flush_thread_cache. A thread that stops allocating
//    keeps up to 2 MiB resident until then (gperftools' tcmalloc lets one thread cache hold 4 MiB,
//    32 MiB over all threads); after fork() the child has only the forking thread's cache.
//  - Counters: a chunk in a thread's cache is out of the shared lists; ChunkGetCounters counts
//    the calling thread's cached chunks as cached and other threads' as live.
#ifndef HAKMEM_ALLOCATOR_MID_LARGE_H_
#define HAKMEM_ALLOCATOR_MID_LARGE_H_

#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"

namespace hak {

struct AllocHeader {
  uint64_t chunk_bytes;  // whole chunk, header included, a multiple of 64 KiB
  uint32_t magic;
  uint8_t in_arena;  // chunk_arena=on: carved from an arena (chunk_arena.h), else its own mapping
  uint8_t reserved;
  uint8_t is_large;
  uint8_t tag;  // kChunkTag: the byte at ptr-1
};
static_assert(sizeof(AllocHeader) == kAllocHeaderSize, "AllocHeader is 16 bytes");
inline constexpr uint32_t kChunkMagic = 0x4d494443;  // "CDIM"

// n > kPoolMaxSize, or a growing pool block hak_realloc moves to a chunk (n > kPoolMaxSize / 2).
// *fresh is set when the memory comes zeroed from the OS.
void* ChunkAlloc(size_t n, bool* fresh);
// p must carry a valid AllocHeader (see ChunkHeaderValid).
void ChunkFree(void* p);
// Inline: a free's classifier tests the alignment and tag too, and the compiler drops the
// repeats (a Mid free called it: 14 instructions of a 156-instruction malloc/free pair).
inline bool ChunkHeaderValid(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & (kGranule - 1)) != kAllocHeaderSize) return false;  // user pointer = chunk + 16
  const AllocHeader* h = reinterpret_cast<const AllocHeader*>(a - kAllocHeaderSize);
  return h->tag == kChunkTag && h->magic == kChunkMagic && h->chunk_bytes != 0 &&
         (h->chunk_bytes & (kGranule - 1)) == 0;
}
// p must carry a valid AllocHeader. Inline: realloc's in-place test reads it (api.cc).
inline size_t ChunkUsable(const void* p) {
  return reinterpret_cast<const AllocHeader*>(reinterpret_cast<uintptr_t>(p) - kAllocHeaderSize)->chunk_bytes -
         kAllocHeaderSize;
}
// A live Mid/Large chunk's user pointer, by the checks the classifier makes for one (FromHeader:
// map byte and header byte both kChunkTag, the user pointer 16 bytes into a granule, so its
// header is in our granule, and a valid AllocHeader) and nothing else. `map`: a's ownership map
// byte. (The slow free's and realloc's first test.)
inline bool IsChunkBlock(uintptr_t a, uint8_t map) {
  return map == kChunkTag && (a & (kGranule - 1)) == kAllocHeaderSize &&
         reinterpret_cast<const uint8_t*>(a)[-1] == kChunkTag && ChunkHeaderValid(reinterpret_cast<const void*>(a));
}
// large_cache=on only: resizes the chunk of p (n > kPoolMaxSize) with mremap, keeping its
// contents. Returns the new user pointer (p or a moved one; p is then invalid), or nullptr with p
// untouched when the kernel refuses (the caller falls back to malloc + copy + free).
void* ChunkRealloc(void* p, size_t n);

// chunk_arena=on keeps the exact-size lists as the front of the arenas (the Mid hit path), with
// the same cap; a freed chunk they cannot take goes back to its arena, whose free pages any size
// reuses, and a Mid miss takes a bigger chunk of theirs before the arena's first fit.
inline constexpr size_t kMidCacheMaxBytes = size_t{32} << 20;
inline constexpr size_t kLargeCacheMaxBytes = size_t{64} << 20;
inline constexpr int kLargeCacheMaxCount = 16;
inline constexpr uint64_t kLargeCacheDecayOps = 256;
inline constexpr size_t kMidThreadMaxGranules = 16;
inline constexpr size_t kMidThreadMaxChunk = kMidThreadMaxGranules * kGranule;  // bytes, header included
inline constexpr size_t kMidThreadCacheBytes = size_t{2} << 20;
inline constexpr size_t kMidThreadCacheFloor = size_t{512} << 10;
inline constexpr uint32_t kMidThreadDepth = 8;  // chunks of one granule count
struct ChunkCounters {
  uint64_t cached_bytes, live_chunks;  // cached_bytes: Mid and Large caches together
  uint64_t large_cached_bytes, large_cached_chunks, large_live_bytes;  // large_cache=on
  uint64_t arenas, arena_live_bytes, arena_dirty_bytes;  // chunk_arena=on (cached_bytes has the dirty)
};
ChunkCounters ChunkGetCounters();
// mid_thread_cache=on: the calling thread's cached Mid chunks go to the shared lists (thread
// exit does the same); a no-op otherwise.
void ChunkFlushThread();
// mid_thread_cache=on: bytes and chunks in the calling thread's Mid cache (tests).
size_t ChunkThreadCachedBytes();
void ChunkLockForFork();
void ChunkUnlockAfterFork(bool child);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_MID_LARGE_H_
