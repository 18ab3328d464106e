#!/usr/bin/env bash
# Starts a private PostgreSQL server for the tests on 127.0.0.1:${VERITY_PG_PORT:-55432}
# (installing Debian's postgresql package when it is missing) and prints its admin URL.
# The cluster (and its socket) lives in a temp directory, trusts loopback connections,
# is reused while it runs, and is made anew when a stale one will not start.
set -euo pipefail
port=${VERITY_PG_PORT:-55432}
data=${VERITY_PG_DATA:-/tmp/verity-pg-$port}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
  echo "installing PostgreSQL (Debian package)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

run_as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

init_cluster() {
  rm -rf "$data"
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres "$data"
  run_as_postgres "'$bindir/initdb' -D '$data' -A trust -U postgres --no-sync -E UTF8" >/dev/null
}
start_cluster() {
  run_as_postgres "'$bindir/pg_ctl' -D '$data' -l '$data/server.log' -w \
    -o \"-p $port -k '$data' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start" >&2
}

if ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  # A cluster left by an earlier run that did not stop it (a copied or restored machine,
  # a killed job) may hold a stale lock file or belong to another user: the tests need
  # an empty server anyway, so such a cluster is made anew rather than failing CI.
  if [ ! -f "$data/PG_VERSION" ]; then
    init_cluster
  fi
  if ! start_cluster; then
    echo "the PostgreSQL cluster in $data did not start; its log ends:" >&2
    tail -n 5 "$data/server.log" >&2 2>/dev/null || true
    echo "making it anew" >&2
    init_cluster
    start_cluster
  fi
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
