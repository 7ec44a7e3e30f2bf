#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "script/admin.h"
#include "script/internal.h"

/* The optional JSON object body of a run: {} when there is none. NULL when
 * the body was bad (answered). */
static json_t *body_or_empty(rp_ctx_t *ctx)
{
    if (ctx->req.body_len == 0)
        return json_object();
    return rp_req_json_object(ctx);
}

static const char *outcome_of(rp_status_t st, const rp_script_refusal_t *r)
{
    if (st == RP_OK)
        return "ok";
    if (strcmp(r->code, "validation_failed") == 0)
        return "rejected";
    if (strcmp(r->code, "script_limit") == 0)
        return "limit";
    return "error";
}

/* The argument a dry run gives the script, built as the real run would. */
static rp_status_t dry_arg(rp_ctx_t *ctx, json_t *script, json_t *body, json_t **out,
                           json_t *errors)
{
    const char *kind = json_string_value(json_object_get(script, "kind"));
    *out = NULL;
    if (strcmp(kind, "endpoint") == 0) {
        json_t *b = json_object_get(body, "body");
        *out = b ? json_pack("{s:O}", "body", b) : json_pack("{s:{}}", "body");
        return *out ? RP_OK : RP_ENOMEM;
    }
    if (strcmp(kind, "scheduled") == 0) {
        time_t now = time(NULL);
        *out = json_pack("{s:I, s:b}", "minute", (json_int_t)(now / 60), "dry_run", 1);
        return *out ? RP_OK : RP_ENOMEM;
    }
    const char *ev = json_string_value(json_object_get(body, "event"));
    if (ev == NULL)
        ev = json_string_value(json_array_get(json_object_get(script, "events"), 0));
    rp_script_event_t e = rp_script_event_parse(ev);
    if (e == 0) {
        json_object_set_new(errors, "event", json_string("must be one of the script's events"));
        return RP_OK;
    }
    const char *object = json_string_value(json_object_get(script, "object"));
    json_t *fields = json_object_get(body, "record");
    if (fields != NULL && !json_is_object(fields)) {
        json_object_set_new(errors, "record", json_string("must be an object of field values"));
        return RP_OK;
    }
    const char *rid = json_string_value(json_object_get(body, "record_id"));
    json_t *old = NULL;
    if (e != RP_SCRIPT_BEFORE_CREATE && e != RP_SCRIPT_AFTER_CREATE) {
        char msg[256] = "";
        rp_status_t st = rid ? rp_script_rec_get(ctx, object, rid, &old, msg, sizeof msg) : RP_OK;
        if (st != RP_OK && st != RP_EINVAL)
            return st;
        if (old == NULL) {
            json_object_set_new(errors, "record_id",
                                json_string("must be the id of a record of the script's object"));
            return RP_OK;
        }
    }
    json_t *arg = json_pack("{s:s, s:s, s:i}", "event", ev, "object", object, "depth", 1);
    if (arg == NULL) {
        json_decref(old);
        return RP_ENOMEM;
    }
    json_t *view = NULL;
    if (old != NULL) {
        json_object_set(arg, "id", json_object_get(old, "id"));
        view = json_deep_copy(json_object_get(old, "fields"));
        if (view && fields && e == RP_SCRIPT_BEFORE_UPDATE)
            json_object_update(view, fields);
        json_object_set_new(arg, "old", old);
    } else {
        view = fields ? json_deep_copy(fields) : json_object();
    }
    if (e != RP_SCRIPT_BEFORE_DELETE && e != RP_SCRIPT_AFTER_DELETE && view != NULL) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(view, tmp, k, v) if (json_is_null(v)) json_object_del(view, k);
        json_object_set(arg, "new", view);
    }
    json_decref(view);
    *out = arg;
    return RP_OK;
}

