// store — the store layer's command line (harness/store.h): where an entry lives, storing a
// result, listing, and the one-off migration of the old layout. Python tools run this binary.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/machine.h"
#include "harness/result.h"
#include "harness/store.h"

namespace {

using nlohmann::json;

constexpr const char* kUsage = R"(usage: store COMMAND [options]          (bazel run //harness:store -- COMMAND ...)
Layout: <root>/<machine>/machine.json, <root>/<machine>/<kind>/<series>/<name>.json
  machine: 16-hex fingerprint; kind: full|quick; series: commits|history|bisect;
  name: [A-Za-z0-9._+-]+, not starting with '.' (commits: <sha40>, <sha40>.gate)
Root: --root DIR, else $HAKMEM_LAB_BASELINES, else <workspace>/baselines (bazel run);
  relative paths are taken from where you stand. Every path printed is absolute.
Commands:
  machine                           this machine's machine.json object (one JSON object)
  path --series S --name NAME [--kind full|quick] [--machine FP]
                                    the path of that entry (kind full, this machine by
                                    default); creates nothing
  put FILE --series S [--name NAME] [--replace]
                                    validate FILE (a complete v1 or v2 result) and store it,
                                    byte for byte, under its machine.fingerprint and run_kind
                                    (v1: full), named NAME (default: its commit); creates the
                                    directories, and machine.json when the result is this
                                    machine's. Prints the path.
  list [--machine FP | --all-machines] [--kind K] [--series S] [--json]
                                    entries (default: this machine, every kind and series);
                                    --json: one array of {machine, kind, series, name, path,
                                    type (result|verdict|other)}, results also with commit,
                                    started_at, run_kind, reused_from (commit or null)
  migrate [--dry-run]               move the old layout (<sha>/<fp>.json, history/<fp>/[quick/],
                                    bisect/<fp>/) into this one, printing each move; an old
                                    fingerprint goes under this machine only when its legacy
                                    hash is proven to be this host; a collision keeps the newer
                                    run (started_at) and moves the older to superseded/.
                                    Nothing is deleted or rewritten.
  --root DIR                        (any command) the store's root
Exit status: 0 done; 1 put: the entry exists (give --replace); 2 bad input, an invalid file,
a directory that cannot be written (named), a failed move.)";

[[noreturn]] void Die(int code, const std::string& msg) {
  fmt::print(stderr, "store: {}\n", msg);
  std::exit(code);
}

struct Args {
  std::string command, file, root, series, name, kind, machine;
  bool replace = false, all_machines = false, json = false, dry_run = false;
  bool kind_set = false;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(2, s + " needs a value (try --help)");
      return argv[++i];
    };
    if (s == "-h" || s == "--help" || s == "help") {
      fmt::print("{}\n", kUsage);
      std::exit(0);
    } else if (s == "--root") {
      a.root = value();
    } else if (s == "--series") {
      a.series = value();
    } else if (s == "--name") {
      a.name = value();
    } else if (s == "--kind") {
      a.kind = value();
      a.kind_set = true;
    } else if (s == "--machine") {
      a.machine = value();
    } else if (s == "--replace") {
      a.replace = true;
    } else if (s == "--all-machines") {
      a.all_machines = true;
    } else if (s == "--json") {
      a.json = true;
    } else if (s == "--dry-run") {
      a.dry_run = true;
    } else if (!s.empty() && s[0] == '-') {
      Die(2, "unknown option '" + s + "' (try --help)");
    } else if (a.command.empty()) {
      a.command = s;
    } else if (a.command == "put" && a.file.empty()) {
      a.file = s;
    } else {
      Die(2, "unexpected argument '" + s + "' (try --help)");
    }
  }
  if (a.command.empty()) Die(2, "no command (machine, path, put, list, migrate; try --help)");
  // Options that the command does not take are refused, not ignored.
  const std::map<std::string, std::vector<std::string>> takes = {
      {"machine", {}},
      {"path", {"series", "name", "kind", "machine"}},
      {"put", {"series", "name", "replace"}},
      {"list", {"machine", "all-machines", "kind", "series", "json"}},
      {"migrate", {"dry-run"}}};
  auto it = takes.find(a.command);
  if (it == takes.end()) Die(2, "unknown command '" + a.command + "' (machine, path, put, list, migrate)");
  const std::vector<std::pair<std::string, bool>> given = {
      {"series", !a.series.empty()}, {"name", !a.name.empty()},    {"kind", a.kind_set},
      {"machine", !a.machine.empty()}, {"replace", a.replace},     {"all-machines", a.all_machines},
      {"json", a.json},              {"dry-run", a.dry_run}};
  for (const auto& [opt, set] : given) {
    if (set && std::find(it->second.begin(), it->second.end(), opt) == it->second.end()) {
      Die(2, "store " + a.command + " takes no --" + opt);
    }
  }
  return a;
}

std::string Workspace() {
  const char* w = getenv("BUILD_WORKSPACE_DIRECTORY");
  return w == nullptr ? "" : w;
}

lab::BaselineStore OpenStore(const Args& a, bool required) {
  const std::string root = lab::BaselineStore::ResolveRoot(a.root, Workspace());
  if (root.empty() && required) {
    Die(2, "no store root: give --root DIR or set HAKMEM_LAB_BASELINES (or run me with `bazel run //harness:store`)");
  }
  return lab::BaselineStore(root);
}

