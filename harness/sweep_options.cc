// sweep_options.cc — harness, the sweep's argument step (see sweep_options.h).
#include "harness/sweep_options.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "harness/cli.h"
#include "harness/machine.h"

namespace sweep {

using nlohmann::json;

namespace {

constexpr const char* kUsage = R"(usage: sweep [options]
  --variants LIST     comma-separated configs (default shipped,system,mimalloc: "shipped" is
                      the config //allocator:libhakmem.so ships, named in tools/variants.json); see
                      `bazel run //tools:variants` for hakmem configs; peers: system,
                      mimalloc, jemalloc, tcmalloc. LABEL=CONFIG measures CONFIG under the
                      name LABEL (an A/A run: a=e3,b=e3); LABEL=CONFIG@DIR takes the binaries
                      from another tree's bazel-bin (DIR holds harness/ and tools/variants.json)
  --peer NAME=LIB     also measure the shared library LIB (any malloc replacement) as the peer
                      NAME: the glibc-linked binaries (*.system) run with LD_PRELOAD=LIB, each
                      checked to be served by LIB (other:<its soname>); path, soname and sha256
                      of LIB are recorded. Repeatable. NAME may also be placed in --variants.
  --workloads LIST    random_mixed,size_sweep,mt_prodcons,mt_larson,mt_churn,mem_liveset,
                      mem_prodcons_long,mem_thread_churn,gbench,medium_mixed,
                      mem_large_churn,mem_realloc_grow (default all;
                      gbench: Google Benchmark micro-benchmarks, one point per benchmark;
                      medium_mixed: random_mixed's loop, sizes uniform in 1025..32768)
  --rounds N          interleaved rounds, one sample per variant per point each (default 5)
  --quick             smoke-sized grid for CI (fewer points, short runs, 3 rounds)
  --instructions      also measure instructions/op once per variant and point (callgrind)
  --timeout SEC       time limit of one benchmark run (default 120)
  --out FILE          where to write the result (default results/sweep-<time>-<pid>.json in the
                      tree). With the gbench workload, Google Benchmark's own JSON of every
                      variant (all rounds, as repetitions) is kept beside it as
                      <out without .json>.gbench-<variant>.json, for compare.py
  --csv FILE          also write one CSV row per point there (medians, intervals, instr/op, RSS)
  --record            also store the result in the store (harness/store.h):
                      baselines/<machine>/<full|quick>/commits/<commit>.json, under
                      $HAKMEM_LAB_BASELINES instead when that is set; the directory is
                      checked writable (and named if not) before anything is measured
  --allow-dirty       with --record: accept a tree with uncommitted changes
  --force             with --record: replace an existing baseline
  --profiles DIR      with --instructions: keep every callgrind profile in DIR/<variant>/
                      (<workload>_<label>.callgrind, fastpath_<mode>.callgrind) for root-cause reports
  --seed N            shuffling seed (default 1)
  --commit SHA        the commit the measured binaries were built from, when they come from
                      another tree (LABEL=CONFIG@DIR; //tools:backfill); default: this tree's HEAD
  --print-machine     print this machine's metadata (JSON, with its fingerprint) and exit
  -h, --help          this text
Exit status: 0 done, 2 bad input, 3 a benchmark failed, 130 interrupted (Ctrl-C; SIGTERM):
a partial result is still written, marked incomplete, and never recorded.)";

long ParseInt(const std::string& s, const char* what, long lo, long hi) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) {
    Die(2, fmt::format("{} must be an integer in {}..{}, got '{}'", what, lo, hi, s));
  }
  return v;
}

}  // namespace

const char* Usage() { return kUsage; }

void Die(int code, const std::string& msg) { lab::Die("sweep", code, msg, " before measuring; nothing written"); }

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(2, a + " needs a value (try --help)");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      fmt::print("{}\n", kUsage);
      std::exit(0);
    } else if (a == "--variants") {
      o.variants = lab::SplitList(value());
    } else if (a == "--workloads") {
      o.workloads = lab::SplitList(value());
    } else if (a == "--rounds") {
      o.rounds = int(ParseInt(value(), "--rounds", 1, 1000));
      o.rounds_set = true;
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--instructions") {
      o.instructions = true;
    } else if (a == "--timeout") {
      o.timeout_sec = int(ParseInt(value(), "--timeout", 1, 86400));
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--csv") {
      o.csv = lab::UserPath(value());
    } else if (a == "--profiles") {
      o.profiles = lab::UserPath(value());
    } else if (a == "--record") {
      o.record = true;
    } else if (a == "--allow-dirty") {
      o.allow_dirty = true;
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--print-machine") {
      fmt::print("{}\n", lab::MachineToJson(lab::ThisMachine()).dump());
      std::exit(0);
    } else if (a == "--commit") {
      o.commit = value();
      if (o.commit.size() != 40 || o.commit.find_first_not_of("0123456789abcdef") != std::string::npos) {
        Die(2, "--commit needs a full 40-hex commit id, got '" + o.commit + "'");
      }
    } else if (a == "--seed") {
      o.seed = uint64_t(ParseInt(value(), "--seed", 0, 1L << 40));
    } else if (a == "--peer") {
      const std::string arg = value();
      const size_t eq = arg.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
        Die(2, "bad --peer '" + arg + "' (NAME=/path/lib.so)");
      }
      const std::string name = arg.substr(0, eq), lib = lab::UserPath(arg.substr(eq + 1));
      if (name.find_first_of(",=@:/ ") != std::string::npos) Die(2, "bad --peer name '" + name + "'");
      if (o.preload_of.count(name)) Die(2, "--peer " + name + " given twice");
      // LD_PRELOAD splits at ':' and whitespace. The file itself is checked in main.
      if (lib.find_first_of(": \t\n") != std::string::npos) {
        Die(2, "--peer " + name + ": LD_PRELOAD cannot carry '" + lib + "'");
      }
      o.preload_of[name] = lib;
      o.peer_labels.push_back(name);
    } else {
      Die(2, fmt::format("unknown argument '{}' (try --help)", a));
    }
  }
  if (o.quick && !o.rounds_set) o.rounds = 3;
  if (o.variants.empty()) Die(2, "--variants is empty");
  for (auto& v : o.variants) {
    const size_t eq = v.find('=');
    const std::string label = eq == std::string::npos ? v : v.substr(0, eq);
    std::string config = eq == std::string::npos ? v : v.substr(eq + 1);
    const size_t at = config.find('@');
    if (at != std::string::npos) {
      o.dir_of[label] = config.substr(at + 1);
      config = config.substr(0, at);
    }
    if (label.empty() || config.empty()) Die(2, "bad variant '" + v + "' (CONFIG or LABEL=CONFIG)");
    o.config_of[label] = config;
    v = label;
  }
  // A --peer runs the glibc-linked binaries; named in --variants it takes that place, else it
  // comes last.
  for (const auto& name : o.peer_labels) {
    const bool listed = std::find(o.variants.begin(), o.variants.end(), name) != o.variants.end();
    if (listed && (o.config_of[name] != name || o.dir_of.count(name))) {
      Die(2, "variant '" + name + "' given twice (--variants and --peer)");
    }
    if (!listed) o.variants.push_back(name);
    o.config_of[name] = "system";
  }
  std::set<std::string> seen;
  for (const auto& v : o.variants) {
    if (!seen.insert(v).second) Die(2, "variant '" + v + "' given twice");
  }
  for (const auto& w : o.workloads) {
    if (std::find(lab::kWorkloads.begin(), lab::kWorkloads.end(), w) == lab::kWorkloads.end()) {
      Die(2, fmt::format("unknown workload '{}' (known: {})", w, fmt::join(lab::kWorkloads, ", ")));
    }
  }
  return o;
}

