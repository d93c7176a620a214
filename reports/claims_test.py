"""The seeds' claims as data (well formed, quoted, testable here) and their evaluation."""
import contextlib
import io
import json
import os
import re
import tempfile
import unittest

import claims
import labdata
import labtest
import variants

SEEDS = os.path.join(os.path.dirname(os.path.abspath(claims.__file__)), "testdata", "seeds")


def section_text(doc, section):
    """The text of the heading `section` (## or ###) up to the next ## / ### heading, or None.
    The seeds are Markdown flattened onto one line: headings are ' ## ' / ' ### ' inside it."""
    m = re.search(r"(?:^| )#{1,3} " + re.escape(section), doc)
    if not m:
        return None
    n = re.search(r" #{2,3} ", doc[m.end():])
    return doc[m.start():m.end() + (n.start() if n else len(doc))]


class ClaimsFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = claims.load_claims()
        cls.docs = {}
        for name in cls.data["documents"]:
            with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
                cls.docs[name] = f.read()
        v = variants.load()
        cls.states = {x["name"] for x in v["VARIANTS"]} | {p for p in v["IMPLS"] if p != "hakmem"}

    def test_count_and_unique_ids(self):
        ids = [c["id"] for c in self.data["claims"]]
        self.assertGreaterEqual(len(ids), 25)
        self.assertEqual(len(ids), len(set(ids)), [i for i in ids if ids.count(i) > 1])

    def test_every_claim_has_its_fields(self):
        for c in self.data["claims"]:
            for key in ("id", "source", "section", "quote", "quantity", "claimed", "test"):
                self.assertTrue(c.get(key), "%s: %s missing or empty" % (c.get("id"), key))
            self.assertIn(c["source"], self.docs, c["id"])
            self.assertTrue(c["claimed"].get("text") and c["claimed"].get("unit"), c["id"])
            if c["test"]["metric"] != "not_replayable":
                self.assertTrue(c.get("context"), "%s: a measured claim says what bears on the comparison" % c["id"])

    def test_quotes_are_verbatim_in_their_section(self):
        for c in self.data["claims"]:
            text = section_text(self.docs[c["source"]], c["section"])
            self.assertIsNotNone(text, "%s: no heading %r in %s" % (c["id"], c["section"], c["source"]))
            self.assertIn(c["quote"], text, "%s: quote not in section %r" % (c["id"], c["section"]))
            self.assertIn(c["claimed"]["text"], c["quote"], "%s: the claimed value is not quoted" % c["id"])

    def test_claimed_numbers_are_derived_from_the_quoted_text(self):
        # No invented numbers: value/min/max are exactly what parse_claimed reads from the quote.
        for c in self.data["claims"]:
            want = claims.parse_claimed(c["claimed"]["text"], c["claimed"]["unit"])
            got = {k: c["claimed"].get(k) for k in want}
            self.assertEqual(got, want, c["id"])
            self.assertFalse(set(c["claimed"]) - set(want) - {"text"}, c["id"])

    def test_tests_name_real_states_and_metrics(self):
        units = {"ops_per_sec": {"ops/s"}, "ratio": {"x", "fraction"}, "instructions_per_op": {"instructions"},
                 "fastpath_instructions": {"instructions"}, "fastpath_cycles": {"cycles"}, "route_share": {"fraction"},
                 "stage_cycles": {"cycles"}}
        for c in self.data["claims"]:
            t = c["test"]
            self.assertIn(t["metric"], claims.METRICS, c["id"])
            if t["metric"] == "not_replayable":
                self.assertTrue(t.get("reason"), "%s: not_replayable needs a reason" % c["id"])
                continue
            self.assertTrue(t.get("states"), c["id"])
            for s in t["states"]:
                self.assertIn(s, self.states, "%s: state %s is not in allocator/variants.bzl" % (c["id"], s))
            n = 2 if t["metric"] == "ratio" or t.get("combine") else 1
            self.assertEqual(len(t["states"]), n, c["id"])
            unit = c["claimed"]["unit"]
            if t.get("combine") == "ratio":
                self.assertIn(unit, ("x", "fraction"), c["id"])
            else:
                self.assertIn(unit, units[t["metric"]], c["id"])
            if t["metric"] in ("ops_per_sec", "ratio", "instructions_per_op"):
                self.assertIn("workload", t, c["id"])
                self.assertIn("label", t, c["id"])
            if t["metric"] in ("fastpath_instructions", "fastpath_cycles"):
                self.assertIn(t["op"], claims.FASTPATH_OPS, c["id"])
                self.assertIn(t.get("combine"), (None, "difference", "ratio"), c["id"])
            if t["metric"] == "route_share":
                self.assertTrue(t["route"].startswith("free_"), c["id"])
                self.assertIn(t.get("among"), ("frees", "slow_frees"), c["id"])
            if t["metric"] == "stage_cycles":
                self.assertIn(t["stage"], claims.STAGES, c["id"])

    def test_stage_claims_name_a_build_that_has_the_stage(self):
        # A registry or classifier stage exists only in a build with that switch value (stage_probe
        # names it after its build's registry_impl / classify_order): the state must have it.
        v = variants.load()
        defaults = {k: sw["values"][0] for k, sw in v["SWITCHES"].items()}
        switches = {x["name"]: dict(defaults, **x["switches"]) for x in v["VARIANTS"]}
        n = 0
        for c in self.data["claims"]:
            t = c["test"]
            if t["metric"] != "stage_cycles":
                continue
            n += 1
            sw = switches[t["states"][0]]
            for prefix, switch in (("registry_lookup_", "registry_impl"), ("registry_c7_check_", "registry_impl"),
                                   ("classify_", "classify_order")):
                if t["stage"].startswith(prefix):
                    self.assertEqual(t["stage"][len(prefix):], sw[switch], "%s: %s in a %s=%s build" % (
                        c["id"], t["stage"], switch, sw[switch]))
        # The per-stage claims that were not replayable before stage_probe are measured now.
        self.assertGreaterEqual(n, 7)
        by_id = {c["id"]: c for c in self.data["claims"]}
        for i in ("e2.cycles.header_read", "e2.cycles.tls_push", "e2.cycles.page_boundary", "f.expected.header_read",
                  "f.expected.tls_push", "e2.fg_registry.lookup_cycles"):
            self.assertEqual(by_id[i]["test"]["metric"], "stage_cycles", i)

    def test_the_brief_is_covered(self):
        by_id = {c["id"]: c for c in self.data["claims"]}
        for needed in ("e2.cycles.registry", "e2.cycles.alignment", "e2.cycles.header_read", "e2.cycles.tls_push",
                       "e2.cycles.page_boundary", "e2.cycles.total_phase7", "f.cycles.hakmem_malloc",
                       "f.cycles.hakmem_free", "e2.e3_1.gain", "e2.e3_2.gain", "e2.e3_3.gain", "f.week1.gain",
                       "f.week2.gain", "f.week3.gain", "e2.rootcause.lookup_cycles", "e2.phase7.free_cycles"):
            self.assertIn(needed, by_id)
        metrics = {c["test"]["metric"] for c in self.data["claims"]}
        self.assertTrue({"ops_per_sec", "ratio", "fastpath_cycles", "fastpath_instructions", "route_share",
                         "not_replayable"} <= metrics)

    def test_contradictions_quote_both_sides(self):
        ids = set()
        for x in self.data["contradictions"]:
            self.assertNotIn(x["id"], ids)
            ids.add(x["id"])
            self.assertTrue(x.get("note"), x["id"])
            self.assertTrue(x["figures"], x["id"])
            for f in x["figures"]:
                text = section_text(self.docs[f["source"]], f["section"])
                self.assertIsNotNone(text, "%s: no heading %r" % (x["id"], f["section"]))
                self.assertIn(f["quote"], text, "%s: %r" % (x["id"], f["quote"]))
        self.assertGreaterEqual(len(ids), 5)
        both = [x for x in self.data["contradictions"] if len({f["source"] for f in x["figures"]}) == 2]
        self.assertTrue(both, "at least one contradiction between the two documents")


