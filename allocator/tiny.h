// tiny.h — layer 0: Tiny, the core of HAKMEM: request size -> class, the block layout (header
// byte before each block, block-start test), the free-list link encoding, and carving fresh
// slots. Everything here is inline and touches only memory it is given; the thread cache
// (thread_cache.h) and the slabs (superslab.h) build on it.
//
// Layout: slot i of a tiny slab of class c starts at slab + 16 + i * (8 << c), and its header
// byte (kTinyTag | c) is the LAST byte of slot i-1 (slot 0's header sits in the 16 bytes before
// it). So user pointers stay 16-aligned and usable = block - 1; the header is written once, when
// the slot is carved. Slots whose user pointer would be page-aligned are skipped, so a header is
// never on the page before its block. (Phase 7's headerless C7, c7_header=false: offset 0,
// usable = block.) The class table itself, shared with the pool tier, is in size_classes.h.
#ifndef HAKMEM_ALLOCATOR_TINY_H_
#define HAKMEM_ALLOCATOR_TINY_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocator/config.h"
#include "allocator/size_classes.h"

namespace hak {

// Tiny class by n >> 3: class boundaries fall on multiples of 8, so one byte-table load
// (129 entries) maps any n <= kTinyMaxSize. Built from kClasses, so it follows c7_header.
struct TinyClassTable {
  uint8_t by_eighth[129];
};
constexpr TinyClassTable MakeTinyClassTable() {
  TinyClassTable t{};
  for (int i = 0; i <= 128; ++i) {
    size_t top = size_t(i) * 8 + 7;
    if (top > kTinyMaxSize) top = kTinyMaxSize;
    int c = 0;
    while (c < kNumTinyClasses - 1 && kClasses[c].usable < top) ++c;
    t.by_eighth[i] = uint8_t(c);
  }
  return t;
}
inline constexpr TinyClassTable kTinyClassTable = MakeTinyClassTable();

// Tiny class of a request; requires n <= kTinyMaxSize.
HAK_FAST_PATH int TinyClassOf(size_t n) { return kTinyClassTable.by_eighth[n >> 3]; }

// Is `a`, an address in a tiny slab of class c (slabs are 64 KiB aligned), a block start? Tiny
// strides are powers of two, so this is a mask test. The free fast paths use it to refuse
// interior pointers; SlabIsBlockStart is the general (pool too) and bounded slow-path form.
// The masks (kClasses' stride - 1) are one table: one load in the test, where computing
// (8 << c) - 1 took four more instructions per free (a shift by cl needs c moved to ecx and a
// copy of it).
struct TinyStrideMasks {
  uint32_t of[kNumTinyClasses];
};
constexpr TinyStrideMasks MakeTinyStrideMasks() {
  TinyStrideMasks m{};
  for (int c = 0; c < kNumTinyClasses; ++c) m.of[c] = uint32_t(kClasses[c].stride - 1);
  return m;
}
inline constexpr TinyStrideMasks kTinyStrideMasks = MakeTinyStrideMasks();
HAK_FAST_PATH bool TinyIsBlockStart(uintptr_t a, uint32_t c) {
  if constexpr (kC7Header) {
    // Every tiny class: offset 16, stride 8 << c (checked below). The low 32 bits are enough:
    // the largest stride is 1 KiB.
    return ((uint32_t(a) - 16) & kTinyStrideMasks.of[c]) == 0;
  } else {
    return ((a - kClasses[c].user_offset) & (kClasses[c].stride - 1)) == 0;  // headerless C7
  }
}
constexpr bool TinyLayoutIsUniform() {
  for (int c = 0; c < kNumTinyClasses; ++c) {
    if (kClasses[c].user_offset != 16 || kClasses[c].stride != (8u << c)) return false;
  }
  return true;
}
static_assert(!kC7Header || TinyLayoutIsUniform(), "TinyIsBlockStart assumes offset 16 and stride 8 << c");

// ---- Free-list links (the TLS lists, slab free lists, remote stacks) ----
// A link lives in the block at the user pointer. The link's top byte carries the class's
// header byte: for C0 (8-byte slots, 7 usable) that byte is the next block's header, which a
// plain 8-byte pointer would overwrite with 0. User addresses are < 2^56, so nothing is lost.
inline constexpr uintptr_t kLinkAddrMask = (uintptr_t{1} << 56) - 1;
HAK_FAST_PATH void* LinkNext(void* block) {
  return reinterpret_cast<void*>(*static_cast<uintptr_t*>(block) & kLinkAddrMask);
}
HAK_FAST_PATH void LinkSet(void* block, void* next, uint8_t header) {
  *static_cast<uintptr_t*>(block) = reinterpret_cast<uintptr_t>(next) | (uintptr_t{header} << 56);
}

// ---- Carving: fresh slots of a slab, slot `*carved` onwards ----
// Appends up to `want - got` fresh slots of class ci (slot k at start + k * stride, `capacity`
// slots in all) to the chain head..tail, writing each header byte once; advances `carved` (read
// by freeing threads, hence atomic) past every slot it looks at, skipped ones included. Returns
// the new chain length. Inlined into the refill path (SlabTake), never called per block.
// (start and capacity by reference: the slab's own fields, so the inlined loop is the code that
// was written inside SlabTake.)
HAK_FAST_PATH uint32_t CarveSlots(const ClassInfo& ci, const uintptr_t& start, const uint32_t& capacity,
                                  std::atomic<uint32_t>& carved_index, uint32_t got, uint32_t want,
                                  void*& head, void*& tail) {
  uint32_t carved = carved_index.load(std::memory_order_relaxed);
  while (got < want && carved < capacity) {
    const uintptr_t p = start + uintptr_t(carved) * ci.stride;
    carved_index.store(++carved, std::memory_order_relaxed);
    if (ci.has_header) {
      if ((p & (kPageSize - 1)) == 0) continue;  // its header would be on the previous page
      reinterpret_cast<uint8_t*>(p)[-1] = ci.header;
    }
    void* b = reinterpret_cast<void*>(p);
    if (tail != nullptr) LinkSet(tail, b, ci.header); else head = b;
    tail = b;
    ++got;
  }
  return got;
}

}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_TINY_H_
