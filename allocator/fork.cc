// fork.cc — layer 4: the atfork handlers (every lock, in order) and their registration.
#include "allocator/fork.h"

#include <pthread.h>

#include "allocator/mid_large.h"
#include "allocator/ownership_map.h"
#include "allocator/registry.h"
#include "allocator/superslab.h"

namespace hak {
namespace {
void Prepare() {
  SuperSlabLockForFork();
  OwnershipLockForFork();
  RegistryLockForFork();
  ChunkLockForFork();
}
void Release(bool child) {
  ChunkUnlockAfterFork(child);
  RegistryUnlockAfterFork(child);
  OwnershipUnlockAfterFork(child);
  SuperSlabUnlockAfterFork(child);
}
void Parent() { Release(false); }
void Child() { Release(true); }
}  // namespace

void InstallForkHandlers() { pthread_atfork(Prepare, Parent, Child); }

namespace {
// Load time, once per process. The locks are constant-initialised, so handlers registered before
// the allocator's first use are correct; pthread_atfork may itself call malloc, which works at
// any time (the thread cache initialises itself lazily).
__attribute__((constructor)) void RegisterForkHandlers() { InstallForkHandlers(); }
}  // namespace

}  // namespace hak
