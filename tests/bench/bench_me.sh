#!/usr/bin/env bash
# Measures GET /api/v1/me through wrk beside pgbench -S on the same
# PostgreSQL cluster in the same run, and prints the ratio, the latency
# percentiles and the server's memory, with short reads on the HTTP threads
# (RAPPORT_LOOP_READS=1, the default) and then through the workers (0).
# Usage: tests/bench/bench_me.sh [seconds]
set -euo pipefail
DURATION=${1:-10}
source "$(dirname "$0")/lib.sh"

bench_build
bench_tenant bench
bench_serve
TOKEN=$(bench_login bench)
curl -sf -H "Authorization: Bearer $TOKEN" "$BENCH_URL/api/v1/me" >/dev/null

echo "machine: $(nproc) cores, $(uname -r)"
bench_pgbench "$DURATION"
bench_wrk "GET /api/v1/me (loop reads)" "$DURATION" -H "Authorization: Bearer $TOKEN" "$BENCH_URL/api/v1/me"
bench_rss
LOOP_RPS=$RPS
bench_stop
RAPPORT_LOOP_READS=0 bench_serve
bench_wrk "GET /api/v1/me (workers)" "$DURATION" -H "Authorization: Bearer $TOKEN" "$BENCH_URL/api/v1/me"
echo "loop reads / workers: $(awk -v a="$LOOP_RPS" -v b="$RPS" 'BEGIN { printf "%.2f", a / b }')"
