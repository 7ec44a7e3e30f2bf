#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "modules/modules.h"
#include "script/internal.h"

/* rapport.<module>.<name>: the functions modules offer to scripts. Every
 * loaded module's functions are in every state; a call checks that the
 * caller's tenant enabled the module (one query, counted like crm's). */

static int push_protected(lua_State *L)
{
    rp_lua_push_json(L, lua_touserdata(L, 1));
    return 1;
}

static int call(lua_State *L)
{
    int mi = (int)lua_tointeger(L, lua_upvalueindex(1));
    int fi = (int)lua_tointeger(L, lua_upvalueindex(2));
    const rp_module_t *m = rp_modules_at(mi);
    rp_ctx_t *ctx = NULL;
    rp_sbox_run_t *run = rp_sbox_current(L, &ctx);
    if (m == NULL || run == NULL || ctx == NULL)
        return luaL_error(L, "module functions are only available while a script runs");
    const char *limit;
    if (!rp_script_gov_take(ctx, 1, 0, 0, &limit))
        return rp_sbox_abort(L, limit, "%s limit reached", limit);
    rp_modset_t set = {0};
    rp_status_t st =
        ctx->db ? rp_modules_enabled(ctx->db, ctx->principal.tenant_id, &set) : RP_EDB_UNAVAILABLE;
    if (st != RP_OK)
        return rp_sbox_abort(L, NULL, "rapport.%s: %s", m->name, rp_status_name(st));
    if (!rp_modset_has(&set, m))
        return luaL_error(L, "module %s is not enabled for this tenant", m->name);
    json_t *args = json_array();
    int n = lua_gettop(L);
    for (int i = 1; args && i <= n; i++) {
        char err[200];
        json_t *v = rp_lua_to_json(L, i, err, sizeof err);
        if (v == NULL) {
            json_decref(args);
            return luaL_error(L, "rapport.%s.%s: argument %d: %s", m->name, m->luas[fi].name, i,
                              err);
        }
        json_array_append_new(args, v);
    }
    if (args == NULL)
        return luaL_error(L, "out of memory");
    json_t *out = NULL;
    char why[256] = "";
    st = rp_modules_call_lua(ctx, m, fi, args, &out, why, sizeof why);
    json_decref(args);
    if (st != RP_OK) {
        json_decref(out);
        /* The module may have written before failing: the request must not
         * go on as if nothing happened. */
        return rp_sbox_abort(L, NULL, "rapport.%s.%s failed: %s", m->name, m->luas[fi].name,
                             why[0] ? why : rp_status_name(st));
    }
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, out);
    int rc = lua_pcall(L, 1, 1, 0);
    json_decref(out);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

void rp_modlua_open(lua_State *L)
{
    lua_newtable(L);
    for (int mi = 0; mi < rp_modules_count(); mi++) {
        const rp_module_t *m = rp_modules_at(mi);
        if (m == NULL || m->nluas == 0)
            continue;
        lua_createtable(L, 0, m->nluas);
        for (int fi = 0; fi < m->nluas; fi++) {
            lua_pushinteger(L, mi);
            lua_pushinteger(L, fi);
            lua_pushcclosure(L, call, 2);
            lua_setfield(L, -2, m->luas[fi].name);
        }
        rp_sbox_freeze(L);
        lua_setfield(L, -2, m->name);
    }
    rp_sbox_freeze(L);
}
