# Helpers of the benchmark scripts (bench/run.sh, bench/replicas.sh); sourced after
# scripts/lib/services.sh. They read $conc (calls in flight), $seconds (per run) and $runs
# (the JSON-lines file results are appended to).

# The load generator is one caller driving the services far past the default per-caller
# rate limit (--rate_limit=1000 calls/s): the benchmarks measure the services, not the
# limiter, so it is off for every service they start.
export HANDOFF_RATE_LIMIT=${HANDOFF_RATE_LIMIT:-0}

# pgbench_limits PREFIX PORT DB DIR: the raw limits of the PostgreSQL on 127.0.0.1:PORT,
# measured with pgbench in database DB (a table `leads` is created in it; DIR holds the
# scripts and per-transaction logs): PREFIX"select1", SELECT 1 per transaction (the round
# trip alone), and PREFIX"insert-tx", one INSERT of a lead-sized row per committed
# transaction (fsync on: the durable-write limit a capture is held to). Each prints a line
# and appends a JSON line with p50/p90/p99/p99.9 from pgbench's per-transaction log.
pgbench_limits() {
  local prefix=$1 port=$2 db=$3 dir=$4
  PGPASSWORD=${PGPASSWORD:-handoff-test} psql -qAt -h 127.0.0.1 -p "$port" -U handoff -d "$db" -c \
    "CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE NOT NULL,
                         payload text NOT NULL)"
  printf 'SELECT 1;\n' >"$dir/select1.sql"
  printf '%s\n' "INSERT INTO leads(email, payload) VALUES ('l' || :client_id || '-' || nextval('leads_id_seq') ||" \
    "  '-' || random() || '@example.org', repeat('p', 400));" >"$dir/insert.sql"
  local kind
  for kind in select1 insert; do
    rm -rf "$dir/pgbench" && mkdir "$dir/pgbench"
    local out
    out=$(cd "$dir/pgbench" && PGPASSWORD=${PGPASSWORD:-handoff-test} /usr/lib/postgresql/15/bin/pgbench -n \
      -h 127.0.0.1 -p "$port" -U handoff -c "$conc" -j 2 -T "$seconds" -l -f "$dir/$kind.sql" "$db" 2>&1) ||
      { echo "$out" >&2; return 1; }
    local label="${prefix}select1"
    [ "$kind" = insert ] && label="${prefix}insert-tx"
    cat "$dir"/pgbench/pgbench_log.* | /usr/bin/python3 -c '
import json, sys
label, conc, seconds, out, runs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
lat = sorted(int(line.split()[2]) for line in sys.stdin)  # microseconds
tps = float(next(l for l in out.splitlines() if l.startswith("tps = ")).split()[2])
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] / 1000
print(f"{label:<22} closed x{conc:<8} calls={len(lat):<8} errors=0     {tps:9.0f}/s  p50={pct(50):.2f} p99={pct(99):.2f} ms")
with open(runs, "a") as f:
    f.write(json.dumps({"label": label, "workload": "pgbench", "mode": "closed", "concurrency": conc, "rate": 0,
                        "calls": len(lat), "errors": 0, "seconds": seconds, "throughput": tps,
                        "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "p999_ms": pct(99.9),
                        "peak_rss_kib": {}}) + "\n")
' "$label" "$conc" "$seconds" "$out" "$runs"
  done
}
