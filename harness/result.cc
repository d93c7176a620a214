#include "harness/result.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/machine.h"
#include "harness/stats.h"

namespace lab {

using nlohmann::json;

namespace {
bool IsWhole(double v) { return std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0; }
}  // namespace

std::string ExactNumber(double v) {
  char buf[40];
  if (IsWhole(v)) {
    snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    snprintf(buf, sizeof buf, "%.17g", v);  // round-trips every double
  }
  return buf;
}

std::string Point::ParamString() const {
  std::string s;
  for (const auto& [k, v] : params) {
    if (!s.empty()) s += ' ';
    s += k + '=' + ExactNumber(v);
  }
  return s;
}

std::string PointLabel(const std::string& workload, const std::map<std::string, double>& params) {
  auto num = [&](const char* k) { return ExactNumber(params.at(k)); };
  if (workload == "size_sweep" && params.count("min_size")) return "size=" + num("min_size");
  if ((workload == "random_mixed" || workload == "medium_mixed") && params.count("ws")) return "ws=" + num("ws");
  if (workload.rfind("mt_", 0) == 0 && params.count("threads")) return "threads=" + num("threads");
  if (params.count("arg")) return "arg=" + num("arg");
  Point p;
  p.params = params;
  return p.ParamString();
}

std::string ProgramOf(const std::string& workload) {
  if (workload == "gbench") return "alloc_benchmark";
  if (workload == "medium_mixed") return "bench_medium_mixed";
  if (workload.rfind("mem_", 0) == 0) return "bench_mem";
  return workload.rfind("mt_", 0) == 0 ? "bench_mt" : "bench_random_mixed";
}

std::string Point::Key() const { return workload + "|" + ParamString() + "|" + variant; }

std::string Point::Label() const { return label.empty() ? PointLabel(workload, params) : label; }

std::string Point::Name() const { return workload + " " + Label(); }

void Summarize(Point* p) {
  p->median = Median(p->samples);
  p->mad = Mad(p->samples);
  const auto ci = BootstrapMedianCi(p->samples);
  p->ci_lo = ci.first;
  p->ci_hi = ci.second;
}

std::vector<std::string> FingerprintFields(int scheme) {
  if (scheme == 1) return {"cpu_model", "cores", "kernel", "libc", "machine_id"};
  return {"cpu_model", "cores", "memory_gib", "libc", "kernel_series", "host"};
}

json MachineToJson(const Machine& m) {
  return {{"fingerprint", m.fingerprint},
          {"fingerprint_scheme", m.fingerprint_scheme},
          {"fingerprint_fields", FingerprintFields(m.fingerprint_scheme)},
          {"cpu_model", m.cpu_model},
          {"cores", m.cores},
          {"memory_gib", m.memory_gib},
          {"libc", m.libc},
          {"kernel_series", m.kernel_series},
          {"kernel", m.kernel},
          {"host", m.host}};
}

json ToJson(const Result& r) {
  json j;
  j["schema"] = kSchemaName;
  j["schema_version"] = kSchemaVersion;
  j["run_kind"] = r.run_kind;
  j["commit"] = r.commit;
  j["dirty"] = r.dirty;
  j["started_at"] = r.started_at;
  j["bazel_version"] = r.bazel_version;
  j["flags"] = r.flags;
  j["machine"] = MachineToJson(r.machine);
  j["complete"] = r.complete;
  if (!r.complete) j["incomplete_reason"] = r.incomplete_reason;
  if (!r.binaries.empty()) j["binaries"] = r.binaries;
  if (r.reused_from) j["reused_from"] = {{"commit", r.reused_from->commit}, {"reason", r.reused_from->reason}};
  j["variants"] = json::array();
  for (const auto& v : r.variants) {
    json jv = {{"name", v.name}, {"allocator", v.allocator}, {"switches", v.switches}, {"compiler", v.compiler}};
    if (v.preload) {
      jv["preload"] = {{"path", v.preload->path}, {"soname", v.preload->soname}, {"sha256", v.preload->sha256}};
    }
    j["variants"].push_back(jv);
  }
  j["points"] = json::array();
  // Google Benchmark's JSON shape, so compare.py reads a lab result directly (readers ignore it).
  j["benchmarks"] = json::array();
  for (const auto& p : r.points) {
    json params = json::object();  // integers stay integers: 1000000, never 1e+06 or 1000000.0
    for (const auto& [k, v] : p.params) params[k] = IsWhole(v) ? json(static_cast<long long>(v)) : json(v);
    json jp = {{"workload", p.workload}, {"label", p.Label()}, {"params", params}, {"variant", p.variant},
               {"unit", p.unit},         {"samples", p.samples}, {"median", p.median},
               {"mad", p.mad},           {"ci95", {p.ci_lo, p.ci_hi}}};
    jp["instructions_per_op"] = p.instructions_per_op ? json(*p.instructions_per_op) : json(nullptr);
    jp["peak_rss_kb"] = p.peak_rss_kb ? json(*p.peak_rss_kb) : json(nullptr);
    jp["rss_after_free_kb"] = p.rss_after_free_kb ? json(*p.rss_after_free_kb) : json(nullptr);
    if (!p.peak_rss_samples_kb.empty()) jp["peak_rss_samples_kb"] = p.peak_rss_samples_kb;
    if (!p.rss_after_free_samples_kb.empty()) jp["rss_after_free_samples_kb"] = p.rss_after_free_samples_kb;
    if (p.p99_ns_per_op) jp["p99_ns_per_op"] = *p.p99_ns_per_op;
    if (!p.tiers.empty()) jp["tiers"] = p.tiers;
    j["points"].push_back(jp);
    const double ns = p.median > 0 ? 1e9 / p.median : 0;
    j["benchmarks"].push_back({{"name", p.variant + "/" + p.workload + "/" + p.Label()},
                               {"run_type", "iteration"},
                               {"iterations", 1},
                               {"real_time", ns},
                               {"cpu_time", ns},
                               {"time_unit", "ns"}});
  }
  j["fastpath_instructions"] = r.fastpath;
  if (!r.fastpath_cycles.empty()) {
    j["fastpath_cycles"] = r.fastpath_cycles;
    j["fastpath_cycles_clock"] = r.fastpath_cycles_clock;
  }
  return j;
}

json UpgradeV1(const json& v1, const std::string& run_kind) {
  if (!v1.is_object() || v1.value("schema", "") != kSchemaName) return v1;
  auto ver = v1.find("schema_version");
  if (ver == v1.end() || !ver->is_number_integer() || ver->get<int>() != 1) return v1;
  json j = v1;
  j["schema_version"] = 2;
  j["run_kind"] = run_kind;
  auto m = j.find("machine");
  if (m != j.end() && m->is_object()) {
    (*m)["fingerprint_scheme"] = 1;
    (*m)["fingerprint_fields"] = FingerprintFields(1);
    (*m)["memory_gib"] = 0;  // unknown
    const auto k = m->find("kernel");
    (*m)["kernel_series"] = k != m->end() && k->is_string() ? KernelSeries(k->get<std::string>()) : "";
    (*m)["host"] = "";       // unknown: v1 hashed the raw machine-id and did not record it
  }
  return j;
}

namespace {
// Field readers that throw a message naming the field.
struct Reader {
  std::string origin;
  [[noreturn]] void Fail(const std::string& field, const std::string& what) const {
    throw std::runtime_error(origin + ": " + field + ": " + what);
  }
  const json& Get(const json& o, const std::string& key, const std::string& path) const {
    if (!o.is_object()) Fail(path, "expected an object");
    auto it = o.find(key);
    if (it == o.end()) Fail(path.empty() ? key : path + "." + key, "missing");
    return *it;
  }
  std::string Str(const json& o, const std::string& key, const std::string& path = "") const {
    const json& v = Get(o, key, path);
    if (!v.is_string()) Fail(path.empty() ? key : path + "." + key, "expected a string");
    return v.get<std::string>();
  }
  double Num(const json& v, const std::string& field) const {
    if (!v.is_number()) Fail(field, "expected a number");
    const double d = v.get<double>();
    if (!std::isfinite(d)) Fail(field, "not a finite number");
    return d;
  }
  std::optional<double> OptNum(const json& o, const std::string& key, const std::string& path) const {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::nullopt;
    const double d = Num(*it, path + "." + key);
    if (d < 0) Fail(path + "." + key, "negative");
    return d;
  }
};
}  // namespace

std::optional<Result> FromJson(const json& input, const std::string& origin, std::string* error,
                               const std::string& v1_run_kind) {
  Reader rd{origin};
  try {
    if (!input.is_object()) rd.Fail("(top)", "expected a JSON object");
    if (rd.Str(input, "schema") != kSchemaName) rd.Fail("schema", "not a hakmem-lab result");
    const json& ver = rd.Get(input, "schema_version", "");
    if (!ver.is_number_integer() || (ver.get<int>() != 1 && ver.get<int>() != kSchemaVersion)) {
      rd.Fail("schema_version", "is " + ver.dump() + ", this reader understands 1 (upgraded) and " +
                                    std::to_string(kSchemaVersion));
    }
    const json j = ver.get<int>() == 1 ? UpgradeV1(input, v1_run_kind) : input;
    Result r;
    r.run_kind = rd.Str(j, "run_kind");
    if (std::find(kRunKinds.begin(), kRunKinds.end(), r.run_kind) == kRunKinds.end()) {
      rd.Fail("run_kind", "is '" + r.run_kind + "', expected full or quick");
    }
    r.commit = rd.Str(j, "commit");
    if (r.commit.empty()) rd.Fail("commit", "empty");
    const json& dirty = rd.Get(j, "dirty", "");
    if (!dirty.is_boolean()) rd.Fail("dirty", "expected true or false");
    r.dirty = dirty.get<bool>();
    r.started_at = rd.Str(j, "started_at");
    if (r.started_at.empty()) rd.Fail("started_at", "empty");
    r.bazel_version = rd.Str(j, "bazel_version");
    r.flags = rd.Str(j, "flags");
    const json& m = rd.Get(j, "machine", "");
    r.machine.fingerprint = rd.Str(m, "fingerprint", "machine");
    if (r.machine.fingerprint.empty()) rd.Fail("machine.fingerprint", "empty");
    const json& scheme = rd.Get(m, "fingerprint_scheme", "machine");
    if (!scheme.is_number_integer() || (scheme.get<int>() != 1 && scheme.get<int>() != 2)) {
      rd.Fail("machine.fingerprint_scheme", "is " + scheme.dump() + ", expected 1 or 2");
    }
    r.machine.fingerprint_scheme = scheme.get<int>();
    r.machine.cpu_model = rd.Str(m, "cpu_model", "machine");
    r.machine.kernel = rd.Str(m, "kernel", "machine");
    r.machine.libc = rd.Str(m, "libc", "machine");
    r.machine.cores = int(rd.Num(rd.Get(m, "cores", "machine"), "machine.cores"));
    if (r.machine.cores <= 0) rd.Fail("machine.cores", "not positive");
    const json& mem = rd.Get(m, "memory_gib", "machine");
    if (!mem.is_number_integer() || mem.get<long long>() < 0) rd.Fail("machine.memory_gib", "expected a whole number >= 0");
    r.machine.memory_gib = mem.get<int>();
    r.machine.kernel_series = rd.Str(m, "kernel_series", "machine");
    r.machine.host = rd.Str(m, "host", "machine");
    const json& complete = rd.Get(j, "complete", "");
    if (!complete.is_boolean()) rd.Fail("complete", "expected true or false");
    r.complete = complete.get<bool>();
    if (!r.complete && j.contains("incomplete_reason")) r.incomplete_reason = rd.Str(j, "incomplete_reason");
    if (j.contains("binaries")) {  // optional: what was measured
      const json& b = j["binaries"];
      if (!b.is_object()) rd.Fail("binaries", "expected an object");
      for (auto it = b.begin(); it != b.end(); ++it) {
        const std::string f = "binaries." + it.key();
        if (it.key().empty() || it.key().find('/') != std::string::npos) rd.Fail(f, "expected a file name");
        if (!it->is_string()) rd.Fail(f, "expected a string");
        const std::string h = it->get<std::string>();
        if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos) {
          rd.Fail(f, "expected 64 lowercase hex digits");
        }
        r.binaries[it.key()] = h;
      }
    }
    if (j.contains("reused_from")) {  // optional: backfill reused a byte-identical build's run
      const json& u = j["reused_from"];
      ReusedFrom rf{rd.Str(u, "commit", "reused_from"), rd.Str(u, "reason", "reused_from")};
      if (rf.commit.size() != 40 || rf.commit.find_first_not_of("0123456789abcdef") != std::string::npos) {
        rd.Fail("reused_from.commit", "expected 40 lowercase hex digits");
      }
      r.reused_from = rf;
    }
    const json& vs = rd.Get(j, "variants", "");
    if (!vs.is_array()) rd.Fail("variants", "expected an array");
    std::set<std::string> names;
    for (size_t i = 0; i < vs.size(); ++i) {
      const std::string path = "variants[" + std::to_string(i) + "]";
      VariantInfo v{rd.Str(vs[i], "name", path), rd.Str(vs[i], "allocator", path),
                    rd.Str(vs[i], "switches", path), rd.Str(vs[i], "compiler", path)};
      if (v.name.empty()) rd.Fail(path + ".name", "empty");
      if (vs[i].contains("preload")) {  // optional: --peer NAME=/path/lib.so
        const std::string pp = path + ".preload";
        const json& pl = vs[i]["preload"];
        v.preload = Preload{rd.Str(pl, "path", pp), rd.Str(pl, "soname", pp), rd.Str(pl, "sha256", pp)};
        if (v.preload->path.empty() || v.preload->path[0] != '/') rd.Fail(pp + ".path", "expected an absolute path");
        const std::string& h = v.preload->sha256;
        if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos) {
          rd.Fail(pp + ".sha256", "expected 64 lowercase hex digits");
        }
      }
      if (!names.insert(v.name).second) rd.Fail(path + ".name", "duplicate variant '" + v.name + "'");
      r.variants.push_back(v);
    }
    const json& ps = rd.Get(j, "points", "");
    if (!ps.is_array()) rd.Fail("points", "expected an array");
    // A partial result may hold nothing (its first run failed); a complete one never does.
    if (ps.empty() && r.complete) rd.Fail("points", "empty (a complete result measured nothing)");
    std::set<std::string> keys;
    for (size_t i = 0; i < ps.size(); ++i) {
      const std::string path = "points[" + std::to_string(i) + "]";
      Point p;
      p.workload = rd.Str(ps[i], "workload", path);
      const bool gbench = p.workload.rfind("gbench/", 0) == 0 && p.workload.size() > 7;
      if (!gbench && std::find(kWorkloads.begin(), kWorkloads.end(), p.workload) == kWorkloads.end()) {
        rd.Fail(path + ".workload", "unknown workload '" + p.workload + "'");
      }
      p.variant = rd.Str(ps[i], "variant", path);
      if (names.count(p.variant) == 0) rd.Fail(path + ".variant", "unknown variant '" + p.variant + "'");
      p.unit = rd.Str(ps[i], "unit", path);
      if (std::find(kUnits.begin(), kUnits.end(), p.unit) == kUnits.end()) {
        rd.Fail(path + ".unit", "unknown unit '" + p.unit + "'");
      }
      const json& params = rd.Get(ps[i], "params", path);
      if (!params.is_object()) rd.Fail(path + ".params", "expected an object");
      for (auto it = params.begin(); it != params.end(); ++it) {
        const double v = rd.Num(it.value(), path + ".params." + it.key());
        // Sizes, counts, times: all positive; only a seed may be anything.
        if (it.key() != "seed" && v <= 0) rd.Fail(path + ".params." + it.key(), "not positive (" + ExactNumber(v) + ")");
        p.params[it.key()] = v;
      }
      // The label as written (older files have none: it is derived by the same rule).
      if (ps[i].contains("label")) {
        p.label = rd.Str(ps[i], "label", path);
        if (p.label.empty()) rd.Fail(path + ".label", "empty");
      }
      const json& samples = rd.Get(ps[i], "samples", path);
      if (!samples.is_array() || samples.empty()) rd.Fail(path + ".samples", "expected a non-empty array");
      for (size_t k = 0; k < samples.size(); ++k) {
        const std::string f = path + ".samples[" + std::to_string(k) + "]";
        const double s = rd.Num(samples[k], f);
        if (s <= 0) rd.Fail(f, "not positive");
        p.samples.push_back(s);
      }
      p.instructions_per_op = rd.OptNum(ps[i], "instructions_per_op", path);
      p.peak_rss_kb = rd.OptNum(ps[i], "peak_rss_kb", path);
      p.rss_after_free_kb = rd.OptNum(ps[i], "rss_after_free_kb", path);
      for (auto [key, dst] : {std::pair<const char*, std::vector<double>*>{"peak_rss_samples_kb", &p.peak_rss_samples_kb},
                              {"rss_after_free_samples_kb", &p.rss_after_free_samples_kb}}) {
        if (!ps[i].contains(key)) continue;
        const json& a = ps[i][key];
        if (!a.is_array()) rd.Fail(path + "." + key, "expected an array");
        for (size_t k = 0; k < a.size(); ++k) {
          const std::string f = path + "." + key + "[" + std::to_string(k) + "]";
          const double v = rd.Num(a[k], f);
          if (v < 0) rd.Fail(f, "negative");
          dst->push_back(v);
        }
      }
      p.p99_ns_per_op = rd.OptNum(ps[i], "p99_ns_per_op", path);
      if (ps[i].contains("tiers")) {
        const json& t = ps[i]["tiers"];
        if (!t.is_object()) rd.Fail(path + ".tiers", "expected an object");
        for (auto it = t.begin(); it != t.end(); ++it) p.tiers[it.key()] = rd.Num(it.value(), path + ".tiers." + it.key());
      }
      Summarize(&p);  // the stored summary is recomputed, never trusted
      if (!keys.insert(p.Key()).second) rd.Fail(path, "duplicated point (" + p.Key() + ")");
      r.points.push_back(std::move(p));
    }
    if (j.contains("fastpath_cycles")) {
      const json& fc = j["fastpath_cycles"];
      if (!fc.is_object()) rd.Fail("fastpath_cycles", "expected an object");
      for (auto it = fc.begin(); it != fc.end(); ++it) {
        if (!it.value().is_object()) rd.Fail("fastpath_cycles." + it.key(), "expected an object");
        for (auto kv = it.value().begin(); kv != it.value().end(); ++kv) {
          const double v = rd.Num(kv.value(), "fastpath_cycles." + it.key() + "." + kv.key());
          if (v < 0) rd.Fail("fastpath_cycles." + it.key() + "." + kv.key(), "negative");
          r.fastpath_cycles[it.key()][kv.key()] = v;
        }
      }
      if (j.contains("fastpath_cycles_clock")) r.fastpath_cycles_clock = rd.Str(j, "fastpath_cycles_clock");
    }
    if (j.contains("fastpath_instructions")) {
      const json& fp = j["fastpath_instructions"];
      if (!fp.is_object()) rd.Fail("fastpath_instructions", "expected an object");
      for (auto it = fp.begin(); it != fp.end(); ++it) {
        for (auto kv = it.value().begin(); kv != it.value().end(); ++kv) {
          r.fastpath[it.key()][kv.key()] =
              rd.Num(kv.value(), "fastpath_instructions." + it.key() + "." + kv.key());
        }
      }
    }
    return r;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::optional<Result> ReadResultFile(const std::string& path, std::string* error,
                                     const std::string& v1_run_kind) {
  std::ifstream f(path);
  if (!f) {
    *error = path + ": cannot open";
    return std::nullopt;
  }
  json j;
  try {
    f >> j;
  } catch (const std::exception& e) {
    *error = path + ": not valid JSON (truncated or corrupt): " + e.what();
    return std::nullopt;
  }
  return FromJson(j, path, error, v1_run_kind);
}

std::string UserPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  if (wd != nullptr && wd[0] != '\0') return std::string(wd) + "/" + path;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

std::string ProfileFile(const std::string& dir, std::string name) {
  for (char& c : name) {
    if (c == ' ' || c == '/') c = '_';
  }
  return dir + "/" + name + ".callgrind";
}

std::string BaselineRoot(const std::string& workspace) {
  const char* env = getenv("HAKMEM_LAB_BASELINES");
  if (env != nullptr && env[0] != '\0') return UserPath(env);
  return workspace + "/baselines";
}

bool CheckWritable(const std::string& path, std::string* why, bool create_dirs) {
  auto parent = [](const std::string& p) {
    const size_t slash = p.rfind('/');
    return slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : p.substr(0, slash);
  };
  const std::string dir = parent(path);
  struct stat st {};
  if (create_dirs && stat(dir.c_str(), &st) != 0) {
    // The nearest existing ancestor must be a writable directory: it will hold the new ones.
    std::string up = dir;
    while (stat(up.c_str(), &st) != 0 && up != "/" && up != ".") up = parent(up);
    if (!S_ISDIR(st.st_mode)) {
      *why = path + ": cannot create directory " + dir + ": " + up + " is not a directory";
      return false;
    }
    if (access(up.c_str(), W_OK) != 0) {
      *why = path + ": cannot create directory " + dir + ": directory " + up + " is not writable";
      return false;
    }
    return true;
  }
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *why = path + ": directory " + dir + " does not exist";
    return false;
  }
  if (access(dir.c_str(), W_OK) != 0) {
    *why = path + ": directory " + dir + " is not writable";
    return false;
  }
  if (stat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || access(path.c_str(), W_OK) != 0)) {
    *why = path + ": exists and is not a writable file";
    return false;
  }
  return true;
}

bool WriteFileAtomic(const std::string& path, const std::string& contents, std::string* error,
                     bool no_replace) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = tmp + ": cannot create";
    return false;
  }
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n <= 0) {
      close(fd);
      unlink(tmp.c_str());
      *error = tmp + ": write failed";
      return false;
    }
    done += size_t(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    *error = tmp + ": write failed";
    return false;
  }
  if (no_replace) {
    const bool linked = link(tmp.c_str(), path.c_str()) == 0;
    const int why = errno;
    unlink(tmp.c_str());
    if (!linked) {
      *error = path + (why == EEXIST ? ": exists already; not replaced" : ": could not be created");
      return false;
    }
    return true;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    *error = path + ": could not be replaced atomically";
    return false;
  }
  return true;
}

}  // namespace lab
