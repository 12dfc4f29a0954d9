#!/usr/bin/env bash
# The standard benchmark suite. Installs what it lacks (scripts/setup.sh bench: gnuplot,
# sqlite3), builds, and then, on loopback with fresh databases:
#   1. the baselines: echo (an empty RPC through the services' server stack) and
#      echo-inline (the same RPC answered on gRPC's threads by a bare server: the stack's
#      own cost is the difference), then instructions per call under callgrind
#      (bench/instructions.sh: echo both ways, CaptureLead, RecordTouch at 1 and 50 touches);
#   2. for each backend in BACKENDS (SQLite, then PostgreSQL 15 on a server of its own, run
#      labels pg-...): the raw store (store-baseline: a capture's rows one transaction each
#      and batched; on PostgreSQL also pgbench's SELECT 1 and single-insert transactions),
#      then the services: CaptureLead (max, then at 25/50/75/90/100 % of max, with echo at the same
#      rates: the latency-versus-load curve), RecordTouch, GetLead, ListLeads, the handoff
#      at 200 leads/s, the whole loop (capture -> ... -> won -> outcome back) at 50/s, and
#      the reports;
#   3. on SQLite, start-up and scale: for each size in SCALE_SIZES leads (5 touches each, loaded by
#      handoff-bulk-load), start-up time, GetLead, ListLeads at random depths, CaptureLead
#      (new people into the loaded set) and RecordTouch (on its leads), the campaign and
#      funnel reports, sales' pipeline report, and both services' peak RSS.
# Ends with the targets of issue 17, each as measured against its baseline of this run.
# Writes the table, bench/results/<UTC time>.json (every run, with ratios to the baselines
# and to the smallest scale) and the plots bench/results/<UTC time>-{latency,scale}.png;
# with --update-docs also copies the plots to docs/images/.
# Env: DURATION (10s per run), SCALE_DURATION (5s), CONCURRENCY (16), BACKENDS ("sqlite postgres"),
#      SCALE_SIZES ("10000 100000 1000000"), SCALE_CACHE (a directory to keep loaded data
#      sets in between runs; default: loaded afresh), INSTRUCTIONS (1; 0 skips the callgrind
#      counts, ~70 s), BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
update_docs=""
[ "${1:-}" = "--update-docs" ] && update_docs=1
scripts/setup.sh bench >/dev/null
source scripts/lib/services.sh
source bench/lib.sh
scripts/build.sh >/dev/null
duration=${DURATION:-10s}
seconds=${duration%s}
backends=${BACKENDS:-sqlite postgres}
scale_duration=${SCALE_DURATION:-5s}
conc=${CONCURRENCY:-16}
sizes=${SCALE_SIZES:-10000 100000 1000000}
bin="$BUILD_DIR/bench"
data=$(mktemp -d)
chmod 755 "$data"  # PostgreSQL runs as user postgres when this runs as root
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
runs="$data/runs.jsonl"
out="bench/results/$stamp.json"
ECHO_PID=""
INLINE_PID=""
cleanup() {
  [ -n "$ECHO_PID" ] && kill -TERM "$ECHO_PID" 2>/dev/null || true
  [ -n "$INLINE_PID" ] && kill -TERM "$INLINE_PID" 2>/dev/null || true
  stop_services >/dev/null 2>&1 || true
  [ -d "$data/pg" ] && scripts/pg-server.sh destroy "$data/pg" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
suite_start=$(date +%s)

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
eport=$(free_port); iport=$(free_port); mport=$(free_port); sport=$(free_port)
"$bin/echo-server" --listen="127.0.0.1:$eport" 2>"$data/echo.log" &
ECHO_PID=$!
"$bin/echo-server" --inline --listen="127.0.0.1:$iport" 2>"$data/echo-inline.log" &
INLINE_PID=$!

bench() { "$bin/handoff-bench" --json_out="$runs" "$@"; }
last_throughput() { /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["throughput"])' "$runs"; }
echo "bench: $(nproc) cores, $duration per run, client and servers on this machine; backends: $backends"

# 1. The baseline of the server stack: echo (an empty RPC through the same stack).
bench --label=echo-baseline --workload=echo --target="127.0.0.1:$eport" --concurrency="$conc" \
  --duration="$duration" --rss_pids="$ECHO_PID"
bench --label=echo-inline --workload=echo --target="127.0.0.1:$iport" --concurrency="$conc" \
  --duration="$duration" --rss_pids="$INLINE_PID"
kill -TERM "$INLINE_PID"; wait "$INLINE_PID" 2>/dev/null || true
INLINE_PID=""
[ "${INSTRUCTIONS:-1}" = 0 ] || bench/instructions.sh "$runs"

# 2. Per backend (labels of PostgreSQL's runs start with pg-): the raw store in the same
# run, then the services on fresh databases, with the latency-versus-load curve of
# CaptureLead against echo.
for backend in $backends; do
  p=""
  MARKETING_DATABASE=""
  SALES_DATABASE=""
  DATABASE_PASSWORD_FILE=""
  if [ "$backend" = postgres ]; then
    p="pg-"
    pgport=$(free_port)
    start_postgres "$data/pg" "$pgport" marketing sales store raw
    MARKETING_DATABASE="postgres://handoff@127.0.0.1:$pgport/marketing"
    SALES_DATABASE="postgres://handoff@127.0.0.1:$pgport/sales"
    DATABASE_PASSWORD_FILE="$data/pg/pgpass"
    pgbench_limits pg-raw- "$pgport" raw "$data/pg"
    PGPASSWORD=${PGPASSWORD:-handoff-test} "$bin/store-baseline" --rows=2000 --batch=100 --json_out="$runs" \
      --database="postgres://handoff@127.0.0.1:$pgport/store" --label_prefix=pg-
  else
    "$bin/store-baseline" --rows=5000 --batch=100 --dir="$data" --json_out="$runs"
  fi
  export MARKETING_DATABASE SALES_DATABASE DATABASE_PASSWORD_FILE
  start_services 127.0.0.1 "$mport" "$sport" "$data/fresh-$backend" >/dev/null
  svc_pids="$MARKETING_PID,$SALES_PID"
  bench --label="${p}capture-max" --workload=capture --target="127.0.0.1:$mport" --concurrency="$conc" \
    --duration="$duration" --rss_pids="$svc_pids"
  max=$(last_throughput)
  for pct in 25 50 75 90 100; do
    rate=$(/usr/bin/python3 -c "print(max(1, int($max * $pct / 100)))")
    bench --label="${p}capture-at-$pct%" --workload=capture --target="127.0.0.1:$mport" --rate="$rate" \
      --duration="$duration" --rss_pids="$svc_pids"
    bench --label="${p}echo-at-$pct%" --workload=echo --target="127.0.0.1:$eport" --rate="$rate" \
      --duration="$duration" --rss_pids="$ECHO_PID"
  done
  bench --label="${p}touch" --workload=touch --target="127.0.0.1:$mport" --concurrency="$conc" \
    --duration="$duration" --setup_leads=2000 --rss_pids="$svc_pids"
  bench --label="${p}get-lead" --workload=get_lead --target="127.0.0.1:$mport" --concurrency="$conc" \
    --duration="$duration" --setup_leads=0 --rss_pids="$svc_pids"
  bench --label="${p}list-leads" --workload=list_leads --target="127.0.0.1:$mport" --concurrency="$conc" \
    --duration="$duration" --setup_leads=0 --rss_pids="$svc_pids"
  bench --label="${p}handoff-at-200/s" --workload=handoff --target="127.0.0.1:$mport" \
    --sales_target="127.0.0.1:$sport" --rate=200 --duration="$duration" --rss_pids="$svc_pids"
  bench --label="${p}pipeline-at-50/s" --workload=pipeline --target="127.0.0.1:$mport" \
    --sales_target="127.0.0.1:$sport" --rate=50 --duration="$duration" --rss_pids="$svc_pids"
  stop_services >/dev/null
  if [ "$backend" = postgres ]; then scripts/pg-server.sh destroy "$data/pg" >/dev/null; fi
done
export -n MARKETING_DATABASE SALES_DATABASE DATABASE_PASSWORD_FILE
MARKETING_DATABASE=""
SALES_DATABASE=""
DATABASE_PASSWORD_FILE=""

# 3. Start-up and scale, on SQLite (handoff-bulk-load writes SQLite files).
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
time_startup "$data/fresh-sqlite" startup "$(sqlite3 "$data/fresh-sqlite/marketing.db" 'SELECT COUNT(*) FROM leads')"

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
  # Writes at this size: new people captured, and touches on the set's leads.
  bench --label="scale-$n-capture" --workload=capture --target="127.0.0.1:$mport" \
    --concurrency="$conc" --duration="$scale_duration" --rss_pids="$svc_pids"
  bench --label="scale-$n-touch" --workload=touch --target="127.0.0.1:$mport" --sample="$set_dir/sample.txt" \
    --concurrency="$conc" --duration="$scale_duration" --rss_pids="$svc_pids"
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
