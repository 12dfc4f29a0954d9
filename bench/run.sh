#!/usr/bin/env bash
# The standard benchmark suite: builds, starts the echo baseline and both services on
# loopback with fresh databases, measures the raw store limit (store-baseline), runs each
# workload, and writes the table and bench/results/<UTC time>.json (every run plus ratios
# to the echo baseline and, for captures, to the store's one-capture-per-transaction limit).
# Env: DURATION (default 10s per run), CONCURRENCY (16), BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
scripts/build.sh >/dev/null
duration=${DURATION:-10s}
conc=${CONCURRENCY:-16}
bin="$BUILD_DIR/bench"
data=$(mktemp -d)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
runs="$data/runs.jsonl"
out="bench/results/$stamp.json"
ECHO_PID=""
cleanup() {
  [ -n "$ECHO_PID" ] && kill -TERM "$ECHO_PID" 2>/dev/null || true
  stop_services >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
eport=$(free_port); mport=$(free_port); sport=$(free_port)
"$bin/echo-server" --listen="127.0.0.1:$eport" 2>"$data/echo.log" &
ECHO_PID=$!
start_services 127.0.0.1 "$mport" "$sport" "$data" >/dev/null

bench() { "$bin/handoff-bench" --json_out="$runs" "$@"; }
echo "bench: $(nproc) cores, $duration per run, client and servers on this machine"
bench --label=echo-baseline --workload=echo --target="127.0.0.1:$eport" --concurrency="$conc" \
  --duration="$duration" --rss_pids="$ECHO_PID"
"$bin/store-baseline" --rows=5000 --batch=100 --dir="$data" --json_out="$runs"
bench --label=capture-max --workload=capture --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --rss_pids="$MARKETING_PID,$SALES_PID"
half=$(/usr/bin/python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(max(1, int(r[-1]["throughput"]/2)))' "$runs")
bench --label=capture-at-half-max --workload=capture --target="127.0.0.1:$mport" --rate="$half" \
  --duration="$duration" --rss_pids="$MARKETING_PID,$SALES_PID"
bench --label=echo-at-same-rate --workload=echo --target="127.0.0.1:$eport" --rate="$half" \
  --duration="$duration" --rss_pids="$ECHO_PID"
bench --label=handoff-at-200/s --workload=handoff --target="127.0.0.1:$mport" \
  --sales_target="127.0.0.1:$sport" --rate=200 --duration="$duration" --rss_pids="$MARKETING_PID,$SALES_PID"
bench --label=get-lead --workload=get_lead --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --setup_leads=2000 --rss_pids="$MARKETING_PID,$SALES_PID"
bench --label=list-leads --workload=list_leads --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --setup_leads=0 --rss_pids="$MARKETING_PID,$SALES_PID"

# Start-up to serving on the existing databases (now holding the suite's leads): SIGTERM
# both, start marketing-service again and time until its health check says SERVING.
leads=$(sqlite3 "$data/marketing.db" 'SELECT COUNT(*) FROM leads' 2>/dev/null || echo "?")
stop_services >/dev/null
for attempt in 1 2 3; do
  t0=$(date +%s%N)
  "$BUILD_DIR/marketing-service/marketing-service" --listen="127.0.0.1:$mport" \
    --database="sqlite:$data/marketing.db" --sales_address="127.0.0.1:$sport" 2>>"$data/marketing.log" &
  MARKETING_PID=$!
  until "$BUILD_DIR/deploy/handoff-health-probe" --addr="127.0.0.1:$mport" >/dev/null 2>&1; do sleep 0.005; done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "startup: marketing-service SERVING ${ms} ms after launch on a database of ${leads} leads"
  echo "{\"label\": \"startup-$attempt\", \"workload\": \"startup\", \"mode\": \"existing database\", \"calls\": 1, \"errors\": 0, \"seconds\": $ms, \"throughput\": 0, \"p50_ms\": $ms, \"p90_ms\": $ms, \"p99_ms\": $ms, \"p999_ms\": $ms, \"peak_rss_kib\": {}, \"leads\": \"$leads\"}" >>"$runs"
  kill -TERM "$MARKETING_PID"; wait "$MARKETING_PID" || true
  MARKETING_PID=""
done

/usr/bin/python3 - "$runs" "$out" <<'PY'
import json, platform, sys, os
runs = [json.loads(l) for l in open(sys.argv[1])]
by = {r["label"]: r for r in runs}
base = by["echo-baseline"]["throughput"]
store = by["store-one-per-tx"]["throughput"]
for r in runs:
    r["throughput_ratio_to_echo"] = round(r["throughput"] / base, 3) if base else None
    if r["workload"] == "capture" and r["mode"] == "closed":
        r["throughput_ratio_to_store"] = round(r["throughput"] / store, 3)
result = {"machine": {"cores": os.cpu_count(), "kernel": platform.release()}, "runs": runs}
json.dump(result, open(sys.argv[2], "w"), indent=2)
print("\n%-22s %10s %8s %8s %8s %9s %7s" % ("run", "calls/s", "p50 ms", "p99 ms", "p99.9", "vs echo", "errors"))
for r in runs:
    if r["workload"] == "startup":
        continue
    print("%-22s %10.0f %8.2f %8.2f %8.2f %8.0f%% %7d" % (r["label"], r["throughput"], r["p50_ms"], r["p99_ms"],
          r["p999_ms"], 100 * r["throughput_ratio_to_echo"], r["errors"]))
starts = sorted(r["p50_ms"] for r in runs if r["workload"] == "startup")
if starts:
    print("\nstart-up to SERVING on the existing database: median %d ms (of %s)" % (starts[len(starts) // 2], starts))
cap = by["capture-max"]
print("\ncapture-max is %.0f%% of the store's one-capture-per-transaction limit" % (100 * cap["throughput_ratio_to_store"]))
print("written:", sys.argv[2])
PY
