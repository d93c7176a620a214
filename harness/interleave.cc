#include "harness/interleave.h"

#include <algorithm>

namespace lab {

std::vector<std::string> ShuffledRound(const std::vector<std::string>& variants, std::mt19937_64& rng) {
  std::vector<std::string> round = variants;
  std::shuffle(round.begin(), round.end(), rng);
  return round;
}

}  // namespace lab
