#!/usr/bin/env bash
# What a capture costs marketing-service while sales-service is down, against what it costs
# while sales is up: instructions counted by callgrind (deterministic, unlike time on a
# shared 2-core machine). Every capture here is handed off (--mql_threshold=1), so each one
# queues an outbox message and wakes the dispatcher.
#   normal: sales up; COUNT captures, each delivered.
#   outage: sales killed; BACKLOG captures queue up first (not counted), then COUNT more.
# The figure is marketing's instructions per capture over the counted window (every thread:
# handlers, storage, dispatcher, health), between callgrind_control's zero and dump, so
# start-up does not count. Prints one [outage-cost] line per backend with the ratio
# outage/normal (issue 13's target: at most 1.2).
# Env: BACKENDS ("sqlite postgres"), COUNT (300), BACKLOG (500), BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench >/dev/null
source scripts/lib/services.sh
scripts/build.sh >/dev/null
count=${COUNT:-300}
backlog=${BACKLOG:-500}
backends=${BACKENDS:-sqlite postgres}
bin=${BUILD_DIR:-build}
data=$(mktemp -d)
chmod 755 "$data"
SALES=""
MARKETING=""
cleanup() {
  [ -n "$MARKETING" ] && kill -KILL "$MARKETING" 2>/dev/null || true
  [ -n "$SALES" ] && kill -KILL "$SALES" 2>/dev/null || true
  [ -d "$data/pg" ] && scripts/pg-server.sh destroy "$data/pg" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

captures() {  # captures N
  "$bin/bench/handoff-bench" --workload=capture --target="127.0.0.1:$mport" --count="$1" --concurrency=4 \
    --duplicate_ratio=0 --label=outage-cost >/dev/null
}
pending() {  # messages in marketing's outbox
  if [ "$backend" = sqlite ]; then
    sqlite3 "$data/$backend/marketing.db" "SELECT count(*) FROM outbox"
  else
    PGPASSWORD=handoff-test psql -qAt -h 127.0.0.1 -p "$pgport" -U handoff -d marketing -c "SELECT count(*) FROM outbox"
  fi
}
# Instructions (Ir) marketing ran since the last zero; dumps, then zeroes again.
instructions() {
  callgrind_control -d "$MARKETING" >/dev/null 2>&1
  local file
  file=$(ls -t "$data"/callgrind.out.* | head -1)
  callgrind_control -z "$MARKETING" >/dev/null 2>&1
  awk '/^(summary|totals):/ { print $2; exit }' "$file"
}

for backend in $backends; do
  { read -r mport; read -r sport; read -r pgport; } < <(free_ports 3)
  mkdir -p "$data/$backend"
  if [ "$backend" = sqlite ]; then
    mdb="--database=sqlite:$data/$backend/marketing.db"
    sdb="--database=sqlite:$data/$backend/sales.db"
    auth=()
  else
    start_postgres "$data/pg" "$pgport" marketing sales
    mdb="--database=postgres://handoff@127.0.0.1:$pgport/marketing"
    sdb="--database=postgres://handoff@127.0.0.1:$pgport/sales"
    auth=("--database_password_file=$data/pg/pgpass")
  fi
  "$bin/sales-service/sales-service" --listen="127.0.0.1:$sport" "$sdb" "${auth[@]}" \
    --marketing_address="127.0.0.1:$mport" 2>"$data/sales.log" &
  SALES=$!
  valgrind --tool=callgrind --callgrind-out-file="$data/callgrind.out.%p" \
    "$bin/marketing-service/marketing-service" --listen="127.0.0.1:$mport" "$mdb" "${auth[@]}" \
    --sales_address="127.0.0.1:$sport" --mql_threshold=1 2>"$data/marketing.log" &
  MARKETING=$!
  wait_serving "$sport" 10 "$data/sales.log"
  wait_serving "$mport" 120 "$data/marketing.log"  # under callgrind

  captures 50  # warm-up: connections, prepared statements, first pages
  for _ in $(seq 1 300); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
  instructions >/dev/null
  captures "$count"
  for _ in $(seq 1 300); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
  normal=$(instructions)

  kill -KILL "$SALES"
  wait "$SALES" 2>/dev/null || true
  SALES=""
  captures "$backlog"
  sleep 2
  instructions >/dev/null
  captures "$count"
  sleep 1
  outage=$(instructions)
  queued=$(pending)

  /usr/bin/python3 - "$backend" "$count" "$backlog" "$normal" "$outage" "$queued" <<'EOF'
import sys
backend, count, backlog, normal, outage, queued = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
n, o = normal / count, outage / count
print(f"[outage-cost] backend={backend} captures={count} normal={n:,.0f} Ir/capture "
      f"outage={o:,.0f} Ir/capture (behind a backlog of {queued:,} queued) ratio={o / n:.2f} (target <= 1.20)")
EOF
  kill -TERM "$MARKETING" 2>/dev/null || true
  wait "$MARKETING" 2>/dev/null || true
  MARKETING=""
  if [ "$backend" = postgres ]; then scripts/pg-server.sh destroy "$data/pg" >/dev/null; fi
done
