#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"
#include "records/crud_internal.h"
#include "script/script.h"

rp_status_t rp_crud_refuse(rp_crud_fail_t *fail, int status, const char *code, json_t *errors,
                           const char *fmt, ...)
{
    rp_crud_fail_clear(fail);
    fail->status = status;
    fail->code = code;
    fail->errors = errors;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail->detail, sizeof fail->detail, fmt, ap);
    va_end(ap);
    return RP_EINVAL;
}

void rp_crud_fail_clear(rp_crud_fail_t *fail)
{
    json_decref(fail->errors);
    memset(fail, 0, sizeof *fail);
}

void rp_crud_fail_answer(rp_ctx_t *ctx, rp_crud_fail_t *fail)
{
    if (fail->limit[0] != '\0') {
        /* A script limit answers with its own "limit" member. */
        rp_script_refusal_t r = {.status = fail->status, .errors = fail->errors};
        snprintf(r.code, sizeof r.code, "%s", fail->code ? fail->code : "script_limit");
        snprintf(r.detail, sizeof r.detail, "%s", fail->detail);
        snprintf(r.limit, sizeof r.limit, "%s", fail->limit);
        fail->errors = NULL;
        rp_crud_fail_clear(fail);
        rp_script_refusal_answer(ctx, &r);
        return;
    }
    json_t *errors = fail->errors;
    fail->errors = NULL;
    rp_resp_problem_fields(ctx, fail->status ? fail->status : 500,
                           fail->code ? fail->code : "internal", fail->detail, errors);
    rp_crud_fail_clear(fail);
}

bool rp_crud_init(rp_ctx_t *ctx, rp_crud_t *c)
{
    memset(c, 0, sizeof *c);
    rp_status_t st = rp_meta_acquire(ctx, &c->meta);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return false;
    }
    c->ctx = ctx;
    /* Triggers of this request use the same snapshot. */
    rp_script_share_meta(ctx, c->meta);
    c->tenant_id = ctx->principal.tenant_id;
    c->actor_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    return true;
}

const rp_object_t *rp_crud_object(rp_ctx_t *ctx, const rp_crud_t *c)
{
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : "";
    const rp_object_t *o = rp_meta_object(c->meta, name);
    if (o == NULL) {
        char *detail = rp_pool_printf(&ctx->pool, "no object named %.64s", name);
        rp_resp_problem(ctx, 404, "unknown_object", detail ? detail : "no such object");
    }
    return o;
}

const char *rp_crud_path_id(rp_ctx_t *ctx)
{
    const char *raw = ctx->req.nparams > 1 ? ctx->req.params[1] : NULL;
    if (!rp_uuid_valid(raw)) {
        rp_resp_problem(ctx, 404, "not_found", "no such record");
        return NULL;
    }
    char *id = rp_pool_strdup(&ctx->pool, raw);
    if (id == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return NULL;
    }
    for (char *p = id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return id;
}

static bool is_custom(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, "__c") == 0;
}

/* The typed record_index column a value goes into, and its text. */
static void index_value(const rp_field_t *f, const json_t *v, const char **cols, char *num,
                        size_t numlen)
{
    cols[0] = cols[1] = cols[2] = NULL;
    switch (f->type) {
    case RP_FIELD_INTEGER:
        snprintf(num, numlen, "%lld", (long long)json_integer_value(v));
        cols[1] = num;
        break;
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        cols[1] = json_string_value(v);
        break;
    case RP_FIELD_CURRENCY:
        cols[1] = json_string_value(json_object_get(v, "amount"));
        break;
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        cols[2] = json_string_value(v);
        break;
    case RP_FIELD_BOOLEAN:
        cols[0] = json_is_true(v) ? "true" : "false";
        break;
    case RP_FIELD_MULTIPICKLIST:
        break;
    default:
        cols[0] = json_string_value(v);
        break;
    }
}

