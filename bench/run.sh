#!/usr/bin/env bash
# The standard benchmark suite. Installs what it lacks (scripts/setup.sh bench: gnuplot,
# sqlite3), builds, and then, on loopback with fresh databases:
#   1. the baselines: echo (an empty RPC through the same server stack) and the raw store;
#   2. the services: CaptureLead (max, then at 25/50/75/90/100 % of max, with echo at the same
#      rates: the latency-versus-load curve), RecordTouch, GetLead, ListLeads, the handoff
#      at 200 leads/s, the whole loop (capture -> ... -> won -> outcome back) at 50/s, and
#      the reports;
#   3. scale: for each size in SCALE_SIZES leads (5 touches each, loaded by
#      handoff-bulk-load), start-up time, GetLead, ListLeads at random depths, the campaign
#      and funnel reports, sales' pipeline report, and both services' peak RSS.
# Writes the table, bench/results/<UTC time>.json (every run, with ratios to the baselines
# and to the smallest scale) and the plots bench/results/<UTC time>-{latency,scale}.png;
# with --update-docs also copies the plots to docs/images/.
# Env: DURATION (10s per run), SCALE_DURATION (5s), CONCURRENCY (16),
#      SCALE_SIZES ("10000 100000 1000000"), SCALE_CACHE (a directory to keep loaded data
#      sets in between runs; default: loaded afresh), BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
update_docs=""
[ "${1:-}" = "--update-docs" ] && update_docs=1
scripts/setup.sh bench >/dev/null
source scripts/lib/services.sh
scripts/build.sh >/dev/null
duration=${DURATION:-10s}
scale_duration=${SCALE_DURATION:-5s}
conc=${CONCURRENCY:-16}
sizes=${SCALE_SIZES:-10000 100000 1000000}
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
suite_start=$(date +%s)

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
eport=$(free_port); mport=$(free_port); sport=$(free_port)
"$bin/echo-server" --listen="127.0.0.1:$eport" 2>"$data/echo.log" &
ECHO_PID=$!
start_services 127.0.0.1 "$mport" "$sport" "$data/fresh" >/dev/null

bench() { "$bin/handoff-bench" --json_out="$runs" "$@"; }
last_throughput() { /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["throughput"])' "$runs"; }
svc_pids="$MARKETING_PID,$SALES_PID"
echo "bench: $(nproc) cores, $duration per run, client and servers on this machine"

# 1. Baselines.
bench --label=echo-baseline --workload=echo --target="127.0.0.1:$eport" --concurrency="$conc" \
  --duration="$duration" --rss_pids="$ECHO_PID"
"$bin/store-baseline" --rows=5000 --batch=100 --dir="$data" --json_out="$runs"

# 2. The services, and the latency-versus-load curve of CaptureLead against echo.
bench --label=capture-max --workload=capture --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --rss_pids="$svc_pids"
max=$(last_throughput)
for pct in 25 50 75 90 100; do
  rate=$(/usr/bin/python3 -c "print(max(1, int($max * $pct / 100)))")
  bench --label="capture-at-$pct%" --workload=capture --target="127.0.0.1:$mport" --rate="$rate" \
    --duration="$duration" --rss_pids="$svc_pids"
  bench --label="echo-at-$pct%" --workload=echo --target="127.0.0.1:$eport" --rate="$rate" \
    --duration="$duration" --rss_pids="$ECHO_PID"
done
bench --label=touch --workload=touch --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --setup_leads=2000 --rss_pids="$svc_pids"
bench --label=get-lead --workload=get_lead --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --setup_leads=0 --rss_pids="$svc_pids"
bench --label=list-leads --workload=list_leads --target="127.0.0.1:$mport" --concurrency="$conc" \
  --duration="$duration" --setup_leads=0 --rss_pids="$svc_pids"
bench --label=handoff-at-200/s --workload=handoff --target="127.0.0.1:$mport" \
  --sales_target="127.0.0.1:$sport" --rate=200 --duration="$duration" --rss_pids="$svc_pids"
