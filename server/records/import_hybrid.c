/* The batches of an object that module hooks or Lua triggers watch. Each
 * row's before hooks and triggers run in memory as the row is read (they
 * may change its input, fill read-only fields or refuse it), then it is
 * validated; the batch's good rows are written with the set-based
 * statements of import_batch.c; then the after hooks and triggers of each
 * written row run over the record as the API gives it, in file order, in
 * the same transaction. So a hooked import costs what its hooks cost plus
 * the batches, not the statements of one create per row.
 *
 * mode=all needs no savepoint: any rejection rolls the whole import back.
 * mode=row sets one savepoint per batch; when a row that hooks or triggers
 * touched is rejected (by them, by validation after them, by a check of
 * the write, or by its after hooks), what they did for it cannot be told
 * apart from the rest of the batch, so the batch is undone and imported
 * again row by row (import_hooks.c), where each refused row rolls back
 * alone. Batches with no such row, the usual case, are kept as written. */

#include <string.h>

#include "records/import.h"
#include "records/record.h"

/* Statuses the caller keeps for the CSV reader's own failures. */
static rp_status_t quiet(rp_status_t st)
{
    return st == RP_EINVAL || st == RP_ELIMIT ? RP_ERR : st;
}

/* mode=row: the batch's savepoint, set before its first row's hooks can
 * write anything; after an earlier batch, releasing that one and setting
 * it again is one round trip. */
static rp_status_t batch_savepoint(rp_import_t *imp)
{
    if (imp->all || imp->batch_sp == 1)
        return RP_OK;
    rp_status_t st = imp->batch_sp == 0
                         ? rp_db_savepoint(imp->ctx->db, RP_IMPORT_BATCH_SAVEPOINT)
                         : rp_db_savepoint_next(imp->ctx->db, RP_IMPORT_BATCH_SAVEPOINT);
    if (st == RP_OK)
        imp->batch_sp = 1;
    return st;
}

/* Names a hook or trigger added that the object does not have, as the
 * records API refuses them. */
static json_t *unknown_errors(const json_t *unknown)
{
    json_t *errors = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(unknown, i, v)
    {
        if (errors != NULL &&
            json_object_set_new(errors, json_string_value(v),
                                json_string("is not a field of this object")) != 0) {
            json_decref(errors);
            errors = NULL;
        }
    }
    return errors;
}

/* The row's before hooks and triggers on a copy of its input, then the
 * checks of a create through the API: row->data, or the row rejected. */
static rp_status_t before(rp_import_t *imp, rp_import_row_t *row)
{
    /* Hooks work on a copy: the caller's own input is what read-only
     * fields are refused against, and what a replay starts from. */
    json_t *input = imp->before ? json_deep_copy(row->input) : json_incref(row->input);
    json_t *unknown = json_array(), *errors = json_object();
    json_t *data = NULL;
    rp_crud_fail_t fail;
    memset(&fail, 0, sizeof fail);
    rp_status_t st = RP_ENOMEM;
    if (input == NULL || unknown == NULL || errors == NULL)
        goto done;
    if (imp->before) {
        row->touched = true;
        st = rp_crud_hooks_run(&imp->crud, RP_CRUD_BEFORE_CREATE, imp->o, NULL, input, NULL, NULL,
                               &fail);
        if (st == RP_EINVAL && fail.status != 0) {
            rp_import_refused(imp, row, &fail);
            st = RP_OK;
            goto done;
        }
        if (st != RP_OK)
            goto done;
    }
    /* Hooks and triggers may fill read-only fields; the file's own cells
     * may not (such columns were refused with the header). */
    if (rp_record_validate_ex(imp->o, input, true, row->input, &data, unknown, errors) == RP_ENOMEM)
        goto done;
    st = RP_OK;
    if (json_array_size(unknown) > 0) {
        json_t *e = unknown_errors(unknown);
        if (e == NULL)
            st = RP_ENOMEM;
        else
            rp_import_reject(imp, row, e);
    } else if (json_object_size(errors) > 0) {
        rp_import_reject(imp, row, errors);
        errors = NULL;
    } else {
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
    }
done:
    rp_crud_fail_clear(&fail);
    json_decref(input);
    json_decref(unknown);
    json_decref(errors);
    json_decref(data);
    return st;
}

