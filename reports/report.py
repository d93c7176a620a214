"""The lab's plots and its static report page (matplotlib, Agg backend: no display needed).

Every function takes already-loaded results (tools/labdata.load_result) and writes PNG files;
build_history_report() writes reports/out/index.html around them.
"""
import html
import math
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from labdata import point_label  # noqa: E402

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


def trend_plot(labels, results, out_png, workload="random_mixed", regressed=(), title=None,
               metric="ops"):
    """One line per point of `workload` across the states/commits (x), log scale.

    metric "ops": median ops/s with 95% interval bars; "instr": instructions per operation.
    `regressed`: x indices of steps the gate failed, drawn as red bands."""
    fig, ax = plt.subplots(figsize=(max(8, 1.25 * len(labels)), 5.2))
    keys = []
    for r in results:
        for p in _points(r, workload):
            k = point_label(p)
            if k not in keys:
                keys.append(k)
    xs = list(range(len(labels)))
    many = len(keys) > len(COLORS)
    cmap = plt.get_cmap("viridis")
    all_ys = []
    for ci, key in enumerate(keys):
        ys, lo, hi, xs_used = [], [], [], []
        for x, r in enumerate(results):
            ps = [p for p in _points(r, workload) if point_label(p) == key]
            if not ps:
                continue
            p = ps[0]
            if metric == "instr":
                if p.get("instructions_per_op") is None:
                    continue
                ys.append(p["instructions_per_op"])
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
    if metric != "instr" and all_ys:  # throughput spans decades: log; instructions read better linear
        ax.set_yscale("log")
        _log_ticks(ax, all_ys)
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("instructions per operation (callgrind)" if metric == "instr" else "throughput (M ops/s, median, 95% CI)")
    ax.set_title(title or ("%s: %s per state" % (workload, "instructions/op" if metric == "instr" else "ops/s")))
    ax.grid(True, which="both", axis="y", alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    if regressed:
        handles.append(Patch(color="#d62728", alpha=0.12))
        names.append("step the gate failed")
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
    """The gate's per-point ratios head/base with intervals; failed points in red."""
    failed = {p["point"] for p in verdict.get("points", []) if p["time"] == "REGRESSION" or p["instructions"] == "REGRESSION"}
    hp = {(p["workload"], point_label(p)): p for p in head["points"] if p["variant"] == head_variant}
    rows = []
    for b in base["points"]:
        if b["variant"] != base_variant:
            continue
        key = (b["workload"], point_label(b))
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
    ax.set_title(title or ("A/B: %s -> %s (red: the gate failed the point)" % (base_variant, head_variant)))
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png


def _table(headers, rows):
    out = ["<table><tr>" + "".join("<th>%s</th>" % html.escape(h) for h in headers) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join("<td>%s</td>" % c for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px}}
th{{background:#f0f0f0}}.bad{{color:#c00;font-weight:bold}}.good{{color:#070}}img{{max-width:100%;border:1px solid #eee}}</style>
</head><body>
{body}
</body></html>
"""


def merge_results(parts):
    """One result holding the variants and points of several (for plots across files)."""
    out = dict(parts[0])
    out["variants"] = [v for r in parts for v in r["variants"]]
    out["points"] = [p for r in parts for p in r["points"]]
    return out


def build_history_report(store, states, results, routes, summary, out_dir, peers=None):
    """reports/out/index.html with every plot of the history replay (files relative to it).

    `peers`: a result with the same workloads on the peer allocators, measured in the same run."""
    os.makedirs(out_dir, exist_ok=True)
    labels = ["%s\n%s\n%s" % (v["name"], v["commit"][:10], v["date"]) for v in states]
    step_verdicts = {s["to"]: s["verdict"] for s in summary["steps"]}
    regressed = [i for i, v in enumerate(states) if step_verdicts.get(v["name"], {}).get("exit_code") == 1]
    res = [results[v["name"]] for v in states]
    trend_plot(labels, res, os.path.join(out_dir, "trend_random_mixed.png"), "random_mixed", regressed,
               "bench_random_mixed throughput per state of the history (working sets ws)")
    trend_plot(labels, res, os.path.join(out_dir, "trend_instructions.png"), "random_mixed", regressed,
               "bench_random_mixed instructions per operation per state", metric="instr")
    trend_plot(labels, res, os.path.join(out_dir, "trend_size_sweep.png"), "size_sweep", regressed,
               "Size sweep throughput per state (object sizes)")
    routes_plot(labels, [routes[v["name"]] for v in states], os.path.join(out_dir, "routes.png"))
    # A/B of the step the gate failed on most points (the regression), or of the first step.
    ab_png = None
    failed = [s for s in summary["steps"] if s["verdict"]["exit_code"] == 1]
    first = max(failed, key=lambda s: s["verdict"]["regressions"]) if failed else (
        summary["steps"][0] if summary["steps"] else None)
    if first:
        ab_png = ab_plot(results[first["from"]], results[first["to"]], first["from"], first["to"], first["verdict"],
                         os.path.join(out_dir, "ab_%s_%s.png" % (first["from"], first["to"])))
    sweep_png = None
    if peers is not None:
        names = [n for n in ("phase7", "e2", "e3") if n in results]
        both = merge_results([results[n] for n in names] + [peers])
        if any(p["workload"] == "size_sweep" for p in both["points"]):
            same_run = all(results[n]["started_at"] == peers["started_at"] for n in names)
            sweep_png = sweep_plot(both, os.path.join(out_dir, "sweep_peers.png"),
                                   "Size sweep: %s and the peers, %s" % (", ".join(names), "measured in one interleaved run"
                                                                         if same_run else "peers measured in a separate run"))
    rows = []
    series = summary["headline_ops"]
    for i, v in enumerate(states):
        verdict = step_verdicts.get(v["name"])
        cls = "" if verdict is None else ("bad" if verdict["exit_code"] == 1 else "good")
        rows.append([html.escape(v["name"]), html.escape(v["commit"]), html.escape(v["date"]), html.escape(v["title"]),
                     "%.1fM" % (series[i] / 1e6), "" if i == 0 else "x%.2f" % (series[i] / series[i - 1]),
                     "" if verdict is None else '<span class="%s">%s</span>' % (cls, html.escape(verdict["headline"])),
                     "change point" if v["name"] in summary["change_points"] else ""])
    fp_rows = []
    for v in states:
        fp = results[v["name"]].get("fastpath_instructions", {}).get(v["name"], {})
        fp_rows.append([html.escape(v["name"]), "%s" % fp.get("malloc_hit", "-"), "%s" % fp.get("free_hit", "-")])
    m = summary["machine"]
    body = ["<h1>HAKMEM history, measured on this machine</h1>",
            "<p>Machine: %s, %s cores, %s, %s (fingerprint %s). Every number below was measured by "
            "<code>bazel run //tools:history</code>; each state is a build configuration of "
            "<code>allocator/variants.bzl</code>.</p>" % tuple(html.escape(str(x)) for x in (
                m["cpu_model"], m["cores"], m["kernel"], m["libc"], m["fingerprint"])),
            "<h2>States and gate verdicts</h2>",
            _table(["state", "commit", "date", "title", "random_mixed (geo-mean ops/s)", "vs previous", "gate vs previous",
                    "change point"], rows),
            "<h2>Throughput</h2><img src=\"trend_random_mixed.png\" alt=\"throughput trend\">",
            "<h2>Instructions per operation</h2><img src=\"trend_instructions.png\" alt=\"instructions trend\">",
            "<h2>Size sweep per state</h2><img src=\"trend_size_sweep.png\" alt=\"size sweep trend\">",
            "<h2>Where frees went</h2><p>The seeds' 2025-11-09 finding (\"100% ss_hit, 0% header_fast\") "
            "is the phase7_broken bar.</p><img src=\"routes.png\" alt=\"route mix\">"]
    if sweep_png:
        body.append("<h2>Every tier against the peers</h2><img src=\"sweep_peers.png\" alt=\"size sweep with peers\">")
    if ab_png:
        body.append("<h2>A/B of %s -> %s</h2><img src=\"%s\" alt=\"A/B\">" % (
            html.escape(first["from"]), html.escape(first["to"]), os.path.basename(ab_png)))
    body += ["<h2>Fast path (instructions of one tiny hit, callgrind)</h2>",
             _table(["state", "malloc hit", "free hit"], fp_rows)]
    index = os.path.join(out_dir, "index.html")
    with open(index + ".tmp", "w") as f:
        f.write(PAGE.format(title="HAKMEM lab: history", body="\n".join(body)))
    os.replace(index + ".tmp", index)
    return index


def build_trend_report(files, results, out_dir):
    """Trend of an arbitrary directory of results (one series per file, in start-time order)."""
    os.makedirs(out_dir, exist_ok=True)
    labels = []
    for path, r in zip(files, results):
        variants = ",".join(v["name"] for v in r["variants"])
        labels.append("%s\n%s\n%s" % (r["commit"][:10], r["started_at"][:10], variants[:14]))
    # One variant per file is the common case; with several, plot the first.
    firsts = []
    for r in results:
        v = r["variants"][0]["name"]
        rr = dict(r)
        rr["points"] = [p for p in r["points"] if p["variant"] == v]
        firsts.append(rr)
    pngs = []
    for workload in ("random_mixed", "size_sweep"):
        if any(_points(r, workload) for r in firsts):
            pngs.append(trend_plot(labels, firsts, os.path.join(out_dir, "trend_%s.png" % workload), workload))
    if any(p.get("instructions_per_op") for r in firsts for p in r["points"]):
        pngs.append(trend_plot(labels, firsts, os.path.join(out_dir, "trend_instructions.png"), "random_mixed",
                               metric="instr"))
    rows = [[html.escape(os.path.basename(f)), html.escape(r["commit"][:12]), html.escape(r["started_at"]),
             html.escape(",".join(v["name"] for v in r["variants"])), str(len(r["points"]))]
            for f, r in zip(files, results)]
    body = ["<h1>Trend</h1>", _table(["file", "commit", "started", "variants", "points"], rows)]
    body += ['<img src="%s" alt="%s">' % (os.path.basename(p), os.path.basename(p)) for p in pngs]
    index = os.path.join(out_dir, "trend.html")
    with open(index, "w") as f:
        f.write(PAGE.format(title="HAKMEM lab: trend", body="\n".join(body)))
    return index, pngs


def median_of(p):
    return statistics.median(p["samples"])
