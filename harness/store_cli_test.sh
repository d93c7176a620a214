#!/usr/bin/env bash
# store_cli_test — the store layer's command line: exit codes (put twice 1; a root that cannot
# exist 2, naming the directory; an invalid file 2), list --json's shape, path creating nothing,
# and migrate --dry-run (then the real move) on a copy of an old-layout tree made here.
set -uo pipefail
store="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/storecli"
rm -rf "$tmp" && mkdir -p "$tmp"
unset HAKMEM_LAB_BASELINES BUILD_WORKSPACE_DIRECTORY BUILD_WORKING_DIRECTORY
fail=0 passed=0
check() {  # description, condition...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; passed=$((passed + 1)); else echo "FAIL $what"; fail=$((fail + 1)); fi
}
py() { /usr/bin/python3 -c "$1" "${@:2}"; }
run() {  # runs the store, keeping exit status, stdout and stderr
  "$store" "$@" >"$tmp/out" 2>"$tmp/err"
  code=$?
}
check1() {  # as check, and stderr is exactly one line
  local what="$1"; shift
  check "$what (one line on stderr)" sh -c '"$@" && test "$(wc -l <"$0")" = 1' "$tmp/err" "$@"
}

root="$tmp/root"
sha=0123456789abcdef0123456789abcdef01234567

# ---- machine, help, bad input ----
run machine
check "machine: exit 0 (got $code)" test "$code" = 0
fp=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$tmp/out")
check "machine: one JSON object with a 16-hex fingerprint ($fp), scheme 2 and its fields" \
  py 'import json,sys,re; m=json.load(open(sys.argv[1]))
ok = m["schema"] == "hakmem-lab/machine" and re.fullmatch("[0-9a-f]{16}", m["fingerprint"]) and m["fingerprint_scheme"] == 2
ok = ok and m["fingerprint_fields"] == ["cpu_model", "cores", "memory_gib", "libc", "kernel_series", "host"]
ok = ok and m["memory_gib"] > 0 and re.fullmatch("[0-9a-f]{12}", m["host"]) and isinstance(m["legacy_fingerprints"], list)
sys.exit(0 if ok else 1)' "$tmp/out"
run --help
check "--help: exit 0 and names every command" \
  sh -c "test $code = 0 && for c in machine path put list migrate; do grep -q \"^  \$c\" '$tmp/out' || exit 1; done"
run
check1 "no command: exit 2 (got $code), one line" sh -c "test $code = 2"
run frobnicate
check "unknown command: exit 2 (got $code)" test "$code" = 2
run path --series commits --name "$sha"
check "path without a root: exit 2 (got $code) saying how to give one" sh -c "test $code = 2 && grep -q -- '--root' '$tmp/err'"
run put "$tmp/x.json" --series commits --kind quick --root "$root"
check "put --kind: refused, exit 2 (got $code)" sh -c "test $code = 2 && grep -q 'takes no --kind' '$tmp/err'"

# ---- path: the rule, nothing created ----
run path --series commits --name "$sha" --root "$root"
check "path: exit 0 and <root>/<fp>/full/commits/<sha>.json (got $(cat "$tmp/out"))" \
  test "$code" = 0 -a "$(cat "$tmp/out")" = "$root/$fp/full/commits/$sha.json"
check "path: creates nothing" test ! -e "$root"
(cd "$tmp" && BUILD_WORKING_DIRECTORY="$tmp" "$store" path --series history --name E3-1 --kind quick \
  --machine 0badc0de0badc0de --root rel >"$tmp/out" 2>"$tmp/err")
check "path: a relative --root is taken from where the user stands" \
  test "$(cat "$tmp/out")" = "$tmp/rel/0badc0de0badc0de/quick/history/E3-1.json"
run path --series commits --name ../x --root "$root"
check1 "path: a bad name is exit 2 (got $code)" sh -c "test $code = 2"
run path --series results --name x --root "$root"
check "path: a bad series is exit 2 (got $code)" test "$code" = 2

