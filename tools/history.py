#!/usr/bin/env python3
"""Replays the seeds' history: Phase 7 -> E1 -> E2 -> E3, measured here.

  bazel run //tools:history              every state, interleaved; gate each step; report
  bazel run //tools:history -- --quick   CI-sized
  bazel run //tools:history -- --remeasure

The states and their order come from allocator/variants.bzl. Each state is measured by the sweep
with all states interleaved and stored in the result store's history series of this machine and
run kind (`store path --series history --kind full|quick --name <state commit>`; a state already
measured on this machine is reused unless --remeasure), gated against the state before it
(//ci:gate on the two files), searched for change points from the numbers alone, and drawn into
reports/out/index.html (--quick: reports/out/quick/index.html; a quick run never replaces the
full page). Ctrl-C stops the sweep and the gate, removes temporary files and exits 130.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import changepoint
import claims
import labdata
import report
import variants as variants_mod


def log(msg):
    print("history: " + msg, file=sys.stderr, flush=True)


run = labdata.run  # every child in its own process group, stopped on Ctrl-C (labdata.run_main)


def split_by_variant(result):
    """One result with several variants -> {variant: result with that variant only}."""
    out = {}
    for v in result["variants"]:
        r = dict(result)
        r["variants"] = [v]
        r["points"] = [p for p in result["points"] if p["variant"] == v["name"]]
        r["fastpath_instructions"] = {k: x for k, x in result.get("fastpath_instructions", {}).items() if k == v["name"]}
        if "benchmarks" in result:  # v2: Google Benchmark entries named <variant>/<workload>/<label>
            r["benchmarks"] = [b for b in result["benchmarks"] if b.get("name", "").split("/", 1)[0] == v["name"]]
        out[v["name"]] = r
    return out


def route_mix(state, cycles):
    """Free-route counters of bench_random_mixed.<state>.stats (HAKMEM_STATS_DUMP)."""
    binary = labdata.runfile("harness/bench_random_mixed.%s.stats" % state)
    path = labdata.temp_path(prefix="hakmem-routes-")
    env = dict(os.environ, HAKMEM_STATS_DUMP=path)
    proc = run([binary, str(cycles), "1024", "1234567", "--expect", "hakmem"], env=env, stdout=subprocess.DEVNULL)
    if proc.returncode != 0:
        labdata.remove_temp(path)
        raise labdata.LabError("bench_random_mixed.%s.stats failed (exit %d)" % (state, proc.returncode))
    with open(path) as f:
        line = f.read().strip()
    labdata.remove_temp(path)
    return json.loads(line.split(" ", 1)[1])


def gate(base_file, head_file):
    """The gate on two stored states. Fast-path budgets are absolute limits for today's tree,
    which no historical state meets: history steps are judged relative to the state before."""
    verdict = labdata.temp_path(prefix="hakmem-gate-", suffix=".json")
    proc = run([labdata.runfile("ci/gate"), "--base-result", base_file, "--head-result", head_file, "--json", verdict,
                "--no-budgets"], capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        labdata.remove_temp(verdict)
        raise labdata.LabError("gate failed on %s -> %s: %s" % (base_file, head_file,
                                                                (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]))
    with open(verdict) as f:
        data = json.load(f)
    labdata.remove_temp(verdict)
    return data


def put(result, name, replace):
    """Stores one result in this machine's history series through the store (kind = its run_kind)."""
    tmp = labdata.temp_path(prefix="hakmem-history-put-", suffix=".json")
    with open(tmp, "w") as f:
        f.write(json.dumps(result, indent=1) + "\n")
    try:
        return labdata.store("put", tmp, "--series", "history", "--name", name, *(["--replace"] if replace else []))
    finally:
        labdata.remove_temp(tmp)


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
    # Quick runs are stored apart (the store's kind): they never replace, or pass for, a full run.
    kind = "quick" if args.quick else "full"

    def path_of(name):
        return labdata.store("path", "--series", "history", "--kind", kind, "--name", name)
    workloads = args.workloads or ("random_mixed" if args.quick else "random_mixed,size_sweep")
    files = {v["name"]: path_of(v["commit"]) for v in states}

    peers = [p for p in data["IMPLS"] if p != "hakmem"]
    peers_file = path_of("peers")  # the same workloads on glibc, mimalloc, ...
    todo = [v["name"] for v in states if args.remeasure or not os.path.exists(files[v["name"]])]
    if args.remeasure or not os.path.exists(peers_file):
        todo += peers
    reused = [v["name"] for v in states if v["name"] not in todo]
    if reused:
        log("reusing stored measurements of this machine for: %s (--remeasure to redo)" % ", ".join(reused))
    if todo:
        log("measuring %d state(s), interleaved: %s" % (len(todo), ", ".join(todo)))
        labdata.set_interrupt_message("interrupted; nothing stored for the states being measured (%s)" % ", ".join(todo))
        out = labdata.temp_path(prefix="hakmem-history-", suffix=".json")
        cmd = [labdata.runfile("harness/sweep"), "--variants", ",".join(todo), "--workloads", workloads,
               "--rounds", str(args.rounds or 5), "--instructions", "--out", out]
        if args.quick:
            cmd.append("--quick")
        proc = run(cmd, stdout=subprocess.DEVNULL)  # progress goes to stderr
        if proc.returncode != 0:
            labdata.remove_temp(out)
            raise labdata.LabError("the sweep failed (exit %d); nothing was stored" % proc.returncode)
        result = labdata.load_result(out)
        labdata.remove_temp(out)
        if result["run_kind"] != kind:
            raise labdata.LabError("the sweep wrote run_kind '%s' for a %s run; nothing was stored" % (
                result["run_kind"], kind))
        labdata.set_interrupt_message("interrupted while storing the measurements of %s: some may be stored, "
                                      "each entry whole or not at all" % ", ".join(todo))
        parts = split_by_variant(result)
        commits = {v["name"]: v["commit"] for v in states}
        for name, r in parts.items():
            if name in commits:
                put(r, commits[name], args.remeasure)
        if any(p in parts for p in peers):
            merged = dict(result)
            merged["variants"] = [v for v in result["variants"] if v["name"] in peers]
            merged["points"] = [p for p in result["points"] if p["variant"] in peers]
            merged["fastpath_instructions"] = {k: x for k, x in result.get("fastpath_instructions", {}).items()
                                               if k in peers}
            if "benchmarks" in result:
                merged["benchmarks"] = [b for b in result["benchmarks"]
                                        if b.get("name", "").split("/", 1)[0] in peers]
            put(merged, "peers", args.remeasure or os.path.exists(peers_file))
    labdata.set_interrupt_message("interrupted after the measurements were stored; routes, gate verdicts, "
                                  "summary and report of this run are not written")
    results = {v["name"]: labdata.load_result(files[v["name"]]) for v in states}

    # Route mix of every state (stats=on builds), for the report.
    routes = {}
    for v in states:
        routes[v["name"]] = route_mix(v["name"], 300000 if args.quick else 2000000)
    labdata.write_atomic(path_of("routes"), json.dumps(routes, indent=1) + "\n")

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
            line += "     x%.2f       %s" % (series[i] / series[i - 1], report.points_headline(s))
        if i in cps:
            line += "   <- change point"
        print(line)
    regressed = [s for s in steps if s["verdict"]["exit_code"] == 1]
    recovered = [s for s in steps if s["verdict"]["exit_code"] == 0 and s["verdict"]["improvements"] > 0
                 and series[states.index(s["to"])] > series[states.index(s["from"])] * 1.05]
    print()
    for s in regressed:
        i = states.index(s["to"])
        print("REGRESSED  %s (%s, %s): x%.2f vs %s; %s" % (
            s["to"]["name"], s["to"]["commit"], s["to"]["title"], series[i] / series[i - 1], s["from"]["name"],
            report.points_headline(s["verdict"])))
    for s in recovered:
        i = states.index(s["to"])
        print("RECOVERED  %s (%s, %s): x%.2f vs %s" % (s["to"]["name"], s["to"]["commit"], s["to"]["title"],
                                                     series[i] / series[i - 1], s["from"]["name"]))
    print("change points (from the series alone): %s" % (", ".join(
        "%s -> %s" % (states[i - 1]["name"], states[i]["name"]) for i in cps) or "none"))
    summary = {"machine": m, "states": [v["name"] for v in states], "headline_ops": series,
               "change_points": [states[i]["name"] for i in cps],
               "steps": [{"from": s["from"]["name"], "to": s["to"]["name"], "verdict": s["verdict"]} for s in steps]}
    summary_file = path_of("summary")
    labdata.write_atomic(summary_file, json.dumps(summary, indent=1) + "\n")
    store = os.path.dirname(summary_file)
    print("baselines: %s" % store)

    if not args.no_report:
        labdata.set_interrupt_message("interrupted while drawing the report; everything measured is stored")
        out_dir = report.history_out_dir(root, kind)
        peers = labdata.load_result(peers_file) if os.path.exists(peers_file) else None
        # The seeds' claims held against what was just measured (reports/claims.json).
        measured = dict(results, **({"peers": peers} if peers is not None else {}))
        claims_data = claims.load_claims()
        rows = claims.evaluate(claims_data, claims.measurements_from_history(measured, routes))
        print(claims.summary_line(rows))
        index = report.build_history_report(
            store, states, results, routes, summary, out_dir, peers,
            claims.render_html(rows, "The seeds' claims against this run (reports/claims.json)",
                               claims_data.get("contradictions")))
        print("report: %s" % index)
    print("history: done in %.0fs" % (time.time() - start))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "history")
