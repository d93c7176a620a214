"""tools/stages.py: measure_stages() on the real stage_probe builds, and how rounds are combined."""
import json
import math
import os
import subprocess
import tempfile
import unittest

import labdata
import stages


def probe_json(median, lo, hi, instructions, registry="hash", order="header_first"):
    st = {"calls": 1024, "instructions": instructions,
          "cycles": {"median": median, "min": lo, "max": hi},
          "chained_cycles": {"median": median + 4, "min": lo + 4, "max": hi + 4}}
    return {"probe": "stage_probe", "variant": "registry_impl=%s" % registry, "registry_impl": registry,
            "classify_order": order, "clock": "TSC (constant-rate reference cycles, not core cycles); no performance "
            "counters are used (x)", "core_cycles": False, "tsc_mhz": 2100.0, "repeats": 101, "blocks": 256,
            "registry_superslabs": 1, "instructions": instructions is not None, "instructions_note": "",
            "baseline": {}, "stages": {"header_read": dict(st),
                                       "tls_push": dict(st, chained_cycles=None)}}


class CombineTest(unittest.TestCase):
    def test_median_of_medians_and_extremes_of_every_repeat(self):
        runs = {"e3_safe": [probe_json(1.0, 0.5, 3.0, 6.0), probe_json(3.0, 0.2, 4.0, None),
                            probe_json(2.0, 0.9, 9.0, None)]}
        d = stages.combine(runs)
        self.assertEqual(d["schema"], stages.SCHEMA)
        self.assertEqual(d["rounds"], 3)
        hr = d["stages"]["e3_safe"]["header_read"]
        self.assertEqual(hr["cycles"], {"median": 2.0, "min": 0.2, "max": 9.0})
        self.assertEqual(hr["chained_cycles"], {"median": 6.0, "min": 4.2, "max": 13.0})
        self.assertEqual(hr["instructions"], 6.0)  # from the round that counted them
        self.assertIsNone(d["stages"]["e3_safe"]["tls_push"]["chained_cycles"])
        self.assertEqual(d["builds"]["e3_safe"]["registry_impl"], "hash")

    def test_a_failing_probe_is_named(self):
        def runner(cmd, **kw):
            return subprocess.CompletedProcess(cmd, 2, "", "usage: stage_probe ...\n")
        with self.assertRaises(labdata.LabError) as cm:
            stages.measure_stages(rounds=1, builds=("e3_safe",), runner=runner)
        self.assertIn("stage_probe.e3_safe failed (exit 2)", str(cm.exception))

    def test_measure_and_write(self):
        calls = []

        def runner(cmd, **kw):
            calls.append(cmd)
            build = "e2" if cmd[0].endswith(".e2") else "e3_safe"
            j = probe_json(2.0 if build == "e2" else 1.0, 0.1, 5.0, None if "--no-instructions" in cmd else 6.0,
                           registry="rbtree" if build == "e2" else "hash")
            return subprocess.CompletedProcess(cmd, 0, json.dumps(j) + "\n", "")
        path = os.path.join(os.environ.get("TEST_TMPDIR", tempfile.mkdtemp()), "stages.json")
        d = stages.measure_and_write(path, rounds=2, runner=runner)
        with open(path) as f:
            self.assertEqual(json.load(f), d)
        # Builds interleaved per round; callgrind only in the first round.
        self.assertEqual([c[0].rsplit(".", 1)[1] for c in calls], ["e3_safe", "e2", "e3_safe", "e2"])
        self.assertEqual(["--no-instructions" in c for c in calls], [False, False, True, True])
        self.assertEqual(d["stages"]["e2"]["header_read"]["cycles"]["median"], 2.0)
        self.assertEqual(d["stages"]["e2"]["header_read"]["instructions"], 6.0)

    def test_rounds_must_be_positive(self):
        with self.assertRaises(labdata.LabError):
            stages.measure_stages(rounds=0)


class RealProbeTest(unittest.TestCase):
    """Both builds, two short rounds: the shape reports/claims.py reads, with real figures."""

    def test_measure_stages(self):
        d = stages.measure_stages(rounds=2, repeats=101)
        json.dumps(d)  # serialisable as stages.json
        self.assertEqual(set(d["stages"]), set(stages.STAGE_BUILDS))
        self.assertTrue(d["clock"].startswith("TSC"), d["clock"])
        self.assertIn("no performance counters are used", d["clock"])
        self.assertEqual(d["builds"]["e3_safe"]["registry_impl"], "hash")
        self.assertEqual(d["builds"]["e2"]["registry_impl"], "rbtree")
        self.assertIn("registry_lookup_hash", d["stages"]["e3_safe"])
        self.assertIn("registry_lookup_rbtree", d["stages"]["e2"])
        self.assertIn("classify_registry_first", d["stages"]["e2"])
        for state, sts in d["stages"].items():
            for name, s in sts.items():
                for k in ("median", "min", "max"):
                    self.assertTrue(math.isfinite(s["cycles"][k]), (state, name, k))
                self.assertLessEqual(s["cycles"]["min"], s["cycles"]["median"])
                self.assertLessEqual(s["cycles"]["median"], s["cycles"]["max"])
                self.assertGreater(s["instructions"], 0, (state, name))
        self.assertIn("stage_probe, 2 round(s)", stages.render(d))


if __name__ == "__main__":
    unittest.main()
