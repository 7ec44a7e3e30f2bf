#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/input.h"
#include "auth/internal.h"
#include "auth/tokens.h"
#include "core/utf8.h"

#define KEY_COLS                                                                                   \
    "id::text, user_id::text, name, role, " RP_SQL_TS("created_at") ", " RP_SQL_TS("last_used_at")

static json_t *key_json(const rp_dbres_t *res, int row)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o}", "id", rp_dbres_get(res, row, 0), "user_id",
        rp_dbres_get(res, row, 1), "name", rp_dbres_get(res, row, 2), "role",
        rp_dbres_get(res, row, 3), "created_at", rp_dbres_get(res, row, 4), "last_used_at",
        rp_dbres_null(res, row, 5) ? json_null() : json_string(rp_dbres_get(res, row, 5)));
}

rp_status_t rp_auth_api_key(rp_ctx_t *ctx, const char *key)
{
    char id[RP_UUID_LEN + 1], tenant_id[RP_UUID_LEN + 1];
    unsigned char secret[RP_TOKEN_SECRET_BYTES], hash[RP_TOKEN_HASH_BYTES];
    char hparam[RP_TOKEN_HASH_PARAM_MAX];
    rp_dbres_t *res = NULL;
    if (rp_token_parse(RP_API_KEY_PREFIX, key, id, secret) != RP_OK)
        return RP_EAUTH;
    const rp_config_t *cfg = &ctx->app->cfg;
    rp_token_api_key_hash(cfg->jwt_secret, cfg->jwt_secret_len, secret, hash);
    sodium_memzero(secret, sizeof secret);
    rp_token_hash_param(hash, hparam);

    const char *p1[] = {id};
    rp_status_t st = rp_db_exec(ctx->db, "SELECT rp_api_key_tenant($1::uuid)::text", 1, p1, &res);
    if (st != RP_OK)
        goto done;
    if (rp_dbres_rows(res) != 1 || rp_dbres_null(res, 0, 0)) {
        st = RP_EAUTH;
        goto done;
    }
    snprintf(tenant_id, sizeof tenant_id, "%s", rp_dbres_get(res, 0, 0));
    rp_dbres_free(res);
    res = NULL;

    /* One guarded round trip reads the key with its user and, at most once a
     * minute per key, stamps last_used_at (only when the secret matched, so
     * a wrong guess writes nothing). */
    const char *p2[] = {tenant_id, id, hparam};
    static const char sql[] =
        "WITH touch AS (UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 "
        "AND id = $2 AND secret_hash = $3::bytea AND (last_used_at IS NULL OR "
        "last_used_at < now() - interval '1 minute') RETURNING 1) "
        "SELECT k.user_id::text, encode(k.secret_hash, 'hex'), k.role, u.role, "
        "u.status = 'active', (SELECT count(*) FROM touch), " RP_SQL_ROLE_BASE
        " FROM api_keys k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id "
        "WHERE k.tenant_id = $1 AND k.id = $2";
    st = rp_db_read(ctx->db, tenant_id, sql, 3, p2, &res);
    if (st != RP_OK)
        goto done;
    if (rp_dbres_rows(res) != 1 || !rp_token_hash_matches(hash, rp_dbres_get(res, 0, 1)) ||
        strcmp(rp_dbres_get(res, 0, 4), "t") != 0) {
        st = RP_EAUTH;
        goto done;
    }
    rp_role_t key_role = rp_role_parse(rp_dbres_get(res, 0, 2));
    rp_auth_role_t user;
    rp_auth_role_resolve(rp_dbres_get(res, 0, 3),
                         rp_dbres_null(res, 0, 6) ? NULL : rp_dbres_get(res, 0, 6), &user);
    rp_role_t user_role = user.rank;
    rp_principal_t *pr = &ctx->principal;
    memset(pr, 0, sizeof *pr);
    pr->authenticated = true;
    pr->via_api_key = true;
    /* A key never grants more than its owner has now. */
    pr->role = key_role < user_role ? key_role : user_role;
    snprintf(pr->tenant_id, sizeof pr->tenant_id, "%s", tenant_id);
    snprintf(pr->user_id, sizeof pr->user_id, "%s", rp_dbres_get(res, 0, 0));
    snprintf(pr->token_id, sizeof pr->token_id, "%s", id);
    /* The owner's custom role narrows the key's record rights as it does
     * the owner's. */
    snprintf(pr->access_role, sizeof pr->access_role, "%s", user.access_role);
    st = pr->role == RP_ROLE_NONE ? RP_EAUTH : RP_OK;
    if (st != RP_OK)
        memset(pr, 0, sizeof *pr);
done:
    rp_dbres_free(res);
    return st;
}

