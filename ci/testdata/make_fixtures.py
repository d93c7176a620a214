#!/usr/bin/env python3
"""Writes the gate's fixtures: result pairs whose verdict is known by construction.

Run from this folder: python3 make_fixtures.py. Deterministic (fixed seed).
"""
import copy
import json
import random

rng = random.Random(20261122)


def result(points, fastpath=None, version=1):
    return {
        "schema": "hakmem-lab/result", "schema_version": version, "commit": "f1xture0000", "dirty": False,
        "started_at": "2026-11-22T00:00:00Z", "bazel_version": "bazel-bootstrap 4.2.3", "flags": "-c opt",
        "machine": {"fingerprint": "fixture", "cpu_model": "fixture", "cores": 2, "kernel": "Linux", "libc": "glibc 2.36"},
        "complete": True,
        "variants": [{"name": "e3", "allocator": "hakmem", "switches": "", "compiler": "gcc"}],
        "points": points,
        "fastpath_instructions": {"e3": fastpath or {"malloc_hit": 20, "free_hit": 25}},
    }


def point(ws, center, noise=0.02, n=7, instr=50.0):
    samples = [center * (1 + rng.uniform(-noise, noise)) for _ in range(n)]
    return {"workload": "random_mixed", "variant": "e3", "unit": "ops/s",
            "params": {"cycles": 1e6, "ws": ws, "seed": 1234567, "min_size": 16, "max_size": 1039},
            "samples": samples, "median": 0, "mad": 0, "ci95": [0, 0],
            "instructions_per_op": instr, "peak_rss_kb": 4000, "rss_after_free_kb": 3000}


def mt_point(workload, center, noise=0.04, n=7, peak=9000, after=6000):
    """A multi-thread point: no instruction count (threads interleave), RSS per point."""
    samples = [center * (1 + rng.uniform(-noise, noise)) for _ in range(n)]
    return {"workload": workload, "variant": "e3", "unit": "ops/s", "label": "threads=2",
            "params": {"threads": 2, "ops": 4000000, "min_size": 16, "max_size": 1039},
            "samples": samples, "median": 0, "mad": 0, "ci95": [0, 0],
            "instructions_per_op": None, "peak_rss_kb": peak, "rss_after_free_kb": after}


def with_rss(points, peak=None, after=None):
    out = copy.deepcopy(points)
    for p in out:
        if peak is not None:
            p["peak_rss_kb"] = peak
        if after is not None:
            p["rss_after_free_kb"] = after
    return out


WS = [128, 256, 512, 1024]
MANY = [64 * (i + 1) for i in range(10)]
cases = {}
base = [point(ws, 40e6) for ws in WS]
cases["clear_regression"] = (base, [point(ws, 32e6) for ws in WS])
cases["clear_improvement"] = (base, [point(ws, 48e6) for ws in WS])
cases["noise_only"] = (base, [point(ws, 40e6, noise=0.03) for ws in WS])
many_base = [point(ws, 40e6) for ws in MANY]
many_head = [point(ws, 34e6 if ws == 320 else 40e6) for ws in MANY]
cases["one_of_many"] = (many_base, many_head)
cases["missing_point"] = (base, [point(ws, 40e6) for ws in WS[:-1]])
cases["instructions_only"] = (base, [point(ws, 40e6, instr=51.5) for ws in WS])

# Memory: same speed, 4 MiB -> 7 MiB resident after free fails; 3.2 -> 3.3 MiB does not.
cases["memory_bloat"] = (with_rss(base, after=4096), with_rss([point(ws, 40e6) for ws in WS], after=7168))
cases["memory_noise"] = (with_rss(base, peak=3277), with_rss([point(ws, 40e6) for ws in WS], peak=3379))
# Multi-thread: a global lock on the cross-thread path halves producer/consumer throughput.
mt_base = [mt_point("mt_prodcons", 20e6), mt_point("mt_churn", 15e6)]
cases["mt_regression"] = (mt_base, [mt_point("mt_prodcons", 11e6), mt_point("mt_churn", 15e6)])
# Coverage: a base without instruction counts, a head with a point the base never measured,
# and one name whose parameters differ (1e6 vs 1e7 cycles) must never be judged silently.
no_instr = copy.deepcopy(base)
for p in no_instr:
    p["instructions_per_op"] = None
cases["base_lacks_instructions"] = (no_instr, [point(ws, 40e6) for ws in WS])
cases["new_in_head"] = (base[:-1], [point(ws, 40e6) for ws in WS])
longer = [point(ws, 40e6) for ws in WS]
longer[0]["params"]["cycles"] = 10000000
cases["params_mismatch"] = (base, longer)

for name, (b, h) in cases.items():
    json.dump(result(b), open(name + ".base.json", "w"), indent=1)
    json.dump(result(h), open(name + ".head.json", "w"), indent=1)
json.dump(result(base), open("schema_mismatch.base.json", "w"), indent=1)
json.dump(result(base, version=99), open("schema_mismatch.head.json", "w"), indent=1)
json.dump(result(base), open("fastpath_over_budget.base.json", "w"), indent=1)
json.dump(result(copy.deepcopy(base), fastpath={"malloc_hit": 20, "free_hit": 40}),
          open("fastpath_over_budget.head.json", "w"), indent=1)
print("wrote", len(cases) + 2, "fixture pairs")
