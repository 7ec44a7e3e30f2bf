#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/app.h"
#include "core/log.h"
#include "http/router.h"
#include "http/server.h"
#include "modules/modules.h"
#include "records/housekeeping.h"
#include "records/meta.h"
#include "script/script.h"

static const char HELP[] =
    "Usage: rapport serve [OPTIONS]\n"
    "\n"
    "Runs the HTTP API until SIGTERM or SIGINT, then finishes the requests in flight\n"
    "and exits 0. Migrates the database first. Without a database URL it creates (on\n"
    "first run) and starts a private PostgreSQL cluster in DIR/pg, and stops it on exit;\n"
    "a second serve on the same data directory refuses to start.\n"
    "\n"
    "Options:\n"
    "  --listen HOST:PORT   address to listen on (RAPPORT_LISTEN, default 127.0.0.1:8080)\n"
    "  --workers N          database workers (RAPPORT_WORKERS)\n"
    "  --log-level LEVEL    debug, info, warn or error (RAPPORT_LOG_LEVEL, default info)\n"
    "%s";

static rp_status_t mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return RP_EINVAL;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return RP_EIO;
        *p = '/';
    }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? RP_OK : RP_EIO;
}

/* Refuses to serve through a role that row-level security does not bind:
 * tenant isolation would then rest on the SQL alone. */
static rp_status_t check_serving_role(const rp_cli_session_t *s, char *err, size_t errlen)
{
    rp_db_t *db = NULL;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_open(&db, s->app_conninfo, s->app_set_role);
    if (st != RP_OK) {
        snprintf(err, errlen, "the serving role cannot connect%s%s: %s",
                 s->app_set_role ? " or SET ROLE " : "", s->app_set_role ? s->app_set_role : "",
                 db ? rp_db_error(db) : "out of memory");
        goto out;
    }
    st = rp_db_exec(db,
                    "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles "
                    "WHERE rolname = current_user",
                    0, NULL, &res);
    if (st != RP_OK) {
        snprintf(err, errlen, "checking the serving role: %s", rp_db_error(db));
        goto out;
    }
    if (rp_dbres_rows(res) == 1 && rp_dbres_get(res, 0, 1)[0] == 't') {
        snprintf(err, errlen,
                 "the serving role %s is a superuser or has BYPASSRLS: row-level security "
                 "would not separate tenants (use a role like rapport_app)",
                 rp_dbres_get(res, 0, 0));
        st = RP_EFORBIDDEN;
    }
out:
    rp_dbres_free(res);
    rp_db_close(db);
    return st;
}

int rp_cli_serve(const rp_cli_globals_t *g, int argc, char **argv)
{
    const char *cmd = "serve";
    rp_cli_opt_t opts[] = {
        RP_CLI_DB_OPTS,
        {"--listen", true, NULL},
        {"--workers", true, NULL},
        {"--log-level", true, NULL},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    rp_cli_args_t a;
    char err[1024];
    if (rp_cli_parse(argc, argv, opts, nopts, 0, &a, err, sizeof err) != RP_OK)
        return rp_cli_usage(cmd, "%s", err);
    if (a.help) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    rp_app_t app;
    memset(&app, 0, sizeof app);
    int code = rp_cli_config(cmd, g, opts, nopts, &app.cfg);
    if (code != RP_EXIT_OK)
        return code;
    if (mkdirs(app.cfg.data_dir) != RP_OK) {
        code = rp_cli_fail(cmd, "cannot create data dir %s: %s", app.cfg.data_dir, strerror(errno));
        rp_config_free(&app.cfg);
        return code;
    }
    rp_cli_session_t s;
    if (rp_cli_session_open(&s, &app.cfg, true, err, sizeof err) != RP_OK) {
        rp_config_free(&app.cfg);
        return rp_cli_fail(cmd, "%s", err);
    }
    fprintf(stderr, "rapport: database: %s\n", s.where);
    if (s.migrations_applied > 0)
        fprintf(stderr, "rapport: applied %d migration%s\n", s.migrations_applied,
                s.migrations_applied == 1 ? "" : "s");
    /* Modules load before serving; one that cannot is refused in the log
     * and the server serves on without it. Their migrations need the
     * owner's connection. */
    if (rp_modules_load_dir(rp_modules_dir()) != RP_OK || rp_modules_install(s.db) != RP_OK) {
        rp_modules_unload_all();
        rp_config_free(&app.cfg);
        rp_cli_session_close(&s);
        return rp_cli_fail(cmd, "cannot load the modules (see the lines above)");
    }
    /* Workers open their own connections; the owner's is not needed while
     * serving. */
    rp_db_close(s.db);
    s.db = NULL;
    if (check_serving_role(&s, err, sizeof err) != RP_OK ||
        rp_config_load_secret(&app.cfg, err, sizeof err) != RP_OK) {
        code = rp_cli_fail(cmd, "%s", err);
        rp_modules_unload_all();
        rp_config_free(&app.cfg);
        rp_cli_session_close(&s);
        return code;
    }
    app.app_conninfo = s.app_conninfo;
    app.app_set_role = s.app_set_role;
    s.app_conninfo = s.app_set_role = NULL; /* the app owns them now */
    rp_status_t st = rp_app_init(&app);
    if (st == RP_OK)
        st = rp_modules_mount(app.router);
    if (st != RP_OK) {
        code = rp_cli_fail(cmd, "cannot initialise the server: %s", rp_status_name(st));
        goto out;
    }
    /* Metadata changes made by other instances reach this one's cache. */
    st = rp_meta_listener_start(app.app_conninfo, app.app_set_role);
    if (st != RP_OK) {
        code = rp_cli_fail(cmd, "cannot start the metadata listener: %s", rp_status_name(st));
        goto out;
    }
    /* Purges and expiries; a database that is down now is retried. */
    st = rp_housekeeping_start(app.app_conninfo, app.app_set_role, app.cfg.housekeeping);
    if (st != RP_OK) {
        rp_meta_listener_stop();
        code = rp_cli_fail(cmd, "cannot start housekeeping: %s", rp_status_name(st));
        goto out;
    }
    rp_script_scheduler_start(&app); /* a failure is logged; serving goes on */
    /* Without the writer, runs are logged by their requests. */
    if (rp_script_runlog_start(app.app_conninfo, app.app_set_role) != RP_OK)
        rp_log_warn("script run log writer not started: requests write their runs");
    st = rp_server_run(&app);
    rp_script_scheduler_stop();
    rp_script_runlog_stop();
    rp_housekeeping_stop();
    rp_meta_listener_stop();
    if (st != RP_OK)
        code = rp_cli_fail(cmd, "could not serve (%s; see the lines above)", rp_status_name(st));
out:
    rp_app_free(&app);
    rp_modules_unload_all(); /* after the router that borrowed their routes */
    rp_cli_session_close(&s);
    return code;
}
