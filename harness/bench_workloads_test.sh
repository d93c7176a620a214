#!/usr/bin/env bash
# Every bench_mem mode and every bench_mt mode with tiny sizes, under hakmem (e3_safe) and glibc:
# the JSON record has its fields and they are sane (rss_after_free_kb <= peak_rss_kb,
# p99 >= p50 > 0, a live set's pages really resident), "tiers" is there for hakmem and absent for
# a peer, --seconds sizes a sample by time, and bad arguments exit 2 with one line on stderr.
set -uo pipefail
mem="$1" mt="$2" mem_sys="$3" mt_sys="$4" rm="$5" mm="$6" mm_sys="$7" mem_x3="$8"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
passed=0 failed=0

ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# check NAME WANT_TIERS(yes|no) PY-EXPR... -- BINARY ARGS...: runs, parses the last stdout line as
# JSON and evaluates each python expression against it (r = the record).
check() {
  local name="$1" tiers="$2"; shift 2
  local exprs=()
  while [ "$1" != "--" ]; do exprs+=("$1"); shift; done
  shift
  if ! "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    bad "$name: exit $? ($(head -1 "$tmp/$name.err"))"; return
  fi
  local why
  why=$(/usr/bin/python3 - "$tmp/$name.out" "$tiers" "${exprs[@]}" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
try:
    r = json.loads(lines[-1])
except Exception as e:
    print("last line is not JSON: %s" % e); sys.exit(0)
common = ["workload", "allocator", "variant", "owns_malloc", "ops", "seconds", "ops_per_sec",
          "peak_rss_kb", "rss_after_free_kb", "compiler"]
if r.get("workload") in ("random_mixed", "medium_mixed"):  # its count is `cycles`
    common.remove("ops"); r["ops"] = r.get("cycles")
missing = [k for k in common if k not in r]
if missing:
    print("missing " + ",".join(missing)); sys.exit(0)
checks = ["r['owns_malloc'] is True", "r['ops'] > 0", "r['seconds'] > 0", "r['ops_per_sec'] > 0",
          "isinstance(r['peak_rss_kb'], int) and r['peak_rss_kb'] > 0",
          "isinstance(r['rss_after_free_kb'], int) and 0 < r['rss_after_free_kb'] <= r['peak_rss_kb']"]
if sys.argv[2] == "yes":
    keys = ["live_superslabs", "cached_superslabs", "slabs_in_use", "live_chunks",
            "chunk_cache_bytes", "os_bytes_mapped"]
    checks.append("isinstance(r.get('tiers'), dict) and all(isinstance(r['tiers'].get(k), int) and r['tiers'][k] >= 0 for k in %r)" % keys)
else:
    checks.append("'tiers' not in r")
checks += sys.argv[3:]
for c in checks:
    try:
        good = eval(c, {"r": r})
    except Exception as e:
        good = False
    if not good:
        print("%s is false in %s" % (c, json.dumps(r)[:400])); sys.exit(0)
PY
)
  if [ -z "$why" ]; then ok "$name"; else bad "$name: $why"; fi
}

# usage NAME BINARY ARGS...: exit 2, exactly one line on stderr, nothing on stdout.
usage() {
  local name="$1"; shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local code=$? lines
  lines=$(wc -l <"$tmp/$name.err")
  if [ "$code" = 2 ] && [ "$lines" = 1 ] && [ ! -s "$tmp/$name.out" ]; then
    ok "$name: exit 2: $(cat "$tmp/$name.err")"
  else
    bad "$name: exit $code, $lines stderr lines, $(wc -c <"$tmp/$name.out") stdout bytes"
    head -3 "$tmp/$name.err"
  fi
}

mt_fields=("isinstance(r.get('threads'), int)" "isinstance(r.get('batches'), int) and r['batches'] > 0"
           "r['p99_batch_ns_per_op'] >= r['p50_batch_ns_per_op'] > 0")

