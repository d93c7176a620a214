// registry.cc — layer 2: what both registry implementations share: the writers' lock, the size, fork.
#include "allocator/registry.h"

#include "allocator/registry_internal.h"

namespace hak {

pthread_mutex_t g_registry_lock = PTHREAD_MUTEX_INITIALIZER;
size_t g_registry_size = 0;

size_t RegistrySize() {
  pthread_mutex_lock(&g_registry_lock);
  const size_t n = g_registry_size;
  pthread_mutex_unlock(&g_registry_lock);
  return n;
}

void RegistryLockForFork() { pthread_mutex_lock(&g_registry_lock); }
void RegistryUnlockAfterFork(bool child) {
  if (child) pthread_mutex_init(&g_registry_lock, nullptr); else pthread_mutex_unlock(&g_registry_lock);
}

}  // namespace hak
