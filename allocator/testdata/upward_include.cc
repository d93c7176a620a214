// testdata/upward_include.cc — a deliberate layering break, built only on request: a file of
// layer 1 (//allocator:upward_include_probe depends on l1_os) including the layer-5 API header.
// `bazel build //allocator:upward_include_probe` must fail: the header is not in the sandbox.
#include "allocator/api.h"
#include "allocator/ownership_map.h"

int UpwardIncludeProbe() { return hak_stats_enabled(); }
