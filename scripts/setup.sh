#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test Handoff:
# the C++ toolchain and libraries from Debian (CLI11 and libcsv for handoffctl; tmux, in
# which its test draws the progress bar), the google/rpc and google/api protos
# (scripts/googleapis-protos.sh), Python gRPC for the walkthrough client,
# clang-14 with its sanitizer and libFuzzer runtimes (scripts/sanitize.sh), and from npm
# buf for linting the protos and @grpc/grpc-js for the Node example; with the argument
# "test", also Prometheus (promtool tests the alerting rules, and a real server scrapes the
# services), kubectl and PyYAML (the Kubernetes overlays are rendered and checked); with "bench", what the benchmark suite needs. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libsqlite3-dev libpq-dev libssl-dev openssl prometheus-cpp-dev iso-codes
  postgresql-15
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libcsv-dev tmux
  golang-github-gogo-googleapis-dev libgoogle-common-protos-java
  clang-14 libclang-rt-14-dev llvm-14
  python3 python3-grpcio python3-grpc-tools
)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# bench/run.sh also plots (gnuplot) and counts rows (sqlite3); bench/outage_cost.sh counts
# instructions (valgrind).
[ "${1:-}" = "bench" ] && packages+=(gnuplot-nox sqlite3 valgrind)
# The test command also renders the Kubernetes overlays (kubectl kustomize; Debian's
# kubernetes-client only where no kubectl is installed) and reads them with PyYAML.
if [ "${1:-}" = "test" ]; then
  packages+=(prometheus python3-yaml)
  command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

if [ ! -x scripts/node/node_modules/.bin/buf ] || [ ! -d scripts/node/node_modules/@grpc/grpc-js ] ||
   ! cmp -s scripts/node/package-lock.json scripts/node/node_modules/.package-lock.json.handoff; then
  echo "setup: installing the npm tools (buf, @grpc/grpc-js for the Node example)"
  (cd scripts/node && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.package-lock.json.handoff)
else
  echo "setup: npm tools present"
fi
