// stage_probe [--json] [--repeats R] [--no-instructions] — the tiny free path, stage by stage.
//
// fastpath_probe times whole calls (a malloc hit, a free hit). The seeds give cycle costs per
// *stage* of a free (E2's "Cycle Breakdown": alignment check 1-2, registry lookup 50-100, page
// boundary check 1-2, header read 2-3, TLS push 3-5; the Findings: header read 5-10, TLS push
// 2-3). This probe runs each stage alone, as the allocator's own code (the inline functions of
// allocator/ layers 0-4, or the exact expression the fast path writes inline), over a live set of
// real tiny blocks from hak_malloc:
//
//   alignment_check        (a & 0x3FF) == 0           Phase 7's headerless-C7 guess (front_gate.h)
//   page_boundary_same_page (a & (kPageSize-1)) == 0  the page-boundary test on every free
//   page_boundary_mincore  OsPageMapped(p - 1)        Phase 7-1.3's mincore probe (taken only for
//                                                     page-aligned pointers, timed here on every call)
//   header_read            p[-1] -> IsTinyHeader -> class (-1 if not a tiny header)
//   ownership_lookup       OwnershipGet(a)            the map byte (two dependent loads)
//   ownership_check        OwnershipGet(a) == h && TinyIsBlockStart(a, c): e3_safe's fast-path test
//   registry_lookup_<impl> RegistryLookup(a)          hash or rbtree: the build's registry_impl
//   registry_c7_check_<impl> RegistryLookup(a) && SlabOf(a)->class_idx == 7: what 5eabb89ad9 added
//   classify_<order>       Classify(a)                the slow-path classifier (classify_order)
//   tls_push               CachePush(t_cache, c, p, p, 1, h)
//   tls_pop                CachePop(t_cache, c)
//
// Honest loops. Each batch is one pass of kCalls calls cycling over the kBlocks live blocks; every
// block's address, header byte and class are loaded from an array and passed through an empty asm
// (the compiler can neither hoist the stage out of the loop nor precompute it), and every result is
// consumed by an empty asm (it cannot be deleted). An empty loop doing the same loads (the stage
// replaced by "return the address") is timed in every repeat and subtracted: figures are the
// stage's own cost, without the loop's. Two forms of each stateless stage:
//   cycles          independent calls: call i+1 does not wait for call i (a loop of frees overlaps
//                   like this; fastpath_probe's batches of hits are the same form)
//   chained_cycles  call i+1's block index depends on call i's result (r & zero, zero an opaque
//                   0): the stage's latency on a dependency chain
// The TLS list push/pop are timed as a batch of kBlocks pushes (each block on its class's list of
// the calling thread's cache) and then the kBlocks pops that take them back; their chain is the
// list head itself.
//
// Clock: TSC ticks (`lfence; rdtsc; lfence` .. `rdtscp; lfence`), constant-rate reference cycles,
// not core cycles; no performance counters are used (the output says whether the kernel would
// have given one). Per call, per repeat: (stage batch - median of the empty batches) / calls;
// reported as the median, min and max over R repeats (every batch runs once per repeat, in turn).
//
// Instructions: the probe runs itself under callgrind (/usr/bin/valgrind --tool=callgrind
// --collect-atstart=no, --callgrind-child): each batch once between CALLGRIND_TOGGLE_COLLECTs,
// dumped by name (CALLGRIND_DUMP_STATS_AT), minus the empty batch, / calls. User-space
// instructions only: the kernel work of mincore is not counted.
#include <valgrind/callgrind.h>

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "harness/tsc.h"

#include "allocator/api.h"
#include "allocator/config.h"
#include "allocator/front_gate.h"
#include "allocator/os_pages.h"
#include "allocator/ownership_map.h"
#include "allocator/registry.h"
#include "allocator/size_classes.h"
#include "allocator/superslab.h"
#include "allocator/thread_cache.h"
#include "allocator/tiny.h"

