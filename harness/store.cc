// store.cc — the store layer: the one path rule, put/list, and the one-off migration of the
// old layout (harness/store.h).
#include "harness/store.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "harness/machine.h"

namespace lab {

using nlohmann::json;

namespace {

bool IsHex(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool IsDir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Names in a directory (not . and ..), sorted; empty when it cannot be read.
std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Temporary files of WriteFileAtomic (`x.json.tmp.123`) and anything else named .tmp*.
bool IsTemporary(const std::string& n) { return n.rfind(".tmp", 0) == 0 || n.find(".tmp.") != std::string::npos; }

std::optional<json> ReadJson(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  try {
    json j;
    f >> j;
    return j;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// mkdir -p. *error names the directory asked for and the part that stopped it:
// "cannot create directory /a/b/c: /a/b is not a directory".
bool MakeDirsFrom(const std::string& dir, std::string* part_error) {
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    *part_error = dir + " is not a directory";
    return false;
  }
  const size_t slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0 && !MakeDirsFrom(dir.substr(0, slash), part_error)) return false;
  if (mkdir(dir.c_str(), 0755) != 0 && !(errno == EEXIST && IsDir(dir))) {
    *part_error = dir + ": " + strerror(errno);
    return false;
  }
  return true;
}

bool MakeDirs(const std::string& dir, std::string* error) {
  std::string why;
  if (MakeDirsFrom(dir, &why)) return true;
  *error = "cannot create directory " + dir + ": " + why;
  return false;
}

std::string JsonStr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "2026-11-22T04:22:08Z" -> "20261122T042208" ("" when it is not such a time).
std::string Stamp(const std::string& iso) {
  std::string s;
  for (char c : iso) {
    if (isdigit(static_cast<unsigned char>(c)) || c == 'T') s += c;
  }
  return s.size() == 15 && s[8] == 'T' ? s : "";
}

std::string MtimeStamp(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "00000000T000000";
  tm g{};
  gmtime_r(&st.st_mtime, &g);
  return fmt::format("{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}", g.tm_year + 1900, g.tm_mon + 1, g.tm_mday, g.tm_hour,
                     g.tm_min, g.tm_sec);
}

}  // namespace

bool ValidStoreName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '+' && c != '-') return false;
  }
  return true;
}

bool ValidMachineId(const std::string& fp) { return IsHex(fp, 16); }

json MachineJson(const Machine& m, const std::vector<std::string>& legacy_fingerprints) {
  json j = MachineToJson(m);
  j["schema"] = "hakmem-lab/machine";
  j["legacy_fingerprints"] = legacy_fingerprints;
  return j;
}

std::string GuessRunKind(const json& result) {
  // The sweep's grids (harness/sweep.cc Grid): the quick one divides the runs' lengths.
  bool quick = false, full = false;
  auto it = result.find("points");
  if (it == result.end() || !it->is_array()) return "";
  for (const auto& p : *it) {
    if (!p.is_object() || !p.contains("params") || !p["params"].is_object()) continue;
    const std::string w = JsonStr(p, "workload");
    const json& ps = p["params"];
    auto num = [&](const char* k) { return ps.contains(k) && ps[k].is_number() ? ps[k].get<double>() : -1.0; };
    auto vote = [&](double v, double q, double f) {
      if (v == q) quick = true;
      if (v == f) full = true;
    };
    if (w == "random_mixed") vote(num("cycles"), 1e6, 1e7);
    if (w == "medium_mixed") vote(num("cycles"), 5e5, 2e6);
    if (w == "size_sweep" && num("min_size") > 0 && num("min_size") <= 65536) vote(num("cycles"), 5e5, 2e6);
    if (w == "mt_larson") vote(num("ops"), 2e6, 2e7);
    if (w == "mt_prodcons" || w == "mt_churn") vote(num("ops"), 4e5, 4e6);
    if (w == "mem_liveset") vote(num("mib"), 16, 64);
    if (w == "mem_prodcons_long") vote(num("ops"), 1e6, 4e6);
    if (w == "mem_thread_churn") vote(num("threads"), 50, 200);
    if (w == "mem_large_churn") vote(num("cycles"), 500, 3000);
    if (w == "mem_realloc_grow" && num("max_kb") == 1024) {
      vote(num("rounds"), 4000, 20000);
      vote(num("rounds"), 200, 1000);  // the grids before 2026-12-02, in stored results
    }
  }
  return quick == full ? "" : quick ? "quick" : "full";
}

