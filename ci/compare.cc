#include "ci/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/csv.h"

namespace gate {

using nlohmann::json;

// ---- statistics ----
namespace {
// Number of orderings of n1 a's and n2 b's with U = u, for every u (Gaussian binomial).
std::vector<double> UDistribution(size_t n1, size_t n2) {
  // dp[j][u] for the current i: ways with i a's and j b's.
  const size_t umax = n1 * n2;
  std::vector<std::vector<double>> prev(n2 + 1, std::vector<double>(umax + 1, 0));
  for (size_t j = 0; j <= n2; ++j) prev[j][0] = 1;  // i = 0: one way, U = 0
  for (size_t i = 1; i <= n1; ++i) {
    std::vector<std::vector<double>> cur(n2 + 1, std::vector<double>(umax + 1, 0));
    cur[0][0] = 1;
    for (size_t j = 1; j <= n2; ++j) {
      for (size_t u = 0; u <= umax; ++u) {
        // Last element is an a (it beats all j b's: +j) or a b.
        double w = cur[j - 1][u];
        if (u >= j) w += prev[j][u - j];
        cur[j][u] = w;
      }
    }
    prev = std::move(cur);
  }
  return prev[n2];
}
}  // namespace

// Up to this many readings in all, tied samples get the exact permutation p-value (C(20, 10) =
// 184756 rank sums at most); beyond, the normal approximation.
constexpr size_t kExactTiedMax = 20;

double MannWhitneyP(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return 1;
  std::vector<std::pair<double, int>> all;
  for (double x : a) all.push_back({x, 0});
  for (double x : b) all.push_back({x, 1});
  std::sort(all.begin(), all.end());
  std::vector<double> rank(all.size());
  bool ties = false;
  double tie_term = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double t = double(j - i);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (size_t k = i; k < j; ++k) rank[k] = (double(i + j) + 1) / 2;  // average rank, 1-based
    i = j;
  }
  double r1 = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].second == 0) r1 += rank[i];
  }
  const double u1 = r1 - double(n1) * double(n1 + 1) / 2;
  const double u = std::min(u1, double(n1 * n2) - u1);
  if (!ties && n1 <= 30 && n2 <= 30) {
    const std::vector<double> dist = UDistribution(n1, n2);
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    double tail = 0;
    for (size_t k = 0; k <= size_t(u); ++k) tail += dist[k];
    return std::min(1.0, 2 * tail / total);
  }
  if (n1 + n2 <= kExactTiedMax) {
    // Ties (RSS readings in KiB often repeat): the exact permutation distribution of the rank
    // sum over the average ranks, every way of choosing n1 of the n readings. The normal
    // approximation could not reach alpha 0.01 with 5 rounds a side even for readings that never
    // overlap (p = 0.0124 with one repeated value a side), so a memory regression was inconclusive.
    const size_t n = n1 + n2;
    std::vector<int64_t> r2(n);  // doubled average ranks: integers
    for (size_t i = 0; i < n; ++i) r2[i] = int64_t(2 * rank[i]);
    const int64_t mean2 = int64_t(n1 * (n + 1));
    int64_t obs2 = 0;
    for (size_t i = 0; i < n; ++i) {
      if (all[i].second == 0) obs2 += r2[i];
    }
    const int64_t dev = obs2 > mean2 ? obs2 - mean2 : mean2 - obs2;
    uint64_t extreme = 0, total = 0;
    // Every n-bit mask with n1 bits set (Gosper's hack).
    for (uint64_t m = (uint64_t{1} << n1) - 1; m < (uint64_t{1} << n);) {
      int64_t s = 0;
      for (uint64_t bits = m; bits != 0; bits &= bits - 1) s += r2[size_t(__builtin_ctzll(bits))];
      if ((s > mean2 ? s - mean2 : mean2 - s) >= dev) ++extreme;
      ++total;
      const uint64_t c = m & (~m + 1), rr = m + c;
      m = (((rr ^ m) >> 2) / c) | rr;
    }
    return std::min(1.0, double(extreme) / double(total));
  }
  const double n = double(n1 + n2);
  const double mean = double(n1 * n2) / 2;
  const double var = double(n1 * n2) / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (var <= 0) return 1;
  const double z = (std::fabs(u - mean) - 0.5) / std::sqrt(var);
  return std::min(1.0, std::erfc(std::max(0.0, z) / std::sqrt(2.0)));
}

