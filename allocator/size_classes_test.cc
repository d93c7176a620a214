// size_classes_test.cc — test of layer 0: tiny and pool class boundaries, tier bounds, header bytes.
#include "allocator/size_classes.h"
#include "allocator/tiny.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(PoolClassOf(2048), kFirstPoolClass);
  EXPECT_EQ(PoolClassOf(2049), kFirstPoolClass + 1);
  EXPECT_EQ(PoolClassOf(40 * 1024 + 1), kFirstPoolClass + 6);
  EXPECT_EQ(PoolClassOf(52 * 1024), kFirstPoolClass + 6);
  for (size_t n = kTinyMaxSize + 1; n <= kPoolMaxSize; n += 97) {
    const int c = PoolClassOf(n);
    ASSERT_GE(kClasses[c].usable, n);
    if (c > kFirstPoolClass) {
      ASSERT_LT(kClasses[c - 1].usable, n);
    }
  }
}

TEST(SizeClasses, HeaderEncodeDecode) {
  for (int c = 0; c < kNumClasses; ++c) {
    const uint8_t h = kClasses[c].header;
    EXPECT_EQ(ClassOfHeader(h), c);
    EXPECT_EQ(IsTinyHeader(h), c < kNumTinyClasses);
    EXPECT_EQ(IsPoolHeader(h), c >= kFirstPoolClass);
  }
  // Bytes that are not headers: the AllocHeader and AlignHeader tags, 0xA8..0xAF, 0xB7..0xBF.
  for (int b : {0x00, 0x01, 0xA8, 0xAF, 0xB7, 0xBF, int(kChunkTag), int(kAlignTag), 0xFF}) {
    EXPECT_EQ(ClassOfHeader(uint8_t(b)), -1) << b;
  }
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
