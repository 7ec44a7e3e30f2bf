#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "auth/tokens.h"
#include "core/log.h"

/* A presented refresh token, once its row is locked. */
typedef struct presented {
    char id[RP_UUID_LEN + 1];
    char tenant_id[RP_UUID_LEN + 1];
    char family_id[RP_UUID_LEN + 1];
    char user_id[RP_UUID_LEN + 1];
    bool expired, rotated, revoked, user_active;
    rp_auth_role_t role;
} presented_t;

static void invalid(rp_ctx_t *ctx, const char *detail)
{
    rp_resp_problem(ctx, 401, "invalid_token", detail);
}

/* Reads {"refresh_token"} and parses it. Answers and returns false on bad
 * input; an unparseable token is a 401 like an unknown one. */
static bool read_token(rp_ctx_t *ctx, char id[RP_UUID_LEN + 1],
                       unsigned char secret[RP_TOKEN_SECRET_BYTES])
{
    static const char *const fields[] = {"refresh_token", NULL};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return false;
    bool ok = false;
    const char *text = NULL;
    json_t *errors = json_object();
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    rp_input_required_string(body, "refresh_token", &text, errors);
    if (rp_input_fail(ctx, errors))
        goto done;
    if (rp_token_parse(RP_REFRESH_PREFIX, text, id, secret) != RP_OK) {
        invalid(ctx, "the refresh token is not valid");
        goto done;
    }
    ok = true;
done:
    json_decref(body);
    return ok;
}

/* Finds the token's tenant (the token arrives with no tenant context), opens
 * that tenant's transaction and locks the row, so that of two concurrent
 * uses of one token exactly one sees it unrotated. Returns RP_EAUTH for an
 * unknown token or a secret that does not match; the transaction is left
 * open on RP_OK only. */
static rp_status_t lock_token(rp_ctx_t *ctx, const char *id,
                              const unsigned char secret[RP_TOKEN_SECRET_BYTES], presented_t *p)
{
    rp_dbres_t *res = NULL;
    const char *p1[] = {id};
    rp_status_t st =
        rp_db_exec(ctx->db, "SELECT rp_refresh_token_tenant($1::uuid)::text", 1, p1, &res);
    if (st != RP_OK)
        goto done;
    if (rp_dbres_rows(res) != 1 || rp_dbres_null(res, 0, 0)) {
        st = RP_EAUTH;
        goto done;
    }
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->tenant_id, sizeof p->tenant_id, "%s", rp_dbres_get(res, 0, 0));
    rp_dbres_free(res);
    res = NULL;

    const char *p2[] = {p->tenant_id, p->id};
    st = rp_db_begin(ctx->db, p->tenant_id);
    static const char sql[] =
        "SELECT r.family_id::text, r.user_id::text, encode(r.secret_hash, 'hex'), "
        "r.expires_at <= now(), r.rotated_at IS NOT NULL, r.revoked_at IS NOT NULL, "
        "u.role, u.status = 'active', " RP_SQL_ROLE_BASE
        " FROM refresh_tokens r JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id "
        "WHERE r.tenant_id = $1 AND r.id = $2 FOR UPDATE OF r";
    if (st == RP_OK)
        st = rp_db_exec(ctx->db, sql, 2, p2, &res);
    if (st != RP_OK) {
        rp_db_rollback(ctx->db);
        goto done;
    }
    unsigned char hash[RP_TOKEN_HASH_BYTES];
    rp_token_refresh_hash(secret, hash);
    if (rp_dbres_rows(res) != 1 || !rp_token_hash_matches(hash, rp_dbres_get(res, 0, 2))) {
        rp_db_rollback(ctx->db);
        st = RP_EAUTH;
        goto done;
    }
    snprintf(p->family_id, sizeof p->family_id, "%s", rp_dbres_get(res, 0, 0));
    snprintf(p->user_id, sizeof p->user_id, "%s", rp_dbres_get(res, 0, 1));
    p->expired = strcmp(rp_dbres_get(res, 0, 3), "t") == 0;
    p->rotated = strcmp(rp_dbres_get(res, 0, 4), "t") == 0;
    p->revoked = strcmp(rp_dbres_get(res, 0, 5), "t") == 0;
    rp_auth_role_resolve(rp_dbres_get(res, 0, 6),
                         rp_dbres_null(res, 0, 8) ? NULL : rp_dbres_get(res, 0, 8), &p->role);
    p->user_active = strcmp(rp_dbres_get(res, 0, 7), "t") == 0;