namespace {
using hak::kPageSize;

constexpr int kBlocks = 256;   // live set (like bench_random_mixed ws=256): its header lines fit in L1
constexpr int kCalls = 1024;   // calls per batch of a stateless stage (4 passes over the live set)
constexpr int kDefaultRepeats = 501;
constexpr uint32_t kSeed = 1234567;  // bench_random_mixed's default seed

struct Block {
  uintptr_t a;  // user pointer
  uint64_t h;   // its header byte
  uint64_t c;   // its class
};
Block g_blocks[kBlocks];

// ---- the stages (each returns something the loop consumes) ----
struct Empty {  // the baseline: the loop's own loads and index arithmetic
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) { return a; }
};
struct AlignmentCheck {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) { return (a & 0x3FF) == 0; }
};
struct SamePage {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) { return (a & (kPageSize - 1)) == 0; }
};
struct Mincore {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) {
    return hak::OsPageMapped(reinterpret_cast<const char*>(a) - 1);
  }
};
struct HeaderRead {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) {
    const uint8_t h = reinterpret_cast<const uint8_t*>(a)[-1];
    return hak::IsTinyHeader(h) ? (h & 0x07) : uint64_t(-1);
  }
};
struct OwnershipLookup {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) { return hak::OwnershipGet(a); }
};
struct OwnershipCheck {
  static inline uint64_t Run(uintptr_t a, uint64_t h, uint64_t c) {
    return hak::OwnershipGet(a) == h && hak::TinyIsBlockStart(a, static_cast<int>(c));
  }
};
struct RegistryLookup {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) { return hak::RegistryLookup(a); }
};
struct RegistryC7Check {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) {
    return hak::RegistryLookup(a) != 0 && hak::SlabOf(a)->class_idx == 7;
  }
};
struct Classify {
  static inline uint64_t Run(uintptr_t a, uint64_t, uint64_t) {
    const hak::Route r = hak::Classify(a);
    return uint64_t(r.kind) | uint64_t(uint8_t(r.cls)) << 8 | uint64_t(r.via_registry) << 16;
  }
};

// One batch of `calls` calls of stage S over the live set. kChain: the next block index depends
// on this call's result (through `zero`, an opaque 0).
template <class S, bool kChain>
__attribute__((noinline)) void Loop(int calls, uint64_t zero) {
  __asm__ volatile("" : "+r"(zero));
  uint64_t i = 0;
  for (int k = 0; k < calls; ++k) {
    uintptr_t a = g_blocks[i].a;
    uint64_t h = g_blocks[i].h, c = g_blocks[i].c;
    __asm__ volatile("" : "+r"(a), "+r"(h), "+r"(c));
    const uint64_t r = S::Run(a, h, c);
    __asm__ volatile("" ::"r"(r));
    if (kChain) {
      i = (i + 1 + (r & zero)) & (kBlocks - 1);
    } else {
      i = (i + 1) & (kBlocks - 1);
    }
  }
}

// The TLS list: every block of the live set onto its class's list of the calling thread's cache
// (kOp 1), then as many pops, block k's class each (kOp 2: the lists are LIFO, so the pops take
// back exactly the pushed blocks). kOp 0 is their baseline: the same loop and loads, no list.
template <int kOp>
__attribute__((noinline)) void ListBatch(int, uint64_t) {
  hak::ThreadCache& tc = hak::t_cache;
  for (int k = 0; k < kBlocks; ++k) {
    uintptr_t a = g_blocks[k].a;
    uint64_t h = g_blocks[k].h, c = g_blocks[k].c;
    __asm__ volatile("" : "+r"(a), "+r"(h), "+r"(c));
    if constexpr (kOp == 1) {
      void* p = reinterpret_cast<void*>(a);
      hak::CachePush(tc, static_cast<int>(c), p, p, 1, static_cast<uint8_t>(h));
    } else if constexpr (kOp == 2) {
      void* p = hak::CachePop(tc, static_cast<int>(c));
      __asm__ volatile("" ::"r"(p));
    } else {
      __asm__ volatile("" ::"r"(a));
    }
  }
}

