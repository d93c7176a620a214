#!/usr/bin/env bash
# //ci:rootcause on the e3 -> e2 fixtures: the table, the three outputs, and bad input (exit 2,
# one line on stderr).
set -uo pipefail
bin="$1"; data="$(dirname "$2")"
fail=0; passed=0
ok() { echo "ok   $1"; passed=$((passed+1)); }
bad() { echo "FAIL $1"; fail=$((fail+1)); }
t="$TEST_TMPDIR"
args=(--base "$data/random_mixed.e3.callgrind" --base-ops 200000 --head "$data/random_mixed.e2.callgrind" --head-ops 200000)

out=$("$bin" "${args[@]}" --base-name e3 --head-name e2 --markdown "$t/r.md" --json "$t/r.json" --svg "$t/r.svg" --top 5 2>"$t/err"); code=$?
[ "$code" = 0 ] && ok "exit 0" || bad "exit $code: $(cat "$t/err")"
grep -q "base e3 -> head e2: 50.9 -> 167.1 instr/op" <<<"$out" && ok "table header" || bad "table header: $out"
grep -q "^RegistryLookup (new)" <<<"$out" && ok "table names the new function" || bad "table: $out"
[ "$(grep -c '^- ' <<<"$out")" = 5 ] && ok "--top 5" || bad "--top 5: $out"
grep -q "^- \*\*RegistryLookup\*\*: 0 -> 23.7 instr/op self" "$t/r.md" && ok "markdown" || bad "markdown: $(head -20 "$t/r.md")"
grep -q '"new_in_head"' "$t/r.json" && grep -q 'hak::RegistryLookup(unsigned long)' "$t/r.json" && ok "json" || bad "json"
head -c 4 "$t/r.svg" | grep -q '<svg' && tail -1 "$t/r.svg" | grep -q '</svg>' && grep -q RegistryLookup "$t/r.svg" \
  && ok "svg" || bad "svg"

expect2() {  # name pattern args...
  local name="$1" pat="$2"; shift 2
  "$bin" "$@" >"$t/out" 2>"$t/err"; local code=$?
  if [ "$code" != 2 ]; then bad "$name: exit $code, want 2"; return; fi
  if [ "$(wc -l <"$t/err")" != 1 ]; then bad "$name: stderr is not one line: $(cat "$t/err")"; return; fi
  if ! grep -q -- "$pat" "$t/err"; then bad "$name: stderr lacks '$pat': $(cat "$t/err")"; return; fi
  ok "$name (exit 2: $(cat "$t/err"))"
}
expect2 "no arguments" "--base and --head are required"
expect2 "missing file" "nope.out: cannot open" --base "$data/nope.out" --base-ops 1 --head "$data/nope.out" --head-ops 1
expect2 "zero ops" "--head-ops must be a positive number" "${args[@]:0:6}" --head-ops 0
expect2 "not a number" "--base-ops must be a positive number, not 'lots'" --base-ops lots
printf 'events: Ir\nfn=(7)\n' >"$t/broken.out"
expect2 "malformed profile" "broken.out: line 2: (7) refers to a name never defined" \
  --base "$t/broken.out" --base-ops 1 --head "$t/broken.out" --head-ops 1
expect2 "unwritable output" "--svg /nonexistent/dir/x.svg: cannot write" "${args[@]}" --svg /nonexistent/dir/x.svg
expect2 "unknown option" "unknown option --frobnicate" --frobnicate 1
"$bin" --help | grep -q "usage: rootcause" && ok "--help" || bad "--help"
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
