#!/usr/bin/env python3
"""The seeds audited: every quantitative claim of the two seed documents against the lab's history.

  bazel run //reports:claims                                    this machine, full runs: table on stdout
  bazel run //reports:claims -- --kind quick --markdown claims.md --html claims.html
  bazel run //reports:claims -- --machine 0123456789abcdef --root DIR

reports/claims.json holds the claims as data: where each is (document, section, quote), what it
claims (value or range with unit, quoted) and which measurement tests it (states, workload, point
label, metric). This tool reads the history series of one machine and run kind from the result
store (`store list --json --series history --kind K`: one result per state, named by the state's
commit in allocator/variants.bzl, plus peers.json, routes.json and stages.json), builds the
measured values from what C++ wrote (medians, instructions per op, fastpath_instructions,
fastpath_cycles, and stage_probe's per-stage ticks (tools/stages.py): read, never recomputed), and
gives each claim a verdict:

  holds          inside the claimed range, or within +-25% of a claimed point value
  within 2x      the measured/claimed ratio (to the nearest end of a range) is in [0.5, 2]
  off by Nx      further off (N = max(ratio, 1/ratio), one decimal)
  not measured   the history holds no such measurement (a state, a peer, fastpath_cycles or
                 stages.json missing)
  not replayable the lab cannot measure it (the reason is in claims.json)

A row that does not hold carries the claim's `context` from claims.json: facts that bear on the
comparison (the seeds' cycles are core cycles of another CPU, the lab's are TSC ticks; which
switches two states differ in), never a verdict decided in advance.
"""
import argparse
import html
import json
import math
import os
import re
import sys
import textwrap

import labdata
import variants as variants_mod

CLAIMS_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "claims.json")
STAGES_SCHEMA = "hakmem-lab/stages"  # tools/stages.py's measure_stages(), stored as stages.json
# The stages harness/stage_probe reports (registry and classifier per build: <impl>, <order>).
STAGES = ("alignment_check", "page_boundary_same_page", "page_boundary_mincore", "header_read", "ownership_lookup",
          "ownership_check", "registry_lookup_hash", "registry_lookup_rbtree", "registry_c7_check_hash",
          "registry_c7_check_rbtree", "classify_header_first", "classify_registry_first", "tls_push", "tls_pop")

METRICS = ("ops_per_sec", "ratio", "instructions_per_op", "fastpath_instructions", "fastpath_cycles",
           "route_share", "stage_cycles", "not_replayable")
FASTPATH_OPS = ("malloc_hit", "free_hit", "malloc_hit+free_hit")
HOLDS, WITHIN_2X, NOT_MEASURED, NOT_REPLAYABLE = "holds", "within 2x", "not measured", "not replayable"
POINT_TOLERANCE = 0.25  # a point value holds within +-25%

# ---- claimed values ----------------------------------------------------------------------------

_CLAIMED = re.compile(r"^(?P<pre>≥|>=|<|~|\+|-)?(?P<a>\d+(?:\.\d+)?)(?:-(?P<b>\d+(?:\.\d+)?))?(?P<open>\+)?"
                      r"(?P<mega>M)?\s*(?P<unit>ops/s|cycles|instructions|%|x)?$")


def parse_claimed(text, unit):
    """The number(s) a quoted claim states, in `unit`: {"value": v} or {"min": a, "max": b} (either
    end may be None), plus "unit". "59-70M ops/s" -> 59e6..70e6; "100+ cycles", "≥30M ops/s" -> a
    lower bound; "<1%" an upper bound; a signed percentage is a ratio ("-84%" -> 0.16, "+226-335%"
    -> 3.26..4.35, unit "x"); an unsigned one a fraction ("95-99%" -> 0.95..0.99); "18.1x" -> 18.1."""
    m = _CLAIMED.match(text.strip())
    if not m:
        raise ValueError("claimed text %r: not a number, range or bound this reader understands" % text)
    pre, a, b = m.group("pre"), float(m.group("a")), m.group("b")
    b = float(b) if b is not None else None
    scale = 1e6 if m.group("mega") else 1.0
    a, b = a * scale, (b * scale if b is not None else None)
    if m.group("unit") == "%":
        if pre in ("+", "-"):
            sign = 1 if pre == "+" else -1
            a = 1 + sign * a / 100.0
            b = 1 + sign * b / 100.0 if b is not None else None
            if b is not None and b < a:
                a, b = b, a
        else:
            a, b = a / 100.0, (b / 100.0 if b is not None else None)
    elif pre == "-":
        raise ValueError("claimed text %r: a negative figure that is not a percentage" % text)
    a, b = _tidy(a), _tidy(b)
    if pre in ("≥", ">=") or m.group("open"):
        out = {"min": a, "max": None}
    elif pre == "<":
        out = {"min": None, "max": a}
    elif b is not None:
        out = {"min": a, "max": b}
    else:
        out = {"value": a}
    out["unit"] = unit
    return out


