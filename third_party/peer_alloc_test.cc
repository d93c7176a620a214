// Linked against exactly one peer allocator (PEER_* define): malloc() must be served by it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#if defined(PEER_MIMALLOC)
#include <mimalloc.h>
static bool OwnedByPeer(void* p) { return mi_is_in_heap_region(p); }
#elif defined(PEER_JEMALLOC)
#include <jemalloc/jemalloc.h>
// mallctl answers about jemalloc's own heap: a pointer it did not hand out has no size class.
static bool OwnedByPeer(void* p) {
  const char* version = nullptr;
  size_t len = sizeof(version);
  if (mallctl("version", &version, &len, nullptr, 0) != 0) return false;
  return version != nullptr && sallocx(p, 0) >= 100;
}
#elif defined(PEER_TCMALLOC)
#include <gperftools/malloc_extension_c.h>
static bool OwnedByPeer(void* p) {
  return MallocExtension_GetOwnership(p) == MallocExtension_kOwned;
}
#else
#error "define one PEER_* macro"
#endif

TEST(PeerAllocator, MallocIsServedByPeer) {
  void* p = std::malloc(100);
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x5a, 100);
  EXPECT_TRUE(OwnedByPeer(p));
  std::free(p);
}

TEST(PeerAllocator, OperatorNewIsServedByPeer) {
  int* q = new int[64];
  EXPECT_TRUE(OwnedByPeer(q));
  delete[] q;
}
