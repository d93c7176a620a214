// gate — decides whether a change may land, and says why when it may not.
//
//   bazel run //ci:gate -- --base main --head HEAD            (the shipped build, by default)
//   bazel run //ci:gate -- --base-config e3 --head-config e2 [--quick]
//   bazel run //ci:gate -- --base-result A.json --head-result B.json
//
// Exit status: 0 pass, 1 regression (throughput, instructions/op, memory or a fast-path budget),
// 2 bad input or a failed build/run (the message names the cause).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ci/compare.h"
#include "ci/evidence.h"
#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/result.h"
#include "harness/store.h"
#include "harness/stats.h"
#include "harness/subprocess.h"

namespace {

using nlohmann::json;

constexpr const char* kUsage = R"(usage:
  gate --base REV --head REV [--config A,B] [--quick] [--remeasure] [--allow-dirty]
       build both revisions in git worktrees and measure each config of each, interleaved
       (default: the shipped build, the config of //allocator:libhakmem.so in variants.bzl);
       a stored baseline of REV for this machine and run kind (--quick or not) is used when
       it covers everything the head measures, else the base is measured too
  gate --base-config CONFIG --head-config CONFIG [--quick] [--no-timing] [--budget-seconds N]
       measure both configs of this tree, interleaved, with the sweep
  gate --base-result FILE --head-result FILE [--base-variant NAME] [--head-variant NAME]
       compare two stored results (e.g. a baseline and a fresh sweep)
  gate --build-only REV [--config A] [--workloads LIST]
       build REV's binaries in its cached worktree, as --base/--head would, and print one JSON
       object: commit, config, tree, bin_dir (for the sweep's LABEL=CONFIG@DIR), the programs
       built and each one's sha256 (//tools:backfill uses it to spot byte-identical builds)
options:
  --workloads LIST     what the sweep measures (default: the PR grid, random_mixed,size_sweep,
                       mt_prodcons,mt_larson,mt_churn,mem_liveset,mem_prodcons_long,mem_thread_churn,
                       medium_mixed,mem_large_churn,mem_realloc_grow)
  --quick              CI-sized grid
  --no-timing          judge instructions/op, memory and fast-path budgets only
  --budget-seconds N   while points are inconclusive, measure more rounds up to N seconds (300)
  --allow-dirty        --head naming the checked-out commit of a tree with uncommitted changes:
                       measure HEAD plus those changes (labelled HEAD+dirty) instead of refusing
  --gate-config FILE   thresholds (default ci/gate.json)
  --budgets FILE       fast-path instruction budgets (default ci/fastpath_budgets.json; the
                       head's config may have its own under "configs", e.g. e3_safe)
  --no-budgets         judge fast paths relative to the base only (history, bisect: old states
                       never met today's absolute budgets)
  --markdown FILE      write the PR-comment summary there (also appended to $GITHUB_STEP_SUMMARY)
  --json FILE          write the verdict as JSON (with the root-cause report of a FAIL)
  --csv FILE           write one row per point and config (medians, ratio, p, every metric's
                       base/head value and verdict)
  --report DIR         write the root-cause report there (report.md, report.json, one SVG
                       differential flame graph per failing config, index.html); default with
                       --base/--head or configs: results/gate-<base>-<head>/ in the tree
Relative paths are taken from the directory you run `bazel run` in. Ctrl-C stops the sweep
or build it runs (a partial sweep is never judged), removes temporary files, exits 130.
Exit status: 0 pass, 1 regression, 2 bad input or failed run, 130 interrupted.)";

[[noreturn]] void Die(const std::string& msg) { lab::Die("gate", 2, msg, "; no verdict"); }

std::string Runfiles(const char* argv0) { return lab::RunfilesDir(argv0); }

const char* const kPrGrid =
    "random_mixed,size_sweep,mt_prodcons,mt_larson,mt_churn,mem_liveset,mem_prodcons_long,mem_thread_churn,"
    "medium_mixed,mem_large_churn,mem_realloc_grow";

struct Options {
  std::string base_rev, head_rev;
  std::vector<std::string> rev_configs;  // empty: the shipped build
  bool remeasure = false, allow_dirty = false;
  std::string base_config, head_config, base_result, head_result, base_variant, head_variant;
  std::string workloads = kPrGrid, gate_config, budgets, markdown, json_out, csv_out, report_dir, build_only;
  bool quick = false, timing = true, no_budgets = false;
  int budget_seconds = 300;
};

using lab::SplitList;

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
    else if (a == "--config") {
      o.rev_configs = SplitList(val());
      if (o.rev_configs.empty()) Die("--config needs at least one config name");
    } else if (a == "--remeasure") o.remeasure = true;
    else if (a == "--allow-dirty") o.allow_dirty = true;
    else if (a == "--base-config") o.base_config = val();
    else if (a == "--head-config") o.head_config = val();
    else if (a == "--base-result") o.base_result = lab::UserPath(val());
    else if (a == "--head-result") o.head_result = lab::UserPath(val());
    else if (a == "--base-variant") o.base_variant = val();
    else if (a == "--head-variant") o.head_variant = val();
    else if (a == "--workloads") o.workloads = val();
    else if (a == "--gate-config") o.gate_config = lab::UserPath(val());
    else if (a == "--budgets") o.budgets = lab::UserPath(val());
    else if (a == "--markdown") o.markdown = lab::UserPath(val());
    else if (a == "--json") o.json_out = lab::UserPath(val());
    else if (a == "--csv") o.csv_out = lab::UserPath(val());
    else if (a == "--build-only") o.build_only = val();
    else if (a == "--report") o.report_dir = lab::UserPath(val());
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
  const bool build = !o.build_only.empty();
  if (int(configs) + int(results) + int(revs) + int(build) != 1) {
    Die("give one of --base/--head, --base-config/--head-config, --base-result/--head-result or --build-only "
        "(try --help)");
  }
  if (build && o.rev_configs.size() > 1) Die("--build-only builds one config");
  if (revs && (o.base_rev.empty() || o.head_rev.empty())) Die("--base and --head go together");
  if (configs && (o.base_config.empty() || o.head_config.empty())) Die("--base-config and --head-config go together");
  if (results && (o.base_result.empty() || o.head_result.empty())) Die("--base-result and --head-result go together");
  if (!revs && !build && !o.rev_configs.empty()) Die("--config goes with --base/--head (use --base-config/--head-config here)");
  if (!revs && o.allow_dirty) Die("--allow-dirty goes with --base/--head");
  // Every output is checked before anything is measured: a finished run must not be lost.
  for (const std::string* out : {&o.markdown, &o.json_out, &o.csv_out}) {
    std::string why;
    if (!out->empty() && !lab::CheckWritable(*out, &why)) Die(why);
  }
  if (!o.report_dir.empty()) {
    struct stat st {};
    std::string why;
    const bool is_dir = stat(o.report_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (is_dir ? access(o.report_dir.c_str(), W_OK) != 0 : !lab::CheckWritable(o.report_dir, &why)) {
      Die("--report " + (why.empty() ? o.report_dir + ": not writable" : why));
    }
  }
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

// One side of one comparison: the sweep's label for it, the config, the tree its binaries
// come from ("" = this gate's runfiles).
struct Side {
  std::string label, config, tree;
  std::string Spec() const { return label + "=" + config + (tree.empty() ? "" : "@" + tree + "/bazel-bin"); }
  // Directory holding harness/<program>.<config>.
  std::string BinDir(const std::string& runfiles) const {
    return tree.empty() ? runfiles + "/hakmem_lab" : tree + "/bazel-bin";
  }
  // Its route-counter build (the root-cause report runs it).
  std::string StatsBin(const std::string& runfiles) const {
    return BinDir(runfiles) + "/harness/bench_random_mixed." + config + ".stats";
  }
};
struct Pair {
  std::string config;  // what is judged (budgets follow it)
  Side base, head;
};

// Runs the sweep (from this binary's runfiles) over `sides`, `rounds` rounds. With `profiles`,
// callgrind profiles are kept there for the root-cause report.
lab::Result Sweep(const Options& o, const std::string& runfiles, const std::vector<Side>& sides, int rounds,
                  bool instructions, const std::string& profiles = "", const std::string& workloads = "") {
  char tmpl[] = "/tmp/hakmem-gate-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) Die("cannot create a temporary file");
  close(fd);
  const std::string out = tmpl;
  lab::RemoveAtExit(out);
  std::vector<std::string> specs;
  for (const auto& s : sides) specs.push_back(s.Spec());
  std::vector<std::string> args = {runfiles + "/hakmem_lab/harness/sweep", "--variants", fmt::format("{}", fmt::join(specs, ",")),
                                   "--workloads", workloads.empty() ? o.workloads : workloads,
                                   "--rounds", std::to_string(rounds), "--out", out,
                                   "--seed", std::to_string(getpid())};
  if (o.quick) args.push_back("--quick");
  if (instructions) args.push_back("--instructions");
  if (!profiles.empty()) args.insert(args.end(), {"--profiles", profiles});
  lab::RunSpec spec;
  spec.env = {{"RUNFILES_DIR", runfiles}};
  spec.stderr_through = true;  // progress stays visible; the sweep's table is not the gate's output
  const lab::RunOutput run = lab::RunCommand(args, 0, spec);
  if (run.status != 0) {
    unlink(out.c_str());
    Die(fmt::format("the sweep failed (exit {}): see its message above", run.status));  // or: interrupted
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
    lab::Point* q = it->second;
    q->samples.insert(q->samples.end(), p.samples.begin(), p.samples.end());
    lab::Summarize(q);
    // Memory readings too: the medians follow every round measured.
    q->peak_rss_samples_kb.insert(q->peak_rss_samples_kb.end(), p.peak_rss_samples_kb.begin(), p.peak_rss_samples_kb.end());
    q->rss_after_free_samples_kb.insert(q->rss_after_free_samples_kb.end(), p.rss_after_free_samples_kb.begin(),
                                        p.rss_after_free_samples_kb.end());
    if (!q->peak_rss_samples_kb.empty()) q->peak_rss_kb = lab::Median(q->peak_rss_samples_kb);
    if (!q->rss_after_free_samples_kb.empty()) q->rss_after_free_kb = lab::Median(q->rss_after_free_samples_kb);
  }
}

// Output of a command, or Die naming what failed (with the command's last line).
std::string Capture(const std::vector<std::string>& argv, const std::string& cwd, const std::string& what) {
  lab::RunSpec spec;
  spec.cwd = cwd;
  const lab::RunOutput r = lab::RunCommand(argv, 0, spec);
  if (r.status != 0) Die(what + " failed: " + lab::LastLine(r.err.empty() ? r.out : r.err));
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The first compiler error of a build log ("file:line:col: error: ..."), else Bazel's first
// ERROR line, else the log's last line.
std::string FirstError(const std::string& log) {
  std::string bazel_error;
  std::stringstream ss(log);
  for (std::string line; std::getline(ss, line);) {
    if (line.find(": error: ") != std::string::npos || line.find(": fatal error: ") != std::string::npos) return line;
    if (bazel_error.empty() && line.rfind("ERROR:", 0) == 0) bazel_error = line;
  }
  return bazel_error.empty() ? lab::LastLine(log) : bazel_error;
}

// The lab's cache on this machine: $XDG_CACHE_HOME/hakmem-lab (default ~/.cache/hakmem-lab).
std::string CacheRoot() {
  const char* xdg = getenv("XDG_CACHE_HOME");
  const char* home = getenv("HOME");
  const std::string root = xdg && *xdg ? xdg : std::string(home && *home ? home : "/tmp") + "/.cache";
  mkdir(root.c_str(), 0755);
  mkdir((root + "/hakmem-lab").c_str(), 0755);
  return root + "/hakmem-lab";
}

// Worktrees live in a per-clone cache (reused across runs, never inside the checkout, where
// actions/checkout would clean them): <cache>/gate-trees/<clone id>/<sha>.
std::string TreeCache(const std::string& ws) {
  const std::string trees = CacheRoot() + "/gate-trees";
  const std::string dir = trees + "/" + fmt::format("{:016x}", std::hash<std::string>{}(ws));
  mkdir(trees.c_str(), 0755);
  mkdir(dir.c_str(), 0755);
  return dir;
}
// One Bazel disk cache for every worktree: a revision rebuilds only what it changed.
std::string DiskCache() { return CacheRoot() + "/bazel-disk-cache"; }

// Harness programs a grid of workloads runs (and that a revision must have targets for).
std::set<std::string> ProgramsOf(const std::string& workloads) {
  std::set<std::string> p = {"bench_random_mixed", "fastpath_probe"};  // the probe and --instructions
  for (const auto& w : SplitList(workloads)) p.insert(lab::ProgramOf(w));
  return p;
}

// Whether a revision can run a workload: it has per-config targets of the workload's program
// and its harness knows the workload by name (lab::kWorkloads in harness/result.h). A program can
// predate one of its modes: mem_large_churn runs bench_mem, which revisions before it also have.
bool RevisionRuns(const std::string& ws, const std::string& sha, const std::string& workload,
                  const std::string& build_bazel) {
  if (build_bazel.find("variant_binaries(\"" + lab::ProgramOf(workload) + "\"") == std::string::npos) return false;
  const lab::RunOutput result_h = lab::RunCommand({"git", "-C", ws, "show", sha + ":harness/result.h"}, 60);
  // A revision from before the list (no kWorkloads) predates every mode added since: its programs
  // run what they have targets for.
  if (result_h.status != 0 || result_h.out.find("kWorkloads") == std::string::npos) return true;
  return result_h.out.find("\"" + workload + "\"") != std::string::npos;
}

// A revision older than the lab's targets (or without one of the configs) is bad input: say so
// before building anything.
void CheckRevisionHasTargets(const std::string& ws, const std::string& sha, const std::vector<std::string>& configs,
                             const std::string& workloads) {
  lab::RunSpec spec;
  auto show = [&](const std::string& file) {
    return lab::RunCommand({"git", "-C", ws, "show", sha + ":" + file}, 60, spec);
  };
  const lab::RunOutput build = show("harness/BUILD.bazel");
  const lab::RunOutput bzl = show("allocator/variants.bzl");
  if (build.status != 0 || bzl.status != 0) {
    Die(fmt::format("revision {} is older than the lab (no harness/BUILD.bazel or allocator/variants.bzl)",
                    sha.substr(0, 10)));
  }
  for (const auto& program : ProgramsOf(workloads)) {
    if (build.out.find("variant_binaries(\"" + program + "\"") == std::string::npos) {
      Die(fmt::format("revision {} has no per-config {} targets (older than that workload): leave it out "
                      "with --workloads", sha.substr(0, 10), program));
    }
  }
  for (const auto& w : SplitList(workloads)) {
    if (!RevisionRuns(ws, sha, w, build.out)) {
      Die(fmt::format("revision {} does not know workload {} (older than it): leave it out with --workloads",
                      sha.substr(0, 10), w));
    }
  }
  for (const auto& c : configs) {
    if (bzl.out.find("\"name\": \"" + c + "\"") == std::string::npos) {
      Die(fmt::format("revision {} has no config '{}' in allocator/variants.bzl", sha.substr(0, 10), c));
    }
  }
}

// The default grid for two revisions: a workload one of them predates (a grid grows with the lab:
// medium_mixed needs bench_medium_mixed, mem_large_churn a mode of bench_mem) is left out, and said so; workloads
// named with --workloads are never dropped (CheckRevisionHasTargets refuses them instead).
std::string DefaultGridFor(const std::string& ws, const std::vector<std::string>& shas) {
  std::vector<std::string> keep;
  for (const auto& w : SplitList(kPrGrid)) {
    bool all = true;
    for (const auto& sha : shas) {
      const lab::RunOutput build = lab::RunCommand({"git", "-C", ws, "show", sha + ":harness/BUILD.bazel"}, 60);
      if (!RevisionRuns(ws, sha, w, build.out)) {
        fmt::print(stderr, "gate: revision {} predates workload {} ({}): left out of the grid\n",
                   sha.substr(0, 10), w, lab::ProgramOf(w));
        all = false;
        break;
      }
    }
    if (all) keep.push_back(w);
  }
  return fmt::format("{}", fmt::join(keep, ","));
}

// Checks REV out in a cached worktree (reused across runs) and builds the configs' binaries
// (with `stats`, the .stats builds of the root-cause report). `dirty_from`: apply that tree's
// uncommitted changes on top (HEAD+dirty). Returns the worktree.
std::string BuildRevision(const std::string& ws, const std::string& sha, const std::vector<std::string>& configs,
                          const std::string& workloads, bool stats, const std::string& dirty_from = "") {
  const std::string dir = TreeCache(ws) + "/" + sha + (dirty_from.empty() ? "" : "-dirty");
  if (access((dir + "/WORKSPACE").c_str(), F_OK) != 0) {
    fmt::print(stderr, "gate: git worktree for {} at {}\n", sha.substr(0, 10), dir);
    lab::RunCommand({"git", "-C", ws, "worktree", "prune"}, 60);
    Capture({"git", "-C", ws, "worktree", "add", "--detach", "--force", dir, sha}, "", "git worktree add " + sha);
  }
  if (!dirty_from.empty()) {
    // The tree's own diff against HEAD, applied to a clean checkout of HEAD.
    Capture({"git", "-C", dir, "checkout", "--force", "--detach", sha}, "", "resetting the HEAD+dirty tree");
    Capture({"git", "-C", dir, "clean", "-fdq"}, "", "cleaning the HEAD+dirty tree");
    const std::string patch = dir + ".patch";
    Capture({"sh", "-c", "git -C \"$0\" diff --binary HEAD > \"$1\"", dirty_from, patch}, "", "git diff");
    Capture({"git", "-C", dir, "apply", "--whitespace=nowarn", patch}, "", "applying the uncommitted changes");
  }
  fmt::print(stderr, "gate: building {} of {} (bazel, in {})\n", fmt::join(configs, ","), sha.substr(0, 10), dir);
  std::vector<std::string> cmd = {"bazel", "build", "--noshow_progress", "--disk_cache=" + DiskCache()};
  for (const auto& c : configs) {
    for (const auto& p : ProgramsOf(workloads)) cmd.push_back(fmt::format("//harness:{}.{}", p, c));
    if (stats) cmd.push_back(fmt::format("//harness:bench_random_mixed.{}.stats", c));
  }
  cmd.push_back("//tools:variants_json");
  lab::RunSpec spec;
  spec.cwd = dir;
  const lab::RunOutput r = lab::RunCommand(cmd, 0, spec);
  // One Bazel server per worktree would stay idle for hours: stop it (the disk cache keeps the
  // compiled actions, so the next build of this or another revision is fast).
  lab::RunCommand({"bazel", "shutdown"}, 120, spec);
  if (r.status != 0) {
    Die(fmt::format("{} does not compile ({}): {}", sha.substr(0, 10), fmt::join(configs, ","),
                    FirstError(r.err + "\n" + r.out)));
  }
  return dir;
}

// Compares every pair of one measured result.
std::vector<gate::Comparison> CompareAll(const lab::Result& r, const std::vector<Pair>& pairs, gate::Config config,
                                         bool timing) {
  std::vector<gate::Comparison> out;
  for (const auto& p : pairs) {
    config.budget_config = p.config;
    out.push_back(gate::Compare(r, p.base.label, r, p.head.label, config, timing));
  }
  return out;
}
int Inconclusive(const std::vector<gate::Comparison>& cs) {
  int n = 0;
  for (const auto& c : cs) n += gate::Decide(c).inconclusive;
  return n;
}

// Measures every side interleaved and compares each pair; while points are inconclusive and the
// time budget allows, measures 5 more rounds and merges the samples. *measured: the result.
std::vector<gate::Comparison> MeasureAdaptively(const Options& o, const std::string& runfiles,
                                                const gate::Config& config, const std::vector<Pair>& pairs,
                                                const std::string& profiles, lab::Result* measured) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Side> sides;
  for (const auto& p : pairs) sides.insert(sides.end(), {p.base, p.head});
  // Five rounds even without timing: memory verdicts test the per-round RSS readings, and five
  // a side is the fewest with which the Mann-Whitney test can reach alpha = 0.01.
  lab::Result r = Sweep(o, runfiles, sides, 5, /*instructions=*/true, profiles);
  std::vector<gate::Comparison> cmp = CompareAll(r, pairs, config, o.timing);
  while (Inconclusive(cmp) > 0) {
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (spent > o.budget_seconds) {
      fmt::print(stderr, "gate: time budget of {}s spent; inconclusive points stay inconclusive\n", o.budget_seconds);
      break;
    }
    fmt::print(stderr, "gate: {} inconclusive point(s): 5 more rounds\n", Inconclusive(cmp));
    Merge(&r, Sweep(o, runfiles, sides, 5, /*instructions=*/false));
    cmp = CompareAll(r, pairs, config, o.timing);
  }
  *measured = r;
  return cmp;
}

void WriteOrDie(const std::string& path, const std::string& text) {
  std::string err;
  if (!lab::WriteFileAtomic(path, text, &err)) Die(err);
}

// The config //allocator:libhakmem.so ships (variants.bzl, via tools/variants.json).
std::string ShippedConfig(const std::string& runfiles) {
  std::ifstream f(runfiles + "/hakmem_lab/tools/variants.json");
  json j;
  try {
    f >> j;
    return j.at("shipped").get<std::string>();
  } catch (const std::exception& e) {
    Die(std::string("cannot read the shipped config from tools/variants.json: ") + e.what());
  }
}

// The config a revision's //allocator:libhakmem.so ships: the variant of its variants.bzl that
// sets no switch (tools/variants.py's rule), or "" when none can be found in the text.
std::string ShippedAt(const std::string& ws, const std::string& sha) {
  const lab::RunOutput bzl = lab::RunCommand({"git", "-C", ws, "show", sha + ":allocator/variants.bzl"}, 60);
  if (bzl.status != 0) return "";
  const std::string& t = bzl.out;
  const size_t sw = t.find("\"switches\": {}");
  if (sw == std::string::npos) return "";
  const std::string key = "\"name\": \"";
  const size_t at = t.rfind(key, sw);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size(), to = t.find('"', from);
  return to == std::string::npos ? "" : t.substr(from, to - from);
}

// One judged config: its comparison, where its evidence lives, and its report once written.
struct Judged {
  Pair pair;
  gate::Comparison cmp;
  lab::Result base_result, head_result;  // the points compared (for memory tiers)
  std::string base_variant;                   // the base's variant in base_result
  std::string base_profiles, head_profiles;  // directories of callgrind profiles ("" = none)
  std::string base_stats_bin, head_stats_bin;  // bench_random_mixed.<config>.stats ("" = none)
};

// The full id of `rev` in the tree `ws`, or Die naming the option (`what`) that gave it.
std::string ResolveCommit(const std::string& ws, const std::string& rev, const char* what) {
  const lab::RunOutput r = lab::RunCommand({"git", "-C", ws, "rev-parse", "--verify", "--quiet", rev + "^{commit}"}, 60);
  if (r.status != 0) Die(fmt::format("{} '{}' is not a commit of {}", what, rev, ws));
  return lab::LastLine(r.out);
}

// --build-only REV: the revision's binaries of one config, built as --base/--head would build
// them, described as JSON on stdout. Workloads whose program the revision lacks are listed as
// skipped instead of failing: an older commit still has a trend of what it can measure.
int BuildOnly(const Options& o, const std::string& runfiles, const std::string& ws) {
  if (ws.empty()) Die("--build-only needs `bazel run //ci:gate` (BUILD_WORKSPACE_DIRECTORY is unset)");
  const std::string sha = ResolveCommit(ws, o.build_only, "--build-only");
  const std::string config = o.rev_configs.empty() ? ShippedConfig(runfiles) : o.rev_configs[0];
  const lab::RunOutput build = lab::RunCommand({"git", "-C", ws, "show", sha + ":harness/BUILD.bazel"}, 60);
  std::vector<std::string> workloads, skipped;
  for (const auto& w : SplitList(o.workloads)) {
    (RevisionRuns(ws, sha, w, build.out) ? workloads : skipped).push_back(w);
  }
  if (workloads.empty()) Die(fmt::format("revision {} has none of the workloads {}", sha.substr(0, 10), o.workloads));
  const std::string joined = fmt::format("{}", fmt::join(workloads, ","));
  CheckRevisionHasTargets(ws, sha, {config}, joined);
  const std::string tree = BuildRevision(ws, sha, {config}, joined, /*stats=*/false);
  json binaries = json::object();
  for (const auto& program : ProgramsOf(joined)) {
    const std::string file = fmt::format("{}.{}", program, config);
    const lab::RunOutput h = lab::RunCommand({"sha256sum", "--", tree + "/bazel-bin/harness/" + file}, 120);
    if (h.status != 0 || h.out.size() < 64) Die(fmt::format("cannot hash {} of {}", file, sha.substr(0, 10)));
    binaries[file] = h.out.substr(0, 64);
  }
  fmt::print("{}\n", json{{"commit", sha}, {"config", config}, {"tree", tree}, {"bin_dir", tree + "/bazel-bin"},
                         {"workloads", workloads}, {"skipped_workloads", skipped}, {"binaries", binaries}}.dump());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  lab::InstallInterruptHandlers();
  const std::string runfiles = Runfiles(argv[0]);
  gate::Config config;
  std::string err;
  const std::string gate_json = o.gate_config.empty() ? runfiles + "/hakmem_lab/ci/gate.json" : o.gate_config;
  const std::string budgets = o.budgets.empty() ? runfiles + "/hakmem_lab/ci/fastpath_budgets.json" : o.budgets;
  if (!gate::LoadConfig(gate_json, o.no_budgets ? "" : budgets, &config, &err)) Die(err);
  const char* ws_env = getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string ws = ws_env ? ws_env : "";
  if (!o.build_only.empty()) return BuildOnly(o, runfiles, ws);

  // Where the root-cause report goes; checked before measuring.
  std::string report_dir = o.report_dir;
  static char scratch_tmpl[] = "/tmp/hakmem-gate-profiles-XXXXXX";
  if (mkdtemp(scratch_tmpl) == nullptr) Die("cannot create a temporary directory");
  const std::string scratch = scratch_tmpl;
  std::atexit([] { lab::RunCommand({"rm", "-rf", scratch_tmpl}, 60); });  // also after Die()

  std::vector<Judged> judged;
  std::string base_desc, head_desc;
  if (!o.base_rev.empty()) {
    if (ws.empty()) Die("--base/--head need `bazel run //ci:gate` (BUILD_WORKSPACE_DIRECTORY is unset)");
    const std::string base_sha = ResolveCommit(ws, o.base_rev, "--base");
    const std::string head_sha = ResolveCommit(ws, o.head_rev, "--head");
    // By default each revision's own shipped build: when a change moves the release default
    // (e3_safe -> x3_spill), the gate judges what users get before and after it.
    // The head's comes from its own variants.bzl too (the gate's runfiles are the checkout's,
    // which need not be the head); the runfiles' only when the text names none.
    std::vector<std::string> configs = o.rev_configs;
    if (configs.empty()) {
      const std::string h = ShippedAt(ws, head_sha);
      configs = {h.empty() ? ShippedConfig(runfiles) : h};
    }
    std::vector<std::string> base_configs = configs;
    if (o.rev_configs.empty()) {
      const std::string b = ShippedAt(ws, base_sha);
      if (!b.empty() && b != configs[0]) {
        base_configs = {b};
        fmt::print(stderr, "gate: the shipped build moved: base {} ships {}, head {} ships {}; judging {} -> {}\n",
                   base_sha.substr(0, 10), b, head_sha.substr(0, 10), configs[0], b, configs[0]);
      }
    }
    // A tree with uncommitted changes: measuring only its commit would pass a change nobody saw.
    std::string dirty_from;
    const std::string checked_out = lab::LastLine(lab::RunCommand({"git", "-C", ws, "rev-parse", "HEAD"}, 60).out);
    const std::string status =
        lab::RunCommand({"git", "-C", ws, "status", "--porcelain", "--untracked-files=no"}, 60).out;
    if (head_sha == checked_out && !status.empty()) {
      const size_t files = size_t(std::count(status.begin(), status.end(), '\n'));
      if (!o.allow_dirty) {
        Die(fmt::format("the tree has uncommitted changes in {} tracked file(s) (first: {}): --head {} would measure "
                        "the commit without them; commit or stash, or --allow-dirty to measure HEAD+dirty",
                        files, lab::LastLine(status.substr(0, status.find('\n'))).substr(3), o.head_rev));
      }
      dirty_from = ws;
      fmt::print(stderr, "gate: head is HEAD+dirty ({} changed tracked file(s))\n", files);
    }
    if (o.workloads == kPrGrid) o.workloads = DefaultGridFor(ws, {base_sha, head_sha});
    CheckRevisionHasTargets(ws, base_sha, base_configs, o.workloads);
    CheckRevisionHasTargets(ws, head_sha, configs, o.workloads);
    base_desc = base_sha.substr(0, 10);
    head_desc = head_sha.substr(0, 10) + (dirty_from.empty() ? "" : "+dirty");
    if (report_dir.empty()) report_dir = fmt::format("{}/results/gate-{}-{}", ws, base_desc, head_desc);

    const std::string head_tree = BuildRevision(ws, head_sha, configs, o.workloads, /*stats=*/true, dirty_from);
    std::string base_tree;
    auto base_built = [&]() -> const std::string& {
      if (base_tree.empty()) base_tree = BuildRevision(ws, base_sha, base_configs, o.workloads, /*stats=*/true);
      return base_tree;
    };
    // The store's entry of the base commit for this machine and run kind (base_sha is a full sha).
    const lab::BaselineStore store(lab::BaselineRoot(ws));
    std::string no_path;
    const std::string stored = store.Path(store.self().fingerprint, o.quick ? "quick" : "full", "commits", base_sha, &no_path);
    std::vector<Pair> to_measure;
    for (size_t ci = 0; ci < configs.size(); ++ci) {
      const std::string& c = configs[ci];
      const std::string& bc = base_configs[ci];
      const std::string suffix = configs.size() > 1 ? "-" + c : "";
      Pair p{c, {"base" + suffix, bc, ""}, {"head" + suffix, c, head_tree}};
      if (!o.remeasure && dirty_from.empty() && access(stored.c_str(), F_OK) == 0) {
        // A baseline measured on this machine: measure the head alone, and use the baseline
        // only if it covers everything the head measured.
        lab::Result base = Load(stored);
        const bool has_config = std::any_of(base.variants.begin(), base.variants.end(),
                                            [&](const lab::VariantInfo& v) { return v.name == bc; });
        if (has_config) {
          lab::Result head = Sweep(o, runfiles, {p.head}, 5, true, scratch);
          const auto gaps = gate::CoverageGaps(base, c, head, p.head.label);
          if (gaps.empty()) {
            fmt::print(stderr, "gate: base {}: using the stored baseline {} (same machine; --remeasure to measure it)\n",
                       base_desc, stored);
            gate::Config cc = config;
            cc.budget_config = c;
            Judged j{p, gate::Compare(base, bc, head, p.head.label, cc, o.timing), base, head, bc, "", scratch + "/" + p.head.label,
                     "", p.head.StatsBin(runfiles)};
            judged.push_back(j);
            continue;
          }
          fmt::print(stderr, "gate: the stored baseline {} lacks {} thing(s) the head measures (first: {}): "
                     "measuring the base instead\n", stored, gaps.size(), gaps.front());
        } else {
          fmt::print(stderr, "gate: the stored baseline {} has no config {}: measuring the base\n", stored, bc);
        }
      } else {
        fmt::print(stderr, "gate: base {}: measuring {} interleaved with the head\n", base_desc, bc);
      }
      p.base.tree = base_built();
      to_measure.push_back(p);
    }
    if (!to_measure.empty()) {
      lab::Result r;
      const auto cmps = MeasureAdaptively(o, runfiles, config, to_measure, scratch, &r);
      for (size_t i = 0; i < to_measure.size(); ++i) {
        const Pair& p = to_measure[i];
        judged.push_back({p, cmps[i], r, r, p.base.label, scratch + "/" + p.base.label, scratch + "/" + p.head.label,
                          p.base.StatsBin(runfiles), p.head.StatsBin(runfiles)});
      }
    }
    for (auto& j : judged) {
      j.cmp.base_name = j.pair.base.config + "@" + base_desc;
      j.cmp.head_name = j.pair.config + "@" + head_desc;
    }
    // A FAIL judged against a stored baseline has no base profiles: profile the base now.
    for (auto& j : judged) {
      if (gate::Decide(j.cmp).exit_code != 1 || !j.base_profiles.empty()) continue;
      fmt::print(stderr, "gate: {} failed against the stored baseline: profiling the base for the report\n",
                 j.pair.config);
      Side b{"base", j.pair.base.config, base_built()};
      Sweep(o, runfiles, {b}, 1, true, scratch + "/base-profile", "random_mixed,size_sweep");
      j.base_profiles = scratch + "/base-profile/base";
      j.pair.base.tree = b.tree;  // its binaries now exist: the report may run them
      j.base_stats_bin = b.StatsBin(runfiles);
    }
  } else if (!o.base_result.empty()) {
    const lab::Result base = Load(o.base_result), head = Load(o.head_result);
    if (base.machine.fingerprint != head.machine.fingerprint) {
      fmt::print(stderr, "gate: warning: the results come from different machines ({} vs {}): timings are not comparable, "
                 "instruction counts are\n", base.machine.fingerprint, head.machine.fingerprint);
    }
    const std::string head_variant = OnlyVariant(head, o.head_variant, o.head_result);
    const std::string base_variant = OnlyVariant(base, o.base_variant, o.base_result);
    gate::Config cc = config;
    cc.budget_config = head_variant;
    Pair p{head_variant, {base_variant, base_variant, ""}, {head_variant, head_variant, ""}};
    judged.push_back({p, gate::Compare(base, base_variant, head, head_variant, cc, o.timing), base, head, base_variant,
                      "", "", "", ""});
  } else {
    if (o.base_config == o.head_config) fmt::print(stderr, "gate: A/A run: {} against itself\n", o.base_config);
    fmt::print(stderr, "gate: measuring {} (base) and {} (head) interleaved on this machine\n", o.base_config, o.head_config);
    const bool aa = o.base_config == o.head_config;
    Pair p{o.head_config, {aa ? o.base_config + ":a" : o.base_config, o.base_config, ""},
           {aa ? o.head_config + ":b" : o.head_config, o.head_config, ""}};
    lab::Result r;
    const auto cmps = MeasureAdaptively(o, runfiles, config, {p}, scratch, &r);
    judged.push_back({p, cmps[0], r, r, p.base.label, scratch + "/" + p.base.label, scratch + "/" + p.head.label,
                      p.base.StatsBin(runfiles), p.head.StatsBin(runfiles)});
    if (report_dir.empty() && !ws.empty()) {
      report_dir = fmt::format("{}/results/gate-{}-{}", ws, o.base_config, o.head_config);
    }
  }

  // Verdicts, then the root-cause report of every failing config.
  int exit_code = 0;
  std::string table, md;
  json verdict = json::array();
  std::vector<gate::Evidence> reports;
  for (const auto& j : judged) {
    const gate::Decision d = gate::Decide(j.cmp);
    exit_code = std::max(exit_code, d.exit_code);
    table += gate::RenderTable(j.cmp, d);
    md += gate::RenderMarkdown(j.cmp, d);
    json v = gate::RenderJson(j.cmp, d);
    v["config"] = j.pair.config;
    if (d.exit_code == 1) {
      gate::EvidenceInputs in;
      in.config = j.pair.config;
      in.cmp = &j.cmp;
      in.base_result = &j.base_result;
      in.base_variant = j.base_variant;
      in.head_result = &j.head_result;
      in.head_variant = j.pair.head.label;
      in.base_profiles = j.base_profiles;
      in.head_profiles = j.head_profiles;
      in.base_stats_bin = j.base_stats_bin;
      in.head_stats_bin = j.head_stats_bin;
      if (o.base_result.empty()) {  // measured here: the binaries exist
        in.base_harness = j.pair.base.BinDir(runfiles) + "/harness";
        in.head_harness = j.pair.head.BinDir(runfiles) + "/harness";
        if (j.pair.base.tree.empty() && !o.base_rev.empty()) in.base_harness.clear();  // a stored baseline's tree was not built
        in.base_config = j.pair.base.config;
        in.head_config = j.pair.head.config;
      }
      const gate::Evidence e = gate::GatherEvidence(in);
      table += gate::RenderEvidenceText(e);
      md += gate::RenderEvidenceMarkdown(e);
      v["root_cause"] = gate::RenderEvidenceJson(e);
      reports.push_back(e);
    }
    verdict.push_back(v);
  }
  fmt::print("{}", table);
  if (!o.markdown.empty()) WriteOrDie(o.markdown, md);
  if (const char* summary = getenv("GITHUB_STEP_SUMMARY")) {
    std::ofstream(summary, std::ios::app) << md;
  }
  // One comparison: the verdict object itself (as before); several: {"configs": [...]}.
  const json out = verdict.size() == 1 ? verdict[0] : json{{"exit_code", exit_code}, {"configs", verdict}};
  if (!o.json_out.empty()) WriteOrDie(o.json_out, out.dump(2) + "\n");
  if (!o.csv_out.empty()) {
    std::string csv;
    for (size_t i = 0; i < judged.size(); ++i) csv += gate::RenderCsv(judged[i].cmp, judged[i].pair.config, i == 0);
    WriteOrDie(o.csv_out, csv);
  }
  if (!reports.empty() && !report_dir.empty()) {
    std::string why;
    if (!ws.empty() && report_dir.rfind(ws + "/results/", 0) == 0) mkdir((ws + "/results").c_str(), 0755);
    mkdir(report_dir.c_str(), 0755);
    if (!lab::CheckWritable(report_dir + "/report.md", &why)) {
      fmt::print(stderr, "gate: cannot write the report: {}\n", why);
    } else {
      WriteOrDie(report_dir + "/report.md", md);
      WriteOrDie(report_dir + "/report.json", out.dump(2) + "\n");
      for (const auto& e : reports) {
        if (!e.svg.empty()) WriteOrDie(report_dir + "/flame-" + e.config + ".svg", e.svg);
      }
      WriteOrDie(report_dir + "/index.html", gate::RenderEvidenceHtml(reports));
      fmt::print("root-cause report: {}/index.html\n", report_dir);
    }
  }
  return exit_code;
}
