#!/usr/bin/env python3
"""Measures the project's own commits, one stored result per commit (asv's `run` over a range).

  bazel run //tools:backfill -- --last 15
  bazel run //tools:backfill -- --range A..B [--full] [--workloads LIST] [--rounds N]
  bazel run //tools:backfill -- --last 15 --dry-run      what would be measured, reused, skipped

Commits are taken oldest first in topological order. For each one:
  - already stored for this machine and run kind: skipped (said so), nothing built;
  - else its shipped config is built in a cached worktree (`gate --build-only`, shared Bazel disk
    cache) and every program is hashed; when the binaries are byte-identical to a commit already
    stored, that measurement is reused and the stored copy says so (`reused_from`: which commit,
    why); else the sweep measures it interleaved with glibc (`system`, the reference line of the
    trend) with instruction counts, and the result is stored (`store put`, series `commits`);
  - the gate then judges it against its parent, when the parent is stored: the verdict is stored
    beside it (<sha>.gate.json), and //reports:trend links to it.
Each commit is stored as soon as it is measured: an interrupted run (Ctrl-C: exit 130) resumes
where it stopped. A commit that cannot be measured (older than a workload, a build failure) is
reported and left unstored. Quick (default) and --full runs are separate series.
"""
import argparse
import json
import sys
import os
import subprocess
import time

import labdata

DEFAULT_WORKLOADS = "random_mixed,size_sweep,mt_prodcons,mem_liveset"


def log(msg):
    print("backfill: " + msg, file=sys.stderr, flush=True)


git = labdata.git


def commits_of(args):
    """Commits to measure, oldest first, in topological order."""
    if args.last is not None:
        if args.last < 1:
            raise labdata.LabError("--last must be at least 1")
        shas = git("rev-list", "--topo-order", "-n", str(args.last), "HEAD").split()
    else:
        if ".." not in args.range:
            raise labdata.LabError("--range must be A..B (commits after A up to B)")
        a, b = args.range.split("..", 1)
        for rev in (a, b):
            if labdata.resolve_commit(rev) is None:
                raise labdata.LabError("--range: '%s' is not a commit of %s" % (rev, labdata.workspace_root()))
        shas = git("rev-list", "--topo-order", args.range).split()
        if not shas:
            raise labdata.LabError("--range %s holds no commits" % args.range)
    return list(reversed(shas))


def subject(sha):
    return git("log", "-1", "--format=%s", sha)


def run_json(cmd, what):
    proc = labdata.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr or "").strip().splitlines()
        return None, lines[-1] if lines else "exit %d" % proc.returncode
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, "%s printed no JSON" % what


def stored_results(kind):
    """{commit: entry} of this machine's stored per-commit results of this kind."""
    entries = labdata.store("list", "--json", "--series", "commits", "--kind", kind)
    return {e["name"]: e for e in entries if e["type"] == "result"}


def binaries_key(binaries):
    return json.dumps(binaries, sort_keys=True)


def measured_by_binaries(stored):
    """{binaries_key: (commit, path)} of the stored results that were measured, not reused: a
    build with the same binaries reuses that measurement. Each file is read once per run."""
    out = {}
    for sha, e in sorted(stored.items()):
        if e.get("reused_from"):
            continue  # the same binaries as the commit it names, which is listed itself
        binaries = labdata.load_result(e["path"]).get("binaries")
        if binaries:
            out.setdefault(binaries_key(binaries), (sha, e["path"]))
    return out


def gate_against_parent(sha, stored, kind):
    """The gate's verdict of `sha` against its first parent, both stored; stored beside it."""
    parents = git("rev-list", "--parents", "-n", "1", sha).split()[1:]
    if not parents or parents[0] not in stored or sha not in stored:
        return None
    verdict_path = labdata.store("path", "--series", "commits", "--kind", kind, "--name", sha + ".gate")
    if os.path.exists(verdict_path):
        with open(verdict_path) as f:
            return json.load(f)
    tmp = labdata.temp_path(prefix="hakmem-backfill-gate-", suffix=".json")
    try:
        # Budgets are absolute limits of today's tree; a step is judged against its parent only.
        proc = labdata.run([labdata.runfile("ci/gate"), "--base-result", stored[parents[0]]["path"],
                            "--head-result", stored[sha]["path"], "--base-variant", "shipped",
                            "--head-variant", "shipped", "--no-budgets", "--json", tmp],
                           capture_output=True, text=True)
        if proc.returncode == 2:
            log("%s: the gate could not judge it against %s: %s" % (sha[:10], parents[0][:10],
                                                                   (proc.stderr.strip().splitlines() or ["?"])[-1]))
            return None
        with open(tmp) as f:
            verdict = json.load(f)
    finally:
        labdata.remove_temp(tmp)
    verdict["base_commit"], verdict["head_commit"] = parents[0], sha
    labdata.write_atomic(verdict_path, json.dumps(verdict, indent=1) + "\n")
    return verdict


