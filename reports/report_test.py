"""The plots render from result files; every page says what it shows (commit, date, machine, run
kind); headlines count points; each metric's colours follow that metric's verdict; stale pictures go."""
import copy
import os
import re
import tempfile
import unittest

import labdata
import labtest
import report


def png_ok(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 5000


def gate_point(label, time="ok", instructions="ok", peak="ok", after="ok", workload="random_mixed"):
    return {"point": "%s %s" % (workload, label), "workload": workload, "label": label, "time": time,
            "instructions": instructions, "peak_rss": {"base_kb": 1, "head_kb": 1, "verdict": peak},
            "rss_after_free": {"base_kb": 1, "head_kb": 1, "verdict": after}}


def verdict(points, exit_code=None):
    reg = sum(1 for p in points if "REGRESSION" in (p["time"], p["instructions"], p["peak_rss"]["verdict"],
                                                   p["rss_after_free"]["verdict"]))
    return {"exit_code": (1 if reg else 0) if exit_code is None else exit_code, "headline": "FAIL: %d regression(s)" % reg,
            "regressions": reg, "improvements": 0, "points": points, "fastpath": []}


class Fixtures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.base = labdata.load_result(labtest.fixture("clear_regression.base.json", self.tmp))
        self.head = labdata.load_result(labtest.fixture("clear_regression.head.json", self.tmp))

    def history(self, step_verdict, out_dir, run_kind="full"):
        states = [{"name": "e1", "commit": "baaf815c9", "date": "2025-11-12", "title": "E1"},
                  {"name": "e2", "commit": "5eabb89ad9", "date": "2025-11-12", "title": "E2"}]
        results = {}
        for r, s in zip((copy.deepcopy(self.base), copy.deepcopy(self.head)), states):
            r["variants"][0]["name"] = s["name"]
            r["run_kind"] = run_kind
            for p in r["points"]:
                p["variant"] = s["name"]
            r["fastpath_instructions"] = {s["name"]: {"malloc_hit": 20, "free_hit": 31}}
            results[s["name"]] = r
        summary = {"machine": self.base["machine"], "headline_ops": [40e6, 32e6], "change_points": ["e2"],
                   "steps": [{"from": "e1", "to": "e2", "verdict": step_verdict}]}
        routes = {"e1": {"free_header_fast": 50, "free_ss_hit": 50}, "e2": {"free_header_fast": 49, "free_ss_hit": 51}}
        index = report.build_history_report(out_dir, states, results, routes, summary, out_dir)
        return index, open(index).read()


class StoryTest(Fixtures):
    """The page opens with each branch's story: what the seeds blame, what the gate and the bisect
    blame, and why they differ, with numbers; a side branch gets its own table and plots."""

    def test_story_of_two_branches_with_a_disagreeing_bisect(self):
        out_dir = os.path.join(self.tmp, "out")
        names = ["e1", "e2", "f1", "f2"]
        results = {}
        for n, src in zip(names, (self.base, self.head, self.head, self.base)):
            r = copy.deepcopy(src)
            r["variants"][0]["name"] = n
            for p in r["points"]:
                p["variant"] = n
            r["fastpath_instructions"] = {n: {"malloc_hit": 20, "free_hit": 31 if src is self.base else 94}}
            results[n] = r
        bad = verdict([gate_point("ws=128", time="REGRESSION")])
        good = verdict([gate_point("ws=128")])
        states = [{"name": "e1", "commit": "baaf815c9", "date": "2025-11-12", "title": "E1"},
                  {"name": "e2", "commit": "5eabb89ad9", "date": "2025-11-12", "title": "E2"}]
        branches = [
            {"branch": "e", "title": "The E history", "states": ["e1", "e2"], "headline_ops": [40e6, 32e6],
             "change_points": [], "steps": [{"from": "e1", "to": "e2", "verdict": bad}],
             "bisect": {"good": "e1", "bad": "e2", "order": ["e1", "e2"], "culprit": "e2", "last_good": "e1",
                        "probes": [{"state": "e2", "exit_code": 1, "headline": "FAIL"}], "verdict": bad},
             "seed_culprit": "e2", "seed_says": "a registry lookup on every free"},
            {"branch": "findings", "title": "The Findings branch", "states": ["e1", "f1", "f2"],
             "headline_ops": [40e6, 32e6, 40e6], "change_points": ["f1"],
             "steps": [{"from": "e1", "to": "f1", "verdict": bad}, {"from": "f1", "to": "f2", "verdict": good}],
             "bisect": {"good": "f2", "bad": "e1", "order": ["f2", "f1", "e1"], "culprit": "f1", "last_good": "f2",
                        "probes": [{"state": "e1", "exit_code": 1, "headline": "FAIL"},
                                   {"state": "f1", "exit_code": 1, "headline": "FAIL"}], "verdict": bad,
                        "live": {"file": "x.json", "headline": "FAIL: 3 regression(s)",
                                 "causes": ["random_mixed ws=128: free: 31.0 -> 94.0 instr/op self"]}},
             "seed_culprit": "e1", "seed_says": "the lookup is the biggest bottleneck",
             "notes": {"f1": "the SFC/SLL front is not modelled"}}]
        summary = {"machine": self.base["machine"], "headline_ops": [40e6, 32e6], "change_points": [],
                   "steps": branches[0]["steps"], "branches": branches}
        rows = [{"id": "f.week1.gain", "claimed": "+400-550%", "measured": 1.25, "verdict": "off by 4.0x",
                 "test_spec": {"metric": "ratio", "states": ["f2", "f1"], "workload": "random_mixed", "label": None}}]
        routes = {n: {"free_header_fast": 1} for n in names}
        routes["f1"] = {"free_header_fast": 1, "free_ss_hit": 3}
        index = report.build_history_report(out_dir, states, results, routes, summary, out_dir, claim_rows=rows)
        page = open(index).read()
        story = page[page.index('<section id="story">'):page.index("</section>", page.index('<section id="story">'))]
        self.assertRegex(story, r'id="bisect-e">Agrees with the seeds')
        self.assertRegex(story, r'id="bisect-findings">Disagrees with the seeds \(e1\)')
        # Why, with numbers: the culprit's regressed point and the two steps' measured figures.
        self.assertIn("random_mixed ws=128 throughput x", story)
        self.assertIn("Its own step: f2 -&gt; f1: throughput x", story)
        self.assertIn("free hit 31 -&gt; 94 instructions", story)
        self.assertIn("f2 -&gt; f1 -&gt; e1", story)
        self.assertIn("<td>100% -&gt; 25%</td>", story)  # e1 -> f1: frees through the header fast path
        self.assertIn("<li><b>f1</b>: the SFC/SLL front is not modelled</li>", story)  # fidelity notes
        self.assertIn("<li>random_mixed ws=128: free: 31.0 -&gt; 94.0 instr/op self</li>", story)  # live root cause
        # The step's predicted gain next to the measured one.
        self.assertIn("f.week1.gain: +400-550%, measured x1.25, off by 4.0x", story)
        # The side branch: its own table and plots.
        self.assertIn('id="branch-findings"', page)
        for png in ("findings_trend_random_mixed.png", "findings_trend_instructions.png"):
            self.assertTrue(png_ok(os.path.join(out_dir, png)), png)
            self.assertIn('src="%s"' % png, page)
        self.assertLess(page.index('id="story"'), page.index("States and gate verdicts"))


class PlotTest(Fixtures):
    def test_trend_of_two_commits(self):
        labels = ["base\nf1x\n2026-11-22", "head\nf1x\n2026-11-22"]
        for metric in ("ops", "instr", "rss"):
            out = report.trend_plot(labels, [self.base, self.head], os.path.join(self.tmp, metric + ".png"),
                                    regressed=[1], metric=metric)
            self.assertTrue(png_ok(out), metric)

    def test_ab_plot_colours_only_throughput_regressions(self):
        v = {"points": [gate_point("ws=128", time="REGRESSION"), gate_point("ws=256", instructions="REGRESSION"),
                        gate_point("ws=512", peak="REGRESSION")]}
        out, colors = report.ab_plot(self.base, self.head, "e3", "e3", v, os.path.join(self.tmp, "ab.png"))
        self.assertTrue(png_ok(out))
        labels = [p["label"] for p in self.base["points"]]
        red = [lab for lab, c in zip(labels, colors) if c == "#d62728"]
        self.assertEqual(red, ["ws=128"])

    def test_sweep_plot_and_its_page_header(self):
        r = copy.deepcopy(self.base)
        r["points"] = [labtest.point("size_sweep", "e3", "size=%d" % s, {"min_size": s, "max_size": s}, 1e7)
                       for s in (16, 256, 4096, 65536, 1 << 20)]
        png = report.sweep_plot(r, os.path.join(self.tmp, "s.png"))
        self.assertTrue(png_ok(png))
        page = open(report.sweep_page(r, png, os.path.join(self.tmp, "s.html"))).read()
        self.assertIn('<span id="run-commit">f1xture0000</span>', page)
        self.assertIn('<span id="run-date">2026-11-22T00:00:00Z</span>', page)
        self.assertIn("fixture, 2 cores (fingerprint fixture)", page)
        self.assertIn('<span id="run-kind">full</span>', page)
        self.assertIn('src="s.png"', page)

    def test_routes_plot(self):
        routes = [{"free_header_fast": 0, "free_ss_hit": 98, "free_pool": 2}, {"free_header_fast": 98, "free_pool": 2}]
        self.assertTrue(png_ok(report.routes_plot(["phase7_broken", "e3"], routes, os.path.join(self.tmp, "r.png"))))


class HistoryPageTest(Fixtures):
    def test_header_names_commit_date_machine_and_kind(self):
        _, page = self.history(verdict([gate_point("ws=128")]), os.path.join(self.tmp, "out"))
        self.assertIn('<span id="run-commit">f1xture0000</span>', page)
        self.assertIn('<span id="run-date">2026-11-22T00:00:00Z</span>', page)
        self.assertIn("fixture, 2 cores (fingerprint fixture)", page)
        self.assertIn('<span id="run-kind">full</span>', page)

    def test_quick_pages_go_apart_and_say_so(self):
        root = self.tmp
        self.assertEqual(report.history_out_dir(root, "full"), os.path.join(root, "reports", "out"))
        self.assertEqual(report.history_out_dir(root, "quick"), os.path.join(root, "reports", "out", "quick"))
        full_index, _ = self.history(verdict([gate_point("ws=128")]), report.history_out_dir(root, "full"))
        before = open(full_index).read()
        q_index, q_page = self.history(verdict([gate_point("ws=128")]), report.history_out_dir(root, "quick"), "quick")
        self.assertNotEqual(q_index, full_index)
        self.assertEqual(open(full_index).read(), before)
        self.assertIn('<span id="run-kind">quick</span>', q_page)
        self.assertIn("(quick run)", q_page)
        # The full page's pictures survive the quick run (stale cleanup stays in the quick directory).
        self.assertTrue(os.path.exists(os.path.join(root, "reports", "out", "trend_random_mixed.png")))

    def test_headline_counts_points_not_verdicts(self):
        pts = [gate_point("ws=128", time="REGRESSION"), gate_point("ws=256", instructions="REGRESSION"),
               gate_point("ws=512"), gate_point("ws=1024", after="REGRESSION")]
        self.assertEqual(report.points_headline(verdict(pts)),
                         "3 of 4 points regressed (throughput 1, instructions 1, memory (RSS) 1)")
        _, page = self.history(verdict(pts), os.path.join(self.tmp, "out"))
        self.assertIn("3 of 4 points regressed (summed over 1 gated step(s)).", page)
        self.assertIn("3 of 4 points regressed (throughput 1", page)
        self.assertNotIn("FAIL: 3 regression(s)", page)

    def test_headline_counts_inconclusive_points(self):
        # The replay measures no extra rounds: an unconfirmed memory change must still show.
        pts = [gate_point("ws=128", time="improvement", after="inconclusive"), gate_point("ws=256"),
               gate_point("ws=512", peak="inconclusive"), gate_point("ws=1024", time="REGRESSION", after="inconclusive")]
        self.assertEqual(report.points_headline(verdict(pts)),
                         "1 of 4 points regressed (throughput 1), 1 improved, 2 inconclusive")
        self.assertEqual(report.points_headline(verdict([gate_point("ws=128")])), "0 of 1 point regressed")

    def test_each_metric_is_coloured_by_its_own_verdict(self):
        _, page = self.history(verdict([gate_point("ws=128", instructions="REGRESSION")]), os.path.join(self.tmp, "o"))
        bands = dict(re.findall(r'<p class="bands" data-metric="(\w+)">[^<]*: ([^<]*)\.</p>', page))
        self.assertEqual(bands["time"], "none")
        self.assertEqual(bands["instructions"], "e1 -&gt; e2")
        self.assertEqual(bands["memory"], "none")
        _, page = self.history(verdict([gate_point("ws=128", peak="REGRESSION")]), os.path.join(self.tmp, "p"))
        bands = dict(re.findall(r'<p class="bands" data-metric="(\w+)">[^<]*: ([^<]*)\.</p>', page))
        self.assertEqual((bands["time"], bands["instructions"], bands["memory"]), ("none", "none", "e1 -&gt; e2"))

    def test_stale_pictures_are_removed_only_in_the_output_directory(self):
        out = os.path.join(self.tmp, "out")
        os.makedirs(os.path.join(out, "quick"))
        for path in (os.path.join(out, "ab_old_step.png"), os.path.join(out, "quick", "keep.png")):
            with open(path, "wb") as f:
                f.write(b"old")
        with open(os.path.join(self.tmp, "beside.png"), "wb") as f:
            f.write(b"old")
        _, page = self.history(verdict([gate_point("ws=128")]), out)
        self.assertFalse(os.path.exists(os.path.join(out, "ab_old_step.png")))
        self.assertTrue(os.path.exists(os.path.join(out, "quick", "keep.png")))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "beside.png")))
        srcs = re.findall(r'src="([^"]+)"', page)
        self.assertEqual(sorted(srcs), sorted(f for f in os.listdir(out) if f.endswith(".png")))
        for src in srcs:
            self.assertTrue(png_ok(os.path.join(out, src)), src)


