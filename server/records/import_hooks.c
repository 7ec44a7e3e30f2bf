/* Imports into objects that module hooks or Lua triggers watch: which hooks
 * and triggers there are, how their refusals become rejected rows, and the
 * replay of a batch one row at a time through rp_crud_create, the records
 * API's own create, for mode=row batches where a refused row must leave
 * nothing of what its hooks and triggers did. The batches themselves are
 * import_hybrid.c's. */

#include <string.h>

#include "modules/modules.h"
#include "records/import.h"
#include "script/script.h"

/* The savepoint each replayed row is written under, inside the batch's. */
#define ROW_SAVEPOINT "rp_import_row"

rp_status_t rp_import_check_hooked(rp_import_t *imp)
{
    rp_modset_t on;
    rp_meta_modules(imp->crud.meta, &on);
    imp->before = on.bits != 0 && rp_modules_hooked(&on, imp->o->name, RP_HOOK_BEFORE_CREATE);
    imp->after = on.bits != 0 && rp_modules_hooked(&on, imp->o->name, RP_HOOK_AFTER_CREATE);
    if (!imp->before || !imp->after) {
        /* script.h offers no way to ask its cache, so the question goes to
         * the table the cache is built from, in the request's transaction:
         * the same enabled scripts the triggers of this request will run. */
        const char *p[] = {imp->tenant_id, imp->o->name};
        rp_dbres_t *res = NULL;
        rp_status_t st =
            rp_db_exec(imp->ctx->db,
                       "SELECT coalesce(bool_or(events ? 'before_create'), false), "
                       "coalesce(bool_or(events ? 'after_create'), false) FROM scripts WHERE "
                       "tenant_id = $1 AND kind = 'trigger' AND enabled AND object = $2",
                       2, p, &res);
        if (st == RP_OK && rp_dbres_rows(res) == 1) {
            imp->before = imp->before || strcmp(rp_dbres_get(res, 0, 0), "t") == 0;
            imp->after = imp->after || strcmp(rp_dbres_get(res, 0, 1), "t") == 0;
        }
        rp_dbres_free(res);
        if (st != RP_OK)
            return st;
    }
    imp->hooked = imp->before || imp->after;
    /* The triggers of this request use the import's snapshot. */
    if (imp->hooked)
        rp_script_share_meta(imp->ctx, imp->crud.meta);
    return RP_OK;
}

/* A refusal that is not about the row: a script that hit a limit or
 * failed, which fails the whole import as it fails any write. */
static bool fatal(const rp_crud_fail_t *fail)
{
    return fail->limit[0] != '\0' || fail->status >= 500 ||
           (fail->code != NULL && strcmp(fail->code, "script_error") == 0);
}

void rp_import_refused(rp_import_t *imp, rp_import_row_t *row, rp_crud_fail_t *fail)
{
    if (fatal(fail)) {
        rp_crud_fail_clear(&imp->fail);
        imp->fail = *fail;
        memset(fail, 0, sizeof *fail);
        imp->stop = true;
        return;
    }
    json_t *errors = fail->errors;
    fail->errors = NULL;
    if (json_object_size(errors) == 0) {
        /* A refusal without field errors (a trigger's nested write that
         * was not allowed, say) still says why, for the whole row. */
        json_decref(errors);
        errors = json_pack("{s:s}", "row", fail->detail);
    }
    rp_crud_fail_clear(fail);
    rp_import_reject(imp, row, errors);
}

/* Sets, or sets again, the savepoint the row is written under: after a
 * written row, releasing it and setting it again is one round trip. */
static rp_status_t row_savepoint(rp_import_t *imp)
{
    rp_status_t st = RP_OK;
    if (imp->savepoint == 0)
        st = rp_db_savepoint(imp->ctx->db, ROW_SAVEPOINT);
    else if (imp->savepoint == 2)
        st = rp_db_savepoint_next(imp->ctx->db, ROW_SAVEPOINT);
    if (st == RP_OK)
        imp->savepoint = 1;
    return st;
}

/* Creates the row from its input; a refusal rejects it, after undoing
 * whatever it and its hooks and triggers wrote. */
static rp_status_t create(rp_import_t *imp, rp_import_row_t *row)
{
    rp_status_t st = row_savepoint(imp);
    if (st != RP_OK)
        return st;
    rp_crud_fail_t fail;
    memset(&fail, 0, sizeof fail);
    json_t *rec = NULL;
    st = rp_crud_create(&imp->crud, imp->o, row->input, NULL, &rec, &fail);
    if (st == RP_OK) {
        /* Kept only as the mark of a good row. */
        row->data = rec;
        imp->created++;
        imp->savepoint = 2;
        return RP_OK;
    }
    if (st != RP_EINVAL || fail.status == 0) {
        rp_crud_fail_clear(&fail);
        return st == RP_EINVAL ? RP_ERR : st;
    }
    if (fatal(&fail)) {
        rp_import_refused(imp, row, &fail);
        return RP_OK;
    }
    if ((st = rp_db_savepoint_rollback(imp->ctx->db, ROW_SAVEPOINT)) != RP_OK) {
        rp_crud_fail_clear(&fail);
        return st;
    }
    rp_import_refused(imp, row, &fail);
    return RP_OK;
}

rp_status_t rp_import_replay(rp_import_t *imp)
{
    rp_status_t st = rp_db_savepoint_rollback(imp->ctx->db, RP_IMPORT_BATCH_SAVEPOINT);
    /* Rolling back to the batch's savepoint dropped any row savepoint set
     * after it. */
    imp->savepoint = 0;
    for (int i = 0; st == RP_OK && !imp->stop && i < imp->nrows; i++) {
        rp_import_row_t *row = &imp->rows[i];
        /* A row its cells rejected never reached a hook: it stays as it
         * is, in the counts and in the report. */
        if (row->input == NULL)
            continue;
        if (row->data != NULL)
            imp->created--;
        else
            imp->rejected--;
        json_decref(row->data);
        json_decref(row->errors);
        row->data = row->errors = NULL;
        /* rp_crud_create undoes its own refusals: nothing to replay. */
        row->touched = false;
        st = create(imp, row);
    }
    imp->redo = false;
    return st == RP_EINVAL || st == RP_ELIMIT ? RP_ERR : st;
}
