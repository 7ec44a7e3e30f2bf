#include <string.h>

#include "auth/internal.h"

/* GET /api/v1/me: one guarded read (no BEGIN/COMMIT, the route is NO_TX),
 * because every client calls it first and often. */
void rp_auth_me(rp_ctx_t *ctx)
{
    const rp_principal_t *pr = &ctx->principal;
    const char *params[] = {pr->tenant_id, pr->user_id};
    rp_dbres_t *res = NULL;
    static const char sql[] =
        "SELECT u.email, u.name, u.status, t.id::text, t.slug, t.name, " RP_SQL_USER_TEAMS
        " FROM users u JOIN tenants t ON t.id = u.tenant_id "
        "WHERE u.tenant_id = $1 AND u.id = $2";
    rp_status_t st = rp_db_read(ctx->db, pr->tenant_id, sql, 2, params, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    /* A token can outlive its user by up to its lifetime; the user row is
     * the truth. */
    if (rp_dbres_rows(res) != 1 || strcmp(rp_dbres_get(res, 0, 2), "active") != 0) {
        rp_auth_unauthorized(ctx, "invalid_token", "the account no longer exists or is disabled");
        goto done;
    }
    ctx->tenant_slug = rp_pool_strdup(&ctx->pool, rp_dbres_get(res, 0, 4));
    /* The effective role: for an API key, the lower of the key's and the
     * user's. */
    /* access_role: the custom role whose record permissions apply, if any. */
    json_t *body = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s}, s:o}", "user_id", pr->user_id, "email",
        rp_dbres_get(res, 0, 0), "name", rp_dbres_get(res, 0, 1), "role", rp_role_name(pr->role),
        "access_role", pr->access_role[0] ? json_string(pr->access_role) : json_null(), "tenant",
        "id", rp_dbres_get(res, 0, 3), "slug", rp_dbres_get(res, 0, 4), "name",
        rp_dbres_get(res, 0, 5), "teams", json_loads(rp_dbres_get(res, 0, 6), 0, NULL));
    if (body == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, body);
done:
    rp_dbres_free(res);
}
