"""The history report page in headless Chromium: it loads, every image resolves, screenshot saved.

Builds a report from the gate fixtures (two states), injects a script that lists images that
failed to load, and reads the DOM Chromium dumps after the load event. The screenshot lands in
the test's undeclared outputs (bazel-testlogs/reports/index_page_test/test.outputs/).
"""
import os
import re
import subprocess
import tempfile
import unittest

import labdata
import labtest
import report

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files", "--virtual-time-budget=5000"]


class IndexPageTest(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        base = labdata.load_result(labtest.fixture("clear_regression.base.json"))
        head = labdata.load_result(labtest.fixture("clear_regression.head.json"))
        states = [{"name": "e1", "commit": "baaf815c9", "date": "2025-11-12", "title": "E1"},
                  {"name": "e2", "commit": "5eabb89ad9", "date": "2025-11-12", "title": "E2"}]
        for r, s in zip((base, head), states):
            r["variants"][0]["name"] = s["name"]
            for p in r["points"]:
                p["variant"] = s["name"]
            r["fastpath_instructions"] = {s["name"]: {"malloc_hit": 20, "free_hit": 31}}
        verdict = {"exit_code": 1, "headline": "FAIL: 4 regression(s)", "regressions": 4, "improvements": 0,
                   "points": [{"point": "random_mixed ws=128", "workload": "random_mixed", "label": "ws=128",
                               "time": "REGRESSION", "instructions": "ok", "peak_rss": {"verdict": "ok"},
                               "rss_after_free": {"verdict": "ok"}}]}
        summary = {"machine": base["machine"], "headline_ops": [40e6, 32e6], "change_points": ["e2"],
                   "steps": [{"from": "e1", "to": "e2", "verdict": verdict}]}
        routes = {"e1": {"free_header_fast": 50, "free_ss_hit": 50}, "e2": {"free_header_fast": 49, "free_ss_hit": 51}}
        self.index = report.build_history_report(self.out, states, {"e1": base, "e2": head}, routes, summary, self.out)

    def chromium(self, *args):
        profile = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        return subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + list(args),
                              capture_output=True, text=True, timeout=120)

    def test_page_loads_and_every_image_resolves(self):
        self.assertTrue(os.path.exists(CHROMIUM), "chromium is not installed: run tools/setup.sh")
        page = open(self.index).read()
        srcs = re.findall(r'<img src="([^"]+)"', page)
        self.assertGreaterEqual(len(srcs), 5)
        probe = page.replace("</body>", """<script>
window.addEventListener('load', function () {
  var bad = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    if (!im.complete || im.naturalWidth === 0) bad.push(im.getAttribute('src'));
  }
  document.body.setAttribute('data-images', document.images.length + '');
  document.body.setAttribute('data-broken', bad.length + ':' + bad.join(','));
});
</script></body>""")
        check = os.path.join(self.out, "check.html")
        with open(check, "w") as f:
            f.write(probe)
        dom = self.chromium("--dump-dom", "file://" + check)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        self.assertIn('data-broken="0:"', dom.stdout, "images that did not load: %s" %
                      re.findall(r'data-broken="([^"]*)"', dom.stdout))
        self.assertIn('data-images="%d"' % len(srcs), dom.stdout)
        self.assertIn("HAKMEM history", dom.stdout)
        self.assertIn('id="run-kind">full<', dom.stdout)

        shots = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", self.out)
        shot = os.path.join(shots, "index.png")
        res = self.chromium("--window-size=1280,2400", "--screenshot=" + shot, "file://" + self.index)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        self.assertTrue(os.path.exists(shot) and os.path.getsize(shot) > 20000, "no screenshot")


if __name__ == "__main__":
    unittest.main()
