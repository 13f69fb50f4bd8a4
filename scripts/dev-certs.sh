#!/usr/bin/env bash
# Development certificates for a relaycast cluster: one CA, and a
# certificate for the coordinator, each relay, each node, the gateway
# simulator and each operator client, in one directory:
#   DIR/ca.pem DIR/coordinator.{pem,key} DIR/gateway.{pem,key}
#   DIR/relay/ID.{pem,key} DIR/node/ID.{pem,key} DIR/client/NAME.{pem,key}
#
#   scripts/dev-certs.sh DIR [--cluster ID] [--relays ID,...] [--nodes ID,...]
#                            [--clients NAME,...] [--hosts NAME|IP,...] [--days N]
#
# Defaults: --cluster default --relays relay-1,relay-2 --nodes node-1,node-2,node-3
#           --clients operator --hosts localhost,127.0.0.1,::1 --days 365
#
# Identity (what the coordinator and relays check, see docs/operations.md):
#   node  <id>   SAN URI relaycast://<cluster>/node/<id>
#   relay <id>   SAN URI relaycast://<cluster>/relay/<id>
#   coordinator, gateway, clients: no relaycast identity (client certs carry
#   relaycast://client/<name> for the logs only).
# Every certificate also carries --hosts as DNS/IP SANs and both the
# serverAuth and clientAuth uses: relays and nodes serve a port and dial out.
#
# Re-running keeps an existing CA (ca.pem, ca.key) and existing
# certificates, and adds the missing ones: add a node later with
#   scripts/dev-certs.sh DIR --nodes node-4
# Keys are EC P-256, written 0600. For development and tests only: use your
# own CA (and keep its key offline) in production.
set -euo pipefail

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }

dir=""
cluster="default"
relays="relay-1,relay-2"
nodes="node-1,node-2,node-3"
clients="operator"
hosts="localhost,127.0.0.1,::1"
days=365
while [ $# -gt 0 ]; do
  case "$1" in
    --cluster) cluster="${2:?--cluster needs a value}"; shift 2 ;;
    --relays) relays="${2-}"; shift 2 ;;
    --nodes) nodes="${2-}"; shift 2 ;;
    --clients) clients="${2-}"; shift 2 ;;
    --hosts) hosts="${2:?--hosts needs a value}"; shift 2 ;;
    --days) days="${2:?--days needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "dev-certs: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) if [ -n "$dir" ]; then echo "dev-certs: one directory only (got $dir and $1)" >&2; exit 2; fi; dir="$1"; shift ;;
  esac
done
if [ -z "$dir" ]; then echo "dev-certs: give the output directory" >&2; usage >&2; exit 2; fi
command -v openssl >/dev/null || { echo "dev-certs: openssl is not installed" >&2; exit 1; }
id_ok() { [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]]; }
id_ok "$cluster" || { echo "dev-certs: bad cluster id $cluster" >&2; exit 2; }
[[ "$days" =~ ^[0-9]+$ ]] || { echo "dev-certs: --days must be a number" >&2; exit 2; }

mkdir -p "$dir"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Runs openssl quietly; shows its output only when it fails.
run() {
  if ! "$@" > "$tmp/openssl.log" 2>&1; then
    echo "dev-certs: failed: $*" >&2
    cat "$tmp/openssl.log" >&2
    exit 1
  fi
}

host_sans=""
IFS=',' read -r -a host_list <<< "$hosts"
for h in "${host_list[@]}"; do
  [ -z "$h" ] && continue
  if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then host_sans+=",IP:$h"; else host_sans+=",DNS:$h"; fi
done
host_sans="${host_sans#,}"

if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/ca.key" ]; then
  run openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
  run openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$days" -subj "/CN=relaycast development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
  echo "dev-certs: made $dir/ca.pem (CA key: $dir/ca.key)"
fi

# issue PATH-IN-DIR CN URI-SAN-or-empty
issue() {
  local name="$1" cn="$2" uri="$3"
  if [ -f "$dir/$name.pem" ] && [ -f "$dir/$name.key" ]; then return; fi
  local sans="$host_sans"
  [ -n "$uri" ] && sans="URI:$uri${sans:+,$sans}"
  local base
  base="$(basename "$name")"
  mkdir -p "$(dirname "$dir/$name")"
  run openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$base.key"
  run openssl req -new -key "$tmp/$base.key" -subj "/CN=$cn" -out "$tmp/$base.csr"
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=$sans" > "$tmp/$base.ext"
  run openssl x509 -req -in "$tmp/$base.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -days "$days" -sha256 -extfile "$tmp/$base.ext" -out "$dir/$name.pem"
  mv "$tmp/$base.key" "$dir/$name.key"
  chmod 600 "$dir/$name.key"
  chmod 644 "$dir/$name.pem"
  echo "dev-certs: made $dir/$name.pem ${uri:+($uri)}"
}

list() { local IFS=','; for item in $1; do [ -n "$item" ] && printf '%s\n' "$item"; done; return 0; }

issue coordinator "relaycast coordinator" ""
issue gateway "relaycast gateway" ""
for id in $(list "$relays"); do
  id_ok "$id" || { echo "dev-certs: bad relay id $id" >&2; exit 2; }
  issue "relay/$id" "relay $cluster:$id" "relaycast://$cluster/relay/$id"
done
for id in $(list "$nodes"); do
  id_ok "$id" || { echo "dev-certs: bad node id $id" >&2; exit 2; }
  issue "node/$id" "node $cluster:$id" "relaycast://$cluster/node/$id"
done
for name in $(list "$clients"); do
  id_ok "$name" || { echo "dev-certs: bad client name $name" >&2; exit 2; }
  issue "client/$name" "client $name" "relaycast://client/$name"
done
chmod 644 "$dir/ca.pem"
chmod 600 "$dir/ca.key"
for sub in relay node client; do [ -d "$dir/$sub" ] && chmod 755 "$dir/$sub"; done
exit 0
