#include "harness/allocator_probe.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>

namespace lab {
namespace {
template <typename Fn>
Fn Sym(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}
}  // namespace

ProbeResult ProbeAllocator() {
  ProbeResult r{"glibc", "", false};
  void* volatile p = malloc(100);
  if (auto variant = Sym<const char* (*)()>("hak_variant_string")) {
    r.allocator = "hakmem";
    r.variant = variant();
    auto usable = Sym<size_t (*)(const void*)>("hak_malloc_usable_size");
    // Our usable size of a block we did not allocate is 0 (the ownership map says "not ours").
    r.owns_malloc = usable != nullptr && usable(p) >= 100;
  } else if (auto in_heap = Sym<bool (*)(const void*)>("mi_is_in_heap_region")) {
    r.allocator = "mimalloc";
    r.owns_malloc = in_heap(p);
  } else if (auto mallctl = Sym<int (*)(const char*, void*, size_t*, void*, size_t)>("mallctl")) {
    r.allocator = "jemalloc";
    // thread.allocated grows by what this thread allocates through jemalloc.
    uint64_t before = 0, after = 0;
    size_t len = sizeof(before);
    if (mallctl("thread.allocated", &before, &len, nullptr, 0) == 0) {
      void* volatile q = malloc(4096);
      mallctl("thread.allocated", &after, &len, nullptr, 0);
      free(q);
      r.owns_malloc = after >= before + 4096;
    }
  } else if (auto owner = Sym<int (*)(const void*)>("MallocExtension_GetOwnership")) {
    r.allocator = "tcmalloc";
    r.owns_malloc = owner(p) == 1;  // MallocExtension_kOwned
  } else {
    // glibc: nothing else is interposed, and malloc is libc's own symbol.
    void* libc_malloc = dlsym(RTLD_NEXT, "malloc");
    r.owns_malloc = libc_malloc == nullptr || libc_malloc == Sym<void*>("malloc");
  }
  free(p);
  return r;
}

std::string CheckAllocator(const std::string& want) {
  const ProbeResult r = ProbeAllocator();
  const std::string w = want == "system" ? "glibc" : want;
  if (r.allocator != w) return "asked for " + want + " but malloc is served by " + r.allocator;
  if (!r.owns_malloc) return r.allocator + " is loaded but does not own a fresh malloc() block";
  return "";
}

}  // namespace lab
