#include "http/dispatch.h"

#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/app.h"
#include "core/log.h"
#include "http/internal.h"
#include "http/router.h"
#include "script/script.h"

/* Returns the credential after "Bearer ", or NULL. */
static const char *bearer(const char *authorization)
{
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *t = authorization + 7;
    while (*t == ' ')
        t++;
    return *t ? t : NULL;
}

static void unauthorized(rp_ctx_t *ctx, const char *code, const char *detail)
{
    rp_resp_problem(ctx, 401, code, detail);
    rp_resp_header(ctx, "WWW-Authenticate", "Bearer realm=\"rapport\"");
}

bool rp_dispatch_authenticate(rp_ctx_t *ctx)
{
    if (ctx->route->flags & RP_ROUTE_PUBLIC)
        return true;
    const char *tok = bearer(ctx->req.authorization);
    if (tok == NULL) {
        unauthorized(ctx, "unauthorized",
                     ctx->req.authorization ? "the Authorization header must be 'Bearer <token>'"
                                            : "this resource needs an access token or API key");
        return false;
    }
    if (strncmp(tok, "rpk_", 4) == 0) {
        ctx->principal.via_api_key = true; /* resolved on the worker */
        return true;
    }
    char why[64] = "";
    if (rp_auth_verify_access_token(ctx->app, tok, &ctx->principal, why, sizeof why) != RP_OK) {
        if (strcmp(why, "expired") == 0)
            unauthorized(ctx, "token_expired", "the access token has expired; refresh it");
        else
            unauthorized(ctx, "invalid_token", "the access token is not valid");
        return false;
    }
    return true;
}

bool rp_dispatch_body_allowed(rp_ctx_t *ctx, size_t len)
{
    const rp_config_t *cfg = &ctx->app->cfg;
    size_t limit = (ctx->route->flags & RP_ROUTE_LARGE_BODY) ? cfg->max_import : cfg->max_body;
    if (len <= limit)
        return true;
    char *detail =
        rp_pool_printf(&ctx->pool, "the request body is larger than %zu KiB", limit >> 10);
    rp_resp_problem(ctx, 413, "payload_too_large",
                    detail ? detail : "the request body is too large");
    return false;
}

static rp_status_t begin(rp_db_t *db, const rp_route_t *rt, const char *tenant_id)
{
    return (rt->flags & RP_ROUTE_READ) ? rp_db_begin_read(db, tenant_id)
                                       : rp_db_begin(db, tenant_id);
}

void rp_dispatch_run(rp_ctx_t *ctx, rp_db_t *db)
{
    ctx->db = db;
    const rp_route_t *rt = ctx->route;
    rp_status_t st = rp_db_ensure(db);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (ctx->principal.via_api_key && !ctx->principal.authenticated) {
        st = rp_auth_api_key(ctx, bearer(ctx->req.authorization));
        if (st == RP_EAUTH) {
            unauthorized(ctx, "invalid_api_key", "the API key is not valid");
            return;
        }
        if (st != RP_OK) {
            rp_resp_fail(ctx, st);
            return;
        }
    }
    if (rt->min_role != RP_ROLE_NONE && ctx->principal.role < rt->min_role) {
        rp_resp_problem(ctx, 403, "forbidden", "your role does not allow this");
        return;
    }
    bool tx = (rt->flags & RP_ROUTE_NO_TX) == 0;
    if (tx) {
        st = begin(db, rt, ctx->principal.authenticated ? ctx->principal.tenant_id : NULL);
        if (st != RP_OK) {
            rp_resp_fail(ctx, st);
            return;
        }
    }
    rt->handler(ctx);
    const rp_task_t *task = ctx->transport;
    if (tx && rp_db_in_tx(db) && (task == NULL || task->stream == NULL)) {
        /* An answer built from a cached snapshot alone is checked now; one
         * built on stale metadata is undone and the request runs once more,
         * reading the version this time. */
        rp_db_settle(db);
        if (rp_db_stale(db)) {
            rp_db_rollback(db);
            rp_resp_reset(ctx);
            ctx->metadata_recheck = true;
            /* Scripts start over too: their state held the stale snapshot. */
            ctx->script = NULL;
            st = begin(db, rt, ctx->principal.tenant_id);
            if (st != RP_OK) {
                rp_resp_fail(ctx, st);
                return;
            }
            rt->handler(ctx);
        }
    }
    if (ctx->res.status == 0)
        rp_resp_problem(ctx, 500, "internal", "the handler gave no answer");
    if (tx && rp_db_in_tx(db)) {
        if (ctx->res.status < 400) {
            st = rp_db_commit(db);
            if (st != RP_OK)
                rp_resp_fail(ctx, st);
        } else {
            rp_db_rollback(db);
        }
    } else if (rp_db_in_tx(db)) {
        /* A handler that manages its own transaction must close it; never let
         * one leak into the next request on this connection. */
        rp_log_warn("route %s left a transaction open; rolled back", rt->pattern);
        rp_db_rollback(db);
    }
    /* Trigger runs are logged whether the request committed or not. */
    if (ctx->script != NULL)
        rp_script_runs_flush(ctx);
}
