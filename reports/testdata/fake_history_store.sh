#!/bin/sh
# A stand-in for harness/store in the claims tests: `list` answers per /work/store-spec.md's
# shape from the files under $HAKMEM_LAB_BASELINES/<machine>/<kind>/history/, and every call's
# arguments are appended to $FAKE_STORE_LOG (when set), so the test sees what was asked.
[ -n "${FAKE_STORE_LOG:-}" ] && echo "$*" >> "$FAKE_STORE_LOG"
case "$1" in
  machine) echo '{"schema": "hakmem-lab/machine", "fingerprint": "0123456789abcdef", "cores": 2}' ;;
  list)
    shift
    kind=full
    while [ $# -gt 0 ]; do
      case "$1" in --kind) kind="$2"; shift ;; esac
      shift
    done
    sep=""
    printf '['
    for f in "${HAKMEM_LAB_BASELINES:?}"/*/"$kind"/history/*.json; do
      [ -e "$f" ] || continue
      name=$(basename "$f" .json)
      fp=$(basename "$(dirname "$(dirname "$(dirname "$f")")")")
      case "$name" in routes|summary|stages) type=other ;; *) type=result ;; esac
      printf '%s{"machine": "%s", "kind": "%s", "series": "history", "name": "%s", "path": "%s", "type": "%s"}' \
        "$sep" "$fp" "$kind" "$name" "$f" "$type"
      sep=", "
    done
    echo ']' ;;
  *) echo "store: unknown command '$1'" >&2; exit 2 ;;
esac
