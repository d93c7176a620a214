// override.cc — layer 6: the process-wide malloc replacement (glibc "Replacing malloc": malloc,
// free, calloc, realloc plus every other entry point glibc exports, and the __libc_* names),
// and C++ operator new/delete. Linked into //allocator:hakmem (direct link) and
// //allocator:libhakmem.so (LD_PRELOAD).
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include <new>

#include "allocator/api.h"
#include "allocator/front_gate.h"

using hak::FreeFast;
using hak::MallocFast;

#if HAKMEM_WRAPPER_GUARDS == HAKMEM_WRAPPER_FULL
// The 2025-11-09 wrapper: every call checks initialisation, an LD_PRELOAD/force-libc mode and a
// per-thread recursion depth before reaching the allocator, and keeps the depth counted around
// it (so the allocator call is no longer a tail call).
namespace {
using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
int g_wrapper_initialized = 0;
int g_force_libc = 0;        // HAKMEM_FORCE_LIBC=1: route everything to glibc
int g_ld_preload_mode = 0;   // LD_PRELOAD names this library
MallocFn g_libc_malloc = nullptr;
FreeFn g_libc_free = nullptr;
__thread int t_wrapper_depth __attribute__((tls_model("initial-exec")));

__attribute__((noinline, cold)) void WrapperInit() {
  ++t_wrapper_depth;  // dlsym and getenv may allocate: keep them off our own path
  const char* force = getenv("HAKMEM_FORCE_LIBC");
  g_force_libc = force != nullptr && force[0] == '1';
  g_ld_preload_mode = getenv("LD_PRELOAD") != nullptr;
  g_libc_malloc = reinterpret_cast<MallocFn>(dlsym(RTLD_NEXT, "malloc"));
  g_libc_free = reinterpret_cast<FreeFn>(dlsym(RTLD_NEXT, "free"));
  --t_wrapper_depth;
  __atomic_store_n(&g_wrapper_initialized, 1, __ATOMIC_RELEASE);
}

inline bool UseLibc() {
  return (g_force_libc || (g_ld_preload_mode && t_wrapper_depth > 0)) && g_libc_malloc != nullptr;
}
}  // namespace

#define HAK_WRAP_MALLOC(n)                                           \
  do {                                                               \
    if (HAK_UNLIKELY(!__atomic_load_n(&g_wrapper_initialized,        \
                                      __ATOMIC_ACQUIRE))) {          \
      if (t_wrapper_depth > 0) return hak_malloc(n);                 \
      WrapperInit();                                                 \
    }                                                                \
    if (HAK_UNLIKELY(UseLibc())) return g_libc_malloc(n);            \
    ++t_wrapper_depth;                                               \
    void* p_ = MallocFast(n);                                        \
    --t_wrapper_depth;                                               \
    if (HAK_UNLIKELY(p_ == nullptr)) errno = ENOMEM;                 \
    return p_;                                                       \
  } while (0)
#define HAK_WRAP_FREE(p)                                             \
  do {                                                               \
    if (HAK_UNLIKELY(!__atomic_load_n(&g_wrapper_initialized,        \
                                      __ATOMIC_ACQUIRE)))            \
      WrapperInit();                                                 \
    ++t_wrapper_depth;                                               \
    const int saved_ = errno;                                        \
    FreeFast(p);                                                     \
    errno = saved_;                                                  \
    --t_wrapper_depth;                                               \
  } while (0)
#else
// Minimal wrapper: malloc and free are the fast paths themselves. errno is the slow paths'
// business (MallocSlow sets ENOMEM, FreeSlow preserves errno), so these stay tail calls.
#define HAK_WRAP_MALLOC(n) return MallocFast(n)
#define HAK_WRAP_FREE(p) FreeFast(p)
#endif