def _tidy(x):
    return None if x is None else float("%.12g" % x)


def load_claims(path=None):
    with open(path or CLAIMS_JSON, encoding="utf-8") as f:
        return json.load(f)


# ---- measurements ------------------------------------------------------------------------------

def measurements_from_history(results_by_state, routes, stages=None):
    """What the history measured, indexed for the claims' tests.

    results_by_state: {name: result} as labdata.load_result returns them (the states' results and,
    under any name, peers.json); points are indexed by their own `variant`. routes: routes.json
    ({state: counters}) or None. stages: stages.json (tools/stages.py's measure_stages()) or None.
    Returns {"ops": {variant: {workload: {label: median}}}, "instructions_per_op": same shape,
    "fastpath_instructions": {variant: {op: n}}, "fastpath_cycles": {variant: {op: n}},
    "routes": {state: counters}, "stages": {state: {stage: figures}}}: numbers as C++ wrote them."""
    out = {"ops": {}, "instructions_per_op": {}, "fastpath_instructions": {}, "fastpath_cycles": {},
           "routes": dict(routes or {}), "stages": stage_table(stages)}
    for result in results_by_state.values():
        if not result:
            continue
        for p in result.get("points", []):
            label = p.get("label") or labdata.point_label(p)
            out["ops"].setdefault(p["variant"], {}).setdefault(p["workload"], {}).setdefault(label, p["median"])
            ipo = p.get("instructions_per_op")
            if isinstance(ipo, (int, float)) and not isinstance(ipo, bool):
                out["instructions_per_op"].setdefault(p["variant"], {}).setdefault(p["workload"], {}).setdefault(label, ipo)
        for key in ("fastpath_instructions", "fastpath_cycles"):
            for variant, ops in (result.get(key) or {}).items():
                if not isinstance(ops, dict):
                    continue
                nums = {k: v for k, v in ops.items()
                        if k in ("malloc_hit", "free_hit") and isinstance(v, (int, float)) and not isinstance(v, bool)}
                if nums:
                    out[key].setdefault(variant, {}).update(nums)
    return out


def stage_table(stages):
    """{state: {stage: figures}} of a stages.json (None -> {}); refuses another schema."""
    if not stages:
        return {}
    if not isinstance(stages, dict) or stages.get("schema") != STAGES_SCHEMA or not isinstance(stages.get("stages"), dict):
        raise labdata.LabError("stages: not a %s document (tools/stages.py)" % STAGES_SCHEMA)
    return stages["stages"]


def _stage(measured, state, stage):
    """A stage's TSC ticks per call (the median over repeats and rounds, as written)."""
    by_state = measured.get("stages") or {}
    if not by_state:
        return None, "no stage measurements in this history (stages.json: tools/stages.py)"
    figures = by_state.get(state, {}).get(stage)
    if figures is None:
        return None, "no stage %s of %s in stages.json" % (stage, state)
    cycles = figures.get("cycles") or {}
    v = cycles.get("median")
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        return None, "stage %s of %s has no median in stages.json" % (stage, state)
    return v, None


def _geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values and all(v > 0 for v in values) else None


def _point_metric(table, what, state, workload, label, labels=None):
    pts = table.get(state, {}).get(workload)
    if not pts:
        return None, "no %s of %s %s in this history" % (what, state, workload)
    if label is None:
        keys = sorted(labels if labels is not None else pts)
        if not keys:
            return None, "no %s point common to the states" % workload
        return _geomean([pts[k] for k in keys]), None
    if label not in pts:
        return None, "no %s point %s of %s in this history" % (workload, label, state)
    return pts[label], None


