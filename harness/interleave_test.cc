#include "harness/interleave.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace lab {
namespace {

const std::vector<std::string> kVariants = {"e3", "e2", "system"};

TEST(Interleave, EveryRoundRunsEveryVariantOnce) {
  std::mt19937_64 rng(1);
  for (int r = 0; r < 50; ++r) {
    auto round = ShuffledRound(kVariants, rng);
    std::sort(round.begin(), round.end());
    auto want = kVariants;
    std::sort(want.begin(), want.end());
    ASSERT_EQ(round, want);
  }
}

TEST(Interleave, OrdersVaryAndEachVariantTakesEveryPosition) {
  std::mt19937_64 rng(1);
  std::set<std::vector<std::string>> orders;
  std::map<std::string, std::set<size_t>> positions;
  for (int r = 0; r < 30; ++r) {
    const auto round = ShuffledRound(kVariants, rng);
    orders.insert(round);
    for (size_t i = 0; i < round.size(); ++i) positions[round[i]].insert(i);
  }
  EXPECT_GE(orders.size(), 4u);  // not the same order every round (6 possible)
  for (const auto& v : kVariants) EXPECT_EQ(positions[v].size(), 3u) << v << " never ran in some position";
}

TEST(Interleave, DeterministicForASeed) {
  std::mt19937_64 a(7), b(7);
  for (int r = 0; r < 10; ++r) EXPECT_EQ(ShuffledRound(kVariants, a), ShuffledRound(kVariants, b));
}

}  // namespace
}  // namespace lab
