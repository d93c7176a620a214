"""The lab's plots and its static report page (matplotlib, Agg backend: no display needed).

Every function takes already-loaded results (tools/labdata.load_result) and writes PNG files;
build_history_report() writes the history page around them, build_commit_trend() the per-commit
trend page, sweep_page() the page of one sweep plot. Every page starts with what it shows: commit,
date (started_at), machine (cpu model, cores, fingerprint) and run kind. Numbers and verdicts are
read as C++ wrote them (medians, intervals, the gate's per-point verdicts), never recomputed.
"""
import html
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

import labdata  # noqa: E402


# The gate's per-point verdict fields (ci/compare.cc RenderJson) behind each plotted metric.
METRIC_FIELDS = {"time": ("time",), "instructions": ("instructions",), "memory": ("peak_rss", "rss_after_free")}
METRIC_NAMES = {"time": "throughput", "instructions": "instructions", "memory": "memory (RSS)"}

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _points(result, workload, variant=None):
    return [p for p in result["points"] if p["workload"] == workload and (variant is None or p["variant"] == variant)]


def _ci(p):
    lo, hi = p.get("ci95", [p["median"], p["median"]])
    return max(0.0, p["median"] - lo), max(0.0, hi - p["median"])


def _log_ticks(ax, values):
    """Readable ticks on a log axis: 1-2-5 steps (plus 3, 4, 6, 8 inside one decade)."""
    lo, hi = min(values), max(values)
    steps = [1, 2, 3, 4, 5, 6, 8] if hi / lo < 10 else [1, 2, 5]
    ticks, decade = [], 10.0 ** math.floor(math.log10(lo))
    while decade <= hi * 10:
        ticks += [decade * s for s in steps if lo / 1.5 <= decade * s <= hi * 1.5]
        decade *= 10
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % v))
    ax.yaxis.set_minor_locator(NullLocator())


YLABELS = {"ops": "throughput (M ops/s, median, 95% CI)", "instr": "instructions per operation (callgrind)",
           "rss": "peak RSS (KiB, median over rounds)"}


def trend_plot(labels, results, out_png, workload="random_mixed", regressed=(), title=None,
               metric="ops"):
    """One line per point of `workload` across the states/commits (x), log scale.

    metric "ops": median ops/s with 95% interval bars; "instr": instructions per operation;
    "rss": peak RSS (KiB). `regressed`: x indices of steps whose gate verdict regressed this
    metric (metric_regressed), drawn as red bands."""
    fig, ax = plt.subplots(figsize=(max(8, 1.25 * len(labels)), 5.2))
    keys = []
    for r in results:
        for p in _points(r, workload):
            k = p["label"]
            if k not in keys:
                keys.append(k)
    xs = list(range(len(labels)))
    many = len(keys) > len(COLORS)
    cmap = plt.get_cmap("viridis")
    all_ys = []
    for ci, key in enumerate(keys):
        ys, lo, hi, xs_used = [], [], [], []
        for x, r in enumerate(results):
            ps = [p for p in _points(r, workload) if p["label"] == key]
            if not ps:
                continue
            p = ps[0]
            if metric in ("instr", "rss"):
                field = "instructions_per_op" if metric == "instr" else "peak_rss_kb"
                if p.get(field) is None:
                    continue
                ys.append(p[field])
                lo.append(0)
                hi.append(0)
            else:
                ys.append(p["median"] / 1e6)
                d_lo, d_hi = _ci(p)
                lo.append(d_lo / 1e6)
                hi.append(d_hi / 1e6)
            xs_used.append(x)
        all_ys.extend(y for y in ys if y > 0)
        if ys:
            color = cmap(ci / max(1, len(keys) - 1)) if many else COLORS[ci % len(COLORS)]
            ax.errorbar(xs_used, ys, yerr=[lo, hi], marker="o", ms=4 if many else 6, capsize=3, color=color,
                        label=key)
    for x in regressed:
        ax.axvspan(x - 0.5, x + 0.5, color="#d62728", alpha=0.12, lw=0)
    if metric == "ops" and all_ys:  # throughput spans decades: log; instructions and RSS read better linear
        ax.set_yscale("log")
        _log_ticks(ax, all_ys)
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_xlabel("state (name, commit, date)")
    ax.set_ylabel(YLABELS[metric])
    ax.set_title(title or ("%s: %s per state" % (workload, {"ops": "ops/s", "instr": "instructions/op",
                                                            "rss": "peak RSS"}[metric])))
    ax.grid(True, which="both", axis="y", alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    if regressed:
        handles.append(Patch(color="#d62728", alpha=0.12))
        names.append("step the gate found a %s regression" % {"ops": "throughput", "instr": "instructions",
                                                                "rss": "memory"}[metric])
    if many:  # outside the axes, so no line hides behind it
        ax.legend(handles, names, fontsize=7, title="point", loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=2)
    else:
        ax.legend(handles, names, fontsize=8, title="point", loc="best")
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png


def routes_plot(labels, routes, out_png):
    """Stacked bars: where each state's frees went (stats=on builds of bench_random_mixed)."""
    kinds = [("free_header_fast", "header fast path", "#2ca02c"), ("free_ss_hit", "SuperSlab lookup", "#d62728"),
             ("free_slow_tiny", "tiny, slow path", "#ff7f0e"), ("free_pool", "pool", "#1f77b4"),
             ("free_mid", "mid", "#9467bd"), ("free_large", "large", "#8c564b")]
    fig, ax = plt.subplots(figsize=(max(8, 1.25 * len(labels)), 4.8))
    bottoms = [0.0] * len(labels)
    for key, name, color in kinds:
        vals = []
        for r in routes:
            total = sum(r.get(k, 0) for k, _, _ in kinds) or 1
            vals.append(100.0 * r.get(key, 0) / total)
        ax.bar(range(len(labels)), vals, bottom=bottoms, label=name, color=color)
        bottoms = [b + v for b, v in zip(bottoms, vals)]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_xlabel("state (name, commit, date)")
    ax.set_ylabel("share of frees (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Route of each free in bench_random_mixed (ws=1024), per state")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png


def sweep_plot(result, out_png, title=None):
    """ops/s against object size (size_sweep points) for every variant of one result."""
    fig, ax = plt.subplots(figsize=(9, 5.2))
    for ci, v in enumerate(result["variants"]):
        ps = sorted(_points(result, "size_sweep", v["name"]), key=lambda p: p["params"]["min_size"])
        if not ps:
            continue
        xs = [p["params"]["min_size"] for p in ps]
        ys = [p["median"] / 1e6 for p in ps]
        err = [[_ci(p)[0] / 1e6 for p in ps], [_ci(p)[1] / 1e6 for p in ps]]
        ax.errorbar(xs, ys, yerr=err, marker="o", ms=4, capsize=2, label=v["name"], color=COLORS[ci % len(COLORS)])
    for edge, name in ((1024, "tiny | pool"), (53248, "pool | mid"), (2 << 20, "mid | large")):
        ax.axvline(edge, color="#999", ls=":", lw=1)
        ax.annotate(name, (edge, 0.02), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                    ha="right", va="bottom", color="#666")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    _log_ticks(ax, [p["median"] / 1e6 for p in result["points"] if p["workload"] == "size_sweep"])
    ax.set_xlabel("object size (bytes, min = max)")
    ax.set_ylabel("throughput (M ops/s, median, 95% CI)")
    ax.set_title(title or "Size sweep: every tier, each allocator")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png


def ab_plot(base, head, base_variant, head_variant, verdict, out_png, title=None):
    """The per-point throughput ratios head/base with intervals; red: the gate's time verdict of
    the point is a regression (this plot shows throughput only)."""
    failed = {p["point"] for p in verdict.get("points", []) if metric_verdict(p, "time") == "REGRESSION"}
    hp = {(p["workload"], p["label"]): p for p in head["points"] if p["variant"] == head_variant}
    rows = []
    for b in base["points"]:
        if b["variant"] != base_variant:
            continue
        key = (b["workload"], b["label"])
        if key not in hp:
            continue
        h = hp[key]
        ratio = h["median"] / b["median"]
        blo, bhi = b.get("ci95", [b["median"]] * 2)
        hlo, hhi = h.get("ci95", [h["median"]] * 2)
        lo = hlo / bhi if bhi > 0 else ratio
        hi = hhi / blo if blo > 0 else ratio
        rows.append(("%s %s" % key, ratio, max(0, ratio - lo), max(0, hi - ratio)))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.6))
    ys = range(len(rows))
    colors = ["#d62728" if r[0] in failed else "#1f77b4" for r in rows]
    ax.barh(list(ys), [r[1] for r in rows], xerr=[[r[2] for r in rows], [r[3] for r in rows]], color=colors,
            capsize=2)
    ax.axvline(1.0, color="k", lw=1)
    ax.set_yticks(list(ys))
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xlabel("head / base throughput (median ratio, interval from the 95% CIs)")
    ax.set_ylabel("point")
    ax.set_title(title or ("A/B: %s -> %s (red: the gate found a throughput regression)" % (base_variant, head_variant)))
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png, colors


