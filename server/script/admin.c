#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "core/uuid.h"
#include "db/db.h"
#include "records/meta.h"
#include "script/admin.h"
#include "script/cron.h"
#include "script/internal.h"

/* The admin API of scripts: list, create, read, change, delete, versions
 * and the run log. Every change bumps the tenant's metadata version, which
 * is what makes every worker of every instance rebuild the tenant's Lua
 * state and script list. */

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#define SCRIPT_JSON(code)                                                                          \
    "json_build_object('id', id, 'name', name, 'kind', kind, 'object', object, 'events', "         \
    "events, 'cron', cron, 'roles', roles, 'run_as', run_as, " code "'enabled', enabled, "         \
    "'version', version, 'failures', failures, 'disabled_reason', disabled_reason, "               \
    "'created_at', " TS("created_at") ", 'updated_at', " TS("updated_at") ")::text"

static const char *const members[] = {"name",  "kind",   "object", "events",  "cron",
                                      "roles", "run_as", "code",   "enabled", NULL};

static json_t *one_json(rp_dbres_t *res, int row, int col)
{
    return json_loads(rp_dbres_get(res, row, col), 0, NULL);
}

static bool name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* Checks a whole definition (the stored one with the body over it); errors
 * receives {member: message}. */
static rp_status_t check_def(rp_ctx_t *ctx, json_t *def, json_t *errors)
{
    const char *name = json_string_value(json_object_get(def, "name"));
    if (name == NULL || !name_valid(name))
        rp_input_error(errors, "name",
                       "must be 1 to 63 characters of a-z, 0-9 and _, "
                       "starting with a letter");
    const char *kind = json_string_value(json_object_get(def, "kind"));
    bool trigger = kind && strcmp(kind, "trigger") == 0;
    bool scheduled = kind && strcmp(kind, "scheduled") == 0;
    bool endpoint = kind && strcmp(kind, "endpoint") == 0;
    if (!trigger && !scheduled && !endpoint)
        rp_input_error(errors, "kind", "must be trigger, scheduled or endpoint");
    json_t *object = json_object_get(def, "object");
    json_t *events = json_object_get(def, "events");
    if (trigger) {
        const rp_meta_t *m;
        rp_status_t st = rp_script_meta(ctx, &m);
        if (st != RP_OK)
            return st;
        if (!json_is_string(object) || rp_meta_object(m, json_string_value(object)) == NULL)
            rp_input_error(errors, "object", "must name an object of the tenant");
        size_t i;
        json_t *v;
        bool ok = json_is_array(events) && json_array_size(events) > 0;
        json_array_foreach(events, i, v) if (rp_script_event_parse(json_string_value(v)) == 0) ok =
            false;
        if (!ok)
            rp_input_error(errors, "events",
                           "must be a non-empty array of before_create, after_create, "
                           "before_update, after_update, before_delete, after_delete");
    } else {
        if (object != NULL && !json_is_null(object))
            rp_input_error(errors, "object", "is for triggers only");
        if (json_array_size(events) > 0)
            rp_input_error(errors, "events", "are for triggers only");
    }
    json_t *cron = json_object_get(def, "cron");
    if (scheduled) {
        rp_cron_t c;
        char err[200];
        if (!json_is_string(cron))
            rp_input_error(errors, "cron", "is required for a scheduled script");
        else if (rp_cron_parse(json_string_value(cron), &c, err, sizeof err) != RP_OK)
            rp_input_error(errors, "cron", err);
    } else if (cron != NULL && !json_is_null(cron)) {
        rp_input_error(errors, "cron", "is for scheduled scripts only");
    }
    json_t *roles = json_object_get(def, "roles");
    size_t i;
    json_t *v;
    bool ok = roles == NULL || json_is_array(roles);
    json_array_foreach(roles, i, v) if (!json_is_string(v) || !name_valid(json_string_value(v)))
        ok = false;
    if (!ok)
        rp_input_error(errors, "roles", "must be an array of role names");
    json_t *run_as = json_object_get(def, "run_as");
    if (run_as != NULL && !json_is_null(run_as) &&
        (!json_is_string(run_as) || !rp_uuid_valid(json_string_value(run_as))))
        rp_input_error(errors, "run_as", "must be a user id");
    json_t *enabled = json_object_get(def, "enabled");
    if (enabled != NULL && !json_is_boolean(enabled))
        rp_input_error(errors, "enabled", "must be true or false");
    const char *code = json_string_value(json_object_get(def, "code"));
    if (code == NULL) {
        rp_input_error(errors, "code", "is required: the script's Lua text");
    } else if (strlen(code) > 262144) {
        rp_input_error(errors, "code", "is longer than 256 KiB");
    } else {
        char err[300];
        int line;
        rp_status_t st = rp_sbox_check(code, err, sizeof err, &line);
        if (st == RP_ENOMEM)
            return st;
        if (st != RP_OK)
            rp_input_error(errors, "code", err);
    }
    return RP_OK;
}

