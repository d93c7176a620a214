// pool.h — layer 0: the pool tier's block-start test, the one piece of pool geometry the free
// fast path needs (mid_fast_path=on; the slow path's general form is SlabIsBlockStart).
//
// A pool slab (the whole SuperSlab in the seeds' pool; 256 KiB under mid_fast_path=on,
// size_classes.h) is one class: slot i's user pointer is
//   base + kPoolFirstBlock + i * stride      (base = kPoolSlabSize aligned, stride = size + 16)
// and its header byte (kPoolTag + class) is the last byte of its own 16-byte prefix, written
// once when the slot is carved. Every pool stride is 16 times an odd number, so "is `a` a slot
// start?" is an exact-division test without a division: with inverse = d^-1 mod 2^32 (d the odd
// part), q = rotr32(off * inverse, 4) equals off / stride when stride divides off and exceeds
// (2^32 - 1) / stride otherwise; so q < capacity holds exactly for the user pointers of the
// slab's slots (an `off` below 0 wraps to a multiple too large to pass). Slots never carved have
// a zero header byte (fresh or MADV_DONTNEED'd pages), so the header compare refuses them first;
// under mid_fast_path=on a reused slab may have kept its pages (superslab.cc, kPoolKeptMax), so a
// stale pointer into a slot not carved again can pass, as on a reused tiny slab (whose pages are
// never discarded either): the test refuses interior and foreign pointers, not every stale one.
#ifndef HAKMEM_ALLOCATOR_POOL_H_
#define HAKMEM_ALLOCATOR_POOL_H_

#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"

namespace hak {

inline constexpr uint32_t kPoolFirstBlock = uint32_t(kSuperSlabMetaSize) + 16;  // slot 0's user pointer
inline constexpr int kPoolStrideShift = 4;  // every pool stride is 16 * odd

struct PoolStrideTest {
  uint32_t inverse;   // (stride >> 4)^-1 mod 2^32
  uint32_t capacity;  // slots of the class's slab (as superslab.cc's InitSlab computes it)
};
static_assert(sizeof(PoolStrideTest) == 8, "two u32 per class: one 8-byte load apart");

constexpr uint32_t InverseMod32(uint32_t d) {  // d odd; Newton: each step doubles the good bits
  uint32_t x = d;
  for (int i = 0; i < 5; ++i) x *= 2 - d * x;
  return x;
}
// Slots of a pool slab of pool class p: region [kSuperSlabMetaSize, kPoolSlabSize) of the slab,
// 16-byte user offset, the last slot's usable bytes inside the region.
constexpr uint32_t PoolSlabCapacity(int p) {
  const ClassInfo& ci = kClasses[kFirstPoolClass + p];
  return uint32_t((kPoolSlabSize - kSuperSlabMetaSize - ci.user_offset - ci.usable) / ci.stride + 1);
}
struct PoolStrideTable {
  PoolStrideTest t[kNumPoolClasses];
};
constexpr PoolStrideTable MakePoolStrideTable() {
  PoolStrideTable r{};
  for (int p = 0; p < kNumPoolClasses; ++p) {
    r.t[p] = {InverseMod32(kClasses[kFirstPoolClass + p].stride >> kPoolStrideShift), PoolSlabCapacity(p)};
  }
  return r;
}
inline constexpr PoolStrideTable kPoolStrideTable = MakePoolStrideTable();

constexpr bool PoolStridesAre16TimesOdd() {
  for (int p = 0; p < kNumPoolClasses; ++p) {
    const ClassInfo& ci = kClasses[kFirstPoolClass + p];
    if (ci.user_offset != 16 || (ci.stride & 31) != 16 || ci.stride * InverseMod32(ci.stride >> 4) != 16) return false;
  }
  return true;
}
static_assert(PoolStridesAre16TimesOdd(), "PoolIsBlockStart assumes offset 16 and stride 16 * odd");

// Is `a`, an address in a pool slab of pool class p (0-based), a slot's user pointer?
HAK_FAST_PATH bool PoolIsBlockStart(uintptr_t a, int p) {
  const uint32_t off = uint32_t(a & (kPoolSlabSize - 1)) - kPoolFirstBlock;
  const uint32_t x = off * kPoolStrideTable.t[p].inverse;
  const uint32_t q = (x >> kPoolStrideShift) | (x << (32 - kPoolStrideShift));  // rotr32
  return q < kPoolStrideTable.t[p].capacity;
}

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_POOL_H_
