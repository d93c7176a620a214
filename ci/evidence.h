// evidence.h — the gate's root-cause report of a failing config, written from what the gate
// already has: the callgrind profiles the sweep kept (which functions gained instructions per
// op, and who calls them), the fast-path probe's profiles (instructions per stage of one tiny
// malloc hit and free hit), the route counters of the .stats builds (header_fast / ss_hit /
// slow / pool / mid ...), and the allocator's tiers after free (which tier holds extra bytes).
//   GatherEvidence()  reads profiles, runs the two .stats binaries once each (I/O)
//   DiffRoutes(), DiffTiers()  the pure steps, tested on their own
//   RenderEvidence*() text, Markdown (PR summary), JSON, an HTML page with the flame graphs
#ifndef HAKMEM_CI_EVIDENCE_H_
#define HAKMEM_CI_EVIDENCE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ci/compare.h"
#include "ci/rootcause.h"
#include "harness/result.h"

namespace gate {

// One route counter as a share of its kind (frees or mallocs), base vs head.
struct RouteShare {
  std::string counter;  // free_header_fast, free_ss_hit, malloc_fast, refill, ...
  double base = 0, head = 0;  // share of all frees (free_*), all mallocs (malloc_*), else per op
  std::string unit;           // "% of frees", "% of mallocs", "per 1000 ops"
};
// Shares of the hakmem-stats counters of one run each (ops: the run's operations).
std::vector<RouteShare> DiffRoutes(const std::map<std::string, double>& base, const std::map<std::string, double>& head,
                                   double ops);
// The counters of a "hakmem-stats {json}" line (the numbers only), or empty.
std::map<std::string, double> ParseStatsLine(const std::string& text);

// One tier of one memory-failing point.
struct TierMove {
  std::string point, tier;
  double base = 0, head = 0;  // as the benchmark reported them (bytes, or counts for *_count)
};
// The tiers both sides report whose values differ, biggest move first.
std::vector<TierMove> DiffTiers(const std::string& point, const std::map<std::string, double>& base,
                                const std::map<std::string, double>& head);

struct EvidenceInputs {
  std::string config;
  const Comparison* cmp = nullptr;
  const lab::Result* base_result = nullptr;
  std::string base_variant;
  const lab::Result* head_result = nullptr;
  std::string head_variant;
  std::string base_profiles, head_profiles;    // the sweep's --profiles directories of each side
  std::string base_stats_bin, head_stats_bin;  // bench_random_mixed.<config>.stats of each side
  // Where each side's harness/<program>.<config> binaries are ("" = none: no new profiles).
  std::string base_harness, head_harness, base_config, head_config;
};

struct Evidence {
  std::string config, base_name, head_name;
  std::string headline;  // the gate's verdict line
  std::vector<std::string> causes;  // one-line findings, most telling first
  // The point whose profiles were diffed (the worst instruction growth, else the worst time).
  std::string profiled_point;
  std::optional<rootcause::ProfileDiff> profile;
  std::string svg;  // differential flame graph of profile ("" without one)
  std::optional<rootcause::ProfileDiff> fast_malloc, fast_free;  // per call of the probe
  std::vector<RouteShare> routes;
  std::string routes_note;  // why there are none, when there are none
  std::vector<TierMove> tiers;
  std::vector<std::string> notes;  // what could not be gathered, and why
};

Evidence GatherEvidence(const EvidenceInputs& in);

std::string RenderEvidenceText(const Evidence& e);
std::string RenderEvidenceMarkdown(const Evidence& e);
nlohmann::json RenderEvidenceJson(const Evidence& e);
// An HTML page: every report's Markdown-ish text and its flame graph (flame-<config>.svg in
// the same directory, written by the caller from Evidence::svg).
std::string RenderEvidenceHtml(const std::vector<Evidence>& reports);

}  // namespace gate

#endif  // HAKMEM_CI_EVIDENCE_H_
