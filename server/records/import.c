#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/problem.h"
#include "records/idempotency.h"
#include "records/import.h"
#include "records/record.h"

void rp_import_reject(rp_import_t *imp, rp_import_row_t *row, json_t *errors)
{
    json_decref(row->data);
    row->data = NULL;
    json_decref(row->errors);
    row->errors = errors ? errors : json_object();
    imp->rejected++;
    if (row->touched)
        imp->redo = true;
}

void rp_import_rows_clear(rp_import_t *imp)
{
    for (int i = 0; i < imp->nrows; i++) {
        json_decref(imp->rows[i].data);
        json_decref(imp->rows[i].errors);
        json_decref(imp->rows[i].input);
        memset(&imp->rows[i], 0, sizeof imp->rows[i]);
    }
    imp->nrows = 0;
}

void rp_import_report_batch(rp_import_t *imp)
{
    for (int i = 0; i < imp->nrows; i++) {
        rp_import_row_t *row = &imp->rows[i];
        if (row->data != NULL)
            continue;
        if (json_array_size(imp->report) >= RP_IMPORT_ERRORS_MAX) {
            imp->truncated = true;
            return;
        }
        json_t *e = row->errors ? json_incref(row->errors) : json_object();
        json_array_append_new(imp->report,
                              json_pack("{s:I, s:o}", "line", (json_int_t)row->line, "errors", e));
    }
}

/* Reject row with one message. */
static void reject_one(rp_import_t *imp, rp_import_row_t *row, const char *key, const char *msg)
{
    rp_import_reject(imp, row, json_pack("{s:s}", key, msg));
}

rp_status_t rp_import_row_start(rp_import_t *imp, const rp_csv_reader_t *r, rp_import_row_t *row,
                                json_t **fields, json_t **errors)
{
    memset(row, 0, sizeof *row);
    row->line = rp_csv_line(r);
    imp->total++;
    *fields = *errors = NULL;
    int n = rp_csv_nfields(r);
    if (n != imp->ncols) {
        char msg[96];
        snprintf(msg, sizeof msg, "has %d fields where the header has %d", n, imp->ncols);
        reject_one(imp, row, "row", msg);
        return RP_OK;
    }
    json_t *f_in = json_object(), *e_in = json_object();
    if (f_in == NULL || e_in == NULL)
        goto nomem;
    for (int c = 0; c < n; c++) {
        int fi = imp->colmap[c];
        size_t len = rp_csv_field_len(r, c);
        /* An empty cell gives no value: defaults apply, as when a member
         * is absent from an API body. */
        if (fi < 0 || len == 0)
            continue;
        const rp_field_t *f = &imp->o->fields[fi];
        char why[160];
        json_t *v = rp_import_cell(f, rp_csv_field(r, c), len, why, sizeof why);
        if (v == NULL && why[0] == '\0')
            goto nomem;
        if (v == NULL)
            json_object_set_new(e_in, f->name, json_string(why));
        else if (json_object_set_new(f_in, f->name, v) != 0)
            goto nomem;
    }
    *fields = f_in;
    *errors = e_in;
    return RP_OK;
nomem:
    json_decref(f_in);
    json_decref(e_in);
    return RP_ENOMEM;
}

rp_status_t rp_import_add_row(rp_import_t *imp, const rp_csv_reader_t *r)
{
    rp_import_row_t *row = &imp->rows[imp->nrows++];
    json_t *fields, *errors, *unknown = NULL, *data = NULL;
    rp_status_t st = rp_import_row_start(imp, r, row, &fields, &errors);
    if (st != RP_OK || fields == NULL)
        return st;
    st = RP_ENOMEM;
    if ((unknown = json_array()) == NULL)
        goto done;
    st = rp_record_validate(imp->o, fields, true, &data, unknown, errors);
    if (st == RP_ENOMEM)
        goto done;
    if (json_object_size(errors) > 0) {
        rp_import_reject(imp, row, errors);
        errors = NULL;
        st = RP_OK;
        goto done;
    }
    /* A cleared field has no member in the stored data. */
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(data, tmp, k, v)
    {
        if (json_is_null(v))
            json_object_del(data, k);
    }
    row->data = data;
    data = NULL;
    st = RP_OK;
done:
    json_decref(data);
    json_decref(fields);
    json_decref(errors);
    json_decref(unknown);
    return st;
}