extern "C" {

HAK_EXPORT void* malloc(size_t n) noexcept { HAK_WRAP_MALLOC(n); }
HAK_EXPORT void free(void* p) noexcept { HAK_WRAP_FREE(p); }
HAK_EXPORT void* calloc(size_t count, size_t size) noexcept { return hak_calloc(count, size); }
HAK_EXPORT void* realloc(void* p, size_t n) noexcept { return hak_realloc(p, n); }
HAK_EXPORT void* reallocarray(void* p, size_t count, size_t size) noexcept {
  return hak_reallocarray(p, count, size);
}
HAK_EXPORT int posix_memalign(void** out, size_t alignment, size_t n) noexcept {
  return hak_posix_memalign(out, alignment, n);
}
HAK_EXPORT void* aligned_alloc(size_t alignment, size_t n) noexcept {
  return hak_aligned_alloc(alignment, n);
}
HAK_EXPORT void* memalign(size_t alignment, size_t n) noexcept { return hak_memalign(alignment, n); }
HAK_EXPORT void* valloc(size_t n) noexcept { return hak_valloc(n); }
HAK_EXPORT void* pvalloc(size_t n) noexcept { return hak_pvalloc(n); }
HAK_EXPORT size_t malloc_usable_size(void* p) noexcept { return hak_malloc_usable_size(p); }
HAK_EXPORT void cfree(void* p) noexcept { free(p); }

// glibc's internal names, which some programs and libraries call directly.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-attributes"
HAK_EXPORT void* __libc_malloc(size_t n) __attribute__((alias("malloc")));
HAK_EXPORT void __libc_free(void* p) __attribute__((alias("free")));
HAK_EXPORT void* __libc_calloc(size_t c, size_t s) __attribute__((alias("calloc")));
HAK_EXPORT void* __libc_realloc(void* p, size_t n) __attribute__((alias("realloc")));
HAK_EXPORT void* __libc_memalign(size_t a, size_t n) __attribute__((alias("memalign")));
HAK_EXPORT void* __libc_valloc(size_t n) __attribute__((alias("valloc")));
HAK_EXPORT void* __libc_pvalloc(size_t n) __attribute__((alias("pvalloc")));
#pragma GCC diagnostic pop

}  // extern "C"

// ---- C++ operators ----
namespace {
// new_handler loop of [new.delete.single]: retry while a handler can make memory available.
__attribute__((noinline, cold)) void* NewSlow(size_t n, size_t alignment, bool nothrow) {
  for (;;) {
    void* p = alignment != 0 ? hak_memalign(alignment, n) : hak_malloc(n);
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) {
      if (nothrow) return nullptr;
      throw std::bad_alloc();
    }
    if (nothrow) {
      try {
        handler();
      } catch (...) {
        return nullptr;
      }
    } else {
      handler();
    }
  }
}
inline void* NewFast(size_t n) {
  void* p = MallocFast(n);
  return HAK_LIKELY(p != nullptr) ? p : NewSlow(n, 0, false);
}
}  // namespace

HAK_EXPORT void* operator new(size_t n) { return NewFast(n); }
HAK_EXPORT void* operator new[](size_t n) { return NewFast(n); }
HAK_EXPORT void* operator new(size_t n, const std::nothrow_t&) noexcept {
  void* p = MallocFast(n);
  return p != nullptr ? p : NewSlow(n, 0, true);
}
HAK_EXPORT void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  void* p = MallocFast(n);
  return p != nullptr ? p : NewSlow(n, 0, true);
}
HAK_EXPORT void* operator new(size_t n, std::align_val_t a) { return NewSlow(n, size_t(a), false); }
HAK_EXPORT void* operator new[](size_t n, std::align_val_t a) { return NewSlow(n, size_t(a), false); }
HAK_EXPORT void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return NewSlow(n, size_t(a), true);
}
HAK_EXPORT void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return NewSlow(n, size_t(a), true);
}
HAK_EXPORT void operator delete(void* p) noexcept { FreeFast(p); }
HAK_EXPORT void operator delete[](void* p) noexcept { FreeFast(p); }
HAK_EXPORT void operator delete(void* p, size_t) noexcept { FreeFast(p); }
HAK_EXPORT void operator delete[](void* p, size_t) noexcept { FreeFast(p); }
HAK_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { FreeFast(p); }
HAK_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { FreeFast(p); }
HAK_EXPORT void operator delete(void* p, std::align_val_t) noexcept { hak_free(p); }
HAK_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { hak_free(p); }
HAK_EXPORT void operator delete(void* p, size_t, std::align_val_t) noexcept { hak_free(p); }
HAK_EXPORT void operator delete[](void* p, size_t, std::align_val_t) noexcept { hak_free(p); }
HAK_EXPORT void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  hak_free(p);
}
