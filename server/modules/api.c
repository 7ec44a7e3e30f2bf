#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/router.h"
#include "modules/internal.h"

/* The HTTP face of the registry: GET /api/v1/modules, enable and disable,
 * and the module actions under /api/v1/m/{module}/... */

/* One route per action, built at mount time and kept for the process's
 * life (the router borrows routes); route i serves action_of[i]. */
static rp_route_t *action_routes;
static const rp_maction_t **action_of;
static const rp_module_t **module_of;
static int nroutes;

/* Sets j[key] = v, taking v in every case; clears *ok on any failure. */
static void put(json_t *j, const char *key, json_t *v, bool *ok)
{
    if (v == NULL)
        *ok = false;
    else if (j == NULL)
        json_decref(v);
    else if (json_object_set_new(j, key, v) != 0)
        *ok = false;
}

static json_t *module_json(const rp_module_t *m, bool enabled, const char *enabled_at)
{
    json_t *deps = json_array();
    for (int i = 0; deps && i < m->ndepends; i++)
        json_array_append_new(deps, json_string(m->depends[i]));
    json_t *actions = json_array();
    for (int i = 0; actions && i < m->nactions; i++) {
        const rp_maction_t *a = &m->actions[i];
        const char *method = a->method == RP_ACTION_GET     ? "GET"
                             : a->method == RP_ACTION_POST  ? "POST"
                             : a->method == RP_ACTION_PUT   ? "PUT"
                             : a->method == RP_ACTION_PATCH ? "PATCH"
                                                            : "DELETE";
        json_array_append_new(actions, json_pack("{ssssss}", "method", method, "path", a->pattern,
                                                 "min_role", rp_role_name((rp_role_t)a->min_role)));
    }
    /* Jobs and Lua functions are listed here until the job runner and the
     * Lua bindings take them over. */
    json_t *jobs = json_array();
    for (int k = 0; jobs && k < m->njobs; k++)
        json_array_append_new(
            jobs, json_pack("{ssss}", "name", m->jobs[k].name, "schedule", m->jobs[k].schedule));
    json_t *luas = json_array();
    for (int k = 0; luas && k < m->nluas; k++)
        json_array_append_new(luas, json_string(m->luas[k].name));
    json_t *objects = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(m->objects, i, o)
    {
        const char *name = json_string_value(json_object_get(o, "name"));
        if (objects && name)
            json_array_append_new(objects, json_string(name));
    }
    json_t *j = json_pack("{sssssssbso}", "name", m->name, "version", m->version, "description",
                          m->description, "enabled", enabled, "enabled_at",
                          enabled_at ? json_string(enabled_at) : json_null());
    bool ok = j != NULL;
    put(j, "depends", deps, &ok);
    put(j, "objects", objects, &ok);
    put(j, "actions", actions, &ok);
    put(j, "hooks", json_integer(m->nhooks), &ok);
    put(j, "jobs", jobs, &ok);
    put(j, "lua_functions", luas, &ok);
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

void rp_modules_list_handler(rp_ctx_t *ctx)
{
    const char *p[] = {ctx->principal.tenant_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(
        ctx->db,
        "SELECT module, to_char(enabled_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM tenant_modules WHERE tenant_id = $1::uuid",
        1, p, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; items && i < rp_modules_nloaded; i++) {
        const rp_module_t *m = rp_modules_loaded[i];
        const char *at = NULL;
        for (int r = 0; r < rp_dbres_rows(res); r++)
            if (strcmp(rp_dbres_get(res, r, 0), m->name) == 0)
                at = rp_dbres_get(res, r, 1);
        json_t *j = module_json(m, at != NULL, at);
        if (j == NULL || json_array_append_new(items, j) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    rp_dbres_free(res);
    if (items == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    rp_resp_json(ctx, 200, json_pack("{so}", "items", items));
}

static void answer_unknown(rp_ctx_t *ctx, const char *name)
{
    char *detail = rp_pool_printf(&ctx->pool, "no module named %.40s", name);
    rp_resp_problem(ctx, 404, "not_found", detail ? detail : "no such module");
}

static void toggle(rp_ctx_t *ctx, bool enable)
{
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : "";
    const rp_module_t *m = rp_modules_name_valid(name) ? rp_modules_find(name) : NULL;
    if (m == NULL) {
        answer_unknown(ctx, name);
        return;
    }
    char why[512];
    rp_status_t st = enable ? rp_modules_tenant_enable(ctx, name, why, sizeof why)
                            : rp_modules_tenant_disable(ctx, name, why, sizeof why);
    if (st == RP_ENOTFOUND) {
        answer_unknown(ctx, name);
        return;
    }
    if (st == RP_ECONFLICT) {
        char *detail =
            enable ? rp_pool_printf(&ctx->pool, "enable %s first: %s depends on it", why, name)
                   : rp_pool_printf(&ctx->pool, "disable %s first: it depends on %s", why, name);
        rp_resp_problem(ctx, 409, enable ? "dependency_not_enabled" : "module_required",
                        detail ? detail : "dependencies");
        return;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    rp_log_info("module %s %s for tenant %s", name, enable ? "enabled" : "disabled",
                ctx->principal.tenant_id);
    json_t *j = module_json(m, enable, NULL);
    if (j == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    rp_resp_json(ctx, 200, j);
}

void rp_modules_enable_handler(rp_ctx_t *ctx)
{
    toggle(ctx, true);
}

void rp_modules_disable_handler(rp_ctx_t *ctx)
{
    toggle(ctx, false);
}

/* Serves every module action: the tenant must have the module enabled (else
 * 404 exactly like a path that does not exist), and the caller must have
 * the action's role. */
static void action_handler(rp_ctx_t *ctx)
{
    ptrdiff_t i = ctx->route - action_routes;
    if (action_routes == NULL || i < 0 || i >= nroutes) {
        rp_resp_problem(ctx, 500, "internal", "unknown module route");
        return;
    }
    const rp_module_t *m = module_of[i];
    const rp_maction_t *a = action_of[i];
    const char *p[] = {ctx->principal.tenant_id, m->name};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(
        ctx->db, "SELECT 1 FROM tenant_modules WHERE tenant_id = $1::uuid AND module = $2", 2, p,
        &res);
    int rows = rp_dbres_rows(res);
    rp_dbres_free(res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (rows == 0) {
        rp_resp_problem(ctx, 404, "not_found", "no resource at this path");
        return;
    }
    if ((int)ctx->principal.role < (int)a->min_role) {
        rp_resp_problem(ctx, 403, "forbidden", "your role does not allow this");
        return;
    }
    rp_mctx_t mc = {.ctx = ctx, .mod = m};
    rp_mstatus_t ms = a->fn(&mc, a->user);
    if (ms != RP_M_OK || ctx->res.status == 0) {
        rp_log_error("module %s: action %s failed (status %d)%s%s", m->name, a->pattern, (int)ms,
                     mc.failure[0] ? ": " : "", mc.failure);
        if (ctx->res.status == 0 || ms != RP_M_OK) {
            if (ms == RP_M_ENOTFOUND)
                rp_resp_problem(ctx, 404, "not_found", "no such record");
            else if (ms == RP_M_EFORBIDDEN)
                rp_resp_problem(ctx, 403, "forbidden", "you may not do this");
            else if (ctx->res.status == 0 || ctx->res.status < 400)
                rp_resp_problem(ctx, 500, "internal", "the module failed");
        }
    }
}

void rp_modules_routes_free(void)
{
    free(action_routes);
    free(action_of);
    free(module_of);
    action_routes = NULL;
    action_of = NULL;
    module_of = NULL;
    nroutes = 0;
}

static const rp_route_t modules_routes[] = {
    {RP_GET, "/api/v1/modules", rp_modules_list_handler, 0, RP_ROLE_READONLY},
    {RP_POST, "/api/v1/modules/{name}/enable", rp_modules_enable_handler, 0, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/modules/{name}/disable", rp_modules_disable_handler, 0, RP_ROLE_ADMIN},
};

static unsigned method_bits(rp_action_method_t m)
{
    switch (m) {
    case RP_ACTION_GET:
        return RP_GET | RP_HEAD;
    case RP_ACTION_POST:
        return RP_POST;
    case RP_ACTION_PUT:
        return RP_PUT;
    case RP_ACTION_PATCH:
        return RP_PATCH;
    default:
        return RP_DELETE;
    }
}

rp_status_t rp_modules_mount(rp_router_t *router)
{
    rp_status_t st = rp_router_add(router, modules_routes,
                                   (int)(sizeof modules_routes / sizeof modules_routes[0]));
    if (st != RP_OK || action_routes != NULL)
        return st;
    int n = 0;
    for (int i = 0; i < rp_modules_nloaded; i++)
        n += rp_modules_loaded[i]->nactions;
    if (n == 0)
        return RP_OK;
    action_routes = calloc((size_t)n, sizeof *action_routes);
    action_of = calloc((size_t)n, sizeof *action_of);
    module_of = calloc((size_t)n, sizeof *module_of);
    if (action_routes == NULL || action_of == NULL || module_of == NULL)
        return RP_ENOMEM;
    for (int i = 0; i < rp_modules_nloaded; i++) {
        const rp_module_t *m = rp_modules_loaded[i];
        for (int k = 0; k < m->nactions; k++) {
            /* min_role readonly lets every authenticated caller reach the
             * handler, which answers 404 for a tenant without the module
             * before it checks the action's own role. */
            action_routes[nroutes] =
                (rp_route_t){method_bits(m->actions[k].method), m->actions[k].pattern,
                             action_handler, 0, RP_ROLE_READONLY};
            action_of[nroutes] = &m->actions[k];
            module_of[nroutes] = m;
            nroutes++;
        }
    }
    return rp_router_add(router, action_routes, nroutes);
}