class ParseTest(unittest.TestCase):
    def test_forms(self):
        p = claims.parse_claimed
        self.assertEqual(p("59M ops/s", "ops/s"), {"value": 59e6, "unit": "ops/s"})
        self.assertEqual(p("8.6-9.4M ops/s", "ops/s"), {"min": 8.6e6, "max": 9.4e6, "unit": "ops/s"})
        self.assertEqual(p("50-100", "cycles"), {"min": 50, "max": 100, "unit": "cycles"})
        self.assertEqual(p("100+ cycles", "cycles"), {"min": 100, "max": None, "unit": "cycles"})
        self.assertEqual(p("≥30M ops/s", "ops/s"), {"min": 30e6, "max": None, "unit": "ops/s"})
        self.assertEqual(p("<10 cycles", "cycles"), {"min": None, "max": 10, "unit": "cycles"})
        self.assertEqual(p("-84%", "x"), {"value": 0.16, "unit": "x"})
        self.assertEqual(p("+226-335%", "x"), {"min": 3.26, "max": 4.35, "unit": "x"})
        self.assertEqual(p("95-99%", "fraction"), {"min": 0.95, "max": 0.99, "unit": "fraction"})
        self.assertEqual(p("<1%", "fraction"), {"min": None, "max": 0.01, "unit": "fraction"})
        self.assertEqual(p("18.1x", "x"), {"value": 18.1, "unit": "x"})
        self.assertEqual(p("~150M ops/s", "ops/s"), {"value": 150e6, "unit": "ops/s"})
        with self.assertRaises(ValueError):
            p("a lot", "x")


