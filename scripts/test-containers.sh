#!/usr/bin/env bash
# Builds both container images with podman and runs them with mTLS and their shipped
# policies, as the images default to: both become healthy (checked through the mapped
# ports and with the image's own HEALTHCHECK), refuse plaintext, the walkthrough client
# passes against them as the CRM front end, and both stop gracefully (exit 0) on SIGTERM
# from `podman stop`.
# No registry is reachable here, so the Debian 12 base image is made locally with
# debootstrap (once; reused while `localhost/debian:bookworm` exists).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for p in podman buildah runc catatonit debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "containers: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

work=$(mktemp -d)
pod=handoff-test-$$
cleanup() {
  podman pod rm -f "$pod" >/dev/null 2>&1 || true
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

for svc in marketing-service sales-service; do
  echo "containers: building handoff/$svc"
  podman build -q --format docker --build-arg BASE_IMAGE="$base" -f "$svc/Dockerfile" -t "handoff/$svc:test" . >/dev/null
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

/usr/bin/python3 scripts/demo.py --marketing "127.0.0.1:$mport" --sales "127.0.0.1:$sport" \
  --tls_ca "$work/certs/ca.pem" --tls_cert "$work/certs/crm-frontend.pem" --tls_key "$work/certs/crm-frontend.key"

podman stop -t 20 "$pod-marketing" "$pod-sales" >/dev/null
for c in "$pod-marketing" "$pod-sales"; do
  code=$(podman inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || { echo "containers: $c exited $code"; podman logs "$c"; exit 1; }
done
podman volume rm -f "$pod-sales-data" "$pod-marketing-data" >/dev/null
echo "containers: both images built, healthy over mTLS, served the walkthrough and stopped gracefully"
