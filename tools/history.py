#!/usr/bin/env python3
"""Replays the seeds' history: Phase 7 -> E1 -> E2 -> E3 and the Findings' fix plan, measured here.

  bazel run //tools:history              every state, interleaved; gate each step; report
  bazel run //tools:history -- --quick   CI-sized
  bazel run //tools:history -- --remeasure

The branches, their states and order come from allocator/variants.bzl (REPLAY): the E history
(phase7 .. e3), the Findings branch (phase7 -> f7_broken -> f7_fix1 -> f7_fix2 -> f7_fix3) and
"beyond", the lab's own steps after the release build (e3_safe -> x3_large -> x3_spill -> x4_map
-> x5_arena -> x5_arena_mid -> x7_mid_tcache). A branch whose REPLAY entry names `workloads` (beyond: the gate's cross-thread,
memory and medium workloads) is measured in a sweep of its own with the peers, and its page
section compares every point with the best peer. Every other state is measured by one sweep with all states interleaved and stored in
the result store's history series of this machine and run kind (`store path --series history
--kind full|quick --name <name>`: an E state by its commit, a Findings state by its name; a state
already measured on this machine is reused unless --remeasure). Each step is gated against the
state before it (//ci:gate on the two files), each branch is bisected between its REPLAY pair on
the stored measurements (the gate against good as the oracle; no new measurement), searched for
change points from the numbers alone, and drawn into reports/out/index.html (--quick:
reports/out/quick/index.html; a quick run never replaces the full page). Ctrl-C stops the sweep
and the gate, removes temporary files and exits 130.
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
import stages
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
    counters = json.loads(line.split(" ", 1)[1])
    counters.pop("pid", None)  # the dump's process id: it changed the stored file at every run
    return counters


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


def bisect_stored(segment, gate_of):
    """Binary search for the first state of `segment` (good first, bad last) whose gate verdict
    against good is a regression, on stored measurements. gate_of(a, b) -> verdict. Returns
    {"good", "bad", "culprit", "last_good", "probes": [{"state", "exit_code", "headline"}],
    "verdict": the culprit's verdict against good} or, when bad does not regress against good,
    culprit None."""
    good = segment[0]["name"]
    probes = []

    def probe(i):
        v = gate_of(good, segment[i]["name"])
        probes.append({"state": segment[i]["name"], "exit_code": v["exit_code"], "headline": v["headline"]})
        return v
    out = {"good": good, "bad": segment[-1]["name"], "order": [v["name"] for v in segment], "probes": probes}
    verdicts = {len(segment) - 1: probe(len(segment) - 1)}
    if verdicts[len(segment) - 1]["exit_code"] != 1:
        return dict(out, culprit=None, last_good=None, verdict=verdicts[len(segment) - 1])
    lo, hi = 0, len(segment) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        verdicts[mid] = probe(mid)
        if verdicts[mid]["exit_code"] == 1:
            hi = mid
        else:
            lo = mid
    return dict(out, culprit=segment[hi]["name"], last_good=segment[lo]["name"], verdict=verdicts[hi])


def put(result, name, replace):
    """Stores one result in this machine's history series through the store (kind = its run_kind)."""
    tmp = labdata.temp_path(prefix="hakmem-history-put-", suffix=".json")
    with open(tmp, "w") as f:
        f.write(json.dumps(result, indent=1) + "\n")
    try:
        return labdata.store("put", tmp, "--series", "history", "--name", name, *(["--replace"] if replace else []))
    finally:
        labdata.remove_temp(tmp)

def sweep_groups(data, workloads, quick):
    """The interleaved sweeps a replay runs: one ("seeds") for every branch without workloads of its own
    (their states together, over `workloads`), and one per branch whose REPLAY entry names its own
    `workloads` (its chain, fork point included, over those). A state is in exactly one group
    (tools/variants.py refuses a chain state shared across groups). [{"name", "states",
    "workloads", "peers_name"}]"""
    shared, own = [], []
    for br, cfg, chain in variants_mod.chains(data):
        if cfg.get("workloads"):
            own.append({"name": br, "states": chain, "workloads": cfg["workloads"], "peers_name": "peers__" + br})
        else:
            shared += [v for v in chain if v not in shared]
    names = {v["name"] for v in shared}
    shared = [v for v in data["VARIANTS"] if v["name"] in names]  # VARIANTS order, as before
    groups = [{"name": "seeds", "states": shared, "workloads": workloads, "peers_name": "peers"}] if shared else []
    return groups + own


def missing_workloads(path, workloads):
    """The workloads of the comma list `workloads` that the stored result at `path` has no point of."""
    with open(path) as f:
        have = {p.get("workload") for p in json.load(f).get("points", [])}
    return [w for w in workloads.split(",") if w and w not in have]


def measure_group(group, files, peers_file, peers, kind, args):
    """Measures the states of one sweep group (and the peers) interleaved and stores them, unless
    all are stored already (a state missing makes all of them be measured again: steps are never
    judged between runs from different hours). Returns whether anything was measured."""
    states = group["states"]
    remeasure = args.remeasure
    todo = [v["name"] for v in states if remeasure or not os.path.exists(files[v["name"]])]
    # A stored state without points of a workload the group sweeps now (a branch that added one)
    # would be judged on fewer points without a word: it is measured again, and so the whole group.
    for v in states:
        lack = [] if v["name"] in todo else missing_workloads(files[v["name"]], group["workloads"])
        if lack:
            log("%s: %s is stored without %s" % (group["name"], v["name"], ",".join(lack)))
            todo.append(v["name"])
    if todo and len(todo) < len(states):
        # Steps are judged between states measured interleaved in one run: a new state measured
        # alone, beside stored ones from another hour, would carry this host's drift into a step.
        log("%s: to measure (not stored, or stored without a workload): %s; measuring every state of "
            "the sweep again so that all are one interleaved run" % (group["name"], ", ".join(todo)))
        todo = [v["name"] for v in states]
        remeasure = True
    if remeasure or not os.path.exists(peers_file) or missing_workloads(peers_file, group["workloads"]):
        todo += peers
    reused = [v["name"] for v in states if v["name"] not in todo]
    if reused:
        log("%s: reusing stored measurements of this machine for: %s (--remeasure to redo)" % (
            group["name"], ", ".join(reused)))
    if not todo:
        return False
    log("%s: measuring %d state(s) and peer(s), interleaved, over %s: %s" % (
        group["name"], len(todo), group["workloads"], ", ".join(todo)))
    labdata.set_interrupt_message("interrupted; nothing stored for the states being measured (%s)" % ", ".join(todo))
    out = labdata.temp_path(prefix="hakmem-history-", suffix=".json")
    cmd = [labdata.runfile("harness/sweep"), "--variants", ",".join(todo), "--workloads", group["workloads"],
           "--rounds", str(args.rounds or 5), "--instructions", "--out", out]
    if args.quick:
        cmd.append("--quick")
    proc = run(cmd, stdout=subprocess.DEVNULL)  # progress goes to stderr
    if proc.returncode != 0:
        labdata.remove_temp(out)
        raise labdata.LabError("the sweep failed (exit %d); nothing was stored" % proc.returncode)
    result = labdata.load_result(out)
    if result["run_kind"] != kind:
        labdata.remove_temp(out)
        raise labdata.LabError("the sweep wrote run_kind '%s' for a %s run; nothing was stored" % (
            result["run_kind"], kind))
    # From here on the sweep's file is kept until everything is stored: a store that refuses an
    # entry must not cost the run (a whole group's sweep takes 10+ minutes).
    labdata.forget_temp(out)
    labdata.set_interrupt_message("interrupted while storing the measurements of %s: some may be stored, "
                                  "each entry whole or not at all; the sweep's result is kept at %s" % (
                                      ", ".join(todo), out))
    try:
        store_group(result, states, files, peers, peers_file, group["peers_name"], remeasure)
    except (labdata.LabError, OSError) as e:
        raise labdata.LabError("%s; the sweep's result is kept at %s" % (e, out))
    os.unlink(out)
    return True


def store_group(result, states, files, peers, peers_file, peers_name, remeasure):
    """Stores a group's sweep: one entry per state, one for the peers. A state measured again
    replaces its stored entry (one lacking a workload, or every state of a group measured again
    because one was missing: the store refuses to overwrite unless told)."""
    parts = split_by_variant(result)
    commits = {v["name"]: variants_mod.store_name(v) for v in states}
    for name, r in parts.items():
        if name in commits:
            put(r, commits[name], remeasure or os.path.exists(files[name]))
    if any(p in parts for p in peers):
        merged = dict(result)
        merged["variants"] = [v for v in result["variants"] if v["name"] in peers]
        merged["points"] = [p for p in result["points"] if p["variant"] in peers]
        merged["fastpath_instructions"] = {k: x for k, x in result.get("fastpath_instructions", {}).items()
                                           if k in peers}
        if "benchmarks" in result:
            merged["benchmarks"] = [b for b in result["benchmarks"]
                                    if b.get("name", "").split("/", 1)[0] in peers]
        put(merged, peers_name, remeasure or os.path.exists(peers_file))


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
    states = variants_mod.replayed(data)  # every state of every replayed branch, once
    branches = variants_mod.chains(data)
    m = labdata.this_machine()
    # Quick runs are stored apart (the store's kind): they never replace, or pass for, a full run.
    kind = "quick" if args.quick else "full"

    def path_of(name):
        return labdata.store("path", "--series", "history", "--kind", kind, "--name", name)
    workloads = args.workloads or ("random_mixed" if args.quick else "random_mixed,size_sweep")
    files = {v["name"]: path_of(variants_mod.store_name(v)) for v in states}
    peers = [p for p in data["IMPLS"] if p != "hakmem"]
    peers_file = path_of("peers")  # the same workloads on glibc, mimalloc, ...
    groups = sweep_groups(data, workloads, args.quick)
    measured = {g["name"]: measure_group(g, files, path_of(g["peers_name"]), peers, kind, args) for g in groups}
    todo = measured.get("seeds", False)  # the stage timings below follow the seeds' states
    labdata.set_interrupt_message("interrupted after the measurements were stored; routes, gate verdicts, "
                                  "summary and report of this run are not written")
    results = {v["name"]: labdata.load_result(files[v["name"]]) for v in states}
    # Each own-workload branch's peers, measured in its sweep ("peers__<branch>", for its page table).
    branch_peers = {g["name"]: labdata.load_result(path_of(g["peers_name"])) for g in groups
                    if g["name"] != "seeds" and os.path.exists(path_of(g["peers_name"]))}

    # Route mix of every state (stats=on builds), for the report.
    routes = {}
    for v in states:
        routes[v["name"]] = route_mix(v["name"], 300000 if args.quick else 2000000)
    labdata.write_atomic(path_of("routes"), json.dumps(routes, indent=1) + "\n")

    # The tiny free path stage by stage (harness/stage_probe, TSC ticks and instructions), for the
    # seeds' per-stage cycle claims; measured with the states, else reused like them.
    stages_file = path_of("stages")
    if todo or not os.path.exists(stages_file):
        log("timing the free path's stages (stage_probe.%s)" % ", stage_probe.".join(stages.STAGE_BUILDS))
        stage_data = stages.measure_and_write(stages_file)
    else:
        with open(stages_file) as f:
            stage_data = json.load(f)

    # Gate every step of every branch against the state before it; bisect each branch between its
    # REPLAY pair on the stored measurements (gate verdicts cached per pair within this run).
    verdict_cache = {}

    def gate_of(a, b):
        if (a, b) not in verdict_cache:
            verdict_cache[(a, b)] = gate(files[a], files[b])
        return verdict_cache[(a, b)]

    # Change points from the series alone: the geometric mean over random_mixed points.
    def headline(name):
        pts = [p for p in results[name]["points"] if p["workload"] == "random_mixed"]
        prod = 1.0
        for p in pts:
            prod *= p["median"]
        return prod ** (1.0 / len(pts))
    summary_branches = []
    for br, cfg, chain in branches:
        steps = [{"from": a["name"], "to": b["name"], "verdict": gate_of(a["name"], b["name"])}
                 for a, b in zip(chain, chain[1:])]
        series = [headline(v["name"]) for v in chain]
        cps = changepoint.change_points(series)
        bis = None
        if cfg.get("bisect"):
            bis = bisect_stored(variants_mod.bisect_segment(chain, *cfg["bisect"]), gate_of)
            if bis["culprit"]:
                # The live bisect's verdict on the same pair (//tools:bisect, measured interleaved
                # with callgrind profiles), if one is stored: its root-cause lines for the page.
                # This run kind's first, else the other's (said so on the page).
                for k in (kind, "full" if kind == "quick" else "quick"):
                    live = labdata.store("path", "--series", "bisect", "--kind", k, "--name",
                                         "%s__%s" % (bis["good"], bis["culprit"]))
                    if os.path.exists(live):
                        with open(live) as f:
                            lv = json.load(f)
                        bis["live"] = {"file": os.path.relpath(live, root), "kind": k, "headline": lv.get("headline"),
                                       "causes": (lv.get("root_cause") or {}).get("causes") or []}
                        break
        summary_branches.append({
            "branch": br, "title": cfg.get("title", br), "states": [v["name"] for v in chain],
            "headline_ops": series, "change_points": [chain[i]["name"] for i in cps], "steps": steps,
            "bisect": bis, "seed_culprit": cfg.get("seed_culprit"), "seed_says": cfg.get("seed_says"),
            "notes": {v["name"]: v["notes"] for v in chain if v.get("notes")}})

        # Summary of the branch.
        by_name = {v["name"]: v for v in chain}
        print("\n%s\nstate           commit         date        random_mixed (geo-mean)   vs previous   gate" % cfg.get("title", br))
        for i, v in enumerate(chain):
            line = "%-15s %-14s %-11s %10.1fM ops/s" % (v["name"], v["commit"], v["date"], series[i] / 1e6)
            if i > 0:
                line += "     x%.2f       %s" % (series[i] / series[i - 1], report.points_headline(steps[i - 1]["verdict"]))
            if i in cps:
                line += "   <- change point"
            print(line)
        for i, st in enumerate(steps):
            ratio = series[i + 1] / series[i]
            to = by_name[st["to"]]
            if st["verdict"]["exit_code"] == 1:
                print("REGRESSED  %s (%s, %s): x%.2f vs %s; %s" % (
                    to["name"], to["commit"], to["title"], ratio, st["from"], report.points_headline(st["verdict"])))
            elif st["verdict"]["improvements"] > 0 and ratio > 1.05:
                print("RECOVERED  %s (%s, %s): x%.2f vs %s" % (to["name"], to["commit"], to["title"], ratio, st["from"]))
        print("change points (from the series alone): %s" % (", ".join(
            "%s -> %s" % (chain[i - 1]["name"], chain[i]["name"]) for i in cps) or "none"))
        if bis is not None:
            if bis["culprit"]:
                print("bisect %s .. %s (stored measurements, %d probe(s)): first bad %s, last good %s; seeds blame %s" % (
                    bis["good"], bis["bad"], len(bis["probes"]), bis["culprit"], bis["last_good"], cfg.get("seed_culprit")))
            else:
                print("bisect %s .. %s: %s does not regress against %s here (%s)" % (
                    bis["good"], bis["bad"], bis["bad"], bis["good"], bis["verdict"]["headline"]))
    e_branch = summary_branches[0]
    summary = {"machine": m, "states": e_branch["states"], "headline_ops": e_branch["headline_ops"],
               "change_points": e_branch["change_points"], "steps": e_branch["steps"], "branches": summary_branches}
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
        rows = claims.evaluate(claims_data, claims.measurements_from_history(measured, routes, stage_data))
        print(claims.summary_line(rows))
        index = report.build_history_report(
            store, branches[0][2], results, routes, summary, out_dir, peers,
            claims.render_html(rows, "The seeds' claims against this run (reports/claims.json)",
                               claims_data.get("contradictions")), claim_rows=rows,
            branch_states={v["name"]: v for v in states}, branch_peers=branch_peers)
        print("report: %s" % index)
    print("history: done in %.0fs" % (time.time() - start))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "history")
