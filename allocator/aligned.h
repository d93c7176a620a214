// aligned.h — layer 4: alignments above 16. The block is over-allocated and the returned
// pointer is an interior one, preceded by a 16-byte AlignHeader whose last byte is kAlignTag,
// so free() and malloc_usable_size() find the real block.
#ifndef HAKMEM_ALLOCATOR_ALIGNED_H_
#define HAKMEM_ALLOCATOR_ALIGNED_H_

#include <cstddef>
#include <cstdint>

namespace hak {

struct AlignHeader {
  void* base;      // the block the aligned pointer lives in
  uint32_t magic;  // kAlignMagic while live; cleared on free (a second free is refused)
  uint8_t reserved[3];
  uint8_t tag;  // kAlignTag: the byte at ptr-1
};
static_assert(sizeof(AlignHeader) == 16, "AlignHeader is 16 bytes");
inline constexpr uint32_t kAlignMagic = 0x414c4e47;  // "GNLA"

// alignment: a power of two > 16. nullptr with errno ENOMEM on failure.
void* AlignedAlloc(size_t alignment, size_t n);
// The base block of a live aligned pointer, or nullptr when p carries no valid AlignHeader.
void* AlignedBase(const void* p);
// Invalidates p's AlignHeader and returns its base block (to be freed).
void* AlignedRelease(void* p);

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_ALIGNED_H_
