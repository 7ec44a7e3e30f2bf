/* Writing one batch of imported rows with a handful of set-based
 * statements: the same checks and the same rows as rp_crud_create makes for
 * one record (crud_write.c), for up to RP_IMPORT_BATCH records at a time.
 * Large values travel as one jsonb parameter each, never in the SQL text. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "records/import.h"
#include "records/record.h"
#include "records/search.h"

static bool good(const rp_import_row_t *row)
{
    return row->data != NULL;
}

static void reject_field(rp_import_t *imp, rp_import_row_t *row, const char *field,
                         const char *message)
{
    rp_import_reject(imp, row, json_pack("{s:s}", field, message));
}

/* Runs sql with the batch's tenant and object as $1 and $2 and param as
 * $3 (and extra ones after it). */
static rp_status_t exec3(rp_import_t *imp, const char *sql, const char *param, rp_dbres_t **out)
{
    const char *p[] = {imp->tenant_id, imp->o->name, param};
    return rp_db_exec(imp->ctx->db, sql, 3, p, out);
}

/* Every reference value must name a live record of its target object. */
static rp_status_t check_refs(rp_import_t *imp)
{
    const rp_object_t *o = imp->o;
    for (int fi = 0; fi < o->nfields; fi++) {
        const rp_field_t *f = &o->fields[fi];
        if (f->type != RP_FIELD_REFERENCE)
            continue;
        rp_buf_t ids = {0};
        rp_status_t st = rp_buf_puts(&ids, "{");
        int n = 0;
        for (int i = 0; st == RP_OK && i < imp->nrows; i++) {
            const char *v = good(&imp->rows[i])
                                ? json_string_value(json_object_get(imp->rows[i].data, f->name))
                                : NULL;
            /* Normalised values are UUIDs: nothing to quote in the array. */
            if (v != NULL && (st = rp_buf_printf(&ids, "%s%s", n ? "," : "", v)) == RP_OK)
                n++;
        }
        if (st == RP_OK)
            st = rp_buf_puts(&ids, "}");
        rp_dbres_t *res = NULL;
        const char *p[] = {imp->tenant_id, f->reference, ids.data};
        if (st == RP_OK && n > 0)
            st = rp_db_exec(imp->ctx->db,
                            "SELECT id::text FROM records WHERE tenant_id = $1 AND object = $2 "
                            "AND id = ANY($3::uuid[]) AND deleted_at IS NULL FOR SHARE",
                            3, p, &res);
        rp_buf_free(&ids);
        json_t *found = json_object();
        if (st == RP_OK && found == NULL)
            st = RP_ENOMEM;
        for (int r = 0; st == RP_OK && n > 0 && r < rp_dbres_rows(res); r++)
            json_object_set_new(found, rp_dbres_get(res, r, 0), json_true());
        rp_dbres_free(res);
        for (int i = 0; st == RP_OK && n > 0 && i < imp->nrows; i++) {
            rp_import_row_t *row = &imp->rows[i];
            const char *v =
                good(row) ? json_string_value(json_object_get(row->data, f->name)) : NULL;
            if (v != NULL && json_object_get(found, v) == NULL)
                reject_field(imp, row, f->name, "refers to a record that does not exist");
        }
        json_decref(found);
        if (st != RP_OK)
            return st;
    }
    return RP_OK;
}

/* Unique values: a value twice in the batch keeps its first row; a value
 * another record holds (an earlier batch of the same file included, whose
 * claims are in this transaction) rejects the row. */
