// registry_internal.h — layer 2 (private): state shared by registry.cc and the implementation selected by
// registry_impl (registry_hash.cc or registry_rbtree.cc). Not for other layers.
#ifndef HAKMEM_ALLOCATOR_REGISTRY_INTERNAL_H_
#define HAKMEM_ALLOCATOR_REGISTRY_INTERNAL_H_

#include <pthread.h>

#include <cstddef>

namespace hak {
extern pthread_mutex_t g_registry_lock;  // writers (hash), everyone (rbtree)
extern size_t g_registry_size;           // guarded by g_registry_lock
}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_REGISTRY_INTERNAL_H_
