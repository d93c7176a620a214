// store_test — the store layer and the machine fingerprint: hashes against independent values,
// the one path rule, put/list, and the migration of an old-layout tree built here.
#include "harness/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/machine.h"
#include "harness/result.h"
#include "harness/sweep_options.h"

namespace lab {
namespace {

using nlohmann::json;

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void Spit(const std::string& path, const std::string& text) {
  const std::string dir = path.substr(0, path.rfind('/'));
  ASSERT_EQ(system(("mkdir -p '" + dir + "'").c_str()), 0);
  std::ofstream(path, std::ios::binary) << text;
}

bool Exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

std::string FreshDir(const std::string& name) {
  const std::string d = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  EXPECT_EQ(system(("rm -rf '" + d + "' && mkdir -p '" + d + "'").c_str()), 0);
  return d;
}

// ---- the machine ----

TEST(Machine, HashesMatchIndependentValues) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);  // FNV-1a 64 offset basis
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'x')).size(), 64u);  // several blocks
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Machine m;
  m.cpu_model = "Test CPU", m.cores = 2, m.memory_gib = 24, m.libc = "glibc 2.36", m.kernel_series = "6.1",
  m.host = "0123456789ab", m.kernel = "Linux 6.1.0-27-amd64 x86_64";
  // Python: FNV-1a 64 of "Test CPU|2|24|glibc 2.36|6.1|0123456789ab".
  EXPECT_EQ(FingerprintV2(m), "c97eabed5160169e");
  m.kernel = "Linux 6.1.0-28-amd64 x86_64";  // a kernel update within the series keeps it
  EXPECT_EQ(FingerprintV2(m), "c97eabed5160169e");
  m.kernel_series = "6.2";
  EXPECT_NE(FingerprintV2(m), "c97eabed5160169e");
}

TEST(Machine, KernelSeries) {
  EXPECT_EQ(KernelSeries("6.1.0-27-amd64"), "6.1");
  EXPECT_EQ(KernelSeries("Linux 6.18.44-fc-v973 x86_64"), "6.18");
  EXPECT_EQ(KernelSeries("Linux"), "");
}

TEST(Machine, LegacyFingerprintReproducesTheOldScheme) {
  // Values of a result this lab wrote with the old machine.cc (then baselines/history/8c11fb2445b72277/)
  // and the machine-id of the machine that wrote it.
  EXPECT_EQ(LegacyFingerprint("Intel(R) Xeon(R) Processor", 2, "Linux 6.18.44-fc-v973 x86_64", "glibc 2.36",
                              "3d1219c7c4c5404aaa1f6d2a48adfda4"),
            "8c11fb2445b72277");
  EXPECT_NE(LegacyFingerprint("Intel(R) Xeon(R) Processor", 2, "Linux 6.18.44-fc-v973 x86_64", "glibc 2.36",
                              "3d1219c7c4c5404aaa1f6d2a48adfda5"),
            "8c11fb2445b72277");
}

TEST(Machine, ThisMachineIsSchemeTwo) {
  const Machine m = ThisMachine();
  EXPECT_EQ(m.fingerprint_scheme, 2);
  EXPECT_EQ(m.fingerprint, FingerprintV2(m));
  EXPECT_TRUE(ValidMachineId(m.fingerprint)) << m.fingerprint;
  EXPECT_GT(m.memory_gib, 0);
  EXPECT_FALSE(m.kernel_series.empty());
  if (Exists("/etc/machine-id")) {
    EXPECT_EQ(m.host, Sha256Hex(Slurp("/etc/machine-id")).substr(0, 12));
  }
  const json j = MachineJson(m, {"6393502c27e0f4c3"});
  EXPECT_EQ(j["schema"], "hakmem-lab/machine");
  EXPECT_EQ(j["fingerprint_fields"], json({"cpu_model", "cores", "memory_gib", "libc", "kernel_series", "host"}));
  EXPECT_EQ(j["legacy_fingerprints"], json({"6393502c27e0f4c3"}));
}

// ---- the store ----

Machine Self() {
  Machine m;
  m.cpu_model = "Test CPU", m.cores = 2, m.memory_gib = 8, m.libc = "glibc 2.36", m.kernel = "Linux 6.1.0 x86_64",
  m.kernel_series = "6.1", m.host = "0123456789ab";
  m.fingerprint = FingerprintV2(m);
  return m;
}

