#!/usr/bin/env bash
# Builds the images with podman (both services from deploy/Dockerfile with this run's
# binaries, see below; the PostgreSQL and Prometheus images beside them) and runs them twice, with mTLS and the shipped policies
# as the images default to:
# 1. both services in one pod on SQLite: both become healthy (checked through the mapped
#    ports and with the image's own HEALTHCHECK), refuse plaintext, run as non-root, the
#    walkthrough client passes against them as the CRM front end, and both stop
#    gracefully (exit 0) on SIGTERM from `podman stop`;
# 2. deploy/compose/compose.yaml with podman-compose: both services on the PostgreSQL
#    container (one role and database each; neither role may open the other's database),
#    the walkthrough again, Prometheus scraping both (up == 1 and gRPC call counts), and
#    every container stopping with exit 0.
# No registry is reachable here, so the Debian 12 base image is made locally with
# debootstrap (once; reused while `localhost/debian:bookworm` exists).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for p in podman buildah runc catatonit debootstrap podman-compose golang-github-containernetworking-plugin-dnsname; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "containers: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

work=$(mktemp -d)
pod=handoff-test-$$
project=handoff-compose-$$
compose=(podman-compose -p "$project" -f deploy/compose/compose.yaml)
cleanup() {
  podman pod rm -f "$pod" >/dev/null 2>&1 || true
  "${compose[@]}" down -v >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Without these two settings podman fails here (RLIMIT_NOFILE; crun and hybrid cgroups).
cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf"

base=localhost/debian:bookworm
if ! podman image exists "$base"; then
  echo "containers: making $base with debootstrap (minbase)"
  debootstrap --variant=minbase bookworm "$work/rootfs" >/dev/null
  tar -C "$work/rootfs" -c . | podman import - "$base" >/dev/null
fi

# The service images. By default they get the binaries this run built and tested
# ($BUILD_DIR, Release, on the same Debian 12 packages): deploy/Dockerfile with its build
# stage replaced by a copy of them, every later stage (runtime packages, user, ports,
# environment, policy, HEALTHCHECK) as it is. Compiling the tree again inside the build
# stage took ~7 of the suite's minutes on a fresh machine. What that stage compiles is
# checked instead: the files its COPY lines take are put together as the stage would,
# and CMake configures them with the stage's options and finds the targets it builds.
# HANDOFF_IMAGES_FROM_SOURCE=1 builds the images wholly from deploy/Dockerfile.
bin_dir=${BUILD_DIR:-build}
if [ "${HANDOFF_IMAGES_FROM_SOURCE:-0}" = 1 ]; then
  dockerfile=deploy/Dockerfile
  context=.
else
  stage=$(awk '/^FROM .* AS build$/ {on = 1; next} on && /^FROM / {exit} on' deploy/Dockerfile)
  tree="$work/build-stage"
  mkdir -p "$tree"
  while read -r src dest; do
    case "$dest" in ./ | . | */) mkdir -p "$tree/$dest"; dest="$dest$(basename "$src")" ;; esac
    mkdir -p "$(dirname "$tree/$dest")"
    cp -r "$src" "$tree/$dest"
  done < <(printf '%s\n' "$stage" | sed -n 's/^COPY \([^ ]*\) \([^ ]*\)$/\1 \2/p')
  configure=$(printf '%s\n' "$stage" | grep -o 'cmake -S \. -B build [^&]*' | sed 's/[ \\]*$//')
  targets=$(printf '%s\n' "$stage" | grep -o -- '--target .*' | sed 's/--target //')
  [ -n "$configure" ] && [ -n "$targets" ] || { echo "containers: cannot read the build stage of deploy/Dockerfile"; exit 1; }
  (cd "$tree" && $configure >"$work/build-stage.log" 2>&1) ||
    { tail -30 "$work/build-stage.log"; echo "containers: deploy/Dockerfile's build stage does not configure"; exit 1; }
  known=$(cmake --build "$tree/build" --target help)
  for t in $targets; do
    grep -q "\.\.\. $t\$" <<<"$known" || { echo "containers: the build stage's target $t does not exist"; exit 1; }
  done
  context="$work/context"
  for b in marketing-service/marketing-service sales-service/sales-service deploy/handoff-health-probe handoffctl/handoffctl; do
    mkdir -p "$context/build/$(dirname "$b")"
    cp "$bin_dir/$b" "$context/build/$b"
  done
  mkdir -p "$context/deploy" && cp -r deploy/authz "$context/deploy/authz"
  dockerfile="$work/Dockerfile"
  awk '/^FROM .* AS build$/ {print; print "COPY build /src/build"; skip = 1; next}
       skip && /^FROM / {skip = 0}
       !skip' deploy/Dockerfile >"$dockerfile"
  echo "containers: images get $bin_dir's binaries (the build stage's sources configure; HANDOFF_IMAGES_FROM_SOURCE=1 compiles them in the image)"
