#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs both services: marketing-service on
# 127.0.0.1:50051, sales-service on 127.0.0.1:50052, data in var/.
#   scripts/run.sh             on embedded SQLite (var/marketing.db, var/sales.db)
#   scripts/run.sh --postgres  on a local PostgreSQL 15 server it starts itself
#                              (scripts/pg-server.sh: data in var/pg, 127.0.0.1:PG_PORT,
#                              default 5433; kept between runs, stopped with the services)
# Ctrl-C (or SIGTERM) stops both gracefully. Ports: MARKETING_PORT, SALES_PORT; bind
# address: HOST (default 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=sqlite
case "${1:-}" in
  "") ;;
  --postgres) backend=postgres ;;
  *) echo "usage: scripts/run.sh [--postgres]" >&2; exit 2 ;;
esac
scripts/setup.sh
scripts/build.sh
source scripts/lib/services.sh

host=${HOST:-127.0.0.1}
mport=${MARKETING_PORT:-50051}
sport=${SALES_PORT:-50052}
MARKETING_METRICS=${MARKETING_METRICS:-127.0.0.1:9464}
SALES_METRICS=${SALES_METRICS:-127.0.0.1:9465}
stop_postgres() { :; }
if [ "$backend" = postgres ]; then
  pgport=${PG_PORT:-5433}
  if /usr/lib/postgresql/15/bin/pg_isready -q -h 127.0.0.1 -p "$pgport"; then
    echo "run: PostgreSQL already answers on 127.0.0.1:$pgport; using it"
  elif [ -f var/pg/data/PG_VERSION ]; then
    scripts/pg-server.sh start var/pg "$pgport" >/dev/null
  else
    mkdir -p var
    start_postgres var/pg "$pgport" marketing sales
  fi
  stop_postgres() { scripts/pg-server.sh stop var/pg >/dev/null || true; }
  export PGPASSWORD=${PGPASSWORD:-handoff-test}
  MARKETING_DATABASE="postgres://handoff@127.0.0.1:$pgport/marketing"
  SALES_DATABASE="postgres://handoff@127.0.0.1:$pgport/sales"
  echo "run: PostgreSQL on 127.0.0.1:$pgport (data in var/pg, user handoff, password in \$PGPASSWORD)"
fi
trap 'echo; echo "run: stopping"; stop_services; stop_postgres; exit 0' INT TERM
start_services "$host" "$mport" "$sport" var
cat <<EOT
run: ready ($backend).
  marketing-service  $host:$mport   metrics http://$MARKETING_METRICS/metrics   log var/marketing.log
  sales-service      $host:$sport   metrics http://$SALES_METRICS/metrics   log var/sales.log
  walkthrough:       /usr/bin/python3 scripts/demo.py --marketing 127.0.0.1:$mport --sales 127.0.0.1:$sport
  Ctrl-C stops both.
EOT
wait
