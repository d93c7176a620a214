// fastpath_probe MODE [n] — run under
//   valgrind --tool=callgrind --collect-atstart=no fastpath_probe MODE
// to count the instructions of n tiny malloc hits (MODE=malloc), n tiny free hits (MODE=free),
// or n empty collection windows (MODE=empty: the toggle's own cost, to subtract).
// Each measured call sits alone between two CALLGRIND_TOGGLE_COLLECTs, after a warm-up that
// leaves the thread's free list holding n blocks of the size (so every malloc is a hit) with room
// for n more (so every free is a hit). The seeds' budget: "fast path must stay <10 cycles".
//
// fastpath_probe cycles [n] (natively, not under callgrind) times the same hits with the TSC:
// kRepeats times, a batch of n mallocs, a batch of n frees and an empty batch, each between
// `lfence; rdtsc; lfence` and `rdtscp; lfence`, with the list warmed as above so every call hits.
// Per call = median over the repeats of (batch - empty batch of the same repeat) / n. It also
// tries perf_event_open(PERF_COUNT_HW_CPU_CYCLES, user only) and, when the kernel gives a counter
// that counts, reports core cycles the same way. One JSON line on stdout (harness/README.md).
#include <valgrind/callgrind.h>

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "harness/tsc.h"

namespace {
constexpr size_t kSize = 24;  // hakmem C2 (32-byte blocks); a tiny size for every allocator
constexpr int kMaxN = 100;    // below hakmem's C2 cache capacity (256) with a batch left over
void* volatile g_blocks[kMaxN];

// ---- cycles mode (never reached by the callgrind modes) ----------------------------------------
constexpr int kRepeats = 201;

// Ordered TSC reads: harness/tsc.h.
using lab::TscStart;
using lab::TscStop;

// One batch of n calls: 0 = empty, 1 = malloc hits, 2 = free hits (of the blocks of batch 1).
__attribute__((noinline)) void Batch(int kind, int n) {
  if (kind == 1) {
    for (int i = 0; i < n; ++i) g_blocks[i] = malloc(kSize);
  } else if (kind == 2) {
    for (int i = 0; i < n; ++i) free(g_blocks[i]);
  } else {
    for (int i = 0; i < n; ++i) __asm__ volatile("" ::: "memory");
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];  // kRepeats is odd
}

// A user-space core-cycle counter, or -1 with the reason in *why.
int OpenCycleCounter(std::string* why) {
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
    *why = std::string("perf_event_open(PERF_COUNT_HW_CPU_CYCLES) failed: ") + strerror(e);
  }
  return fd;
}

// Ticks of each kind of batch, per repeat: TSC and, with fd >= 0, core cycles.
struct Samples {
  std::vector<double> tsc[3], core[3];
};

void Measure(int n, int fd, Samples* s) {
  const int order[3] = {0, 1, 2};  // malloc before free: the frees return the mallocs' blocks
  for (int r = 0; r < kRepeats; ++r) {
    for (int kind : order) {
      if (fd >= 0) {
        ioctl(fd, PERF_EVENT_IOC_RESET, 0);
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
      }
      const uint64_t t0 = TscStart();
      Batch(kind, n);
      const uint64_t t1 = TscStop();
      if (fd >= 0) {
        ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
        uint64_t count = 0;
        if (read(fd, &count, sizeof(count)) != static_cast<ssize_t>(sizeof(count))) count = 0;
        s->core[kind].push_back(static_cast<double>(count));
      }
      s->tsc[kind].push_back(static_cast<double>(t1 - t0));
    }
  }
}

// Median over repeats of (batch - that repeat's empty batch) / n.
double PerCall(const std::vector<double>& batch, const std::vector<double>& empty, int n) {
  std::vector<double> d(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) d[i] = (batch[i] - empty[i]) / n;
  return Median(d);
}

// TSC ticks per microsecond over ~50 ms of CLOCK_MONOTONIC, to read ticks as time.
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

