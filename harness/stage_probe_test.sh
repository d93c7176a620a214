#!/usr/bin/env bash
# stage_probe (the tiny free path stage by stage) in its two builds: the release default
# (hash registry, header-first classifier) and e2 (RB-tree registry, registry-first classifier).
# Checks what the output says and that every figure is there and sane: the clock is the TSC and no
# performance counter is used; every stage has finite ticks (median within [min, max]), a positive
# chained latency and positive instructions; NO timing thresholds (shared machines), except that a
# stage of 5+ instructions does not come out free.
#   args: stage_probe.e3_safe stage_probe.e2
set -euo pipefail
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
[ $# -eq 2 ] || { echo "usage: $0 stage_probe.e3_safe stage_probe.e2"; exit 2; }

check() {  # json-file expected-registry expected-classify-order
  python3 - "$@" <<'PY'
import json, math, sys
path, registry, order = sys.argv[1:4]
line = open(path).read().strip()
assert "\n" not in line, "more than one line: %r" % line[:200]
d = json.loads(line)
assert d["probe"] == "stage_probe", d.get("probe")
assert d["clock"].startswith("TSC (constant-rate reference cycles"), d["clock"]
assert "no performance counters are used" in d["clock"], d["clock"]
assert d["core_cycles"] is False
assert d["registry_impl"] == registry and d["classify_order"] == order, (d["registry_impl"], d["classify_order"])
assert "registry_impl=%s" % registry in d["variant"], d["variant"]
assert d["repeats"] >= 101 and d["repeats"] % 2 == 1, d["repeats"]
assert d["blocks"] > 0 and d["tsc_mhz"] > 0 and d["registry_superslabs"] >= 1
assert d["instructions"] is True, "no instruction counts: %s" % d["instructions_note"]

def num(x, what):
    assert isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x), "%s: %r" % (what, x)
    return x

def stat(s, what):
    lo, med, hi = (num(s[k], "%s %s" % (what, k)) for k in ("min", "median", "max"))
    assert lo <= med <= hi, "%s: min %s, median %s, max %s" % (what, lo, med, hi)
    return med

# The subtracted empty loop is reported, and is itself a positive cost.
for k in ("cycles", "chained_cycles", "list_cycles"):
    assert stat(d["baseline"][k], "baseline " + k) > 0, k
assert num(d["baseline"]["instructions"], "baseline instructions") > 0

want = {"alignment_check", "page_boundary_same_page", "page_boundary_mincore", "header_read", "ownership_lookup",
        "ownership_check", "registry_lookup_" + registry, "registry_c7_check_" + registry, "classify_" + order,
        "tls_push", "tls_pop"}
assert set(d["stages"]) == want, "stages %s, want %s" % (sorted(d["stages"]), sorted(want))
for name, s in d["stages"].items():
    med = stat(s["cycles"], name)
    ins = num(s["instructions"], name + " instructions")
    assert ins > 0, "%s: %s instructions per call" % (name, ins)
    assert s["calls"] > 0
    if ins >= 5:
        assert med > 0, "%s: %s instructions per call measured as %s ticks" % (name, ins, med)
    if s["chained_cycles"] is not None:
        assert stat(s["chained_cycles"], name + " chained") > 0, name
    else:
        assert name in ("tls_push", "tls_pop"), "%s has no chained form" % name
# Deterministic facts of the code: the header read is one load and a compare, a lookup more.
st = d["stages"]
assert st["header_read"]["instructions"] < st["registry_lookup_" + registry]["instructions"]
assert st["registry_lookup_" + registry]["instructions"] < st["registry_c7_check_" + registry]["instructions"]
print("ok %s: %s" % (registry, ", ".join("%s %.2f" % (k, v["cycles"]["median"]) for k, v in sorted(st.items()))))
json.dump({k: v["instructions"] for k, v in st.items()}, open(path + ".ir", "w"))
PY
}

"$1" --json --repeats 101 > "$tmp/hash.json"
check "$tmp/hash.json" hash header_first
"$2" --json --repeats 101 > "$tmp/rbtree.json"
check "$tmp/rbtree.json" rbtree registry_first

# The RB-tree lookup (a mutex and a tree walk) runs more instructions than the hash probe, and the
# stages both builds share count the same.
python3 - "$tmp/hash.json.ir" "$tmp/rbtree.json.ir" <<'PY'
import json, sys
h, r = (json.load(open(p)) for p in sys.argv[1:3])
assert r["registry_lookup_rbtree"] > h["registry_lookup_hash"], (r["registry_lookup_rbtree"], h["registry_lookup_hash"])
for k in ("alignment_check", "page_boundary_same_page", "header_read", "tls_push", "tls_pop"):
    assert abs(h[k] - r[k]) < 0.5, "%s: %s instructions in one build, %s in the other" % (k, h[k], r[k])
PY

# The table: names the clock and says no counter is used; one row per stage.
"$1" --repeats 101 --no-instructions > "$tmp/table.txt"
grep -q "^clock: TSC" "$tmp/table.txt" || { echo "FAIL: the table does not name the TSC"; cat "$tmp/table.txt"; exit 1; }
grep -q "no performance counters are used" "$tmp/table.txt" || { echo "FAIL: the table does not say no counters are used"; exit 1; }
grep -q "minus the median empty loop" "$tmp/table.txt" || { echo "FAIL: the table does not say the loop is subtracted"; exit 1; }
grep -q "instructions: not counted: --no-instructions" "$tmp/table.txt" || { echo "FAIL: --no-instructions not stated"; exit 1; }
for s in alignment_check page_boundary_same_page page_boundary_mincore header_read ownership_lookup ownership_check \
         registry_lookup_hash classify_header_first tls_push tls_pop; do
  grep -q "^$s " "$tmp/table.txt" || { echo "FAIL: no row $s"; cat "$tmp/table.txt"; exit 1; }
done

# Bad arguments: exit 2, one line on stderr, nothing on stdout.
for bad in "--repeats 100" "--repeats 1" "--bogus"; do
  set +e
  # shellcheck disable=SC2086
  "$1" $bad > "$tmp/bad.out" 2> "$tmp/bad.err"
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || { echo "FAIL: $bad exited $rc, expected 2"; exit 1; }
  [ ! -s "$tmp/bad.out" ] || { echo "FAIL: $bad printed on stdout"; exit 1; }
  [ "$(wc -l < "$tmp/bad.err")" -eq 1 ] || { echo "FAIL: $bad: not one line on stderr"; exit 1; }
done
echo "PASS"
