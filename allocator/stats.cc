// stats.cc — layer 0: the route counters and the per-free route trace (stats=on); names always.
#include "allocator/stats.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

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
