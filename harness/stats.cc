#include "harness/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lab {

double Median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + n / 2, v.end());
  const double hi = v[n / 2];
  if (n % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + n / 2);
  return (lo + hi) / 2;
}

double Mad(const std::vector<double>& v) {
  const double m = Median(v);
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::fabs(x - m));
  return Median(dev);
}

std::pair<double, double> BootstrapMedianCi(const std::vector<double>& v, double level, int iters,
                                            uint64_t seed) {
  if (v.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  uint64_t s = seed | 1;
  auto next = [&s] {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  };
  std::vector<double> medians;
  medians.reserve(size_t(iters));
  std::vector<double> re(v.size());
  for (int i = 0; i < iters; ++i) {
    for (double& x : re) x = v[next() % v.size()];
    medians.push_back(Median(re));
  }
  std::sort(medians.begin(), medians.end());
  const double tail = (1 - level) / 2;
  const size_t lo = size_t(std::floor(tail * (iters - 1)));
  const size_t hi = size_t(std::ceil((1 - tail) * (iters - 1)));
  return {medians[lo], medians[hi]};
}

}  // namespace lab
