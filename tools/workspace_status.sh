#!/bin/sh
# Bazel runs this before every build (.bazelrc: --workspace_status_command). It fails the build
# with one line naming any package from tools/packages.txt whose file is gone, and otherwise
# publishes the commit for result metadata. Must stay fast: it runs on every command.
list="$(dirname "$0")/packages.txt"
missing=""
while read -r pkg file; do
  case "$pkg" in ''|'#'*|bazel-bootstrap) continue ;; esac
  [ -e "$file" ] || missing="$missing $pkg"
done < "$list"
if [ -n "$missing" ]; then
  echo "hakmem-lab: missing Debian package(s):$missing. Run: tools/setup.sh" >&2
  exit 1
fi
echo "STABLE_GIT_COMMIT $(git rev-parse HEAD 2>/dev/null || echo unknown)"
