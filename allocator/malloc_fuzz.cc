// malloc_fuzz.cc — test of layer 5: a libFuzzer target: the input is a program of malloc / calloc / realloc /
// free / memalign / usable-size operations on 32 slots, run against the hak_* API and checked
// against a model after every step:
//   - every block meets its alignment (16 for n >= 16, 8 below, the requested one for memalign);
//   - malloc_usable_size(p) >= n, and the usable bytes are writable;
//   - no two live blocks overlap (a map of [start, start + usable));
//   - a block's contents survive until it is freed, and realloc keeps the common prefix;
//   - calloc returns zeroes; posix_memalign rejects a bad alignment with EINVAL.
// A violated check aborts with a message (libFuzzer saves the input as a crash).
//
// Built two ways: by `allocator/fuzz.sh` with clang -fsanitize=fuzzer (the fuzzing run), and by
// Bazel with malloc_fuzz_main.cc as //allocator:malloc_fuzz_test, which replays the checked-in
// corpus (allocator/fuzz_corpus/) and a fixed set of generated inputs under every config.
#include <errno.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>

#include "allocator/api.h"

namespace {

[[noreturn]] void Fail(const char* what, size_t slot, size_t n, const void* p) {
  fprintf(stderr, "malloc_fuzz: %s (slot %zu, size %zu, pointer %p)\n", what, slot, n, p);
  abort();
}

struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u16() { return uint32_t(u8()) | uint32_t(u8()) << 8; }
};

constexpr size_t kEdges[] = {0,    1,     7,      8,      15,          16,          17,
                             1023, 1024,  1025,   2048,   53248,       53249,       65536,
                             2 << 20, (2 << 20) + 1, 4 << 20};

// Sizes spread over every tier: tiny most often, then pool, mid, large and the edges.
size_t ReadSize(Reader& r) {
  const uint8_t sel = r.u8() % 16;
  if (sel < 8) return r.u16() % 1100;
  if (sel < 12) return 1024 + r.u16() % 60000;
  if (sel < 14) return (size_t(r.u16()) << 5) % (size_t{2} << 20) + 53248;
  if (sel < 15) return (size_t{2} << 20) + size_t(r.u16()) * 64;
  return kEdges[r.u8() % std::size(kEdges)];
}

struct Slot {
  unsigned char* p = nullptr;
  size_t n = 0;
  uint8_t seed = 0;
};

Slot g_slots[32];
std::map<uintptr_t, uintptr_t> g_live;  // start -> end of each live block's usable bytes
uint8_t g_gen = 0;

// Large blocks: check and fill the first and last 4 KiB only (the middle is never touched by
// the allocator's metadata, and full fills would make each run slow).
template <typename F>
void ForEachChecked(size_t n, F f) {
  if (n <= 16384) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  for (size_t i = 0; i < 4096; ++i) f(i);
  for (size_t i = n - 4096; i < n; ++i) f(i);
}

// Was byte i of an n-byte block written by Fill?
bool Filled(size_t n, size_t i) { return n <= 16384 || i < 4096 || i >= n - 4096; }

uint8_t Pattern(uint8_t seed, size_t i) { return uint8_t(seed + i * 131 + (i >> 8)); }

void CheckContents(size_t slot) {
  const Slot& s = g_slots[slot];
  ForEachChecked(s.n, [&](size_t i) {
    if (s.p[i] != Pattern(s.seed, i)) Fail("block contents changed while it was live", slot, s.n, s.p);
  });
}

void Fill(size_t slot) {
  Slot& s = g_slots[slot];
  ForEachChecked(s.n, [&](size_t i) { s.p[i] = Pattern(s.seed, i); });
}

void Track(size_t slot, unsigned char* p, size_t n, size_t alignment) {
  if (p == nullptr) Fail("allocation failed", slot, n, p);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const size_t want = alignment > 16 ? alignment : (n >= 16 ? 16 : 8);
  if (a % want != 0) Fail("misaligned block", slot, n, p);
  const size_t usable = hak_malloc_usable_size(p);
  if (usable < n) Fail("malloc_usable_size below the request", slot, n, p);
  const uintptr_t end = a + (usable == 0 ? 1 : usable);
  auto next = g_live.lower_bound(a);
  if (next != g_live.end() && next->first < end) Fail("block overlaps a live block", slot, n, p);
  if (next != g_live.begin() && std::prev(next)->second > a) Fail("block overlaps a live block", slot, n, p);
  g_live[a] = end;
  // The usable bytes beyond the request are ours too: writing them must not hurt a neighbour.
  if (usable > n && usable - n <= 4096) memset(p + n, 0xEE, usable - n);
  g_slots[slot] = Slot{p, n, uint8_t(g_gen++ * 37 + slot)};
  Fill(slot);
}

