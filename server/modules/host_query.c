#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "modules/internal.h"
#include "records/crud_internal.h"
#include "records/perm.h"
#include "records/query.h"
#include "records/record.h"

/* Queries for modules: the query compiler under the caller's read scope
 * and field rights, exactly as the list API runs it, one page at a time
 * (record_query is the first page only). */

#define CJ(v) ((const json_t *)(v))
#define H(v) ((rp_json_t *)(v))

/* Notes why a query was refused, for the module's log line. */
static void note_refusal(rp_mctx_t *mc, const rp_query_error_t *err)
{
    char msg[320];
    snprintf(msg, sizeof msg, "query refused: %s %s (%s)", err->name, err->message,
             err->code ? err->code : "invalid");
    rp_modules_host_api.set_error(mc, msg);
}

/* The cursor after the last row returned (row n - 1 of res), malloc'd. */
static rp_status_t next_cursor(rp_ctx_t *ctx, const rp_query_t *q, const rp_dbres_t *res, int n,
                               char **next)
{
    const char *vals[RP_QUERY_SORT_MAX];
    for (int k = 0; k < q->nsort; k++) {
        char col[16];
        snprintf(col, sizeof col, "_s%d", k);
        int c = rp_dbres_col(res, col);
        vals[k] = c < 0 || rp_dbres_null(res, n - 1, c) ? NULL : rp_dbres_get(res, n - 1, c);
    }
    const char *cur =
        rp_query_cursor_encode(q, vals, rp_dbres_get(res, n - 1, RP_RECORD_COL_ID), &ctx->pool);
    /* The module releases it with mem_free, long after the pool is gone. */
    *next = cur ? strdup(cur) : NULL;
    return *next ? RP_OK : RP_ENOMEM;
}

static rp_mstatus_t run(rp_mctx_t *mc, const char *object, const rp_json_t *filter,
                        const char *sort, int limit, const char *cursor, rp_json_t **out,
                        char **next)
{
    rp_crud_t c;
    const rp_object_t *o = NULL;
    rp_mstatus_t ms = rp_host_open_object(mc, object, &c, &o);
    if (ms != RP_M_OK)
        return ms;
    if (limit < 1 || limit > RP_QUERY_LIMIT_MAX ||
        (cursor != NULL && (cursor[0] == '\0' || strlen(cursor) > RP_QUERY_CURSOR_MAX)))
        return RP_M_EINVAL;
    rp_access_t a;
    rp_crud_access(&c, o, &a);
    json_t *jsort = sort ? json_string(sort) : NULL, *jlimit = json_integer(limit);
    json_t *list = json_array();
    rp_dbres_t *res = NULL;
    rp_status_t st = RP_ENOMEM;
    if ((sort && jsort == NULL) || jlimit == NULL || list == NULL)
        goto done;
    rp_query_spec_t spec = {.object = o,
                            .tenant_id = c.tenant_id,
                            .filter = CJ(filter),
                            .sort = jsort,
                            .limit = jlimit,
                            .cursor = cursor,
                            .access = &a,
                            .user_id = c.actor_id};
    rp_query_t q;
    rp_query_error_t qerr;
    st = rp_query_compile(&spec, &c.ctx->pool, &q, &qerr);
    if (st == RP_EINVAL)
        note_refusal(mc, &qerr);
    if (st != RP_OK)
        goto done;
    st = rp_db_exec(c.ctx->db, q.sql, q.nparams, q.params, &res);
    if (st == RP_EDB && cursor != NULL && strncmp(rp_db_sqlstate(c.ctx->db), "22", 2) == 0) {
        /* A cursor whose values do not cast to their columns: not one of
         * ours. The failed statement leaves the transaction unusable, so
         * the module's caller must answer an error anyway. */
        rp_modules_host_api.set_error(mc, "query refused: cursor is not a cursor from this query");
        st = RP_EINVAL;
        goto done;
    }
    if (st != RP_OK)
        goto done;
    int rows = rp_dbres_rows(res);
    int n = rows > q.limit ? q.limit : rows;
    for (int i = 0; i < n; i++) {
        json_t *rec = rp_record_json(o, res, i);
        if (rec == NULL || json_array_append_new(list, rec) != 0) {
            st = RP_ENOMEM;
            goto done;
        }
        rp_record_hide(rec, o, &a);
    }
    if (next != NULL && rows > q.limit && n > 0 &&
        (st = next_cursor(c.ctx, &q, res, n, next)) != RP_OK)
        goto done;
    *out = H(list);
    list = NULL;
done:
    rp_dbres_free(res);
    json_decref(jsort);
    json_decref(jlimit);
    json_decref(list);
    return rp_modules_mstatus(st);
}

rp_mstatus_t rp_host_record_query(rp_mctx_t *mc, const char *object, const rp_json_t *filter,
                                  const char *sort, int limit, rp_json_t **out)
{
    if (out == NULL)
        return RP_M_EINVAL;
    *out = NULL;
    return run(mc, object, filter, sort, limit, NULL, out, NULL);
}

rp_mstatus_t rp_host_record_query_page(rp_mctx_t *mc, const char *object, const rp_json_t *filter,
                                       const char *sort, int limit, const char *cursor,
                                       rp_json_t **out, char **next)
{
    if (out == NULL || next == NULL)
        return RP_M_EINVAL;
    *out = NULL;
    *next = NULL;
    rp_mstatus_t ms = run(mc, object, filter, sort, limit, cursor, out, next);
    if (ms != RP_M_OK) {
        free(*next);
        *next = NULL;
    }
    return ms;
}
