#include "ci/evidence.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "harness/subprocess.h"

namespace gate {

using nlohmann::json;

// ---- pure steps ----

std::map<std::string, double> ParseStatsLine(const std::string& text) {
  std::map<std::string, double> out;
  const size_t at = text.rfind("hakmem-stats {");
  if (at == std::string::npos) return out;
  const size_t open = text.find('{', at);
  const size_t close = text.find('}', open);
  if (close == std::string::npos) return out;
  try {
    const json j = json::parse(text.substr(open, close - open + 1));
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_number() && it.key() != "pid") out[it.key()] = it.value().get<double>();
    }
  } catch (const std::exception&) {
    out.clear();
  }
  return out;
}

std::vector<RouteShare> DiffRoutes(const std::map<std::string, double>& base, const std::map<std::string, double>& head,
                                   double ops) {
  auto sum = [](const std::map<std::string, double>& m, const char* prefix) {
    double s = 0;
    for (const auto& [k, v] : m) s += k.rfind(prefix, 0) == 0 ? v : 0;
    return s;
  };
  const double bf = sum(base, "free_"), hf = sum(head, "free_"), bm = sum(base, "malloc_"), hm = sum(head, "malloc_");
  std::vector<RouteShare> out;
  std::set<std::string> keys;
  for (const auto& [k, v] : base) keys.insert(k);
  for (const auto& [k, v] : head) keys.insert(k);
  for (const auto& k : keys) {
    const double b = base.count(k) ? base.at(k) : 0, h = head.count(k) ? head.at(k) : 0;
    RouteShare r{k, 0, 0, ""};
    if (k.rfind("free_", 0) == 0) {
      r.base = bf > 0 ? 100 * b / bf : 0, r.head = hf > 0 ? 100 * h / hf : 0, r.unit = "% of frees";
    } else if (k.rfind("malloc_", 0) == 0) {
      r.base = bm > 0 ? 100 * b / bm : 0, r.head = hm > 0 ? 100 * h / hm : 0, r.unit = "% of mallocs";
    } else if (k == "refill" || k == "spill") {
      r.base = ops > 0 ? 1000 * b / ops : 0, r.head = ops > 0 ? 1000 * h / ops : 0, r.unit = "per 1000 ops";
    } else {
      continue;  // superslabs, os_maps, stats_compiled: not routes
    }
    out.push_back(r);
  }
  // Biggest change first.
  std::stable_sort(out.begin(), out.end(), [](const RouteShare& a, const RouteShare& b) {
    return std::fabs(a.head - a.base) > std::fabs(b.head - b.base);
  });
  return out;
}

std::vector<TierMove> DiffTiers(const std::string& point, const std::map<std::string, double>& base,
                                const std::map<std::string, double>& head) {
  std::vector<TierMove> out;
  // A tier only one side reports (a build from before it was counted) is not a move from 0.
  for (const auto& [k, b] : base) {
    auto it = head.find(k);
    if (it != head.end() && it->second != b) out.push_back({point, k, b, it->second});
  }
  std::stable_sort(out.begin(), out.end(), [](const TierMove& a, const TierMove& b) {
    return std::fabs(a.head - a.base) > std::fabs(b.head - b.base);
  });
  return out;
}

