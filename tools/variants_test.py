"""allocator/variants.bazelrc and allocator/variant_string.h are exactly what variants.bzl generates,
and the data is sane."""
import unittest

import variants


def by_name(data, name):
    return [v for v in data["VARIANTS"] if v["name"] == name][0]


class VariantsTest(unittest.TestCase):
    def setUp(self):
        self.data = variants.load()

    def test_bazelrc_is_in_sync(self):
        path = variants.find_bzl().replace("variants.bzl", "variants.bazelrc")
        with open(path) as f:
            checked_in = f.read()
        self.assertEqual(checked_in, variants.bazelrc_text(self.data),
                         "allocator/variants.bazelrc is stale: run bazel run //tools:variants -- --write-bazelrc")

    def test_variant_string_h_is_in_sync(self):
        path = variants.find_bzl().replace("variants.bzl", "variant_string.h")
        with open(path) as f:
            checked_in = f.read()
        self.assertEqual(checked_in, variants.variant_string_h_text(self.data),
                         "allocator/variant_string.h is stale: run bazel run //tools:variants -- --write-bazelrc")

    def test_variant_string_h_names_every_switch_in_order(self):
        text = variants.variant_string_h_text(self.data)
        pos = [text.index('"%s=%s"' % (k, sw["values"][0])) for k, sw in self.data["SWITCHES"].items()]
        self.assertEqual(pos, sorted(pos))

    def test_history_order_and_required_states(self):
        names = [v["name"] for v in self.data["VARIANTS"]]
        for want in ("phase7", "phase7_broken", "fg_registry", "e1", "e2", "e3_1", "e3_2", "e3", "e3_safe"):
            self.assertIn(want, names)
        self.assertLess(names.index("phase7"), names.index("e2"))
        self.assertLess(names.index("e2"), names.index("e3"))
        self.assertEqual(self.data["VARIANTS"][names.index("x7_mid_tcache")]["switches"], {},
                         "x7_mid_tcache is the release default build: it may not differ from the defaults")
        for v in self.data["VARIANTS"]:
            if v.get("history", True) and variants.branch(v) != "beyond":
                self.assertEqual(v["switches"].get("fast_ownership_check"), "none",
                                 "%s is a history state: it trusts the header alone" % v["name"])

    def test_branch_field(self):
        for v in self.data["VARIANTS"]:
            self.assertIn(variants.branch(v), variants.BRANCHES)
            if variants.branch(v) not in self.data["REPLAY"]:
                self.assertFalse(v.get("history", True), v["name"])
        bad = dict(self.data, VARIANTS=[dict(self.data["VARIANTS"][0], branch="nope")])
        with self.assertRaises(SystemExit):
            variants.validate(bad, "test")

    def test_replayed_branches_and_their_chains(self):
        chains = {br: [v["name"] for v in c] for br, _, c in variants.chains(self.data)}
        self.assertEqual(chains["e"], ["phase7", "phase7_broken", "fg_registry", "e1", "e2", "e3_1", "e3_2", "e3"])
        # The Findings branch forks off phase7: its chain starts there.
        self.assertEqual(chains["findings"], ["phase7", "f7_broken", "f7_fix1", "f7_fix2", "f7_fix3"])
        names = [v["name"] for v in variants.replayed(self.data)]
        self.assertEqual(len(names), len(set(names)))
        # The release build is no state of the seeds' branches; it is where "beyond" forks.
        self.assertNotIn("e3_safe", chains["e"] + chains["findings"])
        self.assertEqual(chains["beyond"], ["e3_safe", "x3_large", "x3_spill", "x4_map", "x5_arena", "x5_arena_mid",
                                              "x7_mid_tcache"])
        for v in self.data["VARIANTS"]:
            if v["name"] in chains["e"]:
                self.assertEqual(variants.branch(v), "e")
        # Store names: commits on the E branch, names elsewhere; never two states under one name.
        stored = [variants.store_name(v) for v in variants.replayed(self.data)]
        self.assertEqual(len(stored), len(set(stored)), stored)
        by = {v["name"]: v for v in self.data["VARIANTS"]}
        self.assertEqual(variants.store_name(by["e2"]), "5eabb89ad9")
        self.assertEqual(variants.store_name(by["f7_broken"]), "f7_broken")

    def test_bisect_segment_walks_backwards_for_a_fix_plan(self):
        c = variants.chain(self.data, "findings")
        self.assertEqual([v["name"] for v in variants.bisect_segment(c, "f7_fix3", "f7_broken")],
                         ["f7_fix3", "f7_fix2", "f7_fix1", "f7_broken"])
        self.assertEqual([v["name"] for v in variants.bisect_segment(c, "phase7", "f7_fix1")],
                         ["phase7", "f7_broken", "f7_fix1"])
        for good, bad in (("e2", "f7_broken"), ("f7_fix1", "f7_fix1")):
            with self.assertRaises(SystemExit):
                variants.bisect_segment(c, good, bad)

    def test_replay_entries_name_states_of_their_branch(self):
        for br, cfg, c in variants.chains(self.data):
            names = [v["name"] for v in c]
            if cfg["seed_culprit"] is not None:
                self.assertIn(cfg["seed_culprit"], names)
            for n in cfg["bisect"] or []:
                self.assertIn(n, names)
        bad = dict(self.data, REPLAY=dict(self.data["REPLAY"], findings=dict(self.data["REPLAY"]["findings"],
                                                                              seed_culprit="e2")))
        with self.assertRaises(SystemExit):
            variants.validate(bad, "test")
        bad = dict(self.data, REPLAY=dict(self.data["REPLAY"], findings=dict(self.data["REPLAY"]["findings"],
                                                                              bisect=["f7_fix1", "f7_fix1"])))
        with self.assertRaises(SystemExit):
            variants.validate(bad, "test")

    def test_beyond_branch_states(self):
        # States after E3 (issue 14): never history, each says so in its notes, and each sets
        # only switches the seeds never had (every history state still means what it meant).
        beyond = [v for v in self.data["VARIANTS"] if variants.branch(v) == "beyond"]
        self.assertIn("x2_mid", [v["name"] for v in beyond])
        for v in beyond:
            self.assertTrue(v.get("notes", "").startswith("beyond the seeds"), v["name"])
        # The replayed chain is cumulative: each step changes exactly one switch, one never changed
        # before (no step undoes another).
        chain = variants.chain(self.data, "beyond")
        changed = set()
        for a, b in zip(chain, chain[1:]):
            fa, fb = variants.full_switches(self.data, a), variants.full_switches(self.data, b)
            diff = {k for k in fa if fa[k] != fb[k]}
            self.assertEqual(len(diff), 1, "%s -> %s changes %s" % (a["name"], b["name"], sorted(diff)))
            self.assertFalse(diff & changed, b["name"])
            changed |= diff
        # It is measured in a sweep of its own: a state shared with another branch is refused.
        bad = dict(self.data, REPLAY=dict(self.data["REPLAY"], beyond=dict(self.data["REPLAY"]["beyond"], **{"from": "e3"})))
        with self.assertRaises(SystemExit):
            variants.validate(bad, "test")
        x2 = [v for v in beyond if v["name"] == "x2_mid"][0]
        self.assertEqual(variants.full_switches(self.data, x2)["mid_fast_path"], "on")
        self.assertEqual({k: v for k, v in variants.full_switches(self.data, x2).items()
                          if v != variants.full_switches(self.data, by_name(self.data, "e3_safe"))[k]},
                         {"mid_fast_path": "on"}, "x2_mid is e3_safe plus one switch")
        self.assertEqual(self.data["SWITCHES"]["mid_fast_path"]["values"][0], "on", "the release default since x5_arena_mid")

    def test_shipped_build_is_the_one_config_without_switches(self):
        self.assertEqual(variants.shipped(self.data), "x7_mid_tcache")
        e3_safe = [v for v in self.data["VARIANTS"] if v["name"] == "x7_mid_tcache"][0]
        two = dict(self.data, VARIANTS=self.data["VARIANTS"] + [dict(e3_safe, name="twin")])
        with self.assertRaises(SystemExit):
            variants.shipped(two)

    def test_every_config_sets_every_switch(self):
        for name, flags, _ in variants.configs(self.data):
            if name in self.data["IMPLS"]:
                continue
            for sw in self.data["SWITCHES"]:
                self.assertIn("//allocator:" + sw, flags, name)

    def test_rejects_unknown_switch_value(self):
        bad = dict(self.data)
        bad["VARIANTS"] = [dict(self.data["VARIANTS"][0], switches={"c7_header": "maybe"})]
        with self.assertRaises(SystemExit) as cm:
            variants.validate(bad, "test")
        self.assertIn("c7_header='maybe'", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
