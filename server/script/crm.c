#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/uuid.h"
#include "db/db.h"
#include "script/internal.h"

/* Longest text crm.json.decode accepts: jansson's memory is not the
 * state's, so the input is what bounds it. */
#define DECODE_MAX (1u << 20)

static rp_ctx_t *ctx_of(lua_State *L, rp_sbox_run_t **run)
{
    rp_ctx_t *ctx = NULL;
    rp_sbox_run_t *r = rp_sbox_current(L, &ctx);
    if (run)
        *run = r;
    if (ctx == NULL || r == NULL)
        luaL_error(L, "crm is only available while a script runs");
    return ctx;
}

/* Ends the script for a refusal that the request must fail with: the
 * refusal moves to the run, where the host finds it. */
static int refuse(lua_State *L, rp_ctx_t *ctx, rp_sbox_run_t *run, rp_script_refusal_t *ref)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %.250s", ref->code, ref->detail);
    rp_script_refusal_t *keep = rp_pool_alloc(&ctx->pool, sizeof *keep);
    if (keep != NULL && run->nested == NULL) {
        *keep = *ref;
        memset(ref, 0, sizeof *ref);
        run->nested = keep;
    } else {
        rp_script_refusal_clear(ref);
    }
    return rp_sbox_abort(L, NULL, "%s", msg);
}

/* The static name of a governor limit (the sandbox keeps the pointer). */
static const char *limit_name(const char *name)
{
    static const char *const names[] = {"queries", "records_read", "records_written",
                                        "trigger_depth", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    return "governor";
}

/* Turns a records call's outcome into Lua: the value, a catchable error
 * for a bad request, or the end of the script for anything the request
 * must fail with. */
static int finish(lua_State *L, rp_ctx_t *ctx, rp_sbox_run_t *run, rp_status_t st, json_t *out,
                  rp_script_refusal_t *ref, const char *msg)
{
    if (st == RP_OK) {
        if (out == NULL || json_is_null(out))
            lua_pushnil(L);
        else
            rp_lua_push_json(L, out);
        json_decref(out);
        return 1;
    }
    json_decref(out);
    if (ref != NULL && ref->status != 0)
        return refuse(L, ctx, run, ref);
    if (st == RP_EINVAL)
        return luaL_error(L, "%s", msg);
    if (st == RP_ELIMIT)
        return rp_sbox_abort(L, limit_name(msg), "%s limit reached", msg);
    rp_script_refusal_t local = {0};
    if (st == RP_EDB_UNAVAILABLE) {
        local.status = 503;
        snprintf(local.code, sizeof local.code, "database_unavailable");
        snprintf(local.detail, sizeof local.detail, "the database is unreachable");
    } else {
        local.status = 500;
        snprintf(local.code, sizeof local.code, "internal");
        snprintf(local.detail, sizeof local.detail, "%s",
                 msg[0] ? msg : "a records call of the script failed");
    }
    return refuse(L, ctx, run, &local);
}

static int push_protected(lua_State *L);
static int push_result(lua_State *L, rp_ctx_t *ctx, rp_sbox_run_t *run, rp_status_t st, json_t *out,
                       const char *msg);

static int crm_get(lua_State *L)
{
    const char *object = luaL_checkstring(L, 1), *id = luaL_checkstring(L, 2);
    rp_sbox_run_t *run;
    rp_ctx_t *ctx = ctx_of(L, &run);
    json_t *out = NULL;
    char msg[256] = "";
    rp_status_t st = rp_script_rec_get(ctx, object, id, &out, msg, sizeof msg);
    return push_result(L, ctx, run, st, out, msg);
}

/* finish() for a result whose conversion must not leak it. */
static int push_result(lua_State *L, rp_ctx_t *ctx, rp_sbox_run_t *run, rp_status_t st, json_t *out,
                       const char *msg)
{
    if (st != RP_OK || out == NULL || json_is_null(out))
        return finish(L, ctx, run, st, out, NULL, msg);
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, out);
    int rc = lua_pcall(L, 1, 1, 0);
    json_decref(out);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

static json_t *arg_json(lua_State *L, int idx, const char *what)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    luaL_checktype(L, idx, LUA_TTABLE);
    char err[200];
    json_t *j = rp_lua_to_json(L, idx, err, sizeof err);
    if (j == NULL)
        luaL_error(L, "%s: %s", what, err);
    return j;
}

