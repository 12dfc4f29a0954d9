#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs every test: buf lint of the protos,
# the walkthrough clients (Python, Node) against freshly started binaries (the run
# command's path), the alerting rules (promtool) and a real Prometheus scraping those
# binaries, the Kubernetes overlays rendered and checked, the container images built and run with podman (scripts/test-containers.sh; skip with
# HANDOFF_CONTAINER_TESTS=0), all GoogleTest unit and integration tests through ctest, and
# last the same tests on SQLite again under ASan + UBSan with a short run of every libFuzzer
# target (scripts/sanitize.sh; skip with HANDOFF_SANITIZER_TESTS=0).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's start, in seconds since this script began, so a slow run shows where the
# time went (the budget is 30 minutes on a fresh machine).
phase() { echo "test: [+${SECONDS}s] $*"; }
phase "set-up"
scripts/setup.sh test
phase "build"
scripts/build.sh
phase "checks and walkthrough"
source scripts/lib/services.sh

echo "test: buf lint (STANDARD and COMMENTS rules)"
scripts/buf.sh lint
echo "test: buf lint clean"
# v1 stays wire- and source-compatible: the schema against the released one (FILE rules).
echo "test: buf breaking against proto/v1-baseline.json"
scripts/buf.sh breaking --against proto/v1-baseline.json
echo "test: no breaking change to v1"

echo "test: Kubernetes overlays (kubectl kustomize, then scripts/k8s_check.py)"
/usr/bin/python3 scripts/k8s_check.py

echo "test: walkthrough clients (Python, Node) against both binaries"
data=$(mktemp -d)
trap 'stop_services >/dev/null 2>&1 || true; rm -rf "$data"' EXIT
{ read -r mport; read -r sport; read -r metrics_port; read -r sales_metrics_port; } < <(free_ports 4)
MARKETING_METRICS="127.0.0.1:$metrics_port" SALES_METRICS="127.0.0.1:$sales_metrics_port" \
  start_services 127.0.0.1 "$mport" "$sport" "$data"
/usr/bin/python3 scripts/demo.py --marketing "127.0.0.1:$mport" --sales "127.0.0.1:$sport"
/usr/bin/python3 - "$metrics_port" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
needed = ['grpc_server_handled_total{grpc_code="OK",grpc_method="CaptureLead",'
          'grpc_service="handoff.marketing.v1.LeadService",grpc_type="unary"} 2',
          'grpc_server_handling_seconds_bucket{grpc_method="CaptureLead",',
          # the calls marketing made to sales, as the client side counts them
          'grpc_client_handled_total{grpc_code="OK",grpc_method="HandoffLead",'
          'grpc_service="handoff.sales.v1.HandoffService",grpc_type="unary"}',
          'handoff_outbox_pending', 'process_resident_memory_bytes ',
          'handoff_build_info{service="marketing-service",version=']
missing = [n for n in needed if n not in body]
if missing:
    sys.exit(f"test: /metrics lacks {missing}")
print("test: /metrics exports server and client RPC counts (ecosystem names) and the outbox backlog")
PY
# After the metrics check, which counts the Python walkthrough's calls alone.
node scripts/node/example.js --marketing "127.0.0.1:$mport" --sales "127.0.0.1:$sport" \
  --googleapis "${BUILD_DIR:-build}/googleapis"
echo "test: alerting and recording rules (promtool test rules)"
promtool check rules deploy/prometheus/rules.yml
(cd deploy/prometheus && promtool test rules rules_test.yml)
/usr/bin/python3 scripts/prometheus_check.py "$metrics_port" "$sales_metrics_port"
stop_services
echo "test: both services stopped cleanly on SIGTERM"

phase "container images"
if [ "${HANDOFF_CONTAINER_TESTS:-1}" = 1 ]; then
  scripts/test-containers.sh
else
  echo "test: container images skipped (HANDOFF_CONTAINER_TESTS=0)"
fi

phase "ctest (unit and integration tests)"
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j 2 --timeout 600
# The fault scenarios print one summary line each; show them with the result.
echo "test: fault scenario summaries"
grep -h '^\[fault\]' Testing/Temporary/LastTest.log || true

phase "sanitizers"
if [ "${HANDOFF_SANITIZER_TESTS:-1}" = 1 ]; then
  cd - >/dev/null
  FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/sanitize.sh
else
  echo "test: sanitizer run skipped (HANDOFF_SANITIZER_TESTS=0)"
fi
phase "done"
