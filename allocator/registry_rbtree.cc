// registry_rbtree.cc — layer 2, registry_impl=rbtree: an ordered red-black tree under one lock, for
// lookups too (the O(log N) "RB-tree search" of the E2 analysis). Intrusive: the nodes are the
// SuperSlab headers themselves, so inserting allocates nothing.
#include <pthread.h>

#include "allocator/config.h"
#include "allocator/registry.h"
#include "allocator/registry_internal.h"
#include "allocator/superslab.h"

#if HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_RBTREE

namespace hak {
namespace {
SuperSlab* g_root = nullptr;

inline bool Red(const SuperSlab* n) { return n != nullptr && n->rb_red; }
inline int Side(const SuperSlab* n) { return n == n->rb_parent->rb_child[1]; }

// dir 0: left rotation (x's right child rises); dir 1: right rotation.
void Rotate(SuperSlab* x, int dir) {
  SuperSlab* y = x->rb_child[!dir];
  x->rb_child[!dir] = y->rb_child[dir];
  if (y->rb_child[dir]) y->rb_child[dir]->rb_parent = x;
  y->rb_parent = x->rb_parent;
  if (x->rb_parent == nullptr) g_root = y; else x->rb_parent->rb_child[Side(x)] = y;
  y->rb_child[dir] = x;
  x->rb_parent = y;
}

void Transplant(SuperSlab* u, SuperSlab* v) {
  if (u->rb_parent == nullptr) g_root = v; else u->rb_parent->rb_child[Side(u)] = v;
  if (v) v->rb_parent = u->rb_parent;
}

void InsertFixup(SuperSlab* z) {
  while (Red(z->rb_parent)) {
    SuperSlab* p = z->rb_parent;
    SuperSlab* g = p->rb_parent;
    const int pd = Side(p);
    SuperSlab* u = g->rb_child[!pd];
    if (Red(u)) {
      p->rb_red = u->rb_red = 0;
      g->rb_red = 1;
      z = g;
    } else {
      if (z == p->rb_child[!pd]) {
        z = p;
        Rotate(z, pd);
        p = z->rb_parent;
      }
      p->rb_red = 0;
      g->rb_red = 1;
      Rotate(g, !pd);
    }
  }
  g_root->rb_red = 0;
}

void DeleteFixup(SuperSlab* x, SuperSlab* xp) {
  while (x != g_root && !Red(x)) {
    const int xd = xp->rb_child[0] != x;  // x may be null: its sibling is not
    SuperSlab* w = xp->rb_child[!xd];
    if (Red(w)) {
      w->rb_red = 0;
      xp->rb_red = 1;
      Rotate(xp, xd);
      w = xp->rb_child[!xd];
    }
    if (!Red(w->rb_child[0]) && !Red(w->rb_child[1])) {
      w->rb_red = 1;
      x = xp;
      xp = x->rb_parent;
    } else {
      if (!Red(w->rb_child[!xd])) {
        w->rb_child[xd]->rb_red = 0;
        w->rb_red = 1;
        Rotate(w, !xd);
        w = xp->rb_child[!xd];
      }
      w->rb_red = xp->rb_red;
      xp->rb_red = 0;
      w->rb_child[!xd]->rb_red = 0;
      Rotate(xp, xd);
      x = g_root;
      break;
    }
  }
  if (x) x->rb_red = 0;
}

SuperSlab* Find(uintptr_t base) {
  SuperSlab* n = g_root;
  while (n != nullptr) {
    const uintptr_t k = reinterpret_cast<uintptr_t>(n);
    if (k == base) return n;
    n = n->rb_child[base > k];
  }
  return nullptr;
}
}  // namespace

bool RegistryInsert(uintptr_t base) {
  auto* z = reinterpret_cast<SuperSlab*>(base);
  pthread_mutex_lock(&g_registry_lock);
  SuperSlab* parent = nullptr;
  for (SuperSlab* n = g_root; n != nullptr; n = n->rb_child[base > reinterpret_cast<uintptr_t>(n)]) {
    if (reinterpret_cast<uintptr_t>(n) == base) {  // already registered
      pthread_mutex_unlock(&g_registry_lock);
      return true;
    }
    parent = n;
  }
  z->rb_child[0] = z->rb_child[1] = nullptr;
  z->rb_parent = parent;
  z->rb_red = 1;
  if (parent == nullptr) g_root = z;
  else parent->rb_child[base > reinterpret_cast<uintptr_t>(parent)] = z;
  InsertFixup(z);
  ++g_registry_size;
  pthread_mutex_unlock(&g_registry_lock);
  return true;
}

void RegistryRemove(uintptr_t base) {
  pthread_mutex_lock(&g_registry_lock);
  SuperSlab* z = Find(base);
  if (z != nullptr) {
    SuperSlab* y = z;
    int y_red = y->rb_red;
    SuperSlab* x;
    SuperSlab* xp;
    if (z->rb_child[0] == nullptr) {
      x = z->rb_child[1];
      xp = z->rb_parent;
      Transplant(z, x);
    } else if (z->rb_child[1] == nullptr) {
      x = z->rb_child[0];
      xp = z->rb_parent;
      Transplant(z, x);
    } else {
      y = z->rb_child[1];
      while (y->rb_child[0]) y = y->rb_child[0];
      y_red = y->rb_red;
      x = y->rb_child[1];
      if (y->rb_parent == z) {
        xp = y;
      } else {
        xp = y->rb_parent;
        Transplant(y, x);
        y->rb_child[1] = z->rb_child[1];
        y->rb_child[1]->rb_parent = y;
      }
      Transplant(z, y);
      y->rb_child[0] = z->rb_child[0];
      y->rb_child[0]->rb_parent = y;
      y->rb_red = z->rb_red;
    }
    if (!y_red) DeleteFixup(x, xp);
    --g_registry_size;
  }
  pthread_mutex_unlock(&g_registry_lock);
}

uintptr_t RegistryLookup(uintptr_t p) {
  const uintptr_t base = p & ~(uintptr_t(kSuperSlabSize) - 1);
  pthread_mutex_lock(&g_registry_lock);
  const SuperSlab* n = Find(base);
  pthread_mutex_unlock(&g_registry_lock);
  return n != nullptr ? base : 0;
}

}  // namespace hak

#endif  // HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_RBTREE
