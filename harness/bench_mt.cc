// bench_mt — multi-thread workloads with cross-thread frees.
//
//   bench_mt prodcons [--threads N] [--ops N] [--min-size N] [--max-size N] [--json] [--expect A]
//     N/2 producer/consumer pairs: each producer allocates `ops` blocks of random size and hands
//     them over a single-producer single-consumer ring; its consumer checks and frees them.
//     Every block is freed by a thread that did not allocate it.
//   bench_mt larson [--threads N] [--ops N] [--rounds N] [--slots N] ...
//     larson-style: each thread replaces random slots of its array (free + malloc); after each
//     round the arrays rotate between threads, so the next round frees another thread's blocks.
// ops/s counts every malloc and every free. Defaults: 2 threads, 2000000 ops, sizes 16..1039.
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness/allocator_probe.h"
#include "harness/bench_util.h"

namespace {

struct Options {
  std::string mode;
  uint64_t threads = 2, ops = 2000000, rounds = 20, slots = 1024, min_size = 16, max_size = 1039;
  bool json = false;
  std::string expect;
};

[[noreturn]] void Usage(const char* why) {
  if (why) fprintf(stderr, "bench_mt: %s\n", why);
  fprintf(why ? stderr : stdout,
          "usage: bench_mt prodcons|larson [--threads N] [--ops N] [--rounds N] [--slots N]\n"
          "                [--min-size N] [--max-size N] [--json] [--expect ALLOCATOR]\n");
  exit(why ? 2 : 0);
}

uint64_t Num(const char* s, const char* what) {
  uint64_t v = 0;
  if (!lab::ParseU64(s, &v)) Usage((std::string("bad ") + what + ": " + s).c_str());
  return v;
}

size_t SizeOf(uint32_t r, const Options& o) {
  return o.min_size + r % (o.max_size - o.min_size + 1);
}

void* Alloc(size_t n, uint32_t tag) {
  auto* p = static_cast<uint8_t*>(malloc(n));
  if (p == nullptr) {
    fprintf(stderr, "bench_mt: malloc(%zu) failed\n", n);
    exit(3);
  }
  p[0] = uint8_t(tag);
  return p;
}

// Single-producer single-consumer ring of pointers.
struct Ring {
  static constexpr size_t kSize = 4096;
  alignas(64) std::atomic<uint64_t> head{0};
  alignas(64) std::atomic<uint64_t> tail{0};
  alignas(64) void* slots[kSize];
};

uint64_t ProdCons(const Options& o) {
  const uint64_t pairs = o.threads / 2;
  std::vector<Ring> rings(pairs);
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (uint64_t i = 0; i < pairs; ++i) {
    Ring* ring = &rings[i];
    ts.emplace_back([ring, &o, i] {
      uint32_t s = uint32_t(0x9E3779B9u * (i + 1));
      for (uint64_t k = 0; k < o.ops; ++k) {
        const uint32_t r = lab::XorShift32(&s);
        void* p = Alloc(SizeOf(r, o), 0xA5);
        const uint64_t h = ring->head.load(std::memory_order_relaxed);
        while (h - ring->tail.load(std::memory_order_acquire) >= Ring::kSize) std::this_thread::yield();
        ring->slots[h % Ring::kSize] = p;
        ring->head.store(h + 1, std::memory_order_release);
      }
    });
    ts.emplace_back([ring, &o, &bad] {
      for (uint64_t k = 0; k < o.ops; ++k) {
        const uint64_t t = ring->tail.load(std::memory_order_relaxed);
        while (ring->head.load(std::memory_order_acquire) == t) std::this_thread::yield();
        void* p = ring->slots[t % Ring::kSize];
        ring->tail.store(t + 1, std::memory_order_release);
        if (static_cast<uint8_t*>(p)[0] != 0xA5) bad.fetch_add(1);
        free(p);
      }
    });
  }
  for (auto& t : ts) t.join();
  if (bad.load() != 0) {
    fprintf(stderr, "bench_mt: %d blocks arrived corrupted\n", bad.load());
    exit(3);
  }
  return 2 * o.ops * pairs;
}

uint64_t Larson(const Options& o) {
  const uint64_t n = o.threads;
  std::vector<std::vector<void*>> arrays(n, std::vector<void*>(o.slots, nullptr));
  const uint64_t per_round = o.ops / o.rounds;
  for (uint64_t round = 0; round < o.rounds; ++round) {
    std::vector<std::thread> ts;
    for (uint64_t t = 0; t < n; ++t) {
      ts.emplace_back([&, t, round] {
        std::vector<void*>& a = arrays[(t + round) % n];  // rotates: another thread's blocks
        uint32_t s = uint32_t(0x85EBCA6Bu * (t + 1) + round);
        for (uint64_t k = 0; k < per_round; ++k) {
          const uint32_t r = lab::XorShift32(&s);
          void*& slot = a[r % a.size()];
          free(slot);
          slot = Alloc(SizeOf(r >> 8, o), uint8_t(r));
        }
      });
    }
    for (auto& th : ts) th.join();
  }
  for (auto& a : arrays) {
    for (void* p : a) free(p);
  }
  return 2 * per_round * o.rounds * n;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) Usage("which workload? prodcons or larson");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&](const char* what) {
      if (i + 1 >= argc) Usage((a + " needs a value").c_str());
      return Num(argv[++i], what);
    };
    if (a == "-h" || a == "--help") Usage(nullptr);
    else if (a == "prodcons" || a == "larson") o.mode = a;
    else if (a == "--threads") o.threads = val("--threads");
    else if (a == "--ops") o.ops = val("--ops");
    else if (a == "--rounds") o.rounds = val("--rounds");
    else if (a == "--slots") o.slots = val("--slots");
    else if (a == "--min-size") o.min_size = val("--min-size");
    else if (a == "--max-size") o.max_size = val("--max-size");
    else if (a == "--json") o.json = true;
    else if (a == "--expect" && i + 1 < argc) o.expect = argv[++i];
    else Usage(("unknown argument " + a).c_str());
  }
  if (o.mode.empty()) Usage("which workload? prodcons or larson");
  if (o.threads < 1 || o.threads > 256) Usage("--threads must be 1..256");
  if (o.mode == "prodcons" && o.threads % 2 != 0) Usage("prodcons needs an even --threads");
  if (o.min_size > o.max_size || o.min_size == 0) Usage("need 0 < min-size <= max-size");
  if (o.rounds == 0 || o.slots == 0 || o.ops < o.rounds) Usage("need rounds, slots >= 1 and ops >= rounds");

  const lab::ProbeResult probe = lab::ProbeAllocator();
  if (!o.expect.empty()) {
    const std::string why = lab::CheckAllocator(o.expect);
    if (!why.empty()) {
      fprintf(stderr, "bench_mt: refusing to measure: %s\n", why.c_str());
      return 4;
    }
  }
  const double t0 = lab::NowSeconds();
  const uint64_t ops = o.mode == "prodcons" ? ProdCons(o) : Larson(o);
  const double secs = lab::NowSeconds() - t0;
  const double rate = secs > 0 ? double(ops) / secs : 0;
  printf("Throughput = %.0f ops/s [allocator=%s] [%s threads=%" PRIu64 " ops=%" PRIu64 "] time=%.3fs\n",
         rate, probe.allocator.c_str(), o.mode.c_str(), o.threads, ops, secs);
  if (o.json) {
    printf("{\"workload\":\"mt_%s\",\"allocator\":\"%s\",\"variant\":\"%s\",\"owns_malloc\":%s,"
           "\"threads\":%" PRIu64 ",\"ops\":%" PRIu64 ",\"seconds\":%.9f,\"ops_per_sec\":%.1f,"
           "\"peak_rss_kb\":%ld,\"rss_after_free_kb\":null,\"compiler\":\"gcc %s\"}\n",
           o.mode.c_str(), probe.allocator.c_str(), probe.variant.c_str(),
           probe.owns_malloc ? "true" : "false", o.threads, ops, secs, rate, lab::PeakRssKb(), __VERSION__);
  }
  return 0;
}