// ---- configuration ----
std::optional<double> BudgetFor(const Config& config, const std::string& metric) {
  auto per = config.config_budgets.find(config.budget_config);
  if (per != config.config_budgets.end() && per->second.count(metric)) return per->second.at(metric);
  if (config.budgets.count(metric)) return config.budgets.at(metric);
  return std::nullopt;
}

bool LoadConfig(const std::string& gate_json, const std::string& budgets_json, Config* c, std::string* err) {
  auto read = [&](const std::string& path, json* out) {
    std::ifstream f(path);
    if (!f) {
      *err = path + ": cannot open";
      return false;
    }
    try {
      f >> *out;
    } catch (const std::exception& e) {
      *err = path + ": not valid JSON: " + e.what();
      return false;
    }
    return true;
  };
  try {
    if (!gate_json.empty()) {
      json j;
      if (!read(gate_json, &j)) return false;
      c->threshold = j.value("threshold", c->threshold);
      c->alpha = j.value("alpha", c->alpha);
      c->instr_threshold = j.value("instructions_threshold", c->instr_threshold);
      if (j.contains("memory")) {
        c->mem_relative = j["memory"].value("relative", c->mem_relative);
        c->mem_absolute_kb = j["memory"].value("absolute_kb", c->mem_absolute_kb);
      }
      if (j.contains("points")) {
        for (auto it = j["points"].begin(); it != j["points"].end(); ++it) {
          if (it.value().contains("threshold")) c->point_threshold[it.key()] = it.value()["threshold"].get<double>();
          if (it.value().contains("memory_absolute_kb")) {
            c->point_mem_absolute_kb[it.key()] = it.value()["memory_absolute_kb"].get<double>();
          }
        }
      }
    }
    if (!budgets_json.empty()) {
      json j;
      if (!read(budgets_json, &j)) return false;
      for (const char* k : {"malloc_hit", "free_hit"}) {
        if (j.contains(k)) c->budgets[k] = j[k].get<double>();
      }
      if (j.contains("configs")) {
        for (auto it = j["configs"].begin(); it != j["configs"].end(); ++it) {
          for (const char* k : {"malloc_hit", "free_hit"}) {
            if (it.value().contains(k)) c->config_budgets[it.key()][k] = it.value()[k].get<double>();
          }
        }
      }
    }
  } catch (const std::exception& e) {
    *err = (gate_json.empty() ? budgets_json : gate_json) + ": " + e.what();
    return false;
  }
  if (c->threshold <= 0 || c->threshold >= 1 || c->alpha <= 0 || c->alpha >= 1 || c->instr_threshold < 0) {
    *err = gate_json + ": thresholds must lie in (0, 1)";
    return false;
  }
  if (c->mem_relative < 0 || c->mem_absolute_kb < 0) {
    *err = gate_json + ": memory limits must be >= 0";
    return false;
  }
  return true;
}

const char* Name(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "ok";
    case Verdict::kRegression: return "REGRESSION";
    case Verdict::kImprovement: return "improvement";
    case Verdict::kInconclusive: return "inconclusive";
  }
  return "?";
}

std::string PointName(const lab::Point& p) { return p.Name(); }

