#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "auth/password.h"
#include "core/utf8.h"
#include "records/role_doc.h"

void rp_auth_users_list(rp_ctx_t *ctx)
{
    rp_auth_list(ctx,
                 "SELECT " RP_USER_COLS " FROM users WHERE tenant_id = $1 AND "
                 "($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3::int",
                 rp_auth_user_json);
}

void rp_auth_users_get(rp_ctx_t *ctx)
{
    const char *id = rp_auth_path_id(ctx, "user");
    if (id == NULL)
        return;
    const char *params[] = {ctx->principal.tenant_id, id};
    rp_dbres_t *res = NULL;
    static const char sql[] = "SELECT " RP_USER_COLS ", " RP_SQL_USER_TEAMS
                              " FROM users u WHERE tenant_id = $1 AND id = $2::uuid";
    rp_status_t st = rp_db_exec(ctx->db, sql, 2, params, &res);
    json_t *user = NULL;
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
    } else if (rp_dbres_rows(res) != 1) {
        rp_auth_not_found(ctx, "user");
    } else if ((user = rp_auth_user_json(res, 0)) == NULL ||
               json_object_set_new(user, "teams", json_loads(rp_dbres_get(res, 0, 8), 0, NULL)) !=
                   0) {
        json_decref(user);
        rp_resp_fail(ctx, RP_ENOMEM);
    } else {
        rp_resp_json(ctx, 200, user);
    }
    rp_dbres_free(res);
}

void rp_auth_users_create(rp_ctx_t *ctx)
{
    static const char *const fields[] = {"email", "role", "name", "password", NULL};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    const char *email = NULL, *role_name = NULL, *name = NULL, *password = NULL;
    rp_dbres_t *res = NULL;
    char hash[RP_PASSWORD_HASH_MAX];
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    if (rp_input_required_string(body, "email", &email, errors) && !rp_input_email_valid(email))
        rp_input_error(errors, "email", "must be a valid e-mail address");
    if (rp_input_required_string(body, "role", &role_name, errors) &&
        rp_role_parse(role_name) == RP_ROLE_NONE && !rp_role_name_valid(role_name))
        rp_input_error(errors, "role", RP_AUTH_ROLE_MESSAGE);
    rp_auth_check_name_password(ctx, body, errors, &name, &password);
    /* Only a custom role opens the transaction before argon2 runs: its row
     * must stay locked so that it cannot vanish before the user is saved. */
    if (!rp_auth_role_check(ctx, role_name, errors)) {
        json_decref(errors);
        goto done;
    }
    if (rp_input_fail(ctx, errors))
        goto done;

    /* Hash before the first statement: the transaction opens lazily, so no
     * lock or snapshot is held while argon2 runs. */
    if (password != NULL && rp_password_hash(password, hash) != RP_OK) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *params[] = {ctx->principal.tenant_id, id,        email,
                            name ? name : "",         role_name, password ? hash : NULL};
    rp_status_t st = rp_db_exec(ctx->db,
                                "INSERT INTO users (tenant_id, id, email, name, role, "
                                "password_hash) VALUES ($1, $2, $3, $4, $5, $6) "
                                "RETURNING " RP_USER_COLS,
                                6, params, &res);
    if (st == RP_ECONFLICT) {
        rp_resp_problem_fields(ctx, 409, "email_taken", "a user with this e-mail already exists",
                               json_pack("{s:s}", "email", "is already taken"));
        goto done;
    }
    if (st == RP_OK) {
        json_t *detail = json_pack("{s:s}", "by", ctx->principal.user_id);
        st = rp_auth_event(ctx, ctx->principal.tenant_id, "user_created", id, detail);
        json_decref(detail);
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    char *location = rp_pool_printf(&ctx->pool, "/api/v1/users/%s", id);
    if (location != NULL)
        rp_resp_header(ctx, "Location", location);
    rp_resp_json(ctx, 201, rp_auth_user_json(res, 0));
done:
    rp_dbres_free(res);
    json_decref(body);
}
