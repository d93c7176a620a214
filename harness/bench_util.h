// bench_util.h — what every benchmark program shares: the xorshift32 generator of the seeds'
// workload, the monotonic clock, resident-set readings, writing the pages of a block, and the
// per-batch latency histogram of the multi-thread workloads.
#ifndef HAKMEM_HARNESS_BENCH_UTIL_H_
#define HAKMEM_HARNESS_BENCH_UTIL_H_

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace lab {

inline uint32_t XorShift32(uint32_t* s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

inline double NowSeconds() {  // CLOCK_MONOTONIC
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

inline uint64_t NowNs() {  // CLOCK_MONOTONIC, nanoseconds
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Writes `tag` into byte 0 of the block and into the first byte of every further 4096-byte page
// the block covers, so each page of the block is resident (what RSS should measure). A block of
// at most 4096 bytes gets its byte 0 written only, as the seeds' workload does.
inline void TouchPages(void* p, size_t n, uint8_t tag) {
  auto* b = static_cast<volatile uint8_t*>(p);
  b[0] = tag;
  if (n <= 4096) return;
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  for (uintptr_t a = (start + 4096) & ~uintptr_t(4095); a < start + n; a += 4096) {
    b[a - start] = tag;
  }
}

// Log-linear histogram of per-batch ns/op (fixed point, 1/256 ns): values below 256 exact,
// above them 128 sub-buckets per power of two (<= 0.8% error). One per thread, allocated
// before the measured region; Add never allocates.
class BatchHistogram {
 public:
  static constexpr uint64_t kScale = 256;  // fixed-point units per ns
  BatchHistogram() : counts_(kBuckets, 0) {}

  // One batch of `ops` operations that took `ns` nanoseconds.
  void Add(uint64_t ns, uint64_t ops) {
    if (ops == 0) return;
    ++counts_[Index(ns * kScale / ops)];
    ++total_;
  }
  uint64_t total() const { return total_; }
  void Merge(const BatchHistogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  // The q-quantile (0 < q <= 1) in ns/op: the smallest bucket holding the ceil(q*N)-th batch,
  // reported at its midpoint. 0 when empty.
  double QuantileNsPerOp(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = uint64_t(std::ceil(q * double(total_)));
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return Midpoint(i) / double(kScale);
    }
    return Midpoint(kBuckets - 1) / double(kScale);
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kMaxExp = 50;
  static constexpr size_t kLinear = size_t(1) << (kSubBits + 1);  // 256 exact values
  static constexpr size_t kBuckets = kLinear + size_t(kMaxExp - kSubBits) * (size_t(1) << kSubBits);

  static size_t Index(uint64_t v) {
    if (v < kLinear) return size_t(v);
    int e = 63 - __builtin_clzll(v);  // >= kSubBits + 1
    if (e > kMaxExp) return kBuckets - 1;
    const uint64_t sub = (v >> (e - kSubBits)) & ((uint64_t(1) << kSubBits) - 1);
    return kLinear + size_t(e - kSubBits - 1) * (size_t(1) << kSubBits) + size_t(sub);
  }
  static double Midpoint(size_t i) {
    if (i < kLinear) return double(i);
    const size_t k = i - kLinear;
    const int e = int(k >> kSubBits) + kSubBits + 1;
    const uint64_t sub = k & ((size_t(1) << kSubBits) - 1);
    const uint64_t width = uint64_t(1) << (e - kSubBits);
    const uint64_t lower = ((uint64_t(1) << kSubBits) + sub) * width;
    return double(lower) + double(width) / 2;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// Times batches of `kOps` operations of one thread into a histogram: call Tick(n) after each
// step of n operations; it returns true when a batch just ended (now_ns() is then fresh, so a
// caller can check a deadline there without reading the clock again). Finish() records the
// last partial batch only if the thread completed no full batch (tiny runs still report).
class BatchTimer {
 public:
  static constexpr uint64_t kOps = 256;
  explicit BatchTimer(BatchHistogram* h) : h_(h), t0_(NowNs()), now_(t0_) {}
  bool Tick(uint64_t n) {
    ops_ += n;
    if (ops_ < kOps) return false;
    now_ = NowNs();
    h_->Add(now_ - t0_, ops_);
    t0_ = now_;
    ops_ = 0;
    return true;
  }
  void Finish() {
    if (ops_ > 0 && h_->total() == 0) h_->Add(NowNs() - t0_, ops_);
    ops_ = 0;
  }
  uint64_t now_ns() const { return now_; }

 private:
  BatchHistogram* h_;
  uint64_t t0_, now_;
  uint64_t ops_ = 0;
};

// The largest resident set any RssKb() call has read in this process (PeakRssKb counts it).
inline long& ObservedRssKb() {
  static long max_kb = 0;
  return max_kb;
}

// Resident set now, in KiB (/proc/self/statm). Call it from one thread at a time.
inline long RssKb() {
  FILE* f = fopen("/proc/self/statm", "r");
  long total = 0, resident = 0;
  if (f != nullptr) {
    if (fscanf(f, "%ld %ld", &total, &resident) != 2) resident = 0;
    fclose(f);
  }
  const long kb = resident * (sysconf(_SC_PAGESIZE) / 1024);
  if (kb > ObservedRssKb()) ObservedRssKb() = kb;
  return kb;
}

// The process's peak resident set, in KiB: the largest of getrusage's ru_maxrss, VmHWM of
// /proc/self/status, and every resident set RssKb() read (now included). Recent kernels count
// RSS in per-CPU counters and update the high-water mark lazily, so ru_maxrss and VmHWM alone can
// read below a resident set /proc/self/statm reported earlier.
inline long PeakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  long peak = ru.ru_maxrss;
  if (FILE* f = fopen("/proc/self/status", "r")) {
    char line[256];
    long hwm = 0;
    while (fgets(line, sizeof(line), f) != nullptr) {
      if (sscanf(line, "VmHWM: %ld kB", &hwm) == 1) {
        if (hwm > peak) peak = hwm;
        break;
      }
    }
    fclose(f);
  }
  RssKb();
  return ObservedRssKb() > peak ? ObservedRssKb() : peak;
}

// A whole non-negative decimal number, or false (no sign, no trailing characters, no overflow).
inline bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-') return false;
  *out = v;
  return true;
}

// A finite non-negative decimal number, or false.
inline bool ParseSeconds(const char* s, double* out) {
  char* end = nullptr;
  errno = 0;
  const double v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !std::isfinite(v) || v < 0 || s[0] == '-') return false;
  *out = v;
  return true;
}

}  // namespace lab

#endif  // HAKMEM_HARNESS_BENCH_UTIL_H_
