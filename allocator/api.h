/* api.h — layer 5: the allocator's direct API. Tests and the harness call hak_*; override.cc
 * maps malloc/free/... onto the same functions. Usable from C and C++. */
#ifndef HAKMEM_ALLOCATOR_API_H_
#define HAKMEM_ALLOCATOR_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API is exported even though the allocator is built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

void* hak_malloc(size_t n);
void hak_free(void* p);
void* hak_calloc(size_t count, size_t size);
void* hak_realloc(void* p, size_t n);
void* hak_reallocarray(void* p, size_t count, size_t size);
int hak_posix_memalign(void** out, size_t alignment, size_t n);
void* hak_aligned_alloc(size_t alignment, size_t n);
void* hak_memalign(size_t alignment, size_t n);
void* hak_valloc(size_t n);
void* hak_pvalloc(size_t n);
size_t hak_malloc_usable_size(const void* p);

/* Returns the calling thread's cached blocks to their slabs and its cached Mid chunks
   (mid_thread_cache=on) to the shared lists (tests, RSS measurements). */
void hak_flush_thread_cache(void);

/* Always-on counters (kept off every fast path). */
typedef struct hak_info {
  uint64_t live_superslabs, cached_superslabs, slabs_in_use;
  uint64_t live_chunks, chunk_cache_bytes;
  uint64_t os_maps, os_unmaps, os_failed_maps, os_bytes_mapped;
  uint64_t foreign_frees, invalid_frees;
  uint64_t pool_kept_bytes; /* free pool slabs whose pages stay resident for the next slab taken */
} hak_info;
hak_info hak_get_info(void);

/* Route counters: compiled in only with stats=on (hak_stats_enabled() says which). */
int hak_stats_enabled(void);
size_t hak_stats_snapshot(uint64_t* out, size_t n);
const char* hak_stat_name(size_t i);
void hak_stats_dump(int fd);

/* The build's variant: switch values as "name=value,..." (e.g. "c7_header=1,..."). */
const char* hak_variant_string(void);

/* Test hook: the next n OS mappings fail with ENOMEM. */
void hak_test_fail_next_mappings(int n);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* HAKMEM_ALLOCATOR_API_H_ */
