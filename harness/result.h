// result.h — the lab's result file (schema "hakmem-lab/result", version 2; version 1 is read
// through UpgradeV1): what the sweep writes and the gate, the store, the history replay and the
// reports read. Documented in harness/README.md.
#ifndef HAKMEM_HARNESS_RESULT_H_
#define HAKMEM_HARNESS_RESULT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lab {

inline constexpr const char* kSchemaName = "hakmem-lab/result";
inline constexpr int kSchemaVersion = 2;

// Every workload the sweep knows (its --workloads check) and a result may hold; Google
// Benchmark points are "gbench/<benchmark>".
inline const std::vector<std::string> kWorkloads = {
    "random_mixed", "size_sweep",        "mt_prodcons",      "mt_larson", "mt_churn",
    "mem_liveset",  "mem_prodcons_long", "mem_thread_churn", "gbench",   "medium_mixed",
    "mem_large_churn", "mem_realloc_grow"};
// The units a point's samples may have (the sweep writes ops/s for every workload).
inline const std::vector<std::string> kUnits = {"ops/s"};
// run_kind: a --quick sweep's smoke-sized grid or the full one; never compared with each other.
inline const std::vector<std::string> kRunKinds = {"full", "quick"};

struct Machine {
  std::string fingerprint;  // hash of the fields (scheme 2: machine.h): equal = comparable timings
  std::string cpu_model, kernel, libc;
  int cores = 0;
  int memory_gib = 0;          // MemTotal rounded to whole GiB; 0 = unknown (a v1 file)
  std::string kernel_series;   // "6.1" of kernel "Linux 6.1.0-27-amd64 x86_64": hashed, kernel is not
  std::string host;            // first 12 hex of SHA-256 of /etc/machine-id; "" = unknown (a v1 file)
  int fingerprint_scheme = 2;  // 1: a v1 file's std::hash fingerprint (cpu|cores|kernel|libc|machine-id)
};
// The fields a scheme hashes, in order (the machine block's "fingerprint_fields").
std::vector<std::string> FingerprintFields(int scheme);
// The machine block of a v2 result (machine.json without "schema" and "legacy_fingerprints").
nlohmann::json MachineToJson(const Machine& m);

// What backfill reused: a byte-identical build's measurement ("reused_from" in the JSON).
struct ReusedFrom {
  std::string commit;  // the commit whose measurement this is (40 hex)
  std::string reason;
};

// A peer given to the sweep as --peer NAME=/path/lib.so: the glibc-linked binaries run with
// LD_PRELOAD=path. What was preloaded, so a number can be traced to the exact library.
struct Preload {
  std::string path;    // absolute path of the library as preloaded
  std::string soname;  // its DT_SONAME; "" when it has none
  std::string sha256;  // SHA-256 of the file, 64 lowercase hex digits
};

struct VariantInfo {
  std::string name;        // config name: e3, e2, ..., system, mimalloc; or a --peer NAME
  std::string allocator;   // hakmem, glibc, mimalloc, jemalloc, tcmalloc, other:<soname> (as probed)
  std::string switches;    // hakmem: hak_variant_string(); peers: ""
  std::string compiler;    // as the benchmark binary reports it
  std::optional<Preload> preload = std::nullopt;  // --peer only ("preload" in the JSON)
};

struct Point {
  std::string workload;                  // random_mixed, size_sweep, ...
  std::map<std::string, double> params;  // cycles, ws, seed, min_size, max_size, ...
  std::string variant;
  // How tables and the gate name the point ("ws=128"): written by the sweep, read back as
  // written; empty means "derive it with PointLabel". Identity is Key(), never the label.
  std::string label;
  std::string unit = "ops/s";
  std::vector<double> samples;           // every raw sample, in measurement order
  double median = 0, mad = 0, ci_lo = 0, ci_hi = 0;
  std::optional<double> instructions_per_op;  // callgrind, deterministic
  std::optional<double> peak_rss_kb, rss_after_free_kb;  // medians over rounds
  // The per-round readings behind those medians (optional: older files have none). The gate's
  // memory verdict tests them like samples: one odd round of a bimodal workload is not a leak.
  std::vector<double> peak_rss_samples_kb, rss_after_free_samples_kb;
  std::optional<double> p99_ns_per_op;  // multi-thread: p99 of per-op time over batches (median over rounds)
  // hakmem only: bytes each tier holds after the workload freed everything (hak_get_info),
  // from the last round: where extra memory sits when a memory verdict fails.
  std::map<std::string, double> tiers;
  // Identity of a point within a result: workload + params + variant.
  std::string Key() const;
  std::string ParamString() const;  // "cycles=1000000 seed=1234567 ws=128": exact, integers as integers
  std::string Label() const;        // label, or PointLabel(workload, params)
  std::string Name() const;         // "random_mixed ws=128"
};