std::string GuessVerdictKind(const json& verdict) {
  static const std::set<std::string> full_only = {
      "random_mixed ws=256", "random_mixed ws=512", "size_sweep size=8", "size_sweep size=15",
      "size_sweep size=31", "size_sweep size=32", "size_sweep size=63", "size_sweep size=64",
      "size_sweep size=127", "size_sweep size=128", "size_sweep size=255", "size_sweep size=256",
      "size_sweep size=511", "size_sweep size=512", "size_sweep size=1024", "size_sweep size=2048",
      "size_sweep size=16384", "size_sweep size=53248", "size_sweep size=262144", "size_sweep size=1048576",
      "size_sweep size=2097152", "mem_liveset mib=64 rounds=3", "mem_thread_churn threads=200",
      "medium_mixed ws=512",
      "mem_large_churn cycles=3000 live=8 max_kb=8192 min_kb=256",
      "mem_realloc_grow max_kb=1024 rounds=20000 steps=64",
      "mem_realloc_grow max_kb=1024 rounds=1000 steps=64"};  // max_kb=16384 rounds=20: in both grids
  auto it = verdict.find("points");
  if (it == verdict.end() || !it->is_array()) return "";
  bool grid = false;
  for (const auto& p : *it) {
    const std::string name = p.is_object() ? JsonStr(p, "point") : "";
    if (full_only.count(name)) return "full";
    if (name.rfind("random_mixed ", 0) == 0 || name.rfind("size_sweep ", 0) == 0 ||
        name.rfind("medium_mixed ", 0) == 0) {
      grid = true;
    }
  }
  return grid ? "quick" : "";
}

BaselineStore::BaselineStore(std::string root, std::optional<Machine> self)
    : root_(std::move(root)), self_(self ? *self : ThisMachine()) {}

std::string BaselineStore::ResolveRoot(const std::string& root_flag, const std::string& workspace) {
  if (!root_flag.empty()) return UserPath(root_flag);
  const char* env = getenv("HAKMEM_LAB_BASELINES");
  if ((env == nullptr || env[0] == '\0') && workspace.empty()) return "";
  return BaselineRoot(workspace);
}

std::string BaselineStore::Path(const std::string& machine, const std::string& kind, const std::string& series,
                                const std::string& name, std::string* error) const {
  if (!ValidMachineId(machine)) {
    *error = "machine '" + machine + "' is not a fingerprint (16 lowercase hex digits)";
  } else if (std::find(kRunKinds.begin(), kRunKinds.end(), kind) == kRunKinds.end()) {
    *error = "kind '" + kind + "' is neither full nor quick";
  } else if (std::find(kSeries.begin(), kSeries.end(), series) == kSeries.end()) {
    *error = "series '" + series + "' is not one of commits, history, bisect";
  } else if (!ValidStoreName(name)) {
    *error = "name '" + name + "' is not [A-Za-z0-9._+-]+ (not starting with '.')";
  } else {
    return fmt::format("{}/{}/{}/{}/{}.json", root_, machine, kind, series, name);
  }
  return "";
}

BaselineStore::PutStatus BaselineStore::Put(const Result& r, const std::string& text, const std::string& series,
                                            const std::string& name, bool replace, std::string* path,
                                            std::string* error) const {
  *path = Path(r.machine.fingerprint, r.run_kind, series, name, error);
  if (path->empty()) return PutStatus::kError;
  if (!r.complete) {
    *error = "an incomplete result is never stored (" + r.incomplete_reason + ")";
    return PutStatus::kError;
  }
  const std::string dir = path->substr(0, path->rfind('/'));
  if (!MakeDirs(dir, error)) return PutStatus::kError;
  if (access(dir.c_str(), W_OK) != 0) {
    *error = "directory " + dir + " is not writable";
    return PutStatus::kError;
  }
  if (!replace && access(path->c_str(), F_OK) == 0) {
    *error = *path + " exists already (--replace to replace it)";
    return PutStatus::kExists;
  }
  if (r.machine.fingerprint == self_.fingerprint) {
    const std::string mj = MachineDir(r.machine.fingerprint) + "/machine.json";
    std::string ignored;  // another writer may create it first: theirs is the same
    if (access(mj.c_str(), F_OK) != 0) {
      WriteFileAtomic(mj, MachineJson(self_, {}).dump(1) + "\n", &ignored, /*no_replace=*/true);
    }
  }
  if (!WriteFileAtomic(*path, text, error, /*no_replace=*/!replace)) {
    // Lost a race for the same entry (link(2) said EEXIST), or the directory refused the write.
    return access(path->c_str(), F_OK) == 0 && !replace ? PutStatus::kExists : PutStatus::kError;
  }
  return PutStatus::kOk;
}