int RunCycles(int n) {
  // Warm-up as in the callgrind modes: the free list holds n blocks of kSize.
  for (int i = 0; i < n; ++i) g_blocks[i] = malloc(kSize);
  for (int i = 0; i < n; ++i) free(g_blocks[i]);
  std::string why;
  int fd = OpenCycleCounter(&why);
  Samples s;
  Measure(n, fd, &s);
  bool core = fd >= 0;
  if (core && Median(s.core[1]) <= 0) {
    core = false;
    why = "perf_event_open(PERF_COUNT_HW_CPU_CYCLES) gave a counter that counts nothing";
  }
  if (fd >= 0) close(fd);
  const double mhz = TscMhz();
  std::string clock = "TSC (constant-rate reference cycles)";
  if (core) {
    clock += "; core cycles from perf_event_open(PERF_COUNT_HW_CPU_CYCLES, user only) in *_core_cycles";
  } else {
    clock += "; this machine exposes no performance counters (" + why + "), so these are not core cycles";
  }
  printf("{\"malloc_hit_cycles\": %.2f, \"free_hit_cycles\": %.2f, \"empty_batch_cycles\": %.1f, ",
         PerCall(s.tsc[1], s.tsc[0], n), PerCall(s.tsc[2], s.tsc[0], n), Median(s.tsc[0]));
  if (core) {
    printf("\"malloc_hit_core_cycles\": %.2f, \"free_hit_core_cycles\": %.2f, \"empty_batch_core_cycles\": %.1f, ",
           PerCall(s.core[1], s.core[0], n), PerCall(s.core[2], s.core[0], n), Median(s.core[0]));
  }
  printf("\"repeats\": %d, \"n\": %d, \"tsc_mhz\": %.1f, \"core_cycles\": %s, \"clock\": \"%s\"}\n",
         kRepeats, n, mhz, core ? "true" : "false", clock.c_str());
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "malloc") != 0 && strcmp(argv[1], "free") != 0 &&
                   strcmp(argv[1], "empty") != 0 && strcmp(argv[1], "cycles") != 0)) {
    fprintf(stderr, "usage: fastpath_probe malloc|free|empty|cycles [n<=%d]\n", kMaxN);
    return 2;
  }
  const int n = argc > 2 ? atoi(argv[2]) : kMaxN;
  if (n < 1 || n > kMaxN) {
    fprintf(stderr, "fastpath_probe: n must be 1..%d\n", kMaxN);
    return 2;
  }
  if (strcmp(argv[1], "cycles") == 0) return RunCycles(n);
  // Warm-up: the free list now holds n blocks of kSize.
  for (int i = 0; i < n; ++i) g_blocks[i] = malloc(kSize);
  for (int i = 0; i < n; ++i) free(g_blocks[i]);

  if (strcmp(argv[1], "malloc") == 0) {
    for (int i = 0; i < n; ++i) {
      CALLGRIND_TOGGLE_COLLECT;
      void* p = malloc(kSize);
      CALLGRIND_TOGGLE_COLLECT;
      g_blocks[i] = p;
    }
    for (int i = 0; i < n; ++i) free(g_blocks[i]);
  } else if (strcmp(argv[1], "free") == 0) {
    for (int i = 0; i < n; ++i) g_blocks[i] = malloc(kSize);
    for (int i = 0; i < n; ++i) {
      void* p = g_blocks[i];
      CALLGRIND_TOGGLE_COLLECT;
      free(p);
      CALLGRIND_TOGGLE_COLLECT;
    }
  } else {
    for (int i = 0; i < n; ++i) {
      CALLGRIND_TOGGLE_COLLECT;
      __asm__ volatile("" ::: "memory");
      CALLGRIND_TOGGLE_COLLECT;
    }
  }
  printf("fastpath_probe %s n=%d\n", argv[1], n);
  return 0;
}
