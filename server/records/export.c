/* GET /api/v1/export/{object}?format=csv|jsonl with the list endpoint's
 * filter, sort and fields parameters. The records are read page by page
 * through the query compiler's keyset cursor, inside one repeatable-read
 * transaction (one consistent snapshot however long the export), and each
 * page is streamed to the client before the next is read: memory holds one
 * page, whatever the size of the export. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/csv.h"
#include "records/import.h"
#include "records/query_handlers.h"
#include "records/record.h"

/* Rows read per page. */
#define PAGE 1000

/* The system columns an export starts with, in RP_RECORD_COLS order. */
static const struct {
    const char *name;
    int col;
} system_cols[] = {{"id", RP_RECORD_COL_ID},
                   {"created_at", RP_RECORD_COL_CREATED_AT},
                   {"updated_at", RP_RECORD_COL_UPDATED_AT},
                   {"owner_id", RP_RECORD_COL_OWNER_ID}};

/* Values a person typed, which a spreadsheet could take for a formula. */
static bool free_text(rp_field_type_t t)
{
    return t == RP_FIELD_TEXT || t == RP_FIELD_TEXTAREA || t == RP_FIELD_EMAIL ||
           t == RP_FIELD_URL || t == RP_FIELD_PICKLIST || t == RP_FIELD_MULTIPICKLIST ||
           t == RP_FIELD_AUTONUMBER;
}

/* One value in its CSV text form: multipicklist values joined with ';',
 * currency as "amount CODE", booleans true/false, nothing for no value. */
static rp_status_t put_value(rp_buf_t *out, const rp_field_t *f, const json_t *v)
{
    unsigned flags = free_text(f->type) ? RP_CSV_TEXT : 0;
    if (v == NULL || json_is_null(v))
        return RP_OK;
    if (json_is_string(v))
        return rp_csv_put(out, json_string_value(v), json_string_length(v), flags);
    char tmp[160];
    if (json_is_integer(v)) {
        int n = snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        return rp_csv_put(out, tmp, (size_t)n, 0);
    }
    if (json_is_boolean(v))
        return rp_csv_put(out, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5, 0);
    rp_buf_t b = {0};
    rp_status_t st = RP_OK;
    if (f->type == RP_FIELD_CURRENCY && json_is_object(v)) {
        st = rp_buf_printf(&b, "%s %s", json_string_value(json_object_get(v, "amount")),
                           json_string_value(json_object_get(v, "currency")));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (st == RP_OK && i > 0)
                st = rp_buf_puts(&b, ";");
            if (st == RP_OK && json_is_string(e))
                st = rp_buf_append(&b, json_string_value(e), json_string_length(e));
        }
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        st = s ? rp_buf_puts(&b, s) : RP_ENOMEM;
        free(s);
    }
    if (st == RP_OK)
        st = rp_csv_put(out, b.data ? b.data : "", b.len, flags);
    rp_buf_free(&b);
    return st;
}

static rp_status_t csv_header(rp_buf_t *out, const rp_query_t *q)
{
    rp_status_t st = RP_OK;
    for (size_t i = 0; st == RP_OK && i < sizeof system_cols / sizeof system_cols[0]; i++) {
        if (i > 0)
            st = rp_csv_sep(out);
        if (st == RP_OK)
            st = rp_buf_puts(out, system_cols[i].name);
    }
    for (int k = 0; st == RP_OK && k < q->nfields; k++) {
        st = rp_csv_sep(out);
        if (st == RP_OK)
            st = rp_buf_puts(out, q->fields[k]->name);
    }
    return st == RP_OK ? rp_csv_eol(out) : st;
}

static rp_status_t csv_row(rp_buf_t *out, const rp_query_t *q, const rp_dbres_t *res, int row)
{
    rp_status_t st = RP_OK;
    for (size_t i = 0; st == RP_OK && i < sizeof system_cols / sizeof system_cols[0]; i++) {
        if (i > 0)
            st = rp_csv_sep(out);
        if (st == RP_OK)
            st = rp_buf_puts(out, rp_dbres_get(res, row, system_cols[i].col));
    }
    json_t *data = json_loads(rp_dbres_get(res, row, RP_RECORD_COL_DATA), 0, NULL);
    if (data == NULL)
        return RP_ERR;
    for (int k = 0; st == RP_OK && k < q->nfields; k++) {
        st = rp_csv_sep(out);
        if (st == RP_OK)
            st = put_value(out, q->fields[k], json_object_get(data, q->fields[k]->name));
    }
    json_decref(data);
    return st == RP_OK ? rp_csv_eol(out) : st;
}

static rp_status_t jsonl_row(rp_buf_t *out, const rp_query_t *q, const rp_object_t *o,
                             const rp_dbres_t *res, int row)
{
    json_t *rec = rp_list_record_json(q, o, res, row);
    char *s = rec ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(rec);
    rp_status_t st = s ? rp_buf_puts(out, s) : RP_ENOMEM;
    free(s);
    return st == RP_OK ? rp_buf_puts(out, "\n") : st;
}

/* Makes the compiled query fetch PAGE + 1 rows: the compiler caps pages
 * for interactive lists, and an export reads far larger ones. false when
 * the SQL does not end as expected (the compiler's page size then stays). */
