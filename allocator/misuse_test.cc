// misuse_test.cc — test of layer 5: Misuse and foreign pointers through the direct hak_* API. Built twice: misuse_test (the release
// core: no crash, counted, the free lists stay intact) and misuse_debug_test (the core with
// HAKMEM_DEBUG=1: the same, plus a clear message on stderr for each case).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "allocator/api.h"
#include "allocator/config.h"
#include "allocator/size_classes.h"

namespace {

// Runs `f` with stderr captured; returns what it wrote.
template <typename F>
std::string Stderr(F f) {
  testing::internal::CaptureStderr();
  f();
  return testing::internal::GetCapturedStderr();
}

// In debug builds the message must name the misuse; release builds print nothing.
void ExpectMessage(const std::string& err, const char* what) {
#if HAKMEM_DEBUG
  EXPECT_NE(err.find(what), std::string::npos) << "stderr was: " << err;
  EXPECT_NE(err.find("hakmem: "), std::string::npos) << err;
#else
  EXPECT_EQ(err, "") << what;
#endif
}

// The free lists are intact: `n` blocks of one size are pairwise distinct and writable.
void ExpectDistinctBlocks(size_t size, int n) {
  std::set<void*> seen;
  std::vector<void*> blocks;
  for (int i = 0; i < n; ++i) {
    void* p = hak_malloc(size);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(seen.insert(p).second) << "block handed out twice: " << p;
    memset(p, 0x5A, size);
    blocks.push_back(p);
  }
  for (void* p : blocks) hak_free(p);
}

TEST(Misuse, InteriorTinyPointerWithAForgedHeaderIsRefused) {
  // The byte before p+16 is user data; make it look exactly like the class's header byte.
  for (size_t size : {32, 100, 500, 1000}) {
    auto* p = static_cast<uint8_t*>(hak_malloc(size));
    ASSERT_NE(p, nullptr);
    const uint8_t forged = p[-1];  // the real header byte of this block's class
    ASSERT_TRUE(hak::IsTinyHeader(forged));
    p[15] = forged;
    const uint64_t before = hak_get_info().invalid_frees;
    const std::string err = Stderr([&] { hak_free(p + 16); });
    EXPECT_EQ(hak_get_info().invalid_frees, before + 1) << size;
    ExpectMessage(err, "not the start of a live block");
    hak_free(p);
    ExpectDistinctBlocks(size, 600);  // p+16 never entered a list
  }
}

// A live tiny block whose header byte the program overwrote is still freed, not refused:
// fast_ownership_check=map_only never reads the header (the map names the class), map sends the
// mismatch to the classifier, which finds the block through the SuperSlab registry.
TEST(Misuse, TinyBlockWithAnOverwrittenHeaderIsStillFreed) {
  for (size_t size : {32, 100, 500}) {
    auto* p = static_cast<uint8_t*>(hak_malloc(size));
    ASSERT_NE(p, nullptr);
    p[-1] = 0;  // as an overflow of the block before it would
    const uint64_t before = hak_get_info().invalid_frees;
    const std::string err = Stderr([&] { hak_free(p); });
    EXPECT_EQ(hak_get_info().invalid_frees, before) << size;
    EXPECT_EQ(err, "") << size;
    // It went onto this thread's list: the next malloc of its class hands it out again.
    auto* q = static_cast<uint8_t*>(hak_malloc(size));
    EXPECT_EQ(q, p) << size;
    hak_free(q);  // its header is still 0 (malloc does not write it; carving did): freed again
  }
}

TEST(Misuse, PointerFromGlibcGoesToGlibc) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "under a sanitizer, the allocator behind RTLD_NEXT is the sanitizer's";
#endif
  // This test links the core only, so glibc still serves malloc; ask it by name anyway.
  using MallocFn = void* (*)(size_t);
  auto glibc_malloc = reinterpret_cast<MallocFn>(dlsym(RTLD_NEXT, "malloc"));
  ASSERT_NE(glibc_malloc, nullptr);
  void* g = glibc_malloc(100);
  ASSERT_NE(g, nullptr);
  const uint64_t before = hak_get_info().foreign_frees;
  const std::string err = Stderr([&] { hak_free(g); });
  EXPECT_EQ(hak_get_info().foreign_frees, before + 1);
  ExpectMessage(err, "did not allocate (passed to glibc's free)");
}