Result SampleResult(const Machine& m, const std::string& commit, const std::string& kind) {
  Result r;
  r.run_kind = kind;
  r.commit = commit;
  r.started_at = "2026-12-01T09:00:00Z";
  r.machine = m;
  r.variants = {{"e3", "hakmem", "", "gcc"}};
  Point p;
  p.workload = "random_mixed";
  p.params = {{"cycles", kind == "quick" ? 1e6 : 1e7}, {"ws", 128}, {"seed", 1}};
  p.variant = "e3";
  p.samples = {1e7, 1.1e7, 0.9e7};
  Summarize(&p);
  r.points = {p};
  return r;
}

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

TEST(Store, OnePathRule) {
  const BaselineStore s("/r", Self());
  std::string e;
  const std::string fp = Self().fingerprint;
  EXPECT_EQ(s.Path(fp, "quick", "commits", kSha, &e), "/r/" + fp + "/quick/commits/" + kSha + ".json");
  EXPECT_EQ(s.Path(fp, "full", "commits", kSha + ".gate", &e), "/r/" + fp + "/full/commits/" + kSha + ".gate.json");
  for (const char* bad : {"../x", ".hidden", "a/b", "", "a b"}) {
    EXPECT_EQ(s.Path(fp, "full", "history", bad, &e), "") << bad;
    EXPECT_NE(e.find("is not [A-Za-z0-9._+-]+"), std::string::npos) << e;
  }
  EXPECT_EQ(s.Path(fp, "smoke", "history", "x", &e), "");
  EXPECT_EQ(e, "kind 'smoke' is neither full nor quick");
  EXPECT_EQ(s.Path(fp, "full", "baselines", "x", &e), "");
  EXPECT_EQ(e, "series 'baselines' is not one of commits, history, bisect");
  EXPECT_EQ(s.Path("fixture", "full", "history", "x", &e), "");
  EXPECT_NE(e.find("not a fingerprint"), std::string::npos);
}

TEST(Store, RootRule) {
  unsetenv("HAKMEM_LAB_BASELINES");
  setenv("BUILD_WORKING_DIRECTORY", "/home/me", 1);
  EXPECT_EQ(BaselineStore::ResolveRoot("b", "/ws"), "/home/me/b");
  EXPECT_EQ(BaselineStore::ResolveRoot("", "/ws"), "/ws/baselines");
  EXPECT_EQ(BaselineStore::ResolveRoot("", ""), "");
  setenv("HAKMEM_LAB_BASELINES", "env/b", 1);
  EXPECT_EQ(BaselineStore::ResolveRoot("", ""), "/home/me/env/b");
  EXPECT_EQ(BaselineStore::ResolveRoot("/x", "/ws"), "/x");
  unsetenv("HAKMEM_LAB_BASELINES");
  unsetenv("BUILD_WORKING_DIRECTORY");
}

TEST(Store, PutWritesBytesOnceAndMachineJsonOnlyForThisMachine) {
  const std::string root = FreshDir("put");
  const BaselineStore s(root, Self());
  const Result r = SampleResult(Self(), kSha, "quick");
  const std::string text = ToJson(r).dump(1) + "\n";
  std::string path, e;
  ASSERT_EQ(s.Put(r, text, "commits", kSha, false, &path, &e), BaselineStore::PutStatus::kOk) << e;
  EXPECT_EQ(path, root + "/" + Self().fingerprint + "/quick/commits/" + kSha + ".json");
  EXPECT_EQ(Slurp(path), text);
  const json mj = json::parse(Slurp(root + "/" + Self().fingerprint + "/machine.json"));
  EXPECT_EQ(mj["fingerprint"], Self().fingerprint);
  EXPECT_EQ(s.Put(r, "other", "commits", kSha, false, &path, &e), BaselineStore::PutStatus::kExists);
  EXPECT_NE(e.find("exists already"), std::string::npos) << e;
  EXPECT_EQ(Slurp(path), text);
  EXPECT_EQ(s.Put(r, text + " ", "commits", kSha, true, &path, &e), BaselineStore::PutStatus::kOk) << e;
  EXPECT_EQ(Slurp(path), text + " ");
  // Another machine's result: stored under its fingerprint, no machine.json invented for it.
  Machine other = Self();
  other.fingerprint = "00000000000000aa";
  ASSERT_EQ(s.Put(SampleResult(other, kSha, "full"), text, "commits", kSha, false, &path, &e),
            BaselineStore::PutStatus::kOk)
      << e;
  EXPECT_EQ(path, root + "/00000000000000aa/full/commits/" + kSha + ".json");
  EXPECT_FALSE(Exists(root + "/00000000000000aa/machine.json"));
  // Incomplete: never stored.
  Result partial = r;
  partial.complete = false;
  EXPECT_EQ(s.Put(partial, text, "commits", "other", false, &path, &e), BaselineStore::PutStatus::kError);
  EXPECT_FALSE(Exists(path));
}

