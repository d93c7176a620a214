#!/usr/bin/env python3
"""Per-commit trend of one machine and one run kind, from the result store's commits series.

  bazel run //reports:trend                                  this machine, the kind with most commits
  bazel run //reports:trend -- --machine 0123456789abcdef --kind quick [--out DIR] [--root DIR]

Reads `store list --json --series commits` (the per-commit results of the shipped build, and
each commit's gate verdict against its parent, <sha>.gate.json). Quick and full runs, and
machines, are never mixed: a selection holding more than one of either is refused (exit 2).
x = the stored commits in topological order (`git rev-list --topo-order --reverse HEAD`); stored
commits not reachable from HEAD come last, marked. One figure per workload, three panels
(ops/s, instructions/op, peak RSS KiB), one line per point label: the shipped variant solid,
peers measured in the same file (system, mimalloc, ...) dashed. Change points
(tools/changepoint.py) are ringed, reused measurements (reused_from) boxed, and a red band marks
a commit whose gate verdict regressed that panel's metric. trend.html lists every commit with a
link to its result and its gate verdict.

Output: trend.html and trend_<workload>.png in --out (relative to where you run bazel run;
default <workspace>/reports/out/trend/<machine>-<kind>/). The directory belongs to the report:
*.png in it that this run did not write are deleted, so --out must be empty, new, or an earlier
trend directory (one holding trend.html).
"""
import argparse
import collections
import json
import os
import re

import changepoint
import labdata
import report


def git_order(workspace):
    """[(sha40, commit date YYYY-MM-DD)] of HEAD's history, oldest first, topological."""
    proc = labdata.run(["git", "-C", workspace, "log", "--topo-order", "--reverse", "--format=%H %cs", "HEAD"],
                       capture_output=True, text=True)
    if proc.returncode != 0:
        raise labdata.LabError("git log in %s failed: %s" % (workspace, (proc.stderr.strip().splitlines() or ["?"])[-1]))
    out = []
    for line in proc.stdout.splitlines():
        sha, _, date = line.partition(" ")
        out.append((sha, date))
    return out


def select(entries, machine, kind):
    """The result and verdict entries of `machine` and `kind` (kind None: the kind with the most
    commits). Refuses a listing that mixes machines, or kinds when one was asked for."""
    machines = sorted({e.get("machine") for e in entries})
    if len(machines) > 1:
        raise labdata.LabError("the store listing mixes machines (%s): one trend shows one machine"
                               % ", ".join(map(str, machines)))
    if machines and machines[0] != machine:
        raise labdata.LabError("the store listed machine %s, asked for %s" % (machines[0], machine))
    results = [e for e in entries if e.get("series") == "commits" and e.get("type") == "result"]
    asked = kind
    if kind is None:
        counts = collections.Counter(e.get("kind") for e in results)
        if not counts:
            raise labdata.LabError("no per-commit results stored for machine %s (series commits)" % machine)
        kind = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] != "full"))[0][0]
    kinds = sorted({str(e.get("kind")) for e in entries if e.get("series") == "commits"})
    if asked and len(kinds) > 1:
        raise labdata.LabError("the store listing holds run kinds %s: quick and full are never mixed (--kind)"
                               % ", ".join(kinds))
    if kind not in kinds:
        raise labdata.LabError("no per-commit %s results stored for machine %s" % (kind, machine))
    verdicts = [e for e in entries if e.get("series") == "commits" and e.get("type") == "verdict"
                and e.get("kind") == kind]
    return kind, [e for e in results if e.get("kind") == kind], verdicts


def build(args):
    workspace = labdata.workspace_root()
    root = labdata.user_path(args.root) if args.root else None
    if args.machine and not re.fullmatch("[0-9a-f]{16}", args.machine):
        raise labdata.LabError("--machine: '%s' is not a fingerprint (16 lowercase hex digits)" % args.machine)
    machine, aliases = labdata.fingerprints_of(args.machine, root=root)
    cmd = ["list", "--json", "--series", "commits", "--machine", machine]
    if args.kind:
        cmd += ["--kind", args.kind]
    listing = labdata.store(*cmd, root=root)
    if not isinstance(listing, list):
        raise labdata.LabError("store list --json: expected a JSON array")
    kind, results, verdicts = select(listing, machine, args.kind)
    if not results:
        raise labdata.LabError("no per-commit %s results stored for machine %s" % (kind, machine))
    gates = {}
    for v in verdicts:
        base = os.path.basename(v["path"])
        if base.endswith(".gate.json"):
            gates[base[:-len(".gate.json")]] = v["path"]
    loaded = {}
    for e in results:
        r = labdata.load_result(e["path"])
        # A v1 file records no run kind: the migration filed it by its grid, so its place decides.
        run_kind = kind if r.get("schema_version") == 1 else r["run_kind"]
        if r["machine"]["fingerprint"] not in aliases or run_kind != kind:
            raise labdata.LabError("%s: machine %s, run kind %s: not the selection (%s, %s); never mixed" % (
                e["path"], r["machine"]["fingerprint"], run_kind, machine, kind))
        if r["commit"] in loaded:
            raise labdata.LabError("%s: commit %s is stored twice (also %s)" % (e["path"], r["commit"],
                                                                               loaded[r["commit"]][0]["path"]))
        loaded[r["commit"]] = (e, r)
    order = git_order(workspace)
    on_head = [(sha, date) for sha, date in order if sha in loaded]
    rest = sorted((sha for sha in loaded if sha not in dict(order)), key=lambda s: loaded[s][1]["started_at"])
    entries = []
    for sha, date in on_head + [(s, None) for s in rest]:
        e, r = loaded[sha]
        reused = e.get("reused_from") or (r.get("reused_from") or {}).get("commit")
        gate_path = gates.get(sha)
        verdict = None
        if gate_path:
            try:
                with open(gate_path) as f:
                    verdict = json.load(f)
            except (OSError, ValueError) as err:
                raise labdata.LabError("%s: cannot read the gate verdict (%s)" % (gate_path, err))
            if not isinstance(verdict, dict) or not isinstance(verdict.get("points"), list):
                raise labdata.LabError("%s: points: missing (not a gate --json verdict)" % gate_path)
        d = date or r["started_at"][:10]
        tick = "%s\n%s" % (sha[:8], d) + ("" if date else "\nnot on HEAD") + ("\nreused" if reused else "")
        entries.append({"commit": sha, "date": d, "on_head": date is not None, "tick": tick, "result": r,
                        "path": e["path"], "shipped": report.shipped_variant(r), "reused_from": reused,
                        "gate_path": gate_path, "verdict": verdict})
    if args.out:
        out = labdata.user_path(args.out)
    else:
        out = os.path.join(workspace, "reports", "out", "trend", "%s-%s" % (machine, kind))
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, "trend.html")):
        raise labdata.LabError("%s: not empty and not a trend directory (no trend.html): its *.png would be "
                               "deleted; choose another --out" % out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise labdata.LabError("%s: not a directory" % out)
    return report.build_commit_trend(entries, out, machine, kind, changepoint.change_points)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--machine", help="machine fingerprint (default: this machine, from `store machine`)")
    ap.add_argument("--kind", choices=labdata.RUN_KINDS, help="run kind (default: the kind with the most commits)")
    ap.add_argument("--root", help="store root (default: the store's own: $HAKMEM_LAB_BASELINES or baselines/)")
    ap.add_argument("--out", help="output directory (default reports/out/trend/<machine>-<kind>/ in the tree)")
    args = ap.parse_args(argv)
    index, pngs = build(args)
    for p in pngs:
        print(p)
    print("report: %s" % index)
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "trend")