def put(result):
    tmp = labdata.temp_path(prefix="hakmem-backfill-", suffix=".json")
    try:
        labdata.write_atomic(tmp, json.dumps(result, indent=1) + "\n")
        return labdata.store("put", tmp, "--series", "commits")
    finally:
        labdata.remove_temp(tmp)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--last", type=int, help="the last N commits of HEAD")
    which.add_argument("--range", help="A..B: the commits after A up to B")
    ap.add_argument("--full", action="store_true", help="the sweep's full grid (default: --quick); a separate series")
    ap.add_argument("--workloads", default=DEFAULT_WORKLOADS,
                    help="sweep workloads (default %s); a commit older than a workload's program is "
                         "measured without it" % DEFAULT_WORKLOADS)
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default: the sweep's, 3 quick / 5 full)")
    ap.add_argument("--dry-run", action="store_true", help="say what would be measured, reused or skipped; build nothing")
    args = ap.parse_args(argv)
    if args.rounds is not None and args.rounds < 3:
        raise labdata.LabError("--rounds must be at least 3 (the gate's test needs samples)")
    kind = "full" if args.full else "quick"
    start = time.time()
    commits = commits_of(args)
    stored = stored_results(kind)
    todo = [c for c in commits if c not in stored]
    machine = labdata.store("machine")
    log("%d commit(s), %d already stored for machine %s (%s), %d to do" % (
        len(commits), len(commits) - len(todo), machine["fingerprint"], kind, len(todo)))
    outcome = {}  # sha -> what happened
    for c in commits:
        if c in stored:
            outcome[c] = "stored already" + (" (reused from %s)" % stored[c]["reused_from"][:10]
                                             if stored[c].get("reused_from") else "")
    if args.dry_run:
        for c in commits:
            print("%-10s %-40s %s" % (c[:10], subject(c)[:40], outcome.get(c, "would be built and measured (or reused)")))
        return 0

    measured = measured_by_binaries(stored)
    for i, c in enumerate(todo):
        t0 = time.time()
        labdata.set_interrupt_message("interrupted while building %s; the commits before it are stored, "
                                      "run again to resume" % c[:10])
        log("[%d/%d] %s %s: building" % (i + 1, len(todo), c[:10], subject(c)[:60]))
        built, why = run_json([labdata.runfile("ci/gate"), "--build-only", c, "--workloads", args.workloads],
                              "gate --build-only")
        if built is None:
            outcome[c] = "not measured: " + why
            log("%s: %s" % (c[:10], outcome[c]))
            continue
        binaries = built["binaries"]
        twin, twin_path = measured.get(binaries_key(binaries), (None, None))
        if twin is not None:
            result = labdata.load_result(twin_path)
            result["commit"] = c
            result["reused_from"] = {
                "commit": twin,
                "reason": "its %d measured binaries (%s) are byte-identical (sha256) to those of %s" % (
                    len(binaries), ", ".join(sorted(binaries)), twin[:10])}
            path = put(result)
            outcome[c] = "reused the measurement of %s (byte-identical binaries)" % twin[:10]
        else:
            out = labdata.temp_path(prefix="hakmem-backfill-sweep-", suffix=".json")
            labdata.set_interrupt_message("interrupted while measuring %s; the commits before it are stored, "
                                          "run again to resume" % c[:10])
            cmd = [labdata.runfile("harness/sweep"), "--variants",
                   "shipped=%s@%s,system" % (built["config"], built["bin_dir"]),
                   "--workloads", ",".join(built["workloads"]), "--instructions", "--commit", c, "--out", out]
            if kind == "quick":
                cmd.append("--quick")
            if args.rounds:
                cmd += ["--rounds", str(args.rounds)]
            log("%s: measuring %s (%s) interleaved with system: %s%s" % (
                c[:10], built["config"], "quick" if kind == "quick" else "full", ",".join(built["workloads"]),
                ("; skipped (older than their programs): " + ",".join(built["skipped_workloads"]))
                if built["skipped_workloads"] else ""))
            proc = labdata.run(cmd, stdout=subprocess.DEVNULL)
            if proc.returncode != 0:
                outcome[c] = "not measured: the sweep failed (exit %d, see above)" % proc.returncode
                log("%s: %s" % (c[:10], outcome[c]))
                continue
            result = labdata.load_result(out)
            result["binaries"] = binaries
            path = put(result)
            labdata.remove_temp(out)
            measured[binaries_key(binaries)] = (c, path)
            outcome[c] = "measured in %.0fs" % (time.time() - t0)
        log("%s: %s -> %s" % (c[:10], outcome[c], path))

    stored = stored_results(kind)
    print("\ncommit     subject                                   result                                   vs parent")
    for c in commits:
        verdict = gate_against_parent(c, stored, kind)
        print("%-10s %-41s %-40s %s" % (c[:10], subject(c)[:41], outcome.get(c, "?")[:40],
                                        verdict["headline"].split(" (")[0] if verdict else "-"))
    print("store: %s (machine %s, %s)" % (os.path.dirname(labdata.store(
        "path", "--series", "commits", "--kind", kind, "--name", "x")), machine["fingerprint"], kind))
    print("trend: bazel run //reports:trend -- --kind %s" % kind)
    print("backfill: done in %.0fs" % (time.time() - start))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "backfill")