TEST(Misuse, PageStartWithNothingMappedBeforeIsNeverRead) {
  // Map two pages, unmap the first: reading p[-1] (a header) or p[-16] (glibc's chunk header)
  // would be SIGSEGV.
  auto* m = static_cast<char*>(mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  ASSERT_EQ(munmap(m, 4096), 0);
  const uint64_t before = hak_get_info().invalid_frees;
  const std::string err = Stderr([&] { hak_free(m + 4096); });
  EXPECT_EQ(hak_get_info().invalid_frees, before + 1);
  ExpectMessage(err, "glibc cannot own either");
  munmap(m + 4096, 4096);
}

void FreeOfAStackAddress() {
  alignas(64) volatile char buf[256];
  buf[0] = 1;
  const uint64_t before = hak_get_info().invalid_frees;
  const std::string err = Stderr([&] { hak_free(const_cast<char*>(buf) + 64); });
  EXPECT_EQ(hak_get_info().invalid_frees, before + 1);
  ExpectMessage(err, "free of a stack address");
}

TEST(Misuse, StackAddressIsRefusedOnTheMainThread) { FreeOfAStackAddress(); }
TEST(Misuse, StackAddressIsRefusedOnAnotherThread) { std::thread(FreeOfAStackAddress).join(); }

// A pool block's interior pointer whose preceding byte (user data) is forged to the block's own
// header byte: refused (mid_fast_path=on: by the fast path's stride test; off: by the classifier).
TEST(Misuse, InteriorPoolPointerWithAForgedHeaderIsRefused) {
  for (size_t size : {1024, 1500, 3000, 20000, 50000}) {
    auto* p = static_cast<uint8_t*>(hak_malloc(size));
    ASSERT_NE(p, nullptr);
    const uint8_t forged = p[-1];
    ASSERT_TRUE(hak::IsPoolHeader(forged)) << size;
    for (size_t off : {size_t{16}, size_t{256}, size / 2 & ~size_t{15}}) {
      p[off - 1] = forged;
      const uint64_t before = hak_get_info().invalid_frees;
      const std::string err = Stderr([&] { hak_free(p + off); });
      EXPECT_EQ(hak_get_info().invalid_frees, before + 1) << size << " +" << off;
      ExpectMessage(err, "not the start of a live block");
    }
    hak_free(p);
    ExpectDistinctBlocks(size, 40);  // no interior pointer entered a list
  }
}

// A pool header byte where the ownership map says something else: in a tiny block, and on the
// stack. Neither may reach a pool list.
TEST(Misuse, PoolHeaderByteOutsideAPoolSlabIsRefused) {
  const uint8_t pool_byte = uint8_t(hak::kPoolTag + 2);
  auto* t = static_cast<uint8_t*>(hak_malloc(1000));  // tiny C7
  ASSERT_NE(t, nullptr);
  t[31] = pool_byte;
  uint64_t before = hak_get_info().invalid_frees;
  std::string err = Stderr([&] { hak_free(t + 32); });
  EXPECT_EQ(hak_get_info().invalid_frees, before + 1);
  ExpectMessage(err, "not the start of a live block");
  hak_free(t);
  alignas(64) uint8_t stack[64] = {};
  stack[31] = pool_byte;
  before = hak_get_info().invalid_frees;
  err = Stderr([&] { hak_free(stack + 32); });
  EXPECT_EQ(hak_get_info().invalid_frees, before + 1);
  ExpectMessage(err, "free of a stack address");
  ExpectDistinctBlocks(1500, 40);
}

#if HAKMEM_DEBUG
// Release builds do not look for double frees (the fast path has no room for it): debug only.
TEST(Misuse, DoubleFreeOfASmallBlockIsReportedAndRefused) {
  for (size_t size : {8, 16, 100, 1000, 3000}) {
    void* p = hak_malloc(size);
    ASSERT_NE(p, nullptr);
    hak_free(p);
    const uint64_t before = hak_get_info().invalid_frees;
    const std::string err = Stderr([&] { hak_free(p); });
    EXPECT_EQ(hak_get_info().invalid_frees, before + 1) << size;
    ExpectMessage(err, "double free of a small block");
    ExpectDistinctBlocks(size, 300);
  }
}

TEST(Misuse, DoubleFreeIsCaughtAfterTheBlockLeftTheThreadCache) {
  // Free p first, then enough blocks of its class to spill it back to its slab: the canary in
  // its second word still says "free".
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(hak_malloc(200));
  for (void* p : blocks) hak_free(p);
  const uint64_t before = hak_get_info().invalid_frees;
  const std::string err = Stderr([&] { hak_free(blocks[0]); });
  EXPECT_EQ(hak_get_info().invalid_frees, before + 1);
  ExpectMessage(err, "double free of a small block");
  ExpectDistinctBlocks(200, 1000);
}
#endif

}  // namespace
