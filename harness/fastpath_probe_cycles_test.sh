#!/usr/bin/env bash
# fastpath_probe cycles [n]: one JSON line with the TSC ticks of a tiny malloc hit and a tiny free
# hit (median over repeats, empty batch subtracted), and a "clock" field that says what was
# counted. Checks only that the fields are there and sane: NO timing thresholds (shared machines).
set -euo pipefail
probe="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"

check() {  # json-file expected-n
  python3 - "$1" "$2" <<'PY'
import json, sys
line = open(sys.argv[1]).read().strip()
assert "\n" not in line, "more than one line: %r" % line
d = json.loads(line)
for k in ("malloc_hit_cycles", "free_hit_cycles", "empty_batch_cycles", "repeats", "n", "tsc_mhz"):
    assert k in d, "missing %s in %s" % (k, line)
    assert isinstance(d[k], (int, float)) and not isinstance(d[k], bool), "%s is not a number" % k
    assert d[k] > 0, "%s is not positive: %s" % (k, line)
assert d["n"] == int(sys.argv[2]), "n is %s, asked %s" % (d["n"], sys.argv[2])
assert d["repeats"] >= 101 and d["repeats"] % 2 == 1, "repeats %s: want an odd count >= 101" % d["repeats"]
assert isinstance(d["core_cycles"], bool), "core_cycles is not a boolean"
assert d["clock"].startswith("TSC (constant-rate reference cycles)"), d["clock"]
if d["core_cycles"]:
    for k in ("malloc_hit_core_cycles", "free_hit_core_cycles"):
        assert d.get(k, 0) > 0, "core_cycles true but %s missing or not positive" % k
else:
    assert "no performance counters" in d["clock"], d["clock"]
    assert "malloc_hit_core_cycles" not in d
print("ok: " + line)
PY
}

"$probe" cycles > "$tmp/default.json"
check "$tmp/default.json" 100
"$probe" cycles 16 > "$tmp/n16.json"
check "$tmp/n16.json" 16

# Bad n: exit 2 with one line, nothing on stdout.
for bad in 0 101; do
  set +e
  "$probe" cycles "$bad" > "$tmp/bad.out" 2> "$tmp/bad.err"
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || { echo "FAIL: cycles $bad exited $rc, expected 2"; exit 1; }
  [ ! -s "$tmp/bad.out" ] || { echo "FAIL: cycles $bad printed on stdout"; exit 1; }
  [ "$(wc -l < "$tmp/bad.err")" -eq 1 ] || { echo "FAIL: cycles $bad: not one line on stderr"; exit 1; }
done
echo "PASS"
