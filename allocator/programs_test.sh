#!/usr/bin/env bash
# programs_test.sh — test of layer 6: real programs under LD_PRELOAD=libhakmem.so, output compared with glibc.
# Real programs under LD_PRELOAD: each program runs once under glibc (the reference) and once per
# library; stdout and the exit status must match the reference, and every run must leave a
# "hakmem-stats" line with at least one SuperSlab mapped (HAKMEM_STATS_DUMP=FILE), which proves
# the library served it: a preload the loader ignored writes nothing.
#
# Usage: programs_test.sh [--quick|--full] [--only NAME,...] LABEL=LIBRARY.so ...
#   --quick  smaller inputs; the CI subset (default)
#   --full   larger inputs, plus a dozen CPython test modules with PYTHONMALLOC=malloc and the
#            allocator compiling itself under its own preload (needs --src DIR)
#   --src D  the allocator's source folder (the repository's allocator/), for the self-build
#   --only   run only these programs (names as printed)
set -uo pipefail

mode=quick only="" src=""
libs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --only) only="${2:?--only needs a list}"; shift ;;
    --src) src="${2:?--src needs a folder}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) libs+=("$1") ;;
    *) echo "programs_test: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#libs[@]} -gt 0 ] || { echo "programs_test: no LABEL=LIBRARY.so given (try --help)" >&2; exit 2; }
for spec in "${libs[@]}"; do
  f="${spec#*=}"
  [ -f "$f" ] || { echo "programs_test: ${spec%%=*}: no such library: $f" >&2; exit 2; }
done
if [ -n "$src" ]; then
  [ -d "$src" ] || { echo "programs_test: --src $src: no such folder" >&2; exit 2; }
  src="$(cd "$src" && pwd)"
fi
for tool in /usr/bin/python3 sqlite3 git gcc sort xz tar perl; do
  command -v "$tool" >/dev/null || { echo "programs_test: '$tool' is missing: run tools/setup.sh" >&2; exit 2; }
done

tmp="${TEST_TMPDIR:-$(mktemp -d)}/programs"
rm -rf "$tmp" && mkdir -p "$tmp/in"
if [ "$mode" = full ]; then scale=3; else scale=1; fi

# ---- Inputs, made once (deterministic) ----
seq 1 $((300000 * scale)) | awk '{print ($1 * 7919) % 1000003, "line", $1}' >"$tmp/in/numbers.txt"
mkdir -p "$tmp/in/tree"
awk -v n=$((400 * scale)) -v d="$tmp/in/tree" 'BEGIN {
  for (i = 0; i < n; i++) { f = sprintf("%s/f%04d.txt", d, i);
    for (j = 0; j < 20 + i % 30; j++) print "file", i, "line", j, (i * 31 + j * 17) % 1009 > f; close(f) } }'
awk -v n=$((300 * scale * 2 - 300)) 'BEGIN {
  print "#include <stdio.h>";
  for (i = 0; i < n; i++) {
    printf "static int f%d(int x) { int a[%d]; for (int i = 0; i < %d; i++) a[i] = x * i + %d;", i, i % 16 + 1, i % 16 + 1, i;
    printf " int s = 0; for (int i = 0; i < %d; i++) s += a[i] %% 7; return s; }\n", i % 16 + 1 }
  print "int main(void) { long s = 0;";
  for (i = 0; i < n; i++) printf "  s += f%d(%d);\n", i, i % 13;
  print "  printf(\"%ld\\n\", s); return 0; }" }' >"$tmp/in/big.c"

# ---- Programs: name and a bash snippet run in a fresh folder with $IN set ----
declare -A prog
order=()
add() { order+=("$1"); prog[$1]="$2"; }