TEST(Store, PutIntoADirectoryThatCannotExistNamesIt) {
  const std::string root = FreshDir("putfile") + "/plain";
  Spit(root, "a regular file where the root's directory should be");
  const BaselineStore s(root + "/store", Self());
  std::string path, e;
  EXPECT_EQ(s.Put(SampleResult(Self(), kSha, "full"), "x", "commits", kSha, false, &path, &e),
            BaselineStore::PutStatus::kError);
  EXPECT_NE(e.find("cannot create directory " + root + "/store"), std::string::npos) << e;
  EXPECT_EQ(e.find("another sweep"), std::string::npos) << e;
}

TEST(Store, ListTypesAndSkipsSupersededAndTemporaries) {
  const std::string root = FreshDir("list");
  const BaselineStore s(root, Self());
  const std::string fp = Self().fingerprint;
  Result r = SampleResult(Self(), kSha, "full");
  r.reused_from = ReusedFrom{std::string(40, 'b'), "same build"};
  std::string path, e;
  ASSERT_EQ(s.Put(r, ToJson(r).dump(), "commits", kSha, false, &path, &e), BaselineStore::PutStatus::kOk) << e;
  Spit(root + "/" + fp + "/full/commits/" + kSha + ".gate.json", "{\"headline\": \"PASS\"}");
  Spit(root + "/" + fp + "/quick/history/routes.json", "{\"phase7\": {}}");
  json v1 = ToJson(SampleResult(Self(), "d6da80559e", "quick"));
  v1["schema_version"] = 1;
  v1.erase("run_kind");
  Spit(root + "/" + fp + "/quick/history/E3-1.json", v1.dump());
  Spit(root + "/" + fp + "/quick/bisect/phase7__e2.json", "{\"points\": []}");
  Spit(root + "/" + fp + "/quick/history/superseded/E3-1.20261122T042208.json", v1.dump());
  Spit(root + "/" + fp + "/quick/history/E3-2.json.tmp.123", "{");
  Spit(root + "/" + fp + "/quick/history/.tmpx.json", "{");
  const auto all = s.List({fp}, "", "");
  ASSERT_EQ(all.size(), 5u);
  std::map<std::string, StoreEntry> by;
  for (const auto& x : all) by[x.kind + "/" + x.series + "/" + x.name] = x;
  EXPECT_EQ(by.at("full/commits/" + kSha).type, "result");
  EXPECT_EQ(*by.at("full/commits/" + kSha).reused_from, std::string(40, 'b'));
  EXPECT_EQ(by.at("full/commits/" + kSha + ".gate").type, "verdict");
  EXPECT_EQ(by.at("quick/history/routes").type, "other");
  EXPECT_EQ(by.at("quick/history/E3-1").type, "result");
  EXPECT_EQ(by.at("quick/history/E3-1").run_kind, "quick");  // v1: the kind it is stored under
  EXPECT_FALSE(by.at("quick/history/E3-1").reused_from.has_value());
  EXPECT_EQ(by.at("quick/bisect/phase7__e2").type, "verdict");
  EXPECT_EQ(s.List({fp}, "quick", "history").size(), 2u);
  EXPECT_EQ(s.Machines(), std::vector<std::string>{fp});
}

TEST(Store, GuessesTheKindOfOldFiles) {
  EXPECT_EQ(GuessRunKind(ToJson(SampleResult(Self(), kSha, "quick"))), "quick");
  EXPECT_EQ(GuessRunKind(ToJson(SampleResult(Self(), kSha, "full"))), "full");
  EXPECT_EQ(GuessRunKind(json::object()), "");
  EXPECT_EQ(GuessVerdictKind(json::parse(R"({"points": [{"point": "random_mixed ws=128"}]})")), "quick");
  EXPECT_EQ(GuessVerdictKind(json::parse(R"({"points": [{"point": "random_mixed ws=128"},
                                                        {"point": "random_mixed ws=256"}]})")),
            "full");
}