fi
for svc in marketing sales; do
  echo "containers: building handoff/$svc-service"
  podman build -q --format docker --build-arg BASE_IMAGE="$base" --build-arg SERVICE="$svc" \
    -f "$dockerfile" -t "handoff/$svc-service:test" "$context" >/dev/null
done
for img in postgres prometheus; do
  echo "containers: building handoff/$img"
  podman build -q --format docker --build-arg BASE_IMAGE="$base" -f "deploy/$img/Dockerfile" \
    -t "handoff/$img:test" . >/dev/null
done

# mTLS as the images default to: a dev CA and certificates, mounted read-only. The
# services run as uid 10001, so their keys are given to it.
scripts/dev-certs.sh "$work/certs" >/dev/null
chmod 0755 "$work/certs"
chown 10001 "$work/certs/marketing.key" "$work/certs/sales.key"

source scripts/lib/services.sh
{ read -r mport; read -r sport; } < <(free_ports 2)
# One pod: the two containers share its network namespace and reach each other on
# localhost, as two containers of a Kubernetes pod or a compose network would by name.
podman pod create --name "$pod" -p "127.0.0.1:$mport:50051" -p "127.0.0.1:$sport:50052" >/dev/null
podman run -d --pod "$pod" --name "$pod-sales" --read-only -v "$work/certs:/etc/handoff/tls:ro" \
  -e HANDOFF_MARKETING_ADDRESS=127.0.0.1:50051 -e HANDOFF_METRICS_LISTEN= \
  -v "$pod-sales-data:/var/lib/handoff" handoff/sales-service:test >/dev/null
podman run -d --pod "$pod" --name "$pod-marketing" --read-only -v "$work/certs:/etc/handoff/tls:ro" \
  -e HANDOFF_SALES_ADDRESS=127.0.0.1:50052 -e HANDOFF_METRICS_LISTEN= \
  -v "$pod-marketing-data:/var/lib/handoff" handoff/marketing-service:test >/dev/null

probe=(${BUILD_DIR:-build}/deploy/handoff-health-probe --tls_ca="$work/certs/ca.pem"
       --tls_cert="$work/certs/ops.pem" --tls_key="$work/certs/ops.key")
for port in "$mport" "$sport"; do
  for _ in $(seq 1 100); do
    "${probe[@]}" --addr="127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 0.2
  done
  "${probe[@]}" --addr="127.0.0.1:$port" || { podman logs "$pod-marketing"; podman logs "$pod-sales"; exit 1; }
done
# Plaintext is refused by the TLS listeners.
if ${BUILD_DIR:-build}/deploy/handoff-health-probe --addr="127.0.0.1:$mport" >/dev/null 2>&1; then
  echo "containers: marketing answered a plaintext health check"; exit 1
fi
podman logs "$pod-marketing" 2>&1 | grep "transport security: mTLS"
podman logs "$pod-sales" 2>&1 | grep "transport security: mTLS"
for c in "$pod-marketing" "$pod-sales"; do
  podman healthcheck run "$c" && echo "containers: $c HEALTHCHECK healthy"
  [ "$(podman exec "$c" id -u)" != 0 ] && echo "containers: $c runs as non-root uid $(podman exec "$c" id -u)"
done

# handoffctl is in the images: an operator in the marketing container asks both services
# for their outbox backlog, over mTLS as the ops identity (its key is root's, hence --user 0).
podman exec --user 0 "$pod-marketing" handoffctl --marketing=127.0.0.1:50051 --sales=127.0.0.1:50052 \
  --tls_ca=/etc/handoff/tls/ca.pem --tls_cert=/etc/handoff/tls/ops.pem --tls_key=/etc/handoff/tls/ops.key \
  --output=csv ops backlog | grep -q '^"sales","0","0","0"' \
  || { echo "containers: handoffctl in the image did not answer"; exit 1; }
echo "containers: handoffctl in the image read both backlogs over mTLS"