rp_status_t rp_crud_sync_field(rp_crud_t *c, const rp_object_t *o, const rp_field_t *f,
                               const char *id, const json_t *value, bool fresh, json_t *errors)
{
    rp_db_t *db = c->ctx->db;
    rp_status_t st = RP_OK;
    bool has = value != NULL && !json_is_null(value);
    if (f->unique) {
        const char *p[] = {c->tenant_id, o->name, f->name, id, NULL};
        if (!fresh)
            st = rp_db_exec(db,
                            "DELETE FROM record_unique WHERE tenant_id = $1 AND object = $2 AND "
                            "field = $3 AND record_id = $4",
                            4, p, NULL);
        if (st == RP_OK && has) {
            char *text = rp_record_unique_text(f, value);
            if (text == NULL)
                return RP_ENOMEM;
            p[4] = text;
            rp_dbres_t *res = NULL;
            /* DO NOTHING keeps the transaction usable, so every conflict of
             * a write (or a bulk request) can be reported at once. */
            st = rp_db_exec(db,
                            "INSERT INTO record_unique (tenant_id, object, field, record_id, "
                            "value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING "
                            "RETURNING record_id",
                            5, p, &res);
            if (st == RP_OK && rp_dbres_rows(res) == 0)
                json_object_set_new(errors, f->name, json_string("must be unique"));
            else if (st == RP_ECONFLICT) {
                json_object_set_new(errors, f->name, json_string("must be unique"));
                st = RP_OK;
            }
            rp_dbres_free(res);
            free(text);
        }
    }
    if (st != RP_OK || !is_custom(f->name) || !(f->indexed || f->unique))
        return st;
    const char *p[7] = {c->tenant_id, o->name, f->name, id};
    if (!fresh)
        st = rp_db_exec(db,
                        "DELETE FROM record_index WHERE tenant_id = $1 AND object = $2 AND "
                        "field = $3 AND record_id = $4",
                        4, p, NULL);
    char num[32];
    if (st != RP_OK || !has)
        return st;
    index_value(f, value, p + 4, num, sizeof num);
    if (p[4] == NULL && p[5] == NULL && p[6] == NULL)
        return RP_OK;
    return rp_db_exec(db,
                      "INSERT INTO record_index (tenant_id, object, field, record_id, value_text, "
                      "value_num, value_ts) VALUES ($1, $2, $3, $4, $5, $6::numeric, "
                      "$7::timestamptz)",
                      7, p, NULL);
}

rp_status_t rp_crud_check_refs(rp_crud_t *c, const rp_object_t *o, const json_t *vals,
                               const json_t *only, json_t *errors)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)vals, name, v)
    {
        const rp_field_t *f = rp_meta_field(o, name);
        if (f == NULL || f->type != RP_FIELD_REFERENCE || !json_is_string(v))
            continue;
        if (only != NULL && json_object_get(only, name) == NULL)
            continue;
        const char *p[] = {c->tenant_id, f->reference, json_string_value(v)};
        rp_dbres_t *res = NULL;
        /* FOR SHARE: the target cannot be deleted before this write commits. */
        rp_status_t st = rp_db_exec(c->ctx->db,
                                    "SELECT 1 FROM records WHERE tenant_id = $1 AND object = $2 "
                                    "AND id = $3 AND deleted_at IS NULL FOR SHARE",
                                    3, p, &res);
        if (st != RP_OK)
            return st;
        if (rp_dbres_rows(res) == 0)
            json_object_set_new(errors, name,
                                json_string("refers to a record that does not exist"));
        rp_dbres_free(res);
    }
    return RP_OK;
}

const rp_object_t *rp_crud_open_record(rp_ctx_t *ctx, rp_crud_t *c, const char **id)
{
    if (!rp_crud_init(ctx, c))
        return NULL;
    const rp_object_t *o = rp_crud_object(ctx, c);
    if (o == NULL)
        return NULL;
    *id = rp_crud_path_id(ctx);
    return *id != NULL ? o : NULL;
}