static rp_status_t check_unique(rp_import_t *imp)
{
    const rp_object_t *o = imp->o;
    json_t *seen = json_object(), *elems = json_array();
    rp_status_t st = (seen && elems) ? RP_OK : RP_ENOMEM;
    for (int fi = 0; st == RP_OK && fi < o->nfields; fi++) {
        const rp_field_t *f = &o->fields[fi];
        if (!f->unique || f->type == RP_FIELD_AUTONUMBER)
            continue;
        json_t *mine = json_object();
        if (mine == NULL || json_object_set_new(seen, f->name, mine) != 0) {
            st = RP_ENOMEM;
            break;
        }
        for (int i = 0; st == RP_OK && i < imp->nrows; i++) {
            rp_import_row_t *row = &imp->rows[i];
            const json_t *v = good(row) ? json_object_get(row->data, f->name) : NULL;
            if (v == NULL || json_is_null(v))
                continue;
            char *text = rp_record_unique_text(f, v);
            if (text == NULL) {
                st = RP_ENOMEM;
                break;
            }
            if (json_object_get(mine, text) != NULL) {
                reject_field(imp, row, f->name, "must be unique");
            } else {
                json_object_set_new(mine, text, json_integer(i));
                json_array_append_new(elems, json_pack("{s:s, s:s}", "f", f->name, "v", text));
            }
            free(text);
        }
    }
    char *param = NULL;
    rp_dbres_t *res = NULL;
    if (st == RP_OK && json_array_size(elems) > 0) {
        param = json_dumps(elems, JSON_COMPACT);
        st = param ? exec3(imp,
                           "SELECT field, value FROM record_unique WHERE tenant_id = $1 AND "
                           "object = $2 AND (field, value) IN (SELECT x->>'f', x->>'v' FROM "
                           "jsonb_array_elements($3::jsonb) x)",
                           param, &res)
                   : RP_ENOMEM;
        for (int r = 0; st == RP_OK && r < rp_dbres_rows(res); r++) {
            json_t *mine = json_object_get(seen, rp_dbres_get(res, r, 0));
            json_t *at = json_object_get(mine, rp_dbres_get(res, r, 1));
            if (at == NULL)
                continue;
            rp_import_row_t *row = &imp->rows[json_integer_value(at)];
            if (good(row))
                reject_field(imp, row, rp_dbres_get(res, r, 0), "must be unique");
        }
    }
    rp_dbres_free(res);
    free(param);
    json_decref(seen);
    json_decref(elems);
    return st;
}

/* Takes the next numbers of each autonumber field for the good rows, in
 * file order: one counter update per field, gapless as for single
 * creates (a rollback gives the numbers back). */
static rp_status_t autonumbers(rp_import_t *imp, int ngood)
{
    const rp_object_t *o = imp->o;
    for (int fi = 0; fi < o->nfields && ngood > 0; fi++) {
        const rp_field_t *f = &o->fields[fi];
        if (f->type != RP_FIELD_AUTONUMBER)
            continue;
        char k[24];
        snprintf(k, sizeof k, "%d", ngood);
        const char *p[] = {imp->tenant_id, o->name, f->name, k};
        rp_dbres_t *res = NULL;
        rp_status_t st = rp_db_exec(imp->ctx->db,
                                    "INSERT INTO autonumbers AS a (tenant_id, object, field, "
                                    "next_value) VALUES ($1, $2, $3, $4::bigint + 1) ON CONFLICT "
                                    "(tenant_id, object, field) DO UPDATE SET next_value = "
                                    "a.next_value + $4::bigint RETURNING a.next_value - $4::bigint",
                                    4, p, &res);
        long long next = st == RP_OK ? atoll(rp_dbres_get(res, 0, 0)) : 0;
        rp_dbres_free(res);
        for (int i = 0; st == RP_OK && i < imp->nrows; i++) {
            if (!good(&imp->rows[i]))
                continue;
            char text[96];
            if (rp_autonumber_format(f->format, next++, text, sizeof text) != RP_OK)
                st = RP_ERR;
            else if (json_object_set_new(imp->rows[i].data, f->name, json_string(text)) != 0)
                st = RP_ENOMEM;
        }
        if (st != RP_OK)
            return st;
    }
    return RP_OK;
}

/* The records and their history rows, in one statement (a data-modifying
 * CTE runs once whether or not the query reads it). The variant for after
 * hooks also returns the records' creation time, the transaction's, which
 * is all they need from the database: the rest of each record is what the
 * batch wrote. */
#define INSERT_ROWS(returning)                                                                     \
    "WITH e AS (SELECT (x->>'id')::uuid AS id, (x->>'h')::uuid AS h, x->'d' AS d, "                \
    "x->'c' AS c, x->>'s' AS s FROM jsonb_array_elements($3::jsonb) x), "                          \
    "ins AS (INSERT INTO records (tenant_id, object, id, data, owner_id, created_by, "             \
    "updated_by, search_text) SELECT $1, $2, e.id, e.d, $4::uuid, $4::uuid, $4::uuid, "            \
    "rp_search_norm(e.s) FROM e RETURNING " returning ") "
#define INSERT_HISTORY                                                                             \
    "INSERT INTO record_history (tenant_id, object, record_id, id, action, actor_id, at, "         \
    "changes) SELECT $1, $2, e.id, e.h, 'create', $4::uuid, clock_timestamp(), e.c "               \
    "FROM ins JOIN e ON e.id = ins.id"

