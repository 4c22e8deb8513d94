#!/bin/sh
# Installs Debian's postgresql for the production end-to-end test (tests/production starts a throwaway
# server from its initdb and pg_ctl; the package's own cluster is not used).
# Idempotent and quiet: does nothing when a PostgreSQL initdb is already there.
set -eu

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "install-postgres: initdb still missing" >&2; exit 1; }
