"""The history's bisect on stored measurements: the first state whose gate verdict against good is
a regression, found in log2 probes, walking a fix plan backwards; no culprit when bad is fine."""
import unittest

import history


def states(*names):
    return [{"name": n} for n in names]


class BisectStoredTest(unittest.TestCase):
    def oracle(self, bad_from, order):
        calls = []

        def gate_of(good, name):
            calls.append((good, name))
            bad = order.index(name) >= order.index(bad_from)
            return {"exit_code": 1 if bad else 0, "headline": "FAIL" if bad else "PASS", "points": []}
        return gate_of, calls

    def test_first_bad_state_and_every_probe_against_good(self):
        order = ["phase7", "phase7_broken", "fg_registry", "e1", "e2"]
        gate_of, calls = self.oracle("e1", order)
        out = history.bisect_stored(states(*order), gate_of)
        self.assertEqual((out["culprit"], out["last_good"]), ("e1", "fg_registry"))
        self.assertTrue(all(g == "phase7" for g, _ in calls), calls)
        self.assertEqual(calls[0], ("phase7", "e2"))  # bad is checked first
        self.assertLessEqual(len(calls), 1 + 2)  # ceil(log2(4)) probes after bad
        self.assertEqual(out["verdict"]["exit_code"], 1)
        self.assertEqual([p["state"] for p in out["probes"]], [n for _, n in calls])

    def test_a_fix_plan_walked_backwards(self):
        order = ["f7_fix3", "f7_fix2", "f7_fix1", "f7_broken"]
        gate_of, _ = self.oracle("f7_fix2", order)
        out = history.bisect_stored(states(*order), gate_of)
        self.assertEqual((out["good"], out["bad"], out["culprit"], out["last_good"]),
                         ("f7_fix3", "f7_broken", "f7_fix2", "f7_fix3"))
        self.assertEqual(out["order"], order)

    def test_no_culprit_when_bad_passes(self):
        order = ["a", "b", "c"]
        out = history.bisect_stored(states(*order), lambda g, n: {"exit_code": 0, "headline": "PASS", "points": []})
        self.assertIsNone(out["culprit"])
        self.assertEqual(len(out["probes"]), 1)


class SweepGroupsTest(unittest.TestCase):
    """Branches without workloads of their own share one sweep; a branch with them gets its own,
    fork point included, and its own peers file."""

    def data(self):
        v = lambda n, br="e", hist=True: {"name": n, "branch": br, "history": hist}
        return {"VARIANTS": [v("a"), v("b"), v("f1", "findings"), v("rel", "e", False), v("x1", "beyond"),
                             v("x2", "beyond")],
                "REPLAY": {"e": {"from": None}, "findings": {"from": "a"},
                           "beyond": {"from": "rel", "workloads": "mt_churn,medium_mixed"}}}

    def test_groups(self):
        groups = history.sweep_groups(self.data(), "random_mixed", False)
        self.assertEqual([g["name"] for g in groups], ["seeds", "beyond"])
        self.assertEqual([s["name"] for s in groups[0]["states"]], ["a", "b", "f1"])
        self.assertEqual(groups[0]["workloads"], "random_mixed")
        self.assertEqual(groups[0]["peers_name"], "peers")
        self.assertEqual([s["name"] for s in groups[1]["states"]], ["rel", "x1", "x2"])
        self.assertEqual(groups[1]["workloads"], "mt_churn,medium_mixed")
        self.assertEqual(groups[1]["peers_name"], "peers__beyond")

    def test_no_shared_group_when_every_branch_has_its_own(self):
        d = self.data()
        d["REPLAY"] = {"beyond": d["REPLAY"]["beyond"]}
        self.assertEqual([g["name"] for g in history.sweep_groups(d, "random_mixed", False)], ["beyond"])


class MissingWorkloadsTest(unittest.TestCase):
    """A stored state that lacks a workload its group sweeps now is measured again."""

    def test_lists_only_the_workloads_without_points(self):
        import json, os, tempfile
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump({"points": [{"workload": "mt_churn"}, {"workload": "random_mixed"}]}, f)
        try:
            self.assertEqual(history.missing_workloads(path, "random_mixed,size_sweep,mt_churn"), ["size_sweep"])
            self.assertEqual(history.missing_workloads(path, "mt_churn"), [])
        finally:
            os.remove(path)


class StoreGroupTest(unittest.TestCase):
    """A state measured again replaces its stored entry even without --remeasure (it lacked a
    workload): the store refused it, after an 11-minute sweep."""

    def test_stored_states_are_replaced(self):
        import os, tempfile
        fd, stored = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        calls = []
        saved = history.put
        history.put = lambda r, name, replace: calls.append((name, replace))
        try:
            result = {"variants": [{"name": "old"}, {"name": "new"}, {"name": "tcmalloc"}],
                      "points": [{"variant": "old"}, {"variant": "new"}, {"variant": "tcmalloc"}]}
            states = [{"name": "old", "branch": "beyond"}, {"name": "new", "branch": "beyond"}]
            files = {"old": stored, "new": stored + ".absent"}
            history.store_group(result, states, files, ["tcmalloc"], stored + ".peers", "peers__beyond", False)
        finally:
            history.put = saved
            os.remove(stored)
        self.assertEqual(sorted(calls), [("new", False), ("old", True), ("peers__beyond", False)])


if __name__ == "__main__":
    unittest.main()