void CheckSeries(const std::string& s) {
  if (s.empty()) Die(2, "--series is required (commits, history, bisect)");
  if (std::find(lab::kSeries.begin(), lab::kSeries.end(), s) == lab::kSeries.end()) {
    Die(2, "--series '" + s + "' is not one of commits, history, bisect");
  }
}

void CheckKind(const std::string& k) {
  if (std::find(lab::kRunKinds.begin(), lab::kRunKinds.end(), k) == lab::kRunKinds.end()) {
    Die(2, "--kind '" + k + "' is neither full nor quick");
  }
}

void CheckMachine(const std::string& fp) {
  if (!lab::ValidMachineId(fp)) Die(2, "--machine '" + fp + "' is not a fingerprint (16 lowercase hex digits)");
}

int Machine(const Args& a) {
  const lab::BaselineStore store = OpenStore(a, false);
  const auto legacy = store.root().empty() ? std::vector<std::string>{}
                                           : store.LegacyFingerprints(store.self().fingerprint);
  fmt::print("{}\n", lab::MachineJson(store.self(), legacy).dump());
  return 0;
}

int Path(const Args& a) {
  CheckSeries(a.series);
  if (a.name.empty()) Die(2, "--name is required");
  const std::string kind = a.kind_set ? a.kind : "full";
  CheckKind(kind);
  if (!a.machine.empty()) CheckMachine(a.machine);
  const lab::BaselineStore store = OpenStore(a, true);
  std::string err;
  const std::string p = store.Path(a.machine.empty() ? store.self().fingerprint : a.machine, kind, a.series, a.name, &err);
  if (p.empty()) Die(2, err);
  fmt::print("{}\n", p);
  return 0;
}

int Put(const Args& a) {
  if (a.file.empty()) Die(2, "put needs a FILE (try --help)");
  CheckSeries(a.series);
  const std::string file = lab::UserPath(a.file);
  std::ifstream f(file, std::ios::binary);
  if (!f) Die(2, file + ": cannot open");
  std::stringstream text;
  text << f.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const std::exception& e) {
    Die(2, file + ": not valid JSON (truncated or corrupt)");
  }
  std::string err;
  const auto r = lab::FromJson(j, file, &err);
  if (!r) Die(2, err);
  if (!r->complete) Die(2, file + ": complete: false (" + r->incomplete_reason + "): an incomplete result is never stored");
  const lab::BaselineStore store = OpenStore(a, true);
  std::string path;
  switch (store.Put(*r, text.str(), a.series, a.name.empty() ? r->commit : a.name, a.replace, &path, &err)) {
    case lab::BaselineStore::PutStatus::kOk:
      fmt::print("{}\n", path);
      return 0;
    case lab::BaselineStore::PutStatus::kExists:
      fmt::print(stderr, "store: {}\n", err);
      return 1;
    case lab::BaselineStore::PutStatus::kError:
      break;
  }
  Die(2, file + ": " + err);
}

int List(const Args& a) {
  if (a.all_machines && !a.machine.empty()) Die(2, "give --machine FP or --all-machines, not both");
  if (!a.machine.empty()) CheckMachine(a.machine);
  if (a.kind_set) CheckKind(a.kind);
  if (!a.series.empty()) CheckSeries(a.series);
  const lab::BaselineStore store = OpenStore(a, true);
  const std::vector<std::string> machines =
      a.all_machines ? store.Machines()
                     : std::vector<std::string>{a.machine.empty() ? store.self().fingerprint : a.machine};
  const auto entries = store.List(machines, a.kind, a.series);
  if (a.json) {
    json out = json::array();
    for (const auto& e : entries) {
      json o = {{"machine", e.machine}, {"kind", e.kind}, {"series", e.series},
                {"name", e.name},       {"path", e.path}, {"type", e.type}};
      if (e.type == "result") {
        o["commit"] = e.commit;
        o["started_at"] = e.started_at;
        o["run_kind"] = e.run_kind;
        o["reused_from"] = e.reused_from ? json(*e.reused_from) : json(nullptr);
      }
      out.push_back(o);
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  size_t wn = 4, wt = 4;
  for (const auto& e : entries) wn = std::max(wn, e.name.size()), wt = std::max(wt, e.type.size());
  for (const auto& e : entries) {
    fmt::print("{}  {:<5}  {:<7}  {:<{}}  {:<{}}  {:<20}  {}\n", e.machine, e.kind, e.series, e.name, wn, e.type, wt,
               e.type == "result" ? e.started_at : "", e.path);
  }
  return 0;
}

int Migrate(const Args& a) {
  const lab::BaselineStore store = OpenStore(a, true);
  std::vector<std::string> log;
  std::string err;
  const bool ok = store.Migrate(lab::RawMachineId(), a.dry_run, &log, &err);
  for (const auto& line : log) fmt::print("{}\n", line);
  if (!ok) Die(2, err);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  if (a.command == "machine") return Machine(a);
  if (a.command == "path") return Path(a);
  if (a.command == "put") return Put(a);
  if (a.command == "list") return List(a);
  return Migrate(a);
}