done:
    rp_dbres_free(res);
    return st;
}

static rp_status_t revoke_family(rp_ctx_t *ctx, const presented_t *p)
{
    const char *params[] = {p->tenant_id, p->family_id};
    return rp_db_exec(ctx->db,
                      "UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND "
                      "family_id = $2 AND revoked_at IS NULL",
                      2, params, NULL);
}

/* A token that was already exchanged is being presented again: either the
 * client has a bug or somebody copied it. Both holders lose the session. */
static void reused(rp_ctx_t *ctx, const presented_t *p)
{
    json_t *detail = json_pack("{s:s, s:s}", "token_id", p->id, "family_id", p->family_id);
    rp_status_t st = revoke_family(ctx, p);
    if (st == RP_OK)
        st = rp_auth_event(ctx, p->tenant_id, "refresh_reuse", p->user_id, detail);
    if (st == RP_OK)
        st = rp_db_commit(ctx->db);
    else
        rp_db_rollback(ctx->db);
    json_decref(detail);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    rp_log_warn("refresh token reuse: tenant %s user %s family %s from %s; family revoked",
                p->tenant_id, p->user_id, p->family_id,
                ctx->req.client_addr[0] ? ctx->req.client_addr : "-");
    rp_resp_problem(ctx, 401, "refresh_reused",
                    "this refresh token was already used; the session has been revoked");
}

void rp_auth_refresh(rp_ctx_t *ctx)
{
    char id[RP_UUID_LEN + 1];
    unsigned char secret[RP_TOKEN_SECRET_BYTES];
    presented_t p = {0};
    json_t *pair = NULL;
    if (!read_token(ctx, id, secret))
        return;
    rp_status_t st = lock_token(ctx, id, secret, &p);
    sodium_memzero(secret, sizeof secret);
    if (st == RP_EAUTH) {
        invalid(ctx, "the refresh token is not valid");
        return;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (p.rotated) {
        reused(ctx, &p);
        return;
    }
    if (p.revoked || p.expired) {
        rp_db_rollback(ctx->db);
        invalid(ctx, p.revoked ? "the refresh token has been revoked; log in again"
                               : "the refresh token has expired; log in again");
        return;
    }
    if (!p.user_active || p.role.rank == RP_ROLE_NONE) {
        st = revoke_family(ctx, &p);
        if (st == RP_OK)
            st = rp_db_commit(ctx->db);
        else
            rp_db_rollback(ctx->db);
        if (st != RP_OK)
            rp_resp_fail(ctx, st);
        else
            invalid(ctx, "the account is disabled");
        return;
    }
    const char *params[] = {p.tenant_id, p.id};
    st = rp_db_exec(ctx->db,
                    "UPDATE refresh_tokens SET rotated_at = now() WHERE tenant_id = $1 AND id = $2",
                    2, params, NULL);
    /* The new access token carries the role the user has now, not the one
     * they logged in with. */
    if (st == RP_OK)
        st = rp_auth_issue_pair(ctx, p.tenant_id, p.user_id, &p.role, p.family_id, &pair);
    if (st == RP_OK)
        st = rp_db_commit(ctx->db);
    if (st != RP_OK) {
        rp_db_rollback(ctx->db);
        json_decref(pair);
        rp_resp_fail(ctx, st);
        return;
    }
    rp_resp_json(ctx, 200, pair);
}

void rp_auth_logout(rp_ctx_t *ctx)
{
    char id[RP_UUID_LEN + 1];
    unsigned char secret[RP_TOKEN_SECRET_BYTES];
    presented_t p = {0};
    if (!read_token(ctx, id, secret))
        return;
    rp_status_t st = lock_token(ctx, id, secret, &p);
    sodium_memzero(secret, sizeof secret);
    if (st == RP_EAUTH) {
        invalid(ctx, "the refresh token is not valid");
        return;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    /* Logging out twice, or with an older token of the session, still ends
     * the session: the answer is the same 204. */
    st = revoke_family(ctx, &p);
    if (st == RP_OK)
        st = rp_auth_event(ctx, p.tenant_id, "logout", p.user_id, NULL);
    if (st == RP_OK)
        st = rp_db_commit(ctx->db);
    if (st != RP_OK) {
        rp_db_rollback(ctx->db);
        rp_resp_fail(ctx, st);
        return;
    }
    rp_resp_no_content(ctx);
}
