#!/usr/bin/env python3
"""The lab's variants: reads allocator/variants.bzl (pure literal data) for every tool.

  bazel run //tools:variants                   table of every config: switches, commit, date
  bazel run //tools:variants -- --json         the same as JSON
  bazel run //tools:variants -- --write-bazelrc  regenerate allocator/variants.bazelrc and
                                               allocator/variant_string.h
"""
import argparse
import ast
import json
import os
import sys

BZL = os.path.join("allocator", "variants.bzl")
BAZELRC = os.path.join("allocator", "variants.bazelrc")
VARIANT_STRING_H = os.path.join("allocator", "variant_string.h")
# Branches of the history: "e" (phase7 .. e3, the default), "findings" (the 2025-11-09 Findings
# state and its fix plan) and "beyond" (states after E3 the seeds never had, issue 14). Which of
# them tools/history.py replays: REPLAY in variants.bzl.
DEFAULT_BRANCH = "e"
BRANCHES = ("e", "findings", "beyond")
PEERS_DOC = {
    "system": "glibc 2.36 malloc (Debian)",
    "mimalloc": "mimalloc 2.0.9 (Debian libmimalloc-dev)",
    "jemalloc": "jemalloc 5.3.0 (Debian libjemalloc-dev)",
    "tcmalloc": "tcmalloc 2.10 minimal (Debian libgoogle-perftools-dev)",
}


def workspace_root():
    """Source tree root: BUILD_WORKSPACE_DIRECTORY under `bazel run`, else this file's repo."""
    root = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if root:
        return root
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(here)


def find_bzl():
    """variants.bzl from runfiles (bazel test/run) or the source tree."""
    for base in (os.environ.get("RUNFILES_DIR", ""), os.path.join(os.getcwd()), workspace_root()):
        for cand in (os.path.join(base, "hakmem_lab", BZL), os.path.join(base, BZL)):
            if base and os.path.exists(cand):
                return cand
    raise SystemExit("variants: cannot find %s" % BZL)


