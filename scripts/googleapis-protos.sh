#!/usr/bin/env bash
# Writes the few Google API protos Handoff uses into DIR (default build/googleapis), taken
# from installed Debian packages rather than kept in this repository:
#   google/rpc/{status,error_details,code}.proto  golang-github-gogo-googleapis-dev (plain
#                                                 .proto files; they import only protobuf's
#                                                 own well-known types)
#   google/api/field_behavior.proto              libgoogle-common-protos-java (inside its jar;
#                                                 its error_details.proto predates ErrorInfo)
# Used by the CMake build (C++ code), scripts/test.sh (buf, the Node example) and
# scripts/demo.py, so every client compiles the same files. Idempotent.
set -euo pipefail
dir=${1:-build/googleapis}
rpc_src=/usr/share/gocode/src/github.com/gogo/googleapis/google/rpc
jar=/usr/share/java/proto-google-common-protos.jar
for need in "$rpc_src/error_details.proto" "$jar"; do
  if [ ! -e "$need" ]; then
    echo "googleapis-protos: $need is missing: run scripts/setup.sh" >&2
    exit 1
  fi
done
mkdir -p "$dir/google/rpc" "$dir/google/api"
for f in status error_details code; do
  cmp -s "$rpc_src/$f.proto" "$dir/google/rpc/$f.proto" || cp "$rpc_src/$f.proto" "$dir/google/rpc/$f.proto"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && cmake -E tar xf "$jar" google/api/field_behavior.proto)
cmp -s "$tmp/google/api/field_behavior.proto" "$dir/google/api/field_behavior.proto" ||
  cp "$tmp/google/api/field_behavior.proto" "$dir/google/api/field_behavior.proto"
