"""The result reader reads what C++ wrote (v1 and v2), and refuses broken files in one line."""
import json
import os
import statistics
import tempfile
import unittest

import labdata
import labtest


class ReaderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def write(self, data, raw=None):
        fd, path = tempfile.mkstemp(suffix=".json", dir=self.dir)
        with os.fdopen(fd, "w") as f:
            f.write(raw if raw is not None else json.dumps(data))
        return path

    def v2(self):
        return labtest.result("a" * 40, "2026-11-30T10:00:00Z", [
            labtest.point("random_mixed", "e3", "ws=128", {"ws": 128, "cycles": 1000000}, 4.0e7, 50.0, 4000, 3000),
            labtest.point("size_sweep", "e3", "size=64", {"min_size": 64, "max_size": 64}, 2.0e7)],
            run_kind="quick")

    def assertRejects(self, data, needle, raw=None):
        path = self.write(data, raw)
        with self.assertRaises(labdata.LabError) as cm:
            labdata.load_result(path)
        msg = str(cm.exception)
        self.assertIn(path, msg)
        self.assertIn(needle, msg)
        self.assertNotIn("\n", msg)

    def test_v1_fixture_is_full_and_labels_are_derived(self):
        r = labdata.load_result(labtest.fixture("clear_regression.base.json", self.dir))
        self.assertEqual(r["run_kind"], "full")
        self.assertEqual([p["label"] for p in r["points"]][:1], ["ws=128"])
        self.assertTrue(all(p["label"] for p in r["points"]))

    def test_v2_keeps_run_kind_machine_and_summaries(self):
        r = labdata.load_result(self.write(self.v2()))
        self.assertEqual(r["schema_version"], 2)
        self.assertEqual(r["run_kind"], "quick")
        self.assertEqual(r["machine"]["cpu_model"], "Test CPU @ 2.0GHz")
        p = r["points"][0]
        self.assertEqual((p["median"], p["mad"], p["ci95"]), (4.0e7, 4.0e5, [4.0e7 * 0.98, 4.0e7 * 1.02]))

    def test_label_as_written_wins_over_the_derived_one(self):
        for version in (1, 2):
            d = self.v2()
            d["schema_version"] = version
            d["points"][0]["label"] = "ws=128 (warm)"
            r = labdata.load_result(self.write(d))
            self.assertEqual(r["points"][0]["label"], "ws=128 (warm)")
            self.assertNotEqual(labdata.point_label(r["points"][0]), "ws=128 (warm)")

    def test_median_is_read_not_recomputed(self):
        d = self.v2()
        d["points"][0]["samples"] = [1e7, 2e7, 3e7]
        d["points"][0]["median"] = 2.5e7
        d["points"][0]["ci95"] = [1.5e7, 2.9e7]
        r = labdata.load_result(self.write(d))
        self.assertNotEqual(statistics.median(r["points"][0]["samples"]), 2.5e7)
        self.assertEqual(r["points"][0]["median"], 2.5e7)
        self.assertEqual(r["points"][0]["ci95"], [1.5e7, 2.9e7])

    def test_truncated_json_is_one_line(self):
        self.assertRejects(None, "not valid JSON", raw=json.dumps(self.v2(), indent=1)[:300])

    def test_other_versions_and_schemas(self):
        d = self.v2()
        d["schema_version"] = 3
        self.assertRejects(d, "schema_version: is 3")
        d = self.v2()
        d["schema"] = "something/else"
        self.assertRejects(d, "schema: not a hakmem-lab result")

    def test_fields_the_tools_read(self):
        d = self.v2()
        del d["run_kind"]
        self.assertRejects(d, "run_kind: missing")
        d = self.v2()
        d["run_kind"] = "fast"
        self.assertRejects(d, "run_kind: is 'fast'")
        d = self.v2()
        del d["points"][1]["label"]
        self.assertRejects(d, "points[1].label: missing")
        d = self.v2()
        d["points"][0]["median"] = 0
        self.assertRejects(d, "points[0].median: not positive")
        d = self.v2()
        d["points"][0]["median"] = "fast"
        self.assertRejects(d, "points[0].median: expected number")
        d = self.v2()
        d["points"][0]["ci95"] = [1]
        self.assertRejects(d, "points[0].ci95: expected two numbers")
        d = self.v2()
        del d["machine"]["fingerprint"]
        self.assertRejects(d, "machine.fingerprint: missing")
        self.assertRejects(None, "not valid JSON", raw=json.dumps(self.v2()).replace("40000000.0", "NaN", 1))

    def test_v1_fixture_without_summaries_is_refused(self):
        # The gate fixtures carry median 0 (the C++ reader recomputes); Python does not.
        self.assertRejects(None, "points[0].median: not positive",
                           raw=open(os.path.join(labtest.FIX, "clear_regression.base.json")).read())


class StoreTest(unittest.TestCase):
    def tearDown(self):
        labdata.STORE_RUNFILE = "harness/store"

    def test_store_without_the_binary_is_one_line(self):
        labdata.STORE_RUNFILE = "harness/no-such-store"
        with self.assertRaises(labdata.LabError) as cm:
            labdata.store("path", "--series", "history", "--name", "x")
        self.assertIn("harness/no-such-store", str(cm.exception))
        self.assertNotIn("\n", str(cm.exception))

    def test_store_output_json_text_and_errors(self):
        labdata.STORE_RUNFILE = "tools/testdata/fake_store.sh"
        self.assertEqual(labdata.this_machine()["fingerprint"], "0123456789abcdef")
        self.assertEqual(labdata.store("path", "--series", "history", "--name", "peers", root="/r"),
                         "/r/0123456789abcdef/full/history/peers.json")
        self.assertEqual(labdata.store("list", "--json")[0]["type"], "result")
        with self.assertRaises(labdata.LabError) as cm:
            labdata.store("put", "/tmp/f.json", "--series", "history")
        self.assertEqual(str(cm.exception), "store put: store: /tmp/f.json: the entry exists already (use --replace)")


class RunfilesTest(unittest.TestCase):
    """Under `bazel run`, Bazel 4's stub exports only RUNFILES_MANIFEST_FILE and Python imports
    labdata through the symlink's target (the source tree): the tree must come from the manifest."""

    def test_runfiles_from_the_stubs_manifest(self):
        import os
        import tempfile
        from unittest import mock
        d = tempfile.mkdtemp()
        tree = os.path.join(d, "tool.runfiles")
        os.mkdir(tree)
        env = {k: v for k, v in os.environ.items() if k not in ("RUNFILES_DIR", "TEST_SRCDIR")}
        env["RUNFILES_MANIFEST_FILE"] = tree + "_manifest"
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(labdata.runfiles_root(), tree)
            self.assertEqual(os.environ["RUNFILES_DIR"], tree)


if __name__ == "__main__":
    unittest.main()
