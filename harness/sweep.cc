// sweep — the lab's workhorse: a grid of workloads over several variants, interleaved.
//
//   bazel run //harness:sweep -- --variants e3,e2,system --quick
//
// Every round visits every point, and at each point runs the variants in a freshly shuffled
// order (A B C, C A B, ...), so machine drift hits all variants alike. Every raw sample is kept.
// Writes one JSON result (schema: harness/README.md); --record stores it as a baseline.
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "harness/allocator_probe.h"
#include "harness/cli.h"
#include "harness/csv.h"
#include "harness/interleave.h"
#include "harness/machine.h"
#include "harness/result.h"
#include "harness/stats.h"
#include "harness/store.h"
#include "harness/subprocess.h"
#include "harness/sweep_options.h"
#include "harness/sweep_render.h"

namespace {

using nlohmann::json;
using sweep::Die;
using sweep::GridPoint;
using sweep::Options;







// ---- where things are ----
using lab::RunfilesDir;

// The source tree (`bazel run` sets BUILD_WORKSPACE_DIRECTORY), or "" outside bazel run (tests,
// the gate's self-check), where only --out can say where the result goes.
std::string Workspace() {
  const char* w = getenv("BUILD_WORKSPACE_DIRECTORY");
  return w == nullptr ? "" : w;
}

// ---- running a command with a time limit ----
using lab::LastLine;
using lab::RunOutput;
// preload: LD_PRELOAD of the run (a --peer's library), "" for none.
RunOutput Run(const std::vector<std::string>& argv, int timeout_sec, const std::string& preload = "") {
  lab::RunSpec spec;
  if (!preload.empty()) spec.env.push_back({"LD_PRELOAD", preload});
  return lab::RunCommand(argv, timeout_sec, spec);
}

// The library a variant's runs preload ("" unless it is a --peer).
std::string PreloadOf(const Options& o, const std::string& label) {
  auto it = o.preload_of.find(label);
  return it == o.preload_of.end() ? "" : it->second;
}


// Where a variant's binaries live: this sweep's runfiles, or another tree's bazel-bin.
std::string HarnessDir(const Options& o, const std::string& runfiles, const std::string& label) {
  auto it = o.dir_of.find(label);
  return it != o.dir_of.end() ? it->second + "/harness" : runfiles + "/harness";
}

// The program that runs a workload.
using lab::ProgramOf;

// Workloads whose instructions/op callgrind can count exactly (one thread, a fixed loop).
bool HasInstructions(const std::string& workload) {
  return workload == "random_mixed" || workload == "size_sweep" || workload == "medium_mixed";
}

std::vector<std::string> BenchArgs(const std::string& harness_dir, const std::string& variant,
                                   const GridPoint& p, const std::string& expect) {
  auto num = [&](const char* k) { return fmt::format("{:.0f}", p.params.at(k)); };
  const std::string bin = harness_dir + "/" + ProgramOf(p.workload) + "." + variant;
  if (p.workload == "gbench") {
    return {bin, "--benchmark_format=json", fmt::format("--benchmark_min_time={}", p.params.at("min_time"))};
  }
  if (p.workload.rfind("mem_", 0) == 0) {  // bench_mem MODE --name value ... (names as in params)
    std::vector<std::string> args = {bin, p.workload.substr(4)};
    for (const auto& [k, v] : p.params) {
      std::string flag = "--" + k;
      std::replace(flag.begin(), flag.end(), '_', '-');
      args.push_back(flag);
      args.push_back(lab::ExactNumber(v));
    }
    args.insert(args.end(), {"--json", "--expect", expect});
    return args;
  }
  if (p.workload.rfind("mt_", 0) == 0) {
    return {bin, p.workload.substr(3), "--threads", num("threads"), "--ops", num("ops"),
            "--min-size", num("min_size"), "--max-size", num("max_size"), "--json", "--expect", expect};
  }
  return {bin, num("cycles"), num("ws"), num("seed"), num("min_size"), num("max_size"), "--json", "--expect", expect};
}

// The benchmark's --json record (its last stdout line), or nullopt.
std::optional<json> Record(const std::string& out) {
  try {
    json j = json::parse(LastLine(out));
    if (j.is_object() && j.contains("ops_per_sec")) return j;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Short label of a point for tables and progress: "ws=128" or "size=4096".
std::string Label(const GridPoint& g) { return lab::PointLabel(g.workload, g.params); }

// Runs argv under callgrind with extra options and returns the collected instruction total,
// or -1 (with *err set) when the run or the output file fails.
double CallgrindTotal(const std::vector<std::string>& argv, const std::vector<std::string>& opts,
                      int timeout_sec, std::string* err, const std::string& keep_as = "",
                      const std::string& preload = "") {
  const std::string out = fmt::format("/tmp/hakmem-sweep-cg.{}", getpid());
  lab::RemoveAtExit(out);  // an interrupted valgrind leaves it behind
  std::vector<std::string> args = {"/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out};
  args.insert(args.end(), opts.begin(), opts.end());
  args.insert(args.end(), argv.begin(), argv.end());
  const RunOutput r = Run(args, timeout_sec, preload);  // valgrind hands LD_PRELOAD on to the program
  std::ifstream f(out);
  std::string line;
  double total = -1;
  while (std::getline(f, line)) {
    if (line.rfind("totals:", 0) == 0 || line.rfind("summary:", 0) == 0) {
      total = std::stod(line.substr(line.find(':') + 1));
    }
  }
  // --profiles keeps the whole profile (per-function costs, call graph) for the gate's
  // root-cause report; otherwise only the total was wanted.
  if (keep_as.empty() || rename(out.c_str(), keep_as.c_str()) != 0) unlink(out.c_str());
  if (r.status != 0 || total < 0) {
    *err = r.timed_out ? "timed out" : LastLine(r.err);
    return -1;
  }
  return total;
}

// Where --profiles keeps one callgrind profile ("" without --profiles).
std::string ProfilePath(const Options& o, const std::string& variant, std::string name) {
  if (o.profiles.empty()) return "";
  const std::string dir = o.profiles + "/" + variant;
  mkdir(o.profiles.c_str(), 0755);
  mkdir(dir.c_str(), 0755);
  return lab::ProfileFile(dir, name);
}

using sweep::Human;

std::string Clock(double s) {
  const int t = int(s + 0.5);
  return t >= 60 ? fmt::format("{}m{:02d}s", t / 60, t % 60) : fmt::format("{}s", t);
}

tm UtcTm() {
  const time_t t = time(nullptr);
  tm g{};
  gmtime_r(&t, &g);
  return g;
}
std::string IsoNow() {  // 2026-11-22T03:00:00Z
  const tm g = UtcTm();
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", g.tm_year + 1900, g.tm_mon + 1,
                     g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec);
}
std::string StampNow() {  // 20261122T030000Z
  const tm g = UtcTm();
  return fmt::format("{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z", g.tm_year + 1900, g.tm_mon + 1,
                     g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec);
}

std::string KeyOf(const GridPoint& g, const std::string& variant) {
  lab::Point p;
  p.workload = g.workload;
  p.params = g.params;
  p.variant = variant;
  return p.Key();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = sweep::Parse(argc, argv);
  lab::InstallInterruptHandlers();
  const std::string ws_dir = Workspace();
  if (ws_dir.empty() && (o.out.empty() || o.record)) {
    Die(2, "run me with `bazel run //harness:sweep` (BUILD_WORKSPACE_DIRECTORY is unset), or give --out and no --record");
  }
  const std::string rf = RunfilesDir(argv[0]) + "/hakmem_lab";

  // What each variant must be: peers by name, hakmem configs by their switch string.
  json variants_json;
  {
    std::ifstream f(rf + "/tools/variants.json");
    if (!f) Die(2, "cannot read tools/variants.json from runfiles");
    f >> variants_json;
  }
  // "shipped" names the release default of variants.bzl (what libhakmem.so builds).
  const std::string shipped = variants_json.value("shipped", "");
  for (auto& label : o.variants) {
    if (o.config_of.at(label) != "shipped" || shipped.empty()) continue;
    if (label == "shipped") {
      o.config_of.erase(label);
      if (o.dir_of.count("shipped")) o.dir_of[shipped] = o.dir_of["shipped"], o.dir_of.erase("shipped");
      label = shipped;
    }
    o.config_of[label] = shipped;
  }
  std::map<std::string, std::string> expect_switches;
  for (const auto& v : variants_json["variants"]) expect_switches[v["name"]] = v["variant_string"];
  std::set<std::string> peers;
  for (const auto& p : variants_json["peers"]) peers.insert(p.get<std::string>());
  for (const auto& label : o.variants) {
    const std::string& v = o.config_of.at(label);
    if (expect_switches.count(v) == 0 && peers.count(v) == 0) {
      std::string known;
      for (const auto& [k, _] : expect_switches) known += k + " ";
      for (const auto& k : peers) known += k + " ";
      Die(2, fmt::format("unknown variant '{}'; known: {}", v, known));
    }
  }
  // --peer: each library must be a loadable shared library of this machine; it is recorded by
  // path, soname and hash, and its runs must be served by it (the probe's other:<soname>).
  std::map<std::string, lab::Preload> preloads;  // label -> library
  for (const auto& name : o.peer_labels) {
    if (expect_switches.count(name) || peers.count(name)) {
      Die(2, "--peer " + name + ": a config has that name; pick another NAME");
    }
    lab::Preload pl;
    pl.path = o.preload_of.at(name);
    std::string why;
    if (access(pl.path.c_str(), F_OK) != 0) Die(2, "--peer " + name + ": " + pl.path + ": no such file");
    if (!lab::ReadElfSoname(pl.path, &pl.soname, &why)) Die(2, "--peer " + name + ": not loadable: " + why);
    const RunOutput h = Run({"/usr/bin/sha256sum", "--", pl.path}, 60);
    pl.sha256 = h.out.substr(0, 64);
    if (h.status != 0 || pl.sha256.size() != 64) {
      Die(2, "--peer " + name + ": cannot hash " + pl.path + ": " + LastLine(h.err));
    }
    preloads[name] = pl;
  }
  // What --expect a variant's runs pass: a peer's name, a --peer's other:<soname>, else hakmem.
  auto expect_of = [&](const std::string& label) -> std::string {
    auto it = preloads.find(label);
    if (it != preloads.end()) {
      char real[PATH_MAX];
      const std::string& path = it->second.path;
      return lab::OtherAllocatorName(it->second.soname, realpath(path.c_str(), real) ? real : path);
    }
    const std::string& cfg = o.config_of.at(label);
    return peers.count(cfg) ? cfg : "hakmem";
  };

  lab::Result result;
  result.started_at = IsoNow();
  result.run_kind = o.quick ? "quick" : "full";
  result.machine = lab::ThisMachine();
  if (!ws_dir.empty()) {
    result.commit = Trim(Run({"/usr/bin/git", "-C", ws_dir, "rev-parse", "HEAD"}, 30).out);
    result.dirty = !Trim(Run({"/usr/bin/git", "-C", ws_dir, "status", "--porcelain", "--untracked-files=no"}, 30).out).empty();
  }
  if (!o.commit.empty()) {
    if (o.record) Die(2, "--commit goes without --record (//tools:backfill stores what it measures)");
    result.commit = o.commit;  // binaries of another tree: their commit, never this tree's state
    result.dirty = false;
  }
  if (result.commit.empty()) result.commit = "unknown";
  result.bazel_version = Trim(Run({"/usr/bin/dpkg-query", "-W", "-f=${Package} ${Version}", "bazel-bootstrap"}, 30).out);
  result.flags = "bazel -c opt: -O2 -fno-omit-frame-pointer -g1 (.bazelrc)";

  if (o.record && result.dirty && !o.allow_dirty) {
    Die(2, "--record refuses a tree with uncommitted changes (commit first, or --allow-dirty)");
  }
  // Where the result goes, checked now: a finished sweep must never fail for want of a directory.
  std::string out = lab::UserPath(o.out);
  if (out.empty()) {
    mkdir((ws_dir + "/results").c_str(), 0755);
    out = fmt::format("{}/results/sweep-{}-{}.json", ws_dir, StampNow(), getpid());
  }
  {
    std::string why;
    if (!lab::CheckWritable(out, &why)) Die(2, "--out " + why);
    if (!o.csv.empty() && !lab::CheckWritable(o.csv, &why)) Die(2, "--csv " + why);
  }
  // Google Benchmark's raw output per variant, all rounds as repetitions (compare.py reads it).
  std::map<std::string, json> gbench_raw;
  const std::string out_stem = out.size() > 5 && out.substr(out.size() - 5) == ".json" ? out.substr(0, out.size() - 5) : out;
  // --record: the store's entry of this commit (series commits, this run's kind), checked now too.
  const lab::BaselineStore store(lab::BaselineRoot(ws_dir), result.machine);
  std::string baseline_path;
  if (o.record) {
    std::string why;
    baseline_path = store.Path(result.machine.fingerprint, result.run_kind, "commits", result.commit, &why);
    if (baseline_path.empty()) Die(2, "--record: " + why);
    if (!o.force && access(baseline_path.c_str(), F_OK) == 0) {
      Die(2, baseline_path + " exists (use --force to replace it)");
    }
    if (!lab::CheckWritable(baseline_path, &why, /*create_dirs=*/true)) Die(2, "--record " + why);
  }

  // Check every binary is there and is what it claims before measuring anything.
  for (const auto& label : o.variants) {
    const std::string& v = o.config_of.at(label);
    const std::string hdir = HarnessDir(o, rf, label);
    std::set<std::string> programs = {"bench_random_mixed"};  // the probe below runs it
    for (const auto& w : o.workloads) programs.insert(ProgramOf(w));
    for (const auto& program : programs) {
      const std::string b = hdir + "/" + program + "." + v;
      if (access(b.c_str(), X_OK) != 0) {
        Die(2, fmt::format("no {} binary for variant {}: {} (a tree older than the workload{}?)", program, label, b,
                           o.dir_of.count(label) ? "" : " or a stale build"));
      }
    }
    const std::string bin = hdir + "/bench_random_mixed." + v;
    const std::string expect = expect_of(label);
    const RunOutput r = Run({bin, "1000", "16", "1", "--json", "--expect", expect}, o.timeout_sec, PreloadOf(o, label));
    if (r.status != 0 && preloads.count(label)) {
      // A preload the loader ignored says why on the line before the probe's refusal.
      const size_t ld = r.err.find("ld.so: ");
      const std::string loader = ld == std::string::npos ? "" : r.err.substr(ld, r.err.find('\n', ld) - ld) + "; ";
      Die(2, fmt::format("--peer {}: {}{}", label, loader, LastLine(r.err)));
    }
    if (r.status != 0) Die(2, fmt::format("variant {}: {}", v, LastLine(r.err)));
    const auto parsed = Record(r.out);
    if (!parsed) Die(2, fmt::format("variant {}: no JSON record in its output", v));
    const json& rec = *parsed;
    lab::VariantInfo info{label, rec["allocator"], rec["variant"], rec["compiler"]};
    if (preloads.count(label)) info.preload = preloads.at(label);
    // A binary from another tree is checked against that tree's own variants.bzl.
    std::string want = expect_switches[v];
    if (o.dir_of.count(label)) {
      std::ifstream f(o.dir_of.at(label) + "/tools/variants.json");
      json other;
      try {
        f >> other;
      } catch (const std::exception&) {
        Die(2, "variant " + label + ": cannot read " + o.dir_of.at(label) + "/tools/variants.json");
      }
      for (const auto& ov : other["variants"]) {
        if (ov["name"] == v) want = ov["variant_string"];
      }
    }
    if (expect == "hakmem" && info.switches != want) {
      Die(2, fmt::format("variant {}: binary reports switches '{}' but variants.bzl says '{}'", label,
                         info.switches, want));
    }
    result.variants.push_back(info);
  }

  const std::vector<GridPoint> grid = sweep::Grid(o);
  std::map<std::string, lab::Point> points;  // key -> point
  struct Readings {
    std::vector<double> peak, after_free, p99;  // one per round
  };
  std::map<std::string, Readings> readings;  // key -> per-round memory and latency readings
  std::vector<std::string> order;
  for (const auto& g : grid) {
    if (g.workload == "gbench") continue;  // its points appear when the first run reports them
    for (const auto& v : o.variants) {
      lab::Point p;
      p.workload = g.workload;
      p.params = g.params;
      p.variant = v;
      p.label = lab::PointLabel(g.workload, g.params);
      order.push_back(p.Key());
      points[p.Key()] = p;
    }
  }

  const size_t single_thread_points = size_t(std::count_if(grid.begin(), grid.end(), [](const GridPoint& g) {
    return HasInstructions(g.workload);
  }));
  const size_t total = size_t(o.rounds) * grid.size() * o.variants.size() +
                       (o.instructions ? (single_thread_points + size_t(o.rounds)) * o.variants.size() : 0);
  for (const auto& v : o.variants) {
    if (o.instructions && access((HarnessDir(o, rf, v) + "/fastpath_probe." + o.config_of.at(v)).c_str(), X_OK) != 0) {
      Die(2, "no fastpath_probe binary for variant " + v);
    }
  }
  size_t done = 0;
  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  };
  auto progress = [&](const std::string& what) {
    ++done;
    const double e = elapsed();
    fmt::print(stderr, "[{:>4}/{}] {:<58} elapsed {:>6}  eta {:>6}\n", done, total, what, Clock(e),
               Clock(e / double(done) * double(total - done)));
  };
  auto fail = [&](const std::string& why) {
    result.complete = false;
    if (lab::Interrupted()) {  // the run failed because we were interrupted: say that, once
      result.incomplete_reason = fmt::format("interrupted ({}) after {} of {} runs", lab::InterruptName(), done, total);
      return;
    }
    result.incomplete_reason = why;
    fmt::print(stderr, "sweep: {}\n", why);
  };

  std::mt19937_64 rng(o.seed);
  if (lab::Interrupted()) fail("interrupted");  // during the checks above
  for (int round = 0; round < o.rounds && result.complete; ++round) {
    for (const auto& g : grid) {
      for (const auto& v : lab::ShuffledRound(o.variants, rng)) {
        if (g.workload == "gbench") {
          const std::string& cfg = o.config_of.at(v);
          const std::string expect =
              preloads.count(v) ? expect_of(v) : peers.count(cfg) ? (cfg == "system" ? "glibc" : cfg) : "hakmem";
          const RunOutput r = Run(BenchArgs(HarnessDir(o, rf, v), o.config_of.at(v), g, expect), o.timeout_sec, PreloadOf(o, v));
          json d;
          try {
            d = json::parse(r.out);
          } catch (const std::exception&) {
          }
          if (r.timed_out || r.status != 0 || !d.is_object() || !d.contains("benchmarks")) {
            fail(fmt::format("gbench variant {} round {}: {}", v, round + 1,
                             r.timed_out ? "timed out" : "exit " + std::to_string(r.status) + ": " + LastLine(r.err)));
            break;
          }
          const json& ctx = d["context"];
          if (ctx.value("allocator", "") != expect || ctx.value("owns_malloc", "") != "true") {
            fail(fmt::format("gbench variant {}: malloc is served by {}, not {}", v, ctx.value("allocator", "?"), expect));
            break;
          }
          json& raw = gbench_raw[v];
          if (raw.is_null()) raw = {{"context", d["context"]}, {"benchmarks", json::array()}};
          for (json b : d["benchmarks"]) {
            b["repetition_index"] = round;
            b["repetitions"] = o.rounds;
            raw["benchmarks"].push_back(b);
          }
          size_t n_bench = 0;
          for (const auto& b : d["benchmarks"]) {
            if (b.value("run_type", "") != "iteration" || !b.contains("items_per_second")) continue;
            const std::string name = b["name"];  // BM_X/arg
            const size_t slash = name.find('/');
            lab::Point q;
            q.workload = "gbench/" + name.substr(0, slash);
            if (slash != std::string::npos) q.params["arg"] = std::stod(name.substr(slash + 1));
            q.variant = v;
            const std::string key = q.Key();
            if (points.count(key) == 0) {
              points[key] = q;
              order.push_back(key);
            }
            points[key].samples.push_back(b["items_per_second"].get<double>());
            ++n_bench;
          }
          progress(fmt::format("r{} gbench {}: {} benchmarks", round + 1, v, n_bench));
          continue;
        }
        lab::Point& p = points[KeyOf(g, v)];
        const std::string& cfg = o.config_of.at(v);
        const RunOutput r = Run(BenchArgs(HarnessDir(o, rf, v), cfg, g, expect_of(v)), o.timeout_sec, PreloadOf(o, v));
        if (r.timed_out || r.status != 0) {
          fail(fmt::format("{} {} variant {} round {}: {}", g.workload, p.ParamString(), v, round + 1,
                           r.timed_out ? fmt::format("timed out after {}s", o.timeout_sec)
                                       : fmt::format("exit {}: {}", r.status, LastLine(r.err))));
          break;
        }
        const auto parsed = Record(r.out);
        if (!parsed) {
          fail(fmt::format("{} {} variant {}: no JSON record in its output", g.workload, p.ParamString(), v));
          break;
        }
        const json& rec = *parsed;
        p.samples.push_back(rec["ops_per_sec"].get<double>());
        // Memory: one reading per round; the point keeps the median (RSS barely varies, and a
        // single odd round must not decide a memory verdict).
        Readings& rd = readings[KeyOf(g, v)];
        if (rec.contains("peak_rss_kb") && rec["peak_rss_kb"].is_number()) rd.peak.push_back(rec["peak_rss_kb"].get<double>());
        if (rec.contains("rss_after_free_kb") && rec["rss_after_free_kb"].is_number()) {
          rd.after_free.push_back(rec["rss_after_free_kb"].get<double>());
        }
        if (rec.contains("p99_batch_ns_per_op") && rec["p99_batch_ns_per_op"].is_number()) {
          rd.p99.push_back(rec["p99_batch_ns_per_op"].get<double>());
        }
        if (rec.contains("tiers") && rec["tiers"].is_object()) {
          p.tiers.clear();
          for (auto it = rec["tiers"].begin(); it != rec["tiers"].end(); ++it) {
            if (it.value().is_number()) p.tiers[it.key()] = it.value().get<double>();
          }
        }
        progress(fmt::format("r{} {} {} {}: {}", round + 1, g.workload, Label(g), v, Human(p.samples.back())));
      }
      if (!result.complete) break;
    }
  }

  if (o.instructions && result.complete) {
    // Instructions per operation of each point (deterministic), on a shorter run.
    for (const auto& g : grid) {
      for (const auto& v : o.variants) {
        // Only single-thread loops have a deterministic count: threads interleave, gbench picks
        // its own iterations, the memory workloads are sized in bytes.
        if (!HasInstructions(g.workload)) continue;
        lab::Point& p = points[KeyOf(g, v)];
        GridPoint small = g;
        small.params["cycles"] = std::min(g.params.at("cycles"), 200000.0);
        std::string err;
        const std::string& cfg = o.config_of.at(v);
        const double ir = CallgrindTotal(BenchArgs(HarnessDir(o, rf, v), cfg, small, expect_of(v)),
                                         {"--instr-atstart=no"}, o.timeout_sec * 20, &err,
                                         ProfilePath(o, v, g.workload + "_" + Label(g)), PreloadOf(o, v));
        if (ir < 0) {
          fail(fmt::format("callgrind on {} {}: {}", v, Label(g), err));
          break;
        }
        p.instructions_per_op = ir / small.params["cycles"];
        progress(fmt::format("callgrind {} {} {}: {:.1f} instr/op", g.workload, Label(g), v, *p.instructions_per_op));
      }
      if (!result.complete) break;
    }
    // One tiny malloc hit and one tiny free hit: toggled windows minus an empty window.
    for (const auto& v : o.variants) {
      if (!result.complete) break;
      const std::string probe = HarnessDir(o, rf, v) + "/fastpath_probe." + o.config_of.at(v);
      double totals[3];
      const char* modes[3] = {"empty", "malloc", "free"};
      for (int m = 0; m < 3 && result.complete; ++m) {
        std::string err;
        totals[m] = CallgrindTotal({probe, modes[m], "100"}, {"--collect-atstart=no"}, o.timeout_sec * 20, &err,
                                   ProfilePath(o, v, std::string("fastpath_") + modes[m]), PreloadOf(o, v));
        if (totals[m] < 0) fail(fmt::format("fastpath_probe {} {}: {}", v, modes[m], err));
      }
      if (!result.complete) break;
      // Per call the count is a whole number; a stray instruction of the loop around 100 calls
      // must not make 20 into 20.01 and fail a budget of 20.
      result.fastpath[v]["malloc_hit"] = std::round((totals[1] - totals[0]) / 100);
      result.fastpath[v]["free_hit"] = std::round((totals[2] - totals[0]) / 100);
    }
  }

  if (o.instructions && result.complete) {
    // The same hits timed with the TSC (the seeds' claims are in cycles), natively: one probe
    // run per variant per round, variants shuffled, medians kept. A timing, so as noisy as one.
    std::map<std::string, std::map<std::string, std::vector<double>>> ticks;
    for (int round = 0; round < o.rounds && result.complete; ++round) {
      for (const auto& v : lab::ShuffledRound(o.variants, rng)) {
        const std::string probe = HarnessDir(o, rf, v) + "/fastpath_probe." + o.config_of.at(v);
        const RunOutput r = Run({probe, "cycles"}, o.timeout_sec, PreloadOf(o, v));
        json rec;
        try {
          rec = json::parse(LastLine(r.out));
        } catch (const std::exception&) {
        }
        if (r.status != 0 || !rec.is_object() || !rec.contains("free_hit_cycles")) {
          // An older tree's probe has no cycles mode: its result simply lacks the figure.
          if (r.status == 2 && !lab::Interrupted()) break;
          fail(fmt::format("fastpath_probe {} cycles: {}", v, r.timed_out ? "timed out" : LastLine(r.err)));
          break;
        }
        ticks[v]["malloc_hit"].push_back(rec["malloc_hit_cycles"].get<double>());
        ticks[v]["free_hit"].push_back(rec["free_hit_cycles"].get<double>());
        if (rec.contains("clock") && rec["clock"].is_string()) result.fastpath_cycles_clock = rec["clock"];
        progress(fmt::format("r{} fastpath cycles {}: malloc {:.1f}, free {:.1f} ticks", round + 1, v,
                             ticks[v]["malloc_hit"].back(), ticks[v]["free_hit"].back()));
      }
    }
    for (const auto& [v, m] : ticks) {
      for (const auto& [k, xs] : m) result.fastpath_cycles[v][k] = lab::Median(xs);
    }
  }

  for (const auto& k : order) {
    lab::Point& p = points[k];
    if (p.samples.empty()) continue;  // a partial result keeps only measured points
    lab::Summarize(&p);
    const Readings& rd = readings[k];
    if (!rd.peak.empty()) p.peak_rss_kb = lab::Median(rd.peak);
    if (!rd.after_free.empty()) p.rss_after_free_kb = lab::Median(rd.after_free);
    p.peak_rss_samples_kb = rd.peak;
    p.rss_after_free_samples_kb = rd.after_free;
    if (!rd.p99.empty()) p.p99_ns_per_op = lab::Median(rd.p99);
    result.points.push_back(p);
  }

  fmt::print("{}", sweep::RenderTables(result, o.variants, o.rounds, o.instructions));

  // Write the result (and the baseline).
  std::string err;
  const std::string text = lab::ToJson(result).dump(1) + "\n";
  if (!lab::WriteFileAtomic(out, text, &err)) Die(3, err);
  for (const auto& [v, raw] : gbench_raw) {
    if (!lab::WriteFileAtomic(out_stem + ".gbench-" + v + ".json", raw.dump(1) + "\n", &err)) Die(3, err);
  }
  if (!o.csv.empty() && !lab::WriteFileAtomic(o.csv, lab::ResultCsv(result), &err)) Die(3, err);
  if (lab::Interrupted()) {
    fmt::print(stderr, "sweep: {}; the partial result ({} points) is kept at {}, marked incomplete, never recorded\n",
               result.incomplete_reason, result.points.size(), out);
    return lab::kInterruptedExit;
  }
  fmt::print("result: {}{}\n", out, result.complete ? "" : " (INCOMPLETE)");
  if (!result.complete) {
    if (o.record) fmt::print(stderr, "sweep: not recorded as a baseline: the result is incomplete\n");
    return 3;
  }
  if (o.record) {
    // Without --force the baseline is created only if absent, atomically: of two sweeps
    // recording the same commit at once, one wins and the other keeps its result at `out`.
    const auto put = store.Put(result, text, "commits", result.commit, o.force, &baseline_path, &err);
    if (put == lab::BaselineStore::PutStatus::kExists) {
      Die(2, err + " (another sweep recorded this commit since this one started); this result is kept at " + out);
    }
    if (put != lab::BaselineStore::PutStatus::kOk) Die(3, err + "; this result is kept at " + out);
    fmt::print("baseline: {}\n", baseline_path);
  }
  return 0;
}
