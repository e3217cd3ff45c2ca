#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the test suite, installing Debian's
# package first if it is missing and we may. Prints `export ARCHIBALD_TEST_PG_URL=...` on
# success, or `export ARCHIBALD_TEST_PG_SKIP=<reason>` when no server can be had.
# Usage: scripts/pg-test-server.sh start DIR | stop DIR
set -u
cmd=${1:-start}; dir=${2:-.pg}
skip() { echo "export ARCHIBALD_TEST_PG_SKIP=$(printf %q "$1")"; exit 0; }
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ "$cmd" = stop ]; then
  bin=$(find_bin)
  [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ] && \
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
  exit 0
fi

bin=$(find_bin)
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's postgresql package for the PostgreSQL tests..." >&2
    (timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 \
      apt-get install -y -qq postgresql >/dev/null) >&2 || skip "apt-get install postgresql failed"
    bin=$(find_bin)
  fi
fi
[ -n "$bin" ] || skip "no PostgreSQL server binaries and no way to install them"
id postgres >/dev/null 2>&1 || skip "no postgres system user to run the server as"
[ "$(id -u)" = 0 ] || [ "$(id -un)" = postgres ] || skip "must run as root or postgres"

rm -rf "$dir"; mkdir -p "$dir"; abs=$(cd "$dir" && pwd)
chown postgres "$abs" 2>/dev/null || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
run "$bin/initdb" -D "$abs/data" -A trust -U archibald >"$abs/initdb.log" 2>&1 \
  || skip "initdb failed (see $abs/initdb.log)"
run "$bin/pg_ctl" -D "$abs/data" -l "$abs/server.log" -w -t 60 \
  -o "-p $port -k $abs -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 \
  || skip "the server did not start (see $abs/server.log)"
echo "export ARCHIBALD_TEST_PG_URL=postgresql+psycopg://archibald@127.0.0.1:$port/postgres"