static rp_status_t insert_rows(rp_import_t *imp, char *written_at)
{
    json_t *elems = json_array(), *empty = json_object();
    rp_status_t st = elems && empty ? RP_OK : RP_ENOMEM;
    for (int i = 0; st == RP_OK && i < imp->nrows; i++) {
        rp_import_row_t *row = &imp->rows[i];
        if (!good(row))
            continue;
        char *search = NULL;
        if ((st = rp_search_text_for(imp->o, row->data, &search)) != RP_OK)
            break;
        char hid[RP_UUID_LEN + 1];
        rp_uuid_v7(row->id);
        rp_uuid_v7(hid);
        /* The change set a create through the API stores: every stored
         * field from null to its value. */
        json_t *changes = rp_record_diff(empty, row->data);
        json_t *e = changes ? json_pack("{s:s, s:s, s:O, s:o, s:s?}", "id", row->id, "h", hid, "d",
                                        row->data, "c", changes, "s", search)
                            : NULL;
        free(search);
        if (e == NULL || json_array_append_new(elems, e) != 0)
            st = RP_ENOMEM;
    }
    char *param = st == RP_OK ? json_dumps(elems, JSON_COMPACT) : NULL;
    if (st == RP_OK && param == NULL)
        st = RP_ENOMEM;
    if (st == RP_OK) {
        const char *p[] = {imp->tenant_id, imp->o->name, param, imp->actor_id};
        rp_dbres_t *res = NULL;
        st = written_at ? rp_db_exec(imp->ctx->db,
                                     INSERT_ROWS("id") ", hist AS (" INSERT_HISTORY
                                                       ") SELECT to_char(now() AT TIME ZONE 'UTC', "
                                                       "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                                     4, p, &res)
                        : rp_db_exec(imp->ctx->db, INSERT_ROWS("id") INSERT_HISTORY, 4, p, NULL);
        if (st == RP_OK && written_at != NULL)
            snprintf(written_at, RP_IMPORT_STAMP_LEN, "%s", rp_dbres_get(res, 0, 0));
        rp_dbres_free(res);
    }
    free(param);
    json_decref(elems);
    json_decref(empty);
    return st;
}

/* Claims the unique values of the written rows. A value another
 * transaction committed since the check loses its row, which is deleted
 * again (with its history) and reported. */
static rp_status_t claim_unique(rp_import_t *imp)
{
    const rp_object_t *o = imp->o;
    json_t *elems = json_array();
    if (elems == NULL)
        return RP_ENOMEM;
    for (int fi = 0; fi < o->nfields; fi++) {
        const rp_field_t *f = &o->fields[fi];
        for (int i = 0; f->unique && i < imp->nrows; i++) {
            rp_import_row_t *row = &imp->rows[i];
            const json_t *v = good(row) ? json_object_get(row->data, f->name) : NULL;
            if (v == NULL || json_is_null(v))
                continue;
            char *text = rp_record_unique_text(f, v);
            json_t *e =
                text ? json_pack("{s:s, s:s, s:s}", "f", f->name, "r", row->id, "v", text) : NULL;
            free(text);
            if (e == NULL || json_array_append_new(elems, e) != 0) {
                json_decref(elems);
                return RP_ENOMEM;
            }
        }
    }
    size_t want = json_array_size(elems);
    if (want == 0) {
        json_decref(elems);
        return RP_OK;
    }
    char *param = json_dumps(elems, JSON_COMPACT);
    rp_dbres_t *res = NULL;
    rp_status_t st = param ? exec3(imp,
                                   "INSERT INTO record_unique (tenant_id, object, field, "
                                   "record_id, value) SELECT $1, $2, x->>'f', (x->>'r')::uuid, "
                                   "x->>'v' FROM jsonb_array_elements($3::jsonb) x ON CONFLICT "
                                   "DO NOTHING RETURNING field || '/' || record_id::text",
                                   param, &res)
                           : RP_ENOMEM;
    free(param);
    if (st == RP_OK && (size_t)rp_dbres_rows(res) < want) {
        json_t *won = json_object();
        rp_buf_t lost = {0};
        st = won && rp_buf_puts(&lost, "{") == RP_OK ? RP_OK : RP_ENOMEM;
        for (int r = 0; st == RP_OK && r < rp_dbres_rows(res); r++)
            json_object_set_new(won, rp_dbres_get(res, r, 0), json_true());
        size_t k;
        json_t *e;
        int nlost = 0;
        json_array_foreach(elems, k, e)
        {
            const char *field = json_string_value(json_object_get(e, "f"));
            const char *rid = json_string_value(json_object_get(e, "r"));
            char key[RP_FIELD_NAME_MAX + RP_UUID_LEN + 4];
            snprintf(key, sizeof key, "%s/%s", field, rid);
            if (st != RP_OK || json_object_get(won, key) != NULL)
                continue;
            for (int i = 0; i < imp->nrows; i++) {
                rp_import_row_t *row = &imp->rows[i];
                if (!good(row) || strcmp(row->id, rid) != 0)
                    continue;
                imp->created--; /* counted as written by the caller */
                reject_field(imp, row, field, "must be unique");
                st = rp_buf_printf(&lost, "%s%s", nlost++ ? "," : "", rid);
            }
        }
        if (st == RP_OK)
            st = rp_buf_puts(&lost, "}");
        if (st == RP_OK && nlost > 0)
            st = exec3(imp,
                       "DELETE FROM records WHERE tenant_id = $1 AND object = $2 AND id = "
                       "ANY($3::uuid[])",
                       lost.data, NULL);
        rp_buf_free(&lost);
        json_decref(won);
    }
    rp_dbres_free(res);
    json_decref(elems);
    return st;
}

static bool is_custom(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, "__c") == 0;
}