// ---- the table of what is measured ----
enum Form { kIndependent, kChained, kList };
struct Batch {
  std::string stage;  // "" for a baseline
  Form form;
  int calls;
  void (*run)(int, uint64_t);
};

template <class S, bool kChain>
void RunLoop(int calls, uint64_t zero) {
  Loop<S, kChain>(calls, zero);
}

const char* RegistryImpl() { return hak::kRegistryRbtree ? "rbtree" : "hash"; }
const char* ClassifyOrder() { return hak::kClassifyRegistryFirst ? "registry_first" : "header_first"; }

template <class S>
void AddStage(std::vector<Batch>* out, const std::string& name) {
  out->push_back({name, kIndependent, kCalls, RunLoop<S, false>});
  out->push_back({name, kChained, kCalls, RunLoop<S, true>});
}

// Baselines first (stage ""), in the order: independent kCalls, chained kCalls, list kBlocks.
std::vector<Batch> Batches() {
  std::vector<Batch> b = {
      {"", kIndependent, kCalls, RunLoop<Empty, false>},
      {"", kChained, kCalls, RunLoop<Empty, true>},
      {"", kList, kBlocks, ListBatch<0>},
  };
  AddStage<AlignmentCheck>(&b, "alignment_check");
  AddStage<SamePage>(&b, "page_boundary_same_page");
  AddStage<Mincore>(&b, "page_boundary_mincore");
  AddStage<HeaderRead>(&b, "header_read");
  AddStage<OwnershipLookup>(&b, "ownership_lookup");
  AddStage<OwnershipCheck>(&b, "ownership_check");
  AddStage<RegistryLookup>(&b, std::string("registry_lookup_") + RegistryImpl());
  AddStage<RegistryC7Check>(&b, std::string("registry_c7_check_") + RegistryImpl());
  AddStage<Classify>(&b, std::string("classify_") + ClassifyOrder());
  b.push_back({"tls_push", kList, kBlocks, ListBatch<1>});  // the pop must follow its push
  b.push_back({"tls_pop", kList, kBlocks, ListBatch<2>});
  return b;
}

// The baseline of a batch: the empty batch of the same form (and so the same number of calls).
int BaselineOf(const std::vector<Batch>& bs, const Batch& b) {
  for (size_t j = 0; j < bs.size(); ++j) {
    if (bs[j].stage.empty() && bs[j].form == b.form) return static_cast<int>(j);
  }
  abort();
}

// ---- live blocks ----
int FillBlocks() {
  uint32_t r = kSeed;
  // Headerless C7 (c7_header=false) has no byte to read: stay below it there.
  const size_t max_size = hak::kC7Header ? hak::kTinyMaxSize : hak::kClasses[6].usable;
  for (int k = 0; k < kBlocks; ++k) {
    r ^= r << 13;
    r ^= r >> 17;
    r ^= r << 5;
    size_t n = 16 + (r & 0x3FF);  // bench_random_mixed's sizes, clamped to the tiny tier
    if (n > max_size) n = max_size;
    void* p = hak_malloc(n);
    if (p == nullptr) {
      fprintf(stderr, "stage_probe: hak_malloc(%zu) failed\n", n);
      return 1;
    }
    const uint8_t h = static_cast<const uint8_t*>(p)[-1];
    if (!hak::IsTinyHeader(h)) {
      fprintf(stderr, "stage_probe: block %p of size %zu has no tiny header (0x%02x)\n", p, n, h);
      return 1;
    }
    g_blocks[k] = {reinterpret_cast<uintptr_t>(p), h, uint64_t(h & 0x07)};
  }
  return 0;
}

// Ordered TSC reads: harness/tsc.h.
using lab::TscStart;
using lab::TscStop;
double TscMhz() {
  timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  const uint64_t t0 = TscStart();
  const timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, nullptr);
  const uint64_t t1 = TscStop();
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
  return static_cast<double>(t1 - t0) / us;
}