def _fastpath(measured, metric, state, op):
    ops = measured[metric].get(state)
    if not ops:
        extra = " (results do not record it yet)" if metric == "fastpath_cycles" else ""
        return None, "no %s of %s in this history%s" % (metric, state, extra)
    parts = op.split("+")
    if any(p not in ops for p in parts):
        return None, "no %s %s of %s in this history" % (metric, op, state)
    return sum(ops[p] for p in parts), None


def _route_share(measured, state, route, among):
    counters = measured["routes"].get(state)
    if not counters:
        return None, "no route counters of %s (routes.json)" % state
    frees = {k: v for k, v in counters.items()
             if k.startswith("free_") and isinstance(v, (int, float)) and not isinstance(v, bool)}
    if among == "slow_frees":
        frees.pop("free_header_fast", None)
    total = sum(frees.values())
    if total <= 0:
        return None, "no %s counted for %s" % (among.replace("_", " "), state)
    return counters.get(route, 0) / total, None


def measure(test, measured):
    """(value, unit, why-missing) of one claim's test."""
    metric = test["metric"]
    states = test.get("states", [])
    if metric == "ops_per_sec":
        v, why = _point_metric(measured["ops"], "ops/s", states[0], test["workload"], test.get("label"))
        return v, "ops/s", why
    if metric == "instructions_per_op":
        v, why = _point_metric(measured["instructions_per_op"], "instructions/op", states[0], test["workload"],
                               test.get("label"))
        return v, "instructions", why
    if metric == "ratio":
        a, b = states
        labels = None
        if test.get("label") is None:
            for s in (a, b):
                if not measured["ops"].get(s, {}).get(test["workload"]):
                    return None, "x", "no ops/s of %s %s in this history" % (s, test["workload"])
            labels = set(measured["ops"][a][test["workload"]]) & set(measured["ops"][b][test["workload"]])
        va, why = _point_metric(measured["ops"], "ops/s", a, test["workload"], test.get("label"), labels)
        if why:
            return None, "x", why
        vb, why = _point_metric(measured["ops"], "ops/s", b, test["workload"], test.get("label"), labels)
        if why:
            return None, "x", why
        return va / vb, "x", None
    if metric in ("fastpath_instructions", "fastpath_cycles"):
        unit = "instructions" if metric == "fastpath_instructions" else "TSC ticks"
        vals = []
        for s in states:
            v, why = _fastpath(measured, metric, s, test["op"])
            if why:
                return None, unit, why
            vals.append(v)
        combine = test.get("combine")
        if combine == "difference":
            return vals[0] - vals[1], unit, None
        if combine == "ratio":
            if vals[1] <= 0:
                return None, "x", "%s %s of %s is not positive" % (metric, test["op"], states[1])
            return vals[0] / vals[1], "x", None
        return vals[0], unit, None
    if metric == "route_share":
        v, why = _route_share(measured, states[0], test["route"], test.get("among", "frees"))
        return v, "fraction", why
    if metric == "stage_cycles":
        v, why = _stage(measured, states[0], test["stage"])
        return v, "TSC ticks", why
    raise ValueError("unknown metric %r" % metric)


def describe_test(test):
    """What the lab measures for a claim, in a few words."""
    m = test["metric"]
    s = test.get("states", [])
    where = "%s %s" % (test.get("workload", ""), test.get("label") or "geo-mean")
    if m == "not_replayable":
        return "not replayable"
    if m == "ops_per_sec":
        return "ops/s of %s, %s" % (s[0], where)
    if m == "instructions_per_op":
        return "instructions/op of %s, %s" % (s[0], where)
    if m == "ratio":
        return "ops/s %s / %s, %s" % (s[0], s[1], where)
    if m in ("fastpath_instructions", "fastpath_cycles"):
        what = "%s %s" % (m, test["op"])
        if test.get("combine") == "difference":
            return "%s, %s - %s" % (what, s[0], s[1])
        if test.get("combine") == "ratio":
            return "%s, %s / %s" % (what, s[0], s[1])
        return "%s of %s" % (what, s[0])
    if m == "route_share":
        return "%s share of %s, %s" % (test["route"], test.get("among", "frees").replace("_", " "), s[0])
    if m == "stage_cycles":
        return "stage_cycles %s (stage_probe.%s)" % (test["stage"], s[0])
    return m


# ---- verdicts ----------------------------------------------------------------------------------

