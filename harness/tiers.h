// tiers.h — where hakmem holds its memory, for the benchmarks' JSON records.
// `hak_get_info` is resolved at run time (dlsym RTLD_DEFAULT, as the allocator probe does for
// hak_variant_string), so the same program links against every peer; for a peer the record
// simply has no "tiers" object.
#ifndef HAKMEM_HARNESS_TIERS_H_
#define HAKMEM_HARNESS_TIERS_H_

#include <dlfcn.h>

#include <cinttypes>
#include <cstdio>
#include <string>

#include "allocator/api.h"  // the hak_info layout only; nothing here links against hakmem

namespace lab {

// `,"tiers":{...}` with hakmem's per-tier counters now, or "" when hakmem does not serve this
// process. Append it to a JSON record before its closing brace.
inline std::string TiersJsonField() {
  using GetInfo = hak_info (*)(void);
  auto get = reinterpret_cast<GetInfo>(dlsym(RTLD_DEFAULT, "hak_get_info"));
  if (get == nullptr) return "";
  const hak_info i = get();
  char buf[512];
  snprintf(buf, sizeof(buf),
           ",\"tiers\":{\"live_superslabs\":%" PRIu64 ",\"cached_superslabs\":%" PRIu64
           ",\"slabs_in_use\":%" PRIu64 ",\"live_chunks\":%" PRIu64 ",\"chunk_cache_bytes\":%" PRIu64
           ",\"os_bytes_mapped\":%" PRIu64 ",\"pool_kept_bytes\":%" PRIu64 "}",
           i.live_superslabs, i.cached_superslabs, i.slabs_in_use, i.live_chunks, i.chunk_cache_bytes,
           i.os_bytes_mapped, i.pool_kept_bytes);
  return buf;
}

}  // namespace lab

#endif  // HAKMEM_HARNESS_TIERS_H_
