// result.h — the lab's result file (schema "hakmem-lab/result", version 1): what the sweep
// writes and the gate, the history replay and the reports read. Documented in harness/README.md.
#ifndef HAKMEM_HARNESS_RESULT_H_
#define HAKMEM_HARNESS_RESULT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lab {

inline constexpr const char* kSchemaName = "hakmem-lab/result";
inline constexpr int kSchemaVersion = 1;

struct Machine {
  std::string fingerprint;  // hash of the fields below: equal fingerprints = comparable timings
  std::string cpu_model, kernel, libc;
  int cores = 0;
};

struct VariantInfo {
  std::string name;        // config name: e3, e2, ..., system, mimalloc
  std::string allocator;   // hakmem, glibc, mimalloc, jemalloc, tcmalloc (as probed)
  std::string switches;    // hakmem: hak_variant_string(); peers: ""
  std::string compiler;    // as the benchmark binary reports it
};

struct Point {
  std::string workload;                  // random_mixed, size_sweep, ...
  std::map<std::string, double> params;  // cycles, ws, seed, min_size, max_size, ...
  std::string variant;
  std::string unit = "ops/s";
  std::vector<double> samples;           // every raw sample, in measurement order
  double median = 0, mad = 0, ci_lo = 0, ci_hi = 0;
  std::optional<double> instructions_per_op;  // callgrind, deterministic
  std::optional<double> peak_rss_kb, rss_after_free_kb;
  // Identity of a point within a result: workload + params + variant.
  std::string Key() const;
  std::string ParamString() const;  // "ws=128 cycles=1000000"
};

struct Result {
  std::string commit;
  bool dirty = false;
  std::string started_at;  // ISO 8601 UTC
  std::string bazel_version;
  std::string flags;       // compilation mode and optimisation flags of the benchmarks
  Machine machine;
  bool complete = true;    // false: a partial result (a point failed); never a baseline
  std::string incomplete_reason;
  std::vector<VariantInfo> variants;
  std::vector<Point> points;
  std::map<std::string, std::map<std::string, double>> fastpath;  // variant -> {malloc_hit, free_hit}
};

// How tables, plots and the gate name a point within its workload: "ws=128", "size=4096",
// "threads=2", "arg=64" (Google Benchmark), else every parameter.
std::string PointLabel(const std::string& workload, const std::map<std::string, double>& params);

nlohmann::json ToJson(const Result& r);
// Parses and validates. On failure returns nullopt and sets *error to one line naming the file
// (`origin`) and the field at fault.
std::optional<Result> FromJson(const nlohmann::json& j, const std::string& origin, std::string* error);
std::optional<Result> ReadResultFile(const std::string& path, std::string* error);
// Writes atomically: a temporary file in the same directory, fsync, then rename.
// With no_replace, an existing `path` is never touched (link(2) is the atomic test-and-create):
// two writers racing for the same path get one winner and one error, never a mix.
bool WriteFileAtomic(const std::string& path, const std::string& contents, std::string* error,
                     bool no_replace = false);

// Recomputes median, MAD and interval from the samples.
void Summarize(Point* p);

}  // namespace lab

#endif  // HAKMEM_HARNESS_RESULT_H_
