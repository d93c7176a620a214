#include "ci/evidence.h"

#include <gtest/gtest.h>

namespace gate {
namespace {

TEST(Routes, StatsLineIsParsedAndSharesAreOfTheirKind) {
  const auto b = ParseStatsLine(
      "noise\nhakmem-stats {\"pid\":7,\"stats_compiled\":1,\"superslabs\":2,\"free_header_fast\":984,"
      "\"free_ss_hit\":0,\"free_pool\":16,\"malloc_fast\":990,\"malloc_slow\":10,\"refill\":20,\"spill\":5}\n");
  ASSERT_EQ(b.at("free_header_fast"), 984);
  EXPECT_EQ(b.count("pid"), 0u);
  auto h = b;
  h["free_header_fast"] = 0;
  h["free_ss_hit"] = 984;
  const auto d = DiffRoutes(b, h, 2000);
  ASSERT_GE(d.size(), 2u);
  // The two biggest moves first: header_fast 98.4% -> 0%, ss_hit 0% -> 98.4%.
  EXPECT_TRUE((d[0].counter == "free_header_fast" || d[0].counter == "free_ss_hit")) << d[0].counter;
  for (const auto& r : d) {
    if (r.counter == "free_header_fast") {
      EXPECT_DOUBLE_EQ(r.base, 98.4);
      EXPECT_DOUBLE_EQ(r.head, 0);
      EXPECT_EQ(r.unit, "% of frees");
    }
    if (r.counter == "malloc_fast") {
      EXPECT_DOUBLE_EQ(r.base, 99.0);
    }
    if (r.counter == "refill") {
      EXPECT_DOUBLE_EQ(r.base, 10.0);  // per 1000 ops
    }
    EXPECT_NE(r.counter, "superslabs");
  }
  EXPECT_TRUE(ParseStatsLine("no stats here").empty());
}

TEST(Tiers, OnlyMovedTiersBiggestFirst) {
  const auto d = DiffTiers("mem_liveset mib=64", {{"superslab_bytes", 4 << 20}, {"chunk_cache_bytes", 0}, {"slabs", 3}},
                           {{"superslab_bytes", 4 << 20}, {"chunk_cache_bytes", 6 << 20}, {"slabs", 4}});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].tier, "chunk_cache_bytes");
  EXPECT_EQ(d[0].head, 6 << 20);
  EXPECT_EQ(d[1].tier, "slabs");
}

TEST(Tiers, ATierOnlyOneSideReportsIsNoMove) {
  // pool_kept_bytes is reported since 2026-12-02: a base built before says nothing of it.
  const auto d = DiffTiers("mem_thread_churn threads=200", {{"slabs_in_use", 37}},
                           {{"slabs_in_use", 42}, {"pool_kept_bytes", 4 << 20}});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].tier, "slabs_in_use");
}

TEST(Render, MarkdownAndJsonCarryTheCauses) {
  Evidence e;
  e.config = "e3_safe";
  e.base_name = "e3_safe@aaaa";
  e.head_name = "e3_safe@bbbb";
  e.causes = {"random_mixed ws=1024: RegistryLookup: 0 -> 44.1 Ir/op self, new, called from FreeFast"};
  e.routes = {{"free_ss_hit", 0, 98.4, "% of frees"}};
  e.tiers = {{"mem_liveset mib=64", "chunk_cache_bytes", 0, 6 << 20}};
  const std::string md = RenderEvidenceMarkdown(e);
  EXPECT_NE(md.find("RegistryLookup: 0 -> 44.1"), std::string::npos) << md;
  EXPECT_NE(md.find("| free_ss_hit | 0.0 | 98.4 | % of frees |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mem_liveset mib=64 | chunk_cache_bytes | 0.0 MiB | 6.0 MiB |"), std::string::npos) << md;
  const auto j = RenderEvidenceJson(e);
  EXPECT_EQ(j["causes"].size(), 1u);
  EXPECT_EQ(j["routes"][0]["head"], 98.4);
  EXPECT_TRUE(j["profile"].is_null());
  const std::string html = RenderEvidenceHtml({e});
  EXPECT_NE(html.find("<li>random_mixed ws=1024: RegistryLookup"), std::string::npos);
  EXPECT_EQ(html.find("flame-e3_safe.svg"), std::string::npos);  // no profile, no picture
}

}  // namespace
}  // namespace gate
