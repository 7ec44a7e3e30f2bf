#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "core/uuid.h"
#include "records/perm.h"
#include "records/query_handlers.h"
#include "records/record.h"

static void refuse(rp_ctx_t *ctx, const rp_query_error_t *err)
{
    char detail[320];
    snprintf(detail, sizeof detail, "%s %s", err->name, err->message);
    rp_resp_problem_fields(ctx, 400, err->code, detail,
                           json_pack("{s:s}", err->name[0] ? err->name : "query", err->message));
}

/* The object named by the first path parameter, or NULL after answering;
 * *mp receives the snapshot it comes from, which every later lookup of the
 * request must use (a second acquire may give a newer one). */
static const rp_object_t *path_object(rp_ctx_t *ctx, const char *name, const rp_meta_t **mp)
{
    const rp_meta_t *m = NULL;
    rp_status_t st = rp_meta_acquire(ctx, &m);
    *mp = m;
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return NULL;
    }
    const rp_object_t *o = rp_meta_object(m, name);
    if (o == NULL)
        rp_resp_problem(ctx, 404, "unknown_object", "there is no such object");
    return o;
}

/* Restricts spec to what the caller may read of its object: its read scope
 * and its readable fields. a must live as long as spec. Answers 403 and
 * returns false when the caller may read no record of the object. */
static bool restrict_to_caller(rp_ctx_t *ctx, const rp_meta_t *m, rp_query_spec_t *spec,
                               rp_access_t *a)
{
    rp_perm_access(ctx, m, spec->object, a);
    if (a->read == RP_SCOPE_NONE) {
        char *detail =
            rp_pool_printf(&ctx->pool, "you may not read %s records", spec->object->name);
        rp_resp_problem(ctx, 403, "forbidden", detail ? detail : "you may not read these records");
        return false;
    }
    /* The common case compiles exactly as with no restriction. */
    if (a->read == RP_SCOPE_ALL && rp_perm_reads_all(a, spec->object))
        return true;
    spec->access = a;
    spec->user_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    return true;
}

