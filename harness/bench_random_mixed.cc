// bench_random_mixed — the seeds' random-mixed workload, faithful to upstream HAKMEM:
//   bench_random_mixed [cycles ws seed [min_size] [max_size]] [--json] [--expect ALLOC]
//   defaults: 10000000 8192 1234567 16 1039
// Each cycle draws one xorshift32 value r and picks slot r % ws: an occupied slot is freed,
// an empty one gets malloc(16 + (r & 0x3FF)) clamped to [min_size, max_size], first byte written
// (and one byte in every further page of a block above 4096 bytes, lab::TouchPages).
// A prefault pass of cycles/10 (seed + 0xDEADBEEF) runs first and is not drained.
// ops/s = cycles / (main loop + final drain), CLOCK_MONOTONIC.
// Note: upstream's "128B / 256B / ..." tables are working-set sizes (ws), not object sizes.
//
// bench_medium_mixed (the same source with LAB_MEDIUM_MIXED=1, the sweep's medium_mixed workload):
//   bench_medium_mixed [cycles ws seed [min_size] [max_size]] [--json] [--expect ALLOC]
//   defaults: 10000000 1024 1234567 1025 32768
// The same loop, but a malloc's size is a second xorshift32 draw, uniform in [min_size,
// max_size] (not r & 0x3FF, which spans only 1024 sizes), so every medium class is hit.
#include <valgrind/callgrind.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "harness/allocator_probe.h"
#include "harness/bench_util.h"
#include "harness/tiers.h"

#ifndef LAB_MEDIUM_MIXED
#define LAB_MEDIUM_MIXED 0
#endif

