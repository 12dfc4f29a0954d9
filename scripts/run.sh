#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs both services on embedded SQLite:
# marketing-service on 127.0.0.1:50051, sales-service on 127.0.0.1:50052, data in var/.
# Ctrl-C (or SIGTERM) stops both gracefully. Ports: MARKETING_PORT, SALES_PORT; bind
# address: HOST (default 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
source scripts/lib/services.sh

host=${HOST:-127.0.0.1}
mport=${MARKETING_PORT:-50051}
sport=${SALES_PORT:-50052}
MARKETING_METRICS=${MARKETING_METRICS:-127.0.0.1:9464}
SALES_METRICS=${SALES_METRICS:-127.0.0.1:9465}
trap 'echo; echo "run: stopping"; stop_services; exit 0' INT TERM
start_services "$host" "$mport" "$sport" var
cat <<EOT
run: ready.
  marketing-service  $host:$mport   metrics http://$MARKETING_METRICS/metrics   log var/marketing.log
  sales-service      $host:$sport   metrics http://$SALES_METRICS/metrics   log var/sales.log
  walkthrough:       /usr/bin/python3 scripts/demo.py --marketing 127.0.0.1:$mport --sales 127.0.0.1:$sport
  Ctrl-C stops both.
EOT
wait
