"""Bisect of real commits with the gate as the oracle (tools/bisect_states.py dispatches here when
--good/--bad are commits, not history states).

Candidates are the commits of `git rev-list --ancestry-path GOOD..BAD`, in topological order.
Each probe is `//ci:gate --base GOOD --head COMMIT` (both built in cached worktrees): exit 1 is bad,
0 is good; a commit that does not compile is skipped (as `git bisect skip`) and its neighbours are
probed instead. BAD is probed first: a BAD that passes against GOOD leaves nothing to bisect.
Verdicts and root-cause reports are cached in the store (series `bisect`, name GOOD__COMMIT).
"""
import json
import sys
import os
import shutil
import subprocess
import tempfile

import labdata


def log(msg):
    print("bisect: " + msg, file=sys.stderr, flush=True)


git = labdata.git


def resolve(rev, what):
    sha = labdata.resolve_commit(rev)
    if sha is None:
        raise labdata.LabError("%s '%s' is neither a history state nor a commit of %s" % (
            what, rev, labdata.workspace_root()))
    return sha


def candidates(good, bad):
    """Commits after GOOD up to BAD that descend from GOOD, oldest first."""
    if subprocess.run(["git", "-C", labdata.workspace_root(), "merge-base", "--is-ancestor", good, bad]).returncode != 0:
        raise labdata.LabError("--good %s is not an ancestor of --bad %s" % (good[:10], bad[:10]))
    shas = git("rev-list", "--topo-order", "--reverse", "--ancestry-path", "%s..%s" % (good, bad)).split()
    if not shas:
        raise labdata.LabError("no commits between --good and --bad")
    return shas


class Oracle:
    """The gate on GOOD vs a commit, cached in the store."""

    def __init__(self, good, args):
        self.good, self.args = good, args
        self.kind = "quick" if args.quick else "full"
        self.flags = (["--quick"] if args.quick else []) + (["--no-timing"] if args.no_timing else [])
        self.verdicts = {}

    def entry(self, sha):
        tag = "-notiming" if self.args.no_timing else ""
        return labdata.store("path", "--series", "bisect", "--kind", self.kind,
                             "--name", "%s__%s%s" % (self.good[:12], sha[:12], tag))

    def probe(self, sha):
        """'bad', 'good' or 'skip' (does not build), with the verdict."""
        cache = self.entry(sha)
        if not self.args.no_cache and os.path.exists(cache):
            with open(cache) as f:
                v = json.load(f)
            log("%s: cached verdict: %s" % (sha[:10], v["headline"]))
        else:
            out = labdata.temp_path(prefix="hakmem-bisect-", suffix=".json")
            report = tempfile.mkdtemp(prefix="hakmem-bisect-report-")
            labdata.set_interrupt_message("interrupted while probing %s; verdicts of earlier probes are stored" % sha[:10])
            log("probing %s (%s) against %s" % (sha[:10], git("log", "-1", "--format=%s", sha)[:60], self.good[:10]))
            # Built first on its own: a commit that does not compile is skipped, not fatal.
            built = labdata.run([labdata.runfile("ci/gate"), "--build-only", sha], capture_output=True, text=True)
            err = (built.stderr or "").strip().splitlines()
            if built.returncode != 0:
                labdata.remove_temp(out)
                shutil.rmtree(report, ignore_errors=True)
                why = err[-1] if err else "exit %d" % built.returncode
                if "does not compile" in why:
                    log("%s: skipped (%s)" % (sha[:10], why))
                    return "skip", {"headline": why}
                raise labdata.LabError("cannot build %s: %s" % (sha[:10], why))
            proc = labdata.run([labdata.runfile("ci/gate"), "--base", self.good, "--head", sha, "--json", out,
                                "--report", report] + self.flags, stdout=subprocess.DEVNULL)
            if proc.returncode not in (0, 1):
                labdata.remove_temp(out)
                shutil.rmtree(report, ignore_errors=True)
                raise labdata.LabError("the gate failed while probing %s (exit %d, see above)" % (sha[:10], proc.returncode))
            with open(out) as f:
                v = json.load(f)
            labdata.remove_temp(out)
            v["good_commit"], v["probe_commit"] = self.good, sha
            if os.path.exists(os.path.join(report, "report.md")):
                with open(os.path.join(report, "report.md")) as f:
                    v["report_md"] = f.read()
                keep = os.path.splitext(cache)[0] + "-report"  # beside the verdict
                shutil.rmtree(keep, ignore_errors=True)
                shutil.copytree(report, keep)
                v["report_dir"] = keep
            shutil.rmtree(report, ignore_errors=True)
            labdata.write_atomic(cache, json.dumps(v, indent=1) + "\n")
        self.verdicts[sha] = v
        return ("bad" if v["exit_code"] == 1 else "good"), v


def bisect(args):
    good = resolve(args.good, "--good")
    bad = resolve(args.bad, "--bad")
    shas = candidates(good, bad)
    oracle = Oracle(good, args)
    state, v = oracle.probe(bad)
    if state != "bad":
        raise labdata.LabError("%s does not regress against %s here (%s): nothing to bisect" % (
            bad[:10], good[:10], v["headline"]))
    # Invariant: every commit before lo is good (or skipped), the commit at hi is bad.
    lo, hi = 0, len(shas) - 1
    skipped = set()
    probes = 1
    while lo < hi:
        open_ = [i for i in range(lo, hi) if i not in skipped]
        if not open_:
            break
        mid = open_[len(open_) // 2]
        state, _ = oracle.probe(shas[mid])
        probes += 1
        if state == "skip":
            skipped.add(mid)
        elif state == "bad":
            hi = mid
        else:
            lo = mid + 1
    culprit = shas[hi]
    v = oracle.verdicts[culprit]
    unsure = [shas[i] for i in sorted(skipped) if lo <= i < hi]  # unbuildable, between the last good and hi
    print("first bad commit: %s %s" % (culprit, git("log", "-1", "--format=%s", culprit)))
    print("  author %s, %s" % (git("log", "-1", "--format=%an", culprit), git("log", "-1", "--format=%cI", culprit)))
    if hi > 0:
        print("last good commit: %s %s" % (shas[hi - 1][:10], git("log", "-1", "--format=%s", shas[hi - 1])))
    else:
        print("last good commit: %s (--good)" % good[:10])
    if unsure:
        print("(could not be built, so the culprit may also be: %s)" % ", ".join(s[:10] for s in unsure))
    print("gate, %s -> %s: %s" % (good[:10], culprit[:10], v["headline"]))
    print("%d probe(s) over %d commit(s); verdicts cached in the store (series bisect)" % (probes, len(shas)))
    if v.get("report_md"):
        print("\n" + v["report_md"].rstrip())
        print("\nroot-cause report: %s/index.html" % v["report_dir"])
    return 0
