#!/usr/bin/env bash
# The records benchmark (issue 3, item 12): one tenant with 1,000,000
# records plus 1,000 small tenants, every one with the sales module enabled
# (where account and contact come from) and one in ten with a custom field
# on account; get by id, a list filtered on an indexed field (20 rows) and
# create, each through wrk at 64 connections, beside pgbench -S -M prepared
# at 2, 8 and 64 clients on the same cluster in the same run; then the
# server's memory once every tenant's metadata is loaded.
# Usage: tests/bench/bench_records.sh [seconds] [records]
set -euo pipefail
DURATION=${1:-10}
ROWS=${2:-1000000}
SMALL=${RAPPORT_BENCH_TENANTS:-1000}
source "$(dirname "$0")/lib.sh"

# Logins are setup here, not what is measured: a cheap password hash keeps
# 1,000 of them from taking minutes.
export RAPPORT_PWHASH=fast

bench_build
bench_tenant bench
bench_serve
TOKEN=$(bench_login bench)
TID=$(bench_psql rapport -Atc "SELECT id FROM tenants WHERE slug = 'bench'")
UID_=$(bench_psql rapport -Atc "SELECT id FROM users WHERE tenant_id = '$TID'")
# Every account has 20 contacts: the filtered list returns 20 rows.
ACCOUNTS=$((ROWS / 21))

t0=$(date +%s)
# The data goes in with SQL as the cluster's superuser: the API's create is
# measured below, loading a million rows through it is not the point. The
# rows have what the API would have written: UUIDv7-shaped ids, the search
# text, the owner and the author.
bench_psql rapport -v tid="$TID" -v uid="$UID_" -v accounts="$ACCOUNTS" -v rows="$ROWS" \
    -v small="$SMALL" <<'SQL'
