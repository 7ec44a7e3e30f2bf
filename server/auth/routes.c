#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/internal.h"
#include "auth/password.h"
#include "core/log.h"
#include "core/ratelimit.h"

/* Distinct keys the login limiter remembers (tenant+email and client
 * addresses together): 32 bytes each, so 2 MiB. */
#define LOGIN_LIMITER_KEYS 65536

/* Login, refresh and logout carry their credentials in the body and manage
 * their own transactions (their tenant is only known once the body is
 * read). /me is one guarded read without BEGIN/COMMIT. The rest run in the
 * request's transaction. */
static const rp_route_t routes[] = {
    {RP_POST, "/api/v1/auth/login", rp_auth_login, RP_ROUTE_PUBLIC | RP_ROUTE_NO_TX, RP_ROLE_NONE},
    {RP_POST, "/api/v1/auth/refresh", rp_auth_refresh, RP_ROUTE_PUBLIC | RP_ROUTE_NO_TX,
     RP_ROLE_NONE},
    {RP_POST, "/api/v1/auth/logout", rp_auth_logout, RP_ROUTE_PUBLIC | RP_ROUTE_NO_TX,
     RP_ROLE_NONE},
    {RP_GET, "/api/v1/me", rp_auth_me, RP_ROUTE_NO_TX | RP_ROUTE_LOOP, RP_ROLE_READONLY},
    {RP_GET, "/api/v1/api-keys", rp_auth_api_keys_list, 0, RP_ROLE_READONLY},
    {RP_POST, "/api/v1/api-keys", rp_auth_api_keys_create, 0, RP_ROLE_READONLY},
    {RP_DELETE, "/api/v1/api-keys/{id}", rp_auth_api_keys_delete, 0, RP_ROLE_READONLY},
    {RP_GET, "/api/v1/users", rp_auth_users_list, 0, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/users", rp_auth_users_create, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/users/{id}", rp_auth_users_get, 0, RP_ROLE_ADMIN},
    {RP_PATCH, "/api/v1/users/{id}", rp_auth_users_patch, 0, RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/users/{id}", rp_auth_users_delete, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/teams", rp_auth_teams_list, 0, RP_ROLE_READONLY},
    {RP_POST, "/api/v1/teams", rp_auth_teams_create, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/teams/{id}", rp_auth_teams_get, 0, RP_ROLE_READONLY},
    {RP_PATCH, "/api/v1/teams/{id}", rp_auth_teams_patch, 0, RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/teams/{id}", rp_auth_teams_delete, 0, RP_ROLE_ADMIN},
    {RP_PUT, "/api/v1/teams/{id}/members/{user_id}", rp_auth_teams_member_put, 0, RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/teams/{id}/members/{user_id}", rp_auth_teams_member_delete, 0,
     RP_ROLE_ADMIN},
};

rp_status_t rp_auth_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}

rp_status_t rp_auth_init(rp_app_t *app)
{
    if (sodium_init() < 0)
        return RP_ERR;
    rp_password_set_fast(app->cfg.pwhash_fast != 0);
    app->login_limiter = rp_ratelimit_new(LOGIN_LIMITER_KEYS, app->cfg.login_window, NULL, NULL);
    if (app->login_limiter == NULL)
        return RP_ENOMEM;
    /* A hash of a random password nobody knows, made with the current
     * parameters, so that verifying against it costs what verifying a real
     * user's hash costs. */
    unsigned char raw[24];
    char pw[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(pw, sizeof pw, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    _Static_assert(sizeof app->dummy_password_hash >= RP_PASSWORD_HASH_MAX, "dummy hash room");
    rp_status_t st = rp_password_hash(pw, app->dummy_password_hash);
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(raw, sizeof raw);
    if (st != RP_OK) {
        rp_log_error("auth: could not compute the dummy password hash: %s", rp_status_name(st));
        return st;
    }
    return RP_OK;
}

void rp_auth_shutdown(rp_app_t *app)
{
    rp_ratelimit_free(app->login_limiter);
    app->login_limiter = NULL;
}
