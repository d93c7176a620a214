// stats.h — robust summaries of benchmark samples: median, MAD, bootstrap interval.
#ifndef HAKMEM_HARNESS_STATS_H_
#define HAKMEM_HARNESS_STATS_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace lab {

double Median(std::vector<double> v);  // NaN for an empty sample
// Median absolute deviation from the median (unscaled).
double Mad(const std::vector<double>& v);
// Percentile bootstrap interval of the median: `iters` resamples, deterministic for a seed.
std::pair<double, double> BootstrapMedianCi(const std::vector<double>& v, double level = 0.95,
                                            int iters = 2000, uint64_t seed = 0x5eed);

}  // namespace lab

#endif  // HAKMEM_HARNESS_STATS_H_
