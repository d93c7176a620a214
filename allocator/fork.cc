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

}  // namespace hak
