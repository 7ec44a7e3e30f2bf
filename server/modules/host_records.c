#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"
#include "modules/internal.h"
#include "records/crud_internal.h"
#include "records/perm.h"
#include "records/query.h"
#include "records/record.h"

/* Record operations for modules go through the same functions as the REST
 * handlers (rp_crud_*), so that validation, history, permissions and hooks
 * are the same whoever writes. */

#define J(v) ((json_t *)(v))
#define CJ(v) ((const json_t *)(v))
#define H(v) ((rp_json_t *)(v))

rp_mstatus_t rp_modules_mstatus(rp_status_t st)
{
    switch (st) {
    case RP_OK:
        return RP_M_OK;
    case RP_ENOMEM:
        return RP_M_ENOMEM;
    case RP_EINVAL:
        return RP_M_EINVAL;
    case RP_ENOTFOUND:
        return RP_M_ENOTFOUND;
    case RP_ECONFLICT:
        return RP_M_ECONFLICT;
    case RP_EFORBIDDEN:
        return RP_M_EFORBIDDEN;
    default:
        return RP_M_ERR;
    }
}

rp_mstatus_t rp_host_open_object(rp_mctx_t *mc, const char *object, rp_crud_t *c,
                                 const rp_object_t **o)
{
    if (mc == NULL || mc->ctx == NULL || mc->ctx->db == NULL || object == NULL)
        return RP_M_EINVAL;
    rp_ctx_t *ctx = mc->ctx;
    memset(c, 0, sizeof *c);
    rp_status_t st = rp_meta_acquire(ctx, &c->meta);
    if (st != RP_OK)
        return rp_modules_mstatus(st);
    c->ctx = ctx;
    c->tenant_id = ctx->principal.tenant_id;
    c->actor_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    *o = rp_meta_object(c->meta, object);
    return *o ? RP_M_OK : RP_M_ENOTFOUND;
}

/* Maps a refused write to a status and hands its per-field errors over. */
static rp_mstatus_t refused(rp_crud_fail_t *fail, rp_json_t **errors)
{
    rp_mstatus_t ms = fail->status == 403                          ? RP_M_EFORBIDDEN
                      : fail->status == 404                        ? RP_M_ENOTFOUND
                      : fail->status == 409 || fail->status == 412 ? RP_M_ECONFLICT
                                                                   : RP_M_EINVAL;
    if (errors != NULL) {
        json_t *e = fail->errors ? fail->errors : json_pack("{ss}", "_", fail->detail);
        fail->errors = NULL;
        *errors = H(e);
    }
    rp_crud_fail_clear(fail);
    return ms;
}

rp_mstatus_t rp_host_record_get(rp_mctx_t *mc, const char *object, const char *id, rp_json_t **out)
{
    *out = NULL;
    rp_crud_t c;
    const rp_object_t *o = NULL;
    rp_mstatus_t ms = rp_host_open_object(mc, object, &c, &o);
    if (ms != RP_M_OK)
        return ms;
    if (id == NULL || !rp_uuid_valid(id))
        return RP_M_ENOTFOUND;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_record_load(c.ctx->db, c.tenant_id, o, id, false, &res);
    if (st != RP_OK)
        return rp_modules_mstatus(st);
    rp_access_t a;
    rp_crud_access(&c, o, &a);
    bool in = false;
    if (!rp_dbres_null(res, 0, RP_RECORD_NCOLS)) {
        st = RP_ENOTFOUND; /* deleted */
    } else {
        const char *owner = rp_dbres_null(res, 0, RP_RECORD_COL_OWNER_ID)
                                ? NULL
                                : rp_dbres_get(res, 0, RP_RECORD_COL_OWNER_ID);
        st = rp_perm_owner_in_scope(c.ctx, a.read, owner, &in);
        if (st == RP_OK && !in)
            st = RP_ENOTFOUND; /* like the REST API: unreadable is absent */
    }
    if (st == RP_OK) {
        json_t *rec = rp_record_json(o, res, 0);
        if (rec == NULL)
            st = RP_ENOMEM;
        else
            rp_record_hide(rec, o, &a);
        *out = H(rec);
    }
    rp_dbres_free(res);
    return rp_modules_mstatus(st);
}

/* The flags this server knows; a module built for a newer minor may pass
 * more, which are refused rather than ignored. */
#define KNOWN_FLAGS ((unsigned)RP_MWRITE_DERIVED)

rp_mstatus_t rp_host_record_create_ex(rp_mctx_t *mc, const char *object, const rp_json_t *fields,
                                      unsigned flags, rp_json_t **out, rp_json_t **errors)
{
    if (out)
        *out = NULL;
    if (errors)
        *errors = NULL;
    if (flags & ~KNOWN_FLAGS)
        return RP_M_EINVAL;
    rp_crud_t c;
    const rp_object_t *o = NULL;
    rp_mstatus_t ms = rp_host_open_object(mc, object, &c, &o);
    if (ms != RP_M_OK)
        return ms;
    if (!json_is_object(CJ(fields)))
        return RP_M_EINVAL;
    c.derived = (flags & RP_MWRITE_DERIVED) != 0;
    rp_crud_fail_t fail = {0};
    json_t *rec = NULL;
    rp_status_t st = rp_crud_create(&c, o, CJ(fields), NULL, &rec, &fail);
    if (st == RP_EINVAL)
        return refused(&fail, errors);
    rp_crud_fail_clear(&fail);
    if (st == RP_OK && out != NULL)
        *out = H(rec);
    else
        json_decref(rec);
    return rp_modules_mstatus(st);
}

