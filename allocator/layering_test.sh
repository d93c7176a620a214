#!/usr/bin/env bash
# layering_test.sh — test of every layer: the allocator's layers are enforced by the build: for every layer, a scratch
# file compiled with exactly the headers that layer's compile actions get from Bazel
# (//allocator:lN_*_headers, its CcInfo) builds when it includes the layer's own headers and fails
# when it includes any header of a higher layer (as a real upward include fails the build:
# `bazel build //allocator:upward_include_probe`).
#   args: lN=h1.h,h2.h,... (each layer's public headers)  --headers-of-lN=MANIFEST
set -uo pipefail
CXX=${CXX:-g++}
tmp=${TEST_TMPDIR:-$(mktemp -d)}
declare -A own manifest
layers=()
for a in "$@"; do
  case "$a" in
    --headers-of-l*=*) k=${a#--headers-of-}; manifest[${k%%=*}]=${a#*=} ;;
    l*=*) own[${a%%=*}]=${a#*=}; layers+=("${a%%=*}") ;;
    *) echo "layering_test: bad argument $a" >&2; exit 2 ;;
  esac
done
fail=0
checks=0
for ((i = 0; i < ${#layers[@]}; ++i)); do
  l=${layers[$i]}
  root="$tmp/$l"
  rm -rf "$root"
  mkdir -p "$root"
  while read -r h; do
    [[ -z "$h" ]] && continue
    mkdir -p "$root/$(dirname "$h")"
    cp "$h" "$root/$h"
  done < "${manifest[$l]}"
  # 1. Its own headers (and, through them, the layers below) compile.
  src="$root/own.cc"
  : > "$src"
  for h in ${own[$l]//,/ }; do echo "#include \"allocator/$h\"" >> "$src"; done
  if ! out=$("$CXX" -std=c++17 -fsyntax-only -I "$root" "$src" 2>&1); then
    echo "FAIL $l: its own headers do not compile against its declared headers:"
    echo "$out" | head -5
    fail=1
  fi
  checks=$((checks + 1))
  # 2. Every header of a higher layer is out of reach.
  for ((j = i + 1; j < ${#layers[@]}; ++j)); do
    for h in ${own[${layers[$j]}]//,/ }; do
      src="$root/up_$h.cc"
      echo "#include \"allocator/$h\"" > "$src"
      checks=$((checks + 1))
      if out=$("$CXX" -std=c++17 -E -I "$root" "$src" -o /dev/null 2>&1); then
        echo "FAIL $l (layer $i) can include allocator/$h of ${layers[$j]}: an upward include would build"
        fail=1
      elif ! grep -q "allocator/$h: No such file" <<<"$out"; then
        echo "FAIL $l including allocator/$h failed for another reason:"
        echo "$out" | head -3
        fail=1
      fi
    done
  done
done
if [[ $fail == 0 ]]; then
  echo "layering_test: $checks checks over ${#layers[@]} layers: every upward include is refused"
fi
exit $fail
