#include "ci/compare.h"

#include <algorithm>

#include "harness/csv.h"
#include "harness/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace gate {
namespace {

TEST(MannWhitney, ExactTailForSeparatedSamples) {
  // U = 0 with 5 vs 5: 1 ordering of C(10,5) = 252, two-sided -> 2/252.
  EXPECT_NEAR(MannWhitneyP({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  EXPECT_NEAR(MannWhitneyP({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}), 2.0 / 252, 1e-12);
  // 3 vs 3 fully separated: 2/20.
  EXPECT_NEAR(MannWhitneyP({1, 2, 3}, {4, 5, 6}), 0.1, 1e-12);
}

TEST(MannWhitney, InterleavedSamplesAreNotSignificant) {
  EXPECT_GT(MannWhitneyP({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10}), 0.5);
  EXPECT_EQ(MannWhitneyP({5, 5, 5}, {5, 5, 5}), 1.0);
  EXPECT_EQ(MannWhitneyP({}, {1, 2}), 1.0);
}

TEST(MannWhitney, KnownValueWithOneOverlap) {
  // a = {1,2,3,4,6}, b = {5,7,8,9,10}: U = 1, P(U <= 1) = 2/252, two-sided 4/252.
  EXPECT_NEAR(MannWhitneyP({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10}), 4.0 / 252, 1e-12);
}

TEST(MannWhitney, TiesAreExactForSmallSamples) {
  // RSS readings repeat: 5 vs 5 that never overlap is still 2/252 with ties inside each side
  // (the normal approximation said 0.0124, so such a memory regression was never significant).
  EXPECT_NEAR(MannWhitneyP({30656, 30712, 30744, 30716, 30712}, {55656, 55712, 55744, 55716, 55712}),
              2.0 / 252, 1e-12);
  EXPECT_NEAR(MannWhitneyP({1, 1, 2, 2, 3, 3, 4, 4}, {5, 5, 6, 6, 7, 7, 8, 8}), 2.0 / 12870, 1e-12);
  // A tie across the sides: {1,2,3,4,5} vs {5,6,7,8,9}: rank sums of 5 of the 10 readings (ranks
  // 1..4, 5.5, 5.5, 7..10) at least as far from the mean as 15.5: the two extremes and the two
  // that swap the tied pair.
  EXPECT_NEAR(MannWhitneyP({1, 2, 3, 4, 5}, {5, 6, 7, 8, 9}), 4.0 / 252, 1e-12);
  EXPECT_EQ(MannWhitneyP({5, 5, 5}, {5, 5, 5}), 1.0);
}

TEST(MannWhitney, TiesInBigSamplesUseTheNormalApproximation) {
  std::vector<double> a, b;
  for (int i = 0; i < 15; ++i) a.push_back(i / 2), b.push_back(100 + i / 2);
  const double p = MannWhitneyP(a, b);
  EXPECT_LT(p, 0.001);
  EXPECT_GT(p, 0);
}

}  // namespace
}  // namespace gate

namespace gate {
namespace {

lab::Result Fixture(const std::string& name) {
  const std::string path = std::string(getenv("TEST_SRCDIR")) + "/hakmem_lab/ci/testdata/" + name + ".json";
  std::string err;
  auto r = lab::ReadResultFile(path, &err);
  EXPECT_TRUE(r.has_value()) << err;
  return r.value_or(lab::Result{});
}

Config Defaults() {
  Config c;
  c.budgets = {{"malloc_hit", 20}, {"free_hit", 31}};
  return c;
}

struct Outcome {
  Comparison c;
  Decision d;
};
Outcome RunFixture(const std::string& name) {
  Outcome o;
  o.c = Compare(Fixture(name + ".base"), "e3", Fixture(name + ".head"), "e3", Defaults());
  o.d = Decide(o.c);
  return o;
}

TEST(GateBudgets, PerConfigBudgetOverridesTheDefault) {
  Config c = Defaults();
  c.config_budgets["e3_safe"] = {{"free_hit", 51}};
  c.budget_config = "e3";
  EXPECT_EQ(BudgetFor(c, "free_hit"), 31);
  c.budget_config = "e3_safe";
  EXPECT_EQ(BudgetFor(c, "free_hit"), 51);
  EXPECT_EQ(BudgetFor(c, "malloc_hit"), 20);  // not overridden: the default
  EXPECT_FALSE(BudgetFor(c, "realloc_hit").has_value());
}

TEST(GateBudgets, CheckedInFileHasABudgetForTheReleaseDefault) {
  Config c;
  std::string err;
  const std::string path = std::string(getenv("TEST_SRCDIR")) + "/hakmem_lab/ci/fastpath_budgets.json";
  ASSERT_TRUE(LoadConfig("", path, &c, &err)) << err;
  c.budget_config = "e3_safe";
  ASSERT_TRUE(BudgetFor(c, "free_hit").has_value());
  c.budget_config = "e3";
  EXPECT_LT(*BudgetFor(c, "free_hit"), 51);
}

TEST(GateFixtures, ClearRegressionFailsEveryPoint) {
  const Outcome o = RunFixture("clear_regression");
  EXPECT_EQ(o.d.exit_code, 1);
  for (const auto& p : o.c.points) {
    EXPECT_EQ(p.time, Verdict::kRegression) << p.label;
    EXPECT_NEAR(p.ratio, 0.8, 0.03);
  }
}

TEST(GateFixtures, ClearImprovementPassesAndIsReported) {
  const Outcome o = RunFixture("clear_improvement");
  EXPECT_EQ(o.d.exit_code, 0);
  EXPECT_EQ(o.d.improvements, 4);
  EXPECT_NE(RenderTable(o.c, o.d).find("improvement"), std::string::npos);
}

TEST(GateFixtures, NoiseOnlyPasses) {
  const Outcome o = RunFixture("noise_only");
  EXPECT_EQ(o.d.exit_code, 0);
  EXPECT_EQ(o.d.regressions, 0);
  EXPECT_EQ(o.d.improvements, 0);
}

TEST(GateFixtures, OneRegressedPointAmongManyIsNamed) {
  const Outcome o = RunFixture("one_of_many");
  EXPECT_EQ(o.d.exit_code, 1);
  EXPECT_EQ(o.d.regressions, 1);
  for (const auto& p : o.c.points) {
    EXPECT_EQ(p.time == Verdict::kRegression, p.label == "ws=320") << p.label;
  }
  EXPECT_NE(RenderMarkdown(o.c, o.d).find("**random_mixed ws=320**"), std::string::npos);
}

TEST(GateFixtures, MissingPointIsBadInput) {
  const Outcome o = RunFixture("missing_point");
  EXPECT_EQ(o.d.exit_code, 2);
  EXPECT_NE(o.d.headline.find("random_mixed ws=1024"), std::string::npos) << o.d.headline;
}

TEST(GateFixtures, InstructionGrowthFailsWhateverTheClockSays) {
  const Outcome o = RunFixture("instructions_only");
  EXPECT_EQ(o.d.exit_code, 1);
  for (const auto& p : o.c.points) {
    EXPECT_EQ(p.time, Verdict::kPass);
    EXPECT_EQ(p.instr, Verdict::kRegression);
  }
}

TEST(GateFixtures, FastPathOverBudgetFails) {
  const Outcome o = RunFixture("fastpath_over_budget");
  EXPECT_EQ(o.d.exit_code, 1);
  bool found = false;
  for (const auto& f : o.c.fastpath) {
    if (f.metric == "free_hit") {
      found = true;
      EXPECT_EQ(f.verdict, Verdict::kRegression);
      EXPECT_NE(f.why.find("budget of 31"), std::string::npos);
      EXPECT_EQ(f.why.find("no entry"), std::string::npos) << "no per-config budgets: nothing to name";
    }
  }
  EXPECT_TRUE(found);
}

TEST(GateFixtures, AConfigWithoutItsOwnBudgetIsNamed) {
  // A new state judged by the top-level budget (31) while the states like it have their own
  // (48): the verdict says which budget it met, not just that it failed.
  Config c = Defaults();
  c.config_budgets["x5_arena_mid"] = {{"malloc_hit", 20}, {"free_hit", 48}};
  c.budget_config = "e3";
  const Comparison cmp = Compare(Fixture("fastpath_over_budget.base"), "e3", Fixture("fastpath_over_budget.head"), "e3", c);
  bool found = false;
  for (const auto& f : cmp.fastpath) {
    if (f.metric != "free_hit") continue;
    found = true;
    EXPECT_EQ(f.verdict, Verdict::kRegression);
    EXPECT_NE(f.why.find("e3 has no entry under \"configs\""), std::string::npos) << f.why;
  }
  EXPECT_TRUE(found);
}

TEST(GateFixtures, SchemaMismatchIsRefusedByTheReader) {
  const std::string path = std::string(getenv("TEST_SRCDIR")) + "/hakmem_lab/ci/testdata/schema_mismatch.head.json";
  std::string err;
  EXPECT_FALSE(lab::ReadResultFile(path, &err).has_value());
  EXPECT_NE(err.find("schema_version: is 99"), std::string::npos) << err;
}

TEST(GateFixtures, MemoryBloatFailsAtEqualSpeed) {
  const Outcome o = RunFixture("memory_bloat");
  EXPECT_EQ(o.d.exit_code, 1);
  EXPECT_EQ(o.d.memory_regressions, 4);
  EXPECT_EQ(o.d.time_regressions, 0);
  for (const auto& p : o.c.points) EXPECT_EQ(p.rss_after_free.verdict, Verdict::kRegression) << p.label;
  EXPECT_NE(o.d.headline.find("4 memory"), std::string::npos) << o.d.headline;
  EXPECT_NE(RenderTable(o.c, o.d).find("4.0->7.0 REGRESSION"), std::string::npos) << RenderTable(o.c, o.d);
}

TEST(GateFixtures, SmallMemoryGrowthIsNotARegression) {
  const Outcome o = RunFixture("memory_noise");  // 3.2 -> 3.3 MiB peak: under the absolute slack
  EXPECT_EQ(o.d.exit_code, 0);
  EXPECT_EQ(o.d.memory_regressions, 0);
}

TEST(GateMemory, BothLimitsMustBeExceeded) {
  lab::Result base = Fixture("memory_bloat.base"), head = Fixture("memory_bloat.head");
  Config c = Defaults();
  c.mem_absolute_kb = 4096;  // 3 MiB more is under a 4 MiB slack
  EXPECT_EQ(Decide(Compare(base, "e3", head, "e3", c)).memory_regressions, 0);
  c = Defaults();
  c.mem_relative = 1.0;  // +75% is under a 100% relative limit
  EXPECT_EQ(Decide(Compare(base, "e3", head, "e3", c)).memory_regressions, 0);
  c = Defaults();
  c.point_mem_absolute_kb["random_mixed ws=128"] = 8192;  // one point gets more slack
  EXPECT_EQ(Decide(Compare(base, "e3", head, "e3", c)).memory_regressions, 3);
}

// The bisect of a README-only commit was blamed on mem_thread_churn: one round a side, 14.8 ->
// 17.9 MiB peak between byte-identical binaries. Per-round readings decide it now.
lab::Result WithReadings(const lab::Result& r, const std::vector<double>& peak) {
  lab::Result out = r;
  for (auto& p : out.points) {
    p.peak_rss_samples_kb = peak;
    p.peak_rss_kb = lab::Median(peak);
    p.rss_after_free_samples_kb.clear();
  }
  return out;
}

TEST(GateMemory, BimodalReadingsAreInconclusiveNotARegression) {
  const lab::Result base = Fixture("memory_bloat.base");
  // Medians 14800 -> 17900 KiB (beyond both limits), but the readings overlap.
  const lab::Result b = WithReadings(base, {14800, 18300, 13300, 19100, 14000});
  const lab::Result h = WithReadings(base, {17900, 13600, 18900, 15400, 18100});
  const Comparison c = Compare(b, "e3", h, "e3", Defaults());
  const Decision d = Decide(c);
  EXPECT_EQ(d.memory_regressions, 0) << d.headline;
  for (const auto& p : c.points) {
    EXPECT_EQ(p.peak_rss.verdict, Verdict::kInconclusive) << p.label;
    EXPECT_GT(p.peak_rss.p, 0.01);
  }
  EXPECT_GT(d.inconclusive, 0);
}

TEST(GateMemory, SeparatedReadingsBeyondTheLimitsAreARegression) {
  const lab::Result base = Fixture("memory_bloat.base");
  const lab::Result b = WithReadings(base, {14000, 14100, 14050, 13900, 14200});
  const lab::Result h = WithReadings(base, {19000, 19100, 18900, 19050, 19200});
  const Comparison c = Compare(b, "e3", h, "e3", Defaults());
  for (const auto& p : c.points) {
    EXPECT_EQ(p.peak_rss.verdict, Verdict::kRegression) << p.label;
    EXPECT_LT(p.peak_rss.p, 0.01);
  }
  // Three readings a side can never reach alpha = 0.01: inconclusive, never a verdict by luck.
  const lab::Result b3 = WithReadings(base, {14000, 14100, 14050}), h3 = WithReadings(base, {19000, 19100, 18900});
  for (const auto& p : Compare(b3, "e3", h3, "e3", Defaults()).points) {
    EXPECT_EQ(p.peak_rss.verdict, Verdict::kInconclusive) << p.label;
  }
}

TEST(GateFixtures, MultiThreadSlowdownFailsWithoutInstructionCounts) {
  const Outcome o = RunFixture("mt_regression");
  EXPECT_EQ(o.d.exit_code, 1);
  ASSERT_EQ(o.c.points.size(), 2u);
  for (const auto& p : o.c.points) {
    EXPECT_EQ(p.time == Verdict::kRegression, p.workload == "mt_prodcons") << p.workload;
    EXPECT_FALSE(p.base_instr.has_value());
  }
}

TEST(GateFixtures, BaseWithoutInstructionsIsNeverJudgedSilently) {
  const Outcome o = RunFixture("base_lacks_instructions");
  EXPECT_EQ(o.d.exit_code, 2);
  EXPECT_EQ(o.c.lacking_in_base.size(), 4u);
  EXPECT_NE(o.d.headline.find("instructions"), std::string::npos) << o.d.headline;
  EXPECT_EQ(CoverageGaps(Fixture("base_lacks_instructions.base"), "e3", Fixture("base_lacks_instructions.head"),
                         "e3").size(), 4u);
}

TEST(GateFixtures, PointNewInHeadIsBadInput) {
  const Outcome o = RunFixture("new_in_head");
  EXPECT_EQ(o.d.exit_code, 2);
  ASSERT_EQ(o.c.new_in_head.size(), 1u);
  EXPECT_EQ(o.c.new_in_head[0], "random_mixed ws=1024");
  const auto gaps = CoverageGaps(Fixture("new_in_head.base"), "e3", Fixture("new_in_head.head"), "e3");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_NE(gaps[0].find("no such point"), std::string::npos);
}

TEST(GateFixtures, SameLabelDifferentParametersIsBadInputNamingThePoint) {
  const Outcome o = RunFixture("params_mismatch");
  EXPECT_EQ(o.d.exit_code, 2);
  ASSERT_EQ(o.c.mismatched.size(), 1u);
  EXPECT_NE(o.d.headline.find("random_mixed ws=128: base cycles=1000000"), std::string::npos) << o.d.headline;
  EXPECT_NE(o.d.headline.find("head cycles=10000000"), std::string::npos) << o.d.headline;
}

TEST(GateCoverage, CompleteBaseHasNoGaps) {
  EXPECT_TRUE(CoverageGaps(Fixture("noise_only.base"), "e3", Fixture("noise_only.head"), "e3").empty());
}

TEST(GateRender, JsonCarriesTheVerdict) {
  const Outcome o = RunFixture("clear_regression");
  const auto j = RenderJson(o.c, o.d);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["points"].size(), 4u);
  EXPECT_EQ(j["points"][0]["time"], "REGRESSION");
}

TEST(GateRender, CsvHasAHeaderAndOneRowPerPointWithItsVerdicts) {
  const Outcome o = RunFixture("clear_regression");
  const std::string csv = RenderCsv(o.c, "e3", /*header=*/true);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + 4 points
  EXPECT_EQ(csv.rfind("config,base,head,workload,label,params,", 0), 0u) << csv;
  const std::string row = csv.substr(csv.find('\n') + 1);
  EXPECT_EQ(row.rfind("e3,", 0), 0u) << row;
  EXPECT_NE(row.substr(0, row.find('\n')).find(",REGRESSION,"), std::string::npos) << row;
  EXPECT_EQ(RenderCsv(o.c, "e3", /*header=*/false).find("config,"), std::string::npos);
}

TEST(GateRender, CsvQuotesFieldsWithCommasAndQuotes) {
  EXPECT_EQ(lab::CsvRow({"a,b", "say \"x\"", "plain"}), "\"a,b\",\"say \"\"x\"\"\",plain\n");
}

}  // namespace
}  // namespace gate
