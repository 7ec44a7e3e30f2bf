#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/input.h"
#include "core/utf8.h"
#include "db/db.h"
#include "records/meta_api.h"
#include "records/role_doc.h"
#include "records/roles_api.h"

/* Checks the members create and patch share (label, base, objects), adding
 * per-member errors; *label, *base and *objects (normalized, new
 * reference) are set for the members present. builtin names the built-in
 * role being overridden, or is NULL for a custom role. */
static void check_members(const rp_meta_t *m, json_t *body, const char *builtin, json_t *errors,
                          const char **label, const char **base, json_t **objects)
{
    json_t *jl = json_object_get(body, "label");
    if (json_is_null(jl)) {
        *label = "";
    } else if (rp_input_string(body, "label", label, errors) && *label != NULL) {
        long n = rp_utf8_length(*label);
        if (n < 0 || n > RP_ROLE_LABEL_MAX || strlen(*label) != json_string_length(jl))
            rp_input_error(errors, "label", "must be at most 200 characters");
    }
    if (rp_input_string(body, "base", base, errors) && *base != NULL) {
        if (builtin != NULL && strcmp(*base, builtin) != 0)
            rp_input_error(errors, "base", "a built-in role's base is the role itself");
        else if (builtin == NULL && strcmp(*base, "manager") != 0 && strcmp(*base, "user") != 0 &&
                 strcmp(*base, "readonly") != 0)
            rp_input_error(errors, "base", "must be manager, user or readonly");
    }
    json_t *jo = json_object_get(body, "objects");
    if (jo == NULL)
        return;
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    if (rp_role_doc_check(jo, objs, n, true, errors) == RP_OK)
        *objects = rp_role_doc_normalize(jo);
}

/* Inserts or replaces the stored row of role name. */
static rp_status_t store(rp_ctx_t *ctx, const char *name, const char *label, const char *base,
                         json_t *objects, bool upsert)
{
    json_t *def = json_pack("{s:O}", "objects", objects);
    char *text = def ? json_dumps(def, JSON_COMPACT) : NULL;
    json_decref(def);
    if (text == NULL)
        return RP_ENOMEM;
    const char *params[] = {ctx->principal.tenant_id, name, label, base, text};
    rp_status_t st = rp_db_exec(
        ctx->db,
        upsert ? "INSERT INTO roles (tenant_id, name, label, base, definition) "
                 "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (tenant_id, name) DO UPDATE "
                 "SET label = EXCLUDED.label, base = EXCLUDED.base, "
                 "definition = EXCLUDED.definition, updated_at = now()"
               : "INSERT INTO roles (tenant_id, name, label, base, definition) "
                 "VALUES ($1, $2, $3, $4, $5::jsonb)",
        5, params, NULL);
    free(text);
    return st;
}