class VerdictTest(unittest.TestCase):
    R = {"min": 5, "max": 10, "unit": "cycles"}
    P = {"value": 100, "unit": "cycles"}

    def test_range_inside_and_outside(self):
        self.assertEqual(claims.verdict(self.R, 5), (1.0, "holds"))
        self.assertEqual(claims.verdict(self.R, 10), (1.0, "holds"))
        self.assertEqual(claims.verdict(self.R, 7.5), (1.0, "holds"))
        # outside a range never "holds", even when close: the ratio is to the nearest end
        self.assertEqual(claims.verdict(self.R, 11), (1.1, "within 2x"))
        self.assertEqual(claims.verdict(self.R, 4), (0.8, "within 2x"))

    def test_two_x_boundaries(self):
        self.assertEqual(claims.verdict(self.R, 20), (2.0, "within 2x"))
        self.assertEqual(claims.verdict(self.R, 2.5), (0.5, "within 2x"))
        self.assertEqual(claims.verdict(self.R, 20.5)[1], "off by 2.0x")  # 2.05 rounds to 2.0, still past 2x
        self.assertEqual(claims.verdict(self.R, 2.4)[1], "off by 2.1x")

    def test_off_by_n(self):
        self.assertEqual(claims.verdict(self.R, 53.0), (5.3, "off by 5.3x"))
        r, v = claims.verdict(self.P, 26.82)
        self.assertAlmostEqual(r, 0.2682)
        self.assertEqual(v, "off by 3.7x")

    def test_point_value_within_25_percent(self):
        self.assertEqual(claims.verdict(self.P, 125)[1], "holds")
        self.assertEqual(claims.verdict(self.P, 75)[1], "holds")
        self.assertEqual(claims.verdict(self.P, 126)[1], "within 2x")
        self.assertEqual(claims.verdict(self.P, 74)[1], "within 2x")
        self.assertEqual(claims.verdict(self.P, 100), (1.0, "holds"))

    def test_open_ends_zero_and_missing(self):
        lower = {"min": 100, "max": None, "unit": "cycles"}
        self.assertEqual(claims.verdict(lower, 1e9), (1.0, "holds"))
        self.assertEqual(claims.verdict(lower, 40), (0.4, "off by 2.5x"))
        upper = {"min": None, "max": 10, "unit": "cycles"}
        self.assertEqual(claims.verdict(upper, 0.5), (1.0, "holds"))
        self.assertEqual(claims.verdict(upper, 15), (1.5, "within 2x"))
        zero = {"value": 0.0, "unit": "fraction"}
        self.assertEqual(claims.verdict(zero, 0.0), (1.0, "holds"))
        self.assertEqual(claims.verdict(zero, 0.3), (None, "off (claimed 0)"))
        self.assertEqual(claims.verdict(self.R, -3)[1], "off (measured below 0, claimed above 0)")
        self.assertEqual(claims.verdict(self.R, None), (None, "not measured"))


