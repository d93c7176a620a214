"""The per-commit trend from a synthetic store tree (the `store` CLI faked from the tree)."""
import argparse
import json
import os
import re
import subprocess
import tempfile
import unittest

import labdata
import labtest
import trend

FP = labtest.MACHINE["fingerprint"]
OTHER_FP = "fedcba9876543210"


def png_ok(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 5000


def read(path):
    with open(path) as f:
        return f.read()


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_AUTHOR_DATE="2026-11-20T10:00:00Z",
               GIT_COMMITTER_DATE="2026-11-20T10:00:00Z")
    return subprocess.run(["git", "-C", repo] + list(args), check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def gate_point(label, time="ok", instructions="ok", peak="ok"):
    return {"point": "random_mixed " + label, "workload": "random_mixed", "label": label, "time": time,
            "instructions": instructions, "peak_rss": {"verdict": peak}, "rss_after_free": {"verdict": "ok"}}


class FakeStore:
    """`store machine` and `store list --json` answered from a directory tree of the spec's layout."""

    def __init__(self, root):
        self.root = root
        self.calls = []
        self.mix_in = []  # extra entries to list (to test refusals)

    def __call__(self, *args, root=None):
        self.calls.append(args)
        if args[0] == "machine":
            return dict(labtest.MACHINE)
        assert args[0] == "list" and "--json" in args, args
        opts = dict(zip(args[1::1], args[2::1]))
        out = []
        for machine in sorted(os.listdir(self.root)):
            if "--machine" in opts and machine != opts["--machine"]:
                continue
            for kind in ("full", "quick"):
                if "--kind" in opts and kind != opts["--kind"]:
                    continue
                folder = os.path.join(self.root, machine, kind, "commits")
                if not os.path.isdir(folder):
                    continue
                for name in sorted(os.listdir(folder)):
                    path = os.path.join(folder, name)
                    e = {"machine": machine, "kind": kind, "series": "commits", "name": name[:-5], "path": path}
                    if name.endswith(".gate.json"):
                        e["type"] = "verdict"
                    else:
                        with open(path) as f:
                            r = json.load(f)
                        e.update(type="result", commit=r["commit"], started_at=r["started_at"],
                                 run_kind=r["run_kind"], reused_from=(r.get("reused_from") or {}).get("commit"))
                    out.append(e)
        return out + self.mix_in


class TrendTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.ws = os.path.join(self.tmp, "ws")
        os.makedirs(self.ws)
        git(self.ws, "init", "-q")
        self.shas = []
        for i in range(4):
            with open(os.path.join(self.ws, "f"), "w") as f:
                f.write(str(i))
            git(self.ws, "add", "f")
            git(self.ws, "commit", "-q", "-m", "c%d" % i)
            self.shas.append(git(self.ws, "rev-parse", "HEAD"))
        self.root = os.path.join(self.tmp, "baselines")
        self.store = FakeStore(self.root)
        self._saved = (labdata.store, os.environ.get("BUILD_WORKSPACE_DIRECTORY"), os.environ.get("BUILD_WORKING_DIRECTORY"))
        labdata.store = self.store
        os.environ["BUILD_WORKSPACE_DIRECTORY"] = self.ws
        os.environ["BUILD_WORKING_DIRECTORY"] = self.tmp
        # Full runs of commits 0, 1, 3 (3 measured first: started_at is no order), one off HEAD;
        # commit 2 only quick; commit 3 reused from 1; a throughput fall at commit 3.
        ops = {0: 40e6, 1: 41e6, 3: 20e6}
        for i, started in ((3, "2026-11-21T09:00:00Z"), (0, "2026-11-21T10:00:00Z"), (1, "2026-11-21T11:00:00Z")):
            self.put("full", self.shas[i], started, ops[i], reused_from=self.shas[1] if i == 3 else None)
        self.off_head = "f" * 40
        self.put("full", self.off_head, "2026-11-21T12:00:00Z", 39e6)
        self.put("quick", self.shas[2], "2026-11-21T13:00:00Z", 30e6)
        self.gate("full", self.shas[3], [gate_point("ws=128", time="REGRESSION"), gate_point("ws=1024")], 1)
        self.gate("full", self.shas[1], [gate_point("ws=128"), gate_point("ws=1024", instructions="REGRESSION")], 1)

    def tearDown(self):
        labdata.store = self._saved[0]
        for key, val in zip(("BUILD_WORKSPACE_DIRECTORY", "BUILD_WORKING_DIRECTORY"), self._saved[1:]):
            if val is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = val

    def folder(self, kind, machine=FP):
        d = os.path.join(self.root, machine, kind, "commits")
        os.makedirs(d, exist_ok=True)
        return d

    def put(self, kind, sha, started, ops, reused_from=None, machine=None):
        pts = []
        for label, ws, scale in (("ws=128", 128, 1.0), ("ws=1024", 1024, 0.8)):
            pts.append(labtest.point("random_mixed", "e3", label, {"ws": ws}, ops * scale, 50.0, 4000, 3000))
            pts.append(labtest.point("random_mixed", "system", label, {"ws": ws}, 30e6 * scale, 120.0, 5000, 4500))
        r = labtest.result(sha, started, pts, variants=["e3", "system"], run_kind=kind, reused_from=reused_from)
        if machine:
            r["machine"]["fingerprint"] = machine
        return labtest.write(r, self.folder(kind, machine or FP), sha + ".json")

    def gate(self, kind, sha, points, code):
        path = os.path.join(self.folder(kind), sha + ".gate.json")
        with open(path, "w") as f:
            json.dump({"exit_code": code, "headline": "FAIL", "points": points, "fastpath": []}, f)

    def args(self, **kw):
        ns = argparse.Namespace(machine=None, kind=None, root=None, out=None)
        for k, v in kw.items():
            setattr(ns, k, v)
        return ns

    def test_default_page(self):
        index, pngs = trend.build(self.args())
        self.assertEqual(index, os.path.join(self.ws, "reports", "out", "trend", FP + "-full", "trend.html"))
        # The kind with the most commits, and only it (the quick commit 2 is absent).
        self.assertIn(("list", "--json", "--series", "commits", "--machine", FP), self.store.calls)
        page = read(index)
        rows = re.findall(r'<tr id="x(\d+)"><td>\d+</td><td><a href="[^"]+"><code>(\w+)</code>', page)
        self.assertEqual([sha for _, sha in rows], [self.shas[0][:10], self.shas[1][:10], self.shas[3][:10],
                                                    self.off_head[:10]])
        off = page.split('<tr id="x3">')[1].split("</tr>")[0]
        self.assertIn("not reachable from HEAD", off)
        self.assertNotIn("not reachable", page.split('<tr id="x2">')[1].split("</tr>")[0])
        # Gate verdicts against the parent, linked, headline counting points.
        x2 = page.split('<tr id="x2">')[1].split("</tr>")[0]
        self.assertIn('href="../../../../../baselines/%s/full/commits/%s.gate.json"' % (FP, self.shas[3]), x2)
        self.assertIn("1 of 2 points regressed (throughput 1)</span> (gate exit 1)", x2)
        self.assertIn("reused from %s" % self.shas[1][:10], x2)
        self.assertIn("no gate verdict stored", page.split('<tr id="x0">')[1].split("</tr>")[0])
        # The fall at commit 3 is a change point of both ws series.
        self.assertIn("random_mixed ws=128 (ops/s)", x2)
        # The page says how far its throughput can be trusted across separately measured commits.
        self.assertIn('<p class="caveat">How to read it', page)
        # Header: machine and kind.
        self.assertIn('<span id="run-kind">full</span>', page)
        self.assertIn("Test CPU @ 2.0GHz, 2 cores (fingerprint %s)" % FP, page)
        self.assertEqual([os.path.basename(p) for p in pngs], ["trend_random_mixed.png"])
        for src in re.findall(r'src="([^"]+)"', page):
            self.assertTrue(png_ok(os.path.join(os.path.dirname(index), src)), src)

    def test_quick_kind_and_out_relative_to_the_working_directory(self):
        index, _ = trend.build(self.args(kind="quick", out="mine"))
        self.assertEqual(index, os.path.join(self.tmp, "mine", "trend.html"))
        page = read(index)
        self.assertIn('<span id="run-kind">quick</span>', page)
        self.assertEqual(len(re.findall(r'<tr id="x\d+">', page)), 1)

    def test_stale_pictures_go_and_foreign_directories_are_refused(self):
        index, _ = trend.build(self.args(out="t"))
        stale = os.path.join(self.tmp, "t", "trend_mt_larson.png")
        with open(stale, "wb") as f:
            f.write(b"old")
        trend.build(self.args(out="t"))
        self.assertFalse(os.path.exists(stale))
        os.makedirs(os.path.join(self.tmp, "photos"))
        with open(os.path.join(self.tmp, "photos", "cat.png"), "wb") as f:
            f.write(b"cat")
        with self.assertRaises(labdata.LabError) as cm:
            trend.build(self.args(out="photos"))
        self.assertIn("not a trend directory", str(cm.exception))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "photos", "cat.png")))

    def test_mixed_kinds_or_machines_are_refused(self):
        self.store.mix_in = [{"machine": FP, "kind": "quick", "series": "commits", "name": "x", "path": "/x.json",
                              "type": "result"}]
        with self.assertRaises(labdata.LabError) as cm:
            trend.build(self.args(kind="full"))
        self.assertIn("never mixed", str(cm.exception))
        self.store.mix_in = [{"machine": OTHER_FP, "kind": "full", "series": "commits", "name": "x",
                              "path": "/x.json", "type": "result"}]
        with self.assertRaises(labdata.LabError) as cm:
            trend.build(self.args())
        self.assertIn("mixes machines", str(cm.exception))
        # A file whose own machine or run kind is not the listing's.
        self.store.mix_in = []
        self.put("full", self.shas[2], "2026-11-22T00:00:00Z", 40e6, machine=OTHER_FP)
        os.replace(os.path.join(self.folder("full", OTHER_FP), self.shas[2] + ".json"),
                   os.path.join(self.folder("full"), self.shas[2] + ".json"))
        with self.assertRaises(labdata.LabError) as cm:
            trend.build(self.args(kind="full"))
        self.assertIn("never mixed", str(cm.exception))

    def test_bad_machine_is_one_line(self):
        with self.assertRaises(labdata.LabError) as cm:
            trend.build(self.args(machine="../etc"))
        self.assertIn("--machine", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
