#!/usr/bin/env bash
# What extension costs, each as a ratio of two measures taken in one run:
# a create on a module object with one before hook beside the same create on
# an equivalent custom object without one (issue 4, item 6); a create with a
# trivial Lua before_create trigger beside the same create without it, and a
# cached Lua custom endpoint beside GET /api/v1/me (issue 5, item 8).
# Usage: tests/bench/bench_hooks.sh [seconds]
set -euo pipefail
DURATION=${1:-10}
source "$(dirname "$0")/lib.sh"
export RAPPORT_PWHASH=fast
export RAPPORT_MODULE_DIR="$BENCH_BUILD/rapport-modules"

bench_build
cmake --build "$BENCH_BUILD" -j"$(nproc)" --target rpmod_example >/dev/null
bench_tenant bench
bench_serve
TOKEN=$(bench_login bench)
AUTH="Authorization: Bearer $TOKEN"
api() { # METHOD PATH [JSON]: fails the script unless the answer is 2xx
    curl -sf -X "$1" -H "$AUTH" -H 'Content-Type: application/json' ${3:+-d "$3"} \
        "$BENCH_URL$2" >/dev/null || { echo "$1 $2 failed" >&2; exit 1; }
}

api POST /api/v1/modules/example/enable
# The module's greeting (text, code, language), and the same fields on a
# custom object with no hook.
api POST /api/v1/objects '{"name":"plain__c","label":"Plain","fields":[
 {"name":"text__c","type":"text","required":true,"searchable":true},
 {"name":"code__c","type":"text","max_length":16},
 {"name":"language__c","type":"picklist","values":["en","fr","es"],"default":"en"}]}'
api POST /api/v1/scripts '{"name":"ping","kind":"endpoint","roles":["admin"],
 "code":"local req = ... return {ok = true, n = req.body.n}"}'
api POST /api/v1/scripts/ping/run '{"n":1}'

post_lua() { # the wrk script for POST $1 with body $2
    cat >"$BENCH_WORK/$3.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$2'
LUA
}
post_lua /api/v1/records/greeting '{"fields":{"text":"Hello","code":"ab-1"}}' greeting
post_lua /api/v1/records/plain__c '{"fields":{"text__c":"Hello","code__c":"AB-1"}}' plain
post_lua /api/v1/records/contact '{"fields":{"last_name":"Bench"}}' contact
post_lua /api/v1/scripts/ping/run '{"n":1}' ping

rate() { # name url script: prints the line, leaves RPS
    bench_wrk "$1" "$DURATION" -s "$BENCH_WORK/$3.lua" "$BENCH_URL$2"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "machine: $(nproc) cores, $(uname -r)"
rate "POST /api/v1/records/plain__c (no hook)" /api/v1/records/plain__c plain
NOHOOK=$RPS
rate "POST /api/v1/records/greeting (one module before hook)" /api/v1/records/greeting greeting
echo "module layer: create with a hook / without = $(ratio "$RPS" "$NOHOOK") (target >= 0.95)"

rate "POST /api/v1/records/contact (no trigger)" /api/v1/records/contact contact
NOTRIG=$RPS
api POST /api/v1/scripts '{"name":"trivial","kind":"trigger","object":"contact",
 "events":["before_create"],"code":"local ev = ... ev.new.first_name = ev.new.first_name or \"x\""}'
rate "POST /api/v1/records/contact (trivial before_create trigger)" /api/v1/records/contact contact
echo "Lua trigger: create with / without = $(ratio "$RPS" "$NOTRIG") (target >= 0.90)"

bench_wrk "GET /api/v1/me" "$DURATION" -H "$AUTH" "$BENCH_URL/api/v1/me"
ME=$RPS
rate "POST /api/v1/scripts/ping/run (cached endpoint)" /api/v1/scripts/ping/run ping
echo "Lua endpoint / GET /api/v1/me = $(ratio "$RPS" "$ME") (target >= 0.70)"
bench_rss