void rp_auth_api_keys_list(rp_ctx_t *ctx)
{
    const rp_principal_t *pr = &ctx->principal;
    int limit = 0;
    const char *cursor = NULL;
    char lim[16];
    if (!rp_auth_page_params(ctx, &limit, &cursor, lim))
        return;
    /* Admins see every key of the tenant, others only their own. */
    const char *params[] = {pr->tenant_id, pr->role >= RP_ROLE_ADMIN ? NULL : pr->user_id, cursor,
                            lim};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = $1 AND "
                                "($2::uuid IS NULL OR user_id = $2::uuid) AND "
                                "($3::uuid IS NULL OR id > $3::uuid) ORDER BY id LIMIT $4::int",
                                4, params, &res);
    rp_auth_page(ctx, st, res, limit, key_json);
}

void rp_auth_api_keys_create(rp_ctx_t *ctx)
{
    static const char *const fields[] = {"name", "role", NULL};
    const rp_principal_t *pr = &ctx->principal;
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    const char *name = NULL, *role_name = NULL;
    rp_dbres_t *res = NULL;
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    if (rp_input_required_string(body, "name", &name, errors)) {
        long n = rp_utf8_length(name);
        if (n < 1 || n > 200)
            rp_input_error(errors, "name", "must be 1 to 200 characters");
    }
    rp_role_t role = pr->role;
    if (rp_input_string(body, "role", &role_name, errors) && role_name != NULL) {
        role = rp_role_parse(role_name);
        if (role == RP_ROLE_NONE)
            rp_input_error(errors, "role", "must be one of admin, manager, user, readonly");
    }
    if (rp_input_fail(ctx, errors))
        goto done;
    if (role > pr->role) {
        rp_resp_problem(ctx, 403, "forbidden", "an API key cannot have a higher role than yours");
        goto done;
    }

    char id[RP_UUID_LEN + 1], text[RP_TOKEN_TEXT_MAX], hparam[RP_TOKEN_HASH_PARAM_MAX];
    unsigned char secret[RP_TOKEN_SECRET_BYTES], hash[RP_TOKEN_HASH_BYTES];
    const rp_config_t *cfg = &ctx->app->cfg;
    rp_token_new(RP_API_KEY_PREFIX, id, secret, text);
    rp_token_api_key_hash(cfg->jwt_secret, cfg->jwt_secret_len, secret, hash);
    sodium_memzero(secret, sizeof secret);
    rp_token_hash_param(hash, hparam);
    const char *params[] = {pr->tenant_id, id, pr->user_id, name, rp_role_name(role), hparam};
    rp_status_t st = rp_db_exec(ctx->db,
                                "INSERT INTO api_keys (tenant_id, id, user_id, name, role, "
                                "secret_hash) VALUES ($1, $2, $3, $4, $5, $6::bytea) "
                                "RETURNING " KEY_COLS,
                                6, params, &res);
    if (st == RP_OK) {
        json_t *detail = json_pack("{s:s}", "key_id", id);
        st = rp_auth_event(ctx, pr->tenant_id, "api_key_created", pr->user_id, detail);
        json_decref(detail);
    }
    if (st != RP_OK) {
        sodium_memzero(text, sizeof text);
        rp_resp_fail(ctx, st);
        goto done;
    }
    json_t *out = key_json(res, 0);
    json_object_set_new(out, "key", json_string(text));
    sodium_memzero(text, sizeof text);
    rp_resp_json(ctx, 201, out);
done:
    rp_dbres_free(res);
    json_decref(body);
}

void rp_auth_api_keys_delete(rp_ctx_t *ctx)
{
    const rp_principal_t *pr = &ctx->principal;
    const char *id = rp_auth_path_id(ctx, "API key");
    if (id == NULL)
        return;
    const char *params[] = {pr->tenant_id, id, pr->role >= RP_ROLE_ADMIN ? NULL : pr->user_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2::uuid AND "
                                "($3::uuid IS NULL OR user_id = $3::uuid) RETURNING id::text",
                                3, params, &res);
    if (st == RP_OK && rp_dbres_rows(res) == 1) {
        json_t *detail = json_pack("{s:s}", "key_id", rp_dbres_get(res, 0, 0));
        st = rp_auth_event(ctx, pr->tenant_id, "api_key_deleted", pr->user_id, detail);
        json_decref(detail);
        if (st == RP_OK)
            rp_resp_no_content(ctx);
    } else if (st == RP_OK) {
        rp_auth_not_found(ctx, "API key");
    }
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    rp_dbres_free(res);
}
