#include <stdio.h>
#include <string.h>

#include "records/crud_internal.h"

void rp_crud_access(const rp_crud_t *c, const rp_object_t *o, rp_access_t *a)
{
    if (c->system) {
        *a = (rp_access_t){
            .create = true, .read = RP_SCOPE_ALL, .update = RP_SCOPE_ALL, .remove = RP_SCOPE_ALL};
        return;
    }
    rp_perm_access(c->ctx, c->meta, o, a);
}

rp_status_t rp_crud_check_editable(const rp_object_t *o, const rp_access_t *a, const json_t *fields,
                                   rp_crud_fail_t *fail)
{
    if (a->fields == NULL || fields == NULL)
        return RP_OK;
    json_t *errors = NULL;
    char names[200] = "";
    size_t len = 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)fields, name, v)
    {
        const rp_field_t *f = rp_meta_field(o, name);
        if (f == NULL || rp_perm_field(a, o, f) == RP_FIELD_ACCESS_EDIT)
            continue;
        if (errors == NULL && (errors = json_object()) == NULL)
            return RP_ENOMEM;
        if (json_object_set_new(errors, name, json_string("you may not edit this field")) != 0) {
            json_decref(errors);
            return RP_ENOMEM;
        }
        int w = snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", name);
        if (w > 0 && (size_t)w < sizeof names - len)
            len += (size_t)w;
    }
    if (errors == NULL)
        return RP_OK;
    return rp_crud_refuse(fail, 403, "forbidden", errors, "you may not edit these fields of %s: %s",
                          o->name, names);
}

rp_status_t rp_crud_check_record(rp_crud_t *c, const rp_object_t *o, const rp_access_t *a,
                                 rp_scope_t want, const char *owner_id, const char *verb,
                                 rp_crud_fail_t *fail)
{
    if (a->read == RP_SCOPE_ALL && want == RP_SCOPE_ALL)
        return RP_OK;
    bool in = false;
    rp_status_t st = rp_perm_owner_in_scope(c->ctx, a->read, owner_id, &in);
    if (st != RP_OK)
        return st;
    if (!in)
        return rp_crud_refuse(fail, 404, "not_found", NULL, "no such record");
    /* The write scope only matters where it is narrower than the read one:
     * both are ordered, so a wider or equal one covers what was just read. */
    if (want < a->read && (st = rp_perm_owner_in_scope(c->ctx, want, owner_id, &in)) != RP_OK)
        return st;
    if (!in)
        return rp_crud_refuse(fail, 403, "forbidden", NULL, "you may not %s this %s record", verb,
                              o->name);
    return RP_OK;
}

rp_status_t rp_crud_readable(rp_crud_t *c, const rp_access_t *a, const rp_dbres_t *res, bool *out)
{
    *out = true;
    if (a->read == RP_SCOPE_ALL)
        return RP_OK;
    const char *owner = rp_dbres_null(res, 0, RP_RECORD_COL_OWNER_ID)
                            ? NULL
                            : rp_dbres_get(res, 0, RP_RECORD_COL_OWNER_ID);
    return rp_perm_owner_in_scope(c->ctx, a->read, owner, out);
}

bool rp_crud_may_read(rp_ctx_t *ctx, const rp_object_t *o, const rp_access_t *a)
{
    if (a->read != RP_SCOPE_NONE)
        return true;
    char *detail = rp_pool_printf(&ctx->pool, "you may not read %s records", o->name);
    rp_resp_problem(ctx, 403, "forbidden", detail ? detail : "you may not read these records");
    return false;
}
