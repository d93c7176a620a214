#!/usr/bin/env python3
"""ops/s against object size for every variant of one result file (the size_sweep points).

  bazel run //reports:sweep_plot -- --result results/sweep-....json [--out FILE.png]

Writes the plot and, beside it, FILE.html: the plot under a header naming the result's commit,
date (started_at), machine and run kind. Paths are relative to where you run bazel run; --out
defaults to reports/out/sweep/sweep.png in the tree.
"""
import argparse
import os

import labdata
import report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--result", required=True, help="a sweep result with size_sweep points")
    ap.add_argument("--out", help="PNG to write (default reports/out/sweep/sweep.png in the tree); "
                                  "the page goes beside it (same name, .html)")
    args = ap.parse_args(argv)
    path = labdata.user_path(args.result)
    r = labdata.load_result(path)
    if not any(p["workload"] == "size_sweep" for p in r["points"]):
        raise labdata.LabError("%s: points: no size_sweep points to plot" % path)
    out = labdata.user_path(args.out) if args.out else os.path.join(
        labdata.workspace_root(), "reports", "out", "sweep", "sweep.png")
    if not out.endswith(".png"):
        raise labdata.LabError("--out: %s: expected a .png file name" % out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    print(report.sweep_plot(r, out))
    print("report: %s" % report.sweep_page(r, out, out[:-len(".png")] + ".html", source=path))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "sweep_plot")
