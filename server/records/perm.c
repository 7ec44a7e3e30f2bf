#include "records/perm.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"

static const char *const scope_names[] = {"none", "own", "team", "all"};
static const char *const access_names[] = {"none", "read", "edit"};

const char *rp_scope_name(rp_scope_t scope)
{
    return (unsigned)scope < 4 ? scope_names[scope] : "none";
}

int rp_scope_parse(const char *name)
{
    for (int i = 0; name != NULL && i < 4; i++)
        if (strcmp(name, scope_names[i]) == 0)
            return i;
    return -1;
}

const char *rp_field_access_name(rp_field_access_t a)
{
    return (unsigned)a < 3 ? access_names[a] : "none";
}

int rp_field_access_parse(const char *name)
{
    for (int i = 0; name != NULL && i < 3; i++)
        if (strcmp(name, access_names[i]) == 0)
            return i;
    return -1;
}

/* The rights of a built-in role a tenant has not overridden: readonly reads
 * everything; user and manager read, create, change and delete every record,
 * as they always could, until an admin narrows them. */
static void builtin_access(rp_role_t role, rp_access_t *out)
{
    memset(out, 0, sizeof(*out));
    if (role >= RP_ROLE_READONLY)
        out->read = RP_SCOPE_ALL;
    if (role >= RP_ROLE_USER) {
        out->create = true;
        out->update = RP_SCOPE_ALL;
        out->remove = RP_SCOPE_ALL;
    }
}

void rp_perm_access(const rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o, rp_access_t *out)
{
    const rp_principal_t *pr = &ctx->principal;
    if (pr->role >= RP_ROLE_ADMIN) {
        builtin_access(RP_ROLE_ADMIN, out);
        return;
    }
    if (rp_meta_role_access(
            m, pr->access_role[0] != '\0' ? pr->access_role : rp_role_name(pr->role), o, out))
        goto rank;
    builtin_access(pr->access_role[0] != '\0' ? RP_ROLE_NONE : pr->role, out);
rank:
    /* The rank gate: a readonly caller never writes, whatever its role says. */
    if (pr->role < RP_ROLE_USER) {
        out->create = false;
        out->update = RP_SCOPE_NONE;
        out->remove = RP_SCOPE_NONE;
    }
}

rp_field_access_t rp_perm_field(const rp_access_t *a, const rp_object_t *o, const rp_field_t *f)
{
    if (a->fields == NULL)
        return RP_FIELD_ACCESS_EDIT;
    ptrdiff_t i = f - o->fields;
    if (i < 0 || i >= o->nfields)
        return RP_FIELD_ACCESS_NONE;
    return (rp_field_access_t)a->fields[i];
}

bool rp_perm_reads_all(const rp_access_t *a, const rp_object_t *o)
{
    if (a->fields == NULL)
        return true;
    for (int i = 0; i < o->nfields; i++)
        if (a->fields[i] == RP_FIELD_ACCESS_NONE)
            return false;
    return true;
}

static void add_param(const char **params, int *nparams, const char *v, char *num, size_t numlen)
{
    params[*nparams] = v;
    (*nparams)++;
    snprintf(num, numlen, "$%d", *nparams);
}

rp_status_t rp_perm_scope_sql(const rp_ctx_t *ctx, rp_scope_t scope, const char *owner_col,
                              rp_buf_t *sql, const char **params, int *nparams)
{
    char u[16], t[16];
    switch (scope) {
    case RP_SCOPE_ALL:
        return RP_OK;
    case RP_SCOPE_NONE:
        return rp_buf_puts(sql, " AND false");
    case RP_SCOPE_OWN:
        add_param(params, nparams, ctx->principal.user_id, u, sizeof(u));
        return rp_buf_printf(sql, " AND %s = %s::uuid", owner_col, u);
    case RP_SCOPE_TEAM:
        add_param(params, nparams, ctx->principal.user_id, u, sizeof(u));
        add_param(params, nparams, ctx->principal.tenant_id, t, sizeof(t));
        /* Owned by the caller, or by anyone sharing one of its teams. */
        return rp_buf_printf(sql,
                             " AND (%s = %s::uuid OR %s IN (SELECT m2.user_id FROM team_members m1"
                             " JOIN team_members m2 ON m2.tenant_id = m1.tenant_id"
                             " AND m2.team_id = m1.team_id"
                             " WHERE m1.tenant_id = %s::uuid AND m1.user_id = %s::uuid))",
                             owner_col, u, owner_col, t, u);
    }
    return RP_OK;
}

rp_status_t rp_perm_owner_in_scope(rp_ctx_t *ctx, rp_scope_t scope, const char *owner_id, bool *out)
{
    *out = false;
    if (scope == RP_SCOPE_ALL) {
        *out = true;
        return RP_OK;
    }
    if (scope == RP_SCOPE_NONE || owner_id == NULL || owner_id[0] == '\0')
        return RP_OK;
    if (strcmp(owner_id, ctx->principal.user_id) == 0) {
        *out = true;
        return RP_OK;
    }
    if (scope == RP_SCOPE_OWN)
        return RP_OK;
    const char *params[] = {ctx->principal.tenant_id, ctx->principal.user_id, owner_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT 1 FROM team_members m1 JOIN team_members m2"
                                " ON m2.tenant_id = m1.tenant_id AND m2.team_id = m1.team_id"
                                " WHERE m1.tenant_id = $1 AND m1.user_id = $2"
                                " AND m2.user_id = $3 LIMIT 1",
                                3, params, &res);
    if (st != RP_OK)
        return st;
    *out = rp_dbres_rows(res) > 0;
    rp_dbres_free(res);
    return RP_OK;
}
