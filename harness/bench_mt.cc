// bench_mt — multi-thread workloads with cross-thread frees.
//
//   bench_mt prodcons [--threads N] [--ops N | --seconds S] [--min-size N] [--max-size N] [--json]
//                     [--expect A]
//     N/2 producer/consumer pairs: each producer allocates `ops` blocks of random size and hands
//     them over a single-producer single-consumer ring; its consumer checks and frees them.
//     Every block is freed by a thread that did not allocate it.
//   bench_mt larson [--threads N] [--ops N | --seconds S] [--rounds N] [--slots N] ...
//     larson-style: each thread replaces random slots of its array (free + malloc) `ops` times;
//     after each round the arrays rotate between threads, so the next round frees another
//     thread's blocks. --slots is per thread (default 1024).
//   bench_mt churn [--threads N] [--ops N | --seconds S] [--slots N] ...
//     ptmalloc t-test1-style: all threads share one array of N * slots slots (default 4096 per
//     thread); each step picks a random slot of the whole array, allocates a new block and
//     swaps it in with an atomic exchange, then frees what was there (most of it allocated by
//     another thread). Every block is freed exactly once; leftovers are freed by main.
//
// ops/s counts every malloc and every free. Sizes 16..1039 by default; every page of a block is
// written (lab::TouchPages). --ops is per producer (prodcons) or per thread (larson, churn);
// its default is chosen per mode so that a 2-thread sample lasts a few hundred ms. --seconds S
// (> 0) sizes the sample by time instead: each producer / thread stops at the first batch
// boundary after S seconds (larson: S / rounds per round).
//
// Each thread times batches of 256 operations on the monotonic clock; the JSON record reports
// p50 and p99 of ns/op over all batches of all threads, the peak resident set, the resident set
// after everything is freed and every thread joined, and (hakmem only) its per-tier counters.
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/allocator_probe.h"
#include "harness/bench_util.h"
#include "harness/tiers.h"

