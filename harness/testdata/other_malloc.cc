// libother_malloc.so — an allocator the lab does not know, for the probe's tests: malloc, free,
// calloc and realloc forward to the next definition (glibc's) through dlsym(RTLD_NEXT). Preloaded,
// it is what serves malloc, so the probe must call it other:libother_malloc.so, never glibc.
// dlsym may itself allocate (calloc) before the forwarders are known: those few requests come
// from a small static buffer and are never given back.
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

namespace {
using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);

MallocFn g_malloc = nullptr;
FreeFn g_free = nullptr;
CallocFn g_calloc = nullptr;
ReallocFn g_realloc = nullptr;
bool g_in_init = false;

// Bootstrap blocks: a size_t header, 16-byte aligned payloads.
alignas(16) unsigned char g_boot[16384];
size_t g_boot_used = 0;

bool InBoot(const void* p) {
  return static_cast<const unsigned char*>(p) >= g_boot && static_cast<const unsigned char*>(p) < g_boot + sizeof(g_boot);
}

void* BootAlloc(size_t n) {
  const size_t need = 16 + ((n + 15) & ~size_t(15));
  if (n > sizeof(g_boot) || g_boot_used + need > sizeof(g_boot)) return nullptr;
  unsigned char* block = g_boot + g_boot_used;
  g_boot_used += need;
  memcpy(block, &n, sizeof(n));
  return block + 16;  // zeroed: static storage never reused
}

size_t BootSize(const void* p) {
  size_t n = 0;
  memcpy(&n, static_cast<const unsigned char*>(p) - 16, sizeof(n));
  return n;
}

bool Init() {
  if (g_malloc != nullptr) return true;
  if (g_in_init) return false;
  g_in_init = true;
  g_malloc = reinterpret_cast<MallocFn>(dlsym(RTLD_NEXT, "malloc"));
  g_free = reinterpret_cast<FreeFn>(dlsym(RTLD_NEXT, "free"));
  g_calloc = reinterpret_cast<CallocFn>(dlsym(RTLD_NEXT, "calloc"));
  g_realloc = reinterpret_cast<ReallocFn>(dlsym(RTLD_NEXT, "realloc"));
  g_in_init = false;
  return g_malloc != nullptr && g_free != nullptr && g_calloc != nullptr && g_realloc != nullptr;
}

__attribute__((constructor)) void InitAtLoad() { Init(); }
}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* malloc(size_t n) noexcept {
  return Init() ? g_malloc(n) : BootAlloc(n);
}

__attribute__((visibility("default"))) void free(void* p) noexcept {
  if (p == nullptr || InBoot(p)) return;
  if (Init()) g_free(p);
}

__attribute__((visibility("default"))) void* calloc(size_t count, size_t size) noexcept {
  if (Init()) return g_calloc(count, size);
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  return BootAlloc(count * size);
}

__attribute__((visibility("default"))) void* realloc(void* p, size_t n) noexcept {
  if (p != nullptr && InBoot(p)) {
    void* q = malloc(n);
    const size_t old = BootSize(p);
    if (q != nullptr) memcpy(q, p, old < n ? old : n);
    return q;
  }
  return Init() ? g_realloc(p, n) : BootAlloc(n);
}

}  // extern "C"
