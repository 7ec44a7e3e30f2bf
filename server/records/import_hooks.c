/* Importing rows that module hooks or Lua triggers watch: one by one
 * through rp_crud_create, the records API's own create, so that a row
 * imported and a record created through the API end up the same. The
 * set-based batches of import_batch.c stay for every other object. */

#include <string.h>

#include "modules/modules.h"
#include "records/import.h"
#include "script/script.h"

/* The savepoint each row is written under. */
#define ROW_SAVEPOINT "rp_import_row"

rp_status_t rp_import_check_hooked(rp_import_t *imp)
{
    rp_modset_t on;
    rp_meta_modules(imp->crud.meta, &on);
    imp->hooked = on.bits != 0 && (rp_modules_hooked(&on, imp->o->name, RP_HOOK_BEFORE_CREATE) ||
                                   rp_modules_hooked(&on, imp->o->name, RP_HOOK_AFTER_CREATE));
    if (!imp->hooked) {
        /* script.h offers no way to ask its cache, so the question goes to
         * the table the cache is built from, in the request's transaction:
         * the same enabled scripts the triggers of this request will run. */
        const char *p[] = {imp->tenant_id, imp->o->name};
        rp_dbres_t *res = NULL;
        rp_status_t st = rp_db_exec(imp->ctx->db,
                                    "SELECT 1 FROM scripts WHERE tenant_id = $1 AND kind = "
                                    "'trigger' AND enabled AND object = $2 AND events ?| "
                                    "ARRAY['before_create', 'after_create'] LIMIT 1",
                                    2, p, &res);
        imp->hooked = st == RP_OK && rp_dbres_rows(res) > 0;
        rp_dbres_free(res);
        if (st != RP_OK)
            return st;
    }
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

/* Sets, or sets again, the savepoint the row is written under: after a
 * written row, releasing it and setting it again is one round trip. Both
 * modes need it: a rejected row must leave nothing that later rows' checks
 * would see (a unique value it claimed), and a failed statement must not
 * end the import while the report is not complete. */
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

/* Creates the row from fields; a refusal rejects it, after undoing
 * whatever it and its hooks and triggers wrote. */
static rp_status_t create(rp_import_t *imp, rp_import_row_t *row, const json_t *fields)
{
    rp_status_t st = row_savepoint(imp);
    if (st != RP_OK)
        return st;
    rp_crud_fail_t fail;
    memset(&fail, 0, sizeof fail);
    json_t *rec = NULL;
    st = rp_crud_create(&imp->crud, imp->o, fields, NULL, &rec, &fail);
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
        imp->fail = fail;
        imp->stop = true;
        return RP_OK;
    }
    if ((st = rp_db_savepoint_rollback(imp->ctx->db, ROW_SAVEPOINT)) != RP_OK) {
        rp_crud_fail_clear(&fail);
        return st;
    }
    json_t *errors = fail.errors;
    fail.errors = NULL;
    if (json_object_size(errors) == 0) {
        /* A refusal without field errors (a trigger's nested write that
         * was not allowed, say) still says why, for the whole row. */
        json_decref(errors);
        errors = json_pack("{s:s}", "row", fail.detail);
    }
    rp_crud_fail_clear(&fail);
    rp_import_reject(imp, row, errors);
    return RP_OK;
}

rp_status_t rp_import_create_row(rp_import_t *imp, const rp_csv_reader_t *r)
{
    rp_import_row_t *row = &imp->rows[0];
    imp->nrows = 1;
    json_t *fields, *errors;
    rp_status_t st = rp_import_row_start(imp, r, row, &fields, &errors);
    if (st == RP_OK && fields != NULL) {
        /* A cell that cannot be a value rejects the row before any hook
         * sees it: there is nothing a hook could have made of it. */
        if (json_object_size(errors) > 0) {
            rp_import_reject(imp, row, errors);
            errors = NULL;
        } else {
            st = create(imp, row, fields);
        }
    }
    json_decref(fields);
    json_decref(errors);
    if (st == RP_OK)
        rp_import_report_batch(imp);
    json_decref(row->data);
    json_decref(row->errors);
    memset(row, 0, sizeof *row);
    imp->nrows = 0;
    /* Only the CSV reader's own failures may look like a malformed file. */
    return st == RP_EINVAL || st == RP_ELIMIT ? RP_ERR : st;
}