namespace {
// A memory metric: a regression needs relative *and* absolute growth of the medians beyond the
// limits and, when both sides kept their per-round readings, readings that differ (Mann-Whitney
// at alpha); a change beyond the limits the readings do not confirm is inconclusive.
MemDiff CompareMemory(const std::optional<double>& base, const std::optional<double>& head,
                      const std::vector<double>& base_samples, const std::vector<double>& head_samples,
                      double relative, double absolute_kb, double alpha) {
  MemDiff m{base, head, Verdict::kPass};
  m.base_n = base_samples.size();
  m.head_n = head_samples.size();
  if (!base || !head) return m;
  const double grew = *head - *base;
  Verdict v = Verdict::kPass;
  if (grew > absolute_kb && *head > *base * (1 + relative)) v = Verdict::kRegression;
  else if (-grew > absolute_kb && *head < *base * (1 - relative)) v = Verdict::kImprovement;
  if (v != Verdict::kPass && !base_samples.empty() && !head_samples.empty()) {
    m.p = MannWhitneyP(base_samples, head_samples);
    if (m.p >= alpha) v = Verdict::kInconclusive;
  }
  m.verdict = v;
  return m;
}

// Points of one variant by exact identity (workload + parameters) and by name.
struct Index {
  std::map<std::string, const lab::Point*> by_key, by_name;
};
Index IndexOf(const lab::Result& r, const std::string& variant) {
  Index ix;
  for (const auto& p : r.points) {
    if (p.variant != variant) continue;
    ix.by_key[p.workload + "|" + p.ParamString()] = &p;
    ix.by_name[PointName(p)] = &p;
  }
  return ix;
}
}  // namespace

namespace {
// Metrics the head has and the base lacks: on a shared point, and of the fast-path probe.
void MetricGaps(const lab::Point& b, const lab::Point& h, std::vector<std::string>* gaps) {
  if (h.instructions_per_op && !b.instructions_per_op) gaps->push_back(PointName(h) + ": instructions");
  if (h.peak_rss_kb && !b.peak_rss_kb) gaps->push_back(PointName(h) + ": peak RSS");
  if (h.rss_after_free_kb && !b.rss_after_free_kb) gaps->push_back(PointName(h) + ": RSS after free");
}
void FastpathGaps(const lab::Result& base, const std::string& base_variant, const lab::Result& head,
                  const std::string& head_variant, std::vector<std::string>* gaps) {
  auto hf = head.fastpath.find(head_variant);
  auto bf = base.fastpath.find(base_variant);
  if (hf == head.fastpath.end()) return;
  for (const auto& [metric, value] : hf->second) {
    if (bf == base.fastpath.end() || !bf->second.count(metric)) gaps->push_back("fast path: " + metric);
  }
}
}  // namespace

std::vector<std::string> CoverageGaps(const lab::Result& base, const std::string& base_variant,
                                      const lab::Result& head, const std::string& head_variant) {
  std::vector<std::string> gaps;
  const Index b = IndexOf(base, base_variant);
  for (const auto& h : head.points) {
    if (h.variant != head_variant) continue;
    auto it = b.by_key.find(h.workload + "|" + h.ParamString());
    if (it == b.by_key.end()) {
      gaps.push_back(PointName(h) + ": no such point (" + h.ParamString() + ")");
      continue;
    }
    MetricGaps(*it->second, h, &gaps);
  }
  FastpathGaps(base, base_variant, head, head_variant, &gaps);
  return gaps;
}

