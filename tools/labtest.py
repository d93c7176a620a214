"""Test support (testonly): synthetic result files, and the gate fixtures with their summaries.

The gate fixtures (ci/testdata/*.json) are v1 files whose median/mad/ci95 are 0, because the C++
reader recomputes them. Python reads summaries as written, so fixture() fills them in here, in the
test, standing in for the C++ sweep that writes them in real files.
"""
import copy
import json
import os
import statistics
import tempfile

FIX = os.path.join(os.environ.get("TEST_SRCDIR", ""), "hakmem_lab", "ci", "testdata")

MACHINE = {"fingerprint": "0123456789abcdef", "fingerprint_scheme": 2,
           "fingerprint_fields": ["cpu_model", "cores", "memory_gib", "libc", "kernel_series", "host"],
           "cpu_model": "Test CPU @ 2.0GHz", "cores": 2, "memory_gib": 24, "libc": "glibc 2.36",
           "kernel_series": "6.1", "kernel": "Linux 6.1.0-27-amd64 x86_64", "host": "abcdefabcdef"}


def fixture_data(name):
    """The parsed fixture ci/testdata/<name>, with median, mad and ci95 filled from the samples."""
    with open(os.path.join(FIX, name)) as f:
        d = json.load(f)
    for p in d["points"]:
        s = sorted(p["samples"])
        p["median"] = statistics.median(s)
        p["mad"] = statistics.median(abs(x - p["median"]) for x in s)
        p["ci95"] = [s[0], s[-1]]
    return d


def write(data, folder=None, name=None):
    folder = folder or tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    path = os.path.join(folder, name or "result.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    return path


def fixture(name, folder=None):
    """Path of a copy of the fixture with its summaries filled in (see fixture_data)."""
    return write(fixture_data(name), folder, name)


def point(workload, variant, label, params, median, instr=None, rss=None, rss_after=None):
    return {"workload": workload, "variant": variant, "label": label, "params": params, "unit": "ops/s",
            "samples": [median * 0.99, median, median * 1.01], "median": median, "mad": median * 0.01,
            "ci95": [median * 0.98, median * 1.02], "instructions_per_op": instr,
            "peak_rss_kb": rss, "rss_after_free_kb": rss_after}


def result(commit, started_at, points, variants=None, run_kind="full", machine=None, reused_from=None):
    """A v2 result (as the C++ sweep writes it) with the given points."""
    names = variants or sorted({p["variant"] for p in points})
    r = {"schema": "hakmem-lab/result", "schema_version": 2, "commit": commit, "dirty": False,
         "started_at": started_at, "run_kind": run_kind, "machine": copy.deepcopy(machine or MACHINE),
         "complete": True,
         "variants": [{"name": n, "allocator": "hakmem" if n not in ("system", "mimalloc") else
                       ("glibc" if n == "system" else n), "switches": ""} for n in names],
         "points": points, "fastpath_instructions": {},
         "benchmarks": [{"name": "%s/%s/%s" % (p["variant"], p["workload"], p["label"]), "run_type": "iteration",
                         "iterations": 1, "real_time": 1e9 / p["median"], "cpu_time": 1e9 / p["median"],
                         "time_unit": "ns"} for p in points]}
    if reused_from:
        r["reused_from"] = {"commit": reused_from, "reason": "byte-identical build"}
    return r
