// aligned.cc — layer 4: aligned allocations above 16 (over-allocate, AlignHeader before the pointer).
#include "allocator/aligned.h"

#include <errno.h>

#include "allocator/front_gate.h"
#include "allocator/ownership_map.h"

namespace hak {

void* AlignedAlloc(size_t alignment, size_t n) {
  // Room for the header and the worst-case shift: base + 16 rounded up to the alignment.
  if (n > SIZE_MAX - alignment - sizeof(AlignHeader)) {
    errno = ENOMEM;
    return nullptr;
  }
  void* base = MallocFast(n + alignment + sizeof(AlignHeader));
  if (base == nullptr) return nullptr;
  const uintptr_t b = reinterpret_cast<uintptr_t>(base);
  const uintptr_t a = (b + sizeof(AlignHeader) + alignment - 1) & ~(uintptr_t(alignment) - 1);
  auto* h = reinterpret_cast<AlignHeader*>(a - sizeof(AlignHeader));
  h->base = base;
  h->magic = kAlignMagic;
  h->tag = kAlignTag;
  return reinterpret_cast<void*>(a);
}

void* AlignedBase(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & 15) != 0) return nullptr;
  // The whole header lies inside the base block, which is ours: check before reading it.
  if (OwnershipGetRacy(a - sizeof(AlignHeader)) == 0) return nullptr;
  const auto* h = reinterpret_cast<const AlignHeader*>(a - sizeof(AlignHeader));
  const uintptr_t b = reinterpret_cast<uintptr_t>(h->base);
  if (h->tag != kAlignTag || h->magic != kAlignMagic || b >= a || OwnershipGetRacy(b) == 0) return nullptr;
  return h->base;
}

void* AlignedRelease(void* p) {
  auto* h = reinterpret_cast<AlignHeader*>(reinterpret_cast<uintptr_t>(p) - sizeof(AlignHeader));
  h->magic = 0;
  return h->base;
}

}  // namespace hak