// An old-layout tree: two fingerprints of this host (different kernel builds), one of another
// machine, and a quick history state present under both of this host's fingerprints.
struct OldTree {
  std::string root, id = "feedfacefeedfacefeedfacefeedface";
  std::string fp_a, fp_b, fp_other = "0badc0de0badc0de";
  std::map<std::string, std::string> contents;  // relative path -> bytes

  json Old(const std::string& fp, const std::string& kernel, const std::string& started, const std::string& kind) {
    json j = ToJson(SampleResult(Self(), kSha, kind));
    j["schema_version"] = 1;
    j.erase("run_kind");
    j.erase("benchmarks");
    j["started_at"] = started;
    j["machine"] = {{"fingerprint", fp}, {"cpu_model", "Test CPU"}, {"cores", 2}, {"kernel", kernel},
                    {"libc", "glibc 2.36"}};
    return j;
  }
  void Put(const std::string& rel, const std::string& text) {
    contents[rel] = text;
    Spit(root + "/" + rel, text);
  }
  explicit OldTree(const std::string& dir) : root(dir) {
    fp_a = LegacyFingerprint("Test CPU", 2, "Linux 6.1.0-a x86_64", "glibc 2.36", id);
    fp_b = LegacyFingerprint("Test CPU", 2, "Linux 6.1.0-b x86_64", "glibc 2.36", id);
    Put(kSha + "/" + fp_a + ".json", Old(fp_a, "Linux 6.1.0-a x86_64", "2026-11-22T03:24:37Z", "quick").dump(1));
    Put("history/" + fp_a + "/E3-1.json", Old(fp_a, "Linux 6.1.0-a x86_64", "2026-11-22T04:27:47Z", "full").dump(1));
    Put("history/" + fp_a + "/quick/E3-1.json", Old(fp_a, "Linux 6.1.0-a x86_64", "2026-11-22T04:22:08Z", "quick").dump(1));
    Put("history/" + fp_a + "/quick/routes.json", "{\"phase7\": {\"old\": 1}}");
    Put("history/" + fp_b + "/quick/E3-1.json", Old(fp_b, "Linux 6.1.0-b x86_64", "2026-12-01T09:03:32Z", "quick").dump(1));
    Put("history/" + fp_b + "/quick/routes.json", "{\"phase7\": {\"new\": 1}}");
    Put("bisect/" + fp_a + "/phase7__e2.json", R"({"points": [{"point": "random_mixed ws=128"}]})");
    Put("history/" + fp_other + "/E3-1.json", Old(fp_other, "Linux 5.10.0 x86_64", "2026-10-01T00:00:00Z", "full").dump(1));
  }
};

