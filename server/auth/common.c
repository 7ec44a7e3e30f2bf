#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "core/utf8.h"

json_t *rp_auth_user_json(const rp_dbres_t *res, int row)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", rp_dbres_get(res, row, 0), "email",
        rp_dbres_get(res, row, 1), "name", rp_dbres_get(res, row, 2), "role",
        rp_dbres_get(res, row, 3), "status", rp_dbres_get(res, row, 4), "created_at",
        rp_dbres_get(res, row, 5), "updated_at", rp_dbres_get(res, row, 6), "last_login_at",
        rp_dbres_null(res, row, 7) ? json_null() : json_string(rp_dbres_get(res, row, 7)));
}

rp_status_t rp_auth_event(rp_ctx_t *ctx, const char *tenant_id, const char *kind,
                          const char *user_id, json_t *detail)
{
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    const char *params[] = {
        tenant_id,         id, kind, user_id, ctx->req.client_addr[0] ? ctx->req.client_addr : NULL,
        text ? text : "{}"};
    rp_status_t st =
        rp_db_exec(ctx->db,
                   "INSERT INTO auth_events (tenant_id, id, kind, user_id, client_addr, "
                   "detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                   6, params, NULL);
    free(text);
    return st;
}

rp_status_t rp_auth_issue_pair(rp_ctx_t *ctx, const char *tenant_id, const char *user_id,
                               const rp_auth_role_t *role, const char *family_id, json_t **out)
{
    *out = NULL;
    const rp_config_t *cfg = &ctx->app->cfg;
    char id[RP_UUID_LEN + 1];
    unsigned char secret[RP_TOKEN_SECRET_BYTES], hash[RP_TOKEN_HASH_BYTES];
    char text[RP_TOKEN_TEXT_MAX], hparam[RP_TOKEN_HASH_PARAM_MAX], ttl[16];
    char *access = NULL;
    rp_token_new(RP_REFRESH_PREFIX, id, secret, text);
    rp_token_refresh_hash(secret, hash);
    rp_token_hash_param(hash, hparam);
    snprintf(ttl, sizeof ttl, "%d", cfg->refresh_ttl);
    /* The first token of a session names its family. */
    const char *params[] = {tenant_id, id, family_id ? family_id : id, user_id, hparam, ttl};
    rp_status_t st = rp_db_exec(ctx->db,
                                "INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, "
                                "secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5::bytea, "
                                "now() + make_interval(secs => $6::int))",
                                6, params, NULL);
    if (st != RP_OK)
        goto fail;
    st = rp_jwt_issue_as(cfg, (long)time(NULL), tenant_id, user_id, role->rank, role->access_role,
                         &access);
    if (st != RP_OK)
        goto fail;
    *out = json_pack("{s:s, s:s, s:i, s:s}", "access_token", access, "token_type", "Bearer",
                     "expires_in", cfg->access_ttl, "refresh_token", text);
    st = *out ? RP_OK : RP_ENOMEM;
fail:
    free(access);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(text, sizeof text);
    return st;
}

void rp_auth_unauthorized(rp_ctx_t *ctx, const char *code, const char *detail)
{
    rp_resp_problem(ctx, 401, code, detail);
    rp_resp_header(ctx, "WWW-Authenticate", "Bearer realm=\"rapport\"");
}

void rp_auth_not_found(rp_ctx_t *ctx, const char *what)
{
    char *detail = rp_pool_printf(&ctx->pool, "no such %s", what);
    rp_resp_problem(ctx, 404, "not_found", detail ? detail : "not found");
}

const char *rp_auth_path_id(rp_ctx_t *ctx, const char *what)
{
    const char *raw = ctx->req.nparams > 0 ? ctx->req.params[0] : NULL;
    if (!rp_uuid_valid(raw)) {
        rp_auth_not_found(ctx, what);
        return NULL;
    }
    char *id = rp_pool_strdup(&ctx->pool, raw);
    if (id == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return NULL;
    }
    for (char *p = id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return id;
}

void rp_auth_page(rp_ctx_t *ctx, rp_status_t st, rp_dbres_t *res, int limit,
                  json_t *(*row_json)(const rp_dbres_t *res, int row))
{
    if (st != RP_OK) {
        rp_dbres_free(res);
        rp_resp_fail(ctx, st);
        return;
    }
    int n = rp_dbres_rows(res);
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++)
        json_array_append_new(items, row_json(res, i));
    json_t *next = n > limit ? json_string(rp_dbres_get(res, limit - 1, 0)) : json_null();
    rp_dbres_free(res);
    rp_resp_json(ctx, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void rp_auth_list(rp_ctx_t *ctx, const char *sql,
                  json_t *(*row_json)(const rp_dbres_t *res, int row))
{
    int limit = 0;
    const char *cursor = NULL;
    char lim[16];
    if (!rp_auth_page_params(ctx, &limit, &cursor, lim))
        return;
    const char *params[] = {ctx->principal.tenant_id, cursor, lim};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db, sql, 3, params, &res);
    rp_auth_page(ctx, st, res, limit, row_json);
}

bool rp_auth_page_params(rp_ctx_t *ctx, int *limit, const char **cursor, char lim[16])
{
    json_t *errors = json_object();
    *cursor = rp_req_query_param(ctx, "cursor");
    if (!rp_input_limit(rp_req_query_param(ctx, "limit"), 50, 200, limit))
        rp_input_error(errors, "limit", "must be an integer from 1 to 200");
    if (*cursor != NULL && !rp_uuid_valid(*cursor))
        rp_input_error(errors, "cursor", "must be an id from a previous page");
    if (rp_input_fail(ctx, errors))
        return false;
    snprintf(lim, 16, "%d", *limit + 1);
    return true;
}

void rp_auth_check_name_password(rp_ctx_t *ctx, json_t *body, json_t *errors, const char **name,
                                 const char **password)
{
    char why[96];
    if (rp_input_string(body, "name", name, errors) && *name != NULL) {
        long n = rp_utf8_length(*name);
        if (n < 0 || n > 200)
            rp_input_error(errors, "name", "must be at most 200 characters");
    }
    if (rp_input_string(body, "password", password, errors) && *password != NULL &&
        rp_password_check_policy(*password, ctx->app->cfg.password_min_length, why, sizeof why) !=
            RP_OK)
        rp_input_error(errors, "password", why);
}