def load(path=None):
    """{'SWITCHES': ..., 'IMPLS': ..., 'VARIANTS': ...} parsed without executing the file."""
    path = path or find_bzl()
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    data = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                data[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError as e:
                raise SystemExit("variants: %s: %s is not literal data (%s)" % (path, node.targets[0].id, e))
    for key in ("SWITCHES", "IMPLS", "VARIANTS"):
        if key not in data:
            raise SystemExit("variants: %s defines no %s" % (path, key))
    data.setdefault("REPLAY", {})
    for v in data["VARIANTS"]:
        # `branch` defaults to the linear E history. A state is replayed (consumers test
        # v.get("history", True)) when its branch is in REPLAY, unless it says "history": False.
        v.setdefault("branch", DEFAULT_BRANCH)
        if v["branch"] not in data["REPLAY"]:
            v.setdefault("history", False)
    validate(data, path)
    shipped(data)
    return data


def validate(data, path):
    names = set()
    for v in data["VARIANTS"]:
        for field in ("name", "commit", "date", "title", "switches"):
            if field not in v:
                raise SystemExit("variants: %s: variant %r has no %r" % (path, v.get("name"), field))
        br = v.get("branch", DEFAULT_BRANCH)
        if br not in BRANCHES:
            raise SystemExit("variants: %s: variant %s: branch %r is not one of %s" % (path, v["name"], br, BRANCHES))
        if br not in data.get("REPLAY", {}) and v.get("history", False):
            raise SystemExit("variants: %s: variant %s of branch %s (not in REPLAY) cannot be replayed" % (path, v["name"], br))
        if v["name"] in names or v["name"] in data["IMPLS"]:
            raise SystemExit("variants: %s: duplicate variant name %r" % (path, v["name"]))
        names.add(v["name"])
        for k, val in v["switches"].items():
            if k not in data["SWITCHES"]:
                raise SystemExit("variants: %s: variant %s sets unknown switch %r" % (path, v["name"], k))
            if val not in data["SWITCHES"][k]["values"]:
                raise SystemExit("variants: %s: variant %s: %s=%r is not one of %s"
                                 % (path, v["name"], k, val, data["SWITCHES"][k]["values"]))
    for br, cfg in data.get("REPLAY", {}).items():
        if br not in BRANCHES:
            raise SystemExit("variants: %s: REPLAY branch %r is not one of %s" % (path, br, BRANCHES))
        chain_names = [s["name"] for s in chain(data, br)]
        for key in ("bisect", "seed_culprit"):
            want = cfg.get(key)
            for n in (want if isinstance(want, list) else [want]):
                if n is not None and n not in chain_names:
                    raise SystemExit("variants: %s: REPLAY[%r][%r]: %r is not on the branch (%s)"
                                     % (path, br, key, n, " ".join(chain_names)))
        if cfg.get("workloads"):
            # A branch with workloads of its own is measured in a sweep of its own: none of its
            # states may be on another branch (it would be stored twice under one name).
            for other, ocfg in data["REPLAY"].items():
                if other == br:
                    continue
                shared = set(chain_names) & {s["name"] for s in chain(data, other)}
                if shared:
                    raise SystemExit("variants: %s: REPLAY[%r] has workloads of its own, but %s is also on branch %s"
                                     % (path, br, ", ".join(sorted(shared)), other))
        if cfg.get("bisect") is not None and (len(cfg["bisect"]) != 2 or cfg["bisect"][0] == cfg["bisect"][1]):
            raise SystemExit("variants: %s: REPLAY[%r]['bisect'] must be two different states [good, bad]" % (path, br))


def shipped(data):
    """The config //allocator:libhakmem.so ships: the one variant that sets no switch (every
    switch at its default, the first of its values), i.e. what a build without --config makes.
    The gate judges it unless told otherwise."""
    names = [v["name"] for v in data["VARIANTS"] if not v["switches"]]
    if len(names) != 1:
        raise SystemExit("variants: exactly one variant must set no switch (the shipped build), found %s" % names)
    return names[0]


def branch(variant):
    """The branch of a variant: "e" unless it says otherwise."""
    return variant.get("branch", DEFAULT_BRANCH)


def chain(data, br):
    """The replayed chain of a branch: its REPLAY `from` state, then its own replayed states in
    VARIANTS order (variant dicts)."""
    cfg = data.get("REPLAY", {}).get(br)
    if cfg is None:
        raise SystemExit("variants: branch %r is not replayed (REPLAY: %s)" % (br, ", ".join(data.get("REPLAY", {}))))
    by_name = {v["name"]: v for v in data["VARIANTS"]}
    out = []
    if cfg.get("from"):
        if cfg["from"] not in by_name:
            raise SystemExit("variants: REPLAY[%r]['from']: no variant %r" % (br, cfg["from"]))
        out.append(by_name[cfg["from"]])
    out += [v for v in data["VARIANTS"]
            if v.get("branch", DEFAULT_BRANCH) == br and v.get("history", True) and v not in out]
    return out


def chains(data):
    """[(branch, REPLAY entry, chain)] of every replayed branch, in REPLAY order."""
    return [(br, cfg, chain(data, br)) for br, cfg in data.get("REPLAY", {}).items()]


def replayed(data):
    """Every state some replayed branch holds, once each, in VARIANTS order."""
    names = {v["name"] for _, _, c in chains(data) for v in c}
    return [v for v in data["VARIANTS"] if v["name"] in names]


def store_name(variant):
    """A replayed state's name in the store's history series: the commit of a state of the E
    history (the seeds' commits are unique there, and stored so since the start), its own name for
    every other state (plan steps and the lab's own states have no commit of their own)."""
    on_e = variant.get("branch", DEFAULT_BRANCH) == DEFAULT_BRANCH and variant.get("history", True)
    return variant["commit"] if on_e else variant["name"]


def bisect_segment(chain_states, good, bad):
    """The states from good to bad along a chain (reversed when good comes after bad: a fix plan
    undone one fix at a time). Raises SystemExit naming the chain when either is not on it."""
    names = [v["name"] for v in chain_states]
    for which in (good, bad):
        if which not in names:
            raise SystemExit("variants: %s is not on the branch (%s)" % (which, " ".join(names)))
    lo, hi = names.index(good), names.index(bad)
    if lo == hi:
        raise SystemExit("variants: good and bad are the same state (%s)" % good)
    return chain_states[lo:hi + 1] if lo < hi else list(reversed(chain_states[hi:lo + 1]))


def full_switches(data, variant):
    """Every switch's value for a variant (defaults filled in)."""
    out = {k: sw["values"][0] for k, sw in data["SWITCHES"].items()}
    out.update(variant["switches"])
    return out


def configs(data):
    """[(config name, {flag: value}, description)] for every variant and peer, in order."""
    out = []
    for v in data["VARIANTS"]:
        flags = {"//allocator:" + k: val for k, val in full_switches(data, v).items()}
        flags["//allocator:impl"] = "hakmem"
        out.append((v["name"], flags, "%s %s: %s" % (v["commit"], v["date"], v["title"])))
    for peer in data["IMPLS"]:
        if peer == "hakmem":
            continue
        flags = {"//allocator:impl": peer}
        out.append((peer, flags, PEERS_DOC.get(peer, peer)))
    return out


def bazelrc_text(data):
    lines = [
        "# GENERATED from allocator/variants.bzl by `bazel run //tools:variants -- --write-bazelrc`.",
        "# Do not edit: //tools:variants_test fails when this file and variants.bzl disagree.",
        "#",
        "# One config per state of the history and per peer allocator. Every config sets every",
        "# switch and has its own output directory (--platform_suffix), so building config B never",
        "# overwrites config A's binaries, and switching back is a cache hit.",
        "",
    ]
    for name, flags, desc in configs(data):
        lines.append("# %s" % desc)
        lines.append("build:%s %s --platform_suffix=-%s" % (
            name, " ".join("--%s=%s" % (k, v) for k, v in sorted(flags.items())), name))
    lines += [
        "",
        "# Overlay: route counters and HAKMEM_FREE_ROUTE_TRACE (combine: --config=e2 --config=stats).",
        "build:stats --//allocator:stats=on",
        "",
    ]
    return "\n".join(lines)


def variant_string(data, variant):
    """What hak_variant_string() of a binary built as `variant` returns."""
    return ",".join("%s=%s" % kv for kv in full_switches(data, variant).items())


def variant_string_h_text(data):
    """allocator/variant_string.h: hak_variant_string() as the preprocessor sees the switches,
    the same string variant_string() predicts for each config."""
    out = [
        "// variant_string.h — layer 5: the build's switch values as one string, in variants.bzl's names",
        "// and order: \"c7_header=true,free_fast_registry_check=false,...\". The harness compares it with",
        "// the config it asked for and refuses a binary that is not that variant.",
        "// GENERATED from allocator/variants.bzl by `bazel run //tools:variants -- --write-bazelrc`.",
        "// Do not edit: //tools:variants_test fails when this file and variants.bzl disagree.",
        "#ifndef HAKMEM_ALLOCATOR_VARIANT_STRING_H_",
        "#define HAKMEM_ALLOCATOR_VARIANT_STRING_H_",
        "",
        '#include "allocator/config.h"',
        "",
    ]
    names = []
    for name, sw in data["SWITCHES"].items():
        macro = sw["macro"]
        vs = "HAK_VS_" + name.upper()
        names.append(vs)
        out.append("// %s" % name)
        for v in sw["values"]:
            mv = sw["macro_values"][v]
            if not mv.isdigit():
                out += ["#ifndef %s" % mv, '#error "config.h does not define %s (variants.bzl: %s=%s)"' % (mv, name, v), "#endif"]
        for i, v in enumerate(sw["values"]):
            out.append("#%s %s == %s" % ("if" if i == 0 else "elif", macro, sw["macro_values"][v]))
            out.append('#define %s "%s=%s"' % (vs, name, v))
        out += ["#else", '#error "%s has a value variants.bzl does not list"' % macro, "#endif"]
    out += [
        "",
        "namespace hak {",
        "inline constexpr const char kVariantString[] =",
        '    %s;' % ' ","\n    '.join(names),
        "}  // namespace hak",
        "",
        "#endif  // HAKMEM_ALLOCATOR_VARIANT_STRING_H_",
        "",
    ]
    return "\n".join(out)


def write_generated(root):
    """Writes every file generated from variants.bzl into the source tree at root."""
    data = load()
    for rel, text in ((BAZELRC, bazelrc_text(data)), (VARIANT_STRING_H, variant_string_h_text(data))):
        path = os.path.join(root, rel)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        print("wrote " + path)


def table(data):
    sw = list(data["SWITCHES"])
    rows = []
    for v in data["VARIANTS"]:
        full = full_switches(data, v)
        rows.append([v["name"], v["commit"], v["date"]] + [full[k] for k in sw])
    head = ["config", "commit", "date"] + sw
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    out = []
    for r in [head] + rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    out.append("")
    for v in data["VARIANTS"]:
        out.append("%-14s %s" % (v["name"], v["title"]))
    out.append("")
    out.append("peers: " + ", ".join("%s (%s)" % (p, PEERS_DOC[p]) for p in data["IMPLS"] if p != "hakmem"))
    out.append("")
    out.append("switches:")
    for k, s in data["SWITCHES"].items():
        out.append("  %-26s %-28s %s" % (k, "|".join(s["values"]), s["doc"]))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--json", action="store_true", help="print every variant as JSON")
    ap.add_argument("--bzl", help="read this variants.bzl instead of the tree's")
    ap.add_argument("--bazelrc", action="store_true", help="print the generated variants.bazelrc")
    ap.add_argument("--write-bazelrc", action="store_true", help="write allocator/variants.bazelrc and allocator/variant_string.h in the source tree")
    args = ap.parse_args(argv)
    data = load(args.bzl)
    if args.json:
        out = [dict(v, switches=full_switches(data, v), variant_string=variant_string(data, v))
               for v in data["VARIANTS"]]
        print(json.dumps({"variants": out, "peers": [p for p in data["IMPLS"] if p != "hakmem"],
                          "shipped": shipped(data), "switches": data["SWITCHES"]}, indent=2))
    elif args.bazelrc:
        sys.stdout.write(bazelrc_text(data))
    elif args.write_bazelrc:
        write_generated(workspace_root())
    else:
        print(table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
