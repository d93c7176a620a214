// sweep_render_test.cc — harness: the sweep's tables are computed from the result alone.
#include "harness/sweep_render.h"

#include <gtest/gtest.h>

#include "harness/stats.h"

namespace {

lab::Point P(const std::string& variant, double ws, double ops, double instr = 0) {
  lab::Point p;
  p.workload = "random_mixed";
  p.params = {{"ws", ws}, {"cycles", 1e6}};
  p.variant = variant;
  p.samples = {ops, ops, ops};
  if (instr > 0) p.instructions_per_op = instr;
  lab::Summarize(&p);
  return p;
}

TEST(SweepRender, OneRowPerPointWithRatiosToTheFirstVariant) {
  lab::Result r;
  r.points = {P("e3", 128, 60e6), P("e2", 128, 30e6), P("e3", 1024, 50e6)};  // e2 lacks ws=1024
  const std::string s = sweep::RenderTables(r, {"e3", "e2"}, 5, false);
  EXPECT_NE(s.find("ws=128"), std::string::npos) << s;
  EXPECT_NE(s.find("60.0M"), std::string::npos) << s;
  EXPECT_NE(s.find("30.0M x0.50"), std::string::npos) << s;
  const std::string row1024 = s.substr(s.find("ws=1024"), s.find('\n', s.find("ws=1024")) - s.find("ws=1024"));
  EXPECT_NE(row1024.find("50.0M"), std::string::npos) << row1024;
  EXPECT_NE(row1024.find(" -"), std::string::npos) << row1024;
  EXPECT_NE(s.find("(median ops/s of 5 interleaved rounds; xN = ratio to e3)"), std::string::npos) << s;
  EXPECT_EQ(s.find("instr/op"), std::string::npos) << "no callgrind tables without --instructions";
}

TEST(SweepRender, InstructionAndFastPathTables) {
  lab::Result r;
  r.points = {P("e3", 128, 60e6, 52.5), P("e2", 128, 30e6, 162.4)};
  r.fastpath["e3"] = {{"malloc_hit", 20}, {"free_hit", 31}};
  r.fastpath_cycles["e3"] = {{"malloc_hit", 7.4}, {"free_hit", 4.7}};
  r.fastpath_cycles_clock = "TSC";
  const std::string s = sweep::RenderTables(r, {"e3", "e2"}, 3, true);
  EXPECT_NE(s.find("instr/op"), std::string::npos) << s;
  EXPECT_NE(s.find("162.4"), std::string::npos) << s;
  const size_t free_row = s.find("tiny free_hit");
  ASSERT_NE(free_row, std::string::npos) << s;
  const std::string row = s.substr(free_row, s.find('\n', free_row) - free_row);
  EXPECT_NE(row.find("31.0"), std::string::npos) << row;
  EXPECT_NE(row.find(" -"), std::string::npos) << "e2 has no fast-path figure: " << row;
  EXPECT_NE(s.find("fast path (TSC ticks per call)"), std::string::npos) << s;
  EXPECT_NE(s.find("(TSC; median of 3 rounds)"), std::string::npos) << s;
}

}  // namespace