rp_mstatus_t rp_host_record_create(rp_mctx_t *mc, const char *object, const rp_json_t *fields,
                                   rp_json_t **out, rp_json_t **errors)
{
    return rp_host_record_create_ex(mc, object, fields, 0, out, errors);
}

rp_mstatus_t rp_host_record_update_ex(rp_mctx_t *mc, const char *object, const char *id,
                                      const rp_json_t *fields, unsigned flags, rp_json_t **out,
                                      rp_json_t **errors)
{
    if (out)
        *out = NULL;
    if (errors)
        *errors = NULL;
    if (flags & ~KNOWN_FLAGS)
        return RP_M_EINVAL;
    rp_crud_t c;
    const rp_object_t *o = NULL;
    rp_mstatus_t ms = rp_host_open_object(mc, object, &c, &o);
    if (ms != RP_M_OK)
        return ms;
    if (!json_is_object(CJ(fields)))
        return RP_M_EINVAL;
    if (id == NULL || !rp_uuid_valid(id))
        return RP_M_ENOTFOUND;
    c.derived = (flags & RP_MWRITE_DERIVED) != 0;
    rp_crud_fail_t fail = {0};
    json_t *rec = NULL;
    rp_status_t st = rp_crud_update(&c, o, id, CJ(fields), NULL, NULL, &rec, &fail);
    if (st == RP_EINVAL)
        return refused(&fail, errors);
    rp_crud_fail_clear(&fail);
    if (st == RP_OK && out != NULL)
        *out = H(rec);
    else
        json_decref(rec);
    return rp_modules_mstatus(st);
}

rp_mstatus_t rp_host_record_update(rp_mctx_t *mc, const char *object, const char *id,
                                   const rp_json_t *fields, rp_json_t **out, rp_json_t **errors)
{
    return rp_host_record_update_ex(mc, object, id, fields, 0, out, errors);
}

rp_mstatus_t rp_host_record_delete(rp_mctx_t *mc, const char *object, const char *id)
{
    rp_crud_t c;
    const rp_object_t *o = NULL;
    rp_mstatus_t ms = rp_host_open_object(mc, object, &c, &o);
    if (ms != RP_M_OK)
        return ms;
    if (id == NULL || !rp_uuid_valid(id))
        return RP_M_ENOTFOUND;
    rp_crud_fail_t fail = {0};
    rp_status_t st = rp_crud_delete(&c, o, id, NULL, &fail);
    if (st == RP_EINVAL)
        return refused(&fail, NULL);
    rp_crud_fail_clear(&fail);
    return rp_modules_mstatus(st);
}

rp_mstatus_t rp_host_sql_exec(rp_mctx_t *mc, const char *sql, int nparams,
                              const char *const *params, rp_mrows_t **out)
{
    if (out)
        *out = NULL;
    if (mc == NULL || mc->ctx == NULL || mc->ctx->db == NULL || sql == NULL || nparams < 0 ||
        (nparams > 0 && params == NULL))
        return RP_M_EINVAL;
    /* Only inside the request's transaction, which is scoped to the
     * tenant: row-level security then binds every statement. */
    if (!rp_db_in_tx(mc->ctx->db))
        return RP_M_EINVAL;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(mc->ctx->db, sql, nparams, params, out ? &res : NULL);
    if (st != RP_OK && st != RP_ECONFLICT) {
        char msg[300];
        snprintf(msg, sizeof msg, "SQL failed: %s", rp_db_error(mc->ctx->db));
        rp_modules_host_api.set_error(mc, msg);
    }
    if (out)
        *out = (rp_mrows_t *)res;
    return rp_modules_mstatus(st);
}

int rp_host_rows_count(const rp_mrows_t *rows)
{
    return rows ? rp_dbres_rows((const rp_dbres_t *)rows) : 0;
}

const char *rp_host_rows_get(const rp_mrows_t *rows, int row, int col)
{
    const rp_dbres_t *r = (const rp_dbres_t *)rows;
    if (r == NULL || row < 0 || row >= rp_dbres_rows(r) || col < 0)
        return "";
    return rp_dbres_get(r, row, col);
}

int rp_host_rows_is_null(const rp_mrows_t *rows, int row, int col)
{
    const rp_dbres_t *r = (const rp_dbres_t *)rows;
    if (r == NULL || row < 0 || row >= rp_dbres_rows(r) || col < 0)
        return 1;
    return rp_dbres_null(r, row, col) ? 1 : 0;
}

void rp_host_rows_free(rp_mrows_t *rows)
{
    rp_dbres_free((rp_dbres_t *)rows);
}
