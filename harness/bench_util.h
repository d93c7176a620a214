// bench_util.h — what every benchmark program shares: the xorshift32 generator of the seeds'
// workload, the monotonic clock, and resident-set readings.
#ifndef HAKMEM_HARNESS_BENCH_UTIL_H_
#define HAKMEM_HARNESS_BENCH_UTIL_H_

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

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

// Resident set now, in KiB (/proc/self/statm).
inline long RssKb() {
  FILE* f = fopen("/proc/self/statm", "r");
  long total = 0, resident = 0;
  if (f != nullptr) {
    if (fscanf(f, "%ld %ld", &total, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// The process's peak resident set, in KiB (getrusage).
inline long PeakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
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

}  // namespace lab

#endif  // HAKMEM_HARNESS_BENCH_UTIL_H_