void Release(size_t slot) {
  Slot& s = g_slots[slot];
  if (s.p == nullptr) return;
  CheckContents(slot);
  g_live.erase(reinterpret_cast<uintptr_t>(s.p));
  hak_free(s.p);
  s = Slot{};
}

void Step(Reader& r) {
  const uint8_t op = r.u8() % 9;
  const size_t slot = r.u8() % std::size(g_slots);
  switch (op) {
    case 0:
    case 1: {
      Release(slot);
      const size_t n = ReadSize(r);
      Track(slot, static_cast<unsigned char*>(hak_malloc(n)), n, 0);
      break;
    }
    case 2: {
      Release(slot);
      const size_t count = 1 + r.u8() % 16;
      const size_t size = ReadSize(r) / count;
      auto* p = static_cast<unsigned char*>(hak_calloc(count, size));
      for (size_t i = 0; i < count * size; ++i)
        if (p != nullptr && p[i] != 0) Fail("calloc returned a non-zero byte", slot, count * size, p);
      Track(slot, p, count * size, 0);
      break;
    }
    case 3: {  // realloc, also of an empty slot (= malloc)
      Slot old = g_slots[slot];
      if (old.p != nullptr) CheckContents(slot);
      const size_t n = ReadSize(r);
      if (n == 0 && old.p != nullptr) {  // realloc(p, 0) frees (glibc semantics)
        Release(slot);
        break;
      }
      auto* p = static_cast<unsigned char*>(hak_realloc(old.p, n));
      if (p == nullptr) Fail("realloc failed", slot, n, old.p);
      if (old.p != nullptr) {
        g_live.erase(reinterpret_cast<uintptr_t>(old.p));
        const size_t keep = old.n < n ? old.n : n;
        ForEachChecked(keep, [&](size_t i) {
          if (Filled(old.n, i) && p[i] != Pattern(old.seed, i))
            Fail("realloc lost the old contents", slot, n, p);
        });
      }
      g_slots[slot] = Slot{};
      Track(slot, p, n, 0);
      break;
    }
    case 4:
    case 5:
      Release(slot);
      break;
    case 6: {
      Release(slot);
      const size_t alignment = size_t{1} << (r.u8() % 14);  // 1 .. 8 KiB
      const size_t n = ReadSize(r);
      void* p = nullptr;
      switch (r.u8() % 3) {
        case 0: {
          const size_t al = alignment < sizeof(void*) ? sizeof(void*) : alignment;
          if (hak_posix_memalign(&p, al, n) != 0) Fail("posix_memalign failed", slot, n, p);
          break;
        }
        case 1: p = hak_aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment); break;
        default: p = hak_memalign(alignment, n); break;
      }
      Track(slot, static_cast<unsigned char*>(p), n, alignment);
      break;
    }
    case 7: {  // a bad alignment is refused without side effects
      static constexpr size_t kBad[] = {0, 4, 12, 24, 40, 48, 96, 4097};
      void* p = reinterpret_cast<void*>(1);
      const size_t bad = kBad[r.u8() % std::size(kBad)];
      if (hak_posix_memalign(&p, bad, 64) != EINVAL) Fail("posix_memalign accepted a bad alignment", slot, bad, p);
      if (p != reinterpret_cast<void*>(1)) Fail("posix_memalign wrote *out on failure", slot, 64, p);
      break;
    }
    default:  // the thread returns its cached blocks to their slabs
      hak_flush_thread_cache();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  for (int steps = 0; !r.empty() && steps < 4096; ++steps) Step(r);
  for (size_t s = 0; s < std::size(g_slots); ++s) Release(s);
  if (!g_live.empty()) Fail("model still holds blocks after the final frees", 0, g_live.size(), nullptr);
  return 0;
}
