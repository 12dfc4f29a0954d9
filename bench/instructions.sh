#!/usr/bin/env bash
# Instructions per call, counted by valgrind's callgrind: deterministic where throughput and
# latency are not (they move with the machine's load and disk). Each server runs under
# callgrind; handoff-bench makes its calls one at a time; the counters are zeroed after its
# set-up (--before_measure) and dumped after its last call. Each figure is the difference of
# two such runs (N1 and N2 calls) divided by N2 - N1, so start-up, set-up and anything a run
# costs once do not count:
#   instr-echo-stack    EchoService/Echo through the services' ServiceRuntime (bench/echo-server)
#   instr-echo-inline   the same Echo answered on gRPC's threads by a bare server (--inline)
#   instr-capture       CaptureLead (SQLite, 10 % repeat captures, as the capture benchmark)
#   instr-touch-1       RecordTouch on a lead with 1 touch (its capture)
#   instr-touch-50      RecordTouch on a lead with 50 touches
# Appends one JSON line per figure to $1 (bench/run.sh's runs file) and prints them.
# Env: BUILD_DIR (build), N1 (100), N2 (400); touches use N1/5 and N2/5 leads.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=$1
bin=${BUILD_DIR:-build}
n1=${N1:-100}
n2=${N2:-400}
dir=$(mktemp -d)
chmod 755 "$dir"
export HANDOFF_RATE_LIMIT=0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_serving() {
  local i
  for i in $(seq 1 600); do
    "$bin/deploy/handoff-health-probe" --addr="127.0.0.1:$1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "instructions: nothing SERVING on port $1" >&2
  return 1
}
# profiled NAME COMMAND...: starts COMMAND under callgrind (dumps to $dir/NAME.out.*), sets PID.
profiled() {
  local name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$dir/$name.out" "$@" 2>>"$dir/$name.log" &
  PID=$!
  pids+=("$PID")
}
# ir_of_run PID NAME BENCH-ARGS...: the instructions PID executed during one measured run.
ir_of_run() {
  local pid=$1 name=$2; shift 2
  "$bin/bench/handoff-bench" --concurrency=1 --before_measure="callgrind_control -z $pid >/dev/null 2>&1" "$@" >/dev/null
  callgrind_control -d "$pid" >/dev/null 2>&1
  local dump
  dump=$(ls -t "$dir/$name.out".* | head -1)
  awk '/^summary:/ {print $2}' "$dump"
}
# measure LABEL PID NAME WHAT N1 N2 BENCH-ARGS...: one figure, from runs of N1 and N2 calls.
measure() {
  local label=$1 pid=$2 name=$3 what=$4 a=$5 b=$6; shift 6
  local ia ib
  ia=$(ir_of_run "$pid" "$name" --count="$a" "$@" --setup_leads="$a")
  ib=$(ir_of_run "$pid" "$name" --count="$b" "$@" --setup_leads="$b")
  /usr/bin/python3 - "$label" "$what" "$a" "$b" "$ia" "$ib" "$runs" <<'PY'
import json, sys
label, what, a, b, ia, ib, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
per = (ib - ia) / (b - a)
print(f"{label:<22} {per:12,.0f} instructions per call   ({what}; runs of {a} and {b} calls)")
with open(runs, "a") as f:
    f.write(json.dumps({"label": label, "workload": "instructions", "mode": "callgrind", "calls": b - a,
                        "errors": 0, "seconds": 0, "throughput": 0, "p50_ms": 0, "p90_ms": 0, "p99_ms": 0,
                        "p999_ms": 0, "peak_rss_kib": {}, "instructions_per_call": per}) + "\n")
PY
}

for mode in stack inline; do
  port=$(free_port)
  flags=()
  [ "$mode" = inline ] && flags=(--inline)
  profiled "echo-$mode" "$bin/bench/echo-server" --listen="127.0.0.1:$port" "${flags[@]}"
  wait_serving "$port"
  measure "instr-echo-$mode" "$PID" "echo-$mode" "EchoService/Echo, $mode" "$n1" "$n2" \
    --workload=echo --target="127.0.0.1:$port"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
done

mport=$(free_port); sport=$(free_port)
"$bin/sales-service/sales-service" --listen="127.0.0.1:$sport" --database="sqlite:$dir/sales.db" \
  --marketing_address="127.0.0.1:$mport" 2>>"$dir/sales.log" &
pids+=("$!")
profiled marketing "$bin/marketing-service/marketing-service" --listen="127.0.0.1:$mport" \
  --database="sqlite:$dir/marketing.db" --sales_address="127.0.0.1:$sport"
mpid=$PID
wait_serving "$sport"
wait_serving "$mport"
measure instr-capture "$mpid" marketing "CaptureLead, SQLite" "$n1" "$n2" \
  --workload=capture --target="127.0.0.1:$mport"
t1=$((n1 / 5)); t2=$((n2 / 5))
measure instr-touch-1 "$mpid" marketing "RecordTouch on a lead with 1 touch" "$t1" "$t2" \
  --workload=touch --target="127.0.0.1:$mport" --in_turn
measure instr-touch-50 "$mpid" marketing "RecordTouch on a lead with 50 touches" "$t1" "$t2" \
  --workload=touch --target="127.0.0.1:$mport" --in_turn --setup_touches=49
