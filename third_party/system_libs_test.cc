// Proves each wrapped system library links and works, not just that headers are found.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

TEST(SystemLibs, FmtFormats) {
  EXPECT_EQ(fmt::format("{:>6.2f}|{:x}", 3.14159, 255), "  3.14|ff");
}

TEST(SystemLibs, JsonRoundTrip) {
  nlohmann::json j = {{"ops", 1.5e7}, {"samples", {1, 2, 3}}};
  auto back = nlohmann::json::parse(j.dump());
  EXPECT_EQ(back["samples"].size(), 3u);
  EXPECT_DOUBLE_EQ(back["ops"].get<double>(), 1.5e7);
}

namespace {
class CollectingReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) names.push_back(r.benchmark_name());
  }
  std::vector<std::string> names;
};
}  // namespace

TEST(SystemLibs, GoogleBenchmarkRuns) {
  int calls = 0;
  benchmark::RegisterBenchmark("noop", [&calls](benchmark::State& st) {
    for (auto _ : st) benchmark::DoNotOptimize(++calls);
  })->Iterations(10);
  CollectingReporter reporter;
  EXPECT_EQ(benchmark::RunSpecifiedBenchmarks(&reporter), 1u);
  ASSERT_EQ(reporter.names.size(), 1u);
  EXPECT_EQ(reporter.names[0], "noop/iterations:10");
  EXPECT_GE(calls, 10);
}
