#include "core/app.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "core/log.h"
#include "http/router.h"

rp_status_t rp_app_init(rp_app_t *app)
{
    app->started_at = (long)time(NULL);
    app->router = rp_router_new();
    if (app->router == NULL)
        return RP_ENOMEM;
    rp_status_t st = rp_routes_register_core(app->router);
    if (st != RP_OK)
        return st;
    return rp_auth_init(app);
}

void rp_app_free(rp_app_t *app)
{
    rp_auth_shutdown(app);
    rp_router_free(app->router);
    app->router = NULL;
    free(app->app_conninfo);
    free(app->app_set_role);
    app->app_conninfo = app->app_set_role = NULL;
    rp_config_free(&app->cfg);
}