rp_status_t rp_import_add_hooked_row(rp_import_t *imp, const rp_csv_reader_t *r)
{
    rp_status_t st = imp->nrows == 0 ? batch_savepoint(imp) : RP_OK;
    if (st != RP_OK)
        return quiet(st);
    rp_import_row_t *row = &imp->rows[imp->nrows++];
    json_t *fields, *errors;
    st = rp_import_row_start(imp, r, row, &fields, &errors);
    if (st != RP_OK || fields == NULL)
        return st;
    if (json_object_size(errors) > 0) {
        /* A cell that cannot be a value rejects the row before any hook
         * sees it: there is nothing a hook could have made of it. */
        json_decref(fields);
        rp_import_reject(imp, row, errors);
        return RP_OK;
    }
    json_decref(errors);
    row->input = fields;
    return quiet(before(imp, row));
}

/* The written row as the API gives it (rp_record_json of the row the
 * insert wrote): the batch wrote row->data as it is, version 1, owned by
 * the caller, at the transaction's time. Without the fields the caller may
 * not read. */
static json_t *record_of(const rp_import_t *imp, const rp_import_row_t *row, const char *at)
{
    const rp_object_t *o = imp->o;
    json_t *fields = json_object();
    for (int i = 0; fields != NULL && i < o->nfields; i++) {
        json_t *v = json_object_get(row->data, o->fields[i].name);
        if (json_object_set_new(fields, o->fields[i].name, v ? json_incref(v) : json_null()) != 0) {
            json_decref(fields);
            fields = NULL;
        }
    }
    if (fields == NULL)
        return NULL;
    /* json_pack takes the "o" references even when it fails. */
    json_t *rec =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:o}", "id", row->id, "object", o->name,
                  "version", 1, "created_at", at, "updated_at", at, "owner_id",
                  imp->actor_id ? json_string(imp->actor_id) : json_null(), "fields", fields);
    rp_record_hide(rec, o, &imp->access);
    return rec;
}

/* The after hooks and triggers of each written row, in file order, over
 * the record as the API gives it, as rp_crud_create runs them. */
static rp_status_t after(rp_import_t *imp, const char *at)
{
    rp_status_t st = RP_OK;
    for (int i = 0; st == RP_OK && !imp->stop && i < imp->nrows; i++) {
        rp_import_row_t *row = &imp->rows[i];
        if (row->data == NULL)
            continue;
        json_t *rec = record_of(imp, row, at);
        if (rec == NULL) {
            st = RP_ENOMEM;
            break;
        }
        row->touched = true;
        rp_crud_fail_t fail;
        memset(&fail, 0, sizeof fail);
        st = rp_crud_hooks_run(&imp->crud, RP_CRUD_AFTER_CREATE, imp->o, row->id, NULL, rec, NULL,
                               &fail);
        json_decref(rec);
        if (st == RP_EINVAL && fail.status != 0) {
            imp->created--; /* counted when the batch was written */
            rp_import_refused(imp, row, &fail);
            st = RP_OK;
        }
        rp_crud_fail_clear(&fail);
    }
    return st;
}

rp_status_t rp_import_flush_hooked(rp_import_t *imp)
{
    if (imp->nrows == 0)
        return RP_OK;
    char at[RP_IMPORT_STAMP_LEN];
    rp_status_t st = rp_import_write(imp, imp->after ? at : NULL);
    if (st == RP_OK && imp->after)
        st = after(imp, at);
    if (st == RP_OK && !imp->stop && !imp->all && imp->redo)
        st = rp_import_replay(imp);
    imp->redo = false;
    if (st == RP_OK && !imp->stop)
        rp_import_report_batch(imp);
    rp_import_rows_clear(imp);
    /* The next batch releases this one's savepoint, and with it any row
     * savepoint of a replay. */
    if (imp->batch_sp == 1)
        imp->batch_sp = 2;
    imp->savepoint = 0;
    return quiet(st);
}