# ---- put ----
result() {  # file, fingerprint, kind, ws
  py 'import json,sys
f, fp, kind, ws = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = {"fingerprint": fp, "fingerprint_scheme": 2, "cpu_model": "Test CPU", "cores": 2, "memory_gib": 8,
     "libc": "glibc 2.36", "kernel_series": "6.1", "kernel": "Linux 6.1.0 x86_64", "host": "0123456789ab"}
p = {"workload": "random_mixed", "variant": "e3", "unit": "ops/s", "params": {"cycles": 1000000, "ws": ws, "seed": 1},
     "samples": [1e7, 1.1e7, 0.9e7]}
json.dump({"schema": "hakmem-lab/result", "schema_version": 2, "run_kind": kind, "commit": "'"$sha"'",
           "dirty": False, "started_at": "2026-12-01T09:00:00Z", "bazel_version": "4.2.3", "flags": "-c opt",
           "machine": m, "complete": True, "variants": [{"name": "e3", "allocator": "hakmem", "switches": "",
           "compiler": "gcc"}], "points": [p], "fastpath_instructions": {}}, open(f, "w"), indent=1)' "$@"
}
result "$tmp/r.json" "$fp" quick 128
run put "$tmp/r.json" --series commits --root "$root"
want="$root/$fp/quick/commits/$sha.json"
check "put: exit 0 (got $code: $(cat "$tmp/err")), prints <root>/<fp>/quick/commits/<commit>.json" \
  test "$code" = 0 -a "$(cat "$tmp/out")" = "$want"
check "put: the file is stored byte for byte" cmp -s "$tmp/r.json" "$want"
check "put: machine.json written for this machine's result" \
  py 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["fingerprint"] == sys.argv[2] else 1)' "$root/$fp/machine.json" "$fp"
run put "$tmp/r.json" --series commits --root "$root"
check1 "put twice: exit 1 (got $code), one line naming the entry" \
  sh -c "test $code = 1 && grep -q 'exists already' '$tmp/err' && grep -q -F '$want' '$tmp/err'"
run put "$tmp/r.json" --series commits --replace --root "$root"
check "put --replace: exit 0 (got $code)" test "$code" = 0
(cd "$tmp" && BUILD_WORKING_DIRECTORY="$tmp" "$store" put r.json --series history --name E3-1 --root "$root" \
  >"$tmp/out" 2>"$tmp/err")
check "put: a relative FILE is taken from where the user stands, --name names it" \
  test "$(cat "$tmp/out")" = "$root/$fp/quick/history/E3-1.json"
echo "not a directory" >"$tmp/plainfile"
run put "$tmp/r.json" --series commits --root "$tmp/plainfile/store"
check1 "put under a regular file: exit 2 (got $code), naming the directory, not another sweep" \
  sh -c "test $code = 2 && grep -q -F 'cannot create directory $tmp/plainfile/store' '$tmp/err' &&
         grep -q -F '$tmp/plainfile is not a directory' '$tmp/err' && ! grep -q 'another sweep' '$tmp/err'"
if [ "$(id -u)" != 0 ]; then  # permissions mean nothing to root
  mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
  run put "$tmp/r.json" --series commits --root "$tmp/ro/store"
  check "put under a read-only directory: exit 2 (got $code), naming it" \
    sh -c "test $code = 2 && grep -q -F '$tmp/ro/store' '$tmp/err'"
  chmod 755 "$tmp/ro"
fi
result "$tmp/bad.json" "$fp" quick -5
run put "$tmp/bad.json" --series commits --root "$root"
check1 "put an invalid result: exit 2 (got $code), one line naming file and field" \
  sh -c "test $code = 2 && grep -q -F '$tmp/bad.json: points[0].params.ws: not positive (-5)' '$tmp/err'"
head -c 100 "$tmp/r.json" >"$tmp/trunc.json"
run put "$tmp/trunc.json" --series commits --root "$root"
check1 "put a truncated file: exit 2 (got $code)" sh -c "test $code = 2 && grep -q 'not valid JSON' '$tmp/err'"
run put "$tmp/missing.json" --series commits --root "$root"
check "put a missing file: exit 2 (got $code)" test "$code" = 2
py 'import json,sys; r=json.load(open(sys.argv[1])); r["complete"]=False; r["incomplete_reason"]="crash"; json.dump(r, open(sys.argv[2],"w"))' \
  "$tmp/r.json" "$tmp/partial.json"
run put "$tmp/partial.json" --series commits --name partial --root "$root"
check "put an incomplete result: exit 2 (got $code), nothing stored" \
  sh -c "test $code = 2 && test ! -e '$root/$fp/quick/commits/partial.json'"

# ---- list ----
echo '{"headline": "PASS"}' >"$root/$fp/quick/commits/$sha.gate.json"
mkdir -p "$root/$fp/quick/commits/superseded" && cp "$tmp/r.json" "$root/$fp/quick/commits/superseded/$sha.20261122T000000.json"
cp "$tmp/r.json" "$root/$fp/quick/commits/$sha.json.tmp.99"
run list --json --root "$root"
check "list --json: exit 0 (got $code), one array of 3 entries of the documented shape" \
  py 'import json,sys
