#include "harness/result.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

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
  if (workload == "random_mixed" && params.count("ws")) return "ws=" + num("ws");
  if (workload.rfind("mt_", 0) == 0 && params.count("threads")) return "threads=" + num("threads");
  if (params.count("arg")) return "arg=" + num("arg");
  Point p;
  p.params = params;
  return p.ParamString();
}

std::string ProgramOf(const std::string& workload) {
  if (workload == "gbench") return "alloc_benchmark";
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

json ToJson(const Result& r) {
  json j;
  j["schema"] = kSchemaName;
  j["schema_version"] = kSchemaVersion;
  j["commit"] = r.commit;
  j["dirty"] = r.dirty;
  j["started_at"] = r.started_at;
  j["bazel_version"] = r.bazel_version;
  j["flags"] = r.flags;
  j["machine"] = {{"fingerprint", r.machine.fingerprint}, {"cpu_model", r.machine.cpu_model},
                  {"cores", r.machine.cores},             {"kernel", r.machine.kernel},
                  {"libc", r.machine.libc}};
  j["complete"] = r.complete;
  if (!r.complete) j["incomplete_reason"] = r.incomplete_reason;
  j["variants"] = json::array();
  for (const auto& v : r.variants) {
    json jv = {{"name", v.name}, {"allocator", v.allocator}, {"switches", v.switches}, {"compiler", v.compiler}};
    if (v.preload) {
      jv["preload"] = {{"path", v.preload->path}, {"soname", v.preload->soname}, {"sha256", v.preload->sha256}};
    }
    j["variants"].push_back(jv);
  }
  j["points"] = json::array();
  for (const auto& p : r.points) {
    json params = json::object();  // integers stay integers: 1000000, never 1e+06 or 1000000.0
    for (const auto& [k, v] : p.params) params[k] = IsWhole(v) ? json(static_cast<long long>(v)) : json(v);
    json jp = {{"workload", p.workload}, {"label", p.Label()}, {"params", params}, {"variant", p.variant},
               {"unit", p.unit},         {"samples", p.samples}, {"median", p.median},
               {"mad", p.mad},           {"ci95", {p.ci_lo, p.ci_hi}}};
    jp["instructions_per_op"] = p.instructions_per_op ? json(*p.instructions_per_op) : json(nullptr);
    jp["peak_rss_kb"] = p.peak_rss_kb ? json(*p.peak_rss_kb) : json(nullptr);
    jp["rss_after_free_kb"] = p.rss_after_free_kb ? json(*p.rss_after_free_kb) : json(nullptr);
    if (p.p99_ns_per_op) jp["p99_ns_per_op"] = *p.p99_ns_per_op;
    if (!p.tiers.empty()) jp["tiers"] = p.tiers;
    j["points"].push_back(jp);
  }
  j["fastpath_instructions"] = r.fastpath;
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

std::optional<Result> FromJson(const json& j, const std::string& origin, std::string* error) {
  Reader rd{origin};
  try {
    if (!j.is_object()) rd.Fail("(top)", "expected a JSON object");
    if (rd.Str(j, "schema") != kSchemaName) rd.Fail("schema", "not a hakmem-lab result");
    const json& ver = rd.Get(j, "schema_version", "");
    if (!ver.is_number_integer() || ver.get<int>() != kSchemaVersion) {
      rd.Fail("schema_version", "is " + ver.dump() + ", this reader understands only " +
                                    std::to_string(kSchemaVersion));
    }
    Result r;
    r.commit = rd.Str(j, "commit");
    const json& dirty = rd.Get(j, "dirty", "");
    if (!dirty.is_boolean()) rd.Fail("dirty", "expected true or false");
    r.dirty = dirty.get<bool>();
    r.started_at = rd.Str(j, "started_at");
    r.bazel_version = rd.Str(j, "bazel_version");
    r.flags = rd.Str(j, "flags");
    const json& m = rd.Get(j, "machine", "");
    r.machine.fingerprint = rd.Str(m, "fingerprint", "machine");
    r.machine.cpu_model = rd.Str(m, "cpu_model", "machine");
    r.machine.kernel = rd.Str(m, "kernel", "machine");
    r.machine.libc = rd.Str(m, "libc", "machine");
    r.machine.cores = int(rd.Num(rd.Get(m, "cores", "machine"), "machine.cores"));
    const json& complete = rd.Get(j, "complete", "");
    if (!complete.is_boolean()) rd.Fail("complete", "expected true or false");
    r.complete = complete.get<bool>();
    if (!r.complete && j.contains("incomplete_reason")) r.incomplete_reason = rd.Str(j, "incomplete_reason");
    const json& vs = rd.Get(j, "variants", "");
    if (!vs.is_array()) rd.Fail("variants", "expected an array");
    std::set<std::string> names;
    for (size_t i = 0; i < vs.size(); ++i) {
      const std::string path = "variants[" + std::to_string(i) + "]";
      VariantInfo v{rd.Str(vs[i], "name", path), rd.Str(vs[i], "allocator", path),
                    rd.Str(vs[i], "switches", path), rd.Str(vs[i], "compiler", path)};
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
    std::set<std::string> keys;
    for (size_t i = 0; i < ps.size(); ++i) {
      const std::string path = "points[" + std::to_string(i) + "]";
      Point p;
      p.workload = rd.Str(ps[i], "workload", path);
      p.variant = rd.Str(ps[i], "variant", path);
      if (names.count(p.variant) == 0) rd.Fail(path + ".variant", "unknown variant '" + p.variant + "'");
      p.unit = rd.Str(ps[i], "unit", path);
      const json& params = rd.Get(ps[i], "params", path);
      if (!params.is_object()) rd.Fail(path + ".params", "expected an object");
      for (auto it = params.begin(); it != params.end(); ++it) {
        p.params[it.key()] = rd.Num(it.value(), path + ".params." + it.key());
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

std::optional<Result> ReadResultFile(const std::string& path, std::string* error) {
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
  return FromJson(j, path, error);
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

bool CheckWritable(const std::string& path, std::string* why) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat st {};
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