def synthetic_history():
    """phase7, e2, e3 and the peers as the sweep writes them (medians as written), with
    fastpath_instructions and fastpath_cycles, and routes.json."""
    def pts(variant, medians, instr):
        return [labtest.point("random_mixed", variant, "ws=%d" % ws, {"ws": ws, "cycles": 1000000}, m, instr)
                for ws, m in zip((128, 256, 512, 1024), medians)]
    results = {}
    for name, commit, medians, fi, fc in (
            ("phase7", "498335281", (30e6, 32e6, 29e6, 28e6), (20, 40), (7.5, 9.0)),
            ("e2", "5eabb89ad9", (9.2e6, 9.4e6, 8.4e6, 8.4e6), (20, 131), (7.8, 26.8)),
            ("e1", "baaf815c9", (27e6, 28e6, 27e6, 21e6), (20, 38), (7.6, 6.0)),
            ("e3", "E3-3", (48e6, 50e6, 48e6, 45e6), (20, 31), (7.5, 5.4))):
        r = labtest.result("a" * 40, "2026-11-30T10:00:00Z", pts(name, medians, 100.0))
        r["fastpath_instructions"] = {name: {"malloc_hit": fi[0], "free_hit": fi[1]}}
        r["fastpath_cycles"] = {name: {"malloc_hit": fc[0], "free_hit": fc[1]}}
        results[name] = (commit, r)
    peers = labtest.result("a" * 40, "2026-11-30T10:00:00Z", pts("system", (80e6, 80e6, 70e6, 70e6), 94.0))
    peers["fastpath_instructions"] = {"system": {"malloc_hit": 74, "free_hit": 114}}
    routes = {"e3": {"free_header_fast": 980, "free_pool": 20, "malloc_fast": 1000, "pid": 1},
              "e2": {"free_header_fast": 480, "free_ss_hit": 500, "free_pool": 20}}
    return results, peers, routes


def synthetic_stages():
    """stages.json as tools/stages.py writes it: e3_safe (hash, header_first) and e2 (rbtree)."""
    def st(median, instructions, chained=True):
        c = {"median": median, "min": median / 2, "max": median * 3}
        return {"cycles": c, "chained_cycles": dict(c) if chained else None, "calls": 1024, "instructions": instructions}
    common = {"alignment_check": st(0.3, 3.0), "page_boundary_same_page": st(0.3, 3.0),
              "page_boundary_mincore": st(700.0, 37.0), "header_read": st(1.5, 6.0), "tls_push": st(4.8, 6.0, False),
              "tls_pop": st(6.0, 8.0, False)}
    return {"schema": "hakmem-lab/stages", "version": 1, "clock": "TSC (constant-rate reference cycles, not core "
            "cycles); no performance counters are used (x)", "tsc_mhz": 2100.0, "rounds": 3, "builds": {},
            "stages": {"e3_safe": dict(common, registry_lookup_hash=st(2.5, 14.0), classify_header_first=st(20.0, 96.0)),
                       "e2": dict(common, registry_lookup_rbtree=st(18.0, 79.0),
                                  classify_registry_first=st(35.0, 165.0))}}