es = json.load(open(sys.argv[1])); root, fp, sha = sys.argv[2:5]
base = {"machine", "kind", "series", "name", "path", "type"}
ok = isinstance(es, list) and len(es) == 3
by = {(e["series"], e["name"]): e for e in es}
r = by[("commits", sha)]
ok = ok and set(r) == base | {"commit", "started_at", "run_kind", "reused_from"} and r["type"] == "result"
ok = ok and r["commit"] == sha and r["run_kind"] == "quick" and r["reused_from"] is None and r["machine"] == fp
ok = ok and r["path"] == "%s/%s/quick/commits/%s.json" % (root, fp, sha) and r["kind"] == "quick"
g = by[("commits", sha + ".gate")]
ok = ok and set(g) == base and g["type"] == "verdict"
ok = ok and by[("history", "E3-1")]["type"] == "result"
sys.exit(0 if ok else 1)' "$tmp/out" "$root" "$fp" "$sha"
run list --root "$root" --series commits
check "list: one aligned line per entry (2 in commits)" \
  sh -c "test $code = 0 && test \$(wc -l <'$tmp/out') = 2 && grep -q -F '$want' '$tmp/out'"
run list --json --kind full --root "$root"
check "list --kind full: empty array" test "$(cat "$tmp/out")" = "[]"
run list --machine "$fp" --all-machines --root "$root"
check "list --machine with --all-machines: exit 2 (got $code)" test "$code" = 2

# ---- migrate --dry-run on a copy of an old-layout tree ----
old="$tmp/old"
ofp=0badc0de0badc0de  # not this host: no machine-id reproduces it
mkdir -p "$old/$sha" "$old/history/$ofp/quick" "$old/bisect/$ofp"
py 'import json,sys
r = json.load(open(sys.argv[1])); r["schema_version"] = 1; r.pop("run_kind")
r["machine"] = {"fingerprint": sys.argv[2], "cpu_model": "Old CPU", "cores": 2, "kernel": "Linux 5.10.0-9 x86_64", "libc": "glibc 2.31"}
for p in sys.argv[3:]: json.dump(r, open(p, "w"), indent=1)' "$tmp/r.json" "$ofp" \
  "$old/$sha/$ofp.json" "$old/history/$ofp/E3-1.json" "$old/history/$ofp/quick/E3-1.json"
echo '{"points": [{"point": "random_mixed ws=128"}]}' >"$old/bisect/$ofp/phase7__e2.json"
echo '{"phase7": {}}' >"$old/history/$ofp/quick/routes.json"
copy="$tmp/copy"
cp -a "$old" "$copy"
snapshot() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }
before=$(snapshot "$copy")
run migrate --dry-run --root "$copy"
check "migrate --dry-run: exit 0 (got $code: $(cat "$tmp/err"))" test "$code" = 0
check "migrate --dry-run: prints each of the 5 moves" test "$(grep -c '^would move ' "$tmp/out")" = 5
check "migrate --dry-run: says the old fingerprint is not proven this host" grep -q "$ofp is not proven" "$tmp/out"
check "migrate --dry-run: the tree is untouched" test "$before" = "$(snapshot "$copy")"
run migrate --root "$copy"
check "migrate: exit 0 (got $code: $(cat "$tmp/err"))" test "$code" = 0
check "migrate: each file moved under its old fingerprint, unchanged" sh -c "
  cmp -s '$old/$sha/$ofp.json' '$copy/$ofp/quick/commits/$sha.json' &&
  cmp -s '$old/history/$ofp/E3-1.json' '$copy/$ofp/full/history/E3-1.json' &&
  cmp -s '$old/history/$ofp/quick/E3-1.json' '$copy/$ofp/quick/history/E3-1.json' &&
  cmp -s '$old/history/$ofp/quick/routes.json' '$copy/$ofp/quick/history/routes.json' &&
  cmp -s '$old/bisect/$ofp/phase7__e2.json' '$copy/$ofp/quick/bisect/phase7__e2.json'"
check "migrate: machine.json of the old machine built from its block" \
  py 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if m["cpu_model"]=="Old CPU" and m["fingerprint_scheme"]==1 and m["kernel_series"]=="5.10" else 1)' \
  "$copy/$ofp/machine.json"
check "migrate: no old-layout directory is left" test ! -e "$copy/history" -a ! -e "$copy/bisect" -a ! -e "$copy/$sha"
run list --json --machine "$ofp" --root "$copy"
check "migrate: the moved files list (5 entries)" py 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))) == 5 else 1)' "$tmp/out"

echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