/* The content type must be CSV (text/csv, or application/csv and
 * text/plain, which some clients send for .csv files). */
static bool csv_content_type(const char *ct)
{
    if (ct == NULL || *ct == '\0')
        return true;
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return (n == 8 && strncasecmp(ct, "text/csv", 8) == 0) ||
           (n == 15 && strncasecmp(ct, "application/csv", 15) == 0) ||
           (n == 10 && strncasecmp(ct, "text/plain", 10) == 0);
}

/* Answers a problem document with extra members (stolen) beside the usual
 * ones. */
static void problem_with(rp_ctx_t *ctx, int status, const char *code, const char *detail,
                         json_t *extra)
{
    rp_buf_t b = {0};
    json_t *doc = NULL;
    if (rp_problem_render(&b, status, code, detail, ctx->req.path, ctx->req.request_id, NULL) ==
        RP_OK)
        doc = json_loads(b.data, 0, NULL);
    rp_buf_free(&b);
    if (doc == NULL || extra == NULL || json_object_update(doc, extra) != 0) {
        json_decref(doc);
        json_decref(extra);
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    json_decref(extra);
    rp_resp_json(ctx, status, doc);
    if (ctx->res.status == status)
        ctx->res.content_type = RP_PROBLEM_CONTENT_TYPE;
}

static json_t *report(const rp_import_t *imp, const char *mode)
{
    json_t *r = json_pack("{s:s, s:s, s:I, s:I, s:I, s:O}", "object", imp->o->name, "mode", mode,
                          "rows", (json_int_t)imp->total, "created", (json_int_t)imp->created,
                          "rejected", (json_int_t)imp->rejected, "errors", imp->report);
    if (r != NULL && imp->truncated)
        json_object_set_new(r, "errors_truncated", json_true());
    return r;
}

static void csv_failed(rp_ctx_t *ctx, rp_status_t st, const rp_csv_reader_t *r)
{
    if (st == RP_ENOMEM || st == RP_EIO) {
        rp_resp_fail(ctx, st);
        return;
    }
    char *detail =
        rp_pool_printf(&ctx->pool, "line %ld: %s", rp_csv_error_line(r), rp_csv_error(r));
    problem_with(ctx, 400, "malformed_csv", detail ? detail : "the file is not valid CSV",
                 json_pack("{s:I, s:{s:s}}", "line", (json_int_t)rp_csv_error_line(r), "errors",
                           "csv", rp_csv_error(r)));
}

/* Reads the file and writes its rows; answers. */
static void run(rp_import_t *imp, const char *mode, const json_t *mapping, const rp_access_t *a)
{
    rp_ctx_t *ctx = imp->ctx;
    rp_csv_reader_t r;
    rp_status_t st = rp_csv_reader_init_mem(&r, ctx->req.body, ctx->req.body_len,
                                            RP_IMPORT_FIELD_MAX, RP_IMPORT_COLUMNS_MAX);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    st = rp_csv_next(&r);
    if (st == RP_ENOTFOUND) {
        rp_resp_problem_fields(ctx, 400, "malformed_csv", "the file has no header row",
                               json_pack("{s:s}", "csv", "has no header row"));
        goto done;
    }
    if (st != RP_OK) {
        csv_failed(ctx, st, &r);
        goto done;
    }
    if (!rp_import_map_header(imp, &r, mapping, a))
        goto done;
    if ((st = rp_import_check_hooked(imp)) != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    while ((st = rp_csv_next(&r)) == RP_OK) {
        st = imp->hooked ? rp_import_add_hooked_row(imp, &r) : rp_import_add_row(imp, &r);
        if (st != RP_OK || imp->stop)
            break;
        if (imp->nrows < RP_IMPORT_BATCH)
            continue;
        st = imp->hooked ? rp_import_flush_hooked(imp) : rp_import_flush(imp);
        if (st != RP_OK || imp->stop)
            break;
    }
    if (st == RP_ENOTFOUND)
        st = imp->hooked ? rp_import_flush_hooked(imp) : rp_import_flush(imp);
    if (st == RP_EINVAL || st == RP_ELIMIT) {
        csv_failed(ctx, st, &r);
        goto done;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (imp->fail.status != 0) {
        /* A script limit or failure answers as it does on any write, and
         * the whole import rolls back, good rows included. */
        rp_crud_fail_answer(ctx, &imp->fail);
        goto done;
    }
    json_t *body = report(imp, mode);
    if (body == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
    } else if (imp->all && imp->rejected > 0) {
        /* All or nothing: the request's transaction rolls back. */
        json_object_set_new(body, "created", json_integer(0));
        char *detail =
            rp_pool_printf(&ctx->pool, "%ld of %ld rows were rejected; nothing was imported",
                           imp->rejected, imp->total);
        problem_with(ctx, 422, "import_rejected", detail ? detail : "rows were rejected", body);
    } else {
        rp_resp_json(ctx, 200, body);
    }
done:
    rp_csv_reader_free(&r);
}

void rp_import_handler(rp_ctx_t *ctx)
{
    const rp_meta_t *m = NULL;
    rp_status_t st = rp_meta_acquire(ctx, &m);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    const rp_object_t *o = rp_meta_object(m, ctx->req.params[0]);
    if (o == NULL) {
        char *detail = rp_pool_printf(&ctx->pool, "no object named %.64s", ctx->req.params[0]);
        rp_resp_problem(ctx, 404, "unknown_object", detail ? detail : "no such object");
        return;
    }
    rp_access_t a;
    rp_perm_access(ctx, m, o, &a);
    if (!a.create) {
        char *detail = rp_pool_printf(&ctx->pool, "you may not create %s records", o->name);
        rp_resp_problem(ctx, 403, "forbidden", detail ? detail : "you may not create records");
        return;
    }
    if (!csv_content_type(ctx->req.content_type)) {
        rp_resp_problem(ctx, 415, "unsupported_media_type", "the request body must be text/csv");
        return;
    }
    const char *mode = rp_req_query_param(ctx, "mode");
    if (mode == NULL)
        mode = "all";
    if (strcmp(mode, "all") != 0 && strcmp(mode, "row") != 0) {
        rp_resp_problem_fields(ctx, 400, "invalid_parameter", "mode must be all or row",
                               json_pack("{s:s}", "mode", "must be all or row"));
        return;
    }
    json_t *mapping = NULL;
    const char *mtext = rp_req_query_param(ctx, "mapping");
    if (mtext != NULL) {
        mapping = json_loads(mtext, JSON_REJECT_DUPLICATES, NULL);
        const char *k;
        json_t *v;
        bool ok = json_is_object(mapping);
        json_object_foreach(mapping, k, v) ok = ok && json_is_string(v);
        if (!ok) {
            json_decref(mapping);
            rp_resp_problem_fields(
                ctx, 400, "invalid_parameter",
                "mapping must be a JSON object of CSV column names to field names (or \"\")",
                json_pack("{s:s}", "mapping", "must be a JSON object of column names to fields"));
            return;
        }
    }
    rp_idem_t idem;
    if (!rp_idem_begin(ctx, &idem)) {
        json_decref(mapping);
        return;
    }
    rp_import_t *imp = calloc(1, sizeof *imp);
    if (imp == NULL || (imp->report = json_array()) == NULL) {
        free(imp);
        json_decref(mapping);
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    imp->ctx = ctx;
    imp->o = o;
    imp->tenant_id = ctx->principal.tenant_id;
    imp->actor_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    imp->all = strcmp(mode, "all") == 0;
    imp->crud.ctx = ctx;
    imp->crud.meta = m;
    imp->crud.tenant_id = imp->tenant_id;
    imp->crud.actor_id = imp->actor_id;
    imp->access = a;
    run(imp, mode, mapping, &a);
    rp_import_rows_clear(imp);
    rp_crud_fail_clear(&imp->fail);
    json_decref(imp->report);
    json_decref(mapping);
    free(imp);
    rp_idem_finish(ctx, &idem);
}
