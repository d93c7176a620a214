// machine.h — what this machine is, for result metadata, and a fingerprint: timings are only
// comparable between results with equal fingerprints (scheme 2, harness/README.md).
#ifndef HAKMEM_HARNESS_MACHINE_H_
#define HAKMEM_HARNESS_MACHINE_H_

#include <cstdint>
#include <string>

#include "harness/result.h"

namespace lab {

// This machine: cpu_model, cores, memory_gib, libc, kernel_series, host hashed (scheme 2);
// kernel (the full release string) recorded, never hashed.
Machine ThisMachine();

// The scheme-2 fingerprint: FNV-1a 64 over "cpu_model|cores|memory_gib|libc|kernel_series|host",
// 16 lowercase hex digits.
std::string FingerprintV2(const Machine& m);

// The scheme-1 fingerprint as harness/machine.cc computed it before scheme 2: std::hash (the
// toolchain's, libstdc++ here) of "cpu_model|cores|kernel|libc|machine_id" with the raw
// /etc/machine-id. Used only by the store's migration, to prove that an old fingerprint is this
// host (recomputed from the old file's own machine block and this machine's raw machine-id).
std::string LegacyFingerprint(const std::string& cpu_model, int cores, const std::string& kernel,
                              const std::string& libc, const std::string& machine_id_raw);

// /etc/machine-id as the old scheme read it (first whitespace-separated token); "" if absent.
std::string RawMachineId();

// "6.1" from "6.1.0-27-amd64" or from "Linux 6.1.0-27-amd64 x86_64": major.minor of the first
// token that starts with a digit; "" when there is none.
std::string KernelSeries(const std::string& kernel);

uint64_t Fnv1a64(const std::string& s);
std::string Sha256Hex(const std::string& data);  // 64 lowercase hex digits

}  // namespace lab

#endif  // HAKMEM_HARNESS_MACHINE_H_
