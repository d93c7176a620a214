// override_test.cc — test of layer 6: Linked with //allocator:hakmem: the process allocator IS hakmem. Proves that malloc, the
// libc-internal callers (strdup), the __libc_* names and operator new all reach it.
#include <errno.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <string>
#include <vector>

#include "allocator/api.h"
#include "allocator/size_classes.h"
#include "allocator/tiny.h"

extern "C" void* __libc_malloc(size_t);
extern "C" void __libc_free(void*);

namespace {

// A tiny block of ours has its header byte at p-1, and our usable size for it.
bool IsOurs(void* p, size_t n) {
  return hak_malloc_usable_size(p) >= n && malloc_usable_size(p) == hak_malloc_usable_size(p);
}

TEST(Override, MallocFreeAreHakmem) {
  void* p = malloc(100);
  ASSERT_NE(p, nullptr);
  const uint8_t header = *reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(p) - 1);
  EXPECT_EQ(header, hak::kClasses[hak::TinyClassOf(100)].header);
  EXPECT_EQ(malloc_usable_size(p), hak::kClasses[hak::TinyClassOf(100)].usable);
  free(p);
  EXPECT_GT(hak_get_info().live_superslabs, 0u);
}

TEST(Override, LibcInternalAllocationsComeFromHakmem) {
  char* s = strdup("allocated inside glibc");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(IsOurs(s, strlen(s) + 1));
  free(s);
  void* q = __libc_malloc(64);
  EXPECT_TRUE(IsOurs(q, 64));
  __libc_free(q);
}

TEST(Override, OperatorNewDeleteAllForms) {
  auto* one = new int(7);
  EXPECT_TRUE(IsOurs(one, sizeof(int)));
  delete one;
  auto* arr = new double[1000];
  EXPECT_TRUE(IsOurs(arr, 8000));
  delete[] arr;
  struct alignas(256) Wide {
    char c[300];
  };
  auto* w = new Wide;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 256, 0u);
  delete w;
  std::vector<std::string> v(1000, std::string(100, 'x'));
  EXPECT_TRUE(IsOurs(v.data(), 1000 * sizeof(std::string)));
  auto nt = std::unique_ptr<char[]>(new (std::nothrow) char[50]);
  EXPECT_TRUE(IsOurs(nt.get(), 50));
}

// The pointer escapes through a volatile, so the compiler may not elide the new/delete pair.
void* volatile g_sink;

TEST(Override, OperatorNewThrowsBadAllocWhenTheOsSaysNo) {
  hak_test_fail_next_mappings(1 << 20);
  const size_t big = size_t{1} << 32;
  EXPECT_THROW(g_sink = new char[big], std::bad_alloc);
  g_sink = new (std::nothrow) char[big];
  EXPECT_EQ(g_sink, nullptr);
  hak_test_fail_next_mappings(0);
}

TEST(Override, ErrnoRules) {
  volatile size_t huge = SIZE_MAX - 8;
  errno = 0;
  EXPECT_EQ(malloc(huge), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* p = malloc(5 << 20);
  errno = 77;
  free(p);
  EXPECT_EQ(errno, 77);
  void* q = nullptr;
  EXPECT_EQ(posix_memalign(&q, 3, 10), EINVAL);
  EXPECT_EQ(posix_memalign(&q, 64, 10), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 64, 0u);
  EXPECT_GE(malloc_usable_size(q), 10u);
  free(q);
}

TEST(Override, CallocReallocThroughTheSymbols) {
  auto* z = static_cast<unsigned char*>(calloc(100, 100));
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(z[i], 0);
  auto* r = static_cast<unsigned char*>(realloc(z, 200000));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r[9999], 0);
  free(r);
}

}  // namespace
