# Start/stop helpers for both services, sourced by run.sh, test.sh and test-containers.sh.

# Prints N distinct free loopback ports, one per line. All are bound at once before any is
# released: separate probes could be handed the same ephemeral port twice.
free_ports() {
  /usr/bin/python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
# Requires: build/ holds the binaries. Sets MARKETING_PID and SALES_PID.

BUILD_DIR=${BUILD_DIR:-build}

# start_services HOST MARKETING_PORT SALES_PORT DATA_DIR
# Databases: SQLite files in DATA_DIR, unless MARKETING_DATABASE / SALES_DATABASE give
# --database values (e.g. postgres://...; DATABASE_PASSWORD_FILE then names the password).
start_services() {
  local host=$1 mport=$2 sport=$3 data=$4
  mkdir -p "$data"
  local auth=()
  [ -n "${DATABASE_PASSWORD_FILE:-}" ] && auth=(--database_password_file="$DATABASE_PASSWORD_FILE")
  echo "services: starting sales-service on $host:$sport, marketing-service on $host:$mport (data in $data)"
  "$BUILD_DIR/sales-service/sales-service" --listen="$host:$sport" "${auth[@]}" \
    --database="${SALES_DATABASE:-sqlite:$data/sales.db}" --marketing_address="127.0.0.1:$mport" \
    --metrics_listen="${SALES_METRICS:-}" 2>>"$data/sales.log" &
  SALES_PID=$!
  "$BUILD_DIR/marketing-service/marketing-service" --listen="$host:$mport" "${auth[@]}" \
    --database="${MARKETING_DATABASE:-sqlite:$data/marketing.db}" --sales_address="127.0.0.1:$sport" \
    --metrics_listen="${MARKETING_METRICS:-}" 2>>"$data/marketing.log" &
  MARKETING_PID=$!
  for port in "$mport" "$sport"; do
    wait_serving "$port" 10 "$data/marketing.log" "$data/sales.log" || return 1
  done
  echo "services: both SERVING (health checked with handoff-health-probe)"
}

# wait_serving PORT SECONDS [LOG...]: waits until 127.0.0.1:PORT reports SERVING; on
# timeout prints the logs and fails.
wait_serving() {
  local port=$1 seconds=$2
  shift 2
  for _ in $(seq 1 $(( seconds * 10 ))); do
    "$BUILD_DIR/deploy/handoff-health-probe" --addr="127.0.0.1:$port" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "services: 127.0.0.1:$port did not become SERVING in ${seconds}s; logs:" >&2
  [ $# -gt 0 ] && cat "$@" >&2
  return 1
}

# start_postgres DIR PORT DB...: a throw-away PostgreSQL (scripts/pg-server.sh) on
# 127.0.0.1:PORT with the databases DB..., and DIR/pgpass holding its password for
# --database_password_file. Remove it with: scripts/pg-server.sh destroy DIR
start_postgres() {
  local dir=$1 port=$2
  shift 2
  scripts/pg-server.sh start "$dir" "$port" >/dev/null
  for db in "$@"; do scripts/pg-server.sh createdb "$dir" "$db" >/dev/null; done
  printf '%s\n' "${PGPASSWORD:-handoff-test}" >"$dir/pgpass"
}

# stop_services: SIGTERM both and wait; fails if either exits non-zero.
stop_services() {
  local rc=0
  for pid in ${MARKETING_PID:-} ${SALES_PID:-}; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in ${MARKETING_PID:-} ${SALES_PID:-}; do
    wait "$pid" || rc=$?
  done
  MARKETING_PID=""
  SALES_PID=""
  return $rc
}
