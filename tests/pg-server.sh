#!/bin/sh
# pg-server.sh: a throwaway PostgreSQL 15 server for the tests, on a Unix
# socket in a folder of its own, never on the network.
#
#   tests/pg-server.sh start [FOLDER]   starts it and prints the ledger URI
#   tests/pg-server.sh stop FOLDER      stops it and removes FOLDER
#   tests/pg-server.sh halt FOLDER      stops it and keeps its data: `start FOLDER`
#                                       brings the same server back, as after an outage
#
# FOLDER defaults to a new temporary folder. As root the server runs as the
# `postgres` user (PostgreSQL refuses to run as root). The database uses the C
# collation, so text sorts byte by byte as in a ledger file.
set -eu

bin=${TAGSMITH_PG_BIN:-/usr/lib/postgresql/15/bin}

as_owner () {
  if [ "$(id -u)" = 0 ]; then
    # From /: the checkout may sit in a folder the postgres user cannot enter.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

usage () {
  echo "usage: $0 start [FOLDER] | stop FOLDER | halt FOLDER" >&2
  exit 2
}

[ $# -ge 1 ] || usage

case $1 in
start)
  if [ ! -x "$bin/initdb" ]; then
    echo "$0: $bin/initdb is missing; install Debian's postgresql-15 package." >&2
    exit 1
  fi
  folder=${2:-$(mktemp -d "${TMPDIR:-/tmp}/tagsmith-pg.XXXXXX")}
  mkdir -p "$folder"
  folder=$(cd "$folder" && pwd)
  case $folder in
  *[!A-Za-z0-9._/-]*) echo "$0: $folder: use a folder name without spaces or quotes." >&2; exit 1 ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$folder"
  fi
  chmod 700 "$folder"
  fresh=false
  if [ ! -d "$folder/data" ]; then
    fresh=true
    as_owner "$bin/initdb" -D "$folder/data" -U tagsmith --auth=trust -E UTF8 --locale=C \
      >"$folder/initdb.log" 2>&1 || { cat "$folder/initdb.log" >&2; exit 1; }
  fi
  as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 120 \
    -o "-c listen_addresses= -k $folder" start >/dev/null || { cat "$folder/server.log" >&2; exit 1; }
  if $fresh; then
    as_owner "$bin/createdb" -h "$folder" -U tagsmith tagsmith
  fi
  echo "postgresql:///tagsmith?host=$folder&user=tagsmith"
  ;;
stop)
  [ $# -eq 2 ] || usage
  folder=$2
  if [ -d "$folder/data" ]; then
    as_owner "$bin/pg_ctl" -D "$folder/data" -m fast -w -t 120 stop >/dev/null
  fi
  rm -rf "$folder"
  ;;
halt)
  [ $# -eq 2 ] || usage
  as_owner "$bin/pg_ctl" -D "$2/data" -m fast -w -t 120 stop >/dev/null
  ;;
*)
  usage
  ;;
esac