# ---- bench_mem under hakmem and glibc ----
for which in e3_safe system; do
  if [ "$which" = e3_safe ]; then b="$mem" a=hakmem t=yes; else b="$mem_sys" a=system t=no; fi
  check "mem_liveset.$which" "$t" "r['workload'] == 'mem_liveset'" "r['mib'] == 8 and r['rounds'] == 2" \
    "r['blocks'] > 100 and r['ops'] == 2 * 2 * r['blocks']" \
    "len(r['rss_after_free_rounds_kb']) == 2" \
    "r['live_rss_kb'] <= r['peak_rss_kb']" \
    "r['live_rss_kb'] >= 0.9 * r['requested_kb'] >= 0.9 * 0.9 * 8192" \
    -- "$b" liveset --mib 8 --rounds 2 --json --expect "$a"
  check "mem_prodcons_long.$which" "$t" "r['workload'] == 'mem_prodcons_long'" "r['threads'] == 2" \
    "r['ops'] == 2 * 60000" "64 <= r['max_live_blocks'] <= 1024" \
    -- "$b" prodcons_long --ops 60000 --live-min 64 --live-max 1024 --period 8192 --json --expect "$a"
  check "mem_thread_churn.$which" "$t" "r['workload'] == 'mem_thread_churn'" \
    "r['threads'] == 9 and r['concurrent'] == 2 and r['blocks'] == 512" "r['ops'] == 2 * 9 * 512" \
    "0 < r['rss_mid_kb'] <= r['peak_rss_kb']" \
    -- "$b" thread_churn --threads 9 --blocks 512 --json --expect "$a"
  # Big blocks: every malloc freed again, every page written; RSS read after the last free.
  check "mem_large_churn.$which" "$t" "r['workload'] == 'mem_large_churn'" \
    "r['cycles'] == 300 and r['live'] == 4 and r['min_kb'] == 256 and r['max_kb'] == 8192" \
    "r['ops'] == 2 * 300" "256 * 300 < r['requested_kb'] < 8192 * 300" \
    "0 < r['rss_after_free_kb'] <= r['peak_rss_kb']" "r['peak_rss_kb'] >= 4 * 256" \
    -- "$b" large_churn --cycles 300 --live 4 --json --expect "$a"
  check "mem_realloc_grow.$which" "$t" "r['workload'] == 'mem_realloc_grow'" \
    "r['rounds'] == 20 and r['max_kb'] == 2048 and r['steps'] == 32" "r['ops'] == 20 * (32 + 1)" \
    "r['peak_rss_kb'] >= 2048" \
    -- "$b" realloc_grow --rounds 20 --max-kb 2048 --steps 32 --json --expect "$a"
done
# The cache state grows and frees big blocks like any other state.
check "mem_large_churn.x3_large" yes "r['ops'] == 2 * 300" "r['variant'].find('large_cache=on') >= 0" \
  -- "$mem_x3" large_churn --cycles 300 --live 4 --json --expect hakmem
check "mem_realloc_grow.x3_large" yes "r['ops'] == 10 * (64 + 1)" \
  -- "$mem_x3" realloc_grow --rounds 10 --max-kb 16384 --json --expect hakmem
check "mem_prodcons_long.seconds" yes "0.05 <= r['seconds'] < 5" \
  -- "$mem" prodcons_long --seconds 0.05 --live-min 64 --live-max 1024 --json --expect hakmem

# ---- bench_mt: every mode, both allocators ----
for which in e3_safe system; do
  if [ "$which" = e3_safe ]; then b="$mt" a=hakmem t=yes; else b="$mt_sys" a=system t=no; fi
  check "mt_prodcons.$which" "$t" "r['workload'] == 'mt_prodcons'" "r['ops'] == 2 * 30000" "${mt_fields[@]}" \
    -- "$b" prodcons --ops 30000 --json --expect "$a"
  check "mt_larson.$which" "$t" "r['workload'] == 'mt_larson'" "r['ops'] == 2 * 2 * 30000" "${mt_fields[@]}" \
    -- "$b" larson --ops 30000 --rounds 3 --slots 256 --json --expect "$a"
  check "mt_churn.$which" "$t" "r['workload'] == 'mt_churn'" "30000 * 2 < r['ops'] <= 2 * 2 * 30000" \
    "${mt_fields[@]}" -- "$b" churn --ops 30000 --slots 256 --json --expect "$a"
done
# Pages of big blocks are written and a sample can be sized by time.
check "mt_churn.big_blocks" yes "${mt_fields[@]}" \
  -- "$mt" churn --ops 3000 --slots 64 --min-size 4000 --max-size 70000 --json --expect hakmem
