// bench_mem — workloads that make memory regressions visible (resident set, not speed).
//
//   bench_mem liveset [--mib N] [--rounds N] [--json] [--expect A]
//     Each round allocates a live set of N MiB (default 64) in mixed sizes — by bytes 40% tiny
//     (16..1024), 40% medium (1..32 KiB), 20% large (64 KiB..1 MiB, a few blocks) — in random
//     order, writes every page of every block, then frees everything in another random order
//     and reads the resident set. Several rounds (default 3) so caches that never give memory
//     back show up as RSS that stays or grows.
//   bench_mem prodcons_long [--threads N] [--ops N | --seconds S] [--live-min N] [--live-max N]
//                           [--period N] [--json] [--expect A]
//     N/2 producer/consumer pairs (default 2 threads). Each producer allocates `ops` blocks
//     (mostly 16..1039 bytes, 1 in 16 of 1..16 KiB) and hands them to its consumer, which frees
//     them. The blocks in flight (the live set) stay between 7/8 of a limit and the limit; the
//     limit drifts between --live-min and --live-max blocks (default 1024..16384) and back every
//     --period blocks (default 1048576).
//   bench_mem thread_churn [--threads N] [--concurrent N] [--blocks N] [--json] [--expect A]
//     Creates N short-lived threads (default 200), C at a time (default 2). Each allocates
//     `blocks` blocks (default 4096, sizes as prodcons_long), frees every other one, hands the
//     rest to the main thread and exits; main frees them while the next threads run.
//   bench_mem large_churn [--cycles N] [--live N] [--min-kb N] [--max-kb N] [--json] [--expect A]
//     A small live set of big blocks: `live` slots (default 8); each cycle picks a slot (xorshift),
//     frees its block if it has one and allocates a new one there, its size log-uniform in
//     min-kb..max-kb KiB (default 256..8192, so Mid and Large chunks), every page written. Then
//     everything is freed. ops = mallocs + frees (default 4000 cycles).
//   bench_mem realloc_grow [--rounds N] [--max-kb N] [--steps N] [--json] [--expect A]
//     Each round mallocs max/steps bytes and grows the block with realloc in `steps` equal steps
//     up to max-kb KiB (default 1024 KiB, 64 steps), writing every new page and checking that the
//     first and last byte of the old size survived every move, then frees it. ops = mallocs +
//     reallocs + frees (default 1000 rounds).
//
// Every mode writes one byte in every page of every block (lab::TouchPages). The JSON record
// (--json) has workload, allocator, variant, owns_malloc, the mode's parameters, ops (mallocs +
// frees), seconds, ops_per_sec, peak_rss_kb, rss_after_free_kb (everything freed, every thread
// joined) and, when hakmem serves malloc, "tiers" (hak_get_info after the free). The harness's
// own arrays are mapped with mmap, so they cost every allocator the same.
// Mode fields: liveset mib, rounds, blocks (per round), requested_kb (bytes asked for per round),
// live_rss_kb (largest RSS with a live set allocated), rss_after_free_rounds_kb (after each
// round's frees, the harness's arrays still mapped: 16 B per block); prodcons_long threads,
// live_min, live_max, period, max_live_blocks; thread_churn threads, concurrent, blocks,
// rss_mid_kb (after half of the threads have come and gone); large_churn cycles, live, min_kb,
// max_kb, requested_kb (bytes asked for in total); realloc_grow rounds, max_kb, steps.
// Exit: 0 ok, 2 bad arguments (one line), 3 allocation failure, 4 wrong allocator (--expect).
#include <sys/mman.h>

#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness/allocator_probe.h"
#include "harness/bench_util.h"
#include "harness/tiers.h"