// ---- comparison ----
Comparison Compare(const lab::Result& base, const std::string& base_variant, const lab::Result& head,
                   const std::string& head_variant, const Config& config, bool timing) {
  Comparison c;
  c.timing = timing;
  c.base_name = base_variant + "@" + base.commit.substr(0, 10);
  c.head_name = head_variant + "@" + head.commit.substr(0, 10);
  const Index hx = IndexOf(head, head_variant);
  std::map<std::string, bool> seen;  // head keys that found their base
  for (const auto& b : base.points) {
    if (b.variant != base_variant) continue;
    const std::string name = PointName(b);
    auto it = hx.by_key.find(b.workload + "|" + b.ParamString());
    if (it == hx.by_key.end()) {
      auto same_name = hx.by_name.find(name);
      if (same_name != hx.by_name.end()) {
        c.mismatched.push_back(fmt::format("{}: base {}, head {}", name, b.ParamString(),
                                           same_name->second->ParamString()));
        seen[same_name->second->workload + "|" + same_name->second->ParamString()] = true;
      } else {
        c.missing_in_head.push_back(name);
      }
      continue;
    }
    seen[it->first] = true;
    const lab::Point& h = *it->second;
    MetricGaps(b, h, &c.lacking_in_base);
    PointDiff d;
    d.workload = b.workload;
    d.label = b.Label();
    d.params = b.ParamString();
    d.base_median = b.median;
    d.head_median = h.median;
    d.base_n = b.samples.size();
    d.head_n = h.samples.size();
    d.ratio = h.median / b.median;
    d.p = MannWhitneyP(b.samples, h.samples);
    auto th = config.point_threshold.find(name);
    d.threshold = th != config.point_threshold.end() ? th->second : config.threshold;
    if (timing) {
      const bool slower = d.ratio < 1 - d.threshold, faster = d.ratio > 1 + d.threshold;
      if ((slower || faster) && d.p < config.alpha) d.time = slower ? Verdict::kRegression : Verdict::kImprovement;
      else if (slower || faster) d.time = Verdict::kInconclusive;
    }
    d.base_instr = b.instructions_per_op;
    d.head_instr = h.instructions_per_op;
    if (d.base_instr && d.head_instr) {
      const double growth = *d.head_instr / *d.base_instr - 1;
      if (growth > config.instr_threshold) d.instr = Verdict::kRegression;
      else if (growth < -config.instr_threshold) d.instr = Verdict::kImprovement;
    }
    auto slack = config.point_mem_absolute_kb.find(name);
    const double abs_kb = slack != config.point_mem_absolute_kb.end() ? slack->second : config.mem_absolute_kb;
    d.peak_rss = CompareMemory(b.peak_rss_kb, h.peak_rss_kb, b.peak_rss_samples_kb, h.peak_rss_samples_kb,
                               config.mem_relative, abs_kb, config.alpha);
    d.rss_after_free = CompareMemory(b.rss_after_free_kb, h.rss_after_free_kb, b.rss_after_free_samples_kb,
                                     h.rss_after_free_samples_kb, config.mem_relative, abs_kb, config.alpha);
    c.points.push_back(d);
  }
  for (const auto& [key, p] : hx.by_key) {
    if (!seen.count(key)) c.new_in_head.push_back(PointName(*p));
  }
  FastpathGaps(base, base_variant, head, head_variant, &c.lacking_in_base);
  auto hf = head.fastpath.find(head_variant);
  auto bf = base.fastpath.find(base_variant);
  if (hf != head.fastpath.end()) {
    for (const auto& [metric, value] : hf->second) {
      FastpathDiff f;
      f.metric = metric;
      f.head = value;
      if (bf != base.fastpath.end() && bf->second.count(metric)) f.base = bf->second.at(metric);
      f.budget = BudgetFor(config, metric);
      if (f.budget && f.head > *f.budget) {
        f.verdict = Verdict::kRegression;
        f.why = fmt::format("over the budget of {:.0f}", *f.budget);
        // A config judged by the top-level budget while others have their own (a new state
        // without an entry) says so: the budget may be another state's, not a slower path.
        auto own = config.config_budgets.find(config.budget_config);
        if (!config.config_budgets.empty() && !config.budget_config.empty() &&
            (own == config.config_budgets.end() || !own->second.count(metric))) {
          f.why += fmt::format(" (the top-level one: {} has no entry under \"configs\" in fastpath_budgets.json)",
                               config.budget_config);
        }
      } else if (f.base && f.head > *f.base * (1 + config.instr_threshold)) {
        f.verdict = Verdict::kRegression;
        f.why = fmt::format("grew from {:.1f}", *f.base);
      } else if (f.base && f.head < *f.base * (1 - config.instr_threshold)) {
        f.verdict = Verdict::kImprovement;
      }
      c.fastpath.push_back(f);
    }
  }
  return c;
}

