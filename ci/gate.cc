// gate — decides whether a change may land.
//
//   bazel run //ci:gate -- --base-config e3 --head-config e2 [--quick]
//   bazel run //ci:gate -- --base-result A.json --head-result B.json
//
// Exit status: 0 pass, 1 regression (throughput, instructions/op or a fast-path budget),
// 2 bad input or a failed build/run (the message names the cause).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ci/compare.h"
#include "harness/machine.h"
#include "harness/result.h"
#include "harness/subprocess.h"

namespace {

constexpr const char* kUsage = R"(usage:
  gate --base REV --head REV [--config CONFIG] [--quick] [--remeasure]
       build both revisions in git worktrees and measure CONFIG (default e3) of each,
       interleaved; a stored baseline of REV for this machine is used unless --remeasure
  gate --base-config CONFIG --head-config CONFIG [--quick] [--no-timing] [--budget-seconds N]
       measure both configs of this tree, interleaved, with the sweep
  gate --base-result FILE --head-result FILE [--base-variant NAME] [--head-variant NAME]
       compare two stored results (e.g. a baseline and a fresh sweep)
options:
  --workloads LIST     what the sweep measures (default random_mixed,size_sweep)
  --quick              CI-sized grid
  --no-timing          judge instructions/op and fast-path budgets only (deterministic)
  --budget-seconds N   while points are inconclusive, measure more rounds up to N seconds (300)
  --gate-config FILE   thresholds (default ci/gate.json)
  --budgets FILE       fast-path instruction budgets (default ci/fastpath_budgets.json; the
                       head's config may have its own under "configs", e.g. e3_safe)
  --no-budgets         judge fast paths relative to the base only (history, bisect: old states
                       never met today's absolute budgets)
  --markdown FILE      write the PR-comment summary there (also appended to $GITHUB_STEP_SUMMARY)
  --json FILE          write the verdict as JSON
Exit status: 0 pass, 1 regression, 2 bad input or failed run.)";

[[noreturn]] void Die(const std::string& msg) {
  fmt::print(stderr, "gate: {}\n", msg);
  std::exit(2);
}

std::string Runfiles(const char* argv0) {
  if (const char* r = getenv("RUNFILES_DIR")) return r;
  return std::string(argv0) + ".runfiles";
}

struct Options {
  std::string base_rev, head_rev, rev_config = "e3";
  bool remeasure = false;
  std::string base_config, head_config, base_result, head_result, base_variant, head_variant;
  std::string workloads = "random_mixed,size_sweep", gate_config, budgets, markdown, json_out;
  bool quick = false, timing = true, no_budgets = false;
  int budget_seconds = 300;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value (try --help)");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      fmt::print("{}\n", kUsage);
      std::exit(0);
    } else if (a == "--base") o.base_rev = val();
    else if (a == "--head") o.head_rev = val();
    else if (a == "--config") o.rev_config = val();
    else if (a == "--remeasure") o.remeasure = true;
    else if (a == "--base-config") o.base_config = val();
    else if (a == "--head-config") o.head_config = val();
    else if (a == "--base-result") o.base_result = val();
    else if (a == "--head-result") o.head_result = val();
    else if (a == "--base-variant") o.base_variant = val();
    else if (a == "--head-variant") o.head_variant = val();
    else if (a == "--workloads") o.workloads = val();
    else if (a == "--gate-config") o.gate_config = val();
    else if (a == "--budgets") o.budgets = val();
    else if (a == "--markdown") o.markdown = val();
    else if (a == "--json") o.json_out = val();
    else if (a == "--quick") o.quick = true;
    else if (a == "--no-timing") o.timing = false;
    else if (a == "--no-budgets") o.no_budgets = true;
    else if (a == "--budget-seconds") {
      const std::string v = val();
      char* end = nullptr;
      o.budget_seconds = int(strtol(v.c_str(), &end, 10));
      if (v.empty() || *end || o.budget_seconds < 0) Die("--budget-seconds needs a number >= 0");
    } else {
      Die("unknown argument '" + a + "' (try --help)");
    }
  }
  const bool configs = !o.base_config.empty() || !o.head_config.empty();
  const bool results = !o.base_result.empty() || !o.head_result.empty();
  const bool revs = !o.base_rev.empty() || !o.head_rev.empty();
  if (int(configs) + int(results) + int(revs) != 1) {
    Die("give one of --base/--head, --base-config/--head-config or --base-result/--head-result (try --help)");
  }
  if (revs && (o.base_rev.empty() || o.head_rev.empty())) Die("--base and --head go together");
  if (configs && (o.base_config.empty() || o.head_config.empty())) Die("--base-config and --head-config go together");
  if (results && (o.base_result.empty() || o.head_result.empty())) Die("--base-result and --head-result go together");
  return o;
}

