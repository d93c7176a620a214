#!/usr/bin/env python3
"""ops/s against object size for every variant of one result file (the size_sweep points).

  bazel run //reports:sweep_plot -- --result results/sweep-....json [--out FILE.png]
"""
import argparse
import os
import sys

import labdata
import report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--result", required=True, help="a sweep result with size_sweep points")
    ap.add_argument("--out", help="PNG to write (default reports/out/sweep.png in the tree)")
    args = ap.parse_args(argv)
    root = labdata.workspace_root()
    path = args.result if os.path.isabs(args.result) else os.path.join(root, args.result)
    r = labdata.load_result(path)
    if not any(p["workload"] == "size_sweep" for p in r["points"]):
        raise labdata.LabError("%s: points: no size_sweep points to plot" % path)
    out = args.out or os.path.join(root, "reports", "out", "sweep.png")
    out = out if os.path.isabs(out) else os.path.join(root, out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    print(report.sweep_plot(r, out))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "sweep_plot")