/* Answers the role as stored now: {"name","label","base","objects"}. */
static void answer(rp_ctx_t *ctx, int status, const char *name, const char *label, const char *base,
                   json_t *objects)
{
    json_t *row = json_pack("{s:s, s:s, s:s, s:O}", "name", name, "label", label, "base", base,
                            "objects", objects);
    json_t *j = row ? rp_roles_api_json(name, row) : NULL;
    json_decref(row);
    if (j == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    if (status == 201) {
        char *loc = rp_pool_printf(&ctx->pool, "/api/v1/roles/%s", name);
        if (loc != NULL)
            rp_resp_header(ctx, "Location", loc);
    }
    rp_resp_json(ctx, status, j);
}

void rp_roles_api_create(rp_ctx_t *ctx)
{
    static const char *const members[] = {"name", "label", "base", "objects", NULL};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object(), *objects = NULL;
    const char *name = NULL, *label = NULL, *base = NULL;
    const rp_meta_t *m = NULL;
    if (errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (!rp_input_known_fields(ctx, body, members) || (m = rp_meta_api_snapshot(ctx)) == NULL)
        goto done;
    if (rp_input_required_string(body, "name", &name, errors)) {
        if (rp_role_is_builtin(name))
            rp_input_error(errors, "name",
                           "is a built-in role: change it with PATCH /api/v1/roles/{name}");
        else if (!rp_role_name_valid(name))
            rp_input_error(errors, "name",
                           "must start with a lower-case letter, hold only a-z, 0-9 and _ and be "
                           "at most 63 characters long");
    }
    check_members(m, body, NULL, errors, &label, &base, &objects);
    bool failed = rp_input_fail(ctx, errors);
    errors = NULL;
    if (failed)
        goto done;
    if (objects == NULL && (objects = json_object()) == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    label = label ? label : "";
    base = base ? base : "user";
    rp_status_t st = store(ctx, name, label, base, objects, false);
    if (st == RP_ECONFLICT) {
        char *detail = rp_pool_printf(&ctx->pool, "a role named %s already exists", name);
        rp_resp_problem_fields(ctx, 409, "duplicate", detail ? detail : "the role exists",
                               json_pack("{s:s}", "name", "is already taken"));
        goto done;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (rp_meta_api_changed(ctx))
        answer(ctx, 201, name, label, base, objects);
done:
    json_decref(objects);
    json_decref(errors);
    json_decref(body);
}

static void fixed(rp_ctx_t *ctx)
{
    rp_resp_problem(ctx, 422, "role_fixed",
                    "admin is fixed: it always has every right and cannot be changed");
}

void rp_roles_api_patch(rp_ctx_t *ctx)
{
    static const char *const members[] = {"label", "base", "objects", NULL};
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : "";
    if (!rp_role_name_valid(name)) {
        rp_roles_api_not_found(ctx, name);
        return;
    }
    if (strcmp(name, "admin") == 0) {
        fixed(ctx);
        return;
    }
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object(), *objects = NULL, *row = NULL;
    const char *label = NULL, *base = NULL;
    const rp_meta_t *m = NULL;
    bool builtin = rp_role_is_builtin(name);
    if (errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (!rp_input_known_fields(ctx, body, members) || (m = rp_meta_api_snapshot(ctx)) == NULL)
        goto done;
    rp_status_t st;
    row = rp_roles_api_load(ctx, name, true, &st);
    if (st == RP_ENOTFOUND && !builtin) {
        rp_roles_api_not_found(ctx, name);
        goto done;
    }
    if (st != RP_OK && st != RP_ENOTFOUND) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    /* A built-in role not overridden yet starts from its defaults. */
    if (row == NULL &&
        (row = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "label", "", "base", name, "objects",
                         rp_role_doc_builtin(rp_role_parse(name)))) == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    check_members(m, body, builtin ? name : NULL, errors, &label, &base, &objects);
    bool failed = rp_input_fail(ctx, errors);
    errors = NULL;
    if (failed)
        goto done;
    if (label == NULL)
        label = json_string_value(json_object_get(row, "label"));
    if (base == NULL)
        base = json_string_value(json_object_get(row, "base"));
    if (objects == NULL) {
        json_t *stored = json_object_get(row, "objects");
        objects = json_is_object(stored) ? json_incref(stored) : json_object();
    }
    if (objects == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (json_object_size(body) > 0) {
        st = store(ctx, name, label ? label : "", base ? base : "user", objects, true);
        if (st != RP_OK) {
            rp_resp_fail(ctx, st);
            goto done;
        }
        if (!rp_meta_api_changed(ctx))
            goto done;
    }
    answer(ctx, 200, name, label ? label : "", base ? base : "user", objects);
done:
    json_decref(row);
    json_decref(objects);
    json_decref(errors);
    json_decref(body);
}

void rp_roles_api_delete(rp_ctx_t *ctx)
{
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : "";
    if (!rp_role_name_valid(name) || strcmp(name, "admin") == 0) {
        rp_roles_api_not_found(ctx, name);
        return;
    }
    rp_status_t st;
    json_t *row = rp_roles_api_load(ctx, name, true, &st);
    json_decref(row);
    if (st == RP_ENOTFOUND) {
        /* A built-in role that is not overridden is already at its defaults. */
        if (rp_role_is_builtin(name))
            rp_resp_no_content(ctx);
        else
            rp_roles_api_not_found(ctx, name);
        return;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    const char *params[] = {ctx->principal.tenant_id, name};
    rp_dbres_t *res = NULL;
    if (!rp_role_is_builtin(name)) {
        /* The row lock taken above makes a concurrent user change that
         * names this role (it locks the row too) wait or be seen here. */
        st = rp_db_exec(ctx->db, "SELECT count(*) FROM users WHERE tenant_id = $1 AND role = $2", 2,
                        params, &res);
        long users = st == RP_OK ? strtol(rp_dbres_get(res, 0, 0), NULL, 10) : 0;
        rp_dbres_free(res);
        if (st != RP_OK) {
            rp_resp_fail(ctx, st);
            return;
        }
        if (users > 0) {
            char *detail =
                rp_pool_printf(&ctx->pool, "%ld user%s the role %s: give them another role first",
                               users, users == 1 ? " has" : "s have", name);
            rp_resp_problem(ctx, 409, "role_in_use", detail ? detail : "the role is in use");
            return;
        }
    }
    st = rp_db_exec(ctx->db, "DELETE FROM roles WHERE tenant_id = $1 AND name = $2", 2, params,
                    NULL);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (rp_meta_api_changed(ctx))
        rp_resp_no_content(ctx);
}
