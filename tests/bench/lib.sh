# Shared by the benchmark scripts: a Release build, a throwaway data dir with
# the embedded PostgreSQL, the server, logins, pgbench and wrk runs. Source it
# after `set -euo pipefail`. Everything runs on 127.0.0.1 and a private unix
# socket, and only what these functions started is ever stopped.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_BUILD=${RAPPORT_BENCH_BUILD:-$BENCH_ROOT/build-bench}
BENCH_WORK=$(mktemp -d /tmp/rapport-bench.XXXXXX)
chmod 755 "$BENCH_WORK"
BENCH_PORT=${RAPPORT_BENCH_PORT:-18080}
BENCH_URL="http://127.0.0.1:$BENCH_PORT"
BENCH_PASSWORD=bench-password-123
BENCH_SERVER_PID=
PGBIN=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
RAPPORT="$BENCH_BUILD/rapport"

export RAPPORT_DATA_DIR="$BENCH_WORK/var"
export RAPPORT_LISTEN="127.0.0.1:$BENCH_PORT"
export RAPPORT_LOG_LEVEL=warn

bench_cleanup() {
    if [[ -n "$BENCH_SERVER_PID" ]] && kill -0 "$BENCH_SERVER_PID" 2>/dev/null; then
        kill -TERM "$BENCH_SERVER_PID"
        wait "$BENCH_SERVER_PID" || true
    fi
    [[ -n "${RAPPORT_BENCH_KEEP:-}" ]] || rm -rf "$BENCH_WORK"
}
trap bench_cleanup EXIT

# Builds the Release binary (tests off) into $BENCH_BUILD.
bench_build() {
    command -v wrk >/dev/null || { echo "wrk is missing: run deploy/install-deps.sh" >&2; exit 1; }
    cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DRAPPORT_TESTS=OFF >/dev/null
    cmake --build "$BENCH_BUILD" -j"$(nproc)" --target rapport >/dev/null
}

# Creates tenant $1 with an admin admin@$1.example (password $BENCH_PASSWORD).
bench_tenant() {
    "$RAPPORT" tenant create "$1" --name "$1" >/dev/null
    printf '%s\n' "$BENCH_PASSWORD" | "$RAPPORT" user add --tenant "$1" \
        --email "admin@$1.example" --role admin --password-stdin >/dev/null
}

# Starts `rapport serve` (under $RAPPORT_BENCH_WRAP when set: a debugger, perf)
# and waits until it answers.
bench_serve() {
    ${RAPPORT_BENCH_WRAP:-} "$RAPPORT" serve >"$BENCH_WORK/access.log" 2>"$BENCH_WORK/server.log" &
    BENCH_SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "$BENCH_URL/healthz" >/dev/null && return 0
        sleep 0.2
    done
    echo "the server did not start; see $BENCH_WORK/server.log" >&2
    exit 1
}

# Stops the server bench_serve started (SIGTERM, then waits for it), so that
# a script can start it again with other settings on the same data.
bench_stop() {
    if [[ -n "$BENCH_SERVER_PID" ]] && kill -0 "$BENCH_SERVER_PID" 2>/dev/null; then
        kill -TERM "$BENCH_SERVER_PID"
        wait "$BENCH_SERVER_PID" || true
    fi
    BENCH_SERVER_PID=
}

# Prints an access token for admin@$1.example in tenant $1.
bench_login() {
    curl -sf -H 'Content-Type: application/json' \
        -d "{\"tenant\":\"$1\",\"email\":\"admin@$1.example\",\"password\":\"$BENCH_PASSWORD\"}" \
        "$BENCH_URL/api/v1/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

# Runs a command as the OS user that owns the embedded cluster.
as_pg() {
    local sock
    sock=$(readlink -f "$RAPPORT_DATA_DIR/pg")
    if [[ $(id -un) == "$(stat -c %U "$sock")" ]]; then "$@"; else
        runuser -u "$(stat -c %U "$sock")" -- "$@"
    fi
}

# psql on the embedded cluster as its superuser: bench_psql DB ARGS...
bench_psql() {
    local db=$1
    shift
    as_pg "$PGBIN/psql" -h "$(readlink -f "$RAPPORT_DATA_DIR/pg")" -U postgres -d "$db" \
        -v ON_ERROR_STOP=1 -q "$@"
}

# pgbench -S -M prepared at 2, 8 and 64 clients for $1 seconds on a scale-10
# database of the same cluster; fills PG[2], PG[8], PG[64] and PG_BEST.
declare -A PG
PG_BEST=0
bench_pgbench() {
    local sock
    sock=$(readlink -f "$RAPPORT_DATA_DIR/pg")
    bench_psql postgres -c 'DROP DATABASE IF EXISTS bench' >/dev/null
    bench_psql postgres -c 'CREATE DATABASE bench' >/dev/null
    as_pg "$PGBIN/pgbench" -h "$sock" -U postgres -i -q -s 10 bench >/dev/null 2>&1
    for c in 2 8 64; do
        PG[$c]=$(as_pg "$PGBIN/pgbench" -h "$sock" -U postgres -S -M prepared -c "$c" -j 2 \
            -T "$1" bench 2>>"$BENCH_WORK/pgbench.log" | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -1)
        [[ -n "${PG[$c]}" ]] || { echo "pgbench -c $c failed:" >&2; tail -3 "$BENCH_WORK/pgbench.log" >&2; exit 1; }
        PG_BEST=$(awk -v a="$PG_BEST" -v b="${PG[$c]}" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "pgbench -S -M prepared (scale 10, ${1}s): c=2 ${PG[2]} tps, c=8 ${PG[8]} tps," \
        "c=64 ${PG[64]} tps; best $PG_BEST"
}

# wrk -t2 -c64 for $2 seconds; $1 names the measure, the rest are wrk
# arguments (headers, -s script, the URL). Prints one line with requests/s,
# p50, p99, non-2xx and the ratio to $PG_BEST, and sets RPS, P50, P99.
bench_wrk() {
    local name=$1 secs=$2 out non2xx
    shift 2
    out=$(wrk -t2 -c64 -d"${secs}s" --latency "$@")
    RPS=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' <<<"$out")
    P50=$(sed -nE 's/^ *50% +([0-9.]+[a-z]+).*/\1/p' <<<"$out")
    P99=$(sed -nE 's/^ *99% +([0-9.]+[a-z]+).*/\1/p' <<<"$out")
    non2xx=$(sed -nE 's/^ *Non-2xx or 3xx responses: *([0-9]+).*/\1/p' <<<"$out")
    local ratio=""
    if [[ $PG_BEST != 0 ]]; then
        ratio=", ratio to pgbench best $(awk -v a="$RPS" -v b="$PG_BEST" 'BEGIN { printf "%.2f", a / b }')"
    fi
    echo "wrk -t2 -c64 -d${secs}s $name: $RPS req/s, p50 $P50, p99 $P99, non-2xx ${non2xx:-0}$ratio"
}

# The server's resident memory now and at its peak, in MiB.
bench_rss() {
    echo "rapport RSS: $(($(awk '/VmRSS/ { print $2 }' "/proc/$BENCH_SERVER_PID/status") / 1024)) MiB" \
        "(peak $(($(awk '/VmHWM/ { print $2 }' "/proc/$BENCH_SERVER_PID/status") / 1024)) MiB)"
}
