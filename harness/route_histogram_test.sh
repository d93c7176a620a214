#!/usr/bin/env bash
# Route histograms of bench_random_mixed with stats=on (HAKMEM_STATS_DUMP):
#   phase7_broken: tiny frees go through the SuperSlab registry route (seeds: "100% ss_hit")
#   e3:            tiny frees go through the header fast path
#   e2:            C7 frees leave the fast path (registry check + legacy C7 branch)
set -euo pipefail
broken="$1"; e3="$2"; e2="$3"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"

stat() {  # file key
  sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}
run() {  # binary out
  rm -f "$2"
  HAKMEM_STATS_DUMP="$2" "$1" 400000 1024 1234567 --expect hakmem >/dev/null
  grep -q '"stats_compiled":1' "$2" || { echo "FAIL: $1 was not built with stats=on"; exit 1; }
}
share() {  # file numerator-key -> percent of tiny frees (header_fast + ss_hit + slow_tiny)
  local f="$1" k="$2" fast ss slow
  fast=$(stat "$f" free_header_fast); ss=$(stat "$f" free_ss_hit); slow=$(stat "$f" free_slow_tiny)
  echo $(( 100 * $(stat "$f" "$k") / (fast + ss + slow) ))
}

run "$broken" "$tmp/broken.json"
run "$e3" "$tmp/e3.json"
run "$e2" "$tmp/e2.json"
b=$(share "$tmp/broken.json" free_ss_hit)
e=$(share "$tmp/e3.json" free_header_fast)
c=$(share "$tmp/e2.json" free_header_fast)
echo "phase7_broken: ss_hit ${b}% of tiny frees;  e3: header_fast ${e}%;  e2: header_fast ${c}%"
fail=0
[ "$b" -ge 95 ] || { echo "FAIL: phase7_broken should route >=95% of tiny frees via the SuperSlab lookup"; fail=1; }
[ "$(stat "$tmp/broken.json" free_header_fast)" = 0 ] || { echo "FAIL: phase7_broken used the header fast path"; fail=1; }
[ "$e" -ge 95 ] || { echo "FAIL: e3 should route >=95% of tiny frees via the header fast path"; fail=1; }
[ "$c" -lt "$e" ] || { echo "FAIL: e2 should leave the fast path more often than e3"; fail=1; }
[ "$fail" = 0 ] && echo "3 passed, 0 failed"
exit "$fail"
