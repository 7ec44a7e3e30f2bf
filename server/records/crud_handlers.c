#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/input.h"
#include "records/crud_internal.h"
#include "records/idempotency.h"

/* Reads a write body {"fields": {...}, "owner_id": ...}; answers and returns
 * false when it is not one. */
static bool read_body(rp_ctx_t *ctx, json_t **body, json_t **fields, json_t **owner)
{
    static const char *const allowed[] = {"fields", "owner_id", NULL};
    *body = rp_req_json_object(ctx);
    if (*body == NULL)
        return false;
    if (!rp_input_known_fields(ctx, *body, allowed))
        goto fail;
    *fields = json_object_get(*body, "fields");
    *owner = json_object_get(*body, "owner_id");
    if (*fields != NULL && !json_is_object(*fields)) {
        rp_resp_problem_fields(ctx, 422, "validation_failed", "some fields are not valid",
                               json_pack("{s:s}", "fields", "must be an object"));
        goto fail;
    }
    if (*fields == NULL) {
        *fields = json_object();
        json_object_set_new(*body, "fields", *fields);
    }
    return true;
fail:
    json_decref(*body);
    *body = NULL;
    return false;
}

/* Answers a record with its ETag. */
static void answer_record(rp_ctx_t *ctx, int status, json_t *rec)
{
    char etag[32];
    rp_record_etag(json_integer_value(json_object_get(rec, "version")), etag);
    const char *e = rp_pool_strdup(&ctx->pool, etag);
    if (e != NULL)
        rp_resp_header(ctx, "ETag", e);
    rp_resp_json(ctx, status, rec);
}

/* Answers the outcome of a write that ended with st. */
static void answer_failure(rp_ctx_t *ctx, rp_status_t st, rp_crud_fail_t *fail)
{
    if (st == RP_EINVAL && fail->status != 0)
        rp_crud_fail_answer(ctx, fail);
    else
        rp_resp_fail(ctx, st);
    rp_crud_fail_clear(fail);
}

void rp_crud_post(rp_ctx_t *ctx)
{
    rp_crud_t c;
    if (!rp_crud_init(ctx, &c))
        return;
    const rp_object_t *o = rp_crud_object(ctx, &c);
    if (o == NULL)
        return;
    rp_idem_t idem;
    if (!rp_idem_begin(ctx, &idem))
        return;
    json_t *body, *fields, *owner, *rec = NULL;
    if (!read_body(ctx, &body, &fields, &owner))
        return;
    rp_crud_fail_t fail = {0};
    rp_status_t st = rp_crud_create(&c, o, fields, owner, &rec, &fail);
    json_decref(body);
    if (st != RP_OK) {
        answer_failure(ctx, st, &fail);
        return;
    }
    const char *loc = rp_pool_printf(&ctx->pool, "/api/v1/records/%s/%s", o->name,
                                     json_string_value(json_object_get(rec, "id")));
    if (loc != NULL)
        rp_resp_header(ctx, "Location", loc);
    answer_record(ctx, 201, rec);
    rp_idem_finish(ctx, &idem);
}

void rp_crud_get(rp_ctx_t *ctx)
{
    rp_crud_t c;
    const char *id;
    const rp_object_t *o = rp_crud_open_record(ctx, &c, &id);
    if (o == NULL)
        return;
    const char *inc = rp_req_query_param(ctx, "include_deleted");
    bool include_deleted = inc != NULL && strcmp(inc, "true") == 0;
    if (inc != NULL && !include_deleted && strcmp(inc, "false") != 0) {
        rp_resp_problem_fields(ctx, 400, "invalid_parameter",
                               "include_deleted must be true or false",
                               json_pack("{s:s}", "include_deleted", "must be true or false"));
        return;
    }
    rp_access_t a;
    rp_crud_access(&c, o, &a);
    if (!rp_crud_may_read(ctx, o, &a))
        return;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_record_load(ctx->db, c.tenant_id, o, id, false, &res);
    bool deleted = st == RP_OK && !rp_dbres_null(res, 0, RP_RECORD_NCOLS);
    bool readable = true;
    if (st == RP_OK)
        st = rp_crud_readable(&c, &a, res, &readable);
    if (st == RP_ENOTFOUND || (st == RP_OK && (!readable || (deleted && !include_deleted)))) {
        rp_dbres_free(res);
        rp_resp_problem(ctx, 404, "not_found", "no such record");
        return;
    }
    if (st != RP_OK) {
        rp_dbres_free(res);
        rp_resp_fail(ctx, st);
        return;
    }
    json_t *rec = rp_record_json(o, res, 0);
    rp_record_hide(rec, o, &a);
    if (rec != NULL && deleted) {
        /* Only answers that may show deleted records carry the member. */
        json_object_set_new(rec, "deleted_at", json_string(rp_dbres_get(res, 0, RP_RECORD_NCOLS)));
    }
    rp_dbres_free(res);
    if (rec == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    answer_record(ctx, 200, rec);
}

void rp_crud_patch(rp_ctx_t *ctx)
{
    rp_crud_t c;
    const char *id;
    const rp_object_t *o = rp_crud_open_record(ctx, &c, &id);
    if (o == NULL)
        return;
    json_t *body, *fields, *owner, *rec = NULL;
    if (!read_body(ctx, &body, &fields, &owner))
        return;
    rp_crud_fail_t fail = {0};
    rp_status_t st = rp_crud_update(&c, o, id, fields, owner, ctx->req.if_match, &rec, &fail);
    json_decref(body);
    if (st != RP_OK)
        answer_failure(ctx, st, &fail);
    else
        answer_record(ctx, 200, rec);
}

void rp_crud_delete_handler(rp_ctx_t *ctx)
{
    rp_crud_t c;
    const char *id;
    const rp_object_t *o = rp_crud_open_record(ctx, &c, &id);
    if (o == NULL)
        return;
    rp_crud_fail_t fail = {0};
    rp_status_t st = rp_crud_delete(&c, o, id, ctx->req.if_match, &fail);
    if (st != RP_OK)
        answer_failure(ctx, st, &fail);
    else
        rp_resp_no_content(ctx);
}

void rp_crud_restore_handler(rp_ctx_t *ctx)
{
    rp_crud_t c;
    const char *id;
    const rp_object_t *o = rp_crud_open_record(ctx, &c, &id);
    if (o == NULL)
        return;
    rp_idem_t idem;
    if (!rp_idem_begin(ctx, &idem))
        return;
    json_t *rec = NULL;
    rp_crud_fail_t fail = {0};
    rp_status_t st = rp_crud_restore(&c, o, id, &rec, &fail);
    if (st != RP_OK) {
        answer_failure(ctx, st, &fail);
        return;
    }
    answer_record(ctx, 200, rec);
    rp_idem_finish(ctx, &idem);
}