CREATE FUNCTION pg_temp.v7(g bigint, salt text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT overlay(overlay(overlay(md5(salt || g) PLACING lpad(to_hex(1790000000000 + g), 12, '0')
        FROM 1) PLACING '7' FROM 13) PLACING '8' FROM 17)::uuid $$;
INSERT INTO records (tenant_id, object, id, data, owner_id, created_by, updated_by, search_text)
SELECT :'tid', 'account', pg_temp.v7(g, 'a'),
       jsonb_build_object('name', 'Account ' || g, 'industry', 'Retail',
                          'website', 'https://a' || g || '.example'),
       :'uid', :'uid', :'uid', rp_search_norm('Account ' || g)
FROM generate_series(1, :accounts) g;
INSERT INTO records (tenant_id, object, id, data, owner_id, created_by, updated_by, search_text)
SELECT :'tid', 'contact', pg_temp.v7(g, 'c'),
       jsonb_build_object('first_name', 'First' || g, 'last_name', 'Last' || g,
                          'email', 'user' || g || '@example.com', 'phone', '+3314' || lpad(g::text, 7, '0'),
                          'account_id', pg_temp.v7(1 + g % :accounts, 'a')),
       :'uid', :'uid', :'uid', rp_search_norm('First' || g || ' Last' || g || ' user' || g || '@example.com')
FROM generate_series(1, :accounts * 20) g;
-- The small tenants: an admin each (the bench admin's password), the sales
-- module as `rapport tenant create` gives it, one in ten with a custom field
-- on account (its snapshot then copies that object), and 100 contacts each.
INSERT INTO tenants (id, slug, name) SELECT pg_temp.v7(g, 't'), 'small-' || g, 'Small ' || g
FROM generate_series(1, :small) g;
INSERT INTO tenant_modules (tenant_id, module, version)
SELECT id, 'sales', '1.0.0' FROM tenants WHERE slug LIKE 'small-%';
INSERT INTO field_defs (tenant_id, object, name, definition)
SELECT t.id, 'account', 'tier__c',
       '{"name": "tier__c", "type": "picklist", "label": "Tier", "values": ["gold", "silver"]}'
FROM generate_series(1, :small, 10) g JOIN tenants t ON t.slug = 'small-' || g;
INSERT INTO users (tenant_id, id, email, name, role, password_hash)
SELECT t.id, pg_temp.v7(g, 'u'), 'admin@small-' || g || '.example', 'Admin', 'admin',
       (SELECT password_hash FROM users WHERE tenant_id = :'tid')
FROM generate_series(1, :small) g JOIN tenants t ON t.slug = 'small-' || g;
INSERT INTO records (tenant_id, object, id, data, owner_id, created_by, updated_by, search_text)
SELECT u.tenant_id, 'contact', pg_temp.v7(g * 1000 + k, 's'),
       jsonb_build_object('last_name', 'Small' || k, 'email', 's' || k || '@small.example'),
       u.id, u.id, u.id, rp_search_norm('Small' || k || ' s' || k || '@small.example')
FROM generate_series(1, :small) g JOIN users u ON u.email = 'admin@small-' || g || '.example',
     generate_series(1, 100) k;
VACUUM ANALYZE records;
SQL
echo "loaded $((ACCOUNTS * 21)) records in tenant bench and $SMALL tenants of 100 records in $(($(date +%s) - t0)) s"

# wrk scripts: each request picks a random record or account id.
bench_psql rapport -Atc "SELECT id FROM records WHERE tenant_id = '$TID' AND object = 'contact' ORDER BY random() LIMIT 10000" >"$BENCH_WORK/contacts.txt"
bench_psql rapport -Atc "SELECT id FROM records WHERE tenant_id = '$TID' AND object = 'account' ORDER BY random() LIMIT 10000" >"$BENCH_WORK/accounts.txt"
cat >"$BENCH_WORK/ids.lua" <<LUA
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local prefix, suffix = os.getenv("BENCH_PREFIX"), os.getenv("BENCH_SUFFIX") or ""
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
    return wrk.format("GET", prefix .. ids[math.random(#ids)] .. suffix)
end
LUA
cat >"$BENCH_WORK/create.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
    n = n + 1
    return wrk.format(nil, nil, nil, '{"fields":{"first_name":"Bench","last_name":"Create' .. n ..
        '","email":"create' .. n .. '@bench.example"}}')
end
LUA

# The answers are right before they are fast.
one_id=$(head -1 "$BENCH_WORK/contacts.txt")
one_acc=$(head -1 "$BENCH_WORK/accounts.txt")
curl -sf -H "Authorization: Bearer $TOKEN" "$BENCH_URL/api/v1/records/contact/$one_id" | grep -q "\"id\":\"$one_id\""
n=$(curl -sf -H "Authorization: Bearer $TOKEN" \
    "$BENCH_URL/api/v1/records/contact?filter%5Baccount_id%5D%5Beq%5D=$one_acc&limit=20" | grep -o '"object":"contact"' | wc -l)
[[ $n == 20 ]] || { echo "the filtered list gave $n rows, not 20" >&2; exit 1; }

echo "machine: $(nproc) cores, $(uname -r); $ROWS records in one tenant, $SMALL small tenants"
bench_pgbench "$DURATION"
BENCH_IDS="$BENCH_WORK/contacts.txt" BENCH_PREFIX="/api/v1/records/contact/" \
    bench_wrk "GET /api/v1/records/contact/{id}" "$DURATION" -s "$BENCH_WORK/ids.lua" "$BENCH_URL"
BENCH_IDS="$BENCH_WORK/accounts.txt" BENCH_PREFIX="/api/v1/records/contact?limit=20&filter%5Baccount_id%5D%5Beq%5D=" \
    bench_wrk "GET /api/v1/records/contact?filter[account_id][eq]=..&limit=20" "$DURATION" \
    -s "$BENCH_WORK/ids.lua" "$BENCH_URL"
bench_wrk "POST /api/v1/records/contact" "$DURATION" -s "$BENCH_WORK/create.lua" \
    "$BENCH_URL/api/v1/records/contact"

# Every small tenant's metadata in the server's cache, then its memory.
t0=$(date +%s)
seq 1 "$SMALL" | xargs -P 4 -I{} sh -c '
    tok=$(curl -sf -H "Content-Type: application/json" \
        -d "{\"tenant\":\"small-{}\",\"email\":\"admin@small-{}.example\",\"password\":\"'"$BENCH_PASSWORD"'\"}" \
        "'"$BENCH_URL"'/api/v1/auth/login" | sed -E "s/.*\"access_token\":\"([^\"]+)\".*/\1/")
    curl -sf -o /dev/null -H "Authorization: Bearer $tok" "'"$BENCH_URL"'/api/v1/records/contact?limit=1"'
echo "metadata of $SMALL tenants loaded in $(($(date +%s) - t0)) s"
bench_rss
