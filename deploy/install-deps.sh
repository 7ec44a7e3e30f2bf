#!/bin/sh
# Installs every Debian 12 package that building, running and testing Rapport
# needs. Does nothing at all (not even `apt-get update`) when all of them are
# already there, so it is cheap to run before every build.
set -eu

PACKAGES="
build-essential
cmake
pkg-config
clang-format
libh2o-evloop-dev
libssl-dev
libpq-dev
liblua5.4-dev
libjwt-dev
libsodium-dev
libjansson-dev
libcmocka-dev
libcurl4-openssl-dev
postgresql-15
postgresql-contrib
wrk
curl
"

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=""
for p in $PACKAGES; do
    if installed "$p"; then
        continue
    fi
    missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: missing:$missing" >&2
    echo "install-deps: run this script as root (or install sudo)" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The postgresql-15 package starts a system-wide cluster of its own; Rapport
# never uses it (it runs its own, or the one RAPPORT_DATABASE_URL names), and
# this script leaves the system's services as the package set them up.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done"