// ---- verdict ----
Decision Decide(const Comparison& c) {
  Decision d;
  auto count = [&](Verdict v, int* kind) {
    if (v == Verdict::kRegression) ++d.regressions, ++*kind;
    d.improvements += v == Verdict::kImprovement;
  };
  for (const auto& p : c.points) {
    count(p.time, &d.time_regressions);
    count(p.instr, &d.instr_regressions);
    count(p.peak_rss.verdict, &d.memory_regressions);
    count(p.rss_after_free.verdict, &d.memory_regressions);
    d.inconclusive += p.time == Verdict::kInconclusive || p.peak_rss.verdict == Verdict::kInconclusive ||
                      p.rss_after_free.verdict == Verdict::kInconclusive;
  }
  for (const auto& f : c.fastpath) count(f.verdict, &d.fastpath_regressions);
  if (!c.mismatched.empty()) {
    d.exit_code = 2;
    d.headline = fmt::format("BAD INPUT: {} point(s) have different parameters in base and head (first: {})",
                             c.mismatched.size(), c.mismatched.front());
  } else if (!c.missing_in_head.empty()) {
    d.exit_code = 2;
    d.headline = fmt::format("BAD INPUT: the head result lacks {} point(s) of the base (first: {})",
                             c.missing_in_head.size(), c.missing_in_head.front());
  } else if (!c.new_in_head.empty() || !c.lacking_in_base.empty()) {
    const std::string first = !c.new_in_head.empty() ? c.new_in_head.front() : c.lacking_in_base.front();
    d.exit_code = 2;
    d.headline = fmt::format("BAD INPUT: the base lacks {} thing(s) the head measured, which would go unjudged "
                             "(first: {}); measure the base with a harness that reports it (a stored baseline, or a base "
                             "older than that metric)",
                             c.new_in_head.size() + c.lacking_in_base.size(), first);
  } else if (c.points.empty()) {
    d.exit_code = 2;
    d.headline = "BAD INPUT: the two results share no point";
  } else if (d.regressions > 0) {
    d.exit_code = 1;
    std::vector<std::string> kinds;
    if (d.time_regressions) kinds.push_back(fmt::format("{} throughput", d.time_regressions));
    if (d.instr_regressions) kinds.push_back(fmt::format("{} instructions", d.instr_regressions));
    if (d.memory_regressions) kinds.push_back(fmt::format("{} memory", d.memory_regressions));
    if (d.fastpath_regressions) kinds.push_back(fmt::format("{} fast path", d.fastpath_regressions));
    d.headline = fmt::format("FAIL: {} regression(s): {}", d.regressions, fmt::join(kinds, ", "));
  } else {
    d.headline = "PASS";
  }
  if (d.exit_code != 2) {
    d.headline += fmt::format(" ({} improvement(s), {} inconclusive, {} point(s) compared)", d.improvements,
                              d.inconclusive, c.points.size());
  }
  return d;
}