void rp_script_dry_run(rp_ctx_t *ctx)
{
    json_t *body = body_or_empty(ctx);
    if (body == NULL)
        return;
    json_t *script = NULL, *arg = NULL, *result = NULL, *seen = NULL, *report = NULL;
    json_t *errors = json_object();
    rp_script_refusal_t ref = {0};
    rp_status_t st = rp_db_begin(ctx->db, ctx->principal.tenant_id);
    const char *id;
    if (st != RP_OK || errors == NULL) {
        rp_resp_fail(ctx, st != RP_OK ? st : RP_ENOMEM);
        goto done;
    }
    if ((script = rp_script_admin_load(ctx, &id)) == NULL)
        goto done;
    if ((st = dry_arg(ctx, script, body, &arg, errors)) != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (json_object_size(errors) > 0) {
        rp_resp_problem_fields(ctx, 422, "validation_failed", "the dry run cannot start", errors);
        errors = NULL;
        goto done;
    }
    st = rp_script_invoke(ctx, id, json_string_value(json_object_get(script, "name")),
                          (int)json_integer_value(json_object_get(script, "version")),
                          json_string_value(json_object_get(script, "code")), "dry_run", true, arg,
                          &ref, &result, &seen, &report);
    if (st != RP_OK && st != RP_EINVAL) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    json_t *ans = json_pack("{s:s, s:o, s:o}", "outcome", outcome_of(st, &ref), "result",
                            result ? result : json_null(), "new", seen ? seen : json_null());
    result = seen = NULL;
    if (ans == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (st != RP_OK) {
        json_object_set_new(ans, "error", json_string(ref.detail));
        if (ref.limit[0])
            json_object_set_new(ans, "limit", json_string(ref.limit));
        if (ref.errors)
            json_object_set(ans, "errors", ref.errors);
    }
    if (report)
        json_object_update(ans, report);
    rp_resp_json(ctx, 200, ans);
done:
    /* A dry run never keeps anything it wrote. */
    rp_db_rollback(ctx->db);
    rp_script_runs_flush(ctx);
    rp_script_refusal_clear(&ref);
    json_decref(body);
    json_decref(script);
    json_decref(arg);
    json_decref(result);
    json_decref(seen);
    json_decref(report);
    json_decref(errors);
}

/* True when the caller's role is one the endpoint allows (admins always). */
static bool allowed(const rp_ctx_t *ctx, const json_t *roles)
{
    if (ctx->principal.role >= RP_ROLE_ADMIN)
        return true;
    const char *mine = rp_role_name(ctx->principal.role);
    const char *access = ctx->principal.access_role;
    size_t i;
    json_t *v;
    json_array_foreach(roles, i, v)
    {
        const char *r = json_string_value(v);
        if (r && (strcmp(r, mine) == 0 || (access[0] && strcmp(r, access) == 0)))
            return true;
    }
    return false;
}

void rp_script_endpoint_run(rp_ctx_t *ctx)
{
    const char *name = ctx->req.params[0];
    json_t *body = body_or_empty(ctx);
    if (body == NULL)
        return;
    json_t *arg = NULL, *result = NULL;
    rp_script_refusal_t ref = {0};
    /* The dispatcher's transaction: it commits below 400 and rolls back
     * otherwise, and logs the runs once it has ended. */
    rp_script_tenant_t *t = NULL;
    rp_status_t st = rp_script_tenant(ctx, &t);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    const rp_script_def_t *d = NULL;
    for (int i = 0; i < t->ndefs && d == NULL; i++)
        if (t->defs[i].kind == RP_SCRIPT_ENDPOINT && strcmp(t->defs[i].name, name) == 0)
            d = &t->defs[i];
    if (d == NULL) {
        rp_resp_problem(ctx, 404, "not_found", "no enabled endpoint script of this name");
        goto done;
    }
    if (!allowed(ctx, d->roles)) {
        rp_resp_problem(ctx, 403, "forbidden", "your role may not run this script");
        goto done;
    }
    arg = json_pack("{s:O}", "body", body);
    char *id = rp_pool_strdup(&ctx->pool, d->id);
    char *code = rp_pool_strdup(&ctx->pool, d->code);
    char *sname = rp_pool_strdup(&ctx->pool, d->name);
    if (arg == NULL || id == NULL || code == NULL || sname == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    st = rp_script_invoke(ctx, id, sname, d->version, code, "endpoint", false, arg, &ref, &result,
                          NULL, NULL);
    if (st == RP_EINVAL) {
        rp_script_refusal_answer(ctx, &ref);
        goto done;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (json_is_object(result) || json_is_array(result)) {
        rp_resp_json(ctx, 200, result);
        result = NULL;
    } else {
        rp_resp_json(ctx, 200, json_pack("{s:O}", "result", result ? result : json_null()));
    }
done:
    rp_script_refusal_clear(&ref);
    json_decref(body);
    json_decref(arg);
    json_decref(result);
}