std::vector<std::string> BaselineStore::Machines() const {
  std::vector<std::string> out;
  for (const auto& n : ListDir(root_)) {
    if (ValidMachineId(n) && IsDir(root_ + "/" + n)) out.push_back(n);
  }
  return out;
}

std::vector<std::string> BaselineStore::LegacyFingerprints(const std::string& machine) const {
  std::vector<std::string> out;
  const auto j = ReadJson(MachineDir(machine) + "/machine.json");
  if (!j || !j->is_object() || !j->contains("legacy_fingerprints") || !(*j)["legacy_fingerprints"].is_array()) return out;
  for (const auto& v : (*j)["legacy_fingerprints"]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<StoreEntry> BaselineStore::List(const std::vector<std::string>& machines, const std::string& kind,
                                            const std::string& series) const {
  std::vector<StoreEntry> out;
  for (const auto& m : machines) {
    for (const auto& k : kRunKinds) {
      if (!kind.empty() && k != kind) continue;
      for (const auto& s : kSeries) {
        if (!series.empty() && s != series) continue;
        const std::string dir = fmt::format("{}/{}/{}/{}", root_, m, k, s);
        for (const auto& f : ListDir(dir)) {
          if (!EndsWith(f, ".json") || IsTemporary(f) || !IsFile(dir + "/" + f)) continue;
          StoreEntry e;
          e.machine = m, e.kind = k, e.series = s, e.name = f.substr(0, f.size() - 5), e.path = dir + "/" + f;
          e.type = "other";
          if (!ValidStoreName(e.name)) continue;
          const auto j = ReadJson(e.path);
          if (s == "bisect" || EndsWith(e.name, ".gate")) {
            e.type = "verdict";
          } else if (j && j->is_object() && JsonStr(*j, "schema") == kSchemaName) {
            e.type = "result";
            e.commit = JsonStr(*j, "commit");
            e.started_at = JsonStr(*j, "started_at");
            e.run_kind = j->contains("run_kind") ? JsonStr(*j, "run_kind") : k;  // v1: where it is stored
            auto u = j->find("reused_from");
            if (u != j->end() && u->is_object()) e.reused_from = JsonStr(*u, "commit");
          }
          out.push_back(e);
        }
      }
    }
  }
  return out;
}

// ---- migration ----
namespace {

struct Source {
  std::string from;             // its path now
  std::string old_fp;           // the old fingerprint directory it came from
  std::string kind, series, name;
  std::string run_time;         // started_at of the run it belongs to ("" unknown)
  std::string kind_note;        // how its kind was decided
};

}  // namespace

bool BaselineStore::Migrate(const std::string& machine_id_raw, bool dry_run, std::vector<std::string>* log,
                            std::string* error) const {
  const std::string would = dry_run ? "would " : "";
  std::vector<Source> sources;
  std::map<std::string, std::vector<json>> blocks;  // old fp -> machine blocks found in its files
  auto note_block = [&](const std::string& fp, const std::optional<json>& j) {
    if (j && j->is_object() && j->contains("machine") && (*j)["machine"].is_object() &&
        JsonStr((*j)["machine"], "fingerprint") == fp) {
      blocks[fp].push_back((*j)["machine"]);
    }
  };
  // Results in a directory: the run time of its non-result files (routes, summary) is the
  // latest started_at of the results beside them.
  auto scan_dir = [&](const std::string& dir, const std::string& fp, const std::string& kind,
                      const std::string& series) {
    std::vector<Source> here;
    std::string latest;
    for (const auto& f : ListDir(dir)) {
      const std::string p = dir + "/" + f;
      if (!IsFile(p)) continue;
      if (!EndsWith(f, ".json") || IsTemporary(f) || !ValidStoreName(f.substr(0, f.size() - 5))) {
        log->push_back("left in place (not a store entry): " + p);
        continue;
      }
      const auto j = ReadJson(p);
      note_block(fp, j);
      Source s{p, fp, kind, series, f.substr(0, f.size() - 5), "", ""};
      if (j && j->is_object()) s.run_time = JsonStr(*j, "started_at");
      if (s.run_time > latest) latest = s.run_time;
      if (series == "bisect") {
        const std::string k = j ? GuessVerdictKind(*j) : "";
        s.kind = k.empty() ? "full" : k;
        s.kind_note = k.empty() ? "kind full: the verdict does not tell" : "kind " + k + ": its points are the " + k + " grid's";
      }
      here.push_back(s);
    }
    for (auto& s : here) {
      if (s.run_time.empty()) s.run_time = latest;
      sources.push_back(s);
    }
  };
  for (const auto& top : ListDir(root_)) {
    const std::string tdir = root_ + "/" + top;
    if (!IsDir(tdir)) continue;
    if (IsHex(top, 40)) {  // <sha>/<fp>.json
      for (const auto& f : ListDir(tdir)) {
        const std::string p = tdir + "/" + f;
        const std::string fp = EndsWith(f, ".json") ? f.substr(0, f.size() - 5) : "";
        if (!IsFile(p) || !ValidMachineId(fp)) {
          if (!IsTemporary(f)) log->push_back("left in place (not <sha>/<fingerprint>.json): " + p);
          continue;
        }
        const auto j = ReadJson(p);
        note_block(fp, j);
        const std::string k = j ? GuessRunKind(*j) : "";
        Source s{p, fp, k.empty() ? "full" : k, "commits", top, j ? JsonStr(*j, "started_at") : "",
                 k.empty() ? "kind full: its grid does not tell" : "kind " + k + ": its grid is the " + k + " one"};
        sources.push_back(s);
      }
    } else if (top == "history" || top == "bisect") {
      for (const auto& fp : ListDir(tdir)) {
        const std::string d = tdir + "/" + fp;
        if (!IsDir(d) || !ValidMachineId(fp)) continue;
        scan_dir(d, fp, "full", top);
        if (top == "history" && IsDir(d + "/quick")) scan_dir(d + "/quick", fp, "quick", top);
      }
    }
  }
  if (sources.empty()) {
    log->push_back("nothing to migrate under " + root_);
    return true;
  }

  // Which old fingerprints are this host: the legacy hash of a block with this machine-id.
  std::set<std::string> old_fps;
  for (const auto& s : sources) old_fps.insert(s.old_fp);
  std::map<std::string, std::string> target_machine;  // old fp -> machine dir
  std::vector<std::string> proven;
  for (const auto& fp : old_fps) {
    bool ok = false;
    for (const auto& b : blocks[fp]) {
      const int cores = b.contains("cores") && b["cores"].is_number() ? b["cores"].get<int>() : 0;
      if (LegacyFingerprint(JsonStr(b, "cpu_model"), cores, JsonStr(b, "kernel"), JsonStr(b, "libc"), machine_id_raw) ==
          fp) {
        ok = true;
        log->push_back(fmt::format("{} is this host (its machine block \"{}\", \"{}\" with this machine-id gives it): "
                                   "moved under {}",
                                   fp, JsonStr(b, "cpu_model"), JsonStr(b, "kernel"), self_.fingerprint));
        break;
      }
    }
    if (ok) {
      proven.push_back(fp);
      target_machine[fp] = self_.fingerprint;
    } else {
      log->push_back(fmt::format("{} is not proven to be this host: kept as its own machine {}", fp, MachineDir(fp)));
      target_machine[fp] = fp;
    }
  }

  // Group by target; the newest run takes the entry, the others go to superseded/.
  struct Candidate {
    std::string from, run_time, note;
    bool existing = false;
  };
  std::map<std::string, std::vector<Candidate>> by_target;
  for (const auto& s : sources) {
    std::string err;
    const std::string to = Path(target_machine[s.old_fp], s.kind, s.series, s.name, &err);
    if (to.empty()) {
      log->push_back("left in place (" + err + "): " + s.from);
      continue;
    }
    auto& group = by_target[to];
    if (group.empty() && IsFile(to)) {
      const auto j = ReadJson(to);
      group.push_back({to, j && j->is_object() ? JsonStr(*j, "started_at") : "", "", true});
    }
    group.push_back({s.from, s.run_time, s.kind_note, false});
  }
  size_t moved = 0, superseded = 0;
  auto do_rename = [&](const std::string& from, const std::string& to, const std::string& what) {
    if (access(to.c_str(), F_OK) == 0) {
      log->push_back("left in place (" + to + " exists): " + from);
      return true;
    }
    log->push_back(fmt::format("{}{} {} -> {}{}", would, what, from, to, ""));
    if (dry_run) return true;
    const std::string dir = to.substr(0, to.rfind('/'));
    if (!MakeDirs(dir, error)) return false;
    if (rename(from.c_str(), to.c_str()) != 0) {
      *error = fmt::format("cannot move {} to {}: {}", from, to, strerror(errno));
      return false;
    }
    return true;
  };
  for (auto& [to, group] : by_target) {
    std::stable_sort(group.begin(), group.end(), [](const Candidate& a, const Candidate& b) {
      if (a.run_time != b.run_time) return a.run_time > b.run_time;
      return a.existing && !b.existing;  // a tie keeps what is in place
    });
    const std::string dir = to.substr(0, to.rfind('/'));
    const std::string name = to.substr(dir.size() + 1, to.size() - dir.size() - 1 - 5);
    for (size_t i = 0; i < group.size(); ++i) {
      const Candidate& c = group[i];
      if (i == 0) {
        if (c.existing) continue;
        if (!do_rename(c.from, to, "move" + std::string(c.note.empty() ? "" : " (" + c.note + ")"))) return false;
        ++moved;
        continue;
      }
      const std::string stamp = Stamp(c.run_time).empty() ? MtimeStamp(c.from) : Stamp(c.run_time);
      const std::string old = fmt::format("{}/superseded/{}.{}.json", dir, name, stamp);
      if (!do_rename(c.from, old, fmt::format("supersede (older than {} of {})", group[0].run_time, group[0].from))) {
        return false;
      }
      ++superseded;
    }
  }

  // machine.json of every machine something lands under.
  std::set<std::string> targets;
  for (const auto& [fp, m] : target_machine) targets.insert(m);
  for (const auto& m : targets) {
    const std::string mj = MachineDir(m) + "/machine.json";
    json j;
    if (m == self_.fingerprint) {
      std::vector<std::string> legacy = LegacyFingerprints(m);
      for (const auto& fp : proven) {
        if (std::find(legacy.begin(), legacy.end(), fp) == legacy.end()) legacy.push_back(fp);
      }
      std::sort(legacy.begin(), legacy.end());
      j = MachineJson(self_, legacy);
    } else {
      if (IsFile(mj)) continue;
      // Built from the file's own (scheme-1) machine block, completed as UpgradeV1 does.
      json wrapped = {{"schema", kSchemaName}, {"schema_version", 1}, {"machine", json::object()}};
      if (!blocks[m].empty()) wrapped["machine"] = blocks[m].front();
      const json up = UpgradeV1(wrapped)["machine"];
      Machine old;
      old.fingerprint = m;
      old.fingerprint_scheme = 1;
      old.cpu_model = JsonStr(up, "cpu_model");
      old.kernel = JsonStr(up, "kernel");
      old.libc = JsonStr(up, "libc");
      old.kernel_series = JsonStr(up, "kernel_series");
      old.cores = up.contains("cores") && up["cores"].is_number() ? up["cores"].get<int>() : 0;
      j = MachineJson(old, {});
    }
    log->push_back(would + "write " + mj);
    if (dry_run) continue;
    if (!MakeDirs(MachineDir(m), error)) return false;
    if (!WriteFileAtomic(mj, j.dump(1) + "\n", error)) return false;
  }

  // The old directories, now empty, go (only empty ones: nothing is deleted).
  if (!dry_run) {
    for (const auto& s : sources) {
      std::string d = s.from.substr(0, s.from.rfind('/'));
      while (d.size() > root_.size() && rmdir(d.c_str()) == 0) d = d.substr(0, d.rfind('/'));
    }
  }
  log->push_back(fmt::format("{}{} file(s) moved, {} older run(s) to superseded/, {} old fingerprint(s) proven this host",
                             dry_run ? "dry run: " : "", moved, superseded, proven.size()));
  return true;
}

}  // namespace lab