// ---- rendering ----
namespace {
std::string Instr(const std::optional<double>& v) { return v ? fmt::format("{:.1f}", *v) : "-"; }
std::string Rate(double v) { return fmt::format("{:.2f}M", v / 1e6); }
std::string Mib(const std::optional<double>& kb) { return kb ? fmt::format("{:.1f}", *kb / 1024) : "-"; }
// "4.0->7.1 REGRESSION" or "4.0" when unchanged, "-" when not measured.
std::string Mem(const MemDiff& m) {
  if (!m.base_kb && !m.head_kb) return "-";
  if (m.verdict == Verdict::kPass) return Mib(m.head_kb);
  return fmt::format("{}->{} {}", Mib(m.base_kb), Mib(m.head_kb), Name(m.verdict));
}
bool Bad(const PointDiff& p) {
  return p.time == Verdict::kRegression || p.instr == Verdict::kRegression ||
         p.peak_rss.verdict == Verdict::kRegression || p.rss_after_free.verdict == Verdict::kRegression;
}
std::string Listed(const Comparison& c, const std::string& prefix) {
  std::string s;
  for (const auto& m : c.mismatched) s += prefix + "different parameters: " + m + "\n";
  for (const auto& m : c.missing_in_head) s += prefix + "missing in head: " + m + "\n";
  for (const auto& m : c.new_in_head) s += prefix + "new in head, the base lacks it: " + m + "\n";
  for (const auto& m : c.lacking_in_base) s += prefix + "the base lacks " + m + "\n";
  return s;
}
}  // namespace

std::string RenderTable(const Comparison& c, const Decision& d) {
  std::string s = fmt::format("gate: base {} -> head {}\n\n", c.base_name, c.head_name);
  s += fmt::format("{:<34} {:>10} {:>10} {:>7} {:>8} {:>13} {:>8} {:>8} {:>12} {:>22} {:>22}\n", "point", "base",
                   "head", "ratio", "p", "time", "instr b", "instr h", "instructions", "peak RSS MiB",
                   "RSS after free MiB");
  for (const auto& p : c.points) {
    s += fmt::format("{:<34} {:>10} {:>10} {:>7.3f} {:>8.4f} {:>13} {:>8} {:>8} {:>12} {:>22} {:>22}\n",
                     p.workload + " " + p.label, Rate(p.base_median), Rate(p.head_median), p.ratio, p.p,
                     c.timing ? Name(p.time) : "(not judged)", Instr(p.base_instr), Instr(p.head_instr),
                     Name(p.instr), Mem(p.peak_rss), Mem(p.rss_after_free));
  }
  for (const auto& f : c.fastpath) {
    s += fmt::format("fast path {:<24} base {:>6} head {:>6.1f} budget {:>4}  {} {}\n", f.metric, Instr(f.base),
                     f.head, f.budget ? fmt::format("{:.0f}", *f.budget) : "-", Name(f.verdict), f.why);
  }
  s += Listed(c, "");
  s += "\n" + d.headline + "\n";
  return s;
}

std::string RenderMarkdown(const Comparison& c, const Decision& d) {
  std::string s = fmt::format("### Allocator regression gate: {}\n\nbase `{}` -> head `{}`\n\n", d.headline,
                              c.base_name, c.head_name);
  s += "| point | base ops/s | head ops/s | ratio | p | time | instr/op base | head | instructions | peak RSS MiB "
       "| RSS after free MiB |\n";
  s += "|---|---:|---:|---:|---:|---|---:|---:|---|---|---|\n";
  for (const auto& p : c.points) {
    const bool bad = Bad(p);
    s += fmt::format("| {}{}{} | {} | {} | {:.3f} | {:.4f} | {} | {} | {} | {} | {} | {} |\n", bad ? "**" : "",
                     p.workload + " " + p.label, bad ? "**" : "", Rate(p.base_median), Rate(p.head_median), p.ratio,
                     p.p, c.timing ? Name(p.time) : "not judged", Instr(p.base_instr), Instr(p.head_instr),
                     Name(p.instr), Mem(p.peak_rss), Mem(p.rss_after_free));
  }
  if (!c.fastpath.empty()) {
    s += "\n| fast path | base | head | budget | verdict |\n|---|---:|---:|---:|---|\n";
    for (const auto& f : c.fastpath) {
      s += fmt::format("| tiny {} | {} | {:.1f} | {} | {} {} |\n", f.metric, Instr(f.base), f.head,
                       f.budget ? fmt::format("{:.0f}", *f.budget) : "-", Name(f.verdict), f.why);
    }
  }
  const std::string listed = Listed(c, "- ");
  if (!listed.empty()) s += "\n" + listed;
  s += "\n\nThroughput: a regression needs the median ratio below 1 - threshold *and* a Mann-Whitney "
       "test on the interleaved samples to agree. Instructions (callgrind) are compared exactly. Memory: "
       "growth beyond both the relative and the absolute limit of `ci/gate.json`.\n";
  return s;
}

