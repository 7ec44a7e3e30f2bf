#ifndef RP_CORE_APP_H
#define RP_CORE_APP_H

#include "core/config.h"
#include "core/status.h"

struct rp_ratelimit;
struct rp_router;

/* Process-wide state shared read-only by every thread after start-up (the
 * rate limiter locks internally). */
typedef struct rp_app {
    rp_config_t cfg;
    struct rp_router *router;
    struct rp_ratelimit *login_limiter;
    char dummy_password_hash[128]; /* verified against for unknown users, to equalise time */
    char *app_conninfo;            /* how workers connect */
    char *app_set_role;            /* SET ROLE after connecting, or NULL */
    long started_at;               /* unix seconds */
} rp_app_t;

/* Builds the router and the auth state once app->cfg is loaded and the JWT
 * secret is in place. app_conninfo and app_set_role are set by the caller. */
rp_status_t rp_app_init(rp_app_t *app);

/* Frees everything the app owns, the config included. */
void rp_app_free(rp_app_t *app);

#endif
