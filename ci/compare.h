// compare.h — the regression gate's logic, in three separate steps:
//   Compare()  two results -> data (per-point ratios, p-values, instruction growth, budgets)
//   Decide()   data -> verdict and exit code
//   Render*()  data + verdict -> table, Markdown (PR comment), JSON
// Nothing here measures or prints; ci/gate.cc does the I/O.
#ifndef HAKMEM_CI_COMPARE_H_
#define HAKMEM_CI_COMPARE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/result.h"

namespace gate {

// Two-sided Mann-Whitney U test p-value: exact for small samples without ties, else the normal
// approximation with tie and continuity correction. 1 when either sample is empty.
double MannWhitneyP(const std::vector<double>& a, const std::vector<double>& b);

struct Config {
  double threshold = 0.05;        // throughput: regression when head/base < 1 - threshold
  double alpha = 0.01;            // ... and the Mann-Whitney test agrees at this level
  double instr_threshold = 0.01;  // instructions/op: growth above this fails, whatever the clock says
  std::map<std::string, double> point_threshold;  // "workload label" -> throughput threshold
  // Memory (peak RSS, RSS after free): a regression when head grows by more than
  // mem_relative of the base *and* by more than mem_absolute_kb (so 3.2 -> 3.3 MiB is noise,
  // 4 -> 7 MiB is not). RSS is far steadier than time: no statistical test, one value per side.
  double mem_relative = 0.10;
  double mem_absolute_kb = 1024;
  // With per-round readings on both sides, a memory change beyond both limits must also pass
  // the Mann-Whitney test at `alpha` (5 rounds a side can; fewer stay inconclusive): bimodal
  // workloads (threads that overlap or not) move single readings by megabytes.
  std::map<std::string, double> point_mem_absolute_kb;  // "workload label" -> absolute slack
  std::map<std::string, double> budgets;          // fast path: malloc_hit, free_hit (instructions)
  // Per-config budgets ("configs" in fastpath_budgets.json) override `budgets` for the config
  // named by budget_config (the head's config; set by the gate).
  std::map<std::string, std::map<std::string, double>> config_budgets;
  std::string budget_config;
};
// The fast-path budget of `metric` for config.budget_config, if any.
std::optional<double> BudgetFor(const Config& config, const std::string& metric);
// Reads ci/gate.json (thresholds) and ci/fastpath_budgets.json; "" paths keep the defaults.
bool LoadConfig(const std::string& gate_json, const std::string& budgets_json, Config* c, std::string* err);

enum class Verdict { kPass, kRegression, kImprovement, kInconclusive };
const char* Name(Verdict v);

// One memory metric of one point, base vs head.
struct MemDiff {
  std::optional<double> base_kb, head_kb;  // medians over rounds
  Verdict verdict = Verdict::kPass;
  // Mann-Whitney p of the per-round readings, when both sides have them (else 1, not tested).
  double p = 1;
  size_t base_n = 0, head_n = 0;
};

struct PointDiff {
  std::string workload, label;
  std::string params;  // exact parameters ("cycles=1000000 seed=1234567 ws=128")
  double base_median = 0, head_median = 0, ratio = 1, p = 1, threshold = 0;
  size_t base_n = 0, head_n = 0;
  Verdict time = Verdict::kPass;
  std::optional<double> base_instr, head_instr;
  Verdict instr = Verdict::kPass;
  MemDiff peak_rss, rss_after_free;
};

struct FastpathDiff {
  std::string metric;  // malloc_hit, free_hit
  std::optional<double> base, budget;
  double head = 0;
  Verdict verdict = Verdict::kPass;
  std::string why;
};

struct Comparison {
  std::string base_name, head_name;  // "variant@commit"
  std::vector<PointDiff> points;
  std::vector<FastpathDiff> fastpath;
  std::vector<std::string> missing_in_head;  // points the base has and the head does not
  std::vector<std::string> new_in_head;      // points the head measured and the base lacks
  // What the head measured and the base lacks for a shared point ("random_mixed ws=128:
  // instructions"), or the fast-path probe: never silently unjudged.
  std::vector<std::string> lacking_in_base;
  // Same name, different parameters ("random_mixed ws=128: base cycles=1000000 ..., head ..."):
  // two different experiments that must not be compared.
  std::vector<std::string> mismatched;
  bool timing = true;  // false: instructions only (deterministic self-checks)
};

// Compares variant `base_variant` of `base` with `head_variant` of `head`.
Comparison Compare(const lab::Result& base, const std::string& base_variant, const lab::Result& head,
                   const std::string& head_variant, const Config& config, bool timing = true);

struct Decision {
  int exit_code = 0;  // 0 pass, 1 regression, 2 bad input
  std::string headline;
  int regressions = 0, improvements = 0, inconclusive = 0;
  // Regressions by kind: what the root-cause report must explain.
  int time_regressions = 0, instr_regressions = 0, memory_regressions = 0, fastpath_regressions = 0;
};
Decision Decide(const Comparison& c);

std::string RenderTable(const Comparison& c, const Decision& d);
std::string RenderMarkdown(const Comparison& c, const Decision& d);
nlohmann::json RenderJson(const Comparison& c, const Decision& d);
// One CSV row per point (with a header row when `header`): config, point, medians, ratio, p,
// each metric's base/head value and verdict. What `gate --csv` writes.
std::string RenderCsv(const Comparison& c, const std::string& config, bool header);

// "random_mixed ws=128": the name a point goes by in tables and in gate.json overrides.
std::string PointName(const lab::Point& p);

// What `head_variant` of `head` measured that `base_variant` of `base` cannot be judged
// against: points it lacks, metrics it lacks on shared points, the fast-path probe. Empty:
// the base covers the head. The gate uses it to decide whether a stored baseline will do.
std::vector<std::string> CoverageGaps(const lab::Result& base, const std::string& base_variant,
                                      const lab::Result& head, const std::string& head_variant);

}  // namespace gate

#endif  // HAKMEM_CI_COMPARE_H_