static int crm_query(lua_State *L)
{
    const char *object = luaL_checkstring(L, 1);
    rp_sbox_run_t *run;
    rp_ctx_t *ctx = ctx_of(L, &run);
    json_t *filter = arg_json(L, 2, "filter");
    json_t *opts = NULL;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        char err[200];
        opts = rp_lua_to_json(L, 3, err, sizeof err);
        if (opts == NULL) {
            json_decref(filter);
            return luaL_error(L, "opts: %s", err);
        }
    }
    json_t *out = NULL;
    char msg[256] = "";
    rp_status_t st = rp_script_rec_query(ctx, object, filter, opts, &out, msg, sizeof msg);
    json_decref(filter);
    json_decref(opts);
    if (st == RP_OK && json_array_size(out) == 0) {
        json_decref(out);
        lua_newtable(L);
        return 1;
    }
    return push_result(L, ctx, run, st, out, msg);
}

static int write(lua_State *L, const char *verb)
{
    const char *object = luaL_checkstring(L, 1);
    int next = 2;
    const char *id = NULL;
    if (strcmp(verb, "create") != 0)
        id = luaL_checkstring(L, next++);
    rp_sbox_run_t *run;
    rp_ctx_t *ctx = ctx_of(L, &run);
    json_t *fields = NULL;
    if (strcmp(verb, "delete") != 0) {
        luaL_checktype(L, next, LUA_TTABLE);
        fields = arg_json(L, next, "fields");
        if (fields == NULL || !json_is_object(fields)) {
            json_decref(fields);
            fields = json_object();
        }
    }
    /* opts.owner_id: who owns the record (create, update). */
    json_t *owner = NULL;
    if (fields != NULL && !lua_isnoneornil(L, next + 1)) {
        luaL_checktype(L, next + 1, LUA_TTABLE);
        int t = lua_getfield(L, next + 1, "owner_id");
        if (t == LUA_TSTRING) {
            owner = json_string(lua_tostring(L, -1));
        } else if (t == LUA_TLIGHTUSERDATA) {
            owner = json_null();
        } else if (t != LUA_TNIL) {
            json_decref(fields);
            return luaL_error(L, "opts.owner_id must be a user id");
        }
        lua_pop(L, 1);
    }
    json_t *out = NULL;
    rp_script_refusal_t ref = {0};
    char msg[256] = "";
    rp_status_t st =
        rp_script_rec_write(ctx, verb, object, id, fields, owner, &out, &ref, msg, sizeof msg);
    json_decref(fields);
    json_decref(owner);
    if (st == RP_OK)
        return push_result(L, ctx, run, st, out, msg);
    return finish(L, ctx, run, st, out, &ref, msg);
}

static int crm_create(lua_State *L)
{
    return write(L, "create");
}

static int crm_update(lua_State *L)
{
    return write(L, "update");
}

static int crm_delete(lua_State *L)
{
    int n = write(L, "delete");
    lua_pushboolean(L, 1);
    return n > 0 ? 1 : 0;
}

static int crm_error(lua_State *L)
{
    const char *field = luaL_checkstring(L, 1);
    const char *message = luaL_optstring(L, 2, "is not valid");
    rp_sbox_run_t *run;
    ctx_of(L, &run);
    json_t *m = json_string(message);
    if (m == NULL || json_object_set_new(run->errors, field, m) != 0)
        return luaL_error(L, "crm.error: field and message must be UTF-8 text");
    return 0;
}

static int crm_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts.tv_nsec / 1000000L);
    lua_pushstring(L, buf);
    return 1;
}

