#!/usr/bin/env python3
"""Binary search for the first state or commit the gate calls a regression.

  bazel run //tools:bisect -- --good phase7 --bad e2 [--quick] [--no-cache]      history states
  bazel run //tools:bisect -- --good f7_fix3 --bad f7_broken                      the Findings' plan undone
  bazel run //tools:bisect -- --good SHA --bad SHA [--quick] [--no-timing]        real commits

Commits (anything git resolves that is not a state name): see tools/bisect_commits.py. Each
probe is `//ci:gate --base GOOD --head COMMIT`; the first bad commit is printed with its subject
and the gate's root-cause report of that step.

Each probe runs //ci:gate with --base-config GOOD --head-config STATE (measured interleaved on
this machine) and counts exit 1 as bad. Fast-path budgets are absolute and older states never met
them, so probes judge throughput and instruction growth relative to GOOD only. Probe verdicts are
cached in the result store's bisect series of this machine and run kind
(`store path --series bisect --kind full|quick --name <good>__<state>`; commit ids of both in the
file). Ctrl-C stops the gate, removes temporary files and exits 130.
States come from allocator/variants.bzl: the two must lie on one replayed branch (REPLAY), and
the search walks that branch from good to bad, backwards when good comes later (f7_fix3 ..
f7_broken: which fix of the Findings' plan, undone, is the first the gate calls a regression).
"""
import argparse
import json
import os
import subprocess
import sys

import bisect_commits
import labdata
import variants as variants_mod


def log(msg):
    print("bisect: " + msg, file=sys.stderr, flush=True)


def cache_path(good, state, args):
    return labdata.store("path", "--series", "bisect", "--kind", "quick" if args.quick else "full",
                         "--name", "%s__%s" % (good["name"], state["name"]))


def probe(good, state, args):
    cache = cache_path(good, state, args)
    if not args.no_cache and os.path.exists(cache):
        with open(cache) as f:
            verdict = json.load(f)
        log("%s: cached verdict (%s)" % (state["name"], verdict["headline"]))
        return verdict
    out = labdata.temp_path(prefix="hakmem-bisect-", suffix=".json")
    cmd = [labdata.runfile("ci/gate"), "--base-config", good["name"], "--head-config", state["name"],
           "--no-budgets", "--json", out]
    if args.quick:
        cmd.append("--quick")
    log("probing %s (%s) against %s" % (state["name"], state["commit"], good["name"]))
    labdata.set_interrupt_message("interrupted while probing %s; no verdict stored for it" % state["name"])
    proc = labdata.run(cmd, stdout=subprocess.DEVNULL)
    if proc.returncode not in (0, 1):
        labdata.remove_temp(out)
        raise labdata.LabError("the gate failed while probing %s (exit %d, see above)" % (state["name"], proc.returncode))
    with open(out) as f:
        verdict = json.load(f)
    labdata.remove_temp(out)
    verdict["good_commit"], verdict["state_commit"] = good["commit"], state["commit"]
    labdata.write_atomic(cache, json.dumps(verdict, indent=1) + "\n")
    return verdict


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--good", required=True, help="a state (e.g. phase7) or a commit known good")
    ap.add_argument("--bad", required=True, help="a later state (e.g. e2) or a descendant commit known bad")
    ap.add_argument("--quick", action="store_true", help="CI-sized gate runs")
    ap.add_argument("--no-timing", action="store_true",
                    help="commits only: judge instructions/op, memory and fast-path budgets, not time (fast, exact)")
    ap.add_argument("--no-cache", action="store_true", help="measure every probe again")
    args = ap.parse_args(argv)
    data = variants_mod.load()
    names = [v["name"] for v in variants_mod.replayed(data)]
    if args.good not in names and args.bad not in names:
        return bisect_commits.bisect(args)
    if args.no_timing:
        raise labdata.LabError("--no-timing goes with commits, not history states")
    for which in (args.good, args.bad):
        if which not in names:
            raise labdata.LabError("unknown state '%s'; the replayed states are: %s" % (which, " ".join(names)))
    if args.good == args.bad:
        raise labdata.LabError("--good and --bad are the same state (%s)" % args.good)
    on = [(br, c) for br, _, c in variants_mod.chains(data)
          if args.good in [v["name"] for v in c] and args.bad in [v["name"] for v in c]]
    if not on:
        raise labdata.LabError("%s and %s lie on no one branch; the branches are: %s" % (
            args.good, args.bad, "; ".join("%s: %s" % (br, " ".join(v["name"] for v in c))
                                           for br, _, c in variants_mod.chains(data))))
    br, chain = on[0]
    states = variants_mod.bisect_segment(chain, args.good, args.bad)
    if br == "e" and [v["name"] for v in chain].index(args.good) > [v["name"] for v in chain].index(args.bad):
        raise labdata.LabError("--good (%s) must come before --bad (%s) in the history" % (args.good, args.bad))
    log("branch %s, order: %s" % (br, " -> ".join(v["name"] for v in states)))
    lo, hi = 0, len(states) - 1
    good = states[lo]
    verdicts = {}
    bad_v = probe(good, states[hi], args)
    verdicts[hi] = bad_v
    if bad_v["exit_code"] != 1:
        raise labdata.LabError("%s does not regress against %s here (%s): nothing to bisect" % (
            args.bad, args.good, bad_v["headline"]))
    steps = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        v = probe(good, states[mid], args)
        verdicts[mid] = v
        steps += 1
        if v["exit_code"] == 1:
            hi = mid
        else:
            lo = mid
    culprit, v = states[hi], verdicts[hi]
    print("first bad state: %s (%s, %s): %s" % (culprit["name"], culprit["commit"], culprit["date"], culprit["title"]))
    print("last good state: %s (%s)" % (states[lo]["name"], states[lo]["commit"]))
    print("evidence (gate, %s -> %s): %s" % (args.good, culprit["name"], v["headline"]))
    for p in v["points"]:
        if p["time"] == "REGRESSION" or p["instructions"] == "REGRESSION":
            print("  %-26s x%.3f  p=%.4f  time %s, instructions %s -> %s" % (
                p["point"], p["ratio"], p["p_value"], p["time"], p.get("base_instructions_per_op"),
                p.get("head_instructions_per_op")))
    causes = (v.get("root_cause") or {}).get("causes") or []
    if causes:
        print("root cause (the gate's differential profile, %s -> %s):" % (args.good, culprit["name"]))
        for c in causes:
            print("  " + c)
    print("(%d probe(s) after checking --bad; verdicts cached in %s)" % (
        steps, os.path.dirname(cache_path(good, culprit, args))))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "bisect")