/* The text of member k of def for a parameter: NULL for absent or null. */
static const char *text_of(rp_ctx_t *ctx, json_t *def, const char *k, const char *dflt)
{
    json_t *v = json_object_get(def, k);
    if (v == NULL || json_is_null(v))
        return dflt;
    if (json_is_string(v))
        return json_string_value(v);
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *p = rp_pool_strdup(&ctx->pool, s);
    free(s);
    return p;
}

/* Writes def as the new current state of script id (insert or update) and
 * keeps the version; answers the stored script. */
static void save(rp_ctx_t *ctx, const char *id, json_t *def, bool create, int status)
{
    const char *tid = ctx->principal.tenant_id;
    const char *uid = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    json_t *enabled = json_object_get(def, "enabled");
    const char *p[] = {tid,
                       id,
                       text_of(ctx, def, "name", NULL),
                       text_of(ctx, def, "kind", NULL),
                       text_of(ctx, def, "object", NULL),
                       text_of(ctx, def, "events", "[]"),
                       text_of(ctx, def, "cron", NULL),
                       text_of(ctx, def, "roles", "[]"),
                       text_of(ctx, def, "run_as", NULL),
                       text_of(ctx, def, "code", NULL),
                       enabled == NULL || json_is_true(enabled) ? "t" : "f",
                       uid};
    rp_dbres_t *res = NULL;
    rp_status_t st;
    if (create)
        st = rp_db_exec(ctx->db,
                        "INSERT INTO scripts (tenant_id, id, name, kind, object, events, cron, "
                        "roles, run_as, code, enabled, created_by, updated_by) VALUES ($1, $2, $3, "
                        "$4, $5, $6::jsonb, $7, $8::jsonb, $9::uuid, $10, $11::boolean, "
                        "$12::uuid, $12::uuid) RETURNING version, " SCRIPT_JSON("'code', code, "),
                        12, p, &res);
    else
        /* Enabling a script again forgets its failures. */
        st = rp_db_exec(ctx->db,
                        "UPDATE scripts SET name = $3, kind = $4, object = $5, events = $6::jsonb, "
                        "cron = $7, roles = $8::jsonb, run_as = $9::uuid, code = $10, "
                        "failures = CASE WHEN $11::boolean AND NOT enabled THEN 0 ELSE failures "
                        "END, disabled_reason = CASE WHEN $11::boolean THEN NULL ELSE "
                        "disabled_reason END, enabled = $11::boolean, version = version + 1, "
                        "updated_at = now(), updated_by = $12::uuid WHERE tenant_id = $1 AND "
                        "id = $2 RETURNING version, " SCRIPT_JSON("'code', code, "),
                        12, p, &res);
    if (st == RP_ECONFLICT) {
        rp_resp_problem_fields(ctx, 409, "conflict", "a script with this name exists",
                               json_pack("{s:s}", "name", "is taken by another script"));
        goto done;
    }
    if (st == RP_OK && rp_dbres_rows(res) != 1)
        st = RP_ENOTFOUND;
    if (st == RP_OK) {
        const char *q[] = {tid, id, rp_dbres_get(res, 0, 0), rp_dbres_get(res, 0, 1), uid};
        st = rp_db_exec(ctx->db,
                        "INSERT INTO script_versions (tenant_id, script_id, version, definition, "
                        "created_by) VALUES ($1, $2, $3::int, $4::jsonb, $5::uuid)",
                        5, q, NULL);
    }
    if (st == RP_OK)
        st = rp_meta_changed(ctx);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    rp_meta_invalidate(tid);
    json_t *body = one_json(res, 0, 1);
    if (body == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, status, body);
done:
    rp_dbres_free(res);
}

