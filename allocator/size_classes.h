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

// ---- Header tags: the byte at ptr-1 ----
inline constexpr uint8_t kTinyTag = 0xA0;   // 0xA0 | class (0..7)
inline constexpr uint8_t kPoolTag = 0xB0;   // 0xB0 | pool class (0..6)
inline constexpr uint8_t kChunkTag = 0xC0;  // last byte of the 16-byte AllocHeader (Mid/Large)
inline constexpr uint8_t kAlignTag = 0xD0;  // last byte of the AlignHeader of an aligned interior pointer
inline constexpr uint8_t kTagMask = 0xF0;
inline constexpr uint8_t kTinyTagMask = 0xF8;  // a valid tiny byte is exactly 0xA0..0xA7

// ---- Classes: 0..7 tiny, 8..14 pool, one table for both tiers ----
inline constexpr int kNumTinyClasses = 8;
inline constexpr int kNumPoolClasses = 7;
inline constexpr int kFirstPoolClass = kNumTinyClasses;
inline constexpr int kNumClasses = kNumTinyClasses + kNumPoolClasses;
inline constexpr uint32_t kPoolSizes[kNumPoolClasses] = {2048,  4096,  8192, 16384,
                                                         32768, 40960, 53248};

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
constexpr ClassInfo MakePool(int p) {
  const uint16_t cap = p <= 1 ? 16 : p <= 3 ? 8 : 4;
  // Pool layout: each block has its own 16-byte prefix whose last byte is the header.
  return ClassInfo{kPoolSizes[p] + 16, kPoolSizes[p], 16, uint8_t(kPoolTag | p), true, cap,
                   uint16_t(cap / 2)};
}

inline constexpr ClassInfo kClasses[kNumClasses] = {
    MakeTiny(0), MakeTiny(1), MakeTiny(2), MakeTiny(3), MakeTiny(4), MakeTiny(5), MakeTiny(6),
    MakeTiny(7), MakePool(0), MakePool(1), MakePool(2), MakePool(3), MakePool(4), MakePool(5),
    MakePool(6)};

inline constexpr size_t kTinyMaxSize = kClasses[kNumTinyClasses - 1].usable;  // 1023 (1024 in Phase 7)
inline constexpr size_t kPoolMaxSize = kPoolSizes[kNumPoolClasses - 1];       // 52 KiB
inline constexpr size_t kMidMaxSize = size_t{2} << 20;                          // 2 MiB
inline constexpr size_t kAllocHeaderSize = 16;

// Pool class of a request; requires kTinyMaxSize < n <= kPoolMaxSize. Returns 8..14.
inline int PoolClassOf(size_t n) {
  int p = 0;
  while (kPoolSizes[p] < n) ++p;
  return kFirstPoolClass + p;
}

// Tiers are told apart by comparing a size with these bounds: n <= kTinyMaxSize is Tiny,
// n <= kPoolMaxSize Pool, n <= kMidMaxSize Mid, anything larger Large. (No TierOf(): the fast
// path needs only the first compare, and the slow path branches on each bound in turn.)

// Header byte <-> class.
constexpr bool IsTinyHeader(uint8_t h) { return (h & kTinyTagMask) == kTinyTag; }
constexpr bool IsPoolHeader(uint8_t h) {
  return (h & kTagMask) == kPoolTag && (h & 0x0F) < kNumPoolClasses;
}
constexpr int ClassOfHeader(uint8_t h) {  // -1 when h is neither a tiny nor a pool header
  return IsTinyHeader(h) ? (h & 0x07) : IsPoolHeader(h) ? kFirstPoolClass + (h & 0x0F) : -1;
}

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_SIZE_CLASSES_H_
