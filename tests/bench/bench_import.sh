#!/usr/bin/env bash
# CSV import of contacts through POST /api/v1/import/contact beside COPY of
# the same rows into a plain scratch table of the same cluster, in the same
# run; prints both times and the ratio (target: import >= 0.3 x COPY).
# Usage: tests/bench/bench_import.sh [rows]   (default 100000)
set -euo pipefail
ROWS=${1:-100000}
# Its own Release build and port, so it can run beside the other benchmarks.
: "${RAPPORT_BENCH_BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build-bench-import}"
: "${RAPPORT_BENCH_PORT:=18091}"
export RAPPORT_BENCH_BUILD RAPPORT_BENCH_PORT
# 100,000 rows are about 7 MiB; leave room for larger runs.
export RAPPORT_MAX_IMPORT_KIB=${RAPPORT_MAX_IMPORT_KIB:-262144}
source "$(dirname "$0")/lib.sh"

bench_build
bench_tenant bench
bench_serve
TOKEN=$(bench_login bench)

CSV="$BENCH_WORK/contacts.csv"
awk -v n="$ROWS" 'BEGIN {
    print "first_name,last_name,email,phone"
    for (i = 0; i < n; i++)
        printf "First%d,Last%07d,person%d@example.com,+3314%07d\n", i % 1000, i, i, i
}' >"$CSV"
chmod 644 "$CSV"
echo "machine: $(nproc) cores, $(uname -r); $ROWS rows, $(($(stat -c %s "$CSV") / 1024)) KiB of CSV"

now() { date +%s%N; }

t0=$(now)
status=$(curl -s -o "$BENCH_WORK/import.json" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
    --data-binary "@$CSV" "$BENCH_URL/api/v1/import/contact")
t1=$(now)
if [[ $status != 200 ]] || ! grep -q "\"created\":$ROWS" "$BENCH_WORK/import.json"; then
    echo "import failed ($status): $(head -c 400 "$BENCH_WORK/import.json")" >&2
    exit 1
fi
IMPORT_MS=$(((t1 - t0) / 1000000))

# The same rows with COPY into a scratch table of the same database: the
# fastest way PostgreSQL itself loads them (no checks, history, search text
# or index rows), the yardstick of the target.
bench_psql rapport -c 'DROP TABLE IF EXISTS bench_copy_contacts' \
    -c 'CREATE TABLE bench_copy_contacts (first_name text, last_name text, email text, phone text)' \
    >/dev/null
t0=$(now)
bench_psql rapport -c "\\copy bench_copy_contacts FROM '$CSV' WITH (FORMAT csv, HEADER true)" >/dev/null
t1=$(now)
COPY_MS=$(((t1 - t0) / 1000000))
COPIED=$(bench_psql rapport -At -c 'SELECT count(*) FROM bench_copy_contacts')
[[ $COPIED == "$ROWS" ]] || { echo "COPY loaded $COPIED rows" >&2; exit 1; }
bench_psql rapport -c 'DROP TABLE bench_copy_contacts' >/dev/null

awk -v n="$ROWS" -v i="$IMPORT_MS" -v c="$COPY_MS" 'BEGIN {
    printf "import via API: %d rows in %d ms (%.0f rows/s)\n", n, i, n / (i / 1000)
    printf "COPY (psql \\copy): %d rows in %d ms (%.0f rows/s)\n", n, c, n / (c / 1000)
    printf "ratio import/COPY throughput: %.2f (target >= 0.30)\n", c / i
}'
bench_rss