std::vector<GridPoint> Grid(const Options& o) {
  std::vector<GridPoint> g;
  for (const auto& w : o.workloads) {
    if (w == "random_mixed") {
      // The seeds' table: working sets 128..1024 slots, objects 16..1039 bytes.
      const double cycles = o.quick ? 1e6 : 1e7;
      const std::vector<int> wss = o.quick ? std::vector<int>{128, 1024} : std::vector<int>{128, 256, 512, 1024};
      for (int ws : wss) {
        g.push_back({w, {{"cycles", cycles}, {"ws", ws}, {"seed", 1234567}, {"min_size", 16}, {"max_size", 1039}}});
      }
    } else if (w == "medium_mixed") {
      // The pool tier: sizes uniform in 1025..32768 (a live set of ~ws/2 blocks of ~16.5 KiB on
      // average: 1, 4 and 16 MiB), every page of a block written.
      const double cycles = o.quick ? 5e5 : 2e6;
      const std::vector<int> wss = o.quick ? std::vector<int>{128, 2048} : std::vector<int>{128, 512, 2048};
      for (int ws : wss) {
        g.push_back({w, {{"cycles", cycles}, {"ws", ws}, {"seed", 1234567}, {"min_size", 1025}, {"max_size", 32768}}});
      }
    } else if (w == "gbench") {
      // One run of alloc_benchmark per variant and round; it expands into one point per benchmark.
      g.push_back({w, {{"min_time", o.quick ? 0.02 : 0.1}}});
    } else if (w.rfind("mt_", 0) == 0) {
      // Cross-thread frees on the machine's 2 cores; threads stay a parameter of the point.
      // A sample lasts a few hundred ms (full grid), long enough for stable 2-thread medians.
      // (ops per thread; larson's loop is ~5x cheaper per op than the ring or the shared slots)
      const double ops = (w == "mt_larson" ? 2e7 : 4e6) / (o.quick ? 10 : 1);
      g.push_back({w, {{"threads", 2}, {"ops", ops}, {"min_size", 16}, {"max_size", 1039}}});
    } else if (w == "mem_liveset") {
      // Allocate a live set in mixed sizes, touch every page, free it all: what stays resident.
      g.push_back({w, {{"mib", o.quick ? 16 : 64}, {"rounds", 3}}});
    } else if (w == "mem_prodcons_long") {
      g.push_back({w, {{"threads", 2}, {"ops", o.quick ? 1e6 : 4e6}}});
    } else if (w == "mem_thread_churn") {
      g.push_back({w, {{"threads", o.quick ? 50 : 200}}});
    } else if (w == "mem_large_churn") {
      // 8 live blocks of 256 KiB..8 MiB (Mid and Large), every page written; a fresh mapping
      // costs ~1 ms per 4 MiB in faults, so the quick grid stays short.
      g.push_back({w, {{"cycles", o.quick ? 500 : 3000}, {"live", 8}, {"min_kb", 256}, {"max_kb", 8192}}});
    } else if (w == "mem_realloc_grow") {
      // One block grown by realloc in 64 steps to 1 MiB and to 16 MiB, then freed. The 16 MiB
      // point runs 20 rounds in the quick grid too: 4 rounds were a 20-26 ms sample, and the PR
      // gate once failed two builds with identical instructions, faults and system calls on it
      // (x0.887, p = 0.0055; a rerun read x1.032). The 1 MiB point ran 1000 rounds (200 quick)
      // until 2026-12-02: a 4 ms process whose first round's ~430 page faults were a third of
      // it, and the gate failed a change with identical instructions and faults on it (x0.921,
      // p = 0.0007; at 20000 rounds the same pair read x1.075). 20000 rounds last ~55 ms.
      g.push_back({w, {{"rounds", o.quick ? 4000 : 20000}, {"max_kb", 1024}, {"steps", 64}}});
      g.push_back({w, {{"rounds", 20}, {"max_kb", 16384}, {"steps", 64}}});
    } else {
      // The same loop with one object size: every tier and each tiny class edge.
      std::vector<double> sizes = o.quick
          ? std::vector<double>{16, 1023, 4096, 65536, 4 << 20}
          : std::vector<double>{8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511, 512, 1023,
                                1024, 2048, 4096, 16384, 53248, 65536, 262144, 1 << 20, 2 << 20, 4 << 20};
      for (double s : sizes) {
        // Every page of a block is written, so large blocks cost page faults in proportion to
        // their size: past 64 KiB, a sample allocates about 8 GiB (at least 500 cycles).
        const double cycles = (s <= 65536 ? 2e6 : std::max(500.0, std::floor(8589934592.0 / s))) / (o.quick ? 4 : 1);
        const double ws = s <= 65536 ? 256 : 32;
        g.push_back({w, {{"cycles", cycles}, {"ws", ws}, {"seed", 1234567}, {"min_size", s}, {"max_size", s}}});
      }
    }
  }
  return g;
}

}  // namespace sweep
