// faults_test.cc — test of layer 5: Faults from outside: the address-space limit (RLIMIT_AS) reached in every tier, and a thread
// that leaves through pthread_exit in the middle of its work. Through the direct hak_* API.
#include <errno.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "allocator/api.h"

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizer = true;  // sanitizers reserve terabytes of shadow: RLIMIT_AS cannot apply
#else
constexpr bool kSanitizer = false;
#endif

// Current virtual size of this process, from /proc/self/statm (pages).
size_t VirtualBytes() {
  FILE* f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f != nullptr) {
    if (fscanf(f, "%lu", &pages) != 1) pages = 0;
    fclose(f);
  }
  return pages * size_t(sysconf(_SC_PAGESIZE));
}

// In a child: fill the address space up to RLIMIT_AS with blocks of `size`, expect NULL + ENOMEM
// (never a crash), free everything, allocate again (the allocator recovered), then raise the
// limit and get a block larger than the old limit allowed. Exit code says which step failed.
int ExhaustAndRecover(size_t size) {
  std::vector<void*> blocks, again;  // their memory comes from glibc, before the limit
  blocks.reserve(1 << 20);
  again.reserve(1 << 20);
  rlimit lim{};
  getrlimit(RLIMIT_AS, &lim);
  const rlimit tight{VirtualBytes() + (size_t{96} << 20), lim.rlim_max};
  if (setrlimit(RLIMIT_AS, &tight) != 0) return 10;
  for (;;) {
    errno = 0;
    void* p = hak_malloc(size);
    if (p == nullptr) {
      if (errno != ENOMEM) return 11;
      break;
    }
    memset(p, 0x3C, size < 4096 ? size : 4096);
    blocks.push_back(p);
    if (blocks.size() == blocks.capacity()) return 12;  // the limit never bit
  }
  if (blocks.size() < 2) return 13;
  for (void* p : blocks) hak_free(p);
  hak_flush_thread_cache();
  // Recovered: as many blocks as half of what fitted before, all writable.
  for (size_t i = 0; i < blocks.size() / 2; ++i) {
    void* p = hak_malloc(size);
    if (p == nullptr) return 14;
    memset(p, 0x5A, size < 4096 ? size : 4096);
    again.push_back(p);
  }
  for (void* p : again) hak_free(p);
  hak_flush_thread_cache();
  if (setrlimit(RLIMIT_AS, &lim) != 0) return 15;
  void* big = hak_malloc(size_t{256} << 20);
  if (big == nullptr) return 16;
  memset(big, 1, 4096);
  hak_free(big);
  return 0;
}

TEST(Faults, AddressSpaceLimitIsEnomemInEveryTierAndRecoverable) {
  if (kSanitizer) GTEST_SKIP() << "RLIMIT_AS cannot apply under a sanitizer";
  for (size_t size : {size_t{1000}, size_t{40000}, size_t{1} << 20, size_t{8} << 20}) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(ExhaustAndRecover(size));
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "size " << size << ": child died of signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "size " << size << ": failed step " << WEXITSTATUS(status);
  }
}

// ---- pthread_exit in the middle of work ----
struct Handoff {
  std::vector<void*> to_main;  // blocks the thread made, freed later by the main thread
};

[[noreturn]] void LeaveMidWork(Handoff* h, int depth) {
  // Still holding blocks in its cache and blocks it never freed when it leaves.
  std::vector<void*> mine;
  for (int i = 0; i < 2000; ++i) {
    void* p = hak_malloc(size_t(16 + (i * 37) % 3000));
    memset(p, i & 0xFF, 16);
    if (i % 2 == 0) h->to_main.push_back(p); else mine.push_back(p);
  }
  for (size_t i = 0; i < mine.size(); i += 2) hak_free(mine[i]);  // half back to its own cache
  for (size_t i = 1; i < mine.size(); i += 2) h->to_main.push_back(mine[i]);
  if (depth > 0) LeaveMidWork(h, depth - 1);
  pthread_exit(nullptr);
}

void* Worker(void* arg) { LeaveMidWork(static_cast<Handoff*>(arg), 3); }

TEST(Faults, ThreadLeavingThroughPthreadExitMidWork) {
  auto round = [] {
    Handoff h;
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, Worker, &h), 0);
    ASSERT_EQ(pthread_join(t, nullptr), 0);
    ASSERT_FALSE(h.to_main.empty());
    for (void* p : h.to_main) hak_free(p);  // frees into the dead thread's slabs
    hak_flush_thread_cache();
  };
  for (int i = 0; i < 5; ++i) round();
  const uint64_t slabs = hak_get_info().slabs_in_use;
  const uint64_t superslabs = hak_get_info().live_superslabs;
  for (int i = 0; i < 40; ++i) round();
  // What the dead threads held went home: 40 more rounds hold no more memory than 5 did.
  EXPECT_LE(hak_get_info().slabs_in_use, slabs);
  EXPECT_LE(hak_get_info().live_superslabs, superslabs);
  // And the allocator still works for everyone.
  std::vector<void*> v;
  for (int i = 0; i < 10000; ++i) v.push_back(hak_malloc(size_t(8 + i % 900)));
  for (void* p : v) hak_free(p);
}

}  // namespace
