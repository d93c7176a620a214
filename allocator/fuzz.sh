#!/usr/bin/env bash
# fuzz.sh — test of layer 5: runs malloc_fuzz.cc under libFuzzer (clang) and grows fuzz_corpus/.
# Fuzzes the allocator with libFuzzer (clang from Debian) through allocator/malloc_fuzz.cc.
#
# Usage: allocator/fuzz.sh [--seconds N] [--jobs J] [--config NAME] [--keep] [-- -DMACRO=VALUE ...]
#   --seconds N  fuzzing time (default 60)
#   --config N   a named config of allocator/variants.bzl (e2, phase7, ...; default: the default build)
#   --jobs J     parallel fuzzing processes (default 1; this machine has 2 cores)
#   --keep       add the inputs libFuzzer found new coverage with to allocator/fuzz_corpus/,
#                minimised (-merge=1), so they run as //allocator:malloc_fuzz_test from then on
#   -D...        compile-time switches, e.g. -DHAKMEM_FAST_OWNERSHIP_CHECK=0 (see config.h)
# A crash leaves its input in the work folder (printed); add it to fuzz_corpus/ once fixed.
set -euo pipefail
# The source tree under `bazel run`, else the tree (or runfiles) this script sits in.
root="${BUILD_WORKSPACE_DIRECTORY:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
seconds=60 jobs=1 keep=0 config=""
defs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?}"; shift ;;
    --jobs) jobs="${2:?}"; shift ;;
    --keep) keep=1 ;;
    --config) config="${2:?}"; shift ;;
    --) shift; defs=("$@"); break ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds wants a whole number, got '$seconds'" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --jobs wants a positive number, got '$jobs'" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing: run tools/setup.sh" >&2; exit 2; }
# Work folder: FUZZ_WORK, else the test's undeclared outputs (kept by Bazel), else a new one.
work="${FUZZ_WORK:-${TEST_UNDECLARED_OUTPUTS_DIR:+$TEST_UNDECLARED_OUTPUTS_DIR/fuzz}}"
work="${work:-$(mktemp -d /tmp/hakmem-fuzz.XXXXXX)}"
mkdir -p "$work/corpus" "$work/artifacts"
# The core's sources: every allocator/*.cc but tests, the malloc override and the fuzz driver.
srcs=$(cd "$root/allocator" && ls ./*.cc | sed 's|^\./||' | grep -v -E '_test\.cc$|^override\.cc$|^malloc_fuzz')
if [ -n "$config" ]; then
  # The config's switches as -D flags, from the one data file (tools/variants.py reads it).
  mapfile -t cfg_defs < <(PYTHONPATH="$root/tools" /usr/bin/python3 - "$root/allocator/variants.bzl" "$config" <<'PY'
import sys, variants
data = variants.load(sys.argv[1])
match = [v for v in data["VARIANTS"] if v["name"] == sys.argv[2]]
if not match:
    sys.exit("fuzz.sh: unknown config %r (known: %s)" % (sys.argv[2], ", ".join(v["name"] for v in data["VARIANTS"])))
for k, val in variants.full_switches(data, match[0]).items():
    sw = data["SWITCHES"][k]
    print("-D%s=%s" % (sw["macro"], sw["macro_values"][val]))
PY
  ) || exit 2
  [ ${#cfg_defs[@]} -gt 0 ] || exit 2
  defs=("${cfg_defs[@]}" "${defs[@]}")
fi
echo "fuzz.sh: building with clang (-fsanitize=fuzzer, UBSan) in $work ${defs[*]:-}"
# shellcheck disable=SC2086
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,undefined -fno-sanitize-recover=undefined \
  -fno-builtin-malloc -fno-builtin-free -ftls-model=initial-exec ${defs[@]+"${defs[@]}"} -I"$root" \
  $(for s in $srcs; do echo "$root/allocator/$s"; done) "$root/allocator/malloc_fuzz.cc" \
  -o "$work/malloc_fuzz" -ldl -lpthread
echo "fuzz.sh: fuzzing for $seconds s with $jobs job(s); seed corpus $root/allocator/fuzz_corpus"
parallel=()
[ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
set +e
# In the work folder: with -jobs libFuzzer writes fuzz-N.log into the current folder.
(cd "$work" && "$work/malloc_fuzz" -max_total_time="$seconds" "${parallel[@]}" -print_final_stats=1 \
  -max_len=4096 -artifact_prefix="$work/artifacts/" "$work/corpus" "$root/allocator/fuzz_corpus") \
  >"$work/fuzz.log" 2>&1
rc=$?
set -e
[ "$jobs" -gt 1 ] && cat "$work"/fuzz-*.log >>"$work/fuzz.log" 2>/dev/null || true
grep -E "^stat::|^#[0-9]+.*DONE|Done [0-9]+ runs" "$work/fuzz.log" | tail -8 || true
if [ "$rc" != 0 ]; then
  echo "fuzz.sh: FAILED (exit $rc); crash input(s):" >&2
  ls "$work/artifacts" >&2
  grep -m3 -E "malloc_fuzz:|ERROR|runtime error" "$work/fuzz.log" >&2 || true
  exit 1
fi
if [ "$keep" = 1 ]; then
  before=$(ls "$root/allocator/fuzz_corpus" | wc -l)
  "$work/malloc_fuzz" -merge=1 "$root/allocator/fuzz_corpus" "$work/corpus" >>"$work/fuzz.log" 2>&1
  echo "fuzz.sh: corpus $before -> $(ls "$root/allocator/fuzz_corpus" | wc -l) files (allocator/fuzz_corpus)"
fi
echo "fuzz.sh: no failure in $seconds s; log $work/fuzz.log"
