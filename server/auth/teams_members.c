#include <stdio.h>
#include <string.h>

#include "auth/internal.h"

/* The team and user ids of /api/v1/teams/{id}/members/{user_id}, checked to
 * exist in the caller's tenant. Answers 404 (a malformed, missing or
 * foreign id alike) and returns false otherwise. */
static bool membership(rp_ctx_t *ctx, const char **team, char user[RP_UUID_LEN + 1])
{
    *team = rp_auth_path_id(ctx, "team");
    if (*team == NULL)
        return false;
    const char *raw = ctx->req.nparams > 1 ? ctx->req.params[1] : NULL;
    if (!rp_uuid_valid(raw)) {
        rp_auth_not_found(ctx, "user");
        return false;
    }
    snprintf(user, RP_UUID_LEN + 1, "%s", raw);
    for (char *p = user; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    const char *params[] = {ctx->principal.tenant_id, *team, user};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT EXISTS (SELECT 1 FROM teams WHERE tenant_id = $1 AND "
                                "id = $2::uuid), EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 "
                                "AND id = $3::uuid)",
                                3, params, &res);
    bool ok = false;
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else if (strcmp(rp_dbres_get(res, 0, 0), "t") != 0)
        rp_auth_not_found(ctx, "team");
    else if (strcmp(rp_dbres_get(res, 0, 1), "t") != 0)
        rp_auth_not_found(ctx, "user");
    else
        ok = true;
    rp_dbres_free(res);
    return ok;
}

void rp_auth_teams_member_put(rp_ctx_t *ctx)
{
    const char *team = NULL;
    char user[RP_UUID_LEN + 1];
    if (!membership(ctx, &team, user))
        return;
    const char *params[] = {ctx->principal.tenant_id, team, user};
    /* Adding a member twice is the same as adding it once. */
    rp_status_t st = rp_db_exec(ctx->db,
                                "INSERT INTO team_members (tenant_id, team_id, user_id) "
                                "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                3, params, NULL);
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else
        rp_resp_no_content(ctx);
}

void rp_auth_teams_member_delete(rp_ctx_t *ctx)
{
    const char *team = NULL;
    char user[RP_UUID_LEN + 1];
    if (!membership(ctx, &team, user))
        return;
    const char *params[] = {ctx->principal.tenant_id, team, user};
    rp_status_t st = rp_db_exec(ctx->db,
                                "DELETE FROM team_members WHERE tenant_id = $1 AND "
                                "team_id = $2 AND user_id = $3",
                                3, params, NULL);
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else
        rp_resp_no_content(ctx);
}