def verdict(claimed, value):
    """(ratio, verdict) of a measured value against a claimed value or range (parse_claimed's
    shape). The ratio is measured / claimed: to the nearest end of a range, 1.0 inside it."""
    if value is None:
        return None, NOT_MEASURED
    if "value" in claimed:
        lo = hi = claimed["value"]
    else:
        lo, hi = claimed.get("min"), claimed.get("max")
    point = "value" in claimed
    if (lo is None or value >= lo) and (hi is None or value <= hi):
        return 1.0, HOLDS
    end = lo if lo is not None and value < lo else hi
    if end == 0:
        return None, "off (claimed 0)"
    ratio = value / end
    if ratio <= 0:
        return ratio, "off (measured %s, claimed %s)" % ("0" if ratio == 0 else "below 0", "above 0" if end > 0 else "below 0")
    if point and 1 - POINT_TOLERANCE <= ratio <= 1 + POINT_TOLERANCE:
        return ratio, HOLDS
    if 0.5 <= ratio <= 2.0:
        return ratio, WITHIN_2X
    return ratio, "off by %.1fx" % max(ratio, 1 / ratio)


def evaluate(claims, measured):
    """One row per claim: id, source, section, quote, text (the quantity), claimed (quoted text),
    claimed_value, test, measured, measured_unit, ratio, verdict, explanation (empty when it holds)."""
    if isinstance(claims, dict):
        claims = claims["claims"]
    rows = []
    for c in claims:
        test = c["test"]
        row = {"id": c["id"], "source": c["source"], "section": c["section"], "quote": c["quote"],
               "text": c["quantity"], "claimed": c["claimed"]["text"], "claimed_value": c["claimed"],
               "test": describe_test(test), "test_spec": test, "measured": None, "measured_unit": None, "ratio": None}
        if test["metric"] == "not_replayable":
            row.update(verdict=NOT_REPLAYABLE, explanation=test["reason"])
        else:
            value, unit, why = measure(test, measured)
            if unit == "x" and c["claimed"].get("unit") == "fraction":
                unit = "fraction"  # "5.5% of System": the same ratio, shown as the claim states it
            ratio, v = verdict(c["claimed"], value)
            row.update(measured=value, measured_unit=unit, ratio=ratio, verdict=v)
            if v == HOLDS:
                row["explanation"] = ""
            elif v == NOT_MEASURED:
                row["explanation"] = why
            else:
                row["explanation"] = c.get("context", "")
        rows.append(row)
    return rows


# ---- rendering ---------------------------------------------------------------------------------

def fmt_value(value, unit):
    if value is None:
        return "-"
    if unit == "ops/s":
        return "%.3gM ops/s" % (value / 1e6)
    if unit == "fraction":
        return "%.3g%%" % (value * 100)
    if unit == "x":
        return "x%.3g" % value
    if unit in ("cycles", "TSC ticks", "instructions"):
        return "%.3g %s" % (value, unit)
    return "%.4g %s" % (value, unit or "")


def fmt_claimed(row):
    """The quoted text, and what it means when the text is a percentage or a bound."""
    cv = row["claimed_value"]
    text = row["claimed"]
    unit = cv.get("unit")
    if "value" in cv:
        meant = fmt_value(cv["value"], unit)
    elif cv.get("min") is not None and cv.get("max") is not None:
        a, b = fmt_value(cv["min"], unit), fmt_value(cv["max"], unit)
        meant = "%s..%s" % (a, b)
    elif cv.get("min") is not None:
        meant = ">= " + fmt_value(cv["min"], unit)
    else:
        meant = "<= " + fmt_value(cv["max"], unit)
    if unit == "x" and "%" in text:  # a signed percentage, read as a ratio
        return "%s (%s)" % (text, meant)
    return text


def fmt_ratio(row):
    return "-" if row["ratio"] is None else "%.2f" % row["ratio"]


def summary_line(rows):
    counts = {}
    for r in rows:
        key = "off" if r["verdict"].startswith("off") else r["verdict"]
        counts[key] = counts.get(key, 0) + 1
    order = [HOLDS, WITHIN_2X, "off", NOT_MEASURED, NOT_REPLAYABLE]
    return "%d claims: %s" % (len(rows), ", ".join("%d %s" % (counts[k], k) for k in order if counts.get(k)))