class MeasureTest(unittest.TestCase):
    def setUp(self):
        results, peers, self.routes = synthetic_history()
        self.by_state = {k: r for k, (_, r) in results.items()}
        self.by_state["peers"] = peers
        self.m = claims.measurements_from_history(self.by_state, self.routes)

    def test_medians_and_fastpath_as_written(self):
        self.assertEqual(self.m["ops"]["e2"]["random_mixed"]["ws=128"], 9.2e6)
        self.assertEqual(self.m["ops"]["system"]["random_mixed"]["ws=1024"], 70e6)
        self.assertEqual(self.m["instructions_per_op"]["e3"]["random_mixed"]["ws=256"], 100.0)
        self.assertEqual(self.m["fastpath_instructions"]["e2"], {"malloc_hit": 20, "free_hit": 131})
        self.assertEqual(self.m["fastpath_cycles"]["e3"], {"malloc_hit": 7.5, "free_hit": 5.4})
        self.assertNotIn("system", self.m["fastpath_cycles"])  # optional: absent in peers here

    def test_the_median_is_not_recomputed(self):
        self.by_state["e3"]["points"][0]["samples"] = [1.0, 2.0, 3.0]
        m = claims.measurements_from_history(self.by_state, self.routes)
        self.assertEqual(m["ops"]["e3"]["random_mixed"]["ws=128"], 48e6)

    def test_each_metric(self):
        me = lambda t: claims.measure(t, self.m)[0]
        self.assertEqual(me({"metric": "ops_per_sec", "states": ["e2"], "workload": "random_mixed", "label": "ws=512"}), 8.4e6)
        self.assertAlmostEqual(me({"metric": "ratio", "states": ["e2", "phase7"], "workload": "random_mixed",
                                   "label": "ws=128"}), 9.2 / 30)
        geo = me({"metric": "ops_per_sec", "states": ["e3"], "workload": "random_mixed", "label": None})
        self.assertAlmostEqual(geo, (48e6 * 50e6 * 48e6 * 45e6) ** 0.25)
        self.assertAlmostEqual(me({"metric": "fastpath_cycles", "states": ["e2", "e1"], "op": "free_hit",
                                   "combine": "difference"}), 20.8)
        self.assertAlmostEqual(me({"metric": "fastpath_cycles", "states": ["e3", "e2"], "op": "free_hit",
                                   "combine": "ratio"}), 5.4 / 26.8)
        self.assertEqual(me({"metric": "fastpath_instructions", "states": ["e2"], "op": "malloc_hit+free_hit"}), 151)
        self.assertAlmostEqual(me({"metric": "route_share", "states": ["e2"], "route": "free_ss_hit", "among": "frees"}), 0.5)
        self.assertAlmostEqual(me({"metric": "route_share", "states": ["e2"], "route": "free_ss_hit",
                                   "among": "slow_frees"}), 500 / 520)
        self.assertEqual(me({"metric": "route_share", "states": ["e3"], "route": "free_ss_hit", "among": "frees"}), 0.0)

    def test_stage_cycles(self):
        m = claims.measurements_from_history(self.by_state, self.routes, synthetic_stages())
        me = lambda t: claims.measure(t, m)
        self.assertEqual(me({"metric": "stage_cycles", "states": ["e3_safe"], "stage": "header_read"}),
                         (1.5, "TSC ticks", None))
        self.assertEqual(me({"metric": "stage_cycles", "states": ["e2"], "stage": "registry_lookup_rbtree"})[0], 18.0)
        # A stage of another build is not taken from the one that has it.
        v, _, why = me({"metric": "stage_cycles", "states": ["e3_safe"], "stage": "registry_lookup_rbtree"})
        self.assertIsNone(v)
        self.assertIn("no stage registry_lookup_rbtree of e3_safe", why)
        # No stages.json: not measured, and the row says where the figure would come from.
        v, _, why = claims.measure({"metric": "stage_cycles", "states": ["e3_safe"], "stage": "header_read"}, self.m)
        self.assertIsNone(v)
        self.assertIn("stages.json", why)
        # The verdict of a stage claim: 1.5 ticks against E2's 2-3 cycles.
        rows = {r["id"]: r for r in claims.evaluate(claims.load_claims(), m)}
        r = rows["e2.cycles.header_read"]
        self.assertEqual((r["measured"], r["measured_unit"], r["verdict"]), (1.5, "TSC ticks", "within 2x"))
        self.assertAlmostEqual(r["ratio"], 0.75)
        self.assertIn("TSC", r["explanation"])
        self.assertEqual(r["test"], "stage_cycles header_read (stage_probe.e3_safe)")
        self.assertEqual(rows["e2.fg_registry.lookup_cycles"]["measured"], 18.0)
        with self.assertRaises(labdata.LabError):
            claims.measurements_from_history(self.by_state, self.routes, {"schema": "hakmem-lab/result"})

    def test_missing_data_says_what_is_missing(self):
        v, _, why = claims.measure({"metric": "fastpath_cycles", "states": ["system"], "op": "free_hit"}, self.m)
        self.assertIsNone(v)
        self.assertIn("fastpath_cycles of system", why)
        v, _, why = claims.measure({"metric": "ops_per_sec", "states": ["e3_1"], "workload": "random_mixed",
                                    "label": "ws=128"}, self.m)
        self.assertIsNone(v)
        self.assertIn("e3_1", why)
        v, _, why = claims.measure({"metric": "route_share", "states": ["phase7"], "route": "free_ss_hit",
                                    "among": "frees"}, self.m)
        self.assertIn("routes.json", why)

    def test_evaluate_the_real_claims(self):
        rows = claims.evaluate(claims.load_claims(), self.m)
        by = {r["id"]: r for r in rows}
        self.assertEqual(len(rows), len(claims.load_claims()["claims"]))
        r = by["e2.summary.current.ws128"]
        self.assertEqual((r["measured"], r["ratio"], r["verdict"], r["explanation"]), (9.2e6, 1.0, "holds", ""))
        r = by["e2.rootcause.lookup_cycles"]  # 26.8 - 6.0 ticks against 50-100 cycles
        self.assertAlmostEqual(r["measured"], 20.8)
        self.assertEqual(r["verdict"], "off by 2.4x")
        self.assertIn("TSC", r["explanation"])
        self.assertEqual(by["e2.fix3.branching"]["verdict"], "not replayable")
        self.assertTrue(by["e2.fix3.branching"]["explanation"])
        self.assertEqual(by["e2.cycles.header_read"]["verdict"], "not measured")  # no stages.json here
        self.assertIn("stages.json", by["e2.cycles.header_read"]["explanation"])
        self.assertEqual(by["e2.e3_1.expected"]["verdict"], "not measured")
        self.assertIn("e3_1", by["e2.e3_1.expected"]["explanation"])
        self.assertIn("f7_fix1", by["f.b1.gain"]["explanation"])  # the missing state is named
        self.assertEqual(by["f.target.current_share"]["measured_unit"], "fraction")
        for r in rows:
            if r["verdict"] != "holds":
                self.assertTrue(r["explanation"], r["id"])