check "mt_churn.seconds" yes "0.05 <= r['seconds'] < 5" "${mt_fields[@]}" \
  -- "$mt" churn --seconds 0.05 --json --expect hakmem
check "mt_larson.seconds" yes "0.05 <= r['seconds'] < 5" "${mt_fields[@]}" \
  -- "$mt" larson --seconds 0.05 --rounds 2 --json --expect hakmem
check "mt_prodcons.seconds" yes "0.05 <= r['seconds'] < 5" "${mt_fields[@]}" \
  -- "$mt" prodcons --seconds 0.05 --json --expect hakmem

# ---- bench_random_mixed keeps its record and gains tiers ----
check "random_mixed.e3_safe" yes "r['workload'] == 'random_mixed'" "r['cycles'] == 20000 and r['ws'] == 64" \
  "r['min_size'] == 16 and r['max_size'] == 70000" -- "$rm" 20000 64 1 16 70000 --json --expect hakmem

# ---- bench_medium_mixed: sizes uniform in [min, max] (mean request in the record), both allocators ----
check "medium_mixed.x2_mid" yes "r['workload'] == 'medium_mixed'" "r['cycles'] == 20000 and r['ws'] == 64" \
  "r['min_size'] == 1025 and r['max_size'] == 32768" "16896 * 0.97 <= r['mean_request'] <= 16896 * 1.03" \
  "'mid_fast_path=on' in r['variant']" -- "$mm" 20000 64 1 --json --expect hakmem
check "medium_mixed.system" no "r['workload'] == 'medium_mixed'" "4000 * 0.97 <= r['mean_request'] <= 4000 * 1.03" \
  -- "$mm_sys" 20000 64 1 2000 6000 --json --expect system
# bench_random_mixed's convention: exit 2, the reason on stderr's first line, then the usage.
for args in "5000 4000:min_size must not exceed max_size" "0 99999999999:max_size - min_size must fit"; do
  "$mm" 1000 64 1 ${args%%:*} >"$tmp/mmu.out" 2>"$tmp/mmu.err"
  code=$?
  if [ "$code" = 2 ] && [ ! -s "$tmp/mmu.out" ] && head -1 "$tmp/mmu.err" | grep -q "^bench_medium_mixed: ${args#*:}"; then
    ok "medium_usage ${args%%:*}: exit 2"
  else
    bad "medium_usage ${args%%:*}: exit $code: $(head -1 "$tmp/mmu.err")"
  fi
done

# ---- refused before measuring ----
"$mem_sys" liveset --mib 1 --json --expect hakmem >"$tmp/expect.out" 2>"$tmp/expect.err"
code=$?
if [ "$code" = 4 ] && [ ! -s "$tmp/expect.out" ]; then ok "mem_expect_mismatch: exit 4"; else bad "mem_expect_mismatch: exit $code"; fi

usage mem_no_mode "$mem"
usage mem_bad_mode "$mem" nonsense
usage mem_two_modes "$mem" liveset thread_churn
usage mem_bad_number "$mem" liveset --mib 12x
usage mem_missing_value "$mem" liveset --mib
usage mem_zero_mib "$mem" liveset --mib 0
usage mem_wrong_mode_option "$mem" liveset --threads 2
usage mem_seconds_wrong_mode "$mem" thread_churn --seconds 1
usage mem_odd_threads "$mem" prodcons_long --threads 3
usage mem_live_range "$mem" prodcons_long --live-min 100 --live-max 10
usage mem_zero_threads "$mem" thread_churn --threads 0
usage mem_unknown "$mem" liveset --frobnicate
usage mem_large_range "$mem" large_churn --min-kb 4096 --max-kb 1024
usage mem_large_zero_live "$mem" large_churn --live 0
usage mem_realloc_zero_steps "$mem" realloc_grow --steps 0
usage mem_realloc_wrong_option "$mem" realloc_grow --live 4
usage mt_no_mode "$mt"
usage mt_bad_mode "$mt" nonsense
usage mt_bad_seconds "$mt" churn --seconds -1
usage mt_nan_seconds "$mt" churn --seconds nan
usage mt_zero_slots "$mt" churn --slots 0
usage mt_bad_sizes "$mt" churn --min-size 100 --max-size 10
usage mt_odd_prodcons "$mt" prodcons --threads 3
usage mt_unknown "$mt" larson --frobnicate
usage mt_missing_value "$mt" churn --ops

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