/* The record_index row of one value, as rp_crud_sync_field writes it: one
 * typed column. NULL when the value has no index row. */
static json_t *index_elem(const rp_field_t *f, const char *rid, const json_t *v)
{
    const char *col = "t";
    json_t *val = NULL;
    switch (f->type) {
    case RP_FIELD_INTEGER:
        col = "n";
        val = json_sprintf("%lld", (long long)json_integer_value(v));
        break;
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        col = "n";
        val = json_incref((json_t *)v);
        break;
    case RP_FIELD_CURRENCY:
        col = "n";
        val = json_incref(json_object_get(v, "amount"));
        break;
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        col = "ts";
        val = json_incref((json_t *)v);
        break;
    case RP_FIELD_BOOLEAN:
        val = json_string(json_is_true(v) ? "true" : "false");
        break;
    case RP_FIELD_MULTIPICKLIST:
        return NULL;
    default:
        val = json_incref((json_t *)v);
        break;
    }
    if (!json_is_string(val)) {
        json_decref(val);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o}", "f", f->name, "r", rid, col, val);
}

/* record_index rows of the tenant's own indexed or unique fields. */
static rp_status_t index_rows(rp_import_t *imp)
{
    const rp_object_t *o = imp->o;
    json_t *elems = json_array();
    if (elems == NULL)
        return RP_ENOMEM;
    for (int fi = 0; fi < o->nfields; fi++) {
        const rp_field_t *f = &o->fields[fi];
        if (!is_custom(f->name) || !(f->indexed || f->unique))
            continue;
        for (int i = 0; i < imp->nrows; i++) {
            rp_import_row_t *row = &imp->rows[i];
            const json_t *v = good(row) ? json_object_get(row->data, f->name) : NULL;
            json_t *e = v && !json_is_null(v) ? index_elem(f, row->id, v) : NULL;
            if (e != NULL && json_array_append_new(elems, e) != 0) {
                json_decref(elems);
                return RP_ENOMEM;
            }
        }
    }
    rp_status_t st = RP_OK;
    if (json_array_size(elems) > 0) {
        char *param = json_dumps(elems, JSON_COMPACT);
        st = param ? exec3(imp,
                           "INSERT INTO record_index (tenant_id, object, field, record_id, "
                           "value_text, value_num, value_ts) SELECT $1, $2, x->>'f', "
                           "(x->>'r')::uuid, x->>'t', (x->>'n')::numeric, "
                           "(x->>'ts')::timestamptz FROM jsonb_array_elements($3::jsonb) x",
                           param, NULL)
                   : RP_ENOMEM;
        free(param);
    }
    json_decref(elems);
    return st;
}

rp_status_t rp_import_write(rp_import_t *imp, char *written_at)
{
    if (written_at != NULL)
        written_at[0] = '\0';
    rp_status_t st = check_refs(imp);
    if (st == RP_OK)
        st = check_unique(imp);
    int ngood = 0;
    for (int i = 0; i < imp->nrows; i++)
        ngood += good(&imp->rows[i]);
    if (st == RP_OK)
        st = autonumbers(imp, ngood);
    if (st == RP_OK && ngood > 0)
        st = insert_rows(imp, written_at);
    if (st == RP_OK)
        imp->created += ngood;
    if (st == RP_OK && ngood > 0)
        st = claim_unique(imp);
    if (st == RP_OK && ngood > 0)
        st = index_rows(imp);
    return st;
}

rp_status_t rp_import_flush(rp_import_t *imp)
{
    rp_status_t st = rp_import_write(imp, NULL);
    rp_import_report_batch(imp);
    rp_import_rows_clear(imp);
    return st;
}
