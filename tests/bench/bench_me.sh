#!/usr/bin/env bash
# Measures GET /api/v1/me through wrk beside pgbench -S on the same
# PostgreSQL cluster in the same run, and prints the ratio, the latency
# percentiles and the server's memory. Usage: tests/bench/bench_me.sh [seconds]
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
bench_wrk "GET /api/v1/me" "$DURATION" -H "Authorization: Bearer $TOKEN" "$BENCH_URL/api/v1/me"
bench_rss