// ---- gathering (I/O) ----
namespace {

bool Exists(const std::string& path) { return !path.empty() && access(path.c_str(), R_OK) == 0; }

std::string ProfileFile(const std::string& dir, const std::string& workload, const std::string& label) {
  return lab::ProfileFile(dir, workload + "_" + label);
}

std::optional<rootcause::Profile> Load(const std::string& path, std::vector<std::string>* notes) {
  rootcause::Profile p;
  std::string err;
  if (!rootcause::LoadCallgrind(path, &p, &err)) {
    notes->push_back("profile unreadable: " + err);
    return std::nullopt;
  }
  return p;
}

const lab::Point* Find(const lab::Result* r, const std::string& variant, const std::string& workload,
                       const std::string& params) {
  if (r == nullptr) return nullptr;
  for (const auto& p : r->points) {
    if (p.variant == variant && p.workload == workload && p.ParamString() == params) return &p;
  }
  return nullptr;
}

// Runs one program under callgrind into `out`; false (with a note) when it fails.
bool Profile(const std::vector<std::string>& argv, const std::string& out, std::vector<std::string>* notes) {
  std::vector<std::string> args = {"/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out};
  args.insert(args.end(), argv.begin(), argv.end());
  const lab::RunOutput r = lab::RunCommand(args, 600);
  if (r.status != 0 || !Exists(out)) {
    notes->push_back(fmt::format("callgrind of {} failed: {}", argv[0], lab::LastLine(r.err)));
    return false;
  }
  return true;
}

std::string Pct(double v) { return fmt::format("{:.1f}", v); }
std::string Mib(double bytes) { return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0)); }
std::string TierValue(const std::string& tier, double v) {
  return tier.find("bytes") != std::string::npos ? Mib(v) : fmt::format("{:.0f}", v);
}

}  // namespace

