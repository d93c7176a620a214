// gate — decides whether a change may land.
//
//   bazel run //ci:gate -- --base-config e3 --head-config e2 [--quick]
//   bazel run //ci:gate -- --base-result A.json --head-result B.json
//
// Exit status: 0 pass, 1 regression (throughput, instructions/op or a fast-path budget),
// 2 bad input or a failed build/run (the message names the cause).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ci/compare.h"
#include "harness/result.h"

namespace {

constexpr const char* kUsage = R"(usage:
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
  --budgets FILE       fast-path instruction budgets (default ci/fastpath_budgets.json)
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
  std::string base_config, head_config, base_result, head_result, base_variant, head_variant;
  std::string workloads = "random_mixed,size_sweep", gate_config, budgets, markdown, json_out;
  bool quick = false, timing = true;
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
    } else if (a == "--base-config") o.base_config = val();
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
  if (configs == results) Die("give either --base-config/--head-config or --base-result/--head-result (try --help)");
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

// Runs the sweep (from this binary's runfiles) over both configs, interleaved.
lab::Result Sweep(const Options& o, const std::string& runfiles, int rounds, bool instructions) {
  char tmpl[] = "/tmp/hakmem-gate-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) Die("cannot create a temporary file");
  close(fd);
  const std::string out = tmpl;
  std::vector<std::string> args = {runfiles + "/hakmem_lab/harness/sweep", "--variants",
                                   BaseLabel(o) + "=" + o.base_config + "," + HeadLabel(o) + "=" + o.head_config,
                                   "--workloads", o.workloads,
                                   "--rounds", std::to_string(rounds), "--out", out,
                                   "--seed", std::to_string(getpid())};
  if (o.quick) args.push_back("--quick");
  if (instructions) args.push_back("--instructions");
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("RUNFILES_DIR", runfiles.c_str(), 1);
    dup2(2, 1);  // the sweep's table is noise here: keep stdout for the gate's verdict
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    execv(av[0], av.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    unlink(out.c_str());
    Die(fmt::format("the sweep failed (exit {}): see its message above", WIFEXITED(st) ? WEXITSTATUS(st) : -1));
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
  if (!gate::LoadConfig(gate_json, budgets, &config, &err)) Die(err);

  gate::Comparison cmp;
  if (!o.base_result.empty()) {
    const lab::Result base = Load(o.base_result), head = Load(o.head_result);
    if (base.machine.fingerprint != head.machine.fingerprint) {
      fmt::print(stderr, "gate: warning: the results come from different machines ({} vs {}): timings are not comparable, "
                 "instruction counts are\n", base.machine.fingerprint, head.machine.fingerprint);
    }
    cmp = gate::Compare(base, OnlyVariant(base, o.base_variant, o.base_result), head,
                        OnlyVariant(head, o.head_variant, o.head_result), config, o.timing);
  } else {
    if (o.base_config == o.head_config) fmt::print(stderr, "gate: A/A run: {} against itself\n", o.base_config);
    const auto start = std::chrono::steady_clock::now();
    fmt::print(stderr, "gate: measuring {} (base) and {} (head) interleaved on this machine\n", o.base_config, o.head_config);
    lab::Result r = Sweep(o, runfiles, o.timing ? 5 : 1, /*instructions=*/true);
    auto compare = [&] {
      // Both configs live in one result; "A/A" compares a config with itself under two names.
      return gate::Compare(r, BaseLabel(o), r, HeadLabel(o), config, o.timing);
    };
    cmp = compare();
    while (o.timing && gate::Decide(cmp).inconclusive > 0) {
      const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (spent > o.budget_seconds) {
        fmt::print(stderr, "gate: time budget of {}s spent; inconclusive points stay inconclusive\n", o.budget_seconds);
        break;
      }
      fmt::print(stderr, "gate: {} inconclusive point(s): 5 more rounds\n", gate::Decide(cmp).inconclusive);
      Merge(&r, Sweep(o, runfiles, 5, /*instructions=*/false));
      cmp = compare();
    }
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
