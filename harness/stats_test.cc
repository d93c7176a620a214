#include "harness/stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lab {
namespace {

TEST(Stats, MedianOddEvenEmpty) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(Median({})));
}

TEST(Stats, MadOfAKnownSample) {
  // |x - 5| = 4 3 0 1 5 -> median 3
  EXPECT_EQ(Mad({1, 2, 5, 6, 10}), 3);
}

TEST(Stats, BootstrapIntervalBracketsTheMedianAndIsDeterministic) {
  const std::vector<double> v = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  const auto ci = BootstrapMedianCi(v);
  EXPECT_LE(ci.first, 15);
  EXPECT_GE(ci.second, 15);
  EXPECT_GE(ci.first, 10);
  EXPECT_LE(ci.second, 20);
  EXPECT_LT(ci.second - ci.first, 10);  // narrower than the range
  EXPECT_EQ(BootstrapMedianCi(v), ci);  // same seed, same interval
}

TEST(Stats, BootstrapOfAConstantSampleIsAPoint) {
  const auto ci = BootstrapMedianCi({7, 7, 7, 7, 7});
  EXPECT_EQ(ci.first, 7);
  EXPECT_EQ(ci.second, 7);
}

}  // namespace
}  // namespace lab
