#!/bin/sh
# Installs Debian's chromium for the browser tests (Playwright drives it; never `playwright install`),
# and fonts-symbola, the font the library report draws emoji and symbols with (🎧 in playlist names).
# Idempotent and quiet: installs only what is missing, does nothing when both are there.
set -eu

MISSING=""
[ -x /usr/bin/chromium ] || MISSING="chromium"
dpkg-query -W -f='${Status}' fonts-symbola 2>/dev/null | grep -q "ok installed" || MISSING="$MISSING fonts-symbola"
[ -z "$MISSING" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086 # one word per package
$SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
[ -x /usr/bin/chromium ] || { echo "install-chromium: /usr/bin/chromium still missing" >&2; exit 1; }
