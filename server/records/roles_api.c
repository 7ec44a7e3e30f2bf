#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "http/router.h"
#include "records/perm.h"
#include "records/role_doc.h"
#include "records/roles_api.h"
#include "records/routes.h"

/* Roles are the tenant's security settings (they tell who may see what), so
 * reading them is for admins as well as changing them. */
static const rp_route_t routes[] = {
    {RP_GET, "/api/v1/roles", rp_roles_api_list, RP_ROUTE_READ, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/roles", rp_roles_api_create, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/roles/{name}", rp_roles_api_get, RP_ROUTE_READ, RP_ROLE_ADMIN},
    {RP_PATCH, "/api/v1/roles/{name}", rp_roles_api_patch, 0, RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/roles/{name}", rp_roles_api_delete, 0, RP_ROLE_ADMIN},
    /* Every signed-in caller may ask what it may do itself. */
    {RP_GET, "/api/v1/permissions", rp_roles_api_mine, RP_ROUTE_READ | RP_ROUTE_LOOP,
     RP_ROLE_READONLY},
};

rp_status_t rp_records_roles_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}

static const char *const builtins[] = {"admin", "manager", "user", "readonly"};

#define ROLE_COLS "name, label, base, definition::text"

static json_t *row_json(const rp_dbres_t *res, int i)
{
    json_t *def = json_loads(rp_dbres_get(res, i, 3), 0, NULL);
    json_t *objects = json_object_get(def, "objects");
    json_t *row = json_pack("{s:s, s:s, s:s, s:O}", "name", rp_dbres_get(res, i, 0), "label",
                            rp_dbres_get(res, i, 1), "base", rp_dbres_get(res, i, 2), "objects",
                            objects ? objects : json_null());
    json_decref(def);
    return row;
}

json_t *rp_roles_api_load(rp_ctx_t *ctx, const char *name, bool lock, rp_status_t *st)
{
    const char *params[] = {ctx->principal.tenant_id, name};
    rp_dbres_t *res = NULL;
    *st = rp_db_exec(ctx->db,
                     lock ? "SELECT " ROLE_COLS " FROM roles WHERE tenant_id = $1 AND name = $2 "
                            "FOR UPDATE"
                          : "SELECT " ROLE_COLS " FROM roles WHERE tenant_id = $1 AND name = $2",
                     2, params, &res);
    json_t *row = NULL;
    if (*st == RP_OK && rp_dbres_rows(res) != 1)
        *st = RP_ENOTFOUND;
    if (*st == RP_OK && (row = row_json(res, 0)) == NULL)
        *st = RP_ENOMEM;
    rp_dbres_free(res);
    return row;
}

json_t *rp_roles_api_json(const char *name, const json_t *row)
{
    rp_role_t builtin = rp_role_is_builtin(name) ? rp_role_parse(name) : RP_ROLE_NONE;
    const char *label = json_string_value(json_object_get(row, "label"));
    if ((label == NULL || label[0] == '\0') && builtin != RP_ROLE_NONE)
        label = rp_role_builtin_label(builtin);
    const char *base =
        builtin != RP_ROLE_NONE ? name : json_string_value(json_object_get(row, "base"));
    /* admin is never stored: it always has every right. */
    json_t *objects = row != NULL && builtin != RP_ROLE_ADMIN
                          ? rp_role_doc_normalize(json_object_get(row, "objects"))
                          : rp_role_doc_builtin(builtin);
    if (objects == NULL)
        return NULL;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", name, "label", label ? label : "", "base",
                  base ? base : "", "builtin", builtin != RP_ROLE_NONE, "objects", objects);
    if (j != NULL && builtin != RP_ROLE_NONE &&
        json_object_set_new(j, "overridden", json_boolean(row != NULL)) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

void rp_roles_api_not_found(rp_ctx_t *ctx, const char *name)
{
    char *detail = rp_pool_printf(&ctx->pool, "there is no role named \"%.64s\"", name);
    rp_resp_problem(ctx, 404, "not_found", detail ? detail : "no such role");
}

void rp_roles_api_list(rp_ctx_t *ctx)
{
    const char *params[] = {ctx->principal.tenant_id};
    rp_dbres_t *res = NULL;
    json_t *data = json_array(), *rows = json_object();
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT " ROLE_COLS " FROM roles WHERE tenant_id = $1 "
                                "ORDER BY name",
                                1, params, &res);
    if (st != RP_OK)
        goto fail;
    st = RP_ENOMEM;
    if (data == NULL || rows == NULL)
        goto fail;
    int n = rp_dbres_rows(res);
    for (int i = 0; i < n; i++)
        if (json_object_set_new(rows, rp_dbres_get(res, i, 0), row_json(res, i)) != 0)
            goto fail;
    /* The built-in roles first, in rank order, then the custom ones by name. */
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (json_array_append_new(
                data, rp_roles_api_json(builtins[i], json_object_get(rows, builtins[i]))) != 0)
            goto fail;
    for (int i = 0; i < n; i++) {
        const char *name = rp_dbres_get(res, i, 0);
        if (!rp_role_is_builtin(name) &&
            json_array_append_new(data, rp_roles_api_json(name, json_object_get(rows, name))) != 0)
            goto fail;
    }
    rp_dbres_free(res);
    json_decref(rows);
    rp_resp_json(ctx, 200, json_pack("{s:o}", "data", data));
    return;
fail:
    rp_dbres_free(res);
    json_decref(rows);
    json_decref(data);
    rp_resp_fail(ctx, st);
}

void rp_roles_api_get(rp_ctx_t *ctx)
{
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : "";
    if (!rp_role_name_valid(name)) {
        rp_roles_api_not_found(ctx, name);
        return;
    }
    rp_status_t st = RP_OK;
    json_t *row = strcmp(name, "admin") == 0 ? NULL : rp_roles_api_load(ctx, name, false, &st);
    if (st == RP_ENOTFOUND && !rp_role_is_builtin(name)) {
        rp_roles_api_not_found(ctx, name);
        return;
    }
    if (st != RP_OK && st != RP_ENOTFOUND) {
        rp_resp_fail(ctx, st);
        return;
    }
    json_t *j = rp_roles_api_json(name, row);
    json_decref(row);
    if (j == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, j);
}

void rp_roles_api_mine(rp_ctx_t *ctx)
{
    const rp_meta_t *m = NULL;
    rp_status_t st = rp_meta_acquire(ctx, &m);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    const rp_principal_t *pr = &ctx->principal;
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    json_t *objects = json_object();
    for (int i = 0; objects != NULL && i < n; i++) {
        rp_access_t a;
        rp_perm_access(ctx, m, objs[i], &a);
        if (json_object_set_new(objects, objs[i]->name, rp_role_doc_access_json(&a, objs[i])) !=
            0) {
            json_decref(objects);
            objects = NULL;
        }
    }
    json_t *j = objects
                    ? json_pack("{s:s, s:o, s:o}", "role", rp_role_name(pr->role), "access_role",
                                pr->access_role[0] ? json_string(pr->access_role) : json_null(),
                                "objects", objects)
                    : NULL;
    if (j == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, j);
}
