// sweep_options.h — harness, the sweep's argument step: its options, --help text, parsing (one
// line and exit 2 on bad input) and the grid of points a run measures.
#ifndef HAKMEM_HARNESS_SWEEP_OPTIONS_H_
#define HAKMEM_HARNESS_SWEEP_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/result.h"

namespace sweep {

struct Options {
  std::vector<std::string> variants = {"shipped", "system", "mimalloc"};  // labels
  std::map<std::string, std::string> config_of;                       // label -> config
  std::map<std::string, std::string> dir_of;                          // label -> bazel-bin of another tree
  std::map<std::string, std::string> preload_of;                      // --peer label -> library (absolute)
  std::vector<std::string> peer_labels;                               // --peer labels, as given
  std::vector<std::string> workloads = lab::kWorkloads;
  int rounds = 5;
  bool rounds_set = false, quick = false, instructions = false, record = false;
  bool allow_dirty = false, force = false;
  int timeout_sec = 120;
  std::string out, profiles, csv, commit;
  uint64_t seed = 1;
};

// The --help text.
const char* Usage();
// Parses argv (exit 0 after --help or --print-machine, exit 2 with one line on bad input).
Options Parse(int argc, char** argv);
// "sweep: <msg>" and exit `code` (130 when an interrupt caused the failure).
[[noreturn]] void Die(int code, const std::string& msg);

// One point of the grid: a workload and its parameters.
struct GridPoint {
  std::string workload;
  std::map<std::string, double> params;  // cycles ws seed min_size max_size ...
};
std::vector<GridPoint> Grid(const Options& o);

}  // namespace sweep

#endif  // HAKMEM_HARNESS_SWEEP_OPTIONS_H_