class PeerTableTest(unittest.TestCase):
    def pt(self, variant, workload, params, median, peak_kb):
        return {"variant": variant, "workload": workload, "params": params, "label": "x", "median": median,
                "peak_rss_kb": peak_kb}

    def test_best_peer_and_ratios_of_the_last_state_matched_by_parameters(self):
        a = {"points": [self.pt("s0", "mt_churn", {"threads": 2}, 40e6, 4096),
                        self.pt("s0", "medium_mixed", {"ws": 128}, 20e6, 8192)]}
        b = {"points": [self.pt("s1", "mt_churn", {"threads": 2}, 50e6, 4096),
                        self.pt("s1", "medium_mixed", {"ws": 128}, 30e6, 10240)]}
        peers = {"points": [self.pt("mimalloc", "mt_churn", {"threads": 2}, 25e6, 2048),
                            self.pt("tcmalloc", "mt_churn", {"threads": 2}, 60e6, 8192),
                            self.pt("mimalloc", "medium_mixed", {"ws": 128}, 15e6, 8192),
                            # same workload, other parameters: never matched
                            self.pt("tcmalloc", "medium_mixed", {"ws": 2048}, 99e6, 1024)]}
        head, rows = report.peer_table(["s0", "s1"], [a, b], peers)
        self.assertEqual(head[:3], ["point", "s0", "s1"])
        churn, medium = rows
        self.assertIn("tcmalloc 60.00M", churn[3])
        self.assertEqual(churn[4], "x0.83")  # 50 / 60
        self.assertEqual(churn[5], "x2.00")  # 4096 / 2048 KiB against mimalloc
        self.assertIn("mimalloc 15.00M", medium[3])
        self.assertEqual(medium[4], "x2.00")
        self.assertEqual(medium[5], "x1.25")
        # The release build's ratios beside the last state's, when it is not the last.
        head, rows = report.peer_table(["s0", "s1"], [a, b], peers, ["s0", "s1"])
        self.assertEqual(head[4:], ["s0 / best peer", "s0 peak RSS / mimalloc", "s1 / best peer", "s1 peak RSS / mimalloc"])
        self.assertEqual(rows[0][4:], ["x0.67", "x2.00", "x0.83", "x2.00"])  # 40/60, 4096/2048


class MovedPointsTest(unittest.TestCase):
    def test_regressions_and_improvements_with_their_figures_only(self):
        v = {"points": [
            {"point": "a", "time": "improvement", "ratio": 1.77, "instructions": "ok"},
            {"point": "b", "time": "ok", "ratio": 1.01, "instructions": "ok",
             "peak_rss": {"verdict": "REGRESSION", "base_kb": 18534.4, "head_kb": 51302.4},
             "rss_after_free": {"verdict": "inconclusive", "base_kb": 1, "head_kb": 2}},
            {"point": "c", "time": "inconclusive", "ratio": 0.8, "instructions": "REGRESSION",
             "base_instructions_per_op": 62.4, "head_instructions_per_op": 66.8},
            {"point": "d", "time": "ok", "ratio": 1.0, "instructions": "ok"}]}
        self.assertEqual(report.moved_points(v),
                         "a x1.77; b peak RSS 18.1 -> 50.1 MiB; c instr/op 62.4 -> 66.8")
        self.assertEqual(report.moved_points({"points": []}), "")


if __name__ == "__main__":
    unittest.main()