Evidence GatherEvidence(const EvidenceInputs& in) {
  Evidence e;
  e.config = in.config;
  e.base_name = in.cmp->base_name;
  e.head_name = in.cmp->head_name;
  e.headline = Decide(*in.cmp).headline;
  char tmpl[] = "/tmp/hakmem-gate-evidence-XXXXXX";
  const std::string tmp = mkdtemp(tmpl) ? tmpl : "/tmp";

  // 1. Instructions: the profiled point with the largest growth, else the slowest.
  const PointDiff* pick = nullptr;
  double best = 0;
  for (const auto& p : in.cmp->points) {
    if (!Exists(ProfileFile(in.head_profiles, p.workload, p.label)) ||
        !Exists(ProfileFile(in.base_profiles, p.workload, p.label)) || !p.base_instr || !p.head_instr) {
      continue;
    }
    const double growth = *p.head_instr / *p.base_instr;
    if (pick == nullptr || growth > best) pick = &p, best = growth;
  }
  bool instr_moved = pick != nullptr && best > 1.01;
  if (pick != nullptr && !instr_moved) {
    for (const auto& p : in.cmp->points) {
      if (Exists(ProfileFile(in.head_profiles, p.workload, p.label)) && p.ratio < pick->ratio && p.base_instr) pick = &p;
    }
  }
  if (pick != nullptr) {
    e.profiled_point = pick->workload + " " + pick->label;
    auto b = Load(ProfileFile(in.base_profiles, pick->workload, pick->label), &e.notes);
    auto h = Load(ProfileFile(in.head_profiles, pick->workload, pick->label), &e.notes);
    if (b && h) {
      // The sweep profiles min(cycles, 200000) operations of the point.
      const lab::Point* bp = Find(in.base_result, in.base_variant, pick->workload, pick->params);
      const double cycles = bp && bp->params.count("cycles") ? std::min(bp->params.at("cycles"), 200000.0) : 200000.0;
      rootcause::ProfileDiff d = rootcause::DiffProfiles(*b, cycles, *h, cycles);
      d.base_name = e.base_name;
      d.head_name = e.head_name;
      e.svg = rootcause::RenderSvg(d, *h);
      const auto lines = rootcause::Headlines(d);
      for (const auto& line : lines) e.causes.push_back(e.profiled_point + ": " + line);
      // Where in the source the top mover spends its instructions (CodSpeed-style pointer).
      const auto movers = rootcause::TopMovers(d);
      if (!movers.empty() && !movers[0]->hot_line.empty()) {
        e.causes.push_back(fmt::format("{}: hottest line of {}: {} ({:.1f} instr/op in head)", e.profiled_point,
                                       movers[0]->short_name, movers[0]->hot_line, movers[0]->hot_line_per_op));
      }
      const std::string fresh = rootcause::NewOnPathLine(d);
      if (!fresh.empty()) e.causes.push_back(fresh);
      e.profile = std::move(d);
    }
  } else {
    e.notes.push_back("no callgrind profiles of both sides (a stored baseline without profiles, or result files)");
  }

  // 2. Multi-thread throughput without instruction growth: profile one failing multi-thread
  // point of each side (callgrind runs the threads one at a time, so a lock or an atomic on
  // the cross-thread path shows up as the functions it adds).
  const PointDiff* mt = nullptr;
  for (const auto& p : in.cmp->points) {
    if (p.time == Verdict::kRegression && p.workload.rfind("mt_", 0) == 0 && (mt == nullptr || p.ratio < mt->ratio)) {
      mt = &p;
    }
  }
  if (mt != nullptr && !in.base_harness.empty() && !in.head_harness.empty()) {
    const std::string mode = mt->workload.substr(3);
    const std::string bo = tmp + "/base-mt.callgrind", ho = tmp + "/head-mt.callgrind";
    const double ops = 20000;
    auto argv = [&](const std::string& dir, const std::string& cfg) {
      return std::vector<std::string>{dir + "/bench_mt." + cfg, mode, "--threads", "2", "--ops", "20000"};
    };
    if (Profile(argv(in.base_harness, in.base_config), bo, &e.notes) &&
        Profile(argv(in.head_harness, in.head_config), ho, &e.notes)) {
      auto b = Load(bo, &e.notes), h = Load(ho, &e.notes);
      if (b && h) {
        rootcause::ProfileDiff d = rootcause::DiffProfiles(*b, ops, *h, ops);
        d.base_name = e.base_name;
        d.head_name = e.head_name;
        const auto lines = rootcause::Headlines(d);
        for (const auto& line : lines) e.causes.push_back(mt->workload + " " + mt->label + ": " + line);
        if (lines.empty()) {
          e.causes.push_back(mt->workload + " " + mt->label +
                             ": no function gained instructions under callgrind: the time is lost waiting "
                             "(contention, cache misses), not in added code");
        }
        if (!e.profile) {
          e.profiled_point = mt->workload + " " + mt->label;
          e.svg = rootcause::RenderSvg(d, *h);
          e.profile = std::move(d);
        }
      }
    }
  } else if (mt != nullptr) {
    e.notes.push_back("multi-thread regression, but no binaries to profile (result files)");
  }

  // 3. The fast-path stages: one tiny malloc hit and one free hit, per function.
  for (const char* mode : {"malloc", "free"}) {
    const std::string bf = lab::ProfileFile(in.base_profiles, std::string("fastpath_") + mode);
    const std::string hf = lab::ProfileFile(in.head_profiles, std::string("fastpath_") + mode);
    if (!Exists(bf) || !Exists(hf)) continue;
    auto b = Load(bf, &e.notes), h = Load(hf, &e.notes);
    if (!b || !h) continue;
    rootcause::ProfileDiff d = rootcause::DiffProfiles(*b, 100, *h, 100);  // the probe makes 100 calls
    d.base_name = e.base_name;
    d.head_name = e.head_name;
    for (const auto& line : rootcause::Headlines(d)) {
      e.causes.push_back(fmt::format("fast path, one tiny {} hit (per call): {}", mode, line));
    }
    if (std::string(mode) == "malloc") e.fast_malloc = std::move(d);
    else e.fast_free = std::move(d);
  }

  // 4. Routes: the .stats builds on the point the seeds used (ws 1024), once per side.
  if (Exists(in.base_stats_bin) && Exists(in.head_stats_bin)) {
    const double ops = 1000000;
    auto routes = [&](const std::string& bin, const std::string& out) {
      lab::RunSpec spec;
      spec.env = {{"HAKMEM_STATS_DUMP", out}};
      unlink(out.c_str());
      const lab::RunOutput r = lab::RunCommand({bin, "1000000", "1024", "1234567", "--expect", "hakmem"}, 300, spec);
      std::ifstream f(out);
      std::stringstream ss;
      ss << f.rdbuf();
      if (r.status != 0) e.notes.push_back(fmt::format("{} failed: {}", bin, lab::LastLine(r.err)));
      return ParseStatsLine(ss.str());
    };
    const auto b = routes(in.base_stats_bin, tmp + "/base-stats.txt");
    const auto h = routes(in.head_stats_bin, tmp + "/head-stats.txt");
    if (!b.empty() && !h.empty()) {
      e.routes = DiffRoutes(b, h, ops);
      for (const auto& r : e.routes) {
        if (std::fabs(r.head - r.base) >= 1.0 && r.unit != "per 1000 ops") {
          e.causes.push_back(fmt::format("route {}: {}% -> {}% {} (random_mixed ws=1024, .stats build)", r.counter,
                                         Pct(r.base), Pct(r.head), r.unit.substr(2)));
        }
      }
    } else {
      e.routes_note = "the .stats builds printed no counters";
    }
  } else {
    e.routes_note = "no .stats builds of both sides (result files, or a tree older than the .stats targets)";
  }

  // 5. Memory: which tier holds the extra bytes of every memory-failing point.
  for (const auto& p : in.cmp->points) {
    if (p.peak_rss.verdict != Verdict::kRegression && p.rss_after_free.verdict != Verdict::kRegression) continue;
    const std::string name = p.workload + " " + p.label;
    const MemDiff& m = p.rss_after_free.verdict == Verdict::kRegression ? p.rss_after_free : p.peak_rss;
    e.causes.push_back(fmt::format("{}: {} {:.1f} -> {:.1f} MiB", name,
                                   &m == &p.rss_after_free ? "RSS after free" : "peak RSS", *m.base_kb / 1024,
                                   *m.head_kb / 1024));
    const lab::Point* bp = Find(in.base_result, in.base_variant, p.workload, p.params);
    const lab::Point* hp = Find(in.head_result, in.head_variant, p.workload, p.params);
    if (bp == nullptr || hp == nullptr || (bp->tiers.empty() && hp->tiers.empty())) {
      e.notes.push_back(name + ": no tier figures (a peer, or a result without them)");
      continue;
    }
    const auto moves = DiffTiers(name, bp->tiers, hp->tiers);
    for (size_t i = 0; i < moves.size() && i < 3; ++i) {
      e.causes.push_back(fmt::format("{}: tier {} {} -> {}", name, moves[i].tier, TierValue(moves[i].tier, moves[i].base),
                                     TierValue(moves[i].tier, moves[i].head)));
    }
    e.tiers.insert(e.tiers.end(), moves.begin(), moves.end());
  }
  lab::RunCommand({"rm", "-rf", tmp}, 60);
  return e;
}