static bool widen_page(rp_ctx_t *ctx, rp_query_t *q)
{
    const char *at = strstr(q->sql, " LIMIT ");
    const char *last = at;
    while (at != NULL) {
        last = at;
        at = strstr(at + 1, " LIMIT ");
    }
    if (last == NULL || strspn(last + 7, "0123456789") != strlen(last + 7))
        return false;
    char *sql = rp_pool_printf(&ctx->pool, "%.*s LIMIT %d", (int)(last - q->sql), q->sql, PAGE + 1);
    if (sql == NULL)
        return false;
    q->sql = sql;
    q->limit = PAGE;
    return true;
}

static void refuse_spec(rp_ctx_t *ctx, const rp_query_error_t *err)
{
    char detail[320];
    snprintf(detail, sizeof detail, "%s %s", err->name, err->message);
    rp_resp_problem_fields(ctx, 400, err->code, detail,
                           json_pack("{s:s}", err->name[0] ? err->name : "query", err->message));
}

/* The cursor after the last row of a page. */
static const char *next_cursor(rp_ctx_t *ctx, const rp_query_t *q, const rp_dbres_t *res, int n)
{
    const char *vals[RP_QUERY_SORT_MAX];
    for (int k = 0; k < q->nsort; k++) {
        char col[16];
        snprintf(col, sizeof col, "_s%d", k);
        int c = rp_dbres_col(res, col);
        vals[k] = c < 0 || rp_dbres_null(res, n - 1, c) ? NULL : rp_dbres_get(res, n - 1, c);
    }
    return rp_query_cursor_encode(q, vals, rp_dbres_get(res, n - 1, RP_RECORD_COL_ID), &ctx->pool);
}

/* Answers inside the export's transaction. */
static void run(rp_ctx_t *ctx, bool csv)
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
    if (a.read == RP_SCOPE_NONE) {
        char *detail = rp_pool_printf(&ctx->pool, "you may not read %s records", o->name);
        rp_resp_problem(ctx, 403, "forbidden", detail ? detail : "you may not read these records");
        return;
    }
    rp_query_spec_t spec = {.object = o, .tenant_id = ctx->principal.tenant_id};
    if (!(a.read == RP_SCOPE_ALL && rp_perm_reads_all(&a, o))) {
        /* Records outside the read scope and hidden fields never leave. */
        spec.access = &a;
        spec.user_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    }
    if (!rp_list_params(ctx, &spec))
        return;
    spec.limit = NULL;
    spec.cursor = NULL;
    spec.columns = RP_RECORD_COLS;
    rp_buf_t out = {0};
    rp_dbres_t *res = NULL;
    bool started = false;
    for (;;) {
        rp_query_t q;
        rp_query_error_t err;
        st = rp_query_compile(&spec, &ctx->pool, &q, &err);
        if (st == RP_EINVAL && !started) {
            refuse_spec(ctx, &err);
            goto done;
        }
        if (st == RP_OK)
            widen_page(ctx, &q);
        if (st == RP_OK)
            st = rp_db_exec(ctx->db, q.sql, q.nparams, q.params, &res);
        if (st != RP_OK) {
            if (!started)
                rp_resp_fail(ctx, st);
            goto done; /* midway: the response is cut short */
        }
        if (!started) {
            char *disp = rp_pool_printf(&ctx->pool, "attachment; filename=\"%s.%s\"", o->name,
                                        csv ? "csv" : "jsonl");
            if (disp != NULL)
                rp_resp_header(ctx, "Content-Disposition", disp);
            st = rp_resp_stream_begin(ctx, 200,
                                      csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
            if (st != RP_OK) {
                rp_resp_fail(ctx, st);
                goto done;
            }
            started = true;
            if (csv && (st = csv_header(&out, &q)) != RP_OK)
                goto done;
        }
        int rows = rp_dbres_rows(res);
        int n = rows > q.limit ? q.limit : rows;
        for (int i = 0; st == RP_OK && i < n; i++)
            st = csv ? csv_row(&out, &q, res, i) : jsonl_row(&out, &q, o, res, i);
        if (st == RP_OK && out.len > 0)
            st = rp_resp_stream_write(ctx, out.data, out.len);
        rp_buf_reset(&out);
        if (st != RP_OK)
            goto done; /* the client left, or the page could not be written */
        if (rows <= q.limit)
            break;
        if ((spec.cursor = next_cursor(ctx, &q, res, n)) == NULL)
            goto done;
        rp_dbres_free(res);
        res = NULL;
    }
    rp_resp_stream_end(ctx);
done:
    rp_dbres_free(res);
    rp_buf_free(&out);
}

void rp_export_handler(rp_ctx_t *ctx)
{
    const char *format = rp_req_query_param(ctx, "format");
    bool csv = format == NULL || strcmp(format, "csv") == 0;
    if (!csv && strcmp(format, "jsonl") != 0) {
        rp_resp_problem_fields(ctx, 400, "invalid_parameter", "format must be csv or jsonl",
                               json_pack("{s:s}", "format", "must be csv or jsonl"));
        return;
    }
    /* One snapshot for every page: the transaction is repeatable read,
     * which must be chosen before its first statement, so this route opens
     * its own transaction and sets the session default around it. */
    rp_db_t *db = ctx->db;
    rp_status_t st =
        rp_db_exec(db, "SET default_transaction_isolation TO 'repeatable read'", 0, NULL, NULL);
    if (st == RP_OK)
        st = rp_db_begin(db, ctx->principal.tenant_id);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
    } else {
        run(ctx, csv);
        /* Nothing was written: a rollback ends the snapshot as well. */
        rp_db_rollback(db);
    }
    /* The connection serves other requests next: leave no setting behind
     * (a lost connection takes it with it). */
    rp_db_exec(db, "RESET default_transaction_isolation", 0, NULL, NULL);
}
