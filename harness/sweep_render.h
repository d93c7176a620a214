// sweep_render.h — harness, the sweep's rendering step: the tables it prints after measuring
// (median ops/s with ratios to the first variant, instructions/op, the fast-path probe's
// instructions and TSC ticks), computed from the result alone so they are tested like the gate's.
#ifndef HAKMEM_HARNESS_SWEEP_RENDER_H_
#define HAKMEM_HARNESS_SWEEP_RENDER_H_

#include <string>
#include <vector>

#include "harness/result.h"

namespace sweep {

// Ops/s as the sweep prints them: "61.3M".
std::string Human(double ops);

// One row per measured (workload, params) in the result's order; "-" where a variant has no
// measurement; "xN" = median ratio to variants.front(). With `instructions`, the callgrind tables.
std::string RenderTables(const lab::Result& r, const std::vector<std::string>& variants, int rounds,
                         bool instructions);

}  // namespace sweep

#endif  // HAKMEM_HARNESS_SWEEP_RENDER_H_
