"""Shared helpers of the lab's Python tools: result files, the result store, child processes.

"Python consumes, C++ decides": result files are written by C++ (harness/README.md, schema
"hakmem-lab/result" version 1 or 2, /work/store-spec.md for v2). load_result() reads the numbers
C++ wrote (median, mad, ci95, label, run_kind) and never recomputes them; it checks only the
schema, the version and the fields the Python tools read, raising LabError with one line naming
the file and the field.

Everything about the result store (paths, listing, storing) goes through store(), which runs the
C++ store CLI (harness/store) from the runfiles. Child processes are started through run(), so
that run_main() can stop them (and remove temporary files made by temp_path()) on Ctrl-C.
"""
import json
import math
import os
import signal
import subprocess
import sys
import tempfile

SCHEMA = "hakmem-lab/result"
SCHEMA_VERSIONS = (1, 2)
RUN_KINDS = ("full", "quick")


class LabError(Exception):
    """A problem with the lab's input: printed as one line, exit status 2."""


# ---- child processes, temporary files, Ctrl-C -------------------------------------------------

_children = []  # Popen objects of running children, each the leader of its own process group
_temps = set()  # temporary files to remove when the tool is interrupted
_interrupt_message = ["interrupted; stopped what was running, nothing more was stored"]


def set_interrupt_message(msg):
    """What run_main() prints (after "<tool>: ") if the user presses Ctrl-C from now on: say
    truthfully what is and is not stored at this stage."""
    _interrupt_message[0] = msg


