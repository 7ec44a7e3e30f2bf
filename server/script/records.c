#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/uuid.h"
#include "records/crud_internal.h"
#include "records/query.h"
#include "records/query_handlers.h"
#include "script/internal.h"

void rp_script_refuse(rp_script_refusal_t *r, const char *code, const char *limit, const char *fmt,
                      ...)
{
    r->status = 422;
    snprintf(r->code, sizeof r->code, "%s", code);
    snprintf(r->limit, sizeof r->limit, "%s", limit ? limit : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

void rp_script_record_for_lua(json_t *rec)
{
    json_t *fields = json_object_get(rec, "fields");
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(fields, tmp, k, v)
    {
        if (json_is_null(v))
            json_object_del(fields, k);
    }
}

/* Prepares a records call: the metadata, the object, the crud handle. */
static rp_status_t open_object(rp_ctx_t *ctx, const char *object, rp_crud_t *c,
                               const rp_object_t **o, char *msg, size_t msglen)
{
    memset(c, 0, sizeof *c);
    rp_status_t st = rp_script_meta(ctx, &c->meta);
    if (st != RP_OK)
        return st;
    c->ctx = ctx;
    c->tenant_id = ctx->principal.tenant_id;
    c->actor_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    *o = rp_meta_object(c->meta, object);
    if (*o == NULL) {
        snprintf(msg, msglen, "no object named %.64s", object);
        return RP_EINVAL;
    }
    return RP_OK;
}

static rp_status_t take(rp_ctx_t *ctx, int q, int r, int w, char *msg, size_t msglen)
{
    const char *limit;
    if (rp_script_gov_take(ctx, q, r, w, &limit))
        return RP_OK;
    snprintf(msg, msglen, "%s", limit);
    return RP_ELIMIT;
}

/* The live record id of o as the caller may see it, or *out = NULL. */
static rp_status_t load_visible(rp_crud_t *c, const rp_object_t *o, const char *id, json_t **out)
{
    *out = NULL;
    char lid[RP_UUID_LEN + 1];
    if (!rp_uuid_valid(id))
        return RP_OK;
    for (int i = 0; i <= RP_UUID_LEN; i++)
        lid[i] = (char)((id[i] >= 'A' && id[i] <= 'F') ? id[i] + 32 : id[i]);
    rp_access_t a;
    rp_crud_access(c, o, &a);
    if (a.read == RP_SCOPE_NONE)
        return RP_OK;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_record_load(c->ctx->db, c->tenant_id, o, lid, false, &res);
    if (st == RP_ENOTFOUND)
        return RP_OK;
    bool ok = false;
    if (st == RP_OK && rp_dbres_null(res, 0, RP_RECORD_NCOLS))
        st = rp_crud_readable(c, &a, res, &ok);
    if (st == RP_OK && ok) {
        *out = rp_record_json(o, res, 0);
        rp_record_hide(*out, o, &a);
        rp_script_record_for_lua(*out);
        if (*out == NULL)
            st = RP_ENOMEM;
    }
    rp_dbres_free(res);
    return st;
}

rp_status_t rp_script_rec_get(rp_ctx_t *ctx, const char *object, const char *id, json_t **out,
                              char *msg, size_t msglen)
{
    *out = NULL;
    rp_crud_t c;
    const rp_object_t *o;
    rp_status_t st = open_object(ctx, object, &c, &o, msg, msglen);
    if (st == RP_OK)
        st = take(ctx, 1, 0, 0, msg, msglen);
    if (st == RP_OK)
        st = load_visible(&c, o, id, out);
    if (st == RP_OK && *out != NULL && (st = take(ctx, 0, 1, 0, msg, msglen)) != RP_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return st;
}

rp_status_t rp_script_rec_query(rp_ctx_t *ctx, const char *object, const json_t *filter,
                                const json_t *opts, json_t **out, char *msg, size_t msglen)
{
    *out = NULL;
    rp_crud_t c;
    const rp_object_t *o;
    rp_status_t st = open_object(ctx, object, &c, &o, msg, msglen);
    if (st == RP_OK)
        st = take(ctx, 1, 0, 0, msg, msglen);
    if (st != RP_OK)
        return st;
    rp_access_t a;
    rp_crud_access(&c, o, &a);
    rp_query_spec_t spec = {
        .object = o,
        .tenant_id = c.tenant_id,
        .filter = filter,
        .sort = opts ? json_object_get(opts, "sort") : NULL,
        .fields = opts ? json_object_get(opts, "fields") : NULL,
        .limit = opts ? json_object_get(opts, "limit") : NULL,
        .columns = RP_RECORD_COLS,
        .access = &a,
        .user_id = c.actor_id,
    };
    rp_query_t q;
    rp_query_error_t err;
    st = rp_query_compile(&spec, &ctx->pool, &q, &err);
    if (st == RP_EINVAL) {
        snprintf(msg, msglen, "crm.query: %s: %s %s", err.code, err.name, err.message);
        return RP_EINVAL;
    }
    rp_dbres_t *res = NULL;
    if (st == RP_OK)
        st = rp_db_exec(ctx->db, q.sql, q.nparams, q.params, &res);
    if (st != RP_OK)
        return st;
    int rows = rp_dbres_rows(res);
    int n = rows > q.limit ? q.limit : rows;
    if ((st = take(ctx, 0, n, 0, msg, msglen)) != RP_OK) {
        rp_dbres_free(res);
        return st;
    }
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < n; i++) {
        json_t *rec = rp_list_record_json(&q, o, res, i);
        rp_script_record_for_lua(rec);
        if (json_array_append_new(arr, rec) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    rp_dbres_free(res);
    *out = arr;
    return arr ? RP_OK : RP_ENOMEM;
}

static void from_fail(rp_script_refusal_t *ref, rp_crud_fail_t *fail)
{
    ref->status = fail->status;
    snprintf(ref->code, sizeof ref->code, "%s", fail->code ? fail->code : "refused");
    snprintf(ref->detail, sizeof ref->detail, "%s", fail->detail);
    snprintf(ref->limit, sizeof ref->limit, "%s", fail->limit);
    ref->errors = fail->errors;
    fail->errors = NULL;
    rp_crud_fail_clear(fail);
}

rp_status_t rp_script_rec_write(rp_ctx_t *ctx, const char *verb, const char *object, const char *id,
                                const json_t *fields, const json_t *owner, json_t **out,
                                rp_script_refusal_t *ref, char *msg, size_t msglen)
{
    *out = NULL;
    rp_crud_t c;
    const rp_object_t *o;
    rp_status_t st = open_object(ctx, object, &c, &o, msg, msglen);
    if (st == RP_OK)
        st = take(ctx, 1, 0, 1, msg, msglen);
    if (st != RP_OK)
        return st;
    rp_crud_fail_t fail = {0};
    json_t *vals = fields ? json_deep_copy(fields) : NULL, *old = NULL, *rec = NULL;
    if (fields != NULL && vals == NULL)
        return RP_ENOMEM;
    bool create = strcmp(verb, "create") == 0, del = strcmp(verb, "delete") == 0;
    if (!create) {
        if ((st = load_visible(&c, o, id, &old)) != RP_OK)
            goto done;
        if (old == NULL) {
            st = rp_crud_refuse(&fail, 404, "not_found", NULL, "no %s record %.40s", o->name, id);
            from_fail(ref, &fail);
            goto done;
        }
        id = json_string_value(json_object_get(old, "id"));
    }
    /* The write path runs the triggers of the record written (nested
     * ones count towards the trigger depth). */
    if (create)
        st = rp_crud_create(&c, o, vals, owner, &rec, &fail);
    else if (del)
        st = rp_crud_delete(&c, o, id, NULL, &fail);
    else
        st = rp_crud_update(&c, o, id, vals, owner, NULL, &rec, &fail);
    if (st == RP_EINVAL) {
        from_fail(ref, &fail);
        goto done;
    }
    if (st == RP_OK) {
        rp_script_record_for_lua(rec);
        *out = rec;
        rec = NULL;
    }
done:
    rp_crud_fail_clear(&fail);
    json_decref(vals);
    json_decref(old);
    json_decref(rec);
    return st;
}
