// size_classes.h — layer 0: the size classes of both slab tiers (Tiny C0..C7, Pool P0..P6), the
// tier bounds, the geometry (pages, granules, slabs, SuperSlabs) and the header tags of every tier.
// No dependencies but config.h; all tables are constexpr. Tiny's mechanics are in tiny.h.
#ifndef HAKMEM_ALLOCATOR_SIZE_CLASSES_H_
#define HAKMEM_ALLOCATOR_SIZE_CLASSES_H_

#include <cstddef>
#include <cstdint>

#include "allocator/config.h"

namespace hak {

inline constexpr size_t kPageSize = 4096;
inline constexpr int kGranuleShift = 16;  // ownership map granule = one tiny slab = 64 KiB
inline constexpr size_t kGranule = size_t{1} << kGranuleShift;
inline constexpr int kSuperSlabShift = 21;  // 2 MiB
inline constexpr size_t kSuperSlabSize = size_t{1} << kSuperSlabShift;
inline constexpr int kSlabShift = 16;  // tiny slabs: 64 KiB
inline constexpr size_t kSlabSize = size_t{1} << kSlabShift;
inline constexpr int kSlabsPerSuperSlab = int(kSuperSlabSize / kSlabSize);  // 32
inline constexpr size_t kSuperSlabMetaSize = 4096;  // the SuperSlab header page; slabs start after it

// ---- Header tags: the byte at ptr-1 ----
inline constexpr uint8_t kTinyTag = 0xA0;   // 0xA0 | class (0..7)
// Pool: 0xB0 | pool class (0..6); mid_fast_path=on: 0x40 + pool class (0..23, 0x40..0x57: 24
// classes do not fit a nibble, and 0xB0 + 16 would reach the chunk tag).
inline constexpr uint8_t kPoolTag = kMidFastPath ? 0x40 : 0xB0;
inline constexpr uint8_t kChunkTag = 0xC0;  // last byte of the 16-byte AllocHeader (Mid/Large)
inline constexpr uint8_t kAlignTag = 0xD0;  // last byte of the AlignHeader of an aligned interior pointer
inline constexpr uint8_t kTagMask = 0xF0;

// ---- Classes: 0..7 tiny, then the pool (8..14; mid_fast_path=on 8..31), one table for both tiers ----
inline constexpr int kNumTinyClasses = 8;
// The seeds' pool: 7 classes, 2..52 KiB (a 2049-byte request takes a 4 KiB block: 50% waste).
inline constexpr uint32_t kPoolSizesSeeds[] = {2048, 4096, 8192, 16384, 32768, 40960, 53248};
// mid_fast_path=on: four classes per power of two from 1 KiB (1.25, 1.5, 1.75, 2 x 2^k), so a
// request n takes a block of at most 1.25 n (the worst case is n = 2^k + 1); the last class is
// capped at the pool's upper bound, 52 KiB. Every size is a multiple of 256 (PoolClassOf's table).
inline constexpr uint32_t kPoolSizesMid[] = {1024,  1280,  1536,  1792,  2048,  2560,  3072,  3584,
                                             4096,  5120,  6144,  7168,  8192,  10240, 12288, 14336,
                                             16384, 20480, 24576, 28672, 32768, 40960, 49152, 53248};
// Pool slabs. The seeds' pool SuperSlab is one slab of one class (2 MiB). mid_fast_path=on cuts a
// pool SuperSlab into 8 slabs of 256 KiB, each of its own class, whose slots all start 4 KiB into
// the slab (slab 0's first page is the SuperSlab header; the others leave theirs untouched), so
// every pool slab has one geometry and the free fast path's slot test one mask. With 24 classes,
// a thread's current slabs keep 24 x 256 KiB resident, not 24 x 2 MiB (x2_mid's first build: RSS
// after free 12.5 -> 47.7 MiB on mem_thread_churn). A released slab's pages are discarded unless
// fewer than 8 free slabs keep theirs (superslab.cc): discarding every one cost medium_mixed
// ws=128 x0.85 and mem_prodcons_long x0.72 in page faults (gate --quick, x3_spill -> x3_spill_mid).
inline constexpr int kPoolSlabShift = kMidFastPath ? 18 : kSuperSlabShift;
inline constexpr size_t kPoolSlabSize = size_t{1} << kPoolSlabShift;
inline constexpr int kPoolSlabsPerSuperSlab = int(kSuperSlabSize / kPoolSlabSize);  // 8, or 1
inline constexpr int kNumPoolClasses =
    kMidFastPath ? int(sizeof kPoolSizesMid / sizeof kPoolSizesMid[0]) : int(sizeof kPoolSizesSeeds / sizeof kPoolSizesSeeds[0]);
inline constexpr const uint32_t* kPoolSizes = kMidFastPath ? kPoolSizesMid : kPoolSizesSeeds;
inline constexpr int kFirstPoolClass = kNumTinyClasses;
inline constexpr int kNumClasses = kNumTinyClasses + kNumPoolClasses;

struct ClassInfo {
  uint32_t stride;       // distance between two blocks of the slab
  uint32_t usable;       // bytes the user may write
  uint32_t user_offset;  // first user pointer = slab start + user_offset
  uint8_t header;        // header byte (and ownership-map byte) of the class
  bool has_header;       // false only for Phase 7's headerless C7
  uint16_t cap;          // thread-cache capacity (blocks)
  uint16_t batch;        // refill/spill batch (blocks)
};

constexpr ClassInfo MakeTiny(int c) {
  const uint32_t block = 8u << c;
  const bool headerless = (c == 7 && !HAKMEM_C7_HEADER);
  const uint16_t cap = c <= 3 ? 256 : c <= 5 ? 128 : 64;
  // Tiny layout: the header of block i is the LAST byte of slot i-1 (slot 0's header sits in the
  // 16 bytes before it), so user pointers stay 16-aligned and usable = block - 1.
  return ClassInfo{block, headerless ? block : block - 1, headerless ? 0u : 16u,
                   uint8_t(kTinyTag | c), !headerless, cap, uint16_t(cap / 4)};
}
// mid_fast_path=on: a pool class's thread cache holds about kPoolCacheBytes (4..64 blocks), and a
// refill or spill moves half of that: fewer blocks for big classes (1..3 KiB: 64/32, 8 KiB: 24/12,
// 32 KiB: 6/3, 48 and 52 KiB: 4/2). 192 KiB, measured on medium_mixed (1025..32768 B; 3 runs each,
// x5_arena_mid, 2026-12-02): the 24 lists' blocks pin their slabs' pages after the last free, and
// ws 2048 (5e5 cycles) kept 16.45 MiB after free at 256 KiB, 15.03 at 192, 12.16 at 128, against
// x5_arena's 14.93 (the PR gate failed 256 KiB on it, +10%); ops/s at ws 2048 2M cycles: 31.5M at
// 256, 30.9M at 192, 25.1M at 128 (each refill and spill walks its blocks' links, a miss each).
inline constexpr uint32_t kPoolCacheBytes = 192 * 1024;
constexpr uint16_t MidPoolCap(uint32_t size) {
  const uint32_t c = kPoolCacheBytes / size;
  return uint16_t(c < 4 ? 4 : c > 64 ? 64 : c);
}
constexpr ClassInfo MakePool(int p) {
  const uint16_t cap = kMidFastPath ? MidPoolCap(kPoolSizes[p]) : p <= 1 ? 16 : p <= 3 ? 8 : 4;
  // Pool layout: each block has its own 16-byte prefix whose last byte is the header.
  return ClassInfo{kPoolSizes[p] + 16, kPoolSizes[p], 16, uint8_t(kPoolTag + p), true, cap,
                   uint16_t(cap / 2)};
}

struct ClassTable {
  ClassInfo c[kNumClasses];
  constexpr const ClassInfo& operator[](int i) const { return c[i]; }
};
constexpr ClassTable MakeClassTable() {
  ClassTable t{};
  for (int i = 0; i < kNumClasses; ++i) t.c[i] = i < kNumTinyClasses ? MakeTiny(i) : MakePool(i - kNumTinyClasses);
  return t;
}
inline constexpr ClassTable kClasses = MakeClassTable();
static_assert(sizeof(ClassInfo) == 20, "ClassInfo: 3 x u32, u8, bool, 2 x u16");

inline constexpr size_t kTinyMaxSize = kClasses[kNumTinyClasses - 1].usable;  // 1023 (1024 in Phase 7)
inline constexpr size_t kPoolMaxSize = kPoolSizes[kNumPoolClasses - 1];       // 52 KiB
inline constexpr size_t kMidMaxSize = size_t{2} << 20;                          // 2 MiB
inline constexpr size_t kAllocHeaderSize = 16;

// mid_fast_path=on: pool class by (n - 1) >> 8 (every class size is a multiple of 256), one
// byte-table load like Tiny's (208 entries).
struct PoolClassTable {
  uint8_t by_256[kPoolSizesMid[sizeof kPoolSizesMid / sizeof kPoolSizesMid[0] - 1] / 256];
};
constexpr PoolClassTable MakePoolClassTable() {
  PoolClassTable t{};
  for (uint32_t i = 0; i < sizeof t.by_256; ++i) {
    int p = 0;
    while (kPoolSizesMid[p] < (i + 1) * 256) ++p;
    t.by_256[i] = uint8_t(p);
  }
  return t;
}
inline constexpr PoolClassTable kPoolClassTable = MakePoolClassTable();
constexpr bool PoolSizesMidAre256Multiples() {
  for (uint32_t s : kPoolSizesMid) {
    if (s % 256 != 0) return false;
  }
  return true;
}
static_assert(PoolSizesMidAre256Multiples(), "PoolClassOf's table indexes by 256-byte steps");

// Pool class of a request; requires kTinyMaxSize < n <= kPoolMaxSize. Returns
// kFirstPoolClass .. kNumClasses - 1.
HAK_FAST_PATH int PoolClassOf(size_t n) {
  if constexpr (kMidFastPath) {
    return kFirstPoolClass + kPoolClassTable.by_256[(n - 1) >> 8];
  } else {
    int p = 0;
    while (kPoolSizes[p] < n) ++p;
    return kFirstPoolClass + p;
  }
}

// Tiers are told apart by comparing a size with these bounds: n <= kTinyMaxSize is Tiny,
// n <= kPoolMaxSize Pool, n <= kMidMaxSize Mid, anything larger Large. (No TierOf(): the fast
// path needs only the first compare, and the slow path branches on each bound in turn.)

// Header byte <-> class.
// A valid tiny byte is exactly kTinyTag + class: h - kTinyTag is the class when it is below
// kNumTinyClasses (one subtract and compare, which leaves the class in a register for the free
// fast path), and any other byte lands at or above it.
constexpr uint8_t TinyHeaderIndex(uint8_t h) { return uint8_t(h - kTinyTag); }
constexpr bool IsTinyHeader(uint8_t h) { return TinyHeaderIndex(h) < kNumTinyClasses; }
constexpr bool IsPoolHeader(uint8_t h) { return uint8_t(h - kPoolTag) < kNumPoolClasses; }
constexpr int ClassOfHeader(uint8_t h) {  // -1 when h is neither a tiny nor a pool header
  return IsTinyHeader(h) ? int(TinyHeaderIndex(h)) : IsPoolHeader(h) ? kFirstPoolClass + uint8_t(h - kPoolTag) : -1;
}
// No pool header byte is a tiny one, a chunk/align tag or the map's "ours, free" byte (0x01).
constexpr bool PoolHeadersAreDistinct() {
  for (int p = 0; p < kNumPoolClasses; ++p) {
    const uint8_t h = uint8_t(kPoolTag + p);
    if (IsTinyHeader(h) || h == kChunkTag || h == kAlignTag || h <= 0x01) return false;
  }
  return true;
}
static_assert(PoolHeadersAreDistinct(), "pool header bytes must not collide with any other tag");

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_SIZE_CLASSES_H_
