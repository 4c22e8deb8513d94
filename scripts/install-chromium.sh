#!/bin/sh
# Installs Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
# Idempotent and quiet: does nothing when /usr/bin/chromium is already there.
set -eu

[ -x /usr/bin/chromium ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "install-chromium: /usr/bin/chromium still missing" >&2; exit 1; }
