#!/usr/bin/env python3
"""The tiny free path stage by stage (harness/stage_probe), for the history and the seeds' claims.

  bazel run //tools:stages                    table of both builds on stdout
  bazel run //tools:stages -- --json FILE     also the dict measure_stages() returns

stage_probe times each stage of a tiny free alone (header read, TLS push and pop, Phase 7's 1 KiB
alignment check, the page-boundary test and its mincore probe, the ownership map, the registry
lookup, the slow-path classifier) in TSC ticks, median of repeats with an empty loop subtracted,
and counts its instructions under callgrind (harness/stage_probe.cc says how). The registry and
the classifier order are build switches, so it is built per state (STAGE_BUILDS, the targets
//harness:stage_probe.<state>): e3_safe, the release default (hash registry, header-first
classifier), and e2, the E2 document's "current" tree (RB-tree registry, registry-first).

measure_stages() runs each build `rounds` times, the builds interleaved (callgrind only in the
first round: instructions are deterministic), and returns

  {"schema": "hakmem-lab/stages", "version": 1, "clock": ..., "tsc_mhz": ..., "rounds": N,
   "builds": {state: {"variant", "registry_impl", "classify_order", "repeats", "blocks",
                      "registry_superslabs", "baseline": {...}}},
   "stages": {state: {stage: {"cycles": {"median", "min", "max"}, "chained_cycles": {...} or None,
                              "instructions": n, "calls": n}}}}

where a stage's median is the median over the rounds of each run's median, min and max the
extremes over every repeat of every round (numbers as stage_probe wrote them, never invented).
reports/claims.py reads it (the stage_cycles metric) from the history series' stages.json.
"""
import argparse
import json
import statistics
import sys

import labdata

SCHEMA = "hakmem-lab/stages"
STAGE_BUILDS = ("e3_safe", "e2")  # harness/BUILD.bazel's STAGE_PROBE_VARIANTS
DEFAULT_ROUNDS = 3


def run_probe(state, instructions=True, repeats=None, runner=None):
    """One stage_probe.<state> --json run, parsed."""
    cmd = [labdata.runfile("harness/stage_probe.%s" % state), "--json"]
    if not instructions:
        cmd.append("--no-instructions")
    if repeats is not None:
        cmd += ["--repeats", str(repeats)]
    proc = (runner or labdata.run)(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise labdata.LabError("stage_probe.%s failed (exit %d): %s" % (
            state, proc.returncode, (proc.stderr.strip().splitlines() or [""])[-1]))
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as err:
        raise labdata.LabError("stage_probe.%s: not one JSON line (%s)" % (state, err))


def combine(runs):
    """{state: [probe JSON of each round]} -> the measure_stages() dict."""
    out = {"schema": SCHEMA, "version": 1, "clock": None, "tsc_mhz": None, "rounds": 0, "builds": {}, "stages": {}}
    for state, rs in runs.items():
        if not rs:
            continue
        first = rs[0]
        out["clock"] = first["clock"]
        out["tsc_mhz"] = first["tsc_mhz"]
        out["rounds"] = len(rs)
        out["builds"][state] = {k: first[k] for k in ("variant", "registry_impl", "classify_order", "repeats", "blocks",
                                                      "registry_superslabs", "baseline")}
        stages = {}
        for name, s in first["stages"].items():
            entry = {"calls": s["calls"], "instructions": s["instructions"]}
            for form in ("cycles", "chained_cycles"):
                if s.get(form) is None:
                    entry[form] = None
                    continue
                per_round = [r["stages"][name][form] for r in rs]
                entry[form] = {"median": statistics.median(x["median"] for x in per_round),
                               "min": min(x["min"] for x in per_round),
                               "max": max(x["max"] for x in per_round)}
            # Instructions come from the round that counted them (the first).
            entry["instructions"] = next((r["stages"][name]["instructions"] for r in rs
                                          if r["stages"][name].get("instructions") is not None), None)
            stages[name] = entry
        out["stages"][state] = stages
    return out


def measure_stages(rounds=DEFAULT_ROUNDS, builds=STAGE_BUILDS, repeats=None, runner=None):
    """Every stage of every build, `rounds` runs each (builds interleaved); see the module doc."""
    if rounds < 1:
        raise labdata.LabError("measure_stages: rounds must be at least 1")
    runs = {b: [] for b in builds}
    for r in range(rounds):
        for b in builds:
            runs[b].append(run_probe(b, instructions=(r == 0), repeats=repeats, runner=runner))
    return combine(runs)


def measure_and_write(path, rounds=DEFAULT_ROUNDS, runner=None):
    """measure_stages(), written to `path` (atomically, as stages.json of the history series); returns it."""
    data = measure_stages(rounds, runner=runner)
    labdata.write_atomic(path, json.dumps(data, indent=1) + "\n")
    return data


def render(data):
    """A text table: one row per stage and build."""
    lines = ["stage_probe, %d round(s) per build; clock: %s, %.1f MHz" % (data["rounds"], data["clock"], data["tsc_mhz"] or 0),
             "ticks per call: median over rounds of the median of repeats, [min..max] over every repeat; "
             "empty loop subtracted; chained = each call waits for the previous one's result",
             "%-10s %-26s %9s %19s %9s %8s" % ("build", "stage", "ticks", "[min..max]", "chained", "instr")]
    for state, stages in data["stages"].items():
        for name, s in stages.items():
            c, ch = s["cycles"], s["chained_cycles"]
            lines.append("%-10s %-26s %9.2f %19s %9s %8s" % (
                state, name, c["median"], "[%.2f..%.2f]" % (c["min"], c["max"]),
                "%.2f" % ch["median"] if ch else "-",
                "%.2f" % s["instructions"] if s["instructions"] is not None else "-"))
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="runs per build (default %d)" % DEFAULT_ROUNDS)
    ap.add_argument("--repeats", type=int, default=None, help="stage_probe --repeats (odd; default the probe's)")
    ap.add_argument("--json", metavar="FILE", help="also write the dict as JSON")
    args = ap.parse_args(argv)
    data = measure_stages(args.rounds, repeats=args.repeats)
    sys.stdout.write(render(data))
    if args.json:
        labdata.write_atomic(labdata.user_path(args.json), json.dumps(data, indent=1) + "\n")
        print("wrote %s" % labdata.user_path(args.json))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "stages")
