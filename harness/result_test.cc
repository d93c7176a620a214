#include "harness/result.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace lab {
namespace {

Result Sample() {
  Result r;
  r.commit = "abc123";
  r.started_at = "2026-11-22T03:00:00Z";
  r.bazel_version = "4.2.3";
  r.flags = "-c opt -O2";
  r.machine = {"fp01", "Test CPU", "6.1.0", "glibc 2.36", 2, 24, "6.1", "0123456789ab", 2};
  r.variants = {{"e3", "hakmem", "c7_header=1", "gcc 12"}, {"system", "glibc", "", "gcc 12"}};
  for (const char* v : {"e3", "system"}) {
    Point p;
    p.workload = "random_mixed";
    p.params = {{"ws", 128}, {"cycles", 1e6}};
    p.variant = v;
    p.samples = {3e7, 3.1e7, 2.9e7};
    p.instructions_per_op = 51.5;
    Summarize(&p);
    r.points.push_back(p);
  }
  r.fastpath["e3"] = {{"malloc_hit", 9}, {"free_hit", 14}};
  return r;
}

std::string Err(const nlohmann::json& j) {
  std::string e;
  EXPECT_FALSE(FromJson(j, "f.json", &e).has_value());
  return e;
}

TEST(Result, RoundTrip) {
  const Result r = Sample();
  std::string e;
  auto back = FromJson(ToJson(r), "f.json", &e);
  ASSERT_TRUE(back.has_value()) << e;
  EXPECT_EQ(ToJson(*back), ToJson(r));
  EXPECT_EQ(back->points[0].median, 3e7);
  EXPECT_EQ(*back->points[0].instructions_per_op, 51.5);
  EXPECT_EQ(back->fastpath["e3"]["free_hit"], 14);
}

TEST(Result, FastpathCyclesRoundTripAndNegativeTicksAreRefused) {
  Result r = Sample();
  r.fastpath_cycles["e3"] = {{"malloc_hit", 7.5}, {"free_hit", 5.4}};
  r.fastpath_cycles_clock = "TSC (constant-rate reference cycles)";
  std::string e;
  auto back = FromJson(ToJson(r), "f.json", &e);
  ASSERT_TRUE(back.has_value()) << e;
  EXPECT_EQ(back->fastpath_cycles["e3"]["free_hit"], 5.4);
  EXPECT_EQ(back->fastpath_cycles_clock, r.fastpath_cycles_clock);
  nlohmann::json j = ToJson(r);
  j["fastpath_cycles"]["e3"]["free_hit"] = -1;
  EXPECT_NE(Err(j).find("fastpath_cycles.e3.free_hit: negative"), std::string::npos) << Err(j);
  // Absent in files written before the probe had a cycles mode: nothing is invented.
  Result old = Sample();
  EXPECT_FALSE(ToJson(old).contains("fastpath_cycles"));
}

TEST(Result, RejectsWrongVersion) {
  auto j = ToJson(Sample());
  EXPECT_EQ(j["schema_version"], 2);
  j["schema_version"] = 3;
  EXPECT_NE(Err(j).find("f.json: schema_version: is 3"), std::string::npos) << Err(j);
}

// A v1 file as the sweep wrote it before v2 (the checked-in baselines are such files).
nlohmann::json V1() {
  auto j = ToJson(Sample());
  j["schema_version"] = 1;
  for (const char* k : {"run_kind", "benchmarks"}) j.erase(k);
  j["machine"] = {{"fingerprint", "6393502c27e0f4c3"}, {"cpu_model", "Test CPU"}, {"cores", 2},
                  {"kernel", "Linux 6.18.44-fc-v595 x86_64"}, {"libc", "glibc 2.36"}};
  return j;
}

TEST(Result, V1IsReadThroughUpgradeV1) {
  const auto up = UpgradeV1(V1());
  EXPECT_EQ(up["schema_version"], 2);
  EXPECT_EQ(up["run_kind"], "full");
  EXPECT_EQ(up["machine"]["kernel_series"], "6.18");
  EXPECT_EQ(up["machine"]["memory_gib"], 0);
  EXPECT_EQ(up["machine"]["host"], "");
  EXPECT_EQ(up["machine"]["fingerprint_scheme"], 1);
  EXPECT_EQ(UpgradeV1(V1(), "quick")["run_kind"], "quick");
  std::string e;
  auto r = FromJson(V1(), "old.json", &e);
  ASSERT_TRUE(r.has_value()) << e;
  EXPECT_EQ(r->run_kind, "full");
  EXPECT_EQ(r->machine.fingerprint, "6393502c27e0f4c3");  // the old fingerprint is kept
  EXPECT_EQ(r->machine.fingerprint_scheme, 1);
  EXPECT_EQ(r->machine.kernel_series, "6.18");
  r = FromJson(V1(), "old.json", &e, "quick");
  ASSERT_TRUE(r.has_value()) << e;
  EXPECT_EQ(r->run_kind, "quick");
  // Written back, it is v2 and reads back the same.
  const auto again = FromJson(ToJson(*r), "new.json", &e);
  ASSERT_TRUE(again.has_value()) << e;
  EXPECT_EQ(ToJson(*again), ToJson(*r));
  // The upgrade does not make a v1 file's own faults pass.
  auto bad = V1();
  bad["points"][0]["params"]["ws"] = -5;
  EXPECT_EQ(Err(bad), "f.json: points[0].params.ws: not positive (-5)");
}

TEST(Result, V2FieldsRoundTripAndBenchmarksHaveGoogleBenchmarkShape) {
  Result r = Sample();
  r.run_kind = "quick";
  r.machine.memory_gib = 24;
  r.machine.kernel_series = "6.1";
  r.machine.host = "0123456789ab";
  r.binaries = {{"bench_random_mixed.e3", std::string(64, 'c')}};
  r.reused_from = ReusedFrom{std::string(40, 'a'), "byte-identical build"};
  const auto j = ToJson(r);
  EXPECT_EQ(j["machine"]["fingerprint_fields"],
            nlohmann::json({"cpu_model", "cores", "memory_gib", "libc", "kernel_series", "host"}));
  ASSERT_EQ(j["benchmarks"].size(), 2u);
  const auto& b = j["benchmarks"][0];
  EXPECT_EQ(b["name"], "e3/random_mixed/ws=128");
  EXPECT_EQ(b["run_type"], "iteration");
  EXPECT_EQ(b["iterations"], 1);
  EXPECT_EQ(b["time_unit"], "ns");
  EXPECT_DOUBLE_EQ(b["real_time"].get<double>(), 1e9 / 3e7);
  EXPECT_EQ(b["cpu_time"], b["real_time"]);
  std::string e;
  auto back = FromJson(j, "f.json", &e);
  ASSERT_TRUE(back.has_value()) << e;
  EXPECT_EQ(ToJson(*back), j);
  EXPECT_EQ(back->reused_from->commit, std::string(40, 'a'));
  EXPECT_EQ(back->binaries.at("bench_random_mixed.e3"), std::string(64, 'c'));
  auto bad = j;
  bad["binaries"]["x"] = "nothex";
  EXPECT_EQ(Err(bad), "f.json: binaries.x: expected 64 lowercase hex digits");
  bad = j;
  bad["reused_from"]["commit"] = "abc";
  EXPECT_EQ(Err(bad), "f.json: reused_from.commit: expected 40 lowercase hex digits");
}

TEST(Result, RejectsUnknownWorkloadAndUnit) {
  auto j = ToJson(Sample());
  j["points"][1]["workload"] = "random_mixd";
  EXPECT_EQ(Err(j), "f.json: points[1].workload: unknown workload 'random_mixd'");
  j = ToJson(Sample());
  j["points"][0]["workload"] = "gbench/BM_MallocFree";  // Google Benchmark points are fine
  j["points"][0]["params"] = {{"arg", 64}};
  std::string e;
  EXPECT_TRUE(FromJson(j, "f.json", &e).has_value()) << e;
  j["points"][0]["workload"] = "gbench/";
  EXPECT_EQ(Err(j), "f.json: points[0].workload: unknown workload 'gbench/'");
  j = ToJson(Sample());
  j["points"][0]["unit"] = "ms";
  EXPECT_EQ(Err(j), "f.json: points[0].unit: unknown unit 'ms'");
}

TEST(Result, RejectsNonPositiveParamsButNotSeed) {
  auto j = ToJson(Sample());
  j["points"][0]["params"]["ws"] = -5;
  EXPECT_EQ(Err(j), "f.json: points[0].params.ws: not positive (-5)");
  j = ToJson(Sample());
  j["points"][1]["params"]["cycles"] = 0;
  EXPECT_EQ(Err(j), "f.json: points[1].params.cycles: not positive (0)");
  j = ToJson(Sample());
  j["points"][0]["params"]["seed"] = 0;
  j["points"][1]["params"]["seed"] = -1;
  std::string e;
  EXPECT_TRUE(FromJson(j, "f.json", &e).has_value()) << e;
}

TEST(Result, RejectsEmptyIdentityFieldsNoPointsAndBadRunKind) {
  auto j = ToJson(Sample());
  j["commit"] = "";
  EXPECT_EQ(Err(j), "f.json: commit: empty");
  j = ToJson(Sample());
  j["started_at"] = "";
  EXPECT_EQ(Err(j), "f.json: started_at: empty");
  j = ToJson(Sample());
  j["machine"]["fingerprint"] = "";
  EXPECT_EQ(Err(j), "f.json: machine.fingerprint: empty");
  j = ToJson(Sample());
  j["variants"][0]["name"] = "";
  EXPECT_EQ(Err(j), "f.json: variants[0].name: empty");
  j = ToJson(Sample());
  j["points"] = nlohmann::json::array();
  EXPECT_EQ(Err(j), "f.json: points: empty (a complete result measured nothing)");
  j["complete"] = false;  // a partial result whose first run failed holds nothing, and says why
  j["incomplete_reason"] = "random_mixed variant e3 round 1: exit 139";
  std::string e;
  EXPECT_TRUE(FromJson(j, "f.json", &e).has_value()) << e;
  j = ToJson(Sample());
  j["run_kind"] = "smoke";
  EXPECT_EQ(Err(j), "f.json: run_kind: is 'smoke', expected full or quick");
  j.erase("run_kind");
  EXPECT_EQ(Err(j), "f.json: run_kind: missing");
}

TEST(Result, RejectsMissingField) {
  auto j = ToJson(Sample());
  j["machine"].erase("fingerprint");
  EXPECT_EQ(Err(j), "f.json: machine.fingerprint: missing");
}

TEST(Result, RejectsNanNegativeAndEmptySamples) {
  auto j = ToJson(Sample());
  j["points"][1]["samples"][2] = nullptr;  // how NaN arrives in JSON
  EXPECT_EQ(Err(j), "f.json: points[1].samples[2]: expected a number");
  j = ToJson(Sample());
  j["points"][0]["samples"][0] = -5;
  EXPECT_EQ(Err(j), "f.json: points[0].samples[0]: not positive");
  j = ToJson(Sample());
  j["points"][0]["samples"] = nlohmann::json::array();
  EXPECT_EQ(Err(j), "f.json: points[0].samples: expected a non-empty array");
}

TEST(Result, RejectsDuplicatedPointAndUnknownVariant) {
  auto j = ToJson(Sample());
  j["points"][1]["variant"] = "e3";
  EXPECT_NE(Err(j).find("points[1]: duplicated point"), std::string::npos) << Err(j);
  j = ToJson(Sample());
  j["points"][1]["variant"] = "e9";
  EXPECT_EQ(Err(j), "f.json: points[1].variant: unknown variant 'e9'");
}

TEST(Result, RejectsTruncatedFile) {
  const std::string path = ::testing::TempDir() + "/truncated.json";
  const std::string full = ToJson(Sample()).dump();
  std::ofstream(path) << full.substr(0, full.size() / 2);
  std::string e;
  EXPECT_FALSE(ReadResultFile(path, &e).has_value());
  EXPECT_NE(e.find("truncated.json: not valid JSON"), std::string::npos) << e;
}

TEST(Result, KilledWriterLeavesTheOldFileIntact) {
  const std::string path = ::testing::TempDir() + "/baseline.json";
  const std::string old_contents = ToJson(Sample()).dump();
  std::string e;
  ASSERT_TRUE(WriteFileAtomic(path, old_contents, &e)) << e;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const pid_t pid = fork();
    if (pid == 0) {
      std::string big(size_t{300} << 20, 'x');  // slow enough to be killed mid-write
      std::string err;
      WriteFileAtomic(path, big, &err);
      _exit(0);
    }
    usleep(20000 + attempt * 20000);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    std::ifstream f(path);
    const std::string now((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // Either untouched or completely replaced: never a partial file.
    ASSERT_TRUE(now == old_contents || now.size() == (size_t{300} << 20)) << now.size();
    if (now != old_contents) {
      ASSERT_TRUE(WriteFileAtomic(path, old_contents, &e));
    }
  }
}

TEST(Result, RacingNoReplaceWritersHaveExactlyOneWinner) {
  // Eight processes create the same baseline at once: one succeeds, seven are refused, and the
  // file is one writer's complete contents.
  for (int trial = 0; trial < 5; ++trial) {
    const std::string path = ::testing::TempDir() + "/race" + std::to_string(trial) + ".json";
    unlink(path.c_str());
    std::vector<pid_t> pids;
    for (int w = 0; w < 8; ++w) {
      const pid_t pid = fork();
      if (pid == 0) {
        std::string err;
        _exit(WriteFileAtomic(path, std::string(size_t{1} << 20, char('a' + w)), &err, true) ? 0 : 1);
      }
      pids.push_back(pid);
    }
    int winners = 0;
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status));
      winners += WEXITSTATUS(status) == 0;
    }
    EXPECT_EQ(winners, 1);
    std::ifstream f(path);
    const std::string now((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_EQ(now.size(), size_t{1} << 20);
    EXPECT_EQ(now.find_first_not_of(now[0]), std::string::npos) << "mixed contents";
    std::string e;
    EXPECT_FALSE(WriteFileAtomic(path, "x", &e, true));
    EXPECT_NE(e.find("exists already"), std::string::npos) << e;
  }
}

TEST(PointIdentity, ExactParametersNeverMergeNeighbours) {
  Point a, b;
  a.workload = b.workload = "random_mixed";
  a.params = {{"seed", 1234567}, {"cycles", 1e7}};
  b.params = {{"seed", 1234568}, {"cycles", 1e7}};
  EXPECT_NE(a.Key(), b.Key());
  EXPECT_EQ(a.ParamString(), "cycles=10000000 seed=1234567");
  Point c = a;
  c.params["cycles"] = 1e6;
  EXPECT_NE(a.Key(), c.Key());  // 1e6 and 1e7 cycles are different experiments
  EXPECT_EQ(ExactNumber(0.1), "0.10000000000000001");
  EXPECT_EQ(ExactNumber(4194304), "4194304");
}

TEST(PointIdentity, IntegersStayIntegersAndTheLabelIsWritten) {
  Result r = Sample();
  r.points[0].tiers = {{"superslab_bytes", 4194304}};
  r.points[0].p99_ns_per_op = 123.5;
  const nlohmann::json j = ToJson(r);
  EXPECT_TRUE(j["points"][0]["params"]["cycles"].is_number_integer()) << j["points"][0]["params"].dump();
  EXPECT_EQ(j["points"][0]["label"], "ws=128");
  std::string err;
  nlohmann::json edited = j;
  edited["points"][0]["label"] = "my label";
  auto back = FromJson(edited, "f.json", &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->points[0].Label(), "my label");  // read as written, not rebuilt
  EXPECT_EQ(back->points[0].tiers.at("superslab_bytes"), 4194304);
  EXPECT_EQ(*back->points[0].p99_ns_per_op, 123.5);
  edited["points"][0]["label"] = "";
  EXPECT_NE(Err(edited).find("points[0].label: empty"), std::string::npos);
}

TEST(UserPaths, RelativeToWhereTheUserStands) {
  setenv("BUILD_WORKING_DIRECTORY", "/home/me/src", 1);
  EXPECT_EQ(UserPath("out/x.json"), "/home/me/src/out/x.json");
  EXPECT_EQ(UserPath("/abs/x.json"), "/abs/x.json");
  EXPECT_EQ(UserPath(""), "");
  unsetenv("BUILD_WORKING_DIRECTORY");
  std::string why;
  EXPECT_FALSE(CheckWritable("/nonexistent/dir/x.json", &why));
  EXPECT_NE(why.find("directory /nonexistent/dir does not exist"), std::string::npos) << why;
  const std::string tmp = getenv("TEST_TMPDIR");
  EXPECT_TRUE(CheckWritable(tmp + "/x.json", &why)) << why;
  EXPECT_FALSE(CheckWritable(tmp, &why));  // a directory is not a file
  // create_dirs: missing directories are fine under a writable one; a file in the way is named.
  EXPECT_FALSE(CheckWritable(tmp + "/a/b/x.json", &why));
  EXPECT_TRUE(CheckWritable(tmp + "/a/b/x.json", &why, true)) << why;
  std::ofstream(tmp + "/plain") << "x";
  EXPECT_FALSE(CheckWritable(tmp + "/plain/a/x.json", &why, true));
  EXPECT_EQ(why, tmp + "/plain/a/x.json: cannot create directory " + tmp + "/plain/a: " + tmp +
                     "/plain is not a directory");
}

TEST(Result, PreloadedPeerRoundTrips) {
  Result r = Sample();
  const std::string hash(64, 'a');
  r.variants.push_back({"other", "other:libother_malloc.so", "", "gcc 12",
                        Preload{"/x/libother_malloc.so", "libother_malloc.so", hash}});
  const nlohmann::json j = ToJson(r);
  EXPECT_FALSE(j["variants"][0].contains("preload"));  // only a --peer has one
  EXPECT_EQ(j["variants"][2]["preload"]["sha256"], hash);
  std::string e;
  auto back = FromJson(j, "f.json", &e);
  ASSERT_TRUE(back.has_value()) << e;
  EXPECT_FALSE(back->variants[0].preload.has_value());
  ASSERT_TRUE(back->variants[2].preload.has_value());
  EXPECT_EQ(back->variants[2].preload->path, "/x/libother_malloc.so");
  EXPECT_EQ(back->variants[2].preload->soname, "libother_malloc.so");
  EXPECT_EQ(back->variants[2].preload->sha256, hash);
  EXPECT_EQ(ToJson(*back), j);

  auto bad = j;
  bad["variants"][2]["preload"]["sha256"] = "xyz";
  EXPECT_NE(Err(bad).find("variants[2].preload.sha256: expected 64 lowercase hex digits"), std::string::npos)
      << Err(bad);
  bad = j;
  bad["variants"][2]["preload"].erase("soname");
  EXPECT_NE(Err(bad).find("variants[2].preload.soname: missing"), std::string::npos) << Err(bad);
  bad = j;
  bad["variants"][2]["preload"]["path"] = "lib.so";
  EXPECT_NE(Err(bad).find("variants[2].preload.path: expected an absolute path"), std::string::npos) << Err(bad);
}

}  // namespace
}  // namespace lab