bench --label=pipeline-at-50/s --workload=pipeline --target="127.0.0.1:$mport" \
  --sales_target="127.0.0.1:$sport" --rate=50 --duration="$duration" --rss_pids="$svc_pids"
stop_services >/dev/null

# Start-up to SERVING of marketing-service on the databases in $1: three starts, one JSON
# line each, labelled $2.
time_startup() {
  local dir=$1 label=$2 leads=$3
  for attempt in 1 2 3; do
    local t0 ms
    t0=$(date +%s%N)
    "$BUILD_DIR/marketing-service/marketing-service" --listen="127.0.0.1:$mport" \
      --database="sqlite:$dir/marketing.db" --sales_address="127.0.0.1:$sport" 2>>"$dir/marketing.log" &
    MARKETING_PID=$!
    until "$BUILD_DIR/deploy/handoff-health-probe" --addr="127.0.0.1:$mport" >/dev/null 2>&1; do sleep 0.005; done
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "startup: marketing-service SERVING ${ms} ms after launch on a database of ${leads} leads"
    echo "{\"label\": \"$label-$attempt\", \"workload\": \"startup\", \"mode\": \"existing database\", \"calls\": 1, \"errors\": 0, \"seconds\": $ms, \"throughput\": 0, \"p50_ms\": $ms, \"p90_ms\": $ms, \"p99_ms\": $ms, \"p999_ms\": $ms, \"peak_rss_kib\": {}, \"leads\": $leads}" >>"$runs"
    kill -TERM "$MARKETING_PID"; wait "$MARKETING_PID" || true
    MARKETING_PID=""
  done
}
time_startup "$data/fresh" startup "$(sqlite3 "$data/fresh/marketing.db" 'SELECT COUNT(*) FROM leads')"

# 3. Scale.
for n in $sizes; do
  set_dir="${SCALE_CACHE:-$data/scale}/leads-$n"
  if [ ! -f "$set_dir/sample.txt" ]; then
    rm -rf "$set_dir"; mkdir -p "$set_dir"
    "$bin/handoff-bulk-load" --marketing_db="$set_dir/marketing.db" --sales_db="$set_dir/sales.db" \
      --leads="$n" --sample_out="$set_dir/sample.txt" 2>/dev/null
  fi
  # The services write to the data set (request log, events): work on a copy.
  run_dir="$data/run-$n"; rm -rf "$run_dir"; mkdir -p "$run_dir"
  cp "$set_dir/marketing.db" "$set_dir/sales.db" "$run_dir/"
  time_startup "$run_dir" "scale-$n-startup" "$n"
  start_services 127.0.0.1 "$mport" "$sport" "$run_dir" >/dev/null
  svc_pids="$MARKETING_PID,$SALES_PID"
  # Reads: throughput with 8 in flight. Reports: the time of one report (one at a time).
  for w in get_lead list_leads; do
    bench --label="scale-$n-$w" --workload="$w" --target="127.0.0.1:$mport" --sample="$set_dir/sample.txt" \
      --concurrency=8 --duration="$scale_duration" --rss_pids="$svc_pids"
  done
  for w in campaign_report funnel; do
    bench --label="scale-$n-$w" --workload="$w" --target="127.0.0.1:$mport" \
      --concurrency=1 --duration="$scale_duration" --rss_pids="$svc_pids"
  done
  bench --label="scale-$n-pipeline_report" --workload=pipeline_report --target="127.0.0.1:$sport" \
    --concurrency=1 --duration="$scale_duration" --rss_pids="$svc_pids"
  stop_services >/dev/null
done

/usr/bin/python3 bench/report.py "$runs" "$out" "bench/results/$stamp" $((($(date +%s) - suite_start)))
if [ -n "$update_docs" ]; then
  mkdir -p docs/images
  cp "bench/results/$stamp-latency.png" docs/images/latency-vs-load.png
  cp "bench/results/$stamp-scale.png" docs/images/scale.png
  echo "copied the plots to docs/images/"
fi