TEST(Store, MigrateMovesProvenFingerprintsAndSupersedesOlderRuns) {
  OldTree t(FreshDir("migrate"));
  const BaselineStore s(t.root, Self());
  const std::string me = t.root + "/" + Self().fingerprint;
  std::vector<std::string> log;
  std::string e;
  // A dry run moves nothing.
  ASSERT_TRUE(s.Migrate(t.id, true, &log, &e)) << e;
  for (const auto& [rel, text] : t.contents) EXPECT_EQ(Slurp(t.root + "/" + rel), text) << rel;
  EXPECT_FALSE(Exists(me));
  log.clear();
  ASSERT_TRUE(s.Migrate(t.id, false, &log, &e)) << e;
  std::string all;
  for (const auto& l : log) all += l + "\n";
  auto moved_to = [&](const std::string& rel, const std::string& to) {
    EXPECT_EQ(Slurp(to), t.contents.at(rel)) << rel << " -> " << to << "\n" << all;
    EXPECT_FALSE(Exists(t.root + "/" + rel)) << rel;
  };
  moved_to(kSha + "/" + t.fp_a + ".json", me + "/quick/commits/" + kSha + ".json");  // quick by its grid
  moved_to("history/" + t.fp_a + "/E3-1.json", me + "/full/history/E3-1.json");
  moved_to("history/" + t.fp_b + "/quick/E3-1.json", me + "/quick/history/E3-1.json");  // the newer run
  moved_to("history/" + t.fp_a + "/quick/E3-1.json", me + "/quick/history/superseded/E3-1.20261122T042208.json");
  moved_to("history/" + t.fp_b + "/quick/routes.json", me + "/quick/history/routes.json");
  // routes.json has no time of its own: its run's is the latest of the results beside it.
  moved_to("history/" + t.fp_a + "/quick/routes.json", me + "/quick/history/superseded/routes.20261122T042208.json");
  moved_to("bisect/" + t.fp_a + "/phase7__e2.json", me + "/quick/bisect/phase7__e2.json");
  // Not this host: its own machine, with a machine.json from its block.
  moved_to("history/" + t.fp_other + "/E3-1.json", t.root + "/" + t.fp_other + "/full/history/E3-1.json");
  const json other = json::parse(Slurp(t.root + "/" + t.fp_other + "/machine.json"));
  EXPECT_EQ(other["fingerprint"], t.fp_other);
  EXPECT_EQ(other["fingerprint_scheme"], 1);
  EXPECT_EQ(other["kernel_series"], "5.10");
  const json mine = json::parse(Slurp(me + "/machine.json"));
  EXPECT_EQ(mine["fingerprint"], Self().fingerprint);
  std::vector<std::string> legacy = {t.fp_a, t.fp_b};
  std::sort(legacy.begin(), legacy.end());
  EXPECT_EQ(mine["legacy_fingerprints"], json(legacy));
  EXPECT_FALSE(Exists(t.root + "/history")) << "empty old directories stay";
  EXPECT_FALSE(Exists(t.root + "/" + kSha));
  // Listed through the store; a second migration finds nothing.
  EXPECT_EQ(s.List({Self().fingerprint}, "quick", "history").size(), 2u);
  log.clear();
  ASSERT_TRUE(s.Migrate(t.id, false, &log, &e)) << e;
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("nothing to migrate"), std::string::npos);
}

TEST(Store, MigrateWithAnotherMachineIdProvesNothing) {
  OldTree t(FreshDir("migrate_other"));
  const BaselineStore s(t.root, Self());
  std::vector<std::string> log;
  std::string e;
  ASSERT_TRUE(s.Migrate("another-machine-id", false, &log, &e)) << e;
  EXPECT_FALSE(Exists(t.root + "/" + Self().fingerprint));
  EXPECT_EQ(Slurp(t.root + "/" + t.fp_a + "/full/history/E3-1.json"), t.contents.at("history/" + t.fp_a + "/E3-1.json"));
  EXPECT_TRUE(Exists(t.root + "/" + t.fp_b + "/quick/history/E3-1.json"));
  EXPECT_TRUE(Exists(t.root + "/" + t.fp_a + "/machine.json"));
}

}  // namespace
}  // namespace lab

namespace {
// The big-block workloads' grids (sweep_options.cc) are told apart by the store's guesses: a
// stored result's run kind from its parameters, a verdict's kind from its full-only points.
using lab::GuessRunKind;
using lab::GuessVerdictKind;
using nlohmann::json;
TEST(Store, RunKindOfTheBigBlockWorkloads) {
  for (bool quick : {true, false}) {
    sweep::Options o;
    o.quick = quick;
    o.workloads = {"mem_large_churn", "mem_realloc_grow"};
    json r = {{"points", json::array()}}, v = {{"points", json::array()}};
    for (const auto& g : sweep::Grid(o)) {
      r["points"].push_back({{"workload", g.workload}, {"params", g.params}});
      v["points"].push_back({{"point", g.workload + " " + lab::PointLabel(g.workload, g.params)}});
    }
    EXPECT_EQ(r["points"].size(), 3u);
    EXPECT_EQ(GuessRunKind(r), quick ? "quick" : "full");
    EXPECT_EQ(GuessVerdictKind(v), quick ? "" : "full");
  }
  // Results stored before the 1 MiB realloc point was lengthened (200 / 1000 rounds) keep
  // their kind.
  for (double rounds : {200.0, 1000.0}) {
    json r = {{"points", {{{"workload", "mem_realloc_grow"},
                            {"params", {{"rounds", rounds}, {"max_kb", 1024}, {"steps", 64}}}}}}};
    EXPECT_EQ(GuessRunKind(r), rounds == 200 ? "quick" : "full");
  }
  EXPECT_EQ(GuessVerdictKind(json::parse(R"({"points": [{"point": "mem_realloc_grow max_kb=1024 rounds=1000 steps=64"}]})")),
            "full");
}
}  // namespace