// Whether the kernel would give a user-space core-cycle counter (it is never used here).
std::string PerfCounterNote() {
  perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.type = PERF_TYPE_HARDWARE;
  attr.size = sizeof(attr);
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  const int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  if (fd < 0) {
    const int e = errno;
    return std::string("this machine exposes no performance counters: perf_event_open(PERF_COUNT_HW_CPU_CYCLES) ") +
           "failed: " + strerror(e);
  }
  close(fd);
  return "perf_event_open(PERF_COUNT_HW_CPU_CYCLES) would open, but is not read";
}

struct Stat {
  double median, min, max;
};
Stat Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};  // repeats are odd
}

// ---- callgrind ----
constexpr const char* kValgrind = "/usr/bin/valgrind";

int CallgrindChild() {
  const std::vector<Batch> bs = Batches();
  for (const Batch& b : bs) b.run(b.calls, 0);  // warm-up, uncounted (lazy binding, first touches)
  // Counted: each batch once, in order (tls_pop right after tls_push, so the lists end as they began).
  for (size_t j = 0; j < bs.size(); ++j) {
    CALLGRIND_TOGGLE_COLLECT;
    bs[j].run(bs[j].calls, 0);
    CALLGRIND_TOGGLE_COLLECT;
    char name[32];
    snprintf(name, sizeof(name), "batch%zu", j);
    CALLGRIND_DUMP_STATS_AT(name);
  }
  return 0;
}

// Instructions of every batch (index -> total), or an empty map with *why.
std::map<int, double> CallgrindCounts(std::string* why) {
  std::map<int, double> out;
  if (access(kValgrind, X_OK) != 0) {
    *why = std::string(kValgrind) + " not found";
    return out;
  }
  const char* tmp = getenv("TMPDIR");
  std::string dir_s = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/stage_probe_cg.XXXXXX";
  std::vector<char> dir_buf(dir_s.begin(), dir_s.end());
  dir_buf.push_back(0);
  char* dir = dir_buf.data();
  if (mkdtemp(dir) == nullptr) {
    *why = std::string("mkdtemp: ") + strerror(errno);
    return out;
  }
  const std::string base = std::string(dir) + "/cg";
  const std::string outopt = "--callgrind-out-file=" + base;
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0) {
    *why = "readlink /proc/self/exe failed";
    return out;
  }
  self[len] = 0;
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execl(kValgrind, kValgrind, "--tool=callgrind", "--collect-atstart=no", outopt.c_str(), self,
          "--callgrind-child", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = "valgrind --tool=callgrind on the probe failed";
  }
  // Dumps: <base>.1, <base>.2, ... each "desc: Trigger: Client Request: batchN" and "totals: X".
  for (int f = 1;; ++f) {
    const std::string path = base + "." + std::to_string(f);
    std::ifstream in(path);
    if (!in) break;
    std::string line;
    int idx = -1;
    double total = -1;
    while (std::getline(in, line)) {
      const std::string trig = "desc: Trigger: Client Request: batch";
      if (line.rfind(trig, 0) == 0) idx = atoi(line.c_str() + trig.size());
      if (line.rfind("totals:", 0) == 0) total = atof(line.c_str() + 7);
    }
    if (idx >= 0 && total >= 0) out[idx] = total;
    unlink(path.c_str());
  }
  unlink(base.c_str());
  rmdir(dir);
  if (!why->empty()) out.clear();
  return out;
}

// ---- output ----
struct StageResult {
  std::string name;
  bool has_chained = false;
  Stat cycles{}, chained{};
  int calls = 0;
  double instructions = NAN;
};

std::string Json(double x) {
  if (!std::isfinite(x)) return "null";
  char b[64];
  snprintf(b, sizeof(b), "%.3f", x);
  return b;
}
std::string JsonStat(const Stat& s) {
  return "{\"median\": " + Json(s.median) + ", \"min\": " + Json(s.min) + ", \"max\": " + Json(s.max) + "}";
}

