"""Shared helpers of the lab's Python tools: result files, atomic writes, where things are.

Result files follow harness/README.md ("hakmem-lab/result", version 1). The C++ reader
(harness/result.h) is the reference; load_result() applies the same checks and raises
LabError with one line naming the file and the field.
"""
import json
import math
import os
import statistics
import tempfile

SCHEMA = "hakmem-lab/result"
SCHEMA_VERSION = 1


class LabError(Exception):
    """A problem with the lab's input: printed as one line, exit status 2."""


def run_main(main, name):
    """Runs a tool's main(); a LabError becomes one line on stderr and exit status 2."""
    import sys
    try:
        sys.exit(main())
    except LabError as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        sys.exit(2)


def workspace_root():
    root = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if root:
        return root
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def runfiles_root():
    """The runfiles tree this tool runs from. Bazel 4's Python stub does not export RUNFILES_DIR,
    so it is derived from this file (<root>/hakmem_lab/tools/labdata.py) and exported, so that the
    C++ programs this tool starts (sweep, gate) find their data in the same tree."""
    root = os.environ.get("RUNFILES_DIR") or os.environ.get("TEST_SRCDIR")
    if not root:
        here = os.path.dirname(os.path.abspath(__file__))
        cand = os.path.dirname(os.path.dirname(here))
        if os.path.basename(os.path.dirname(here)) == "hakmem_lab" and cand.endswith(".runfiles"):
            root = cand
    if root:
        os.environ["RUNFILES_DIR"] = root
    return root


def runfile(path):
    """A file of the lab from the runfiles tree (bazel run / test), e.g. 'harness/sweep'."""
    root = runfiles_root()
    if root:
        cand = os.path.join(root, "hakmem_lab", path)
        if os.path.exists(cand):
            return cand
    raise LabError("%s: not found in the runfiles (run me with bazel run)" % path)


def this_machine():
    """This machine's metadata and fingerprint, as the sweep records them."""
    import subprocess
    out = subprocess.run([runfile("harness/sweep"), "--print-machine"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def write_atomic(path, text):
    """Write through a temporary file in the same folder, fsync, rename: never half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _need(obj, key, where, path, kind=None):
    if not isinstance(obj, dict) or key not in obj:
        raise LabError("%s: %s: missing" % (path, (where + "." if where else "") + key))
    v = obj[key]
    if kind is not None and not isinstance(v, kind) or (kind in (int, float) and isinstance(v, bool)):
        raise LabError("%s: %s: expected %s" % (path, (where + "." if where else "") + key,
                                                getattr(kind, "__name__", str(kind))))
    return v


def load_result(path):
    """Parse and check a result file; LabError (one line naming file and field) otherwise."""
    try:
        with open(path) as f:
            data = json.load(f, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c + " is not a number")))
    except OSError as e:
        raise LabError("%s: cannot open (%s)" % (path, e.strerror))
    except ValueError as e:
        raise LabError("%s: not valid JSON (truncated or corrupt): %s" % (path, e))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise LabError("%s: schema: not a hakmem-lab result" % path)
    ver = data.get("schema_version")
    if ver != SCHEMA_VERSION:
        raise LabError("%s: schema_version: is %r, this reader understands only %d" % (path, ver, SCHEMA_VERSION))
    for key in ("commit", "started_at"):
        _need(data, key, "", path, str)
    machine = _need(data, "machine", "", path, dict)
    _need(machine, "fingerprint", "machine", path, str)
    names = set()
    for i, v in enumerate(_need(data, "variants", "", path, list)):
        name = _need(v, "name", "variants[%d]" % i, path, str)
        if name in names:
            raise LabError("%s: variants[%d].name: duplicate variant '%s'" % (path, i, name))
        names.add(name)
    keys = set()
    for i, p in enumerate(_need(data, "points", "", path, list)):
        where = "points[%d]" % i
        variant = _need(p, "variant", where, path, str)
        if variant not in names:
            raise LabError("%s: %s.variant: unknown variant '%s'" % (path, where, variant))
        samples = _need(p, "samples", where, path, list)
        if not samples:
            raise LabError("%s: %s.samples: expected a non-empty array" % (path, where))
        for k, s in enumerate(samples):
            if not isinstance(s, (int, float)) or isinstance(s, bool) or not math.isfinite(s):
                raise LabError("%s: %s.samples[%d]: expected a number" % (path, where, k))
            if s <= 0:
                raise LabError("%s: %s.samples[%d]: not positive" % (path, where, k))
        key = (_need(p, "workload", where, path, str), json.dumps(_need(p, "params", where, path, dict), sort_keys=True), variant)
        if key in keys:
            raise LabError("%s: %s: duplicated point" % (path, where))
        keys.add(key)
        p["median"] = statistics.median(samples)  # recomputed, never trusted
        p["ci95"] = bootstrap_ci(samples)
    return data


def bootstrap_ci(samples, iters=1000, seed=0x5EED):
    """Percentile bootstrap 95% interval of the median (as harness/stats.cc, own seed)."""
    import random
    rng = random.Random(seed)
    n = len(samples)
    meds = sorted(statistics.median(rng.choice(samples) for _ in range(n)) for _ in range(iters))
    return [meds[int(0.025 * (iters - 1))], meds[int(math.ceil(0.975 * (iters - 1)))]]


def point_label(p):
    """'ws=128', 'size=4096', 'threads=2', 'arg=64': how tables and plots name a point."""
    params = p["params"]
    w = p["workload"]
    if w == "size_sweep":
        return "size=%d" % params["min_size"]
    if w == "random_mixed":
        return "ws=%d" % params["ws"]
    if w.startswith("mt_"):
        return "threads=%d" % params["threads"]
    if "arg" in params:
        return "arg=%d" % params["arg"]
    return " ".join("%s=%g" % kv for kv in sorted(params.items()))
