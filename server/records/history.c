#include "records/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/input.h"
#include "core/uuid.h"
#include "records/crud_internal.h"

rp_status_t rp_history_add(rp_db_t *db, const char *tenant_id, const char *object,
                           const char *record_id, const char *action, const char *actor_id,
                           const json_t *changes)
{
    char *text = json_dumps(changes, JSON_COMPACT);
    if (text == NULL)
        return RP_ENOMEM;
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *p[] = {tenant_id, object, record_id, id, action, actor_id, text};
    /* clock_timestamp(), not now(): several writes to one record in one
     * transaction (a bulk request) still get distinct, ordered times. */
    rp_status_t st = rp_db_exec(db,
                                "INSERT INTO record_history (tenant_id, object, record_id, id, "
                                "action, actor_id, at, changes) VALUES ($1, $2, $3, $4, $5, "
                                "$6::uuid, clock_timestamp(), $7::jsonb)",
                                7, p, NULL);
    free(text);
    return st;
}

/* The cursor is the last entry's time (microseconds, UTC) and id. */
#define CURSOR_FMT "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\""

static bool parse_cursor(const char *cursor, char at[40], char id[RP_UUID_LEN + 1])
{
    const char *sep = strchr(cursor, '_');
    if (sep == NULL || (size_t)(sep - cursor) >= 40 || (size_t)(sep - cursor) < 20)
        return false;
    for (const char *s = cursor; s < sep; s++)
        if (!strchr("0123456789-:.TZ", *s))
            return false;
    if (!rp_uuid_valid(sep + 1))
        return false;
    memcpy(at, cursor, (size_t)(sep - cursor));
    at[sep - cursor] = '\0';
    memcpy(id, sep + 1, RP_UUID_LEN + 1);
    return true;
}

/* One entry, without the changes of fields a hides. */
static json_t *entry_json(const rp_dbres_t *res, int row, const rp_object_t *o,
                          const rp_access_t *a)
{
    json_t *changes = json_loads(rp_dbres_get(res, row, 4), 0, NULL);
    if (changes == NULL)
        changes = json_object();
    rp_record_hide_changes(changes, o, a);
    return json_pack("{s:s, s:s, s:o, s:s, s:o}", "id", rp_dbres_get(res, row, 0), "action",
                     rp_dbres_get(res, row, 1), "actor_id",
                     rp_dbres_null(res, row, 2) ? json_null()
                                                : json_string(rp_dbres_get(res, row, 2)),
                     "at", rp_dbres_get(res, row, 3), "changes", changes);
}

void rp_history_get(rp_ctx_t *ctx)
{
    rp_crud_t c;
    const char *id;
    const rp_object_t *o = rp_crud_open_record(ctx, &c, &id);
    if (o == NULL)
        return;
    rp_access_t a;
    rp_crud_access(&c, o, &a);
    if (!rp_crud_may_read(ctx, o, &a))
        return;
    int limit;
    json_t *errors = json_object();
    const char *cursor = rp_req_query_param(ctx, "cursor");
    char at[40] = "", cid[RP_UUID_LEN + 1] = "";
    if (!rp_input_limit(rp_req_query_param(ctx, "limit"), 50, 200, &limit))
        rp_input_error(errors, "limit", "must be an integer from 1 to 200");
    if (cursor != NULL && !parse_cursor(cursor, at, cid))
        rp_input_error(errors, "cursor", "must be a next_cursor from a previous page");
    if (rp_input_fail(ctx, errors))
        return;
    /* Deleted records keep their history readable: it says who deleted. */
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_record_load(ctx->db, c.tenant_id, o, id, false, &res);
    bool readable = true;
    if (st == RP_OK)
        st = rp_crud_readable(&c, &a, res, &readable);
    rp_dbres_free(res);
    res = NULL;
    if (st == RP_ENOTFOUND || (st == RP_OK && !readable)) {
        rp_resp_problem(ctx, 404, "not_found", "no such record");
        return;
    }
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {c.tenant_id, o->name, id, lim, cursor ? at : NULL, cursor ? cid : NULL};
    if (st == RP_OK)
        st = rp_db_exec(ctx->db,
                        "SELECT id::text, action, actor_id::text, "
                        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
                        "changes::text, to_char(at AT TIME ZONE 'UTC', '" CURSOR_FMT "') "
                        "FROM record_history WHERE tenant_id = $1 AND object = $2 AND "
                        "record_id = $3 AND ($5::text IS NULL OR (at, id) < ($5::timestamptz, "
                        "$6::uuid)) ORDER BY at DESC, id DESC LIMIT $4::int",
                        6, p, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    int n = rp_dbres_rows(res);
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++)
        json_array_append_new(data, entry_json(res, i, o, &a));
    json_t *next = json_null();
    if (n > limit) {
        char *cur = rp_pool_printf(&ctx->pool, "%s_%s", rp_dbres_get(res, limit - 1, 5),
                                   rp_dbres_get(res, limit - 1, 0));
        next = cur ? json_string(cur) : json_null();
    }
    rp_dbres_free(res);
    rp_resp_json(ctx, 200, json_pack("{s:o, s:o}", "data", data, "next_cursor", next));
}
