#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "auth/password.h"
#include "core/log.h"
#include "core/ratelimit.h"

/* Every login failure answers with this, whatever the cause, so the answer
 * tells an attacker nothing about which tenants and users exist. */
static void invalid_credentials(rp_ctx_t *ctx)
{
    rp_resp_problem(ctx, 401, "invalid_credentials", "the tenant, e-mail or password is wrong");
}

/* Lower-cases ASCII into the pool: rate-limit keys must not depend on how
 * the caller spelt the address. */
static char *lower_dup(rp_pool_t *pool, const char *s)
{
    char *d = rp_pool_strdup(pool, s);
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

typedef struct attempt {
    const char *slug;
    const char *email;
    const char *password;
    const char *email_key; /* rate-limit keys */
    const char *addr_key;
    char tenant_id[RP_UUID_LEN + 1];
    bool tenant_found;
    bool tenant_active;
    char user_id[RP_UUID_LEN + 1];
    bool user_found;
    bool user_active;
    char hash[128];
} attempt_t;

/* Reads the user row. An active tenant goes through the guarded one-round-trip
 * read. A suspended tenant's guard refuses, yet the password must still be
 * checked before saying "suspended" (else the answer would reveal that the
 * tenant exists): that one read sets the tenant scope by hand inside a
 * transaction that writes nothing. */
static rp_status_t load_user(rp_ctx_t *ctx, attempt_t *a)
{
    static const char sql[] = "SELECT id::text, status, COALESCE(password_hash, '') FROM "
                              "users WHERE tenant_id = $1 AND lower(email) = lower($2)";
    const char *params[] = {a->tenant_id, a->email};
    rp_dbres_t *res = NULL;
    rp_status_t st = RP_ETENANT;
    if (a->tenant_active) {
        st = rp_db_read(ctx->db, a->tenant_id, sql, 2, params, &res);
        if (st == RP_ETENANT)
            a->tenant_active = false; /* suspended since the directory read */
    }
    if (st == RP_ETENANT) {
        st = rp_db_begin(ctx->db, NULL);
        if (st == RP_OK)
            st = rp_db_exec(ctx->db, "SELECT set_config('rapport.tenant_id', $1, true)", 1, params,
                            NULL);
        if (st == RP_OK)
            st = rp_db_exec(ctx->db, sql, 2, params, &res);
        rp_db_rollback(ctx->db);
    }
    if (st != RP_OK)
        goto done;
    if (rp_dbres_rows(res) == 1) {
        a->user_found = true;
        snprintf(a->user_id, sizeof a->user_id, "%s", rp_dbres_get(res, 0, 0));
        a->user_active = strcmp(rp_dbres_get(res, 0, 1), "active") == 0;
        snprintf(a->hash, sizeof a->hash, "%s", rp_dbres_get(res, 0, 2));
    }
done:
    rp_dbres_free(res);
    return st;
}

static rp_status_t load_tenant(rp_ctx_t *ctx, attempt_t *a)
{
    rp_dbres_t *res = NULL;
    const char *params[] = {a->slug};
    rp_status_t st = rp_db_exec(ctx->db, "SELECT id::text, status FROM tenants WHERE slug = $1", 1,
                                params, &res);
    if (st == RP_OK && rp_dbres_rows(res) == 1) {
        a->tenant_found = true;
        snprintf(a->tenant_id, sizeof a->tenant_id, "%s", rp_dbres_get(res, 0, 0));
        a->tenant_active = strcmp(rp_dbres_get(res, 0, 1), "active") == 0;
    }
    rp_dbres_free(res);
    return st;
}

/* Counts a failure against both keys, and leaves an audit row when the
 * tenant is known and active (a failed write only costs the row). */
static void record_failure(rp_ctx_t *ctx, attempt_t *a, const char *reason)
{
    const rp_config_t *cfg = &ctx->app->cfg;
    rp_ratelimit_fail(ctx->app->login_limiter, a->email_key, cfg->login_max_failures);
    if (a->addr_key != NULL)
        rp_ratelimit_fail(ctx->app->login_limiter, a->addr_key, cfg->login_max_failures_ip);
    if (!a->tenant_found || !a->tenant_active)
        return;
    json_t *detail = json_pack("{s:s, s:s}", "email", a->email, "reason", reason);
    rp_status_t st = rp_db_begin(ctx->db, a->tenant_id);
    if (st == RP_OK)
        st = rp_auth_event(ctx, a->tenant_id, "login_failed", a->user_found ? a->user_id : NULL,
                           detail);
    if (st == RP_OK)
        st = rp_db_commit(ctx->db);
    else
        rp_db_rollback(ctx->db);
    json_decref(detail);
    if (st != RP_OK)
        rp_log_warn("login: could not record a failed attempt: %s", rp_status_name(st));
}

/* The successful end: refreshed hash if the cost parameters moved, last
 * login time, audit row and a new token pair, all in one transaction. The
 * user's expired refresh tokens are dropped on the way, so the table does
 * not grow with every session ever opened. */
static void succeed(rp_ctx_t *ctx, attempt_t *a)
{
    char newhash[RP_PASSWORD_HASH_MAX];
    const char *rehash = NULL;
    if (rp_password_needs_rehash(a->hash) && rp_password_hash(a->password, newhash) == RP_OK)
        rehash = newhash;
    json_t *pair = NULL;
    rp_dbres_t *res = NULL;
    const char *params[] = {a->tenant_id, a->user_id, rehash};
    rp_status_t st = rp_db_begin(ctx->db, a->tenant_id);
    if (st == RP_OK)
        st = rp_db_exec(ctx->db,
                        "WITH purge AS (DELETE FROM refresh_tokens WHERE tenant_id = $1 AND "
                        "user_id = $2 AND expires_at < now()) "
                        "UPDATE users u SET last_login_at = now(), password_hash = COALESCE($3, "
                        "password_hash) WHERE tenant_id = $1 AND id = $2 AND status = 'active' "
                        "RETURNING role, " RP_SQL_ROLE_BASE,
                        3, params, &res);
    if (st != RP_OK)
        goto fail;
    if (rp_dbres_rows(res) != 1) { /* disabled or deleted in the meantime */
        rp_db_rollback(ctx->db);
        invalid_credentials(ctx);
        goto done;
    }
    rp_auth_role_t role;
    rp_auth_role_resolve(rp_dbres_get(res, 0, 0),
                         rp_dbres_null(res, 0, 1) ? NULL : rp_dbres_get(res, 0, 1), &role);
    /* The column's check makes a role with no rank impossible; never sign one. */
    st = role.rank == RP_ROLE_NONE ? RP_ERR : RP_OK;
    if (st == RP_OK)
        st = rp_auth_event(ctx, a->tenant_id, "login", a->user_id, NULL);
    if (st == RP_OK)
        st = rp_auth_issue_pair(ctx, a->tenant_id, a->user_id, &role, NULL, &pair);
    if (st == RP_OK)
        st = rp_db_commit(ctx->db);
    if (st != RP_OK)
        goto fail;
    rp_ratelimit_clear(ctx->app->login_limiter, a->email_key);
    rp_resp_json(ctx, 200, pair);
    pair = NULL;
    goto done;
fail:
    rp_db_rollback(ctx->db);
    rp_resp_fail(ctx, st);
done:
    json_decref(pair);
    rp_dbres_free(res);
}

/* Refuses with 429 while either key is blocked. */
static bool throttled(rp_ctx_t *ctx, const attempt_t *a)
{
    const rp_config_t *cfg = &ctx->app->cfg;
    int left = rp_ratelimit_blocked(ctx->app->login_limiter, a->email_key, cfg->login_max_failures);
    if (a->addr_key != NULL) {
        int ip =
            rp_ratelimit_blocked(ctx->app->login_limiter, a->addr_key, cfg->login_max_failures_ip);
        if (ip > left)
            left = ip;
    }
    if (left <= 0)
        return false;
    rp_resp_problem(ctx, 429, "too_many_attempts",
                    "too many failed logins; wait before trying again");
    char *value = rp_pool_printf(&ctx->pool, "%d", left);
    rp_resp_header(ctx, "Retry-After", value ? value : "60");
    return true;
}

void rp_auth_login(rp_ctx_t *ctx)
{
    static const char *const fields[] = {"tenant", "email", "password", NULL};
    attempt_t a = {0};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    rp_input_required_string(body, "tenant", &a.slug, errors);
    rp_input_required_string(body, "email", &a.email, errors);
    rp_input_required_string(body, "password", &a.password, errors);
    if (rp_input_fail(ctx, errors))
        goto done;

    a.slug = lower_dup(&ctx->pool, a.slug);
    const char *email_lower = lower_dup(&ctx->pool, a.email);
    a.email_key = rp_pool_printf(&ctx->pool, "login:%s:%s", a.slug ? a.slug : "",
                                 email_lower ? email_lower : "");
    if (ctx->req.client_addr[0] != '\0')
        a.addr_key = rp_pool_printf(&ctx->pool, "addr:%s", ctx->req.client_addr);
    if (a.slug == NULL || a.email_key == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    ctx->tenant_slug = a.slug;
    if (throttled(ctx, &a))
        goto done;

    /* Inputs no real account can have skip the database, not the hash. */
    bool plausible = strlen(a.slug) <= 63 && strlen(a.email) <= 254 && strlen(a.password) <= 1024;
    rp_status_t st = plausible ? load_tenant(ctx, &a) : RP_OK;
    if (st == RP_OK && a.tenant_found)
        st = load_user(ctx, &a);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }

    /* The same argon2 work whether or not the account exists. */
    bool usable = a.user_found && a.user_active && a.hash[0] != '\0';
    bool ok = rp_password_verify(usable ? a.hash : ctx->app->dummy_password_hash,
                                 plausible ? a.password : "") &&
              usable && plausible;
    if (!ok) {
        record_failure(ctx, &a,
                       !a.user_found    ? "unknown_user"
                       : !a.user_active ? "disabled"
                       : a.hash[0] == 0 ? "no_password"
                                        : "wrong_password");
        invalid_credentials(ctx);
        goto done;
    }
    if (!a.tenant_active) {
        rp_resp_problem(ctx, 403, "tenant_suspended", "this tenant is suspended");
        goto done;
    }
    succeed(ctx, &a);
done:
    json_decref(body);
}
