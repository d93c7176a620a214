// interleave.h — the order in which a sweep runs its variants: every round is a fresh random
// permutation, so slow drift of a shared machine hits every variant alike.
#ifndef HAKMEM_HARNESS_INTERLEAVE_H_
#define HAKMEM_HARNESS_INTERLEAVE_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lab {

// Round-robin with a per-round shuffle, deterministic for a seed. The generator is the caller's,
// so one seed drives a whole sweep.
std::vector<std::string> ShuffledRound(const std::vector<std::string>& variants, std::mt19937_64& rng);

}  // namespace lab

#endif  // HAKMEM_HARNESS_INTERLEAVE_H_
