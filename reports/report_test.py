"""The plots render from real result files, and the pages reference only images that exist."""
import copy
import json
import os
import re
import tempfile
import unittest

import labdata
import report

FIX = os.path.join(os.environ.get("TEST_SRCDIR", ""), "hakmem_lab", "ci", "testdata")


def png_ok(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 5000


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.base = labdata.load_result(os.path.join(FIX, "clear_regression.base.json"))
        self.head = labdata.load_result(os.path.join(FIX, "clear_regression.head.json"))

    def test_trend_of_two_commits(self):
        labels = ["base\nf1x\n2026-11-22", "head\nf1x\n2026-11-22"]
        out = report.trend_plot(labels, [self.base, self.head], os.path.join(self.tmp, "t.png"), regressed=[1])
        self.assertTrue(png_ok(out))
        out = report.trend_plot(labels, [self.base, self.head], os.path.join(self.tmp, "i.png"), metric="instr")
        self.assertTrue(png_ok(out))

    def test_ab_plot_marks_the_failed_points(self):
        verdict = {"points": [{"point": "random_mixed ws=128", "time": "REGRESSION", "instructions": "ok"}]}
        out = report.ab_plot(self.base, self.head, "e3", "e3", verdict, os.path.join(self.tmp, "ab.png"))
        self.assertTrue(png_ok(out))

    def test_sweep_plot(self):
        r = copy.deepcopy(self.base)
        r["points"] = []
        for size in (16, 256, 4096, 65536, 1 << 20):
            r["points"].append({"workload": "size_sweep", "variant": "e3", "params": {"min_size": size, "max_size": size},
                                "samples": [1e7, 1.1e7, 0.9e7], "median": 1e7, "ci95": [0.9e7, 1.1e7]})
        self.assertTrue(png_ok(report.sweep_plot(r, os.path.join(self.tmp, "s.png"))))

    def test_routes_plot(self):
        routes = [{"free_header_fast": 0, "free_ss_hit": 98, "free_pool": 2}, {"free_header_fast": 98, "free_pool": 2}]
        self.assertTrue(png_ok(report.routes_plot(["phase7_broken", "e3"], routes, os.path.join(self.tmp, "r.png"))))

    def test_trend_page_references_only_existing_images(self):
        files = [os.path.join(FIX, n) for n in ("clear_regression.base.json", "clear_regression.head.json")]
        index, pngs = report.build_trend_report(files, [self.base, self.head], self.tmp)
        self.assertTrue(pngs)
        page = open(index).read()
        for src in re.findall(r'src="([^"]+)"', page):
            self.assertTrue(png_ok(os.path.join(self.tmp, src)), src)


class ReaderTest(unittest.TestCase):
    """Broken result files: one line naming the file and the field."""

    def write(self, data, raw=None):
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(raw if raw is not None else json.dumps(data))
        return path

    def assertRejects(self, data, needle, raw=None):
        path = self.write(data, raw)
        with self.assertRaises(labdata.LabError) as cm:
            labdata.load_result(path)
        msg = str(cm.exception)
        self.assertIn(path, msg)
        self.assertIn(needle, msg)
        self.assertNotIn("\n", msg)

    def good(self):
        with open(os.path.join(FIX, "clear_regression.base.json")) as f:
            return json.load(f)

    def test_truncated(self):
        self.assertRejects(None, "not valid JSON", raw=json.dumps(self.good())[:200])

    def test_wrong_version(self):
        d = self.good()
        d["schema_version"] = 3
        self.assertRejects(d, "schema_version: is 3")

    def test_nan_negative_empty_samples(self):
        d = self.good()
        text = json.dumps(d).replace(str(d["points"][0]["samples"][0]), "NaN", 1)
        self.assertRejects(None, "not valid JSON", raw=text)
        d = self.good()
        d["points"][1]["samples"][0] = -1
        self.assertRejects(d, "points[1].samples[0]: not positive")
        d = self.good()
        d["points"][2]["samples"] = []
        self.assertRejects(d, "points[2].samples: expected a non-empty array")

    def test_duplicate_point_and_unknown_variant(self):
        d = self.good()
        d["points"].append(copy.deepcopy(d["points"][0]))
        self.assertRejects(d, "duplicated point")
        d = self.good()
        d["points"][0]["variant"] = "e42"
        self.assertRejects(d, "points[0].variant: unknown variant 'e42'")


if __name__ == "__main__":
    unittest.main()
