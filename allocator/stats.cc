#include "allocator/stats.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>

#include "allocator/api.h"

namespace hak {

const char* const kStatNames[kStatCount] = {
#define HAKMEM_STAT_NAME(name) #name,
    HAKMEM_STAT_LIST(HAKMEM_STAT_NAME)
#undef HAKMEM_STAT_NAME
};

#if HAKMEM_STATS
std::atomic<uint64_t> g_stats[kStatCount];
bool g_free_route_trace = [] {
  const char* v = getenv("HAKMEM_FREE_ROUTE_TRACE");
  return v != nullptr && v[0] == '1';
}();

void TraceFreeRoute(const char* route, const void* p) {
  char line[96];
  const int n = snprintf(line, sizeof line, "[FREE_ROUTE] %s ptr=%p\n", route, p);
  if (n > 0) (void)!write(2, line, size_t(n));
}
#endif

}  // namespace hak

namespace {
// A fixed buffer line: dumping must not allocate (it runs inside the allocator at exit).
struct Line {
  char buf[1024];
  size_t len = 0;
  __attribute__((format(printf, 2, 3))) void operator()(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf + len, sizeof buf - len, fmt, ap);
    va_end(ap);
    if (n > 0) len += size_t(n) < sizeof buf - len ? size_t(n) : sizeof buf - len - 1;
  }
};
}  // namespace

extern "C" HAK_EXPORT int hak_stats_enabled(void) { return HAKMEM_STATS; }

extern "C" HAK_EXPORT size_t hak_stats_snapshot(uint64_t* out, size_t n) {
  size_t i = 0;
#if HAKMEM_STATS
  for (; i < n && i < hak::kStatCount; ++i) out[i] = hak::g_stats[i].load(std::memory_order_relaxed);
#else
  (void)out;
  (void)n;
#endif
  return i;
}

extern "C" HAK_EXPORT const char* hak_stat_name(size_t i) {
  return i < hak::kStatCount ? hak::kStatNames[i] : nullptr;
}

// One "hakmem-stats {json}" line at exit when HAKMEM_STATS_DUMP is set: how the harness and the
// preload tests learn that this allocator really served the process, and how it routed.
// HAKMEM_STATS_DUMP=1 writes to stderr; any other value is a file path appended to (programs
// such as GNU sort close stderr before exit).
extern "C" HAK_EXPORT void hak_stats_dump(int fd) {
  Line line;
  auto& put = line;
  const hak_info info = hak_get_info();
  put("hakmem-stats {\"pid\":%d,\"stats_compiled\":%d,\"superslabs\":%llu,\"os_maps\":%llu,"
      "\"foreign_frees\":%llu",
      int(getpid()), HAKMEM_STATS, (unsigned long long)info.live_superslabs,
      (unsigned long long)info.os_maps, (unsigned long long)info.foreign_frees);
#if HAKMEM_STATS
  for (size_t i = 0; i < hak::kStatCount; ++i) {
    put(",\"%s\":%llu", hak::kStatNames[i],
        (unsigned long long)hak::g_stats[i].load(std::memory_order_relaxed));
  }
#endif
  put("}\n");
  (void)!write(fd, line.buf, line.len);
}

namespace {
__attribute__((destructor)) void DumpAtExit() {
  const char* v = getenv("HAKMEM_STATS_DUMP");
  if (v == nullptr || v[0] == '\0' || strcmp(v, "0") == 0) return;
  if (strcmp(v, "1") == 0) {
    hak_stats_dump(2);
    return;
  }
  const int fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    hak_stats_dump(fd);
    close(fd);
  }
}
}  // namespace