class RenderTest(unittest.TestCase):
    def rows(self):
        results, peers, routes = synthetic_history()
        by_state = {k: r for k, (_, r) in results.items()}
        by_state["peers"] = peers
        return claims.evaluate(claims.load_claims(), claims.measurements_from_history(by_state, routes))

    def test_markdown(self):
        rows = self.rows()
        md = claims.render_markdown(rows, "machine X")
        table = [l for l in md.splitlines() if l.startswith("| ")]
        self.assertEqual(len(table), len(rows) + 1)  # header + one per claim
        self.assertIn("| e2.summary.current.ws128 |", md)
        self.assertIn("\\|", md)  # the seeds' table quotes keep their pipes escaped
        self.assertIn(claims.summary_line(rows), md)

    def test_html_is_an_escaped_section(self):
        rows = self.rows()
        h = claims.render_html(rows, "machine <X>")
        self.assertTrue(h.startswith('<section class="claims">'))
        self.assertNotIn("<html", h)
        self.assertIn("machine &lt;X&gt;", h)
        self.assertEqual(h.count("<tr class="), len(rows))
        self.assertIn('<tr class="holds">', h)
        self.assertIn('<tr class="na">', h)
        self.assertIn("<q>| 128B | **59M ops/s**", h)  # quotes as text, in <q>
        self.assertIn("Phase 7 -&gt; current", h)
        self.assertIn("&lt;1%", h)

    def test_text(self):
        rows = self.rows()
        t = claims.render_text(rows, "machine X")
        self.assertTrue(t.startswith("machine X\nid "))
        self.assertIn("off by 2.4x", t)
        self.assertTrue(t.rstrip().endswith(claims.summary_line(rows)))