add python_dicts "/usr/bin/python3 - $((100000 * scale)) <<'EOF'
import json, random, sys
n = int(sys.argv[1]); random.seed(7)
d = {i: [random.random() for _ in range(5)] for i in range(n)}
s = json.dumps(d); back = json.loads(s)
words = sorted({str(random.randrange(10**6)) * 3 for _ in range(n // 2)})
lists = [list(range(i % 100)) for i in range(n)]
del lists[::2]
print(len(s), len(back), sum(len(w) for w in words), words[:3], sum(map(len, lists)))
EOF"
add python_unittest "/usr/bin/python3 -m unittest test.test_json test.test_heapq 2>&1 | sed -e 's/ in [0-9.]*s\$//'"
add python_threads "/usr/bin/python3 - $((20000 * scale)) <<'EOF'
# Objects made on one thread and freed on another (remote frees), across a thread pool.
import queue, sys, threading
from concurrent.futures import ThreadPoolExecutor
n = int(sys.argv[1]); q = queue.Queue(maxsize=256); out = []
def produce(k):
    for i in range(n):
        q.put({'k': k, 'i': i, 'v': [i] * (i % 40), 's': 'x' * (i % 300)})
    q.put(None)
def consume():
    done = total = 0
    while done < 2:
        item = q.get()
        if item is None: done += 1; continue
        total += len(item['v']) + len(item['s'])
    out.append(total)
with ThreadPoolExecutor(max_workers=3) as ex:
    f = [ex.submit(produce, 0), ex.submit(produce, 1), ex.submit(consume)]
    [x.result() for x in f]
print(out)
EOF"
add sqlite "sqlite3 db.sqlite <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, g INTEGER, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $((150000 * scale)))
INSERT INTO t SELECT x, printf('%08x', (x * 2654435761) % 4294967296), x % 97, x * 0.5 FROM c;
CREATE INDEX tk ON t(k);
CREATE TABLE g AS SELECT g, count(*) AS n, sum(v) AS s FROM t GROUP BY g;
SELECT count(*), sum(g), min(k), max(k) FROM t;
SELECT g, n, s FROM g ORDER BY s DESC LIMIT 5;
SELECT t.k FROM t JOIN g ON t.g = g.g WHERE g.n > 1500 AND t.k LIKE 'ab%' ORDER BY t.k LIMIT 5;
DELETE FROM t WHERE id % 3 = 0; VACUUM;
SELECT count(*), group_concat(k, '') IS NOT NULL FROM t;
PRAGMA integrity_check;
EOF"
add git "export HOME=\$PWD GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=lab GIT_AUTHOR_EMAIL=lab@example.org \
  GIT_COMMITTER_NAME=lab GIT_COMMITTER_EMAIL=lab@example.org \
  GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
git init -q -b main repo && cd repo && cp -r \$IN/tree/. . &&
git add -A && git commit -q -m first &&
for f in f0*1.txt; do echo changed >>\$f; done && git mv f0000.txt moved.txt &&
git commit -q -am second && git gc -q --aggressive && git fsck --strict --no-progress 2>&1 &&
git log --stat --format='%H %s' | md5sum && git ls-tree -r HEAD | wc -l &&
git count-objects -v | grep -E '^(count|in-pack|packs):' && git diff --stat HEAD~1 | tail -1"
add gcc "gcc -O2 -c \$IN/big.c -o big.o && md5sum <big.o && gcc big.o -o big && ./big"
add sort "sort -n --parallel=2 -S 32M \$IN/numbers.txt | md5sum && sort -k3,3 -t' ' \$IN/numbers.txt | tail -3"
add xz "xz -T2 -3 --block-size=1MiB -c \$IN/numbers.txt >n.xz && md5sum <n.xz && xz -T2 -dc n.xz | md5sum"
add tar "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C \$IN -cf - tree | md5sum &&
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C \$IN -czf t.tgz tree && tar -tzf t.tgz | wc -l"
add perl "perl -e 'my %h; my \$n = $((300000 * scale));
for my \$i (1..\$n) { \$h{\"k\$i\"} = [\$i, \"v\" x (\$i % 50)] }
my \$s = 0; \$s += \$h{\$_}[0] for keys %h; delete \$h{\"k\$_\"} for grep { \$_ % 3 == 0 } 1..\$n;
print scalar(keys %h), \" \$s \", join(\",\", (sort keys %h)[0..4]), \"\\n\"'"
if [ "$mode" = full ]; then
  # A dozen CPython test modules, every Python allocation through malloc. Timings stripped.
  add cpython_tests "PYTHONMALLOC=malloc /usr/bin/python3 -m test -j0 test_dict test_list test_set \
test_tuple test_json test_re test_unicode test_bytes test_collections test_heapq test_sort \
test_itertools test_functools test_pickle 2>&1 | grep -E '^(Tests result|All [0-9]+ tests OK|[0-9]+ tests? (OK|failed))'"
  if [ -n "$src" ]; then
    # The allocator compiling itself under its own preload: identical objects, and the library
    # built that way serves python afterwards (checked below).
    add self_build "ls $src/*.cc | grep -v -E '_test\\.cc\$|/malloc_fuzz' | xargs -P2 -I{} sh -c 'g++ -std=c++17 -O2 -fPIC \
-fno-builtin-malloc -fno-builtin-free -ftls-model=initial-exec -fvisibility=hidden -DNDEBUG \
-I$src/.. -c {} -o \$(basename {} .cc).o' && md5sum *.o && g++ -shared *.o -o self.so -ldl -lpthread &&
LD_PRELOAD=\$PWD/self.so HAKMEM_STATS_DUMP=\$PWD/self.stats /usr/bin/python3 -c 'print(sum(len(str(i)) for i in range(200000)))' &&
grep -c '^hakmem-stats ' self.stats"
  fi
fi

wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# ---- Run: reference first, then each library ----
fail=0 passed=0
run() {  # label name lib -> leaves $dir/out, $dir/rc
  local label="$1" name="$2" lib="$3"
  local dir="$tmp/run/$label/$name"
  mkdir -p "$dir/work"
  (
    cd "$dir/work" || exit 99
    export IN="$tmp/in"
    if [ -n "$lib" ]; then
      export LD_PRELOAD="$lib" HAKMEM_STATS_DUMP="$dir/stats"
    fi
    exec bash -c "${prog[$name]}"
  ) >"$dir/out" 2>"$dir/err"
  echo $? >"$dir/rc"
}
for name in "${order[@]}"; do
  wanted "$name" || continue
  start=$SECONDS
  run glibc "$name" ""
  ref="$tmp/run/glibc/$name"
  if [ "$(cat "$ref/rc")" != 0 ]; then
    echo "FAIL $name: the reference run under glibc failed (exit $(cat "$ref/rc")): $(tail -3 "$ref/err")"
    fail=$((fail + 1)); continue
  fi
  for spec in "${libs[@]}"; do
    label="${spec%%=*}"
    lib="$(cd "$(dirname "${spec#*=}")" && pwd)/$(basename "${spec#*=}")"
    run "$label" "$name" "$lib"
    d="$tmp/run/$label/$name"
    rc=$(cat "$d/rc")
    line=$(grep -m1 '^hakmem-stats ' "$d/stats" 2>/dev/null || true)
    ss=$(sed -n 's/.*"superslabs":\([0-9]*\).*/\1/p' <<<"$line")
    if [ "$rc" != 0 ]; then
      echo "FAIL $name [$label]: exit $rc (glibc: 0): $(tail -3 "$d/err" | tr '\n' ' ')"; fail=$((fail + 1))
    elif ! cmp -s "$ref/out" "$d/out"; then
      echo "FAIL $name [$label]: output differs from glibc's:"; diff "$ref/out" "$d/out" | head -8
      fail=$((fail + 1))
    elif [ -z "$line" ] || [ "${ss:-0}" -lt 1 ]; then
      echo "FAIL $name [$label]: no hakmem-stats line with a SuperSlab: the library was not used"
      fail=$((fail + 1))
    else
      passed=$((passed + 1))
      echo "ok   $name [$label] ($(wc -l <"$d/stats") processes served, $(wc -c <"$d/out") bytes of output)"
    fi
  done
  echo "     $name: $((SECONDS - start)) s for glibc + ${#libs[@]} libraries"
done
echo "programs_test ($mode): $passed passed, $fail failed"
[ "$fail" = 0 ]
