// variant_string.h — the build's switch values as one string, in variants.bzl's names and order:
// "c7_header=true,free_fast_registry_check=false,...". The harness compares it with the config it
// asked for and refuses a binary that is not that variant.
#ifndef HAKMEM_ALLOCATOR_VARIANT_STRING_H_
#define HAKMEM_ALLOCATOR_VARIANT_STRING_H_

#include "allocator/config.h"

#if HAKMEM_C7_HEADER
#define HAK_VS_C7 "c7_header=true"
#else
#define HAK_VS_C7 "c7_header=false"
#endif
#if HAKMEM_FREE_FAST_REGISTRY_CHECK
#define HAK_VS_FFRC "free_fast_registry_check=true"
#else
#define HAK_VS_FFRC "free_fast_registry_check=false"
#endif
#if HAKMEM_CLASSIFY_ORDER == HAKMEM_CLASSIFY_HEADER_FIRST
#define HAK_VS_CO "classify_order=header_first"
#else
#define HAK_VS_CO "classify_order=registry_first"
#endif
#if HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_HASH
#define HAK_VS_RI "registry_impl=hash"
#else
#define HAK_VS_RI "registry_impl=rbtree"
#endif
#if HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_HEADER
#define HAK_VS_FD "free_dispatch=header"
#else
#define HAK_VS_FD "free_dispatch=superslab"
#endif
#if HAKMEM_PAGE_BOUNDARY_CHECK == HAKMEM_PAGE_CHECK_SAME_PAGE
#define HAK_VS_PB "page_boundary_check=same_page"
#else
#define HAK_VS_PB "page_boundary_check=mincore"
#endif
#if HAKMEM_WRAPPER_GUARDS == HAKMEM_WRAPPER_MINIMAL
#define HAK_VS_WG "wrapper_guards=minimal"
#else
#define HAK_VS_WG "wrapper_guards=full"
#endif
#if HAKMEM_LEGACY_C7_BRANCHES
#define HAK_VS_LC7 "legacy_c7_branches=true"
#else
#define HAK_VS_LC7 "legacy_c7_branches=false"
#endif
#if HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_MAP
#define HAK_VS_FOC "fast_ownership_check=map"
#else
#define HAK_VS_FOC "fast_ownership_check=none"
#endif
#if HAKMEM_STATS
#define HAK_VS_ST "stats=on"
#else
#define HAK_VS_ST "stats=off"
#endif

namespace hak {
inline constexpr const char kVariantString[] = HAK_VS_C7 "," HAK_VS_FFRC "," HAK_VS_CO "," HAK_VS_RI
    "," HAK_VS_FD "," HAK_VS_PB "," HAK_VS_WG "," HAK_VS_LC7 "," HAK_VS_FOC "," HAK_VS_ST;
}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_VARIANT_STRING_H_
