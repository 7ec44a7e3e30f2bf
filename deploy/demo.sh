#!/bin/sh
# The newcomer's first command: installs what is missing, builds, prepares a
# demo tenant with an admin user, prints how to log in, and runs the server
# on the embedded PostgreSQL (Ctrl-C stops both). The demo tenant gets the
# modules RAPPORT_DEFAULT_MODULES names, like every new tenant: sales (with
# accounts, contacts, leads, ...) unless it says otherwise.
#
#   deploy/demo.sh
#
# RAPPORT_LISTEN (default 127.0.0.1:8080) and RAPPORT_DATA_DIR (default
# ./var in the source tree) are honoured; the admin password is generated
# once and kept in $RAPPORT_DATA_DIR/demo-admin-password (mode 0600).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

"$ROOT/deploy/install-deps.sh"

echo "demo: building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRAPPORT_SANITIZE=OFF -DRAPPORT_TESTS=OFF \
    -DRAPPORT_WERROR=OFF >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
BIN="$ROOT/build/rapport"

export RAPPORT_DATA_DIR="${RAPPORT_DATA_DIR:-$ROOT/var}"
mkdir -p "$RAPPORT_DATA_DIR"
PWFILE="$RAPPORT_DATA_DIR/demo-admin-password"
EMAIL=admin@demo.example

new_password=no
if [ ! -s "$PWFILE" ]; then
    (
        umask 077
        tr -dc 'A-Za-z0-9' </dev/urandom | head -c 20 >"$PWFILE"
    )
    new_password=yes
fi
chmod 600 "$PWFILE"
PASSWORD=$(cat "$PWFILE")

if ! "$BIN" tenant list | awk 'NR > 1 { print $1 }' | grep -qx demo; then
    "$BIN" tenant create demo --name "Demo Company"
fi
if ! "$BIN" user list --tenant demo | awk 'NR > 1 { print tolower($1) }' | grep -qx "$EMAIL"; then
    printf '%s\n' "$PASSWORD" |
        "$BIN" user add --tenant demo --email "$EMAIL" --role admin --password-stdin
elif [ "$new_password" = yes ]; then
    # The password file was removed: the user exists, so give it the new one.
    printf '%s\n' "$PASSWORD" | "$BIN" user passwd --tenant demo --email "$EMAIL" --password-stdin
fi

LISTEN="${RAPPORT_LISTEN:-127.0.0.1:8080}"
PORT="${LISTEN##*:}"
HOST="${LISTEN%:*}"
case "$HOST" in
"" | 0.0.0.0) HOST=127.0.0.1 ;;
"[::]") HOST="[::1]" ;;
esac
URL="http://$HOST:$PORT"

cat <<INFO

  Rapport is starting.

  URL       $URL
  tenant    demo
  email     $EMAIL
  password  $PASSWORD
            (kept in $PWFILE)

  Log in:
    curl -s -X POST $URL/api/v1/auth/login \\
      -H 'Content-Type: application/json' \\
      -d '{"tenant":"demo","email":"$EMAIL","password":"$PASSWORD"}'

  Then call the API with the access token:
    curl -s $URL/api/v1/me -H "Authorization: Bearer ACCESS_TOKEN"
    curl -s $URL/api/v1/records/account -H "Authorization: Bearer ACCESS_TOKEN"

  Ctrl-C stops the server and its database.

INFO

exec "$BIN" serve