lab::Result Load(const std::string& path) {
  std::string err;
  auto r = lab::ReadResultFile(path, &err);
  if (!r) Die(err);
  return *r;
}

std::string OnlyVariant(const lab::Result& r, const std::string& asked, const std::string& path) {
  if (!asked.empty()) {
    for (const auto& v : r.variants) {
      if (v.name == asked) return asked;
    }
    Die(fmt::format("{}: has no variant '{}'", path, asked));
  }
  if (r.variants.size() != 1) Die(fmt::format("{}: has {} variants; say which with --base-variant/--head-variant", path, r.variants.size()));
  return r.variants[0].name;
}

// Names of the two sides in the sweep's result: the configs, or config:a / config:b for an A/A run.
std::string BaseLabel(const Options& o) {
  return o.base_config == o.head_config ? o.base_config + ":a" : o.base_config;
}
std::string HeadLabel(const Options& o) {
  return o.base_config == o.head_config ? o.head_config + ":b" : o.head_config;
}

// Runs the sweep (from this binary's runfiles) over `variants` (its --variants syntax).
lab::Result Sweep(const Options& o, const std::string& runfiles, const std::string& variants, int rounds,
                  bool instructions) {
  char tmpl[] = "/tmp/hakmem-gate-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) Die("cannot create a temporary file");
  close(fd);
  const std::string out = tmpl;
  std::vector<std::string> args = {runfiles + "/hakmem_lab/harness/sweep", "--variants", variants,
                                   "--workloads", o.workloads,
                                   "--rounds", std::to_string(rounds), "--out", out,
                                   "--seed", std::to_string(getpid())};
  if (o.quick) args.push_back("--quick");
  if (instructions) args.push_back("--instructions");
  lab::RunSpec spec;
  spec.env = {{"RUNFILES_DIR", runfiles}};
  spec.stderr_through = true;  // progress stays visible; the sweep's table is not the gate's output
  const lab::RunOutput run = lab::RunCommand(args, 0, spec);
  if (run.status != 0) {
    unlink(out.c_str());
    Die(fmt::format("the sweep failed (exit {}): see its message above", run.status));
  }
  lab::Result r = Load(out);
  unlink(out.c_str());
  return r;
}

// Appends b's samples to a's matching points.
void Merge(lab::Result* a, const lab::Result& b) {
  std::map<std::string, lab::Point*> by_key;
  for (auto& p : a->points) by_key[p.Key()] = &p;
  for (const auto& p : b.points) {
    auto it = by_key.find(p.Key());
    if (it == by_key.end()) continue;
    it->second->samples.insert(it->second->samples.end(), p.samples.begin(), p.samples.end());
    lab::Summarize(it->second);
  }
}

