#include "ci/compare.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

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
      if (j.contains("points")) {
        for (auto it = j["points"].begin(); it != j["points"].end(); ++it) {
          c->point_threshold[it.key()] = it.value().at("threshold").get<double>();
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

std::string PointName(const lab::Point& p) { return p.workload + " " + lab::PointLabel(p.workload, p.params); }

// ---- comparison ----
Comparison Compare(const lab::Result& base, const std::string& base_variant, const lab::Result& head,
                   const std::string& head_variant, const Config& config, bool timing) {
  Comparison c;
  c.timing = timing;
  c.base_name = base_variant + "@" + base.commit.substr(0, 10);
  c.head_name = head_variant + "@" + head.commit.substr(0, 10);
  std::map<std::string, const lab::Point*> head_points;
  for (const auto& p : head.points) {
    if (p.variant == head_variant) head_points[PointName(p)] = &p;
  }
  std::map<std::string, bool> seen;
  for (const auto& b : base.points) {
    if (b.variant != base_variant) continue;
    const std::string name = PointName(b);
    auto it = head_points.find(name);
    if (it == head_points.end()) {
      c.missing_in_head.push_back(name);
      continue;
    }
    seen[name] = true;
    const lab::Point& h = *it->second;
    PointDiff d;
    d.workload = b.workload;
    d.label = name.substr(b.workload.size() + 1);
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
    c.points.push_back(d);
  }
  for (const auto& [name, p] : head_points) {
    if (!seen.count(name)) c.new_in_head.push_back(name);
  }
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
  for (const auto& p : c.points) {
    d.regressions += (p.time == Verdict::kRegression) + (p.instr == Verdict::kRegression);
    d.improvements += (p.time == Verdict::kImprovement) + (p.instr == Verdict::kImprovement);
    d.inconclusive += p.time == Verdict::kInconclusive;
  }
  for (const auto& f : c.fastpath) {
    d.regressions += f.verdict == Verdict::kRegression;
    d.improvements += f.verdict == Verdict::kImprovement;
  }
  if (!c.missing_in_head.empty()) {
    d.exit_code = 2;
    d.headline = fmt::format("BAD INPUT: the head result lacks {} point(s) of the base (first: {})",
                             c.missing_in_head.size(), c.missing_in_head.front());
  } else if (c.points.empty()) {
    d.exit_code = 2;
    d.headline = "BAD INPUT: the two results share no point";
  } else if (d.regressions > 0) {
    d.exit_code = 1;
    d.headline = fmt::format("FAIL: {} regression(s)", d.regressions);
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
}  // namespace

std::string RenderTable(const Comparison& c, const Decision& d) {
  std::string s = fmt::format("gate: base {} -> head {}\n\n", c.base_name, c.head_name);
  s += fmt::format("{:<34} {:>10} {:>10} {:>7} {:>8} {:>13} {:>8} {:>8} {:>12}\n", "point", "base", "head",
                   "ratio", "p", "time", "instr b", "instr h", "instructions");
  for (const auto& p : c.points) {
    s += fmt::format("{:<34} {:>10} {:>10} {:>7.3f} {:>8.4f} {:>13} {:>8} {:>8} {:>12}\n",
                     p.workload + " " + p.label, Rate(p.base_median), Rate(p.head_median), p.ratio, p.p,
                     c.timing ? Name(p.time) : "(not judged)", Instr(p.base_instr), Instr(p.head_instr),
                     Name(p.instr));
  }
  for (const auto& f : c.fastpath) {
    s += fmt::format("fast path {:<24} base {:>6} head {:>6.1f} budget {:>4}  {} {}\n", f.metric, Instr(f.base),
                     f.head, f.budget ? fmt::format("{:.0f}", *f.budget) : "-", Name(f.verdict), f.why);
  }
  for (const auto& m : c.missing_in_head) s += "missing in head: " + m + "\n";
  for (const auto& m : c.new_in_head) s += "new in head (not judged): " + m + "\n";
  s += "\n" + d.headline + "\n";
  return s;
}

std::string RenderMarkdown(const Comparison& c, const Decision& d) {
  std::string s = fmt::format("### Allocator regression gate: {}\n\nbase `{}` -> head `{}`\n\n", d.headline,
                              c.base_name, c.head_name);
  s += "| point | base ops/s | head ops/s | ratio | p | time | instr/op base | head | instructions |\n";
  s += "|---|---:|---:|---:|---:|---|---:|---:|---|\n";
  for (const auto& p : c.points) {
    const bool bad = p.time == Verdict::kRegression || p.instr == Verdict::kRegression;
    s += fmt::format("| {}{}{} | {} | {} | {:.3f} | {:.4f} | {} | {} | {} | {} |\n", bad ? "**" : "",
                     p.workload + " " + p.label, bad ? "**" : "", Rate(p.base_median), Rate(p.head_median), p.ratio,
                     p.p, c.timing ? Name(p.time) : "not judged", Instr(p.base_instr), Instr(p.head_instr),
                     Name(p.instr));
  }
  if (!c.fastpath.empty()) {
    s += "\n| fast path | base | head | budget | verdict |\n|---|---:|---:|---:|---|\n";
    for (const auto& f : c.fastpath) {
      s += fmt::format("| tiny {} | {} | {:.1f} | {} | {} {} |\n", f.metric, Instr(f.base), f.head,
                       f.budget ? fmt::format("{:.0f}", *f.budget) : "-", Name(f.verdict), f.why);
    }
  }
  for (const auto& m : c.missing_in_head) s += "\n- missing in head: " + m;
  s += "\n\nThroughput: a regression needs the median ratio below 1 - threshold *and* a Mann-Whitney "
       "test on the interleaved samples to agree. Instructions (callgrind) are compared exactly.\n";
  return s;
}

json RenderJson(const Comparison& c, const Decision& d) {
  json j = {{"base", c.base_name},       {"head", c.head_name},     {"exit_code", d.exit_code},
            {"headline", d.headline},    {"regressions", d.regressions},
            {"improvements", d.improvements}, {"inconclusive", d.inconclusive}, {"timing_judged", c.timing},
            {"missing_in_head", c.missing_in_head}, {"new_in_head", c.new_in_head}};
  j["points"] = json::array();
  for (const auto& p : c.points) {
    json jp = {{"point", p.workload + " " + p.label}, {"base_median", p.base_median},
               {"head_median", p.head_median},        {"ratio", p.ratio},
               {"p_value", p.p},                      {"threshold", p.threshold},
               {"time", Name(p.time)},                {"instructions", Name(p.instr)}};
    jp["base_instructions_per_op"] = p.base_instr ? json(*p.base_instr) : json(nullptr);
    jp["head_instructions_per_op"] = p.head_instr ? json(*p.head_instr) : json(nullptr);
    j["points"].push_back(jp);
  }
  j["fastpath"] = json::array();
  for (const auto& f : c.fastpath) {
    j["fastpath"].push_back({{"metric", f.metric}, {"head", f.head},
                             {"base", f.base ? json(*f.base) : json(nullptr)},
                             {"budget", f.budget ? json(*f.budget) : json(nullptr)},
                             {"verdict", Name(f.verdict)}, {"why", f.why}});
  }
  return j;
}

}  // namespace gate