def _table(headers, rows, row_ids=None):
    out = ["<table><tr>" + "".join("<th>%s</th>" % html.escape(h) for h in headers) + "</tr>"]
    for i, r in enumerate(rows):
        rid = ' id="%s"' % row_ids[i] if row_ids else ""
        out.append("<tr%s>" % rid + "".join("<td>%s</td>" % c for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px}}
th{{background:#f0f0f0}}.bad{{color:#c00;font-weight:bold}}.good{{color:#070}}img{{max-width:100%;border:1px solid #eee}}
.runinfo{{background:#f6f6f6;border:1px solid #ddd;padding:6px 10px;font-size:13px}}
.runinfo b{{display:inline-block;min-width:6em}}</style>
</head><body>
{body}
</body></html>
"""


def _distinct(values):
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def run_header(results, what=None):
    """The page's first block: commit(s), date(s) (started_at), machine and run kind of `results`.
    Several results with different values list each value once."""
    infos = [labdata.result_info(r) for r in results]

    def show(key, shorten=None):
        vals = _distinct(i[key] for i in infos)
        shown = [shorten(v) if shorten else v for v in vals]
        if len(shown) > 4:
            shown = shown[:2] + ["...", shown[-1]]
        return html.escape(", ".join(str(v) for v in shown))
    fps = _distinct(i["fingerprint"] for i in infos)
    machines = "; ".join("%s, %s cores (fingerprint %s)" % (html.escape(str(i["cpu_model"])), html.escape(str(i["cores"])),
                                                          html.escape(i["fingerprint"]))
                         for i in [next(x for x in infos if x["fingerprint"] == fp) for fp in fps])
    lines = ['<div class="runinfo" id="runinfo">']
    if what:
        lines.append("<div>%s</div>" % what)
    lines += ['<div><b>commit</b> <span id="run-commit">%s</span></div>' % show("commit"),
              '<div><b>date</b> <span id="run-date">%s</span> (started_at)</div>' % show("started_at"),
              '<div><b>machine</b> <span id="run-machine">%s</span></div>' % machines,
              '<div><b>run kind</b> <span id="run-kind">%s</span></div>' % show("run_kind"),
              "</div>"]
    return "\n".join(lines)


def field_verdict(point, field):
    """The gate's verdict of one field of a point ("time", "peak_rss", ...)."""
    v = point.get(field)
    return v.get("verdict") if isinstance(v, dict) else v


def metric_verdict(point, metric):
    """The gate's verdict of one point for `metric` (time, instructions, memory): REGRESSION when
    any of the metric's fields regressed, else improvement / inconclusive / ok."""
    vals = [field_verdict(point, field) for field in METRIC_FIELDS[metric]]
    for word in ("REGRESSION", "improvement", "inconclusive"):
        if word in vals:
            return word
    return "ok"


def metric_regressed(verdict, metric, workload=None):
    """True when the gate verdict has at least one point (of `workload`, if given) whose `metric`
    verdict is a regression."""
    return any(metric_verdict(p, metric) == "REGRESSION" for p in (verdict or {}).get("points", [])
               if workload is None or p.get("workload") == workload)


def moved_points(verdict):
    """'mem_large_churn ... x1.77; mem_thread_churn threads=200 peak RSS 18.1 -> 50.1 MiB': every
    point the gate called a regression or an improvement, with its throughput ratio or its RSS."""
    out = []
    for p in verdict.get("points", []):
        bits = []
        if p.get("time") in ("REGRESSION", "improvement"):
            bits.append("x%.2f" % p["ratio"] if isinstance(p.get("ratio"), (int, float)) else "throughput %s" % p["time"])
        for field, name in (("peak_rss", "peak RSS"), ("rss_after_free", "RSS after free")):
            m = p.get(field)
            if isinstance(m, dict) and m.get("verdict") in ("REGRESSION", "improvement"):
                if isinstance(m.get("base_kb"), (int, float)) and isinstance(m.get("head_kb"), (int, float)):
                    bits.append("%s %.1f -> %.1f MiB" % (name, m["base_kb"] / 1024, m["head_kb"] / 1024))
                else:
                    bits.append("%s %s" % (name, m["verdict"]))
        if p.get("instructions") in ("REGRESSION", "improvement") and p.get("base_instructions_per_op") \
                and p.get("head_instructions_per_op"):
            bits.append("instr/op %.1f -> %.1f" % (p["base_instructions_per_op"], p["head_instructions_per_op"]))
        if bits:
            out.append("%s %s" % (p.get("point", p.get("workload", "?")), ", ".join(bits)))
    return "; ".join(out)


def points_headline(verdict):
    """'3 of 12 points regressed (throughput 2, instructions 1), 1 improved, 2 inconclusive': counts
    of points, from the gate's per-point verdicts."""
    pts = verdict.get("points", [])
    reg = [p for p in pts if any(metric_verdict(p, m) == "REGRESSION" for m in METRIC_FIELDS)]
    imp = [p for p in pts if p not in reg and any(metric_verdict(p, m) == "improvement" for m in METRIC_FIELDS)]
    text = "%d of %d point%s regressed" % (len(reg), len(pts), "" if len(pts) == 1 else "s")
    if reg:
        kinds = ["%s %d" % (METRIC_NAMES[m], n) for m in METRIC_FIELDS
                 for n in [sum(1 for p in reg if metric_verdict(p, m) == "REGRESSION")] if n]
        text += " (%s)" % ", ".join(kinds)
    if imp:
        text += ", %d improved" % len(imp)
    # A point the gate could not confirm either way (a change beyond the limits its readings do
    # not support): said, so a step that measured no more rounds does not read as clean.
    inc = [p for p in pts if p not in reg and
           any(field_verdict(p, f) == "inconclusive" for fs in METRIC_FIELDS.values() for f in fs)]
    if inc:
        text += ", %d inconclusive" % len(inc)
    fp = [f for f in verdict.get("fastpath", []) if f.get("verdict") == "REGRESSION"]
    if fp:
        text += "; fast path regressed (%s)" % ", ".join(f.get("metric", "?") for f in fp)
    missing = verdict.get("missing_in_head") or []
    if missing:
        text += "; %d point%s missing in head" % (len(missing), "" if len(missing) == 1 else "s")
    return text


def remove_stale_pngs(out_dir, written):
    """Deletes the *.png files of `out_dir` (not below it) that this run did not write."""
    keep = {os.path.abspath(p) for p in written}
    removed = []
    for name in sorted(os.listdir(out_dir)):
        path = os.path.abspath(os.path.join(out_dir, name))
        if name.endswith(".png") and os.path.isfile(path) and path not in keep:
            os.unlink(path)
            removed.append(path)
    return removed


def _write_page(path, title, body):
    with open(path + ".tmp", "w") as f:
        f.write(PAGE.format(title=html.escape(title), body="\n".join(body)))
    os.replace(path + ".tmp", path)
    return path


def merge_results(parts):
    """One result holding the variants and points of several (for plots across files)."""
    out = dict(parts[0])
    out["variants"] = [v for r in parts for v in r["variants"]]
    out["points"] = [p for r in parts for p in r["points"]]
    return out


def _geo(values):
    vals = [v for v in values if isinstance(v, (int, float)) and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def state_numbers(result, name, workload="random_mixed"):
    """{ops, instr, malloc_hit, free_hit} of one state's result: geo-means over the workload's
    points (ops/s, instructions/op) and the fast-path instructions, as C++ wrote them."""
    pts = [p for p in result["points"] if p["workload"] == workload and p["variant"] == name]
    fp = result.get("fastpath_instructions", {}).get(name, {})
    return {"ops": _geo([p["median"] for p in pts]), "instr": _geo([p.get("instructions_per_op") for p in pts]),
            "malloc_hit": fp.get("malloc_hit"), "free_hit": fp.get("free_hit")}


def _fmt_step_numbers(a, b, na, nb):
    """'x0.85 throughput, instructions/op 52.6 -> 62.4 (+18.7%), free hit 31 -> 51' for a -> b."""
    parts = []
    if na["ops"] and nb["ops"]:
        parts.append("throughput x%.2f (%.1fM -> %.1fM ops/s)" % (nb["ops"] / na["ops"], na["ops"] / 1e6, nb["ops"] / 1e6))
    if na["instr"] and nb["instr"]:
        parts.append("instructions/op %.1f -> %.1f (%+.1f%%)" % (na["instr"], nb["instr"], 100 * (nb["instr"] / na["instr"] - 1)))
    for op in ("malloc_hit", "free_hit"):
        if na[op] is not None and nb[op] is not None and na[op] != nb[op]:
            parts.append("%s %s -> %s instructions" % (op.replace("_", " "), na[op], nb[op]))
    return "%s -> %s: %s" % (a, b, ", ".join(parts) if parts else "no measured difference")


def regressed_points_text(verdict, limit=4):
    """The first regressed points of a gate verdict with their figures, one phrase each."""
    out = []
    for p in verdict.get("points", []):
        if metric_verdict(p, "time") == "REGRESSION":
            out.append("%s throughput x%s" % (p["point"], "%.2f" % p["ratio"] if isinstance(p.get("ratio"), (int, float)) else "?"))
        if metric_verdict(p, "instructions") == "REGRESSION":
            out.append("%s instructions/op %s -> %s" % (p["point"], _r(p.get("base_instructions_per_op")),
                                                        _r(p.get("head_instructions_per_op"))))
        for field in METRIC_FIELDS["memory"]:
            m = p.get(field)
            if isinstance(m, dict) and m.get("verdict") == "REGRESSION":
                out.append("%s %s %s -> %s KiB" % (p["point"], field.replace("_", " "), _r(m.get("base_kb")),
                                                   _r(m.get("head_kb"))))
    for f in verdict.get("fastpath", []):
        if f.get("verdict") == "REGRESSION":
            out.append("fast path %s %s -> %s" % (f.get("metric"), f.get("base"), f.get("head")))
    more = len(out) - limit
    return "; ".join(out[:limit]) + (" (and %d more)" % more if more > 0 else "")


def _r(x):
    return "%.1f" % x if isinstance(x, (int, float)) else "?"


def step_predictions(claim_rows, a, b):
    """Claims whose test is the throughput ratio b / a (a step's predicted gain): rows of
    reports/claims.evaluate()."""
    return [r for r in claim_rows or [] if (r.get("test_spec") or {}).get("metric") == "ratio"
            and (r["test_spec"].get("states") == [b, a])]


def header_fast_share(counters):
    """Share of frees the header fast path took (routes.json counters of one state), or None."""
    frees = {k: v for k, v in (counters or {}).items() if k.startswith("free_") and isinstance(v, (int, float))}
    total = sum(frees.values())
    return frees.get("free_header_fast", 0) / total if total > 0 else None


def story_html(summary, results, claim_rows=None, routes=None):
    """The page's opening: per replayed branch, what the seeds blame, what the gate and the bisect
    (on the stored measurements) blame, where they agree, and why they differ, with numbers.
    `routes` (routes.json) adds each step's share of frees through the header fast path."""
    out = ['<section id="story"><h2>The story: what the seeds claimed, what the lab measured</h2>']
    for b in summary.get("branches", []):
        nums = {n: state_numbers(results[n], n) for n in b["states"] if n in results}
        steps = {s["to"]: s for s in b["steps"]}
        out.append('<div class="branch" id="story-%s"><h3>%s</h3><ul>' % (html.escape(b["branch"]), html.escape(b["title"])))
        bis = b.get("bisect")
        order = bis["order"] if bis else b["states"]
        seed = b.get("seed_culprit")
        if seed:
            prev = order[order.index(seed) - 1] if seed in order and order.index(seed) > 0 else None
            line = "<li><b>The seeds blame</b> %s: %s." % (html.escape(seed), html.escape(b.get("seed_says") or ""))
            if prev and prev in nums and seed in nums:
                line += " Measured here: %s." % html.escape(_fmt_step_numbers(prev, seed, nums[prev], nums[seed]))
            out.append(line + "</li>")
        failed = [s for s in b["steps"] if s["verdict"]["exit_code"] == 1]
        out.append("<li><b>The gate</b> (each step against the state before it) fails %s.</li>" % (
            "; ".join("%s -> %s (%s)" % (html.escape(s["from"]), html.escape(s["to"]),
                                         html.escape(points_headline(s["verdict"]))) for s in failed)
            if failed else "no step"))
        if bis:
            probes = ", ".join("%s %s" % (p["state"], "bad" if p["exit_code"] == 1 else "good") for p in bis["probes"])
            if bis["culprit"] is None:
                out.append("<li><b>Bisect</b> %s .. %s: %s does not regress against %s here (%s); nothing to blame.</li>" % (
                    html.escape(bis["good"]), html.escape(bis["bad"]), html.escape(bis["bad"]), html.escape(bis["good"]),
                    html.escape(bis["verdict"]["headline"])))
            else:
                c, lg = bis["culprit"], bis["last_good"]
                agree = c == seed
                out.append('<li><b>Bisect</b> %s .. %s (order %s; the gate against %s as the oracle, on the stored '
                           'measurements; probes: %s): first bad state <b>%s</b>, last good %s. <span class="%s" '
                           'id="bisect-%s">%s</span> %s</li>' % (
                               html.escape(bis["good"]), html.escape(bis["bad"]), html.escape(" -> ".join(order)),
                               html.escape(bis["good"]), html.escape(probes), html.escape(c), html.escape(lg),
                               "good" if agree else "bad", html.escape(b["branch"]),
                               "Agrees with the seeds." if agree else "Disagrees with the seeds (%s)." % html.escape(seed or "?"),
                               html.escape(_disagreement(bis, seed, nums)) if not agree else ""))
        live = (bis or {}).get("live")
        if live:
            out.append("<li><b>Root cause</b> of %s against %s (the live bisect's gate, <code>bazel run //tools:bisect -- "
                       "--good %s --bad %s%s</code>, cached in the store as %s: %s): %s</li>" % (
                           html.escape(bis["culprit"]), html.escape(bis["good"]), html.escape(bis["good"]),
                           html.escape(bis["bad"]), " --quick" if live.get("kind") == "quick" else "",
                           html.escape(live.get("file") or ""), html.escape(live.get("headline") or ""),
                           "<ul>%s</ul>" % "".join("<li>%s</li>" % html.escape(c) for c in live["causes"])
                           if live["causes"] else "no differential profile in it"))
        out.append("</ul>")
        rows = []
        for s in b["steps"]:
            a, z = s["from"], s["to"]
            preds = step_predictions(claim_rows, a, z)
            pred = "; ".join("%s: %s, measured x%.2f, %s" % (r["id"], r["claimed"], r["measured"], r["verdict"])
                             if r["measured"] is not None else "%s: %s, not measured" % (r["id"], r["claimed"])
                             for r in preds)
            cls = "bad" if s["verdict"]["exit_code"] == 1 else "good"
            ha, hz = header_fast_share((routes or {}).get(a)), header_fast_share((routes or {}).get(z))
            rows.append([html.escape("%s -> %s" % (a, z)),
                         html.escape("%.0f%% -> %.0f%%" % (100 * ha, 100 * hz)) if ha is not None and hz is not None else "-",
                         html.escape(_fmt_step_numbers(a, z, nums[a], nums[z]).split(": ", 1)[1]) if a in nums and z in nums else "",
                         '<span class="%s">%s</span>' % (cls, html.escape(points_headline(s["verdict"]))),
                         html.escape(moved_points(s["verdict"])) or "-",
                         html.escape(pred) or "-"])
        out.append(_table(["step", "frees via the header fast path", "measured (random_mixed geo-mean; fast path)",
                           "gate", "points the gate moved", "seeds predicted"], rows))
        if b.get("notes"):
            out.append("<details><summary>How faithful these states are (notes in allocator/variants.bzl)</summary><ul>%s"
                       "</ul></details>" % "".join("<li><b>%s</b>: %s</li>" % (html.escape(n), html.escape(t))
                                                   for n, t in b["notes"].items()))
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _disagreement(bis, seed, nums):
    """Why the bisect's culprit is not the seeds', with the numbers the gate judged."""
    c, lg, good = bis["culprit"], bis["last_good"], bis["good"]
    text = ("The gate judges every probe against %s, and %s is already beyond its limits there: %s. "
            % (good, c, regressed_points_text(bis["verdict"]) or bis["verdict"]["headline"]))
    if lg in nums and c in nums:
        text += "Its own step: %s. " % _fmt_step_numbers(lg, c, nums[lg], nums[c])
    order = bis["order"]
    if seed in order and order.index(seed) > 0:
        prev = order[order.index(seed) - 1]
        if prev in nums and seed in nums:
            text += "The seeds' step, later on this path: %s." % _fmt_step_numbers(prev, seed, nums[prev], nums[seed])
    return text


def history_out_dir(workspace, run_kind):
    """Where the history page of a run kind goes: reports/out/ (full), reports/out/quick/ (quick)."""
    return os.path.join(workspace, "reports", "out", *(["quick"] if run_kind == "quick" else []))


def build_history_report(store, states, results, routes, summary, out_dir, peers=None, claims_html=None,
                         claim_rows=None, branch_states=None, branch_peers=None):
    """<out_dir>/index.html with every plot of the history replay (files relative to it); the
    *.png of out_dir this run did not write are deleted. history writes full runs to
    reports/out/ and quick runs to reports/out/quick/.

    `peers`: a result with the same workloads on the peer allocators, measured in the same run.
    `claims_html`: the seeds' claims held against these measurements (reports/claims.py), shown
    right after the story: what the seeds claimed, what the lab measured. `claim_rows` (its rows)
    give each step its predicted gain. `states` is the E branch; every other branch of
    summary["branches"] (the Findings' fix plan) gets its own table and plots below it."""
    os.makedirs(out_dir, exist_ok=True)
    labels = ["%s\n%s\n%s" % (v["name"], v["commit"][:10], v["date"]) for v in states]
    step_verdicts = {s["to"]: s["verdict"] for s in summary["steps"]}
    res = [results[v["name"]] for v in states]
    kinds = _distinct(r["run_kind"] for r in res)
    if len(kinds) > 1:
        raise labdata.LabError("the history mixes run kinds (%s): one page shows one kind" % ", ".join(kinds))

    def bands(metric, workload="random_mixed"):
        return [i for i, v in enumerate(states) if metric_regressed(step_verdicts.get(v["name"]), metric, workload)]

    def steps_text(metric, workload="random_mixed"):
        xs = bands(metric, workload)
        names = ", ".join("%s -> %s" % (states[i - 1]["name"], states[i]["name"]) for i in xs if i > 0)
        return ('<p class="bands" data-metric="%s">Red bands: steps whose gate verdict has a %s regression in %s: %s.</p>'
                % (metric, METRIC_NAMES[metric], workload, html.escape(names) if names else "none"))
    written = []
    written.append(trend_plot(labels, res, os.path.join(out_dir, "trend_random_mixed.png"), "random_mixed",
                              bands("time"), "bench_random_mixed throughput per state of the history (working sets ws)"))
    written.append(trend_plot(labels, res, os.path.join(out_dir, "trend_instructions.png"), "random_mixed",
                              bands("instructions"), "bench_random_mixed instructions per operation per state",
                              metric="instr"))
    has_rss = any(p.get("peak_rss_kb") is not None for r in res for p in _points(r, "random_mixed"))
    if has_rss:
        written.append(trend_plot(labels, res, os.path.join(out_dir, "trend_rss.png"), "random_mixed", bands("memory"),
                                  "bench_random_mixed peak RSS per state", metric="rss"))
    has_sweep = any(_points(r, "size_sweep") for r in res)
    if has_sweep:
        written.append(trend_plot(labels, res, os.path.join(out_dir, "trend_size_sweep.png"), "size_sweep",
                                  bands("time", "size_sweep"), "Size sweep throughput per state (object sizes)"))
    written.append(routes_plot(labels, [routes[v["name"]] for v in states], os.path.join(out_dir, "routes.png")))
    # A/B of the step the gate failed on most points (the regression), or of the first step.
    ab_png = None
    failed = [s for s in summary["steps"] if s["verdict"]["exit_code"] == 1]
    first = max(failed, key=lambda s: s["verdict"]["regressions"]) if failed else (
        summary["steps"][0] if summary["steps"] else None)
    if first:
        ab_png, _ = ab_plot(results[first["from"]], results[first["to"]], first["from"], first["to"], first["verdict"],
                            os.path.join(out_dir, "ab_%s_%s.png" % (first["from"], first["to"])))
        written.append(ab_png)
    sweep_png = None
    if peers is not None:
        names = [n for n in ("phase7", "e2", "e3") if n in results]
        both = merge_results([results[n] for n in names] + [peers])
        if names and any(p["workload"] == "size_sweep" for p in both["points"]):
            same_run = all(results[n]["started_at"] == peers["started_at"] for n in names)
            sweep_png = sweep_plot(both, os.path.join(out_dir, "sweep_peers.png"),
                                   "Size sweep: %s and the peers, %s" % (", ".join(names), "measured in one interleaved run"
                                                                         if same_run else "peers measured in a separate run"))
            written.append(sweep_png)
    rows = []
    series = summary["headline_ops"]
    n_points = n_reg = 0
    for i, v in enumerate(states):
        verdict = step_verdicts.get(v["name"])
        cell = ""
        if verdict is not None:
            cls = "bad" if verdict["exit_code"] == 1 else "good"
            cell = '<span class="%s">%s</span> (gate exit %d)' % (cls, html.escape(points_headline(verdict)),
                                                                  verdict["exit_code"])
            n_points += len(verdict.get("points", []))
            n_reg += sum(1 for p in verdict.get("points", []) if any(
                metric_verdict(p, m) == "REGRESSION" for m in METRIC_FIELDS))
        rows.append([html.escape(v["name"]), html.escape(v["commit"]), html.escape(v["date"]), html.escape(v["title"]),
                     "%.1fM" % (series[i] / 1e6), "" if i == 0 else "x%.2f" % (series[i] / series[i - 1]), cell,
                     "change point" if v["name"] in summary["change_points"] else ""])
    fp_rows = []
    for v in states:
        fp = results[v["name"]].get("fastpath_instructions", {}).get(v["name"], {})
        fp_rows.append([html.escape(v["name"]), "%s" % fp.get("malloc_hit", "-"), "%s" % fp.get("free_hit", "-")])
    quick = kinds == ["quick"]
    body = ["<h1>HAKMEM history, measured on this machine%s</h1>" % (" (quick run)" if quick else ""),
            run_header(res + ([peers] if peers is not None else []),
                       "Every number below was measured by <code>bazel run //tools:history%s</code>; each state is a "
                       "build configuration of <code>allocator/variants.bzl</code>." % (" -- --quick" if quick else "")),
            '<p id="headline">%d of %d points regressed (summed over %d gated step(s)).</p>' % (n_reg, n_points,
                                                                                       len(summary["steps"])),
            ] + ([story_html(summary, results, claim_rows, routes)] if summary.get("branches") else []) + (
                [claims_html] if claims_html else []) + [
            "<h2>States and gate verdicts</h2>",
            _table(["state", "commit", "date", "title", "random_mixed (geo-mean ops/s)", "vs previous", "gate vs previous",
                    "change point"], rows),
            "<h2>Throughput</h2>", steps_text("time"), "<img src=\"trend_random_mixed.png\" alt=\"throughput trend\">",
            "<h2>Instructions per operation</h2>", steps_text("instructions"),
            "<img src=\"trend_instructions.png\" alt=\"instructions trend\">"]
    if has_rss:
        body += ["<h2>Peak RSS</h2>", steps_text("memory"), "<img src=\"trend_rss.png\" alt=\"peak RSS trend\">"]
    if has_sweep:
        body += ["<h2>Size sweep per state</h2>", steps_text("time", "size_sweep"),
                 "<img src=\"trend_size_sweep.png\" alt=\"size sweep trend\">"]
    body += ["<h2>Where frees went</h2><p>The seeds' 2025-11-09 finding (\"100% ss_hit, 0% header_fast\") "
             "is the phase7_broken bar.</p><img src=\"routes.png\" alt=\"route mix\">"]
    if sweep_png:
        body.append("<h2>Every tier against the peers</h2><img src=\"sweep_peers.png\" alt=\"size sweep with peers\">")
    if ab_png:
        body.append("<h2>A/B of %s -> %s</h2><p>Red bars: points whose throughput verdict is a regression.</p>"
                    "<img src=\"%s\" alt=\"A/B\">" % (html.escape(first["from"]), html.escape(first["to"]),
                                                      os.path.basename(ab_png)))
    states_by_name = dict({v["name"]: v for v in states}, **(branch_states or {}))
    for b in summary.get("branches", [])[1:]:
        written += _branch_section(b, results, out_dir, body, states_by_name, (branch_peers or {}).get(b["branch"]))
    shown = {v["name"] for v in states}
    for b in summary.get("branches", [])[1:]:
        for n in b["states"]:
            if n not in shown and n in results:
                shown.add(n)
                fp = results[n].get("fastpath_instructions", {}).get(n, {})
                fp_rows.append([html.escape(n), "%s" % fp.get("malloc_hit", "-"), "%s" % fp.get("free_hit", "-")])
    body += ["<h2>Fast path (instructions of one tiny hit, callgrind)</h2>",
             _table(["state", "malloc hit", "free hit"], fp_rows)]
    index = _write_page(os.path.join(out_dir, "index.html"),
                        "HAKMEM lab: history" + (" (quick)" if quick else ""), body)
    remove_stale_pngs(out_dir, written)
    return index


def _branch_section(b, results, out_dir, body, states_by_name=None, peers=None):
    """A replayed side branch (the Findings' plan): states, gate verdicts, throughput and
    instruction plots. Appends to body, returns the PNGs written."""
    names = [n for n in b["states"] if n in results]
    res = [results[n] for n in names]
    by = states_by_name or {}
    labels = ["%s\n%s\n%s" % (n, by[n]["commit"][:13], by[n]["date"]) if n in by else n for n in names]
    step_verdicts = {s["to"]: s["verdict"] for s in b["steps"]}

    def bands(metric):
        return [i for i, n in enumerate(names) if metric_regressed(step_verdicts.get(n), metric, "random_mixed")]
    prefix = "%s_" % b["branch"]
    written = [trend_plot(labels, res, os.path.join(out_dir, prefix + "trend_random_mixed.png"), "random_mixed",
                          bands("time"), "%s branch: bench_random_mixed throughput per state" % b["branch"].capitalize()),
               trend_plot(labels, res, os.path.join(out_dir, prefix + "trend_instructions.png"), "random_mixed",
                          bands("instructions"), "%s branch: instructions per operation per state" % b["branch"].capitalize(),
                          metric="instr")]
    rows = []
    series = b["headline_ops"]
    for i, n in enumerate(b["states"]):
        v = step_verdicts.get(n)
        cell = "" if v is None else '<span class="%s">%s</span> (gate exit %d)' % (
            "bad" if v["exit_code"] == 1 else "good", html.escape(points_headline(v)), v["exit_code"])
        rows.append([html.escape(n), "%.1fM" % (series[i] / 1e6), "" if i == 0 else "x%.2f" % (series[i] / series[i - 1]),
                     cell, "change point" if n in b["change_points"] else ""])
    body += ['<h2 id="branch-%s">%s</h2>' % (html.escape(b["branch"]), html.escape(b["title"])),
             _table(["state", "random_mixed (geo-mean ops/s)", "vs previous", "gate vs previous", "change point"], rows),
             '<img src="%strend_random_mixed.png" alt="%s throughput">' % (prefix, html.escape(b["branch"])),
             '<img src="%strend_instructions.png" alt="%s instructions">' % (prefix, html.escape(b["branch"]))]
    if peers is not None:
        # The release build's ratios too, when it is on the branch but not its last state.
        shipped = [n for n in names if (states_by_name or {}).get(n, {}).get("switches", None) == {}]
        head, prow = peer_table(names, res, peers, (shipped + names[-1:]) if shipped and shipped[0] != names[-1] else None)
        body += ['<h3 id="peers-%s">Every point against the best peer (measured in the same interleaved sweep)</h3>'
                 % html.escape(b["branch"]),
                 "<p>Median ops/s and peak RSS per state; the best peer by throughput; for the branch's last state "
                 "and the release build, throughput over the best peer's and peak RSS over mimalloc's.</p>",
                 _table(head, [[html.escape(c) for c in r] for r in prow])]
    return written


def _point_key(p):
    return (p["workload"], json.dumps(p.get("params", {}), sort_keys=True))


def peer_table(names, results, peers, judged=None):
    """Per point of the states' results: each state's median ops/s and peak RSS, the best peer by
    throughput, and for each state of `judged` (default: the last one; the history page adds the
    release build when it is not the last) its ratios: ops over the best peer's, peak RSS over
    mimalloc's. Returns (header, rows of strings)."""
    judged = [n for n in (judged or names[-1:]) if n in names]
    by_peer = {}
    for p in peers.get("points", []):
        by_peer.setdefault(_point_key(p), {})[p["variant"]] = p
    first = results[0]["points"] if results else []
    head = ["point"] + names + ["best peer"]
    for n in judged:
        head += ["%s / best peer" % n, "%speak RSS / mimalloc" % ("" if len(judged) == 1 else n + " ")]
    rows = []
    for p0 in first:
        key = _point_key(p0)
        cells = ["%s %s" % (p0["workload"], p0.get("label", ""))]
        mine = {}
        for n, r in zip(names, results):
            q = next((q for q in r["points"] if _point_key(q) == key), None)
            mine[n] = q
            cells.append("" if q is None else "%s, %.1f MiB" % (_ops(q["median"]), (q.get("peak_rss_kb") or 0) / 1024))
        pp = by_peer.get(key, {})
        best = max(pp.values(), key=lambda q: q["median"]) if pp else None
        cells.append("" if best is None else "%s %s, %.1f MiB" % (best["variant"], _ops(best["median"]),
                                                                  (best.get("peak_rss_kb") or 0) / 1024))
        mi = pp.get("mimalloc")
        for n in judged:
            q = mine.get(n)
            cells.append("" if best is None or q is None or not best["median"] else "x%.2f" % (q["median"] / best["median"]))
            cells.append("" if mi is None or q is None or not mi.get("peak_rss_kb") or not q.get("peak_rss_kb")
                         else "x%.2f" % (q["peak_rss_kb"] / mi["peak_rss_kb"]))
        rows.append(cells)
    return head, rows


def _ops(x):
    return "%.2fM" % (x / 1e6) if x >= 1e5 else "%.0f" % x


def sweep_page(result, png, page, source=None):
    """An HTML page around one sweep plot (png, in the same directory) with the run header."""
    body = ["<h1>Size sweep</h1>",
            run_header([result], "From <code>%s</code>." % html.escape(source) if source else None),
            '<img src="%s" alt="size sweep">' % html.escape(os.path.relpath(png, os.path.dirname(os.path.abspath(page))))]
    return _write_page(page, "HAKMEM lab: size sweep", body)


# ---- per-commit trend (reports/trend.py) -------------------------------------------------------

PANELS = [("ops", "throughput (M ops/s, median)", "time"), ("instr", "instructions per operation", "instructions"),
          ("rss", "peak RSS (KiB)", "memory")]
PEER_STYLES = ["--", ":", "-.", (0, (5, 1, 1, 1))]


def shipped_variant(result):
    """The variant a per-commit result measured as the shipped build: the first one whose
    allocator is hakmem (the others, e.g. system, are peers), else the first one."""
    for v in result["variants"]:
        if v.get("allocator") == "hakmem":
            return v["name"]
    return result["variants"][0]["name"]


def _value(p, panel):
    if panel == "ops":
        return p["median"] / 1e6
    return p.get("instructions_per_op" if panel == "instr" else "peak_rss_kb")


def commit_trend_plot(entries, workload, out_png, change_points_fn):
    """One figure for `workload`: three panels (ops/s, instructions/op, peak RSS KiB), x = the
    entries (commits, in order), one colour per point label. The shipped variant is the solid
    series; peers (other variants of the same file) are dashed reference lines. Change points of
    each shipped series are rings; reused measurements hollow squares; red bands: the commit's gate
    verdict (against its parent) regressed that panel's metric on this workload.
    Returns (png, {panel: {label: [x indices of change points]}})."""
    labels = []
    peers = []
    for e in entries:
        r, ship = e["result"], e["shipped"]
        for p in _points(r, workload):
            if p["label"] not in labels:
                labels.append(p["label"])
            if p["variant"] != ship and p["variant"] not in peers:
                peers.append(p["variant"])
    fig, axes = plt.subplots(3, 1, figsize=(max(9, 0.9 * len(entries) + 4), 11), sharex=True)
    xs_all = list(range(len(entries)))
    cps = {}
    for ax, (panel, ylabel, metric) in zip(axes, PANELS):
        cps[panel] = {}
        drew = False
        values = []
        for li, label in enumerate(labels):
            color = COLORS[li % len(COLORS)]
            xs, ys, reused = [], [], []
            for x, e in enumerate(entries):
                ps = [p for p in _points(e["result"], workload, e["shipped"]) if p["label"] == label]
                v = _value(ps[0], panel) if ps else None
                if v is not None and v > 0:
                    xs.append(x)
                    ys.append(v)
                    if e.get("reused_from"):
                        reused.append((x, v))
            if xs:
                drew = True
                values += ys
                ax.plot(xs, ys, "-o", color=color, ms=5, label=label)
                if reused:
                    ax.plot([x for x, _ in reused], [y for _, y in reused], "s", ms=10, mfc="none", mec="k")
                found = [xs[i] for i in change_points_fn(ys)]
                if found:
                    cps[panel][label] = found
                    ax.plot(found, [ys[xs.index(x)] for x in found], "o", ms=16, mfc="none", mec=color, mew=2)
            for pi, peer in enumerate(peers):
                pxs, pys = [], []
                for x, e in enumerate(entries):
                    ps = [p for p in _points(e["result"], workload, peer) if p["label"] == label]
                    v = _value(ps[0], panel) if ps else None
                    if v is not None and v > 0:
                        pxs.append(x)
                        pys.append(v)
                if pxs:
                    drew = True
                    values += pys
                    ax.plot(pxs, pys, linestyle=PEER_STYLES[pi % len(PEER_STYLES)], color=color, alpha=0.6, lw=1.2)
        for x, e in enumerate(entries):
            if metric_regressed(e.get("verdict"), metric, workload):
                ax.axvspan(x - 0.5, x + 0.5, color="#d62728", alpha=0.12, lw=0)
        if panel == "ops" and drew:
            ax.set_yscale("log")
            _log_ticks(ax, values)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("commit (topological order; short sha, date)")
        ax.set_title("%s: %s per commit" % (workload, ylabel.split(" (")[0]))
        ax.grid(True, which="both", axis="y", alpha=0.3)
        if not drew:
            ax.text(0.5, 0.5, "not measured", transform=ax.transAxes, ha="center", va="center", color="#888")
    # Legend: colours are point labels, line styles variants; markers explained.
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=COLORS[i % len(COLORS)], marker="o", label=lab) for i, lab in enumerate(labels)]
    handles.append(Line2D([], [], color="k", ls="-", label=entries[-1]["shipped"] + " (shipped)"))
    handles += [Line2D([], [], color="k", ls=PEER_STYLES[i % len(PEER_STYLES)], alpha=0.6, label=peer + " (peer)")
                for i, peer in enumerate(peers)]
    handles.append(Line2D([], [], marker="o", ms=12, mfc="none", mec="k", ls="", label="change point"))
    handles.append(Line2D([], [], marker="s", ms=9, mfc="none", mec="k", ls="", label="reused measurement"))
    handles.append(Patch(color="#d62728", alpha=0.12, label="gate vs parent: this metric regressed"))
    axes[0].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1].set_xticks(xs_all)
    axes[-1].set_xticklabels([e["tick"] for e in entries], fontsize=7, rotation=60, ha="right")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png, cps


def build_commit_trend(entries, out_dir, machine, kind, change_points_fn):
    """<out_dir>/trend.html and one trend_<workload>.png per workload; *.png of out_dir this run
    did not write are deleted.

    entries, in x order: {"commit", "date", "on_head", "tick", "result", "path", "shipped",
    "reused_from" (sha or None), "gate_path" (or None), "verdict" (the loaded gate JSON or None)}."""
    os.makedirs(out_dir, exist_ok=True)
    workloads = _distinct(p["workload"] for e in entries for p in e["result"]["points"])
    written, all_cps = [], {}
    for w in workloads:
        png, cps = commit_trend_plot(entries, w, os.path.join(out_dir, "trend_%s.png" % w), change_points_fn)
        written.append(png)
        all_cps[w] = cps
    rows, ids = [], []
    for x, e in enumerate(entries):
        cp = ["%s %s (%s)" % (w, lab, {"ops": "ops/s", "instr": "instructions", "rss": "RSS"}[panel])
              for w in workloads for panel, by in all_cps[w].items() for lab, xs in by.items() if x in xs]
        if e.get("verdict") is not None:
            v = e["verdict"]
            cls = "bad" if v.get("exit_code") == 1 else "good"
            gate = '<a href="%s">%s</a>: <span class="%s">%s</span> (gate exit %s)' % (
                html.escape(os.path.relpath(e["gate_path"], out_dir)), html.escape(os.path.basename(e["gate_path"])),
                cls, html.escape(points_headline(v)), html.escape(str(v.get("exit_code"))))
        else:
            gate = "no gate verdict stored"
        rows.append([str(x), '<a href="%s"><code>%s</code></a>' % (html.escape(os.path.relpath(e["path"], out_dir)),
                                                                  html.escape(e["commit"][:10])),
                     html.escape(e["date"]), "" if e["on_head"] else "<b>not reachable from HEAD</b>",
                     html.escape(e["result"]["started_at"]), html.escape(e["shipped"]),
                     "reused from %s" % html.escape(e["reused_from"][:10]) if e.get("reused_from") else "", gate,
                     html.escape("; ".join(cp))])
        ids.append("x%d" % x)
    results = [e["result"] for e in entries]
    body = ["<h1>Per-commit trend: machine %s, %s runs</h1>" % (html.escape(machine), html.escape(kind)),
            run_header(results, "%d commit(s) of the store's <code>commits</code> series, in topological order "
                                "(commits not reachable from HEAD last)." % len(entries)),
            '<p class="caveat">How to read it: each commit was measured at its own time, so its throughput '
            "carries the machine's drift between runs (on the shared 2-core machine this lab was built on, one "
            "byte-identical build measured 64M and 78M ops/s ten minutes apart), and a throughput change point "
            "may be drift. Instructions/op and RSS are steady across runs; the gate verdict against the parent "
            "compares stored results, and <code>//ci:gate -- --base A --head B</code> measures two commits "
            "interleaved when a step needs a fair timing.</p>",
            "<h2>Commits</h2>",
            _table(["x", "commit", "date", "", "measured (started_at)", "shipped variant", "measurement",
                    "gate verdict against the parent", "change points"], rows, ids)]
    for w, png in zip(workloads, written):
        body.append('<h2>%s</h2><img src="%s" alt="%s trend">' % (html.escape(w), os.path.basename(png), html.escape(w)))
    index = _write_page(os.path.join(out_dir, "trend.html"), "HAKMEM lab: trend %s %s" % (machine, kind), body)
    remove_stale_pngs(out_dir, written)
    return index, written