// Output of a command (stderr passed through), or Die naming what failed.
std::string Capture(const std::vector<std::string>& argv, const std::string& cwd, const std::string& what) {
  lab::RunSpec spec;
  spec.cwd = cwd;
  spec.stderr_through = true;
  const lab::RunOutput r = lab::RunCommand(argv, 0, spec);
  if (r.status != 0) Die(what + " failed (see above)");
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Checks REV out in a worktree (reused across runs) and builds CONFIG's binaries there.
// Returns that tree's bazel-bin.
std::string BuildRevision(const std::string& ws, const std::string& sha, const std::string& config) {
  const std::string dir = "/tmp/hakmem-gate-trees/" + sha;
  if (access((dir + "/WORKSPACE").c_str(), F_OK) != 0) {
    mkdir("/tmp/hakmem-gate-trees", 0755);
    fmt::print(stderr, "gate: git worktree for {} at {}\n", sha.substr(0, 10), dir);
    Capture({"git", "-C", ws, "worktree", "add", "--detach", dir, sha}, "", "git worktree add " + sha);
  }
  fmt::print(stderr, "gate: building {} of {} (bazel, in {})\n", config, sha.substr(0, 10), dir);
  std::vector<std::string> targets;
  for (const char* p : {"bench_random_mixed", "bench_mt", "alloc_benchmark", "fastpath_probe"}) {
    targets.push_back(fmt::format("//harness:{}.{}", p, config));
  }
  std::vector<std::string> cmd = {"bazel", "build", "--noshow_progress"};
  cmd.insert(cmd.end(), targets.begin(), targets.end());
  cmd.push_back("//tools:variants_json");
  Capture(cmd, dir, "building " + sha.substr(0, 10) + " (does that revision have the lab's variant targets?)");
  return dir + "/bazel-bin";
}

// Measures `variants` with the sweep and compares `base_label` with `head_label`; while points
// are inconclusive and the time budget allows, measures 5 more rounds and merges the samples.
gate::Comparison MeasureAdaptively(const Options& o, const std::string& runfiles, const gate::Config& config,
                                   const std::string& variants, const std::string& base_label,
                                   const std::string& head_label) {
  const auto start = std::chrono::steady_clock::now();
  lab::Result r = Sweep(o, runfiles, variants, o.timing ? 5 : 1, /*instructions=*/true);
  gate::Comparison cmp = gate::Compare(r, base_label, r, head_label, config, o.timing);
  while (o.timing && gate::Decide(cmp).inconclusive > 0) {
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (spent > o.budget_seconds) {
      fmt::print(stderr, "gate: time budget of {}s spent; inconclusive points stay inconclusive\n", o.budget_seconds);
      break;
    }
    fmt::print(stderr, "gate: {} inconclusive point(s): 5 more rounds\n", gate::Decide(cmp).inconclusive);
    Merge(&r, Sweep(o, runfiles, variants, 5, /*instructions=*/false));
    cmp = gate::Compare(r, base_label, r, head_label, config, o.timing);
  }
  return cmp;
}

void WriteOrDie(const std::string& path, const std::string& text) {
  std::string err;
  if (!lab::WriteFileAtomic(path, text, &err)) Die(err);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const std::string runfiles = Runfiles(argv[0]);
  gate::Config config;
  std::string err;
  const std::string gate_json = o.gate_config.empty() ? runfiles + "/hakmem_lab/ci/gate.json" : o.gate_config;
  const std::string budgets = o.budgets.empty() ? runfiles + "/hakmem_lab/ci/fastpath_budgets.json" : o.budgets;
  if (!gate::LoadConfig(gate_json, o.no_budgets ? "" : budgets, &config, &err)) Die(err);
  // Budgets follow the head's config (fastpath_budgets.json "configs"), else the defaults.
  config.budget_config = !o.base_rev.empty() ? o.rev_config : o.head_config;

  gate::Comparison cmp;
  if (!o.base_rev.empty()) {
    const char* ws_env = getenv("BUILD_WORKSPACE_DIRECTORY");
    if (ws_env == nullptr) Die("--base/--head need `bazel run //ci:gate` (BUILD_WORKSPACE_DIRECTORY is unset)");
    const std::string ws = ws_env;
    const std::string base_sha = Capture({"git", "-C", ws, "rev-parse", "--verify", o.base_rev + "^{commit}"}, "",
                                         "resolving --base " + o.base_rev);
    const std::string head_sha = Capture({"git", "-C", ws, "rev-parse", "--verify", o.head_rev + "^{commit}"}, "",
                                         "resolving --head " + o.head_rev);
    const std::string head_bin = BuildRevision(ws, head_sha, o.rev_config);
    const std::string fp = lab::ThisMachine().fingerprint;
    const std::string stored = ws + "/baselines/" + base_sha + "/" + fp + ".json";
    if (!o.remeasure && access(stored.c_str(), F_OK) == 0) {
      // A baseline measured on this machine: measure the head alone and compare with it.
      fmt::print(stderr, "gate: base {}: using the stored baseline {} (same machine; --remeasure to measure it again)\n",
                 base_sha.substr(0, 10), stored);
      lab::Result base = Load(stored);
      lab::Result head = Sweep(o, runfiles, "head=" + o.rev_config + "@" + head_bin, 5, true);
      std::set<std::string> measured;
      for (const auto& p : head.points) measured.insert(gate::PointName(p));
      std::vector<lab::Point> kept;
      for (const auto& p : base.points) {
        if (p.variant == o.rev_config && measured.count(gate::PointName(p))) kept.push_back(p);
      }
      base.points = kept;
      cmp = gate::Compare(base, o.rev_config, head, "head", config, o.timing);
    } else {
      fmt::print(stderr, "gate: base {}: no baseline for this machine ({}): measuring it, interleaved with the head\n",
                 base_sha.substr(0, 10), fp);
      const std::string base_bin = BuildRevision(ws, base_sha, o.rev_config);
      cmp = MeasureAdaptively(o, runfiles, config,
                              "base=" + o.rev_config + "@" + base_bin + ",head=" + o.rev_config + "@" + head_bin,
                              "base", "head");
    }
    cmp.base_name = o.rev_config + "@" + base_sha.substr(0, 10);
    cmp.head_name = o.rev_config + "@" + head_sha.substr(0, 10);
  } else if (!o.base_result.empty()) {
    const lab::Result base = Load(o.base_result), head = Load(o.head_result);
    if (base.machine.fingerprint != head.machine.fingerprint) {
      fmt::print(stderr, "gate: warning: the results come from different machines ({} vs {}): timings are not comparable, "
                 "instruction counts are\n", base.machine.fingerprint, head.machine.fingerprint);
    }
    const std::string head_variant = OnlyVariant(head, o.head_variant, o.head_result);
    config.budget_config = head_variant;
    cmp = gate::Compare(base, OnlyVariant(base, o.base_variant, o.base_result), head, head_variant, config,
                        o.timing);
  } else {
    if (o.base_config == o.head_config) fmt::print(stderr, "gate: A/A run: {} against itself\n", o.base_config);
    fmt::print(stderr, "gate: measuring {} (base) and {} (head) interleaved on this machine\n", o.base_config, o.head_config);
    const std::string variants = BaseLabel(o) + "=" + o.base_config + "," + HeadLabel(o) + "=" + o.head_config;
    cmp = MeasureAdaptively(o, runfiles, config, variants, BaseLabel(o), HeadLabel(o));
  }
  const gate::Decision d = gate::Decide(cmp);
  fmt::print("{}", gate::RenderTable(cmp, d));
  const std::string md = gate::RenderMarkdown(cmp, d);
  if (!o.markdown.empty()) WriteOrDie(o.markdown, md);
  if (const char* summary = getenv("GITHUB_STEP_SUMMARY")) {
    std::ofstream(summary, std::ios::app) << md;
  }
  if (!o.json_out.empty()) WriteOrDie(o.json_out, gate::RenderJson(cmp, d).dump(2) + "\n");
  return d.exit_code;
}