// ---- rendering ----

std::string RenderEvidenceText(const Evidence& e) {
  std::string s = fmt::format("\nroot cause ({}: {} -> {}):\n", e.config, e.base_name, e.head_name);
  for (const auto& c : e.causes) s += "  - " + c + "\n";
  if (e.causes.empty()) s += "  - nothing moved in the profiles, routes or tiers the gate has\n";
  if (e.profile) s += "\n" + rootcause::RenderTable(*e.profile);
  // Fast-path stage tables only where a stage moved (the causes above name them).
  if (e.fast_free && !rootcause::TopMovers(*e.fast_free).empty()) {
    s += "\nfast path, one tiny free hit (per call):\n" + rootcause::RenderTable(*e.fast_free);
  }
  if (e.fast_malloc && !rootcause::TopMovers(*e.fast_malloc).empty()) {
    s += "\nfast path, one tiny malloc hit (per call):\n" + rootcause::RenderTable(*e.fast_malloc);
  }
  for (const auto& n : e.notes) s += "  (" + n + ")\n";
  return s;
}

std::string RenderEvidenceMarkdown(const Evidence& e) {
  std::string s = fmt::format("\n### Root cause: {} (`{}` -> `{}`)\n\n", e.config, e.base_name, e.head_name);
  for (const auto& c : e.causes) s += "- " + c + "\n";
  if (e.causes.empty()) s += "- nothing moved in the profiles, routes or tiers the gate has\n";
  if (e.profile) s += "\n" + fmt::format("Profile of `{}`:\n\n", e.profiled_point) + rootcause::RenderMarkdown(*e.profile);
  if (e.fast_free || e.fast_malloc) {
    s += "\n#### Fast-path stages (instructions per call of the probe, per function)\n";
    if (e.fast_malloc) s += "\nTiny malloc hit:\n\n" + rootcause::RenderMarkdown(*e.fast_malloc);
    if (e.fast_free) s += "\nTiny free hit:\n\n" + rootcause::RenderMarkdown(*e.fast_free);
  }
  if (!e.routes.empty()) {
    s += "\n#### Routes (random_mixed ws=1024, .stats builds)\n\n| counter | base | head | unit |\n|---|---:|---:|---|\n";
    for (const auto& r : e.routes) s += fmt::format("| {} | {} | {} | {} |\n", r.counter, Pct(r.base), Pct(r.head), r.unit);
  } else if (!e.routes_note.empty()) {
    s += "\nRoutes: " + e.routes_note + "\n";
  }
  if (!e.tiers.empty()) {
    s += "\n#### Memory by tier (after free)\n\n| point | tier | base | head |\n|---|---|---:|---:|\n";
    for (const auto& t : e.tiers) {
      s += fmt::format("| {} | {} | {} | {} |\n", t.point, t.tier, TierValue(t.tier, t.base), TierValue(t.tier, t.head));
    }
  }
  for (const auto& n : e.notes) s += "\n_(" + n + ")_";
  return s + "\n";
}

