#!/usr/bin/env python3
"""Replays the seeds' history: Phase 7 -> E1 -> E2 -> E3, measured here.

  bazel run //tools:history              every state, interleaved; gate each step; report
  bazel run //tools:history -- --quick   CI-sized
  bazel run //tools:history -- --remeasure

The states and their order come from allocator/variants.bzl. Each state is measured by the sweep
with all states interleaved, stored as baselines/history/<machine>/<commit>.json (a state already
measured on this machine is reused unless --remeasure), gated against the state before it
(//ci:gate on the two files), searched for change points from the numbers alone, and drawn
into reports/out/index.html.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import changepoint  # noqa: E402
import labdata  # noqa: E402
import variants as variants_mod  # noqa: E402


def log(msg):
    print("history: " + msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, **kw)


def split_by_variant(result):
    """One result with several variants -> {variant: result with that variant only}."""
    out = {}
    for v in result["variants"]:
        r = dict(result)
        r["variants"] = [v]
        r["points"] = [p for p in result["points"] if p["variant"] == v["name"]]
        r["fastpath_instructions"] = {k: x for k, x in result.get("fastpath_instructions", {}).items() if k == v["name"]}
        out[v["name"]] = r
    return out


def route_mix(state, cycles):
    """Free-route counters of bench_random_mixed.<state>.stats (HAKMEM_STATS_DUMP)."""
    binary = labdata.runfile("harness/bench_random_mixed.%s.stats" % state)
    fd, path = tempfile.mkstemp(prefix="hakmem-routes-")
    os.close(fd)
    os.unlink(path)
    env = dict(os.environ, HAKMEM_STATS_DUMP=path)
    run([binary, str(cycles), "1024", "1234567", "--expect", "hakmem"], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(path) as f:
        line = f.read().strip()
    os.unlink(path)
    return json.loads(line.split(" ", 1)[1])


def gate(base_file, head_file):
    """The gate on two stored states. Fast-path budgets are absolute limits for today's tree,
    which no historical state meets: history steps are judged relative to the state before."""
    fd, verdict = tempfile.mkstemp(prefix="hakmem-gate-", suffix=".json")
    os.close(fd)
    proc = run([labdata.runfile("ci/gate"), "--base-result", base_file, "--head-result", head_file, "--json", verdict,
                "--no-budgets"], capture_output=True, text=True)
    if proc.returncode == 2:
        raise labdata.LabError("gate failed on %s -> %s: %s" % (base_file, head_file, proc.stderr.strip()))
    with open(verdict) as f:
        data = json.load(f)
    os.unlink(verdict)
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true", help="CI-sized grid and rounds")
    ap.add_argument("--remeasure", action="store_true", help="measure every state again, even if stored")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5, quick 5)")
    ap.add_argument("--workloads", default=None,
                    help="sweep workloads (default random_mixed,size_sweep; --quick: random_mixed)")
    ap.add_argument("--no-report", action="store_true", help="do not draw reports/out")
    args = ap.parse_args(argv)
    if args.rounds is not None and args.rounds < 3:
        raise labdata.LabError("--rounds must be at least 3 (the gate's test needs samples)")
    start = time.time()
    root = labdata.workspace_root()
    data = variants_mod.load()
    states = [v for v in data["VARIANTS"] if v.get("history", True)]
    m = labdata.this_machine()
    # Quick runs are stored apart: they must never replace (or be mistaken for) a full run.
    store = os.path.join(root, "baselines", "history", m["fingerprint"], *(["quick"] if args.quick else []))
    workloads = args.workloads or ("random_mixed" if args.quick else "random_mixed,size_sweep")
    os.makedirs(store, exist_ok=True)
    files = {v["name"]: os.path.join(store, "%s.json" % v["commit"]) for v in states}

    peers = [p for p in data["IMPLS"] if p != "hakmem"]
    peers_file = os.path.join(store, "peers.json")  # the same workloads on glibc, mimalloc, ...
    todo = [v["name"] for v in states if args.remeasure or not os.path.exists(files[v["name"]])]
    if args.remeasure or not os.path.exists(peers_file):
        todo += peers
    reused = [v["name"] for v in states if v["name"] not in todo]
    if reused:
        log("reusing stored measurements of this machine for: %s (--remeasure to redo)" % ", ".join(reused))
    if todo:
        log("measuring %d state(s), interleaved: %s" % (len(todo), ", ".join(todo)))
        fd, out = tempfile.mkstemp(prefix="hakmem-history-", suffix=".json")
        os.close(fd)
        cmd = [labdata.runfile("harness/sweep"), "--variants", ",".join(todo), "--workloads", workloads,
               "--rounds", str(args.rounds or 5), "--instructions", "--out", out]
        if args.quick:
            cmd.append("--quick")
        proc = run(cmd, stdout=subprocess.DEVNULL)  # progress goes to stderr
        if proc.returncode != 0:
            raise labdata.LabError("the sweep failed (exit %d); nothing was stored" % proc.returncode)
        result = labdata.load_result(out)
        os.unlink(out)
        parts = split_by_variant(result)
        for name, r in parts.items():
            if name in files:
                labdata.write_atomic(files[name], json.dumps(r, indent=1) + "\n")
        if any(p in parts for p in peers):
            merged = dict(result)
            merged["variants"] = [v for v in result["variants"] if v["name"] in peers]
            merged["points"] = [p for p in result["points"] if p["variant"] in peers]
            merged["fastpath_instructions"] = {k: x for k, x in result.get("fastpath_instructions", {}).items()
                                               if k in peers}
            labdata.write_atomic(peers_file, json.dumps(merged, indent=1) + "\n")
    results = {v["name"]: labdata.load_result(files[v["name"]]) for v in states}

    # Route mix of every state (stats=on builds), for the report.
    routes = {}
    for v in states:
        routes[v["name"]] = route_mix(v["name"], 300000 if args.quick else 2000000)
    labdata.write_atomic(os.path.join(store, "routes.json"), json.dumps(routes, indent=1) + "\n")

    # Gate every step against the one before.
    steps = []
    for prev, cur in zip(states, states[1:]):
        steps.append({"from": prev, "to": cur, "verdict": gate(files[prev["name"]], files[cur["name"]])})

    # Change points from the series alone: the geometric mean over random_mixed points.
    def headline(name):
        pts = [p for p in results[name]["points"] if p["workload"] == "random_mixed"]
        prod = 1.0
        for p in pts:
            prod *= p["median"]
        return prod ** (1.0 / len(pts))
    series = [headline(v["name"]) for v in states]
    cps = changepoint.change_points(series)

    # Summary.
    print("\nstate           commit       date        random_mixed (geo-mean)   vs previous   gate")
    for i, v in enumerate(states):
        line = "%-15s %-12s %-11s %10.1fM ops/s" % (v["name"], v["commit"], v["date"], series[i] / 1e6)
        if i > 0:
            s = steps[i - 1]["verdict"]
            line += "     x%.2f       %-24s %d better" % (series[i] / series[i - 1], s["headline"].split(" (")[0],
                                                        s["improvements"])
        if i in cps:
            line += "   <- change point"
        print(line)
    regressed = [s for s in steps if s["verdict"]["exit_code"] == 1]
    recovered = [s for s in steps if s["verdict"]["exit_code"] == 0 and s["verdict"]["improvements"] > 0
                 and series[states.index(s["to"])] > series[states.index(s["from"])] * 1.05]
    print()
    for s in regressed:
        i = states.index(s["to"])
        print("REGRESSED  %s (%s, %s): x%.2f vs %s; %d gate regression(s)" % (
            s["to"]["name"], s["to"]["commit"], s["to"]["title"], series[i] / series[i - 1], s["from"]["name"],
            s["verdict"]["regressions"]))
    for s in recovered:
        i = states.index(s["to"])
        print("RECOVERED  %s (%s, %s): x%.2f vs %s" % (s["to"]["name"], s["to"]["commit"], s["to"]["title"],
                                                     series[i] / series[i - 1], s["from"]["name"]))
    print("change points (from the series alone): %s" % (", ".join(
        "%s -> %s" % (states[i - 1]["name"], states[i]["name"]) for i in cps) or "none"))
    summary = {"machine": m, "states": [v["name"] for v in states], "headline_ops": series,
               "change_points": [states[i]["name"] for i in cps],
               "steps": [{"from": s["from"]["name"], "to": s["to"]["name"], "verdict": s["verdict"]} for s in steps]}
    labdata.write_atomic(os.path.join(store, "summary.json"), json.dumps(summary, indent=1) + "\n")
    print("baselines: %s" % store)

    if not args.no_report:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reports"))
        import report  # noqa: E402
        index = report.build_history_report(store, states, results, routes, summary,
                                            os.path.join(root, "reports", "out"), labdata.load_result(peers_file))
        print("report: %s" % index)
    print("history: done in %.0fs" % (time.time() - start))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "history")