/usr/bin/python3 scripts/demo.py --marketing "127.0.0.1:$mport" --sales "127.0.0.1:$sport" \
  --tls_ca "$work/certs/ca.pem" --tls_cert "$work/certs/crm-frontend.pem" --tls_key "$work/certs/crm-frontend.key"

podman stop -t 20 "$pod-marketing" "$pod-sales" >/dev/null
for c in "$pod-marketing" "$pod-sales"; do
  code=$(podman inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || { echo "containers: $c exited $code"; podman logs "$c"; exit 1; }
done
podman volume rm -f "$pod-sales-data" "$pod-marketing-data" >/dev/null
echo "containers: pod on SQLite: healthy over mTLS, served the walkthrough and stopped gracefully"

# 2. compose: PostgreSQL and Prometheus beside both services, on a network of their own.
mkdir -p "$work/secrets"
for s in marketing sales; do
  head -c 18 /dev/urandom | base64 >"$work/secrets/$s-db-password"
done
# podman-compose bind-mounts secrets as they are: readable by the services' uid 10001 and
# the postgres user of the database container.
chmod 0644 "$work/secrets/"*
{ read -r mport; read -r sport; read -r mmetrics; read -r smetrics; read -r pport; } < <(free_ports 5)
export HANDOFF_TAG=test BASE_IMAGE="$base" HANDOFF_CERTS="$work/certs" HANDOFF_SECRETS="$work/secrets" \
  MARKETING_PORT=$mport SALES_PORT=$sport MARKETING_METRICS_PORT=$mmetrics \
  SALES_METRICS_PORT=$smetrics PROMETHEUS_PORT=$pport
echo "containers: compose up ($project: postgres, marketing, sales, prometheus)"
"${compose[@]}" up -d >"$work/compose-up.log" 2>&1 || { cat "$work/compose-up.log"; exit 1; }
compose_logs() {
  for c in postgres marketing sales prometheus; do
    echo "--- $c"; podman logs "${project}_${c}_1" 2>&1 | tail -n 40
  done
}
# The services wait for the database while it initialises (--database_startup_wait).
for port in "$mport" "$sport"; do
  for _ in $(seq 1 150); do
    "${probe[@]}" --addr="127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 0.2
  done
  "${probe[@]}" --addr="127.0.0.1:$port" || { compose_logs; exit 1; }
done
# Read whole before matching: `grep -q` quits at the first match, and under pipefail the
# SIGPIPE that podman logs then gets failed the check at random.
for svc in marketing sales; do
  log=$(podman logs "${project}_${svc}_1" 2>&1)
  grep -q 'database postgresql://' <<<"$log" ||
    { echo "containers: $svc is not on PostgreSQL"; compose_logs; exit 1; }
done
/usr/bin/python3 scripts/demo.py --marketing "127.0.0.1:$mport" --sales "127.0.0.1:$sport" \
  --tls_ca "$work/certs/ca.pem" --tls_cert "$work/certs/crm-frontend.pem" --tls_key "$work/certs/crm-frontend.key"

# Each role reaches its own database and is refused the other's.
pg_as() {  # pg_as ROLE DATABASE: runs a query as ROLE with its password over TCP
  podman exec -e PGPASSWORD="$(cat "$work/secrets/$1-db-password")" "${project}_postgres_1" \
    psql -h 127.0.0.1 -U "$1" -d "$2" -Atc 'select current_user' 2>&1
}
[ "$(pg_as marketing marketing)" = marketing ] || { echo "containers: marketing cannot open its database"; exit 1; }
refused=$(pg_as marketing sales || true)
grep -q 'no pg_hba.conf entry' <<<"$refused" ||
  { echo "containers: marketing was not refused the sales database: $refused"; exit 1; }
echo "containers: each role opens its own database and is refused the other's"

/usr/bin/python3 scripts/prometheus_check.py --prometheus "127.0.0.1:$pport" --timeout 60 ||
  { compose_logs; exit 1; }

"${compose[@]}" stop >"$work/compose-stop.log" 2>&1 || { cat "$work/compose-stop.log"; exit 1; }
for c in postgres marketing sales prometheus; do
  code=$(podman inspect -f '{{.State.ExitCode}}' "${project}_${c}_1")
  [ "$code" = 0 ] || { echo "containers: $c exited $code"; compose_logs; exit 1; }
done
echo "containers: compose on PostgreSQL: healthy, served the walkthrough, scraped by Prometheus, stopped gracefully"