def render_text(rows, header=None):
    cols = [("id", lambda r: r["id"]), ("claimed", fmt_claimed),
            ("measured", lambda r: fmt_value(r["measured"], r["measured_unit"])),
            ("ratio", fmt_ratio), ("verdict", lambda r: r["verdict"]), ("tested by", lambda r: r["test"])]
    table = [[name for name, _ in cols]] + [[f(r) for _, f in cols] for r in rows]
    widths = [max(len(t[i]) for t in table) for i in range(len(cols))]
    out = [header] if header else []
    for i, t in enumerate(table):
        out.append("  ".join(c.ljust(w) for c, w in zip(t, widths)).rstrip())
        if i > 0 and rows[i - 1]["explanation"]:
            out.extend(textwrap.wrap(rows[i - 1]["explanation"], 110, initial_indent="    ", subsequent_indent="    "))
    out.append(summary_line(rows))
    return "\n".join(out) + "\n"


def _md(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def render_markdown(rows, header=None):
    out = ["# The seeds' claims, measured", ""]
    if header:
        out += [header, ""]
    out += ["| id | source, section | claim | quote | claimed | measured | ratio | verdict | tested by | note |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s |" % " | ".join(_md(x) for x in (
            r["id"], "%s, %s" % (r["source"], r["section"]), r["text"], r["quote"], fmt_claimed(r),
            fmt_value(r["measured"], r["measured_unit"]), fmt_ratio(r), r["verdict"], r["test"], r["explanation"])))
    out += ["", summary_line(rows), ""]
    return "\n".join(out)


def _verdict_class(v):
    if v == HOLDS:
        return "holds"
    if v == WITHIN_2X:
        return "within2x"
    if v.startswith("off"):
        return "off"
    return "na"


def render_contradictions_html(contradictions):
    """The seeds' internal contradictions, each with the figures of both sides (quoted)."""
    e = html.escape
    out = ["<h3>Where the seeds contradict themselves</h3>",
           "<p>Before any measurement: these figures disagree within or between the two documents.</p><ul>"]
    for c in contradictions:
        figs = "; ".join("%s (%s): <q>%s</q>" % (e(f["source"]), e(f["section"]), e(f["quote"])) for f in c["figures"])
        out.append("<li><b>%s</b> %s<br><small>%s</small></li>" % (e(c["id"]), e(c["note"]), figs))
    out.append("</ul>")
    return "\n".join(out)


def render_html(rows, header=None, contradictions=None):
    """A <section> a report page can include (no <html>/<body>); classes claims, holds, within2x, off, na.
    With `contradictions` (claims.json's list), they are stated first, with both sides' figures."""
    e = html.escape
    out = ['<section class="claims">', "<h2>The seeds' claims, measured</h2>"]
    if header:
        out.append("<p>%s</p>" % e(header))
    out.append("<p>%s</p>" % e(summary_line(rows)))
    if contradictions:
        out.append(render_contradictions_html(contradictions))
    out.append("<table><tr>%s</tr>" % "".join("<th>%s</th>" % h for h in (
        "id", "source, section", "claim", "quote", "claimed", "measured", "ratio", "verdict", "tested by", "note")))
    for r in rows:
        cls = _verdict_class(r["verdict"])
        out.append('<tr class="%s"><td><code>%s</code></td><td>%s<br>%s</td><td>%s</td><td><q>%s</q></td><td>%s</td>'
                   '<td>%s</td><td>%s</td><td class="verdict">%s</td><td>%s</td><td>%s</td></tr>' % (
                       cls, e(r["id"]), e(r["source"]), e(r["section"]), e(r["text"]), e(r["quote"]), e(fmt_claimed(r)),
                       e(fmt_value(r["measured"], r["measured_unit"])), e(fmt_ratio(r)), e(r["verdict"]), e(r["test"]),
                       e(r["explanation"])))
    out.append("</table>")
    out.append("<p>%s</p>" % e(summary_line(rows)))
    out.append("</section>")
    return "\n".join(out) + "\n"


# ---- the CLI -----------------------------------------------------------------------------------

def load_history(listing, kind, states, aliases=None):
    """({name: result}, routes, machine) from a `store list --json --series history` listing:
    each state's result (by its commit), peers.json under "peers", routes.json. Refuses a listing
    that mixes machines. `aliases`: fingerprints a result of the listing's machine may carry
    (labdata.fingerprints_of); default only the machine's own."""
    entries = [e for e in listing if e.get("series") == "history" and e.get("kind") == kind]
    machines = sorted({str(e.get("machine")) for e in entries})
    if len(machines) > 1:
        raise labdata.LabError("the store listing mixes machines (%s): one table is one machine" % ", ".join(machines))
    by_name = {e["name"]: e for e in entries}
    results = {}
    for v in states:
        e = by_name.get(variants_mod.store_name(v))
        if e is not None:
            results[v["name"]] = labdata.load_result(e["path"])
    if "peers" in by_name:
        results["peers"] = labdata.load_result(by_name["peers"]["path"])
    routes = None
    if "routes" in by_name:
        path = by_name["routes"]["path"]
        try:
            with open(path) as f:
                routes = json.load(f)
        except (OSError, ValueError) as err:
            raise labdata.LabError("%s: cannot read the route counters (%s)" % (path, err))
        if not isinstance(routes, dict):
            raise labdata.LabError("%s: expected an object {state: counters}" % path)
    for name, r in results.items():
        if machines and r["machine"]["fingerprint"] not in (aliases or {machines[0]}):
            raise labdata.LabError("%s: machine %s, the listing's is %s; never mixed" % (
                by_name.get(name, {}).get("path", name), r["machine"]["fingerprint"], machines[0]))
    return results, routes, (machines[0] if machines else None)


def load_stages(listing, kind):
    """stages.json of a `store list --json --series history` listing (None when absent)."""
    for e in listing:
        if e.get("series") == "history" and e.get("kind") == kind and e.get("name") == "stages":
            try:
                with open(e["path"]) as f:
                    data = json.load(f)
            except (OSError, ValueError) as err:
                raise labdata.LabError("%s: cannot read the stage measurements (%s)" % (e["path"], err))
            stage_table(data)  # refuses another schema
            return data
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--kind", choices=labdata.RUN_KINDS, default="full", help="run kind of the history (default full)")
    ap.add_argument("--machine", help="machine fingerprint (default this machine)")
    ap.add_argument("--root", help="the result store's root (default the store's own)")
    ap.add_argument("--claims", help="claims file (default reports/claims.json)")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    ap.add_argument("--html", metavar="FILE", help="also write the table as an HTML <section>")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    if args.machine and not re.fullmatch("[0-9a-f]{16}", args.machine):
        raise labdata.LabError("--machine: '%s' is not a fingerprint (16 lowercase hex digits)" % args.machine)
    root = labdata.user_path(args.root) if args.root else None
    try:
        claims = load_claims(labdata.user_path(args.claims) if args.claims else None)
    except (OSError, ValueError) as err:
        raise labdata.LabError("claims: %s" % err)
    data = variants_mod.load()
    states = variants_mod.replayed(data)
    cmd = ["list", "--json", "--series", "history", "--kind", args.kind]
    if args.machine:
        cmd += ["--machine", args.machine]
    listing = labdata.store(*cmd, root=root)
    if not isinstance(listing, list):
        raise labdata.LabError("store list --json: expected a JSON array")
    _, aliases = labdata.fingerprints_of(args.machine, root=root)
    results, routes, machine = load_history(listing, args.kind, states, aliases)
    stages = load_stages(listing, args.kind)
    missing = [v["name"] for v in states if v["name"] not in results]
    header = "machine %s, %s runs; states measured: %s%s%s" % (
        machine or args.machine or "(this machine)", args.kind,
        ", ".join(v["name"] for v in states if v["name"] in results) or "none",
        "; not in the store: " + ", ".join(missing) if missing else "",
        "" if "peers" in results else "; no peers.json")
    if stages is None:
        header += "; no stages.json"
    rows = evaluate(claims, measurements_from_history(results, routes, stages))
    sys.stdout.write(render_text(rows, header))
    for path, text in ((args.markdown, lambda: render_markdown(rows, header)), (args.html, lambda: render_html(rows, header, claims.get("contradictions"))),
                       (args.json, lambda: json.dumps({"header": header, "rows": rows}, indent=1) + "\n")):
        if path:
            labdata.write_atomic(labdata.user_path(path), text())
            print("wrote %s" % labdata.user_path(path))
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "claims")
