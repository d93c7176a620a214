#!/usr/bin/env bash
# Real programs under LD_PRELOAD=libhakmem.so give the same output as without it, and the
# library proves it served them: HAKMEM_STATS_DUMP=FILE makes it append one "hakmem-stats" line
# at exit with the SuperSlabs it mapped (a preload the loader ignored writes nothing).
set -euo pipefail
so="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$so" ] || { echo "no such library: $1" >&2; exit 1; }
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail=0

run_both() {  # name, command...
  local name="$1"; shift
  "$@" >"$tmp/$name.ref" 2>/dev/null
  rm -f "$tmp/$name.stats"
  LD_PRELOAD="$so" HAKMEM_STATS_DUMP="$tmp/$name.stats" "$@" >"$tmp/$name.out" 2>/dev/null
  if ! cmp -s "$tmp/$name.ref" "$tmp/$name.out"; then
    echo "FAIL $name: output differs under LD_PRELOAD"; fail=1; return
  fi
  local line
  line=$(grep -m1 '^hakmem-stats ' "$tmp/$name.stats" 2>/dev/null || true)
  if [ -z "$line" ]; then
    echo "FAIL $name: no hakmem-stats line: libhakmem.so was not used"; fail=1; return
  fi
  local ss
  ss=$(sed -n 's/.*"superslabs":\([0-9]*\).*/\1/p' <<<"$line")
  if [ "${ss:-0}" -lt 1 ]; then
    echo "FAIL $name: hakmem mapped no SuperSlab ($line)"; fail=1; return
  fi
  echo "ok   $name ($(wc -c <"$tmp/$name.out") bytes of output, $line)"
}

py=/usr/bin/python3
run_both python_dicts "$py" -c '
import json, random
random.seed(7)
d = {i: [random.random() for _ in range(5)] for i in range(100000)}
s = json.dumps(d)
back = json.loads(s)
words = sorted({str(random.randrange(10**6)) * 3 for _ in range(50000)})
print(len(s), len(back), sum(len(w) for w in words), words[:3])
'
seq 1 400000 | awk '{print ($1 * 7919) % 1000003}' >"$tmp/numbers.txt"
run_both sort_numbers sort -n --parallel=2 -S 32M "$tmp/numbers.txt"
run_both sort_text sort "$tmp/numbers.txt"

if [ "$fail" != 0 ]; then exit 1; fi
echo "3 passed, 0 failed"