class ContradictionsTest(unittest.TestCase):
    def test_the_page_states_each_contradiction_with_both_sides(self):
        data = claims.load_claims()
        self.assertGreaterEqual(len(data["contradictions"]), 5)
        page = claims.render_html([], "h", data["contradictions"])
        self.assertIn("Where the seeds contradict themselves", page)
        for c in data["contradictions"]:
            self.assertIn(c["id"], page)
            self.assertTrue(c["figures"] and c["note"], c["id"])  # one quote can contradict its own arithmetic
        self.assertNotIn("contradict", claims.render_html([], "h"))


class CliTest(unittest.TestCase):
    def tearDown(self):
        labdata.STORE_RUNFILE = "harness/store"
        os.environ.pop("FAKE_STORE_LOG", None)

    def test_reads_the_history_series_through_the_store(self):
        root = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        hist = os.path.join(root, labtest.MACHINE["fingerprint"], "full", "history")
        os.makedirs(hist)
        results, peers, routes = synthetic_history()
        for name, (commit, r) in results.items():
            labtest.write(r, hist, commit + ".json")
        labtest.write(peers, hist, "peers.json")
        labtest.write(routes, hist, "routes.json")
        labtest.write(synthetic_stages(), hist, "stages.json")
        labtest.write({"states": []}, hist, "summary.json")
        log = os.path.join(root, "store.log")
        os.environ["FAKE_STORE_LOG"] = log
        labdata.STORE_RUNFILE = "reports/testdata/fake_history_store.sh"
        md, page, js = (os.path.join(root, n) for n in ("c.md", "c.html", "c.json"))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(claims.main(["--root", root, "--markdown", md, "--html", page, "--json", js]), 0)
        with open(log) as f:
            # The listing, then `machine` (this machine, and the fingerprints its results may carry).
            self.assertEqual(f.read().split()[:6], ["list", "--json", "--series", "history", "--kind", "full"])
        text = out.getvalue()
        self.assertIn("machine 0123456789abcdef, full runs", text)
        self.assertIn("not in the store: phase7_broken, fg_registry, e3_1, e3_2", text)
        with open(js) as f:
            rows = {r["id"]: r for r in json.load(f)["rows"]}
        self.assertEqual(rows["e2.summary.current.ws128"]["verdict"], "holds")
        self.assertEqual(rows["f.measured.system.ws128"]["measured"], 80e6)  # peers.json, read as written
        self.assertAlmostEqual(rows["e2.budget.reduction"]["measured"], 5.4 / 26.8)
        self.assertEqual(rows["f.tldr.actual"]["verdict"], "not measured")
        self.assertEqual(rows["e2.cycles.tls_push"]["measured"], 4.8)  # stages.json, read as written
        self.assertNotIn("no stages.json", text)
        for path in (md, page):
            self.assertTrue(os.path.getsize(path) > 0)

    def test_an_empty_store_still_renders_every_claim(self):
        root = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        labdata.STORE_RUNFILE = "reports/testdata/fake_history_store.sh"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            claims.main(["--root", root, "--kind", "quick"])
        self.assertIn("quick runs; states measured: none", out.getvalue())
        self.assertIn("no stages.json", out.getvalue())
        self.assertNotIn(" holds ", out.getvalue())


if __name__ == "__main__":
    unittest.main()
