"""Change points of a measured series, found from the numbers alone.

Optimal partitioning (exact dynamic programming over every segmentation) of log(values):
minimise the within-segment squared error plus a penalty per extra segment. The penalty is
what a step of `min_step` (relative) between two single points would save, so a level shift
smaller than `min_step` never pays for itself, while a fall and a later recovery are two change
points. Deterministic; O(n^2), fine for histories of hundreds of commits.
"""
import math


def _sse(prefix, prefix2, i, j):
    n = j - i
    s = prefix[j] - prefix[i]
    return (prefix2[j] - prefix2[i]) - s * s / n


def change_points(values, min_step=0.10):
    """Indices i where the series changes between values[i-1] and values[i], sorted."""
    if any(v <= 0 for v in values):
        raise ValueError("change_points needs positive values")
    xs = [math.log(v) for v in values]
    n = len(xs)
    if n < 2:
        return []
    prefix, prefix2 = [0.0], [0.0]
    for x in xs:
        prefix.append(prefix[-1] + x)
        prefix2.append(prefix2[-1] + x * x)
    # Splitting two points a log-step d apart saves d^2/2.
    penalty = math.log(1 + min_step) ** 2 / 2
    best = [0.0] + [math.inf] * n
    last = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j):
            cost = best[i] + _sse(prefix, prefix2, i, j) + (penalty if i > 0 else 0.0)
            if cost < best[j]:
                best[j], last[j] = cost, i
    cuts = []
    j = n
    while j > 0:
        i = last[j]
        if i > 0:
            cuts.append(i)
        j = i
    cuts.sort()
    # Report only steps of at least min_step between the adjacent segments' means.
    bounds = [0] + cuts + [n]
    means = [(prefix[b] - prefix[a]) / (b - a) for a, b in zip(bounds, bounds[1:])]
    return [c for c, (m0, m1) in zip(cuts, zip(means, means[1:])) if abs(math.exp(m1 - m0) - 1) >= min_step]
