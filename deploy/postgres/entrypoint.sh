#!/bin/bash
# Entry point of the handoff/postgres image (deploy/postgres/Dockerfile). Creates the
# cluster on first start, then runs the server in the foreground as PID 1's replacement.
# Extra arguments go to postgres (for example -c shared_buffers=256MB).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
: "${PGDATA:?PGDATA must be set}"

sql_literal() { local s=$1; printf "'%s'" "${s//\'/\'\'}"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # Passwords are read before anything is created, so a missing one leaves no half-made
  # cluster behind.
  declare -A password
  for name in $HANDOFF_DATABASES; do
    [[ $name =~ ^[a-z][a-z0-9_]{0,62}$ ]] || { echo "handoff-postgres: bad database name '$name'" >&2; exit 2; }
    file="$HANDOFF_PASSWORD_DIR/$name"
    [ -s "$file" ] || { echo "handoff-postgres: password file $file is missing or empty" >&2; exit 2; }
    password[$name]=$(head -n1 "$file")
  done
  echo "handoff-postgres: creating the cluster in $PGDATA for: $HANDOFF_DATABASES"
  # The superuser has no password and may only connect over the local socket, which this
  # server does not open: nothing from the network can log in as it.
  "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=reject -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >"$PGDATA/pg_hba.conf" <<HBA
# Each service's role may reach its own database only, with its password.
local all postgres peer
HBA
  {
    echo "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;"
    echo "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;"
    for name in $HANDOFF_DATABASES; do
      echo "CREATE ROLE $name LOGIN PASSWORD $(sql_literal "${password[$name]}");"
      echo "CREATE DATABASE $name OWNER $name;"
      echo "REVOKE ALL ON DATABASE $name FROM PUBLIC;"
      printf 'host %s %s all scram-sha-256\n' "$name" "$name" >>"$PGDATA/pg_hba.conf"
    done
  } | "$bin/postgres" --single -D "$PGDATA" -c password_encryption=scram-sha-256 postgres >/dev/null
fi

# No Unix socket: the root filesystem may be read-only, and clients come over TCP.
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories='' "$@"