static void create(rp_ctx_t *ctx)
{
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    if (!rp_input_known_fields(ctx, body, members))
        goto done;
    json_t *errors = json_object();
    rp_status_t st = errors ? check_def(ctx, body, errors) : RP_ENOMEM;
    if (st != RP_OK) {
        json_decref(errors);
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (rp_input_fail(ctx, errors))
        goto done;
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    save(ctx, id, body, true, 201);
done:
    json_decref(body);
}

/* The script of the path's id as JSON (with its code), or answers 404. */
static json_t *load(rp_ctx_t *ctx, const char **id, bool lock)
{
    *id = ctx->req.params[0];
    if (!rp_uuid_valid(*id)) {
        rp_resp_problem(ctx, 404, "not_found", "no such script");
        return NULL;
    }
    const char *p[] = {ctx->principal.tenant_id, *id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(
        ctx->db,
        lock ? "SELECT " SCRIPT_JSON(
                   "'code', code, ") " FROM scripts "
                                     "WHERE tenant_id = $1 AND id = $2::uuid FOR UPDATE"
             : "SELECT " SCRIPT_JSON("'code', code, ") " FROM scripts "
                                                       "WHERE tenant_id = $1 AND id = $2::uuid",
        2, p, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return NULL;
    }
    json_t *s = rp_dbres_rows(res) == 1 ? one_json(res, 0, 0) : NULL;
    if (s == NULL)
        rp_resp_problem(ctx, 404, "not_found", "no such script");
    rp_dbres_free(res);
    return s;
}

json_t *rp_script_admin_load(rp_ctx_t *ctx, const char **id)
{
    return load(ctx, id, false);
}

static void get_one(rp_ctx_t *ctx)
{
    const char *id;
    json_t *s = load(ctx, &id, false);
    if (s)
        rp_resp_json(ctx, 200, s);
}

static void patch(rp_ctx_t *ctx)
{
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    const char *id;
    json_t *cur = NULL;
    if (!rp_input_known_fields(ctx, body, members) || (cur = load(ctx, &id, true)) == NULL)
        goto done;
    if (json_object_update(cur, body) != 0) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    json_t *errors = json_object();
    rp_status_t st = errors ? check_def(ctx, cur, errors) : RP_ENOMEM;
    if (st != RP_OK) {
        json_decref(errors);
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (rp_input_fail(ctx, errors))
        goto done;
    save(ctx, id, cur, false, 200);
done:
    json_decref(cur);
    json_decref(body);
}

static void del(rp_ctx_t *ctx)
{
    const char *id = ctx->req.params[0];
    if (!rp_uuid_valid(id)) {
        rp_resp_problem(ctx, 404, "not_found", "no such script");
        return;
    }
    const char *p[] = {ctx->principal.tenant_id, id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(
        ctx->db, "DELETE FROM scripts WHERE tenant_id = $1 AND id = $2::uuid", 2, p, &res);
    long n = st == RP_OK ? rp_dbres_affected(res) : 0;
    rp_dbres_free(res);
    if (st == RP_OK && n == 0) {
        rp_resp_problem(ctx, 404, "not_found", "no such script");
        return;
    }
    if (st == RP_OK)
        st = rp_meta_changed(ctx);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    rp_meta_invalidate(ctx->principal.tenant_id);
    rp_resp_no_content(ctx);
}

static void list_rows(rp_ctx_t *ctx, const char *sql, int n, const char *const *p)
{
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db, sql, n, p, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; data && i < rp_dbres_rows(res); i++)
        if (json_array_append_new(data, one_json(res, i, 0)) != 0) {
            json_decref(data);
            data = NULL;
        }
    rp_dbres_free(res);
    if (data == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, json_pack("{s:o}", "data", data));
}

static void list(rp_ctx_t *ctx)
{
    const char *p[] = {ctx->principal.tenant_id};
    list_rows(ctx, "SELECT " SCRIPT_JSON("") " FROM scripts WHERE tenant_id = $1 ORDER BY name", 1,
              p);
}

/* Answers 404 unless the path's script exists. */
static bool exists(rp_ctx_t *ctx)
{
    const char *id;
    json_t *s = load(ctx, &id, false);
    json_decref(s);
    return s != NULL;
}

static void versions(rp_ctx_t *ctx)
{
    if (!exists(ctx))
        return;
    const char *p[] = {ctx->principal.tenant_id, ctx->req.params[0]};
    list_rows(
        ctx,
        "SELECT json_build_object('version', version, 'created_at', " TS(
            "created_at") ", "
                          "'created_by', created_by, 'definition', definition)::text FROM "
                          "script_versions "
                          "WHERE tenant_id = $1 AND script_id = $2::uuid ORDER BY version DESC",
        2, p);
}

static void runs(rp_ctx_t *ctx)
{
    int limit;
    if (!rp_input_limit(rp_req_query_param(ctx, "limit"), 50, 1000, &limit)) {
        rp_resp_problem_fields(ctx, 400, "invalid_limit", "limit must be from 1 to 1000",
                               json_pack("{s:s}", "limit", "must be from 1 to 1000"));
        return;
    }
    if (!exists(ctx))
        return;
    /* Runs the writer has not reached yet are part of the answer. */
    rp_status_t st = rp_script_runlog_drain(ctx->db, ctx->principal.tenant_id);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {ctx->principal.tenant_id, ctx->req.params[0], lim};
    list_rows(ctx,
              "SELECT json_build_object('id', id, 'started_at', " TS(
                  "started_at") ", "
                                "'duration_ms', duration_ms, 'instructions', instructions, "
                                "'memory', memory, "
                                "'via', via, 'dry_run', dry_run, 'outcome', outcome, 'error', "
                                "error)::text "
                                "FROM script_runs WHERE tenant_id = $1 AND script_id = $2::uuid "
                                "ORDER BY id DESC LIMIT $3::int",
              3, p);
}

static const rp_route_t routes[] = {
    {RP_GET, "/api/v1/scripts", list, 0, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/scripts", create, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/scripts/{id}", get_one, 0, RP_ROLE_ADMIN},
    {RP_PATCH, "/api/v1/scripts/{id}", patch, 0, RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/scripts/{id}", del, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/scripts/{id}/versions", versions, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/scripts/{id}/runs", runs, 0, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/scripts/{id}/dry-run", rp_script_dry_run, RP_ROUTE_NO_TX, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/scripts/{name}/run", rp_script_endpoint_run, 0, RP_ROLE_READONLY},
};

rp_status_t rp_script_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
