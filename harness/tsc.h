// tsc.h — ordered reads of the time-stamp counter for the fast-path and stage probes (Intel's
// recommendation): nothing before the start read is still in flight, nothing after the stop read
// starts early. TSC ticks are constant-rate reference cycles, not core cycles.
#ifndef HAKMEM_HARNESS_TSC_H_
#define HAKMEM_HARNESS_TSC_H_

#include <x86intrin.h>

#include <cstdint>

namespace lab {

inline uint64_t TscStart() {
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

inline uint64_t TscStop() {
  unsigned aux;
  const uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}

}  // namespace lab

#endif  // HAKMEM_HARNESS_TSC_H_
