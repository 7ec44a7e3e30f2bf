#ifndef RP_HTTP_SERVER_H
#define RP_HTTP_SERVER_H

#include "core/app.h"
#include "core/status.h"

/* Serves HTTP until SIGTERM or SIGINT: starts the database workers (each with
 * its own connection to app->app_conninfo), one H2O event loop per
 * app->cfg.http_threads with SO_REUSEPORT listeners, prints the listening
 * URL, then on a signal stops accepting, lets in-flight requests finish
 * (bounded by cfg.shutdown_timeout), and returns RP_OK. Returns an error
 * without serving when the listen address cannot be bound. */
rp_status_t rp_server_run(rp_app_t *app);

#endif
