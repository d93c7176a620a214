#!/usr/bin/env bash
# Installs and verifies every Debian package the project needs (list: tools/packages.txt).
# Idempotent: when everything is present it only verifies, in well under a second.
# Usage: tools/setup.sh [--check]   (--check: verify only, install nothing, exit 1 if missing)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$here/packages.txt"
check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "setup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

missing_pkgs() {
  while read -r pkg file; do
    case "$pkg" in ''|'#'*) continue ;; esac
    [ -e "$file" ] || echo "$pkg"
  done < "$list"
}

missing=$(missing_pkgs | tr '\n' ' ')
if [ -n "${missing// /}" ]; then
  if [ "$check_only" = 1 ]; then
    echo "setup.sh: missing Debian packages: $missing" >&2; exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: packages missing ($missing) and not root: run 'sudo tools/setup.sh'" >&2; exit 1
  fi
  echo "setup.sh: installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "setup.sh: 'apt-get update' failed" >&2; exit 1; }
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq --no-install-recommends $missing >/tmp/hakmem-setup-apt.log 2>&1; then
    tail -20 /tmp/hakmem-setup-apt.log >&2
    for p in $missing; do
      apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 \
        || echo "setup.sh: cannot install Debian package '$p'" >&2
    done
  fi
  still=$(missing_pkgs | tr '\n' ' ')
  if [ -n "${still// /}" ]; then
    echo "setup.sh: FAILED, still missing after install: $still" >&2; exit 1
  fi
fi

# Verify: print what was found, one line per package.
pkgs=$(awk '!/^#/ && NF {print $1}' "$list")
# shellcheck disable=SC2086
dpkg-query -W -f='  ${Package} ${Version}\n' $pkgs
echo "setup.sh: all $(echo "$pkgs" | wc -w) packages present"