def temp_path(prefix="hakmem-", suffix=""):
    """A new temporary file (closed, empty) that run_main() removes on Ctrl-C. Remove it with
    remove_temp() once it is no longer needed."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    os.close(fd)
    _temps.add(path)
    return path


def forget_temp(path):
    """Keeps a temporary file on Ctrl-C (run_main() no longer removes it)."""
    _temps.discard(path)


def remove_temp(path):
    _temps.discard(path)
    if os.path.exists(path):
        os.unlink(path)


def run(cmd, check=False, **kw):
    """subprocess.run(cmd, **kw), with the child in its own process group and registered, so that
    Ctrl-C (which run_main() handles) ends it and everything it started. Returns a CompletedProcess."""
    input_ = kw.pop("input", None)
    if kw.pop("capture_output", False):
        kw["stdout"] = subprocess.PIPE
        kw["stderr"] = subprocess.PIPE
    if input_ is not None:
        kw["stdin"] = subprocess.PIPE
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    _children.append(proc)
    try:
        out, err = proc.communicate(input_)
    finally:
        if proc.poll() is not None and proc in _children:
            _children.remove(proc)
    res = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check:
        res.check_returncode()
    return res


def _stop_children():
    for proc in list(_children):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            pass
    for proc in list(_children):
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
        # Whatever the group leader left behind in its group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        _children.remove(proc)


def _remove_temps():
    for path in list(_temps):
        try:
            os.unlink(path)
        except OSError:
            pass
        _temps.discard(path)


def run_main(main, name):
    """Runs a tool's main(): a LabError becomes one line on stderr and exit status 2; Ctrl-C stops
    the children started through run(), removes the files of temp_path(), prints one line and
    exits 130 (no traceback)."""
    try:
        code = main()
    except LabError as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        _stop_children()
        _remove_temps()
        print("%s: %s" % (name, _interrupt_message[0]), file=sys.stderr, flush=True)
        sys.exit(130)
    sys.exit(code)


# ---- where things are --------------------------------------------------------------------------

def workspace_root():
    """The source tree: BUILD_WORKSPACE_DIRECTORY under bazel run, else the tree this file is in."""
    root = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if root:
        return root
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(*args):
    """`git -C <workspace> ARGS...`: its stdout, stripped; LabError with git's last line if it fails."""
    proc = subprocess.run(["git", "-C", workspace_root()] + list(args), capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError("git %s: %s" % (" ".join(args), (proc.stderr.strip().splitlines() or ["failed"])[-1]))
    return proc.stdout.strip()


def resolve_commit(rev):
    """The full id of the commit `rev` names in the workspace, or None when it names none."""
    proc = subprocess.run(["git", "-C", workspace_root(), "rev-parse", "--verify", "--quiet", rev + "^{commit}"],
                          capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def user_path(path):
    """A path the user typed, relative to where they stand (BUILD_WORKING_DIRECTORY under bazel run)."""
    if os.path.isabs(path):
        return path
    return os.path.join(os.environ.get("BUILD_WORKING_DIRECTORY") or os.getcwd(), path)


def runfiles_root():
    """The runfiles tree this tool runs from, exported as RUNFILES_DIR so that the C++ programs it
    starts (sweep, gate, store) find their data in the same tree. Bazel 4's Python stub exports
    only RUNFILES_MANIFEST_FILE (<tree>_manifest), and Python imports this module through the
    symlink's target (the source tree), so the tree is found from the manifest or from argv[0]."""
    root = os.environ.get("RUNFILES_DIR") or os.environ.get("TEST_SRCDIR")
    if not root:
        manifest = os.environ.get("RUNFILES_MANIFEST_FILE", "")
        if manifest.endswith(".runfiles_manifest") and os.path.isdir(manifest[:-len("_manifest")]):
            root = manifest[:-len("_manifest")]
        elif manifest.endswith(".runfiles/MANIFEST"):
            root = os.path.dirname(manifest)
    if not root:
        for start in (sys.argv[0] if sys.argv and sys.argv[0] else "", __file__):
            d = os.path.dirname(os.path.abspath(start)) if start else ""
            while d and d != "/":
                if d.endswith(".runfiles"):
                    root = d
                    break
                d = os.path.dirname(d)
            if root:
                break
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
    raise LabError("%s: not found in the runfiles (run me with bazel run; the target needs it in data)" % path)


# ---- the result store (the C++ CLI harness/store, /work/store-spec.md) -------------------------

STORE_RUNFILE = "harness/store"  # //harness:store (tests point this at a fake)


def store(*args, root=None):
    """Runs `harness/store ARGS...` (from the runfiles) and returns its stdout: parsed JSON when it
    is JSON (`machine`, `list --json`), else the text without the trailing newline (`path`, `put`).
    `root`: the store's root directory (passed as $HAKMEM_LAB_BASELINES), default the store's own.
    A failing store (exit 1 or 2) raises LabError with the store's one line."""
    env = None
    if root is not None:
        env = dict(os.environ, HAKMEM_LAB_BASELINES=os.path.abspath(root))
    proc = run([runfile(STORE_RUNFILE)] + [str(a) for a in args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        line = (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
        raise LabError("store %s: %s" % (args[0] if args else "", line))
    out = proc.stdout.strip()
    if out[:1] in ("{", "["):
        try:
            return json.loads(out)
        except ValueError:
            raise LabError("store %s: printed invalid JSON" % (args[0] if args else ""))
    return out


def fingerprints_of(machine=None, root=None):
    """(fingerprint, aliases) of `machine` (default: this machine): aliases are every fingerprint a
    result stored under it may carry, its own and, for this machine, the scheme-1 fingerprints the
    migration proved to be this host (machine.json's legacy_fingerprints; files moved by the
    migration keep the fingerprint they were written with)."""
    this = store("machine", root=root)
    if not isinstance(this, dict) or not isinstance(this.get("fingerprint"), str):
        raise LabError("store machine: no fingerprint in its output")
    machine = machine or this["fingerprint"]
    if this["fingerprint"] == machine:
        return machine, {machine} | set(this.get("legacy_fingerprints") or [])
    return machine, {machine}


def this_machine():
    """This machine's machine.json object (fingerprint, cpu_model, cores, ...), from the store."""
    m = store("machine")
    if not isinstance(m, dict) or not isinstance(m.get("fingerprint"), str):
        raise LabError("store machine: no fingerprint in its output")
    return m


def write_atomic(path, text):
    """Write through a temporary file in the same folder, fsync, rename: never half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    _temps.add(tmp)
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
    finally:
        _temps.discard(tmp)


# ---- result files ------------------------------------------------------------------------------

def _need(obj, key, where, path, kind=None):
    if not isinstance(obj, dict) or key not in obj:
        raise LabError("%s: %s: missing" % (path, (where + "." if where else "") + key))
    v = obj[key]
    if kind is not None and (not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool)):
        name = "number" if kind == (int, float) else getattr(kind, "__name__", str(kind))
        raise LabError("%s: %s: expected %s" % (path, (where + "." if where else "") + key, name))
    return v


_NUM = (int, float)


def _number(obj, key, where, path, positive=False, optional=False):
    if optional and (not isinstance(obj, dict) or obj.get(key) is None):
        return None
    v = _need(obj, key, where, path, _NUM)
    if not math.isfinite(v):
        raise LabError("%s: %s.%s: not a finite number" % (path, where, key))
    if positive and v <= 0:
        raise LabError("%s: %s.%s: not positive (the summaries are written by C++ and read as written)"
                       % (path, where, key))
    return v


def load_result(path):
    """Parse a result file (v1 or v2) as C++ wrote it; LabError (one line naming file and field).

    Points keep `median`, `mad`, `ci95` and `label` as written; a v1 point without a label gets
    point_label(); a v1 file (no `run_kind`) is a "full" run."""
    try:
        with open(path) as f:
            data = json.load(f, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c + " is not a number")))
    except OSError as e:
        raise LabError("%s: cannot open (%s)" % (path, e.strerror))
    except ValueError as e:
        raise LabError("%s: not valid JSON (truncated or corrupt): %s" % (path, str(e).splitlines()[0]))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise LabError("%s: schema: not a hakmem-lab result" % path)
    ver = data.get("schema_version")
    if ver not in SCHEMA_VERSIONS or isinstance(ver, bool):
        raise LabError("%s: schema_version: is %r, this reader understands %s" % (
            path, ver, " and ".join(str(v) for v in SCHEMA_VERSIONS)))
    for key in ("commit", "started_at"):
        _need(data, key, "", path, str)
    if ver == 1:
        data.setdefault("run_kind", "full")
    kind = _need(data, "run_kind", "", path, str)
    if kind not in RUN_KINDS:
        raise LabError("%s: run_kind: is '%s', expected full or quick" % (path, kind))
    machine = _need(data, "machine", "", path, dict)
    _need(machine, "fingerprint", "machine", path, str)
    for i, v in enumerate(_need(data, "variants", "", path, list)):
        _need(v, "name", "variants[%d]" % i, path, str)
    for i, p in enumerate(_need(data, "points", "", path, list)):
        where = "points[%d]" % i
        _need(p, "variant", where, path, str)
        _need(p, "workload", where, path, str)
        _need(p, "params", where, path, dict)
        _number(p, "median", where, path, positive=True)
        _number(p, "mad", where, path, optional=ver == 1)
        ci = p.get("ci95") if ver == 1 else _need(p, "ci95", where, path, list)
        if ci is not None and (not isinstance(ci, list) or len(ci) != 2 or not all(
                isinstance(x, _NUM) and not isinstance(x, bool) and math.isfinite(x) for x in ci)):
            raise LabError("%s: %s.ci95: expected two numbers" % (path, where))
        for key in ("instructions_per_op", "peak_rss_kb", "rss_after_free_kb"):
            _number(p, key, where, path, optional=True)
        label = p.get("label")
        if label is None or label == "":
            if ver != 1:
                _need(p, "label", where, path, str)
            p["label"] = point_label(p)
        elif not isinstance(label, str):
            raise LabError("%s: %s.label: expected str" % (path, where))
    return data


def point_label(p):
    """'ws=128', 'size=4096', 'threads=2', 'arg=64': the name of a v1 point written without a label
    (C++ harness/result.cc PointLabel; every other point carries its label)."""
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


def result_info(r):
    """What a page header says about a result: commit, started_at, machine, run kind."""
    m = r.get("machine", {})
    return {"commit": r.get("commit", "?"), "started_at": r.get("started_at", "?"),
            "cpu_model": m.get("cpu_model", "?"), "cores": m.get("cores", "?"),
            "fingerprint": m.get("fingerprint", "?"), "run_kind": r.get("run_kind", "full")}
