// size_classes_test.cc — test of layer 0: tiny and pool class boundaries, tier bounds, header
// bytes, the pool block-start test (pool.h). Rebuilt under every config (//allocator:x2_mid__...).
#include "allocator/pool.h"
#include "allocator/size_classes.h"
#include "allocator/tiny.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

namespace hak {
namespace {

TEST(SizeClasses, TinyClassOfEveryBoundary) {
  EXPECT_EQ(TinyClassOf(0), 0);
  EXPECT_EQ(TinyClassOf(1), 0);
  EXPECT_EQ(TinyClassOf(7), 0);
  EXPECT_EQ(TinyClassOf(8), 1);
  EXPECT_EQ(TinyClassOf(15), 1);
  EXPECT_EQ(TinyClassOf(16), 2);
  EXPECT_EQ(TinyClassOf(511), 6);
  EXPECT_EQ(TinyClassOf(512), 7);
  EXPECT_EQ(TinyClassOf(1023), 7);
}

TEST(SizeClasses, EveryTinySizeGetsTheSmallestClassThatFits) {
  for (size_t n = 0; n <= kTinyMaxSize; ++n) {
    const int c = TinyClassOf(n);
    ASSERT_GE(kClasses[c].usable, n) << n;
    if (c > 0) {
      ASSERT_LT(kClasses[c - 1].usable, n) << n;
    }
  }
}

TEST(SizeClasses, TiersAtTheirEdges) {
  EXPECT_EQ(kTinyMaxSize, HAKMEM_C7_HEADER ? 1023u : 1024u);
  EXPECT_EQ(kPoolMaxSize, 52u * 1024);  // the tier bounds
  EXPECT_EQ(kMidMaxSize, size_t{2} << 20);
}

TEST(SizeClasses, PoolClassOf) {
  EXPECT_EQ(PoolClassOf(kTinyMaxSize + 1), kFirstPoolClass);
  if constexpr (kMidFastPath) {
    EXPECT_EQ(kNumPoolClasses, 24);
    EXPECT_EQ(PoolClassOf(1024), kFirstPoolClass);
    EXPECT_EQ(PoolClassOf(1025), kFirstPoolClass + 1);  // 1280
    EXPECT_EQ(PoolClassOf(2048), kFirstPoolClass + 4);
    EXPECT_EQ(PoolClassOf(2049), kFirstPoolClass + 5);  // 2560
    EXPECT_EQ(PoolClassOf(32 * 1024 + 1), kFirstPoolClass + 21);  // 40 KiB
    EXPECT_EQ(PoolClassOf(52 * 1024), kNumClasses - 1);
  } else {
    EXPECT_EQ(kNumPoolClasses, 7);
    EXPECT_EQ(PoolClassOf(2048), kFirstPoolClass);
    EXPECT_EQ(PoolClassOf(2049), kFirstPoolClass + 1);
    EXPECT_EQ(PoolClassOf(40 * 1024 + 1), kFirstPoolClass + 6);
    EXPECT_EQ(PoolClassOf(52 * 1024), kFirstPoolClass + 6);
  }
  // Every pool size: the smallest class that fits.
  for (size_t n = kTinyMaxSize + 1; n <= kPoolMaxSize; ++n) {
    const int c = PoolClassOf(n);
    ASSERT_GE(c, kFirstPoolClass);
    ASSERT_LT(c, kNumClasses);
    ASSERT_GE(kClasses[c].usable, n);
    if (c > kFirstPoolClass) {
      ASSERT_LT(kClasses[c - 1].usable, n);
    }
  }
}

// mid_fast_path=on: no request of the pool tier gets a block more than 25% larger than itself
// (the seeds' classes waste up to 50%: 2049 -> 4096). The 16-byte prefix comes on top (<= 27%).
TEST(SizeClasses, PoolSpacingWastesAtMostAQuarter) {
  double worst = 0, worst_footprint = 0;
  for (size_t n = kTinyMaxSize + 1; n <= kPoolMaxSize; ++n) {
    const ClassInfo& ci = kClasses[PoolClassOf(n)];
    worst = std::max(worst, double(ci.usable - n) / double(n));
    worst_footprint = std::max(worst_footprint, double(ci.stride - n) / double(n));
  }
  if constexpr (kMidFastPath) {
    EXPECT_LE(worst, 0.25);
    EXPECT_GT(worst, 0.24);  // 1025 -> 1280: the spacing is really four per power of two
    EXPECT_LE(worst_footprint, 0.27);
  } else {
    EXPECT_GT(worst, 0.49);  // the seeds' spacing, unchanged
  }
}

// mid_fast_path=on: capacity and batch by block bytes: about kPoolCacheBytes per class, fewer
// blocks for bigger classes, 4..64 blocks, batch = half the capacity.
TEST(SizeClasses, PoolCapacityAndBatchBySize) {
  if constexpr (!kMidFastPath) GTEST_SKIP() << "the seeds' pool caps (16, 8, 4)";
  for (int c = kFirstPoolClass; c < kNumClasses; ++c) {
    const ClassInfo& ci = kClasses[c];
    EXPECT_GE(ci.cap, 4) << c;
    EXPECT_LE(ci.cap, 64) << c;
    EXPECT_EQ(ci.batch, ci.cap / 2) << c;
    EXPECT_TRUE(ci.cap == 4 || ci.cap == 64 || uint64_t(ci.cap) * ci.usable <= kPoolCacheBytes) << c;
    if (c > kFirstPoolClass) {
      EXPECT_LE(ci.cap, kClasses[c - 1].cap) << c;
    }
  }
  EXPECT_EQ(kClasses[kFirstPoolClass].cap, 64);   // 1 KiB
  EXPECT_EQ(kClasses[kNumClasses - 1].cap, 4);    // 52 KiB
  EXPECT_EQ(kClasses[PoolClassOf(8192)].cap, 24);  // 192 KiB / 8 KiB
  EXPECT_EQ(kClasses[PoolClassOf(8192)].batch, 12);
  EXPECT_EQ(kClasses[PoolClassOf(32768)].cap, 6);
}

// PoolIsBlockStart (the free fast path's test, a multiply and a rotate) agrees with the plain
// division at every byte offset of a pool SuperSlab, for every pool class.
TEST(SizeClasses, PoolIsBlockStartIsExactDivision) {
  const uintptr_t base = uintptr_t{0x7f1200000000};  // any 2 MiB aligned address: no memory read
  for (int p = 0; p < kNumPoolClasses; ++p) {
    const ClassInfo& ci = kClasses[kFirstPoolClass + p];
    const uint32_t cap = PoolSlabCapacity(p);
    ASSERT_GT(cap, 0u);
    ASSERT_LE(kPoolFirstBlock + (cap - 1) * uint64_t(ci.stride) + ci.usable, kPoolSlabSize);
    ASSERT_GT(kPoolFirstBlock + cap * uint64_t(ci.stride) + ci.usable, kPoolSlabSize);  // no slot left out
    uint32_t starts = 0;
    for (uint32_t off = 0; off < kPoolSlabSize; ++off) {
      const bool want = off >= kPoolFirstBlock && (off - kPoolFirstBlock) % ci.stride == 0 &&
                        (off - kPoolFirstBlock) / ci.stride < cap;
      const bool got = PoolIsBlockStart(base + off, p);
      if (got != want) FAIL() << "pool class " << p << " offset " << off << ": " << got;
      starts += got;
    }
    EXPECT_EQ(starts, cap) << p;
  }
}

TEST(SizeClasses, HeaderEncodeDecode) {
  for (int c = 0; c < kNumClasses; ++c) {
    const uint8_t h = kClasses[c].header;
    EXPECT_EQ(ClassOfHeader(h), c);
    EXPECT_EQ(IsTinyHeader(h), c < kNumTinyClasses);
    EXPECT_EQ(IsPoolHeader(h), c >= kFirstPoolClass);
  }
  // Bytes that are not headers: the AllocHeader and AlignHeader tags, 0xA8..0xAF, the bytes just
  // past the pool's, 0xFF.
  for (int b : {0x00, 0x01, 0xA8, 0xAF, int(kPoolTag) - 1, int(kPoolTag) + kNumPoolClasses, 0xBF,
                int(kChunkTag), int(kAlignTag), 0xFF}) {
    EXPECT_EQ(ClassOfHeader(uint8_t(b)), -1) << b;
  }
  int pool_bytes = 0;
  for (int b = 0; b < 256; ++b) pool_bytes += IsPoolHeader(uint8_t(b));
  EXPECT_EQ(pool_bytes, kNumPoolClasses);
  EXPECT_NE(kChunkTag & kTagMask, kTinyTag);
  EXPECT_NE(kChunkTag & kTagMask, kPoolTag);
}

TEST(SizeClasses, LayoutKeepsSixteenByteAlignment) {
  for (int c = 0; c < kNumClasses; ++c) {
    const ClassInfo& ci = kClasses[c];
    if (ci.usable >= 16) {
      EXPECT_EQ(ci.stride % 16, 0u) << c;
      EXPECT_EQ(ci.user_offset % 16, 0u) << c;
    }
    EXPECT_GE(ci.stride, ci.usable + (ci.has_header && c < kNumTinyClasses ? 1u : 0u));
    EXPECT_GT(ci.batch, 0);
    EXPECT_LE(ci.batch, ci.cap);
  }
}

}  // namespace
}  // namespace hak
