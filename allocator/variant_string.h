// variant_string.h — the build's switch values as one string, so a binary can say what it is
// (the harness records it and refuses a binary whose switches are not the variant it asked for).
#ifndef HAKMEM_ALLOCATOR_VARIANT_STRING_H_
#define HAKMEM_ALLOCATOR_VARIANT_STRING_H_

#include "allocator/config.h"

#define HAK_STR2(x) #x
#define HAK_STR(x) HAK_STR2(x)

namespace hak {
inline constexpr const char kVariantString[] =
    "c7_header=" HAK_STR(HAKMEM_C7_HEADER)
    ",free_fast_registry_check=" HAK_STR(HAKMEM_FREE_FAST_REGISTRY_CHECK)
    ",classify_order=" HAK_STR(HAKMEM_CLASSIFY_ORDER)
    ",registry_impl=" HAK_STR(HAKMEM_REGISTRY_IMPL)
    ",free_dispatch=" HAK_STR(HAKMEM_FREE_DISPATCH)
    ",page_boundary_check=" HAK_STR(HAKMEM_PAGE_BOUNDARY_CHECK)
    ",wrapper_guards=" HAK_STR(HAKMEM_WRAPPER_GUARDS)
    ",legacy_c7_branches=" HAK_STR(HAKMEM_LEGACY_C7_BRANCHES)
    ",fast_ownership_check=" HAK_STR(HAKMEM_FAST_OWNERSHIP_CHECK)
    ",stats=" HAK_STR(HAKMEM_STATS);
}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_VARIANT_STRING_H_
