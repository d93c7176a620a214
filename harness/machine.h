// machine.h — what this machine is, for result metadata, and a fingerprint: timings are only
// comparable between results with equal fingerprints.
#ifndef HAKMEM_HARNESS_MACHINE_H_
#define HAKMEM_HARNESS_MACHINE_H_

#include "harness/result.h"

namespace lab {
Machine ThisMachine();
}  // namespace lab

#endif  // HAKMEM_HARNESS_MACHINE_H_