namespace {

constexpr bool kMedium = LAB_MEDIUM_MIXED;
constexpr const char* kProgram = kMedium ? "bench_medium_mixed" : "bench_random_mixed";
constexpr const char* kWorkload = kMedium ? "medium_mixed" : "random_mixed";

// Bytes requested and mallocs made by the last RunCycles (medium only: its record reports the
// mean request, so a test can see the distribution it asked for).
uint64_t g_requested_bytes = 0, g_mallocs = 0;

void RunCycles(void** slots, uint32_t ws, uint64_t cycles, uint32_t seed, size_t min_size,
               size_t max_size) {
  g_requested_bytes = g_mallocs = 0;
  uint32_t state = seed != 0 ? seed : 1;  // xorshift32 is stuck at 0
  for (uint64_t i = 0; i < cycles; ++i) {
    const uint32_t r = lab::XorShift32(&state);
    void*& slot = slots[r % ws];
    if (slot != nullptr) {
      free(slot);
      slot = nullptr;
    } else {
      size_t n;
      if constexpr (kMedium) {
        n = min_size + lab::XorShift32(&state) % (max_size - min_size + 1);
        g_requested_bytes += n;
        ++g_mallocs;
      } else {
        n = 16 + (r & 0x3FF);
        if (n < min_size) n = min_size;
        if (n > max_size) n = max_size;
      }
      slot = malloc(n);
      if (slot == nullptr) {
        fprintf(stderr, "%s: malloc(%zu) failed: %s\n", kProgram, n, strerror(errno));
        exit(3);
      }
      lab::TouchPages(slot, n, static_cast<uint8_t>(r));  // byte 0, and every page of a big block
    }
  }
}

[[noreturn]] void Usage(const char* why) {
  if (why != nullptr) fprintf(stderr, "%s: %s\n", kProgram, why);
  fprintf(why ? stderr : stdout,
          "usage: %s [cycles ws seed [min_size] [max_size]] [--json] "
          "[--expect ALLOCATOR]\n"
          "  defaults: cycles=10000000 ws=%s seed=1234567 min_size=%s max_size=%s\n"
          "  ws is the working set (number of slots), not an object size.\n"
          "%s",
          kProgram, kMedium ? "1024" : "8192", kMedium ? "1025" : "16", kMedium ? "32768" : "1039",
          kMedium ? "  sizes: uniform in [min_size, max_size] (a second xorshift32 draw per malloc)\n"
                  : "  sizes: 16 + (r & 0x3FF), clamped to [min_size, max_size]\n");
  fprintf(why ? stderr : stdout,
          "  --json             also print one JSON record on stdout\n"
          "  --expect ALLOC     refuse to run unless malloc is served by ALLOC\n"
          "                     (hakmem, system, mimalloc, jemalloc, tcmalloc, or\n"
          "                     other:SONAME for any other library)\n");
  exit(why ? 2 : 0);
}

uint64_t ParseU64(const char* s, const char* what) {
  uint64_t v = 0;
  if (!lab::ParseU64(s, &v)) Usage((std::string("bad ") + what + ": '" + s + "'").c_str());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t pos[5] = {10000000, kMedium ? 1024u : 8192u, 1234567, kMedium ? 1025u : 16u, kMedium ? 32768u : 1039u};
  const char* names[5] = {"cycles", "ws", "seed", "min_size", "max_size"};
  int npos = 0;
  bool json = false;
  std::string expect;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
      expect = argv[++i];
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      Usage(nullptr);
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      Usage((std::string("unknown option ") + argv[i]).c_str());
    } else if (npos < 5) {
      pos[npos] = ParseU64(argv[i], names[npos]);
      ++npos;
    } else {
      Usage("too many arguments");
    }
  }
  const uint64_t cycles = pos[0];
  if (pos[1] == 0 || pos[1] > (1u << 26)) Usage("ws must be in 1..67108864");
  if (pos[2] > UINT32_MAX) Usage("seed must fit in 32 bits");
  if (pos[3] > pos[4]) Usage("min_size must not exceed max_size");
  if (kMedium && pos[4] - pos[3] >= UINT32_MAX) Usage("max_size - min_size must fit in 32 bits");
  const uint32_t ws = uint32_t(pos[1]);
  const uint32_t seed = uint32_t(pos[2]);
  const size_t min_size = pos[3], max_size = pos[4];

  const lab::ProbeResult probe = lab::ProbeAllocator();
  if (!expect.empty()) {
    const std::string why = lab::CheckAllocator(expect);
    if (!why.empty()) {
      fprintf(stderr, "%s: refusing to measure: %s\n", kProgram, why.c_str());
      return 4;
    }
  }

  void** slots = static_cast<void**>(calloc(ws, sizeof(void*)));
  if (slots == nullptr) {
    fprintf(stderr, "%s: cannot allocate %u slots\n", kProgram, ws);
    return 3;
  }
  RunCycles(slots, ws, cycles / 10, seed + 0xDEADBEEFu, min_size, max_size);  // prefault

  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
  const double t0 = lab::NowSeconds();
  RunCycles(slots, ws, cycles, seed, min_size, max_size);
  for (uint32_t i = 0; i < ws; ++i) {
    free(slots[i]);
    slots[i] = nullptr;
  }
  const double t1 = lab::NowSeconds();
  CALLGRIND_STOP_INSTRUMENTATION;
  free(slots);
  const long rss_after_free = lab::RssKb();
  const std::string tiers = lab::TiersJsonField();  // hakmem only: where the memory is

  std::string mean;  // medium only: ,"mean_request":<bytes> of the timed loop's mallocs
  if (kMedium && g_mallocs > 0) mean = ",\"mean_request\":" + std::to_string(g_requested_bytes / g_mallocs);
  const double secs = t1 - t0;
  const double ops = secs > 0 ? double(cycles) / secs : 0;
  printf("Throughput = %.0f ops/s [allocator=%s] [iter=%" PRIu64 " ws=%u] time=%.3fs\n", ops,
         probe.allocator.c_str(), cycles, ws, secs);
  if (json) {
    printf("{\"workload\":\"%s\",\"allocator\":\"%s\",%s,\"variant\":\"%s\","
           "\"owns_malloc\":%s,\"cycles\":%" PRIu64 ",\"ws\":%u,\"seed\":%u,\"min_size\":%zu,"
           "\"max_size\":%zu,\"seconds\":%.9f,\"ops_per_sec\":%.1f,\"peak_rss_kb\":%ld,"
           "\"rss_after_free_kb\":%ld%s%s,\"compiler\":\"gcc %s\"}\n",
           kWorkload, probe.allocator.c_str(), lab::ProbeJsonFields(probe).c_str(), probe.variant.c_str(),
           probe.owns_malloc ? "true" : "false", cycles, ws, seed, min_size, max_size, secs, ops,
           lab::PeakRssKb(), rss_after_free, tiers.c_str(), mean.c_str(), __VERSION__);
  }
  return 0;
}
