#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the tests and benchmarks (installing
# Debian's package first if it is missing) and prints its URL. Idempotent: a server this script
# already started is reused.
#
#   SEC_PG_DIR   where the cluster lives (default /tmp/sec-test-postgres)
#   SEC_PG_PORT  its port (default 55432)
set -euo pipefail

dir=${SEC_PG_DIR:-/tmp/sec-test-postgres}
port=${SEC_PG_PORT:-55432}
url="postgres://postgres@127.0.0.1:$port/postgres"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(pgbin)
if [[ -z "$bin" ]]; then
  echo "installing PostgreSQL (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(pgbin)
fi

# PostgreSQL refuses to run as root: run it as the package's `postgres` user then.
as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  echo "$url"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
[[ $(id -u) == 0 ]] && chown postgres "$dir"
as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
echo "$url"