namespace {

struct Options {
  std::string mode;
  uint64_t mib = 64, rounds = 3;                                         // liveset
  uint64_t threads = 0, ops = 6000000;                                   // prodcons_long (+threads)
  uint64_t live_min = 1024, live_max = 16384, period = uint64_t(1) << 20;
  double seconds = 0;
  uint64_t concurrent = 2, blocks = 4096;                                // thread_churn (+threads)
  uint64_t cycles = 4000, live = 8, min_kb = 256, max_kb = 0;            // large_churn (+max_kb)
  uint64_t steps = 64;                                                   // realloc_grow (+rounds, max_kb)
  bool json = false;
  std::string expect;
};

[[noreturn]] void Usage(const char* why) {
  if (why) {
    fprintf(stderr, "bench_mem: %s\n", why);
    exit(2);
  }
  fprintf(stdout,
          "usage: bench_mem liveset [--mib N] [--rounds N] [--json] [--expect ALLOCATOR]\n"
          "       bench_mem prodcons_long [--threads N] [--ops N | --seconds S] [--live-min N]\n"
          "                 [--live-max N] [--period N] [--json] [--expect ALLOCATOR]\n"
          "       bench_mem thread_churn [--threads N] [--concurrent N] [--blocks N] [--json]\n"
          "                 [--expect ALLOCATOR]\n"
          "       bench_mem large_churn [--cycles N] [--live N] [--min-kb N] [--max-kb N] [--json]\n"
          "                 [--expect ALLOCATOR]\n"
          "       bench_mem realloc_grow [--rounds N] [--max-kb N] [--steps N] [--json]\n"
          "                 [--expect ALLOCATOR]\n"
          "  defaults: --mib 64 --rounds 3; prodcons_long --threads 2 --ops 6000000 (per producer)\n"
          "  --live-min 1024 --live-max 16384 --period 1048576 (blocks); thread_churn --threads 200\n"
          "  --concurrent 2 --blocks 4096; large_churn --cycles 4000 --live 8 --min-kb 256 --max-kb 8192;\n"
          "  realloc_grow --rounds 1000 --max-kb 1024 --steps 64\n");
  exit(0);
}

[[noreturn]] void OutOfMemory(size_t n) {
  fprintf(stderr, "bench_mem: malloc(%zu) failed\n", n);
  exit(3);
}

void* Alloc(size_t n, uint8_t tag) {
  void* p = malloc(n);
  if (p == nullptr) OutOfMemory(n);
  lab::TouchPages(p, n, tag);
  return p;
}

// An array the harness needs, mapped from the OS so it neither comes from nor disturbs the
// allocator under test. Zero-filled.
template <typename T>
class MappedArray {
 public:
  explicit MappedArray(size_t n) : n_(n), bytes_(n * sizeof(T) == 0 ? 1 : n * sizeof(T)) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      fprintf(stderr, "bench_mem: cannot map %zu bytes for the harness\n", bytes_);
      exit(3);
    }
    p_ = static_cast<T*>(p);
  }
  ~MappedArray() { munmap(p_, bytes_); }
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  T& operator[](size_t i) { return p_[i]; }
  size_t size() const { return n_; }

 private:
  size_t n_, bytes_;
  T* p_;
};

uint32_t Uniform(uint32_t* s, uint32_t lo, uint32_t hi) {  // lo..hi inclusive
  return lo + uint32_t((uint64_t(lab::XorShift32(s)) * (uint64_t(hi) - lo + 1)) >> 32);
}

// prodcons_long and thread_churn: 15 in 16 blocks of 16..1039 bytes, 1 in 16 of 1 KiB..16 KiB.
size_t MixedSize(uint32_t r) {
  if ((r & 15) != 0) return 16 + ((r >> 4) % 1024);
  return 1024 + ((r >> 4) % (15 * 1024 + 1));
}

