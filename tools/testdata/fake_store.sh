#!/bin/sh
# A stand-in for harness/store in tests: answers per the spec's output shapes.
case "$1" in
  machine) echo '{"schema": "hakmem-lab/machine", "fingerprint": "0123456789abcdef", "cores": 2}' ;;
  path) echo "${HAKMEM_LAB_BASELINES:-/nowhere}/0123456789abcdef/full/$3/$5.json" ;;
  list) echo '[{"machine": "0123456789abcdef", "kind": "full", "series": "commits", "name": "x", "path": "/x.json", "type": "result"}]' ;;
  put) echo "store: $2: the entry exists already (use --replace)" >&2; exit 1 ;;
  *) echo "store: unknown command '$1'" >&2; exit 2 ;;
esac
