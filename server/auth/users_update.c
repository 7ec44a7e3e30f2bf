#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "auth/password.h"
#include "core/utf8.h"
#include "records/role_doc.h"

/* Every tenant must keep one active admin, or nobody could manage it any
 * more. Locks the active admins in id order (so two requests demoting two
 * different admins queue instead of deadlocking, and the second sees the
 * first's change) and answers 409 last_admin when user_id is the only one.
 * Returns false after answering. */
static bool keeps_an_admin(rp_ctx_t *ctx, const char *user_id)
{
    const char *params[] = {ctx->principal.tenant_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT id::text FROM users WHERE tenant_id = $1 AND role = "
                                "'admin' AND status = 'active' ORDER BY id FOR UPDATE",
                                1, params, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return false;
    }
    int n = rp_dbres_rows(res);
    bool target = false;
    for (int i = 0; i < n; i++)
        if (strcmp(rp_dbres_get(res, i, 0), user_id) == 0)
            target = true;
    rp_dbres_free(res);
    if (target && n == 1) {
        rp_resp_problem(ctx, 409, "last_admin",
                        "this is the tenant's last active admin; promote another user first");
        return false;
    }
    return true;
}

static rp_status_t revoke_sessions(rp_ctx_t *ctx, const char *user_id)
{
    const char *params[] = {ctx->principal.tenant_id, user_id};
    return rp_db_exec(ctx->db,
                      "UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND "
                      "user_id = $2 AND revoked_at IS NULL",
                      2, params, NULL);
}

void rp_auth_users_patch(rp_ctx_t *ctx)
{
    static const char *const fields[] = {"name", "role", "status", "password", NULL};
    const char *id = rp_auth_path_id(ctx, "user");
    if (id == NULL)
        return;
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    const char *name = NULL, *role_name = NULL, *status = NULL, *password = NULL;
    rp_dbres_t *res = NULL;
    char hash[RP_PASSWORD_HASH_MAX];
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    if (rp_input_string(body, "role", &role_name, errors) && role_name != NULL &&
        rp_role_parse(role_name) == RP_ROLE_NONE && !rp_role_name_valid(role_name))
        rp_input_error(errors, "role", RP_AUTH_ROLE_MESSAGE);
    if (rp_input_string(body, "status", &status, errors) && status != NULL &&
        strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
        rp_input_error(errors, "status", "must be active or disabled");
    rp_auth_check_name_password(ctx, body, errors, &name, &password);
    /* Only a custom role opens the transaction before argon2 runs: its row
     * must stay locked so that it cannot vanish before the user is saved. */
    if (!rp_auth_role_check(ctx, role_name, errors)) {
        json_decref(errors);
        goto done;
    }
    if (rp_input_fail(ctx, errors))
        goto done;

    /* Before the first statement, so argon2 runs with no lock held. */
    if (password != NULL && rp_password_hash(password, hash) != RP_OK) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    bool disables = status != NULL && strcmp(status, "disabled") == 0;
    bool demotes = (role_name != NULL && strcmp(role_name, "admin") != 0) || disables;
    if (demotes && !keeps_an_admin(ctx, id))
        goto done;
    /* An empty PATCH answers the user as it is, without touching updated_at. */
    const char *changed = json_object_size(body) > 0 ? "true" : "false";
    const char *params[] = {ctx->principal.tenant_id, id,     name, role_name, status,
                            password ? hash : NULL,   changed};
    rp_status_t st =
        rp_db_exec(ctx->db,
                   "UPDATE users SET name = COALESCE($3, name), role = COALESCE($4, role), "
                   "status = COALESCE($5, status), password_hash = COALESCE($6, password_hash), "
                   "updated_at = CASE WHEN $7::boolean THEN now() ELSE updated_at END "
                   "WHERE tenant_id = $1 AND id = $2 RETURNING " RP_USER_COLS,
                   7, params, &res);
    if (st == RP_OK && rp_dbres_rows(res) != 1) {
        rp_auth_not_found(ctx, "user");
        goto done;
    }
    /* A new password or a disabled account ends every session at once;
     * access tokens already out expire within their short lifetime. */
    if (st == RP_OK && (password != NULL || disables))
        st = revoke_sessions(ctx, id);
    if (st == RP_OK && json_object_size(body) > 0) {
        json_t *names = json_array();
        for (const char *const *f = fields; *f != NULL; f++)
            if (json_object_get(body, *f) != NULL)
                json_array_append_new(names, json_string(*f));
        json_t *detail = json_pack("{s:s, s:o}", "by", ctx->principal.user_id, "fields", names);
        st = rp_auth_event(ctx, ctx->principal.tenant_id, "user_updated", id, detail);
        json_decref(detail);
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    rp_resp_json(ctx, 200, rp_auth_user_json(res, 0));
done:
    rp_dbres_free(res);
    json_decref(body);
}

void rp_auth_users_delete(rp_ctx_t *ctx)
{
    const char *id = rp_auth_path_id(ctx, "user");
    if (id == NULL)
        return;
    if (!keeps_an_admin(ctx, id))
        return;
    const char *params[] = {ctx->principal.tenant_id, id};
    rp_dbres_t *res = NULL;
    rp_status_t st =
        rp_db_exec(ctx->db, "DELETE FROM users WHERE tenant_id = $1 AND id = $2 RETURNING id", 2,
                   params, &res);
    if (st == RP_OK && rp_dbres_rows(res) != 1) {
        rp_auth_not_found(ctx, "user");
        goto done;
    }
    if (st == RP_OK) {
        json_t *detail = json_pack("{s:s}", "by", ctx->principal.user_id);
        st = rp_auth_event(ctx, ctx->principal.tenant_id, "user_deleted", id, detail);
        json_decref(detail);
    }
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else
        rp_resp_no_content(ctx);
done:
    rp_dbres_free(res);
}