template <typename T>
void Shuffle(MappedArray<T>& a, size_t n, uint32_t* s) {  // Fisher-Yates
  for (size_t i = n; i > 1; --i) {
    const size_t j = size_t((uint64_t(lab::XorShift32(s)) * i) >> 32);
    const T t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

struct Result {
  uint64_t ops = 0;
  double seconds = 0;
  std::string extra;  // mode-specific JSON fields, each with a leading comma
};

// ---- liveset ----

Result Liveset(const Options& o) {
  const uint64_t budget = o.mib << 20;
  // The sizes of one live set: each tier draws until its share of the budget is full.
  struct Tier {
    uint32_t lo, hi;
    uint64_t share_pct;
  };
  const Tier tiers[] = {{16, 1024, 40}, {1025, 32768, 40}, {65536, 1048576, 20}};
  uint32_t s = 1234567;
  size_t n = 0;
  uint64_t requested = 0;
  // Upper bound on the count: every block at its tier's minimum size.
  size_t cap = 0;
  for (const Tier& t : tiers) cap += size_t(budget * t.share_pct / 100 / t.lo) + 1;
  MappedArray<uint32_t> sizes(cap);
  for (const Tier& t : tiers) {
    const uint64_t want = budget * t.share_pct / 100;
    uint64_t got = 0;
    for (;;) {
      const uint32_t sz = Uniform(&s, t.lo, t.hi);
      if (got + sz > want) break;
      sizes[n++] = sz;
      got += sz;
    }
    requested += got;
  }
  MappedArray<void*> ptrs(n);
  MappedArray<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = uint32_t(i);

  std::string rounds_json;
  long live_rss = 0, after = 0;
  double secs = 0;
  for (uint64_t round = 0; round < o.rounds; ++round) {
    Shuffle(sizes, n, &s);  // a new allocation order every round
    Shuffle(order, n, &s);  // and a new free order
    const double t0 = lab::NowSeconds();
    for (size_t i = 0; i < n; ++i) ptrs[i] = Alloc(sizes[i], uint8_t(i));
    const double t1 = lab::NowSeconds();
    const long live = lab::RssKb();
    if (live > live_rss) live_rss = live;
    const double t2 = lab::NowSeconds();
    for (size_t i = 0; i < n; ++i) free(ptrs[order[i]]);
    const double t3 = lab::NowSeconds();
    after = lab::RssKb();
    secs += (t1 - t0) + (t3 - t2);
    rounds_json += (round == 0 ? "" : ",") + std::to_string(after);
  }
  Result r;
  r.ops = 2 * uint64_t(n) * o.rounds;
  r.seconds = secs;
  char buf[256];
  snprintf(buf, sizeof(buf),
           ",\"mib\":%" PRIu64 ",\"rounds\":%" PRIu64 ",\"blocks\":%zu,\"requested_kb\":%" PRIu64
           ",\"live_rss_kb\":%ld",
           o.mib, o.rounds, n, requested / 1024, live_rss);
  r.extra = std::string(buf) + ",\"rss_after_free_rounds_kb\":[" + rounds_json + "]";
  return r;
}

// ---- prodcons_long ----

struct Pair {
  alignas(64) std::atomic<uint64_t> head{0};
  alignas(64) std::atomic<uint64_t> tail{0};
  alignas(64) std::atomic<uint64_t> limit{0};  // the live set's current bound (producer writes)
  alignas(64) std::atomic<bool> done{false};
  uint64_t produced = 0, consumed = 0, max_live = 0;
};

// The drifting bound after `k` blocks: a triangle from live_min up to live_max and back down
// every `period` blocks.
uint64_t LimitAt(const Options& o, uint64_t k) {
  const uint64_t half = o.period / 2 == 0 ? 1 : o.period / 2;
  const uint64_t ph = k % (2 * half);
  const uint64_t up = ph < half ? ph : 2 * half - ph;
  return o.live_min + (o.live_max - o.live_min) * up / half;
}

Result ProdConsLong(const Options& o) {
  const uint64_t pairs = o.threads / 2;
  uint64_t ring_size = 1;
  while (ring_size < o.live_max + 1) ring_size <<= 1;
  MappedArray<void*> rings(pairs * ring_size);
  std::vector<Pair> ps(pairs);
  std::atomic<int> bad{0};
  const uint64_t deadline = o.seconds > 0 ? lab::NowNs() + uint64_t(o.seconds * 1e9) : 0;
  std::vector<std::thread> ts;
  const double t0 = lab::NowSeconds();
  for (uint64_t i = 0; i < pairs; ++i) {
    Pair* pr = &ps[i];
    void** ring = &rings[i * ring_size];
    pr->limit.store(LimitAt(o, 0), std::memory_order_relaxed);
    ts.emplace_back([pr, ring, ring_size, &o, i, deadline] {
      uint32_t s = uint32_t(0x9E3779B9u * (i + 1));
      uint64_t limit = LimitAt(o, 0), h = 0;
      for (; deadline != 0 || h < o.ops; ++h) {
        if ((h & 255) == 0) {
          if (h != 0 && deadline != 0 && lab::NowNs() >= deadline) break;
          limit = LimitAt(o, h);
          pr->limit.store(limit, std::memory_order_relaxed);
        }
        const uint32_t r = lab::XorShift32(&s);
        void* p = Alloc(MixedSize(r), 0x5A);
        while (h - pr->tail.load(std::memory_order_acquire) >= limit) std::this_thread::yield();
        ring[h & (ring_size - 1)] = p;
        pr->head.store(h + 1, std::memory_order_release);
      }
      pr->produced = h;
      pr->done.store(true, std::memory_order_release);
    });
    ts.emplace_back([pr, ring, ring_size, &bad] {
      uint64_t t = 0, max_live = 0;
      for (;;) {
        uint64_t h = pr->head.load(std::memory_order_acquire);
        // Keep at least 7/8 of the limit in flight until the producer is done.
        for (;;) {
          const uint64_t limit = pr->limit.load(std::memory_order_relaxed);
          const uint64_t low = limit - limit / 8 - 1;
          if (h - t > low) break;
          if (pr->done.load(std::memory_order_acquire)) {
            h = pr->head.load(std::memory_order_acquire);
            break;
          }
          std::this_thread::yield();
          h = pr->head.load(std::memory_order_acquire);
        }
        if (h == t) {
          if (pr->done.load(std::memory_order_acquire) && pr->head.load(std::memory_order_acquire) == t) break;
          continue;
        }
        if (h - t > max_live) max_live = h - t;
        void* p = ring[t & (ring_size - 1)];
        pr->tail.store(t + 1, std::memory_order_release);
        ++t;
        if (static_cast<uint8_t*>(p)[0] != 0x5A) bad.fetch_add(1, std::memory_order_relaxed);
        free(p);
      }
      pr->consumed = t;
      pr->max_live = max_live;
    });
  }
  for (auto& th : ts) th.join();
  Result r;
  r.seconds = lab::NowSeconds() - t0;
  if (bad.load() != 0) {
    fprintf(stderr, "bench_mem: %d blocks arrived corrupted\n", bad.load());
    exit(3);
  }
  uint64_t max_live = 0;
  for (const Pair& pr : ps) {
    r.ops += pr.produced + pr.consumed;
    if (pr.max_live > max_live) max_live = pr.max_live;
  }
  char buf[256];
  snprintf(buf, sizeof(buf),
           ",\"threads\":%" PRIu64 ",\"live_min\":%" PRIu64 ",\"live_max\":%" PRIu64
           ",\"period\":%" PRIu64 ",\"max_live_blocks\":%" PRIu64,
           o.threads, o.live_min, o.live_max, o.period, max_live);
  r.extra = buf;
  return r;
}

// ---- thread_churn ----

Result ThreadChurn(const Options& o) {
  const uint64_t keep = o.blocks / 2;  // blocks each thread hands to main
  const uint64_t waves = (o.threads + o.concurrent - 1) / o.concurrent;
  // Two sets of hand-over slots: main frees one wave's blocks while the next wave fills the other.
  MappedArray<void*> handed(2 * o.concurrent * keep + 1);
  MappedArray<void*> scratch(o.concurrent * o.blocks);  // each running thread's own blocks
  long rss_mid = 0;
  const double t0 = lab::NowSeconds();
  uint64_t started = 0, prev_count = 0;
  for (uint64_t w = 0; w < waves; ++w) {
    void** set = &handed[(w % 2) * o.concurrent * keep];
    const uint64_t count = o.threads - started < o.concurrent ? o.threads - started : o.concurrent;
    std::vector<std::thread> ts;
    for (uint64_t c = 0; c < count; ++c) {
      void** out = set + c * keep;
      void** mine = &scratch[c * o.blocks];
      const uint64_t id = started + c;
      ts.emplace_back([out, mine, id, &o] {
        uint32_t s = uint32_t(0x27D4EB2Fu * (id + 1));
        for (uint64_t k = 0; k < o.blocks; ++k) mine[k] = Alloc(MixedSize(lab::XorShift32(&s)), 0x3C);
        void** to_main = out;
        for (uint64_t k = 0; k < o.blocks; ++k) {
          if (k % 2 == 0) {
            free(mine[k]);  // the even half: freed by the thread that allocated it
          } else {
            *to_main++ = mine[k];  // the odd half (blocks / 2): handed to main
          }
        }
      });
    }
    // Meanwhile: free what the previous wave handed over (its threads have exited).
    if (w > 0) {
      void** prev = &handed[((w - 1) % 2) * o.concurrent * keep];
      for (uint64_t k = 0; k < prev_count * keep; ++k) free(prev[k]);
    }
    for (auto& th : ts) th.join();
    started += count;
    prev_count = count;
    if (w == waves / 2) rss_mid = lab::RssKb();
  }
  void** last = &handed[((waves - 1) % 2) * o.concurrent * keep];
  for (uint64_t k = 0; k < prev_count * keep; ++k) free(last[k]);
  Result r;
  r.seconds = lab::NowSeconds() - t0;
  r.ops = 2 * o.threads * o.blocks;
  char buf[256];
  snprintf(buf, sizeof(buf),
           ",\"threads\":%" PRIu64 ",\"concurrent\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"rss_mid_kb\":%ld",
           o.threads, o.concurrent, o.blocks, rss_mid);
  r.extra = buf;
  return r;
}

// ---- large_churn ----

Result LargeChurn(const Options& o) {
  MappedArray<void*> slots(o.live);
  MappedArray<size_t> sizes(o.live);
  uint32_t s = 0x2545F491u;
  const double lo = double(o.min_kb) * 1024, ratio = double(o.max_kb) / double(o.min_kb);
  uint64_t ops = 0, requested = 0;
  const double t0 = lab::NowSeconds();
  for (uint64_t c = 0; c < o.cycles; ++c) {
    const uint64_t i = lab::XorShift32(&s) % o.live;
    if (slots[i] != nullptr) {
      if (static_cast<uint8_t*>(slots[i])[sizes[i] - 1] != uint8_t(i)) {
        fprintf(stderr, "bench_mem: a large block lost its contents\n");
        exit(3);
      }
      free(slots[i]);
      ++ops;
    }
    // log-uniform in [min, max]: a uniform exponent of the size ratio
    const double u = double(lab::XorShift32(&s)) / 4294967296.0;
    size_t n = size_t(lo * std::pow(ratio, u));
    if (n < o.min_kb * 1024) n = o.min_kb * 1024;
    slots[i] = Alloc(n, uint8_t(i));
    static_cast<uint8_t*>(slots[i])[n - 1] = uint8_t(i);
    sizes[i] = n;
    requested += n;
    ++ops;
  }
  for (uint64_t i = 0; i < o.live; ++i) {
    if (slots[i] != nullptr) {
      free(slots[i]);
      ++ops;
    }
  }
  Result r;
  r.seconds = lab::NowSeconds() - t0;
  r.ops = ops;
  char buf[256];
  snprintf(buf, sizeof(buf),
           ",\"cycles\":%" PRIu64 ",\"live\":%" PRIu64 ",\"min_kb\":%" PRIu64 ",\"max_kb\":%" PRIu64
           ",\"requested_kb\":%" PRIu64,
           o.cycles, o.live, o.min_kb, o.max_kb, requested / 1024);
  r.extra = buf;
  return r;
}

// ---- realloc_grow ----

Result ReallocGrow(const Options& o) {
  const size_t max = size_t(o.max_kb) * 1024, step = max / o.steps;
  uint64_t ops = 0;
  const double t0 = lab::NowSeconds();
  for (uint64_t round = 0; round < o.rounds; ++round) {
    const uint8_t tag = uint8_t(round * 7 + 1);
    size_t n = step;
    uint8_t* p = static_cast<uint8_t*>(Alloc(n, tag));
    p[n - 1] = tag;
    ++ops;
    while (n < max) {
      const size_t m = n + step > max ? max : n + step;
      auto* q = static_cast<uint8_t*>(realloc(p, m));
      if (q == nullptr) OutOfMemory(m);
      if (q[0] != tag || q[n - 1] != tag) {
        fprintf(stderr, "bench_mem: realloc(%zu -> %zu) lost the block's contents\n", n, m);
        exit(3);
      }
      lab::TouchPages(q + n, m - n, tag);  // the new part, one byte a page
      q[m - 1] = tag;
      p = q;
      n = m;
      ++ops;
    }
    free(p);
    ++ops;
  }
  Result r;
  r.seconds = lab::NowSeconds() - t0;
  r.ops = ops;
  char buf[256];
  snprintf(buf, sizeof(buf), ",\"rounds\":%" PRIu64 ",\"max_kb\":%" PRIu64 ",\"steps\":%" PRIu64,
           o.rounds, o.max_kb, o.steps);
  r.extra = buf;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) Usage("which workload? liveset, prodcons_long, thread_churn, large_churn or realloc_grow");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") Usage(nullptr);
  }
  // Which options each mode takes: any other is refused, never silently ignored.
  struct Opt {
    const char* name;
    const char* modes;
    uint64_t* dst;
  };
  const Opt opts[] = {
      {"--mib", "liveset", &o.mib},
      {"--rounds", "liveset realloc_grow", &o.rounds},
      {"--threads", "prodcons_long thread_churn", &o.threads},
      {"--ops", "prodcons_long", &o.ops},
      {"--live-min", "prodcons_long", &o.live_min},
      {"--live-max", "prodcons_long", &o.live_max},
      {"--period", "prodcons_long", &o.period},
      {"--concurrent", "thread_churn", &o.concurrent},
      {"--blocks", "thread_churn", &o.blocks},
      {"--cycles", "large_churn", &o.cycles},
      {"--live", "large_churn", &o.live},
      {"--min-kb", "large_churn", &o.min_kb},
      {"--max-kb", "large_churn realloc_grow", &o.max_kb},
      {"--steps", "realloc_grow", &o.steps},
  };
  std::vector<std::string> given;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) Usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "liveset" || a == "prodcons_long" || a == "thread_churn" || a == "large_churn" ||
        a == "realloc_grow") {
      if (!o.mode.empty()) Usage(("two workloads: " + o.mode + " and " + a).c_str());
      o.mode = a;
      continue;
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--expect") {
      o.expect = next();
      continue;
    }
    if (a == "--seconds") {
      const char* v = next();
      if (!lab::ParseSeconds(v, &o.seconds)) Usage(("bad --seconds: " + std::string(v)).c_str());
      given.push_back(a);
      continue;
    }
    const Opt* opt = nullptr;
    for (const Opt& x : opts) {
      if (a == x.name) opt = &x;
    }
    if (opt == nullptr) Usage(("unknown argument " + a).c_str());
    const char* v = next();
    if (!lab::ParseU64(v, opt->dst)) Usage(("bad " + a + ": " + v).c_str());
    given.push_back(a);
  }
  if (o.mode.empty()) Usage("which workload? liveset, prodcons_long, thread_churn, large_churn or realloc_grow");
  for (const std::string& g : given) {
    const char* modes = g == "--seconds" ? "prodcons_long" : nullptr;
    for (const Opt& x : opts) {
      if (g == x.name) modes = x.modes;
    }
    const std::string m = std::string(" ") + modes + " ";
    if (m.find(" " + o.mode + " ") == std::string::npos) {
      Usage((g + " does not apply to " + o.mode + " (only " + modes + ")").c_str());
    }
  }
  bool threads_given = false;
  for (const std::string& g : given) threads_given |= g == "--threads";
  if (!threads_given) o.threads = o.mode == "thread_churn" ? 200 : 2;
  bool rounds_given = false, max_given = false;
  for (const std::string& g : given) rounds_given |= g == "--rounds", max_given |= g == "--max-kb";
  if (!rounds_given && o.mode == "realloc_grow") o.rounds = 1000;
  if (!max_given) o.max_kb = o.mode == "large_churn" ? 8192 : 1024;
  if (o.mode == "liveset") {
    if (o.mib < 1 || o.mib > 65536) Usage("--mib must be 1..65536");
    if (o.rounds < 1 || o.rounds > 1000) Usage("--rounds must be 1..1000");
  } else if (o.mode == "prodcons_long") {
    if (o.threads < 2 || o.threads > 256 || o.threads % 2 != 0) Usage("--threads must be even, 2..256");
    if (o.seconds == 0 && o.ops == 0) Usage("need --ops >= 1 (or --seconds > 0)");
    if (o.seconds > 3600) Usage("--seconds must be at most 3600");
    if (o.live_min < 8 || o.live_min > o.live_max || o.live_max > (uint64_t(1) << 24)) {
      Usage("need 8 <= --live-min <= --live-max <= 16777216");
    }
    if (o.period < 2) Usage("--period must be at least 2");
  } else if (o.mode == "large_churn") {
    if (o.cycles < 1 || o.cycles > (uint64_t(1) << 32)) Usage("--cycles must be 1..4294967296");
    if (o.live < 1 || o.live > 4096) Usage("--live must be 1..4096");
    if (o.min_kb < 1 || o.min_kb > o.max_kb || o.max_kb > (uint64_t(1) << 20)) {
      Usage("need 1 <= --min-kb <= --max-kb <= 1048576");
    }
  } else if (o.mode == "realloc_grow") {
    if (o.rounds < 1 || o.rounds > 10000000) Usage("--rounds must be 1..10000000");
    if (o.max_kb < 1 || o.max_kb > (uint64_t(1) << 22)) Usage("--max-kb must be 1..4194304");
    if (o.steps < 1 || o.steps > o.max_kb * 1024) Usage("--steps must be 1..max-kb*1024");
  } else {
    if (o.threads < 1 || o.threads > 100000) Usage("--threads must be 1..100000");
    if (o.concurrent < 1 || o.concurrent > 256) Usage("--concurrent must be 1..256");
    if (o.blocks < 2 || o.blocks > (uint64_t(1) << 22)) Usage("--blocks must be 2..4194304");
  }

  const lab::ProbeResult probe = lab::ProbeAllocator();
  if (!o.expect.empty()) {
    const std::string why = lab::CheckAllocator(o.expect);
    if (!why.empty()) {
      fprintf(stderr, "bench_mem: refusing to measure: %s\n", why.c_str());
      return 4;
    }
  }
  const Result r = o.mode == "liveset"         ? Liveset(o)
                   : o.mode == "prodcons_long" ? ProdConsLong(o)
                   : o.mode == "large_churn"   ? LargeChurn(o)
                   : o.mode == "realloc_grow"  ? ReallocGrow(o)
                                               : ThreadChurn(o);
  const long rss_after_free = lab::RssKb();  // every block freed, every thread joined
  const std::string tiers = lab::TiersJsonField();
  const double rate = r.seconds > 0 ? double(r.ops) / r.seconds : 0;
  printf("Throughput = %.0f ops/s [allocator=%s] [%s ops=%" PRIu64 "] time=%.3fs peak_rss=%ldKB "
         "rss_after_free=%ldKB\n",
         rate, probe.allocator.c_str(), o.mode.c_str(), r.ops, r.seconds, lab::PeakRssKb(), rss_after_free);
  if (o.json) {
    printf("{\"workload\":\"mem_%s\",\"allocator\":\"%s\",%s,\"variant\":\"%s\",\"owns_malloc\":%s%s,"
           "\"ops\":%" PRIu64 ",\"seconds\":%.9f,\"ops_per_sec\":%.1f,\"peak_rss_kb\":%ld,"
           "\"rss_after_free_kb\":%ld%s,\"compiler\":\"gcc %s\"}\n",
           o.mode.c_str(), probe.allocator.c_str(), lab::ProbeJsonFields(probe).c_str(),
           probe.variant.c_str(), probe.owns_malloc ? "true" : "false", r.extra.c_str(), r.ops,
           r.seconds, rate, lab::PeakRssKb(), rss_after_free, tiers.c_str(), __VERSION__);
  }
  return 0;
}