int Usage() {
  fprintf(stderr, "usage: stage_probe [--json] [--repeats R (odd, 3..100001)] [--no-instructions]\n");
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  bool json = false, instructions = true;
  int repeats = kDefaultRepeats;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--callgrind-child") {
      if (FillBlocks() != 0) return 1;
      return CallgrindChild();
    } else if (a == "--json") {
      json = true;
    } else if (a == "--no-instructions") {
      instructions = false;
    } else if (a == "--repeats" && i + 1 < argc) {
      char* end = nullptr;
      const long r = strtol(argv[++i], &end, 10);
      if (*end != 0 || r < 3 || r > 100001 || r % 2 == 0) return Usage();
      repeats = static_cast<int>(r);
    } else {
      return Usage();
    }
  }
  if (FillBlocks() != 0) return 1;
  const std::vector<Batch> bs = Batches();

  // Warm-up (lazy binding, the mincore path, page faults), then the repeats, each running every
  // batch once in order (a pop right after its push).
  for (int w = 0; w < 3; ++w) {
    for (const Batch& b : bs) b.run(b.calls, 0);
  }
  std::vector<std::vector<double>> ticks(bs.size());
  for (int r = 0; r < repeats; ++r) {
    for (size_t j = 0; j < bs.size(); ++j) {
      const uint64_t t0 = TscStart();
      bs[j].run(bs[j].calls, 0);
      const uint64_t t1 = TscStop();
      ticks[j].push_back(static_cast<double>(t1 - t0));
    }
  }
  const double mhz = TscMhz();
  std::string cg_why;
  std::map<int, double> ir;
  if (instructions) {
    ir = CallgrindCounts(&cg_why);
    if (ir.empty() && cg_why.empty()) cg_why = "callgrind wrote no counts";
  } else {
    cg_why = "--no-instructions";
  }

  // Per call, each repeat: (batch - the median of its baseline's batches) / calls. (The
  // baseline's own median, not its batch of the same repeat: an interrupt in one baseline batch
  // would otherwise turn that repeat's stage negative.)
  auto per_call = [&](size_t j) {
    const double base = Summarize(ticks[BaselineOf(bs, bs[j])]).median;
    std::vector<double> d(repeats);
    for (int r = 0; r < repeats; ++r) d[r] = (ticks[j][r] - base) / bs[j].calls;
    return Summarize(d);
  };
  auto ir_per_call = [&](size_t j) {
    const int base = BaselineOf(bs, bs[j]);
    if (!ir.count(static_cast<int>(j)) || !ir.count(base)) return static_cast<double>(NAN);
    return (ir[static_cast<int>(j)] - ir[base]) / bs[j].calls;
  };
  std::vector<StageResult> stages;
  for (size_t j = 0; j < bs.size(); ++j) {
    if (bs[j].stage.empty()) continue;
    StageResult* s = nullptr;
    for (auto& x : stages) {
      if (x.name == bs[j].stage) s = &x;
    }
    if (s == nullptr) {
      stages.push_back({});
      s = &stages.back();
      s->name = bs[j].stage;
    }
    if (bs[j].form == kChained) {
      s->has_chained = true;
      s->chained = per_call(j);
    } else {
      s->cycles = per_call(j);
      s->calls = bs[j].calls;
      s->instructions = ir_per_call(j);
    }
  }
  // The baselines themselves, per call (what was subtracted).
  Stat base_ind{}, base_chain{}, base_list{};
  double base_ir = NAN;
  for (size_t j = 0; j < 3; ++j) {
    std::vector<double> d(repeats);
    for (int r = 0; r < repeats; ++r) d[r] = ticks[j][r] / bs[j].calls;
    (bs[j].form == kIndependent ? base_ind : bs[j].form == kChained ? base_chain : base_list) = Summarize(d);
  }
  if (ir.count(0)) base_ir = ir[0] / bs[0].calls;

  const std::string clock = "TSC (constant-rate reference cycles, not core cycles); no performance counters are used (" +
                            PerfCounterNote() + ")";
  const std::string variant = hak_variant_string();
  if (json) {
    printf("{\"probe\": \"stage_probe\", \"variant\": \"%s\", \"registry_impl\": \"%s\", \"classify_order\": \"%s\", ",
           variant.c_str(), RegistryImpl(), ClassifyOrder());
    printf("\"clock\": \"%s\", \"core_cycles\": false, \"tsc_mhz\": %.1f, \"repeats\": %d, \"blocks\": %d, ",
           clock.c_str(), mhz, repeats, kBlocks);
    printf("\"registry_superslabs\": %zu, ", hak::RegistrySize());
    printf("\"instructions\": %s, \"instructions_note\": \"%s\", ", ir.empty() ? "false" : "true",
           ir.empty() ? cg_why.c_str() : "callgrind, user space only (a syscall's kernel work is not counted)");
    printf("\"baseline\": {\"cycles\": %s, \"chained_cycles\": %s, \"list_cycles\": %s, \"instructions\": %s}, ",
           JsonStat(base_ind).c_str(), JsonStat(base_chain).c_str(), JsonStat(base_list).c_str(), Json(base_ir).c_str());
    printf("\"stages\": {");
    for (size_t k = 0; k < stages.size(); ++k) {
      const StageResult& s = stages[k];
      printf("%s\"%s\": {\"cycles\": %s, \"chained_cycles\": %s, \"calls\": %d, \"instructions\": %s}",
             k ? ", " : "", s.name.c_str(), JsonStat(s.cycles).c_str(),
             s.has_chained ? JsonStat(s.chained).c_str() : "null", s.calls, Json(s.instructions).c_str());
    }
    printf("}}\n");
    return 0;
  }
  printf("stage_probe: the tiny free path stage by stage, build %s\n", variant.c_str());
  printf("  registry_impl=%s (%zu SuperSlab(s) registered), classify_order=%s\n", RegistryImpl(),
         hak::RegistrySize(), ClassifyOrder());
  printf("clock: %s, %.1f MHz\n", clock.c_str(), mhz);
  printf("per call over %d live tiny blocks (hak_malloc, sizes 16..%zu, seed %u): median [min..max] of %d repeats,\n"
         "  each minus the median empty loop over the same blocks (subtracted: %.2f ticks/call "
         "independent, %.2f chained, %.2f per list step; %s instructions/call)\n",
         kBlocks, hak::kC7Header ? hak::kTinyMaxSize : hak::kClasses[6].usable, kSeed, repeats, base_ind.median,
         base_chain.median, base_list.median, std::isfinite(base_ir) ? Json(base_ir).c_str() : "-");
  printf("  cycles: independent calls; chained: each call waits for the previous one's result (latency)\n");
  printf("  instructions: %s\n\n",
         ir.empty() ? ("not counted: " + cg_why).c_str() : "callgrind, user space only (mincore's kernel work is not counted)");
  printf("%-26s %10s %21s %10s %21s %8s\n", "stage", "ticks", "[min..max]", "chained", "[min..max]", "instr");
  for (const StageResult& s : stages) {
    char r1[64], r2[64], c2[32] = "-", ins[32] = "-";
    snprintf(r1, sizeof(r1), "[%.2f..%.2f]", s.cycles.min, s.cycles.max);
    snprintf(r2, sizeof(r2), "-");
    if (s.has_chained) {
      snprintf(c2, sizeof(c2), "%.2f", s.chained.median);
      snprintf(r2, sizeof(r2), "[%.2f..%.2f]", s.chained.min, s.chained.max);
    }
    if (std::isfinite(s.instructions)) snprintf(ins, sizeof(ins), "%.2f", s.instructions);
    printf("%-26s %10.2f %21s %10s %21s %8s\n", s.name.c_str(), s.cycles.median, r1, c2, r2, ins);
  }
  return 0;
}
