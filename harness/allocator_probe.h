// allocator_probe.h — which allocator really serves malloc() in this process.
// A benchmark's numbers count only when the allocator it was asked to measure is the one that
// answered: a peer preload the loader ignored, or a link that did not take, must be caught.
//
// The probe resolves `malloc` as the process binds it (dlsym(RTLD_DEFAULT)), finds the loaded
// object that defines it (dladdr, checked against dl_iterate_phdr) and names that object:
//   - hakmem, mimalloc, jemalloc, tcmalloc: that object also exports the allocator's own API
//     (hak_variant_string, mi_is_in_heap_region, mallctl, MallocExtension_GetOwnership), which then
//     confirms it owns a fresh block. A hakmem linked into the executable makes the executable
//     itself the object that serves malloc.
//   - glibc: the object is glibc's own libc.so.6;
//   - anything else: "other:<soname>", or "other:<file name>" for an object without a soname.
#ifndef HAKMEM_HARNESS_ALLOCATOR_PROBE_H_
#define HAKMEM_HARNESS_ALLOCATOR_PROBE_H_

#include <string>

namespace lab {

struct ProbeResult {
  std::string allocator;  // "hakmem", "mimalloc", "jemalloc", "tcmalloc", "glibc" or "other:<soname>"
  std::string variant;    // hakmem only: its switch values (hak_variant_string)
  bool owns_malloc;       // that allocator's own API confirms it owns a fresh malloc() block
                          // (glibc, other: free() is served by the same object as malloc())
  std::string path{};     // the loaded object that serves malloc (absolute; the executable
                          // when the allocator is linked in); "" if none could be found
  std::string soname{};   // its DT_SONAME; "" when it has none
};

ProbeResult ProbeAllocator();

// "" when the active allocator is `want` (owning malloc), else a one-line reason.
// want: hakmem, system (= glibc), glibc, mimalloc, jemalloc, tcmalloc, or other:<soname>, which
// accepts exactly that library (`system` never accepts an other:...).
std::string CheckAllocator(const std::string& want);

// The probe's name for an unknown allocator: "other:<soname>", or "other:<basename of path>"
// when the object has no soname.
std::string OtherAllocatorName(const std::string& soname, const std::string& path);

// The DT_SONAME of a shared library file, read from the file (no loading): true and *soname set
// ("" when it has none), or false with a one-line *error (not an ELF file, another architecture,
// not a shared library, unreadable).
bool ReadElfSoname(const std::string& path, std::string* soname, std::string* error);

// `"allocator_path":"...","allocator_soname":"..."` (JSON-escaped) for a benchmark's record.
std::string ProbeJsonFields(const ProbeResult& r);

}  // namespace lab

#endif  // HAKMEM_HARNESS_ALLOCATOR_PROBE_H_
