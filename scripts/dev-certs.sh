#!/usr/bin/env bash
# Makes a development CA and one certificate per Handoff identity, for TLS and mTLS:
#
#   scripts/dev-certs.sh DIR
#
# DIR/ca.pem                 the CA certificate (give it to --tls_ca)
# DIR/ca.key                 its key (kept so that a second run reissues the leaves only)
# DIR/NAME.pem, DIR/NAME.key for NAME in marketing, sales, ops, crm-frontend
#
# Each leaf carries the identity the authorization policies in deploy/authz name, as a
# SPIFFE-style URI SAN (spiffe://handoff.local/NAME), and the DNS names localhost, NAME,
# NAME-service and the addresses 127.0.0.1 and ::1, so that the services can verify each
# other on loopback, in a compose network or a pod. HANDOFF_CERT_DNS="a.example b" adds
# names to every leaf. Leaves are valid for HANDOFF_CERT_DAYS (default 30) days, the CA
# for ten years. EC P-256 keys, readable by the owner only (HANDOFF_CERT_MODE to change,
# e.g. 0644 for files mounted into a container that runs as another user).
#
# Running it again with the same DIR keeps the CA and issues new leaves: that is a
# certificate rotation, which running services pick up within --tls_refresh_interval.
# Every file is written beside its final name and renamed into place, so a service that
# reads during a rotation sees either the old pair or the new one.
#
# For development and tests only: a real deployment takes its certificates from its own
# CA (cert-manager, Vault, SPIRE...) with the same SANs.
set -euo pipefail

dir=${1:?usage: scripts/dev-certs.sh DIR}
days=${HANDOFF_CERT_DAYS:-30}
mode=${HANDOFF_CERT_MODE:-0600}
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.dev-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca.key" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key"
  openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 3650 -subj "/O=Handoff dev/CN=Handoff dev CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$tmp/ca.pem" 2>/dev/null
  chmod "$mode" "$tmp/ca.key"
  chmod 0644 "$tmp/ca.pem"
  mv "$tmp/ca.key" "$dir/ca.key"
  mv "$tmp/ca.pem" "$dir/ca.pem"
  echo "dev-certs: new CA $dir/ca.pem"
fi

for name in marketing sales ops crm-frontend; do
  san="URI:spiffe://handoff.local/$name,DNS:localhost,DNS:$name,DNS:$name-service,IP:127.0.0.1,IP:::1"
  for extra in ${HANDOFF_CERT_DNS:-}; do san="$san,DNS:$extra"; done
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$name.key"
  openssl req -new -key "$tmp/$name.key" -subj "/O=Handoff dev/CN=$name" -out "$tmp/$name.csr" 2>/dev/null
  cat >"$tmp/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EXT
  openssl x509 -req -in "$tmp/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days "$days" -sha256 -extfile "$tmp/$name.ext" -out "$tmp/$name.pem" 2>/dev/null
  chmod "$mode" "$tmp/$name.key"
  chmod 0644 "$tmp/$name.pem"
  # Key first, then certificate: a reader between the two renames sees a mismatched
  # pair, which gRPC's file watcher refuses, keeping the previous pair until the next read.
  mv "$tmp/$name.key" "$dir/$name.key"
  mv "$tmp/$name.pem" "$dir/$name.pem"
done
echo "dev-certs: certificates for marketing, sales, ops, crm-frontend in $dir (valid $days days)"
