// variant_string.h — layer 5: the build's switch values as one string, in variants.bzl's names
// and order: "c7_header=true,free_fast_registry_check=false,...". The harness compares it with
// the config it asked for and refuses a binary that is not that variant.
// GENERATED from allocator/variants.bzl by `bazel run //tools:variants -- --write-bazelrc`.
// Do not edit: //tools:variants_test fails when this file and variants.bzl disagree.
#ifndef HAKMEM_ALLOCATOR_VARIANT_STRING_H_
#define HAKMEM_ALLOCATOR_VARIANT_STRING_H_

#include "allocator/config.h"

// c7_header
#if HAKMEM_C7_HEADER == 1
#define HAK_VS_C7_HEADER "c7_header=true"
#elif HAKMEM_C7_HEADER == 0
#define HAK_VS_C7_HEADER "c7_header=false"
#else
#error "HAKMEM_C7_HEADER has a value variants.bzl does not list"
#endif
// free_fast_registry_check
#if HAKMEM_FREE_FAST_REGISTRY_CHECK == 0
#define HAK_VS_FREE_FAST_REGISTRY_CHECK "free_fast_registry_check=false"
#elif HAKMEM_FREE_FAST_REGISTRY_CHECK == 1
#define HAK_VS_FREE_FAST_REGISTRY_CHECK "free_fast_registry_check=true"
#else
#error "HAKMEM_FREE_FAST_REGISTRY_CHECK has a value variants.bzl does not list"
#endif
// classify_order
#ifndef HAKMEM_CLASSIFY_HEADER_FIRST
#error "config.h does not define HAKMEM_CLASSIFY_HEADER_FIRST (variants.bzl: classify_order=header_first)"
#endif
#ifndef HAKMEM_CLASSIFY_REGISTRY_FIRST
#error "config.h does not define HAKMEM_CLASSIFY_REGISTRY_FIRST (variants.bzl: classify_order=registry_first)"
#endif
#if HAKMEM_CLASSIFY_ORDER == HAKMEM_CLASSIFY_HEADER_FIRST
#define HAK_VS_CLASSIFY_ORDER "classify_order=header_first"
#elif HAKMEM_CLASSIFY_ORDER == HAKMEM_CLASSIFY_REGISTRY_FIRST
#define HAK_VS_CLASSIFY_ORDER "classify_order=registry_first"
#else
#error "HAKMEM_CLASSIFY_ORDER has a value variants.bzl does not list"
#endif
// registry_impl
#ifndef HAKMEM_REGISTRY_HASH
#error "config.h does not define HAKMEM_REGISTRY_HASH (variants.bzl: registry_impl=hash)"
#endif
#ifndef HAKMEM_REGISTRY_RBTREE
#error "config.h does not define HAKMEM_REGISTRY_RBTREE (variants.bzl: registry_impl=rbtree)"
#endif
#if HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_HASH
#define HAK_VS_REGISTRY_IMPL "registry_impl=hash"
#elif HAKMEM_REGISTRY_IMPL == HAKMEM_REGISTRY_RBTREE
#define HAK_VS_REGISTRY_IMPL "registry_impl=rbtree"
#else
#error "HAKMEM_REGISTRY_IMPL has a value variants.bzl does not list"
#endif
// free_dispatch
#ifndef HAKMEM_FREE_DISPATCH_HEADER
#error "config.h does not define HAKMEM_FREE_DISPATCH_HEADER (variants.bzl: free_dispatch=header)"
#endif
#ifndef HAKMEM_FREE_DISPATCH_SUPERSLAB
#error "config.h does not define HAKMEM_FREE_DISPATCH_SUPERSLAB (variants.bzl: free_dispatch=superslab)"
#endif
#ifndef HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE
#error "config.h does not define HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE (variants.bzl: free_dispatch=superslab_free)"
#endif
#if HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_HEADER
#define HAK_VS_FREE_DISPATCH "free_dispatch=header"
#elif HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_SUPERSLAB
#define HAK_VS_FREE_DISPATCH "free_dispatch=superslab"
#elif HAKMEM_FREE_DISPATCH == HAKMEM_FREE_DISPATCH_SUPERSLAB_FREE
#define HAK_VS_FREE_DISPATCH "free_dispatch=superslab_free"
#else
#error "HAKMEM_FREE_DISPATCH has a value variants.bzl does not list"
#endif
// page_boundary_check
#ifndef HAKMEM_PAGE_CHECK_SAME_PAGE
#error "config.h does not define HAKMEM_PAGE_CHECK_SAME_PAGE (variants.bzl: page_boundary_check=same_page)"
#endif
#ifndef HAKMEM_PAGE_CHECK_MINCORE
#error "config.h does not define HAKMEM_PAGE_CHECK_MINCORE (variants.bzl: page_boundary_check=mincore)"
#endif
#if HAKMEM_PAGE_BOUNDARY_CHECK == HAKMEM_PAGE_CHECK_SAME_PAGE
#define HAK_VS_PAGE_BOUNDARY_CHECK "page_boundary_check=same_page"
#elif HAKMEM_PAGE_BOUNDARY_CHECK == HAKMEM_PAGE_CHECK_MINCORE
#define HAK_VS_PAGE_BOUNDARY_CHECK "page_boundary_check=mincore"
#else
#error "HAKMEM_PAGE_BOUNDARY_CHECK has a value variants.bzl does not list"
#endif
// wrapper_guards
#ifndef HAKMEM_WRAPPER_MINIMAL
#error "config.h does not define HAKMEM_WRAPPER_MINIMAL (variants.bzl: wrapper_guards=minimal)"
#endif
#ifndef HAKMEM_WRAPPER_FULL
#error "config.h does not define HAKMEM_WRAPPER_FULL (variants.bzl: wrapper_guards=full)"
#endif
#if HAKMEM_WRAPPER_GUARDS == HAKMEM_WRAPPER_MINIMAL
#define HAK_VS_WRAPPER_GUARDS "wrapper_guards=minimal"
#elif HAKMEM_WRAPPER_GUARDS == HAKMEM_WRAPPER_FULL
#define HAK_VS_WRAPPER_GUARDS "wrapper_guards=full"
#else
#error "HAKMEM_WRAPPER_GUARDS has a value variants.bzl does not list"
#endif
// legacy_c7_branches
#if HAKMEM_LEGACY_C7_BRANCHES == 0
#define HAK_VS_LEGACY_C7_BRANCHES "legacy_c7_branches=false"
#elif HAKMEM_LEGACY_C7_BRANCHES == 1
#define HAK_VS_LEGACY_C7_BRANCHES "legacy_c7_branches=true"
#else
#error "HAKMEM_LEGACY_C7_BRANCHES has a value variants.bzl does not list"
#endif
// fast_ownership_check
#ifndef HAKMEM_OWNERSHIP_MAP_ONLY
#error "config.h does not define HAKMEM_OWNERSHIP_MAP_ONLY (variants.bzl: fast_ownership_check=map_only)"
#endif
#ifndef HAKMEM_OWNERSHIP_MAP
#error "config.h does not define HAKMEM_OWNERSHIP_MAP (variants.bzl: fast_ownership_check=map)"
#endif
#ifndef HAKMEM_OWNERSHIP_NONE
#error "config.h does not define HAKMEM_OWNERSHIP_NONE (variants.bzl: fast_ownership_check=none)"
#endif
#if HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_MAP_ONLY
#define HAK_VS_FAST_OWNERSHIP_CHECK "fast_ownership_check=map_only"
#elif HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_MAP
#define HAK_VS_FAST_OWNERSHIP_CHECK "fast_ownership_check=map"
#elif HAKMEM_FAST_OWNERSHIP_CHECK == HAKMEM_OWNERSHIP_NONE
#define HAK_VS_FAST_OWNERSHIP_CHECK "fast_ownership_check=none"
#else
#error "HAKMEM_FAST_OWNERSHIP_CHECK has a value variants.bzl does not list"
#endif
// remote_free
#ifndef HAKMEM_REMOTE_FREE_SPILL
#error "config.h does not define HAKMEM_REMOTE_FREE_SPILL (variants.bzl: remote_free=spill)"
#endif
#ifndef HAKMEM_REMOTE_FREE_LOCAL
#error "config.h does not define HAKMEM_REMOTE_FREE_LOCAL (variants.bzl: remote_free=local)"
#endif
#ifndef HAKMEM_REMOTE_FREE_OWNER
#error "config.h does not define HAKMEM_REMOTE_FREE_OWNER (variants.bzl: remote_free=owner)"
#endif
#if HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_SPILL
#define HAK_VS_REMOTE_FREE "remote_free=spill"
#elif HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_LOCAL
#define HAK_VS_REMOTE_FREE "remote_free=local"
#elif HAKMEM_REMOTE_FREE == HAKMEM_REMOTE_FREE_OWNER
#define HAK_VS_REMOTE_FREE "remote_free=owner"
#else
#error "HAKMEM_REMOTE_FREE has a value variants.bzl does not list"
#endif
// stats
#if HAKMEM_STATS == 0
#define HAK_VS_STATS "stats=off"
#elif HAKMEM_STATS == 1
#define HAK_VS_STATS "stats=on"
#else
#error "HAKMEM_STATS has a value variants.bzl does not list"
#endif
// fast_path_checks
#if HAKMEM_FAST_PATH_CHECKS == 0
#define HAK_VS_FAST_PATH_CHECKS "fast_path_checks=off"
#elif HAKMEM_FAST_PATH_CHECKS == 1
#define HAK_VS_FAST_PATH_CHECKS "fast_path_checks=on"
#else
#error "HAKMEM_FAST_PATH_CHECKS has a value variants.bzl does not list"
#endif
// mid_fast_path
#if HAKMEM_MID_FAST_PATH == 1
#define HAK_VS_MID_FAST_PATH "mid_fast_path=on"
#elif HAKMEM_MID_FAST_PATH == 0
#define HAK_VS_MID_FAST_PATH "mid_fast_path=off"
#else
#error "HAKMEM_MID_FAST_PATH has a value variants.bzl does not list"
#endif
// hit_counters
#if HAKMEM_HIT_COUNTERS == 0
#define HAK_VS_HIT_COUNTERS "hit_counters=off"
#elif HAKMEM_HIT_COUNTERS == 1
#define HAK_VS_HIT_COUNTERS "hit_counters=on"
#else
#error "HAKMEM_HIT_COUNTERS has a value variants.bzl does not list"
#endif
// large_cache
#if HAKMEM_LARGE_CACHE == 1
#define HAK_VS_LARGE_CACHE "large_cache=on"
#elif HAKMEM_LARGE_CACHE == 0
#define HAK_VS_LARGE_CACHE "large_cache=off"
#else
#error "HAKMEM_LARGE_CACHE has a value variants.bzl does not list"
#endif
// chunk_arena
#if HAKMEM_CHUNK_ARENA == 1
#define HAK_VS_CHUNK_ARENA "chunk_arena=on"
#elif HAKMEM_CHUNK_ARENA == 0
#define HAK_VS_CHUNK_ARENA "chunk_arena=off"
#else
#error "HAKMEM_CHUNK_ARENA has a value variants.bzl does not list"
#endif
// pool_keep
#if HAKMEM_POOL_KEEP == 8
#define HAK_VS_POOL_KEEP "pool_keep=8"
#elif HAKMEM_POOL_KEEP == 16
#define HAK_VS_POOL_KEEP "pool_keep=16"
#else
#error "HAKMEM_POOL_KEEP has a value variants.bzl does not list"
#endif
// mid_thread_cache
#if HAKMEM_MID_THREAD_CACHE == 1
#define HAK_VS_MID_THREAD_CACHE "mid_thread_cache=on"
#elif HAKMEM_MID_THREAD_CACHE == 0
#define HAK_VS_MID_THREAD_CACHE "mid_thread_cache=off"
#else
#error "HAKMEM_MID_THREAD_CACHE has a value variants.bzl does not list"
#endif

namespace hak {
inline constexpr const char kVariantString[] =
    HAK_VS_C7_HEADER ","
    HAK_VS_FREE_FAST_REGISTRY_CHECK ","
    HAK_VS_CLASSIFY_ORDER ","
    HAK_VS_REGISTRY_IMPL ","
    HAK_VS_FREE_DISPATCH ","
    HAK_VS_PAGE_BOUNDARY_CHECK ","
    HAK_VS_WRAPPER_GUARDS ","
    HAK_VS_LEGACY_C7_BRANCHES ","
    HAK_VS_FAST_OWNERSHIP_CHECK ","
    HAK_VS_REMOTE_FREE ","
    HAK_VS_STATS ","
    HAK_VS_FAST_PATH_CHECKS ","
    HAK_VS_MID_FAST_PATH ","
    HAK_VS_HIT_COUNTERS ","
    HAK_VS_LARGE_CACHE ","
    HAK_VS_CHUNK_ARENA ","
    HAK_VS_POOL_KEEP ","
    HAK_VS_MID_THREAD_CACHE;
}  // namespace hak

#endif  // HAKMEM_ALLOCATOR_VARIANT_STRING_H_
