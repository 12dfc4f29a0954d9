#!/usr/bin/env bash
# Runs buf (npm @bufbuild/buf) on the Handoff protos with the Google API protos they import
# (google/api/field_behavior.proto) beside them: a temporary workspace holds proto/ (as a
# link) and a copy of those files from Debian packages (scripts/googleapis-protos.sh), with
# proto/buf.yaml's lint and breaking rules applied to proto/ only.
#   scripts/buf.sh lint
#   scripts/buf.sh breaking --against proto/v1-baseline.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
buf="$root/scripts/node/node_modules/.bin/buf"
[ -x "$buf" ] || { echo "buf.sh: $buf is missing: run scripts/setup.sh" >&2; exit 1; }
args=()
for a in "$@"; do
  # Paths given relative to the repository stay valid inside the workspace.
  if [ -e "$a" ]; then args+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")"); else args+=("$a"); fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/scripts/googleapis-protos.sh" "$work/googleapis"
ln -s "$root/proto" "$work/handoff"
# proto/buf.yaml with its one module replaced by the two; Google's files are not linted.
awk '
  /^modules:/ { print "modules:\n  - path: handoff\n  - path: googleapis"; skip = 1; next }
  skip && /^  / { next }
  { skip = 0; print }
  /^lint:/ { print "  ignore:\n    - googleapis" }
' "$root/proto/buf.yaml" > "$work/buf.yaml"
cd "$work"
"$buf" "${args[@]}"
