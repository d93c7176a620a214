// fork.h — layer 4: pthread_atfork handlers: every allocator lock is taken before fork() and released
// (parent) or re-initialised (child), so a child of a threaded process never inherits a lock
// held by a thread that no longer exists. Lock order: class locks, SuperSlab lock, ownership
// map, registry, chunk cache.
#ifndef HAKMEM_ALLOCATOR_FORK_H_
#define HAKMEM_ALLOCATOR_FORK_H_

// Registered by a constructor in fork.cc when the allocator is loaded (before main, and before
// any code that could fork); nothing in the layers below calls up here.
namespace hak {
void InstallForkHandlers();
}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_FORK_H_
