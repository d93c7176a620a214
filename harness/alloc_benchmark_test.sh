#!/usr/bin/env bash
# The micro-benchmarks run and emit Google Benchmark JSON with items_per_second for each.
set -euo pipefail
out="${TEST_TMPDIR:-/tmp}/gbench.json"
"$1" --benchmark_min_time=0.01 --benchmark_format=json >"$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = [b for b in d["benchmarks"] if b.get("run_type") == "iteration"]
assert len(runs) >= 15, len(runs)
for b in runs:
    assert b["items_per_second"] > 0, b["name"]
print("%d benchmarks, e.g. %s: %.1fM items/s" % (len(runs), runs[0]["name"], runs[0]["items_per_second"] / 1e6))
print("1 passed, 0 failed")
PY
