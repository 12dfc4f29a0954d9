#!/usr/bin/env bash
# Capture and handoff with 1 and with 2 replicas of each service on one PostgreSQL, beside
# the raw limits of that PostgreSQL measured in the same run (issue 13). On loopback with
# fresh databases, client, servers and PostgreSQL sharing this machine's cores:
#   raw-pg-select1     pgbench, SELECT 1 per transaction (the round trip alone)
#   raw-pg-insert-tx   pgbench, one INSERT of a lead-sized row per committed transaction
#                      (fsync on: the durable-write limit a capture is held to)
#   capture-pg-Nx      CaptureLead, closed loop, round_robin over the N marketing replicas
#   handoff-pg-Nx      capture -> qualified -> handed off -> deal created at sales, open loop
#                      at RATE/s over N replicas of each (sales' deal stream read back)
# Prints each run's throughput, p50/p99 and the replicas' peak RSS, then the ratios of every
# capture run to raw-pg-insert-tx and of 2x to 1x. Results: bench/results/<UTC>-replicas.jsonl.
# Env: DURATION (10s), CONCURRENCY (16), RATE (50; PostgreSQL here handles ~130 handoffs/s
# with one replica, and an open loop past that measures only the queue), BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench >/dev/null
source scripts/lib/services.sh
source bench/lib.sh
scripts/build.sh >/dev/null
duration=${DURATION:-10s}
seconds=${duration%s}
conc=${CONCURRENCY:-16}
rate=${RATE:-50}
data=$(mktemp -d)
chmod 755 "$data"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
runs="bench/results/$stamp-replicas.jsonl"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [ -d "$data/pg" ] && scripts/pg-server.sh destroy "$data/pg" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT
export PGPASSWORD=${PGPASSWORD:-handoff-test}
pgport=$(free_ports 1)
start_postgres "$data/pg" "$pgport" raw marketing_1x sales_1x marketing_2x sales_2x
echo "bench: $(nproc) cores, $duration per run, PostgreSQL 15 on 127.0.0.1:$pgport (fsync on)"

# 1. The raw limits (bench/lib.sh).
pgbench_limits raw-pg- "$pgport" raw "$data"

# 2. The services with N replicas each; every marketing replica hands off to all sales
# replicas and sales reports outcomes to all marketing replicas (ipv4: lists, round_robin).
targets() {  # targets PORT...: ipv4:127.0.0.1:P1,127.0.0.1:P2
  local IFS=, list=()
  for p in "$@"; do list+=("127.0.0.1:$p"); done
  echo "ipv4:${list[*]}"
}
for n in 1 2; do
  mapfile -t ports < <(free_ports $(( 2 * n )))
  mports=("${ports[@]:0:n}")
  sports=("${ports[@]:n:n}")
  mt=$(targets "${mports[@]}")
  st=$(targets "${sports[@]}")
  replica_pids=()
  common=(--database_password_file="$data/pg/pgpass")
  for i in $(seq 0 $(( n - 1 ))); do
    "$BUILD_DIR/sales-service/sales-service" --listen="127.0.0.1:${sports[$i]}" "${common[@]}" \
      --database="postgres://handoff@127.0.0.1:$pgport/sales_${n}x" --marketing_address="$mt" \
      2>"$data/sales-$n-$i.log" &
    replica_pids+=($!)
    "$BUILD_DIR/marketing-service/marketing-service" --listen="127.0.0.1:${mports[$i]}" "${common[@]}" \
      --database="postgres://handoff@127.0.0.1:$pgport/marketing_${n}x" --sales_address="$st" \
      2>"$data/marketing-$n-$i.log" &
    replica_pids+=($!)
  done
  pids+=("${replica_pids[@]}")
  for p in "${mports[@]}" "${sports[@]}"; do wait_serving "$p" 30 "$data"/*-"$n"-*.log; done
  rss=$(IFS=,; echo "${replica_pids[*]}")
  "$BUILD_DIR/bench/handoff-bench" --json_out="$runs" --label="capture-pg-${n}x" --workload=capture --target="$mt" \
    --concurrency="$conc" --duration="$duration" --rss_pids="$rss"
  "$BUILD_DIR/bench/handoff-bench" --json_out="$runs" --label="handoff-pg-${n}x" --workload=handoff --target="$mt" \
    --sales_target="$st" --rate="$rate" --duration="$duration" --rss_pids="$rss"
  for pid in "${replica_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${replica_pids[@]}"; do wait "$pid" || { echo "bench: a replica exited non-zero" >&2; exit 1; }; done
  pids=()
done

# 3. Ratios.
/usr/bin/python3 - "$runs" <<'PY'
import json, sys
by = {r["label"]: r for r in map(json.loads, open(sys.argv[1]))}
raw = by["raw-pg-insert-tx"]["throughput"]
for n in (1, 2):
    c = by[f"capture-pg-{n}x"]
    print(f"[replicas] capture with {n} replica(s): {c['throughput']:.0f}/s = {c['throughput'] / raw:.2f} x raw insert-tx ({raw:.0f}/s)")
for kind in ("capture", "handoff"):
    one, two = by[f"{kind}-pg-1x"], by[f"{kind}-pg-2x"]
    print(f"[replicas] {kind} 2x/1x: throughput {two['throughput'] / one['throughput']:.2f}, "
          f"p99 {two['p99_ms']:.2f} ms against {one['p99_ms']:.2f} ms")
PY
echo "bench: results in $runs"
