#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for tests, on 127.0.0.1 only.
#   pg-server.sh start DIR PORT   initdb into DIR (first time) and start; superuser "handoff"
#                                 with password $PGPASSWORD (default handoff-test), scram auth
#   pg-server.sh stop DIR         fast shutdown (clients are disconnected, data kept)
#   pg-server.sh kill DIR         immediate shutdown (as a crash: recovery on next start)
#   pg-server.sh createdb DIR NAME  a new empty database NAME
#   pg-server.sh destroy DIR      stop if running and remove DIR
# As root, the server runs as the "postgres" user (initdb refuses root).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg-server.sh start|stop|kill|destroy DIR [PORT]}
dir=$(realpath -m "${2:?DIR missing}")  # absolute: the server resolves paths from its data directory

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    port=${3:?PORT missing}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner sh -c "umask 077; printf '%s\n' '${PGPASSWORD:-handoff-test}' > '$dir/pw'"
      as_owner "$bin/initdb" -D "$dir/data" -U handoff --auth=scram-sha-256 --pwfile="$dir/pw" \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    echo "$port" >"$dir/port"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c shared_buffers=64MB" \
      start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    ;;
  stop) as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
  kill) as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null ;;
  createdb)
    PGPASSWORD=${PGPASSWORD:-handoff-test} /usr/lib/postgresql/15/bin/createdb -h 127.0.0.1 -p "$(cat "$dir/port")" \
      -U handoff "${3:?NAME missing}"
    ;;
  destroy)
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "pg-server.sh: unknown command $cmd" >&2; exit 2 ;;
esac