void rp_list_run(rp_ctx_t *ctx, const rp_query_spec_t *in)
{
    rp_query_spec_t copy = *in;
    const rp_query_spec_t *spec = &copy;
    if (copy.columns == NULL)
        copy.columns = RP_RECORD_COLS; /* rendered by rp_record_json */
    rp_query_t q;
    rp_query_error_t err;
    rp_dbres_t *res = NULL;
    json_t *data = NULL;
    rp_status_t st = rp_query_compile(spec, &ctx->pool, &q, &err);
    if (st == RP_EINVAL) {
        refuse(ctx, &err);
        return;
    }
    if (st == RP_OK)
        st = rp_db_exec(ctx->db, q.sql, q.nparams, q.params, &res);
    if (st == RP_EDB && spec->cursor != NULL && strncmp(rp_db_sqlstate(ctx->db), "22", 2) == 0) {
        /* A hand-edited cursor value that does not cast to its column. */
        rp_resp_problem_fields(ctx, 400, "invalid_cursor", "cursor is not a cursor from this query",
                               json_pack("{s:s}", "cursor", "is not a cursor from this query"));
        goto done;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    int rows = rp_dbres_rows(res);
    int n = rows > q.limit ? q.limit : rows;
    data = json_array();
    for (int i = 0; data != NULL && i < n; i++)
        if (json_array_append_new(data, rp_list_record_json(&q, spec->object, res, i)) != 0) {
            json_decref(data);
            data = NULL;
        }
    json_t *next = json_null();
    if (data != NULL && rows > q.limit) {
        const char *vals[RP_QUERY_SORT_MAX];
        for (int k = 0; k < q.nsort; k++) {
            char col[16];
            snprintf(col, sizeof col, "_s%d", k);
            int c = rp_dbres_col(res, col);
            vals[k] = c < 0 || rp_dbres_null(res, n - 1, c) ? NULL : rp_dbres_get(res, n - 1, c);
        }
        const char *cur = rp_query_cursor_encode(
            &q, vals, rp_dbres_get(res, n - 1, RP_RECORD_COL_ID), &ctx->pool);
        next = cur ? json_string(cur) : NULL;
    }
    json_t *body = data && next ? json_pack("{s:o, s:o}", "data", data, "next_cursor", next) : NULL;
    if (body == NULL) {
        if (data == NULL || next == NULL) {
            json_decref(data);
            json_decref(next);
        }
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    rp_resp_json(ctx, 200, body);
done:
    rp_dbres_free(res);
}

void rp_list_records(rp_ctx_t *ctx)
{
    const rp_meta_t *m;
    const rp_object_t *o = path_object(ctx, ctx->req.params[0], &m);
    if (o == NULL)
        return;
    rp_query_spec_t spec = {.object = o, .tenant_id = ctx->principal.tenant_id};
    rp_access_t a;
    if (!restrict_to_caller(ctx, m, &spec, &a))
        return;
    if (!rp_list_params(ctx, &spec))
        return;
    rp_list_run(ctx, &spec);
}

void rp_list_query(rp_ctx_t *ctx)
{
    static const char *const allowed[] = {"filter", "sort", "fields", "limit", "cursor", NULL};
    const rp_meta_t *m;
    const rp_object_t *o = path_object(ctx, ctx->req.params[0], &m);
    if (o == NULL)
        return;
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    if (!rp_input_known_fields(ctx, body, allowed))
        goto done;
    json_t *cursor = json_object_get(body, "cursor");
    if (cursor != NULL && !json_is_null(cursor) && !json_is_string(cursor)) {
        rp_resp_problem_fields(ctx, 400, "invalid_cursor", "cursor must be a string",
                               json_pack("{s:s}", "cursor", "must be a string"));
        goto done;
    }
    rp_query_spec_t spec = {.object = o,
                            .tenant_id = ctx->principal.tenant_id,
                            .filter = json_object_get(body, "filter"),
                            .sort = json_object_get(body, "sort"),
                            .fields = json_object_get(body, "fields"),
                            .limit = json_object_get(body, "limit"),
                            .cursor = json_string_value(cursor)};
    rp_access_t a;
    if (restrict_to_caller(ctx, m, &spec, &a))
        rp_list_run(ctx, &spec);
done:
    json_decref(body);
}

void rp_list_related(rp_ctx_t *ctx)
{
    const rp_meta_t *m;
    const rp_object_t *parent = path_object(ctx, ctx->req.params[0], &m);
    if (parent == NULL)
        return;
    const char *id = ctx->req.params[1];
    const char *relation = ctx->req.params[2];
    const char *dot = strchr(relation, '.');
    if (!rp_uuid_valid(id)) {
        rp_resp_problem(ctx, 404, "not_found", "there is no such record");
        return;
    }
    rp_status_t st;
    const rp_object_t *child = NULL;
    const rp_field_t *ref = NULL;
    if (dot != NULL && dot - relation <= RP_FIELD_NAME_MAX) {
        char cname[RP_FIELD_NAME_MAX + 1];
        memcpy(cname, relation, (size_t)(dot - relation));
        cname[dot - relation] = '\0';
        child = rp_meta_object(m, cname);
        ref = child ? rp_meta_field(child, dot + 1) : NULL;
    }
    if (ref == NULL || ref->type != RP_FIELD_REFERENCE || ref->reference == NULL ||
        strcmp(ref->reference, parent->name) != 0) {
        rp_resp_problem(ctx, 404, "unknown_relation",
                        "the relation must name a reference field, object.field, that points "
                        "at this object");
        return;
    }
    char lower[RP_UUID_LEN + 1];
    for (int i = 0; i <= RP_UUID_LEN; i++)
        lower[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
    /* The parent must exist in the caller's tenant and be readable by the
     * caller: another tenant's id, or a record outside the caller's read
     * scope, answers exactly like a missing one. */
    rp_access_t pa;
    rp_perm_access(ctx, m, parent, &pa);
    rp_buf_t sql = {0};
    const char *pp[5] = {ctx->principal.tenant_id, parent->name, lower};
    int np = 3;
    rp_dbres_t *res = NULL;
    st = rp_buf_puts(&sql, "SELECT 1 FROM records r WHERE r.tenant_id = $1::uuid AND r.object = $2 "
                           "AND r.id = $3::uuid AND r.deleted_at IS NULL");
    if (st == RP_OK)
        st = rp_perm_scope_sql(ctx, pa.read, "r.owner_id", &sql, pp, &np);
    if (st == RP_OK)
        st = rp_db_exec(ctx->db, sql.data, np, pp, &res);
    rp_buf_free(&sql);
    int found = st == RP_OK ? rp_dbres_rows(res) : 0;
    rp_dbres_free(res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (found != 1) {
        rp_resp_problem(ctx, 404, "not_found", "there is no such record");
        return;
    }
    rp_query_spec_t spec = {.object = child, .tenant_id = ctx->principal.tenant_id};
    rp_access_t a;
    if (!restrict_to_caller(ctx, m, &spec, &a))
        return;
    if (rp_perm_field(&a, child, ref) == RP_FIELD_ACCESS_NONE) {
        /* A relation through a field the caller may not see does not exist
         * for it. */
        rp_resp_problem(ctx, 404, "unknown_relation",
                        "the relation must name a reference field, object.field, that points "
                        "at this object");
        return;
    }
    if (!rp_list_params(ctx, &spec))
        return;
    json_t *link = json_pack("{s:s, s:s, s:s}", "field", ref->name, "op", "eq", "value", lower);
    json_t *tree = link && spec.filter ? json_pack("{s:[O,O]}", "and", link, spec.filter) : link;
    if (tree != link)
        json_decref(link);
    if (tree == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    spec.filter = tree;
    rp_list_run(ctx, &spec);
    json_decref(tree);
}
