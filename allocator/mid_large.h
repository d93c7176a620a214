// mid_large.h — layer 3: requests above the pool tier. Each block is a chunk of whole 64 KiB
// granules from mmap, with a 16-byte AllocHeader before the user pointer (whose last byte is
// kChunkTag). Mid (<= 2 MiB) chunks are kept in a bounded cache for reuse; Large chunks go
// straight back to the OS with munmap.
#ifndef HAKMEM_ALLOCATOR_MID_LARGE_H_
#define HAKMEM_ALLOCATOR_MID_LARGE_H_

#include <cstddef>
#include <cstdint>

#include "allocator/size_classes.h"

namespace hak {

struct AllocHeader {
  uint64_t chunk_bytes;  // whole chunk, header included, a multiple of 64 KiB
  uint32_t magic;
  uint8_t reserved[2];
  uint8_t is_large;
  uint8_t tag;  // kChunkTag: the byte at ptr-1
};
static_assert(sizeof(AllocHeader) == kAllocHeaderSize, "AllocHeader is 16 bytes");
inline constexpr uint32_t kChunkMagic = 0x4d494443;  // "CDIM"

// n > kPoolMaxSize. *fresh is set when the memory comes zeroed from the OS.
void* ChunkAlloc(size_t n, bool* fresh);
// p must carry a valid AllocHeader (see ChunkHeaderValid).
void ChunkFree(void* p);
bool ChunkHeaderValid(const void* p);
size_t ChunkUsable(const void* p);

inline constexpr size_t kMidCacheMaxBytes = size_t{32} << 20;
struct ChunkCounters {
  uint64_t cached_bytes, live_chunks;
};
ChunkCounters ChunkGetCounters();
void ChunkLockForFork();
void ChunkUnlockAfterFork(bool child);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_MID_LARGE_H_
