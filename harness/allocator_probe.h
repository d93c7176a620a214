// allocator_probe.h — which allocator really serves malloc() in this process.
// A benchmark's numbers count only when the allocator it was asked to measure is the one that
// answered: a peer preload the loader ignored, or a link that did not take, must be caught.
#ifndef HAKMEM_HARNESS_ALLOCATOR_PROBE_H_
#define HAKMEM_HARNESS_ALLOCATOR_PROBE_H_

#include <string>

namespace lab {

struct ProbeResult {
  std::string allocator;  // "hakmem", "mimalloc", "jemalloc", "tcmalloc" or "glibc"
  std::string variant;    // hakmem only: its switch values (hak_variant_string)
  bool owns_malloc;       // that allocator's own API confirms it owns a fresh malloc() block
};

ProbeResult ProbeAllocator();

// "" when the active allocator is `want` (owning malloc), else a one-line reason.
std::string CheckAllocator(const std::string& want);

}  // namespace lab

#endif  // HAKMEM_HARNESS_ALLOCATOR_PROBE_H_
