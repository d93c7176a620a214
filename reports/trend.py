#!/usr/bin/env python3
"""Trend plots of any directory of result files (a team's own history, baselines/...).

  bazel run //reports:trend -- --baselines DIR [--out DIR]

Files are ordered by their start time; each becomes one x position (commit and date on the
axis). Writes trend_*.png and trend.html into --out (default reports/out/trend in the tree).
"""
import argparse
import glob
import os
import sys

import labdata
import report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--baselines", required=True, help="directory searched (recursively) for *.json result files")
    ap.add_argument("--out", help="output directory (default reports/out/trend)")
    args = ap.parse_args(argv)
    root = labdata.workspace_root()
    base = args.baselines if os.path.isabs(args.baselines) else os.path.join(root, args.baselines)
    if not os.path.isdir(base):
        raise labdata.LabError("%s: not a directory" % base)
    files = sorted(f for f in glob.glob(os.path.join(base, "**", "*.json"), recursive=True)
                   if os.path.basename(f) not in ("routes.json", "summary.json"))
    if not files:
        raise labdata.LabError("%s: no result files (*.json) below it" % base)
    results = [labdata.load_result(f) for f in files]
    order = sorted(range(len(files)), key=lambda i: results[i]["started_at"])
    files = [files[i] for i in order]
    results = [results[i] for i in order]
    out = args.out if args.out else os.path.join(root, "reports", "out", "trend")
    out = out if os.path.isabs(out) else os.path.join(root, out)
    index, pngs = report.build_trend_report(files, results, out)
    for p in pngs:
        print(p)
    print("report: %s" % index)
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "trend")
