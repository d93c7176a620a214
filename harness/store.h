// store.h — the store layer: where the lab keeps every stored result, verdict and history state,
// machine first, then run kind, then series, then name (/work/store-spec.md; harness/README.md).
//
//   <root>/<machine>/machine.json
//   <root>/<machine>/<kind>/<series>/<name>.json           kind: full|quick; series: commits|history|bisect
//   <root>/<machine>/<kind>/<series>/superseded/<name>.<YYYYmmddTHHMMSS>.json   (migration only)
//
// One path rule (BaselineStore::Path): the sweep's --record, the gate's stored-baseline lookup,
// the `store` CLI and (through that CLI) the Python tools all use it.
#ifndef HAKMEM_HARNESS_STORE_H_
#define HAKMEM_HARNESS_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/result.h"

namespace lab {

inline const std::vector<std::string> kSeries = {"commits", "history", "bisect"};

// `[A-Za-z0-9._+-]+`, not starting with '.'.
bool ValidStoreName(const std::string& name);
// A machine directory: 16 lowercase hex digits (a fingerprint of either scheme).
bool ValidMachineId(const std::string& fp);

// machine.json: the machine block of a v2 result plus "schema" and "legacy_fingerprints".
nlohmann::json MachineJson(const Machine& m, const std::vector<std::string>& legacy_fingerprints);

// A v1 result does not say whether it was a --quick run; its grid does (the sweep's quick grid
// sizes: random_mixed 1e6 cycles, ...). "quick", "full", or "" when nothing tells.
std::string GuessRunKind(const nlohmann::json& result);
// The same for a gate verdict (bisect probes): "full" when a point only the full grid has is
// judged (random_mixed ws=256, ...), else "quick" when random_mixed/size_sweep points are, else "".
std::string GuessVerdictKind(const nlohmann::json& verdict);

struct StoreEntry {
  std::string machine, kind, series, name, path;
  std::string type;  // "result", "verdict" (*.gate.json, bisect) or "other" (routes, summary)
  // Results only:
  std::string commit, started_at, run_kind;
  std::optional<std::string> reused_from;  // its commit
};

class BaselineStore {
 public:
  // `self`: this machine (ThisMachine() unless a test gives another).
  explicit BaselineStore(std::string root, std::optional<Machine> self = std::nullopt);
  // --root DIR (through UserPath), else $HAKMEM_LAB_BASELINES (through UserPath), else
  // <workspace>/baselines; "" when none of them is known.
  static std::string ResolveRoot(const std::string& root_flag, const std::string& workspace);

  const std::string& root() const { return root_; }
  const Machine& self() const { return self_; }
  std::string MachineDir(const std::string& machine) const { return root_ + "/" + machine; }

  // The one path rule. "" with *error (one line) when a part is not valid.
  std::string Path(const std::string& machine, const std::string& kind, const std::string& series,
                   const std::string& name, std::string* error) const;

  enum class PutStatus { kOk, kExists, kError };
  // Stores `text` (the result `r` as serialized: written byte for byte) as entry `name` of
  // `series` under r's machine fingerprint and run_kind. Creates the directories, and
  // machine.json when r is this machine's. Atomic; an existing entry is kept unless `replace`
  // (kExists). kError: an invalid part, an incomplete result, or a directory that cannot be
  // written (named in *error). *path is set whenever the path is known.
  PutStatus Put(const Result& r, const std::string& text, const std::string& series, const std::string& name,
                bool replace, std::string* path, std::string* error) const;

  // Machine directories under the root (16-hex names), sorted.
  std::vector<std::string> Machines() const;
  // Entries of `machines`, filtered by kind and series ("" = all), sorted. Skips superseded/
  // and temporary files.
  std::vector<StoreEntry> List(const std::vector<std::string>& machines, const std::string& kind,
                               const std::string& series) const;
  // The legacy fingerprints recorded in <root>/<machine>/machine.json (none when absent).
  std::vector<std::string> LegacyFingerprints(const std::string& machine) const;

  // The one-off move of the old layout (<sha>/<fp>.json, history/<fp>/[quick/]*, bisect/<fp>/*).
  // An old fingerprint is this host when the legacy hash of one of its files' machine block with
  // `machine_id_raw` reproduces it; its files go under self().fingerprint, the others under
  // the old fingerprint (with a machine.json from the file's block). Collisions keep the newer
  // run (started_at) and move the older to superseded/. Files are renamed, never rewritten
  // or deleted. Every action is one line in *log. False (with *error) on a failed rename.
  bool Migrate(const std::string& machine_id_raw, bool dry_run, std::vector<std::string>* log,
               std::string* error) const;

 private:
  std::string root_;
  Machine self_;
};

}  // namespace lab

#endif  // HAKMEM_HARNESS_STORE_H_
