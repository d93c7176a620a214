// mid_large.cc — layer 3: Mid/Large chunks from mmap, the Mid chunk cache, their counters and fork lock.
#include "allocator/mid_large.h"

#include <errno.h>
#include <pthread.h>

#include "allocator/os_pages.h"
#include "allocator/ownership_map.h"

namespace hak {
namespace {

// Mid chunks span 1..33 granules (2 MiB + header rounds up to 33). One LIFO list per size.
constexpr size_t kMidMaxGranules = (kMidMaxSize + kAllocHeaderSize + kGranule - 1) / kGranule;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
void* g_cache[kMidMaxGranules + 1];
size_t g_cached_bytes = 0;
uint64_t g_live_chunks = 0;

AllocHeader* HeaderOf(const void* p) {
  return reinterpret_cast<AllocHeader*>(const_cast<char*>(static_cast<const char*>(p)) -
                                        kAllocHeaderSize);
}
}  // namespace

void* ChunkAlloc(size_t n, bool* fresh) {
  if (n > (size_t{1} << 46)) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t bytes = (n + kAllocHeaderSize + kGranule - 1) & ~(kGranule - 1);
  const size_t granules = bytes / kGranule;
  const bool large = n > kMidMaxSize;
  void* chunk = nullptr;
  if (!large) {
    pthread_mutex_lock(&g_lock);
    chunk = g_cache[granules];
    if (chunk != nullptr) {
      g_cache[granules] = *static_cast<void**>(chunk);
      g_cached_bytes -= bytes;
    }
    if (chunk != nullptr) ++g_live_chunks;
    pthread_mutex_unlock(&g_lock);
  }
  *fresh = chunk == nullptr;
  if (chunk == nullptr) {
    chunk = OsMapAligned(bytes, kGranule);
    if (chunk == nullptr) return nullptr;
    if (!OwnershipSet(reinterpret_cast<uintptr_t>(chunk), bytes, kChunkTag)) {
      OwnershipSet(reinterpret_cast<uintptr_t>(chunk), bytes, 0);
      OsUnmap(chunk, bytes);
      errno = ENOMEM;
      return nullptr;
    }
    pthread_mutex_lock(&g_lock);
    ++g_live_chunks;
    pthread_mutex_unlock(&g_lock);
  }
  auto* h = static_cast<AllocHeader*>(chunk);
  h->chunk_bytes = bytes;
  h->magic = kChunkMagic;
  h->is_large = large;
  h->tag = kChunkTag;
  return static_cast<char*>(chunk) + kAllocHeaderSize;
}

bool ChunkHeaderValid(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & (kGranule - 1)) != kAllocHeaderSize) return false;  // user pointer = chunk + 16
  const AllocHeader* h = HeaderOf(p);
  return h->tag == kChunkTag && h->magic == kChunkMagic && h->chunk_bytes != 0 &&
         (h->chunk_bytes & (kGranule - 1)) == 0;
}

size_t ChunkUsable(const void* p) { return HeaderOf(p)->chunk_bytes - kAllocHeaderSize; }

void ChunkFree(void* p) {
  AllocHeader* h = HeaderOf(p);
  const size_t bytes = h->chunk_bytes;
  const size_t granules = bytes / kGranule;
  h->magic = 0;  // a second free of the same pointer fails ChunkHeaderValid
  pthread_mutex_lock(&g_lock);
  --g_live_chunks;
  if (!h->is_large && granules <= kMidMaxGranules && g_cached_bytes + bytes <= kMidCacheMaxBytes) {
    *reinterpret_cast<void**>(h) = g_cache[granules];
    g_cache[granules] = h;
    g_cached_bytes += bytes;
    pthread_mutex_unlock(&g_lock);
    return;
  }
  pthread_mutex_unlock(&g_lock);
  OwnershipSet(reinterpret_cast<uintptr_t>(h), bytes, 0);
  OsUnmap(h, bytes);
}

ChunkCounters ChunkGetCounters() {
  pthread_mutex_lock(&g_lock);
  ChunkCounters c{g_cached_bytes, g_live_chunks};
  pthread_mutex_unlock(&g_lock);
  return c;
}
void ChunkLockForFork() { pthread_mutex_lock(&g_lock); }
void ChunkUnlockAfterFork(bool child) {
  if (child) pthread_mutex_init(&g_lock, nullptr); else pthread_mutex_unlock(&g_lock);
}

}  // namespace hak
