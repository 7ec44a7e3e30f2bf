#!/usr/bin/env bash
# Measures GET /api/v1/me through wrk beside pgbench -S on the same
# PostgreSQL cluster in the same run, and prints the ratio, the latency
# percentiles and the server's memory. Usage: tests/bench/bench_me.sh [seconds]
#
# Everything runs on 127.0.0.1 and a private unix socket; the script stops
# only the processes it started.
set -euo pipefail

DURATION=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${RAPPORT_BENCH_BUILD:-$ROOT/build-bench}
WORK=$(mktemp -d /tmp/rapport-bench.XXXXXX)
chmod 755 "$WORK"
PORT=${RAPPORT_BENCH_PORT:-18080}
SERVER_PID=

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" || true
    fi
    [[ -n "${RAPPORT_BENCH_KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: run deploy/install-deps.sh" >&2; exit 1; }
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRAPPORT_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target rapport >/dev/null
RAPPORT="$BUILD/rapport"
PGBIN=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

export RAPPORT_DATA_DIR="$WORK/var"
export RAPPORT_LISTEN="127.0.0.1:$PORT"
export RAPPORT_LOG_LEVEL=warn
PASSWORD=bench-password-123

"$RAPPORT" tenant create bench --name "Bench Co" >/dev/null
printf '%s\n' "$PASSWORD" | "$RAPPORT" user add --tenant bench --email admin@bench.example \
    --role admin --password-stdin >/dev/null

# RAPPORT_BENCH_WRAP runs the server under a wrapper (a debugger, perf).
${RAPPORT_BENCH_WRAP:-} "$RAPPORT" serve >"$WORK/access.log" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.2
done

TOKEN=$(curl -sf -H 'Content-Type: application/json' \
    -d "{\"tenant\":\"bench\",\"email\":\"admin@bench.example\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null

# pgbench runs as the cluster's superuser on its own database, beside rapport.
SOCK=$(readlink -f "$RAPPORT_DATA_DIR/pg")
PGUSER_OS=$(stat -c %U "$SOCK")
as_pg() {
    if [[ $(id -un) == "$PGUSER_OS" ]]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi
}
as_pg "$PGBIN/psql" -h "$SOCK" -U postgres -d postgres -qc 'DROP DATABASE IF EXISTS bench' >/dev/null
as_pg "$PGBIN/psql" -h "$SOCK" -U postgres -d postgres -qc 'CREATE DATABASE bench' >/dev/null
as_pg "$PGBIN/pgbench" -h "$SOCK" -U postgres -i -q -s 10 bench >/dev/null 2>&1

best=0
declare -A PG
for c in 2 8 64; do
    tps=$(as_pg "$PGBIN/pgbench" -h "$SOCK" -U postgres -S -M prepared -c "$c" -j 2 \
        -T "$DURATION" bench 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -1)
    PG[$c]=$tps
    best=$(awk -v a="$best" -v b="$tps" 'BEGIN { print (b > a) ? b : a }')
done

WRK_OUT=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/me")
RPS=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' <<<"$WRK_OUT")
P50=$(sed -nE 's/^ *50% +([0-9.]+[a-z]+).*/\1/p' <<<"$WRK_OUT")
P99=$(sed -nE 's/^ *99% +([0-9.]+[a-z]+).*/\1/p' <<<"$WRK_OUT")
NON2XX=$(sed -nE 's/^ *Non-2xx or 3xx responses: *([0-9]+).*/\1/p' <<<"$WRK_OUT")
RSS=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status")
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")

echo "machine: $(nproc) cores, $(uname -r)"
echo "pgbench -S -M prepared (scale 10, ${DURATION}s): c=2 ${PG[2]} tps, c=8 ${PG[8]} tps, c=64 ${PG[64]} tps; best $best"
echo "wrk -t2 -c64 -d${DURATION}s GET /api/v1/me: $RPS req/s, p50 $P50, p99 $P99, non-2xx ${NON2XX:-0}"
echo "ratio rapport/pgbench-best: $(awk -v a="$RPS" -v b="$best" 'BEGIN { printf "%.2f", a / b }')"
echo "rapport RSS after the run: $((RSS / 1024)) MiB (peak $((HWM / 1024)) MiB)"