struct Result {
  std::string run_kind = "full";  // "full" or "quick" (sweep --quick)
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
  // variant -> {malloc_hit, free_hit}: TSC ticks per call of the same hits (fastpath_probe
  // cycles, median over rounds), with the probe's "clock" sentence under "clock_note" in JSON.
  std::map<std::string, std::map<std::string, double>> fastpath_cycles;
  std::string fastpath_cycles_clock;
  std::map<std::string, std::string> binaries;  // optional: file name -> sha256 of what was measured
  std::optional<ReusedFrom> reused_from;        // optional (backfill)
};

// How tables, plots and the gate name a point within its workload: "ws=128", "size=4096",
// "threads=2", "arg=64" (Google Benchmark), else every parameter.
std::string PointLabel(const std::string& workload, const std::map<std::string, double>& params);
// The harness program that runs a workload: bench_random_mixed, bench_mt (mt_*), bench_mem
// (mem_*), alloc_benchmark (gbench). The sweep runs it; the gate builds it.
std::string ProgramOf(const std::string& workload);

// A number exactly: whole numbers as integers ("1234567"), others with 17 significant digits.
std::string ExactNumber(double v);

// Version 2, with "benchmarks": one Google Benchmark-shaped entry per point (for compare.py;
// the reader ignores it).
nlohmann::json ToJson(const Result& r);
// A version-1 result as version 2: run_kind as the caller says (v1 files do not record it),
// the machine block completed with what v1 lacks (memory_gib 0 = unknown, kernel_series from
// kernel, host "", fingerprint_scheme 1: its fingerprint stays the old one). Anything that is not
// a v1 result object is returned unchanged, for FromJson to refuse.
nlohmann::json UpgradeV1(const nlohmann::json& v1, const std::string& run_kind = "full");
// Parses and validates (v1 through UpgradeV1 with `v1_run_kind`). On failure returns nullopt and
// sets *error to one line naming the file (`origin`) and the field at fault.
std::optional<Result> FromJson(const nlohmann::json& j, const std::string& origin, std::string* error,
                               const std::string& v1_run_kind = "full");
std::optional<Result> ReadResultFile(const std::string& path, std::string* error,
                                     const std::string& v1_run_kind = "full");
// Writes atomically: a temporary file in the same directory, fsync, then rename.
// With no_replace, an existing `path` is never touched (link(2) is the atomic test-and-create):
// two writers racing for the same path get one winner and one error, never a mix.
bool WriteFileAtomic(const std::string& path, const std::string& contents, std::string* error,
                     bool no_replace = false);

// A path the user typed, made absolute against the directory they stand in: under `bazel run`
// the program runs inside its runfiles, so relative paths resolve against
// BUILD_WORKING_DIRECTORY (else the current directory). "" stays "".
std::string UserPath(const std::string& path);
// True when `path` can be created or replaced: its directory exists and is writable, and an
// existing `path` is a writable regular file. Else *why says which, in one line. With
// create_dirs, missing directories are fine when the nearest existing one is a writable
// directory (they will be created); *why names the directory that stops it.
bool CheckWritable(const std::string& path, std::string* why, bool create_dirs = false);

// Where the sweep keeps one callgrind profile of `name` ("random_mixed_ws=128",
// "fastpath_free") under `dir`, and where the gate's report looks for it.
std::string ProfileFile(const std::string& dir, std::string name);

// The store's root (harness/store.h lays it out): $HAKMEM_LAB_BASELINES when set (a CI runner
// keeps them outside its checkout, which actions/checkout cleans), else <workspace>/baselines.
std::string BaselineRoot(const std::string& workspace);

// Recomputes median, MAD and interval from the samples.
void Summarize(Point* p);

}  // namespace lab

#endif  // HAKMEM_HARNESS_RESULT_H_
