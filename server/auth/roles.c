#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "records/role_doc.h"

void rp_auth_role_resolve(const char *stored, const char *base, rp_auth_role_t *out)
{
    memset(out, 0, sizeof *out);
    if (stored == NULL)
        return;
    if (rp_role_is_builtin(stored)) {
        out->rank = rp_role_parse(stored);
        return;
    }
    if (!rp_role_name_valid(stored))
        return; /* RP_ROLE_NONE: no access at all */
    rp_role_t rank = base ? rp_role_parse(base) : RP_ROLE_NONE;
    /* A custom role never ranks as admin, and a vanished one ranks lowest. */
    out->rank = rank == RP_ROLE_NONE || rank == RP_ROLE_ADMIN ? RP_ROLE_READONLY : rank;
    snprintf(out->access_role, sizeof out->access_role, "%s", stored);
}

rp_status_t rp_auth_role_usable(rp_ctx_t *ctx, const char *role_name)
{
    if (rp_role_is_builtin(role_name))
        return RP_OK;
    if (!rp_role_name_valid(role_name))
        return RP_ENOTFOUND;
    const char *params[] = {ctx->principal.tenant_id, role_name};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT 1 FROM roles WHERE tenant_id = $1 AND name = $2 "
                                "AND name <> base FOR KEY SHARE",
                                2, params, &res);
    if (st == RP_OK && rp_dbres_rows(res) != 1)
        st = RP_ENOTFOUND;
    rp_dbres_free(res);
    return st;
}

bool rp_auth_role_check(rp_ctx_t *ctx, const char *role_name, json_t *errors)
{
    if (role_name == NULL || json_object_get(errors, "role") != NULL ||
        rp_role_parse(role_name) != RP_ROLE_NONE)
        return true;
    rp_status_t st = rp_auth_role_usable(ctx, role_name);
    if (st == RP_ENOTFOUND)
        rp_input_error(errors, "role", RP_AUTH_ROLE_MESSAGE);
    else if (st != RP_OK)
        rp_resp_fail(ctx, st);
    return st == RP_OK || st == RP_ENOTFOUND;
}