json RenderJson(const Comparison& c, const Decision& d) {
  json j = {{"base", c.base_name},       {"head", c.head_name},     {"exit_code", d.exit_code},
            {"headline", d.headline},    {"regressions", d.regressions},
            {"improvements", d.improvements}, {"inconclusive", d.inconclusive}, {"timing_judged", c.timing},
            {"regressions_by_kind", {{"throughput", d.time_regressions}, {"instructions", d.instr_regressions},
                                     {"memory", d.memory_regressions}, {"fastpath", d.fastpath_regressions}}},
            {"missing_in_head", c.missing_in_head}, {"new_in_head", c.new_in_head},
            {"lacking_in_base", c.lacking_in_base}, {"mismatched", c.mismatched}};
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  auto mem = [&](const MemDiff& m) {
    return json{{"base_kb", opt(m.base_kb)}, {"head_kb", opt(m.head_kb)}, {"verdict", Name(m.verdict)},
                {"p_value", m.p}, {"base_readings", m.base_n}, {"head_readings", m.head_n}};
  };
  j["points"] = json::array();
  for (const auto& p : c.points) {
    json jp = {{"point", p.workload + " " + p.label}, {"workload", p.workload},
               {"label", p.label},                    {"params", p.params},
               {"base_median", p.base_median},        {"head_median", p.head_median},
               {"ratio", p.ratio},                    {"p_value", p.p},
               {"threshold", p.threshold},            {"time", Name(p.time)},
               {"instructions", Name(p.instr)},       {"peak_rss", mem(p.peak_rss)},
               {"rss_after_free", mem(p.rss_after_free)}};
    jp["base_instructions_per_op"] = opt(p.base_instr);
    jp["head_instructions_per_op"] = opt(p.head_instr);
    j["points"].push_back(jp);
  }
  j["fastpath"] = json::array();
  for (const auto& f : c.fastpath) {
    j["fastpath"].push_back({{"metric", f.metric}, {"head", f.head}, {"base", opt(f.base)},
                             {"budget", opt(f.budget)}, {"verdict", Name(f.verdict)}, {"why", f.why}});
  }
  return j;
}

std::string RenderCsv(const Comparison& c, const std::string& config, bool header) {
  std::string s;
  if (header) {
    s += lab::CsvRow({"config", "base", "head", "workload", "label", "params", "base_median", "head_median", "ratio",
                      "p_value", "time", "base_instructions_per_op", "head_instructions_per_op", "instructions",
                      "base_peak_rss_kb", "head_peak_rss_kb", "peak_rss", "base_rss_after_free_kb",
                      "head_rss_after_free_kb", "rss_after_free"});
  }
  for (const auto& p : c.points) {
    s += lab::CsvRow({config, c.base_name, c.head_name, p.workload, p.label, p.params, lab::ExactNumber(p.base_median),
                      lab::ExactNumber(p.head_median), lab::ExactNumber(p.ratio), lab::ExactNumber(p.p),
                      c.timing ? Name(p.time) : "not judged", lab::CsvNumber(p.base_instr),
                      lab::CsvNumber(p.head_instr), Name(p.instr), lab::CsvNumber(p.peak_rss.base_kb),
                      lab::CsvNumber(p.peak_rss.head_kb), Name(p.peak_rss.verdict),
                      lab::CsvNumber(p.rss_after_free.base_kb), lab::CsvNumber(p.rss_after_free.head_kb),
                      Name(p.rss_after_free.verdict)});
  }
  return s;
}

}  // namespace gate