json RenderEvidenceJson(const Evidence& e) {
  json j = {{"config", e.config}, {"base", e.base_name}, {"head", e.head_name}, {"causes", e.causes},
            {"profiled_point", e.profiled_point}, {"notes", e.notes}, {"routes_note", e.routes_note}};
  j["profile"] = e.profile ? rootcause::RenderJson(*e.profile) : json(nullptr);
  j["fastpath_malloc"] = e.fast_malloc ? rootcause::RenderJson(*e.fast_malloc) : json(nullptr);
  j["fastpath_free"] = e.fast_free ? rootcause::RenderJson(*e.fast_free) : json(nullptr);
  j["routes"] = json::array();
  for (const auto& r : e.routes) j["routes"].push_back({{"counter", r.counter}, {"base", r.base}, {"head", r.head}, {"unit", r.unit}});
  j["tiers"] = json::array();
  for (const auto& t : e.tiers) j["tiers"].push_back({{"point", t.point}, {"tier", t.tier}, {"base", t.base}, {"head", t.head}});
  return j;
}

namespace {
std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}
}  // namespace

std::string RenderEvidenceHtml(const std::vector<Evidence>& reports) {
  std::string s =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>hakmem-lab gate: root cause</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:1300px}pre{background:#f6f6f6;padding:1em;"
      "overflow-x:auto}img{max-width:100%;border:1px solid #ccc}</style></head><body>\n"
      "<h1>Regression gate: root cause</h1>\n";
  for (const auto& e : reports) {
    s += fmt::format("<h2>{}: {} &rarr; {}</h2>\n<p>{}</p>\n<ul>\n", Escape(e.config), Escape(e.base_name),
                     Escape(e.head_name), Escape(e.headline));
    for (const auto& c : e.causes) s += "<li>" + Escape(c) + "</li>\n";
    s += "</ul>\n";
    if (!e.svg.empty()) {
      s += fmt::format("<h3>Differential flame graph of {} (head; red: more instructions per op than base, blue: "
                       "fewer)</h3>\n<img src=\"flame-{}.svg\" alt=\"differential flame graph\">\n",
                       Escape(e.profiled_point), Escape(e.config));
    }
    s += "<pre>" + Escape(RenderEvidenceText(e)) + "</pre>\n";
  }
  return s + "</body></html>\n";
}

}  // namespace gate