namespace {

struct Options {
  std::string mode;
  uint64_t threads = 2, ops = 0, rounds = 20, slots = 0, min_size = 16, max_size = 1039;
  double seconds = 0;
  bool json = false;
  std::string expect;
};

// Default --ops per mode: a 2-thread sample of hakmem e3_safe lasts ~400-500 ms on the lab's
// quiet 2-core machines (more when they are shared); glibc takes longer on all three.
uint64_t DefaultOps(const std::string& mode) {
  if (mode == "prodcons") return 5000000;
  if (mode == "larson") return 18000000;
  return 6000000;  // churn
}

[[noreturn]] void Usage(const char* why) {
  if (why) fprintf(stderr, "bench_mt: %s\n", why);
  if (why) exit(2);
  fprintf(stdout,
          "usage: bench_mt prodcons|larson|churn [--threads N] [--ops N | --seconds S] [--rounds N]\n"
          "                [--slots N] [--min-size N] [--max-size N] [--json] [--expect ALLOCATOR]\n"
          "  --ops      per producer (prodcons) or per thread (larson, churn); default by mode:\n"
          "             prodcons 5000000, larson 18000000, churn 6000000\n"
          "  --seconds  > 0: size the sample by time instead of --ops\n"
          "  --slots    per thread: larson's own array (default 1024), churn's share of the\n"
          "             common array (default 4096)\n");
  exit(0);
}

uint64_t Num(const char* s, const char* what) {
  uint64_t v = 0;
  if (!lab::ParseU64(s, &v)) Usage((std::string("bad ") + what + ": " + s).c_str());
  return v;
}

size_t SizeOf(uint32_t r, const Options& o) {
  return o.min_size + r % (o.max_size - o.min_size + 1);
}

void* Alloc(size_t n, uint8_t tag) {
  void* p = malloc(n);
  if (p == nullptr) {
    fprintf(stderr, "bench_mt: malloc(%zu) failed\n", n);
    exit(3);
  }
  lab::TouchPages(p, n, tag);
  return p;
}

// What every worker thread gets: its batch histogram and the number of operations it did.
struct Worker {
  lab::BatchHistogram hist;
  uint64_t ops = 0;
};

// The run's deadline in CLOCK_MONOTONIC ns, or 0 (count ops instead).
uint64_t DeadlineNs(double seconds) {
  return seconds > 0 ? lab::NowNs() + uint64_t(seconds * 1e9) : 0;
}

// Single-producer single-consumer ring of pointers. nullptr is the end-of-stream marker.
struct Ring {
  static constexpr size_t kSize = 4096;
  alignas(64) std::atomic<uint64_t> head{0};
  alignas(64) std::atomic<uint64_t> tail{0};
  alignas(64) void* slots[kSize];
};

void ProdCons(const Options& o, std::vector<Worker>& w) {
  const uint64_t pairs = o.threads / 2;
  std::unique_ptr<Ring[]> rings(new Ring[pairs]);
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  const uint64_t deadline = DeadlineNs(o.seconds);
  auto push = [](Ring* ring, void* p) {
    const uint64_t h = ring->head.load(std::memory_order_relaxed);
    while (h - ring->tail.load(std::memory_order_acquire) >= Ring::kSize) std::this_thread::yield();
    ring->slots[h % Ring::kSize] = p;
    ring->head.store(h + 1, std::memory_order_release);
  };
  for (uint64_t i = 0; i < pairs; ++i) {
    Ring* ring = &rings[i];
    Worker* prod = &w[2 * i];
    Worker* cons = &w[2 * i + 1];
    ts.emplace_back([ring, prod, &o, i, deadline, push] {
      uint32_t s = uint32_t(0x9E3779B9u * (i + 1));
      lab::BatchTimer timer(&prod->hist);
      uint64_t k = 0;
      for (; deadline != 0 || k < o.ops; ++k) {
        const uint32_t r = lab::XorShift32(&s);
        push(ring, Alloc(SizeOf(r, o), 0xA5));
        if (timer.Tick(1) && deadline != 0 && timer.now_ns() >= deadline) {
          ++k;
          break;
        }
      }
      timer.Finish();
      push(ring, nullptr);
      prod->ops = k;
    });
    ts.emplace_back([ring, cons, &bad] {
      lab::BatchTimer timer(&cons->hist);
      uint64_t k = 0;
      for (;; ++k) {
        const uint64_t t = ring->tail.load(std::memory_order_relaxed);
        while (ring->head.load(std::memory_order_acquire) == t) std::this_thread::yield();
        void* p = ring->slots[t % Ring::kSize];
        ring->tail.store(t + 1, std::memory_order_release);
        if (p == nullptr) break;
        if (static_cast<uint8_t*>(p)[0] != 0xA5) bad.fetch_add(1);
        free(p);
        timer.Tick(1);
      }
      timer.Finish();
      cons->ops = k;
    });
  }
  for (auto& t : ts) t.join();
  if (bad.load() != 0) {
    fprintf(stderr, "bench_mt: %d blocks arrived corrupted\n", bad.load());
    exit(3);
  }
}

void Larson(const Options& o, std::vector<Worker>& w) {
  const uint64_t n = o.threads;
  std::vector<std::vector<void*>> arrays(n, std::vector<void*>(o.slots, nullptr));
  const uint64_t per_round = o.ops / o.rounds;
  for (uint64_t round = 0; round < o.rounds; ++round) {
    const uint64_t deadline = DeadlineNs(o.seconds / double(o.rounds));
    std::vector<std::thread> ts;
    for (uint64_t t = 0; t < n; ++t) {
      ts.emplace_back([&, t, round, deadline] {
        std::vector<void*>& a = arrays[(t + round) % n];  // rotates: another thread's blocks
        uint32_t s = uint32_t(0x85EBCA6Bu * (t + 1) + round);
        lab::BatchTimer timer(&w[t].hist);
        uint64_t k = 0;
        for (; deadline != 0 || k < per_round; ++k) {
          const uint32_t r = lab::XorShift32(&s);
          void*& slot = a[r % a.size()];
          free(slot);
          slot = Alloc(SizeOf(r >> 8, o), uint8_t(r));
          if (timer.Tick(2) && deadline != 0 && timer.now_ns() >= deadline) {
            ++k;
            break;
          }
        }
        timer.Finish();
        w[t].ops += 2 * k;
      });
    }
    for (auto& th : ts) th.join();
  }
  for (auto& a : arrays) {
    for (void* p : a) free(p);
  }
}

// A block's check byte: derived from its address, so the freeing thread can verify it without
// knowing who allocated it.
uint8_t TagOf(const void* p) { return uint8_t(reinterpret_cast<uintptr_t>(p) >> 4); }

void Churn(const Options& o, std::vector<Worker>& w) {
  const uint64_t n = o.threads;
  const uint64_t total = n * o.slots;
  std::unique_ptr<std::atomic<void*>[]> slots(new std::atomic<void*>[total]);
  for (uint64_t i = 0; i < total; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
  std::atomic<int> bad{0};
  const uint64_t deadline = DeadlineNs(o.seconds);
  std::vector<std::thread> ts;
  for (uint64_t t = 0; t < n; ++t) {
    ts.emplace_back([&, t] {
      uint32_t s = uint32_t(0xC2B2AE35u * (t + 1));
      lab::BatchTimer timer(&w[t].hist);
      uint64_t k = 0, frees = 0;
      for (; deadline != 0 || k < o.ops; ++k) {
        const uint32_t r = lab::XorShift32(&s);
        const uint64_t idx = (uint64_t(r) * total) >> 32;  // high bits pick the slot
        const size_t size = SizeOf(r, o);                  // low bits the size
        void* p = malloc(size);
        if (p == nullptr) {
          fprintf(stderr, "bench_mt: malloc(%zu) failed\n", size);
          exit(3);
        }
        lab::TouchPages(p, size, TagOf(p));
        void* old = slots[idx].exchange(p, std::memory_order_acq_rel);
        const bool freed = old != nullptr;
        if (freed) {
          if (static_cast<uint8_t*>(old)[0] != TagOf(old)) bad.fetch_add(1, std::memory_order_relaxed);
          free(old);
          ++frees;
        }
        if (timer.Tick(freed ? 2 : 1) && deadline != 0 && timer.now_ns() >= deadline) {
          ++k;
          break;
        }
      }
      timer.Finish();
      w[t].ops = k + frees;  // the first visit of a slot frees nothing
    });
  }
  for (auto& th : ts) th.join();
  for (uint64_t i = 0; i < total; ++i) free(slots[i].load(std::memory_order_relaxed));
  if (bad.load() != 0) {
    fprintf(stderr, "bench_mt: %d blocks were corrupted before their free\n", bad.load());
    exit(3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool ops_set = false, slots_set = false;
  if (argc < 2) Usage("which workload? prodcons, larson or churn");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) Usage((a + " needs a value").c_str());
      return argv[++i];
    };
    auto val = [&](const char* what) { return Num(next(), what); };
    if (a == "-h" || a == "--help") Usage(nullptr);
    else if (a == "prodcons" || a == "larson" || a == "churn") o.mode = a;
    else if (a == "--threads") o.threads = val("--threads");
    else if (a == "--ops") o.ops = val("--ops"), ops_set = true;
    else if (a == "--seconds") {
      const char* s = next();
      if (!lab::ParseSeconds(s, &o.seconds)) Usage((std::string("bad --seconds: ") + s).c_str());
    }
    else if (a == "--rounds") o.rounds = val("--rounds");
    else if (a == "--slots") o.slots = val("--slots"), slots_set = true;
    else if (a == "--min-size") o.min_size = val("--min-size");
    else if (a == "--max-size") o.max_size = val("--max-size");
    else if (a == "--json") o.json = true;
    else if (a == "--expect") o.expect = next();
    else Usage(("unknown argument " + a).c_str());
  }
  if (o.mode.empty()) Usage("which workload? prodcons, larson or churn");
  if (!ops_set) o.ops = DefaultOps(o.mode);
  if (!slots_set) o.slots = o.mode == "churn" ? 4096 : 1024;
  if (o.slots == 0) Usage("--slots must be at least 1");
  if (o.threads < 1 || o.threads > 256) Usage("--threads must be 1..256");
  if (o.mode == "prodcons" && o.threads % 2 != 0) Usage("prodcons needs an even --threads");
  if (o.min_size > o.max_size || o.min_size == 0) Usage("need 0 < min-size <= max-size");
  if (o.max_size > (uint64_t(1) << 30)) Usage("--max-size must be at most 1073741824");
  if (o.slots > (uint64_t(1) << 24)) Usage("--slots must be at most 16777216");
  if (o.seconds > 3600) Usage("--seconds must be at most 3600");
  if (o.rounds == 0 || (o.seconds == 0 && o.ops < o.rounds && o.mode == "larson")) {
    Usage("need rounds >= 1 and ops >= rounds");
  }
  if (o.seconds == 0 && o.ops == 0) Usage("need --ops >= 1 (or --seconds > 0)");

  const lab::ProbeResult probe = lab::ProbeAllocator();
  if (!o.expect.empty()) {
    const std::string why = lab::CheckAllocator(o.expect);
    if (!why.empty()) {
      fprintf(stderr, "bench_mt: refusing to measure: %s\n", why.c_str());
      return 4;
    }
  }
  uint64_t ops = 0, batches = 0;
  double secs = 0, p50 = 0, p99 = 0;
  {
    std::vector<Worker> workers(o.threads);  // histograms allocated before the clock starts
    const double t0 = lab::NowSeconds();
    if (o.mode == "prodcons") ProdCons(o, workers);
    else if (o.mode == "larson") Larson(o, workers);
    else Churn(o, workers);
    secs = lab::NowSeconds() - t0;
    lab::BatchHistogram all;
    for (const Worker& w : workers) {
      ops += w.ops;
      all.Merge(w.hist);
    }
    batches = all.total();
    p50 = all.QuantileNsPerOp(0.50);
    p99 = all.QuantileNsPerOp(0.99);
  }
  const long rss_after_free = lab::RssKb();  // every block freed, every thread joined
  const std::string tiers = lab::TiersJsonField();
  const double rate = secs > 0 ? double(ops) / secs : 0;
  printf("Throughput = %.0f ops/s [allocator=%s] [%s threads=%" PRIu64 " ops=%" PRIu64
         "] time=%.3fs p50=%.1fns/op p99=%.1fns/op\n",
         rate, probe.allocator.c_str(), o.mode.c_str(), o.threads, ops, secs, p50, p99);
  if (o.json) {
    printf("{\"workload\":\"mt_%s\",\"allocator\":\"%s\",%s,\"variant\":\"%s\",\"owns_malloc\":%s,"
           "\"threads\":%" PRIu64 ",\"ops\":%" PRIu64 ",\"seconds\":%.9f,\"ops_per_sec\":%.1f,"
           "\"batches\":%" PRIu64 ",\"p50_batch_ns_per_op\":%.3f,\"p99_batch_ns_per_op\":%.3f,"
           "\"peak_rss_kb\":%ld,\"rss_after_free_kb\":%ld%s,\"compiler\":\"gcc %s\"}\n",
           o.mode.c_str(), probe.allocator.c_str(), lab::ProbeJsonFields(probe).c_str(), probe.variant.c_str(),
           probe.owns_malloc ? "true" : "false", o.threads, ops, secs, rate, batches, p50, p99,
           lab::PeakRssKb(), rss_after_free, tiers.c_str(), __VERSION__);
  }
  return 0;
}