static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    char err[200];
    json_t *j = rp_lua_to_json(L, 1, err, sizeof err);
    if (j == NULL)
        return luaL_error(L, "crm.json.encode: %s", err);
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (s == NULL)
        return luaL_error(L, "crm.json.encode: out of memory");
    lua_pushstring(L, s);
    free(s);
    return 1;
}

static int push_protected(lua_State *L)
{
    rp_lua_push_json(L, lua_touserdata(L, 1));
    return 1;
}

static int json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (len > DECODE_MAX)
        return luaL_error(L, "crm.json.decode: text longer than %u bytes", DECODE_MAX);
    json_error_t e;
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY, &e);
    if (j == NULL)
        return luaL_error(L, "crm.json.decode: %s at line %d", e.text, e.line);
    /* Pushed under a protected call, so that running out of the state's
     * memory midway cannot leak j. */
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, j);
    int rc = lua_pcall(L, 1, 1, 0);
    json_decref(j);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

static bool kind_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 63 || k[0] < 'a' || k[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
              k[i] == '.'))
            return false;
    return true;
}

static int crm_enqueue(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    if (!kind_valid(kind))
        return luaL_error(L, "crm.enqueue: kind must match [a-z][a-z0-9_.]{0,62}");
    rp_sbox_run_t *run;
    rp_ctx_t *ctx = ctx_of(L, &run);
    char err[200];
    json_t *payload = lua_isnoneornil(L, 2) ? json_null() : rp_lua_to_json(L, 2, err, sizeof err);
    if (payload == NULL)
        return luaL_error(L, "crm.enqueue: payload: %s", err);
    char *text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(payload);
    if (text == NULL)
        return luaL_error(L, "crm.enqueue: out of memory");
    const char *limit = NULL;
    if (!rp_script_gov_take(ctx, 1, 0, 0, &limit)) {
        free(text);
        return rp_sbox_abort(L, limit, "%s limit reached", limit);
    }
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *p[] = {ctx->principal.tenant_id, id, run->script_id, kind, text};
    rp_status_t st = rp_db_exec(ctx->db,
                                "INSERT INTO script_jobs (tenant_id, id, script_id, kind, payload) "
                                "VALUES ($1, $2, $3::uuid, $4, $5::jsonb)",
                                5, p, NULL);
    free(text);
    if (st != RP_OK)
        return finish(L, ctx, run, st, NULL, NULL, "crm.enqueue failed");
    lua_pushstring(L, id);
    return 1;
}

static int crm_user(lua_State *L)
{
    rp_ctx_t *ctx = ctx_of(L, NULL);
    lua_createtable(L, 0, 3);
    if (ctx->principal.user_id[0]) {
        lua_pushstring(L, ctx->principal.user_id);
        lua_setfield(L, -2, "id");
    }
    lua_pushstring(L, rp_role_name(ctx->principal.role));
    lua_setfield(L, -2, "role");
    lua_pushstring(L, ctx->principal.access_role[0] ? ctx->principal.access_role
                                                    : rp_role_name(ctx->principal.role));
    lua_setfield(L, -2, "access_role");
    return 1;
}

static int crm_tenant(lua_State *L)
{
    rp_ctx_t *ctx = ctx_of(L, NULL);
    lua_createtable(L, 0, 1);
    lua_pushstring(L, ctx->principal.tenant_id);
    lua_setfield(L, -2, "id");
    return 1;
}

void rp_crm_open(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"get", crm_get},       {"query", crm_query},   {"create", crm_create},
        {"update", crm_update}, {"delete", crm_delete}, {"error", crm_error},
        {"log", rp_sbox_log},   {"now", crm_now},       {"enqueue", crm_enqueue},
        {"user", crm_user},     {"tenant", crm_tenant}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, json_encode);
    lua_setfield(L, -2, "encode");
    lua_pushcfunction(L, json_decode);
    lua_setfield(L, -2, "decode");
    rp_lua_push_null(L);
    lua_setfield(L, -2, "null");
    rp_sbox_freeze(L);
    lua_setfield(L, -2, "json");
}
