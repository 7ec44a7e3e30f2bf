#include <stdio.h>

#include "cli/cli.h"

static const char HELP[] = "Usage: rapport migrate [OPTIONS]\n"
                           "\n"
                           "Applies the pending database migrations, each in its own transaction,\n"
                           "under an advisory lock. `serve` and the other commands do the same\n"
                           "before they start.\n"
                           "\n"
                           "Options:\n"
                           "%s";

int rp_cli_migrate(const rp_cli_globals_t *g, int argc, char **argv)
{
    const char *cmd = "migrate";
    rp_cli_opt_t opts[] = {RP_CLI_DB_OPTS};
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    rp_cli_args_t a;
    char err[1024];
    if (rp_cli_parse(argc, argv, opts, nopts, 0, &a, err, sizeof err) != RP_OK)
        return rp_cli_usage(cmd, "%s", err);
    if (a.help) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    rp_config_t cfg;
    int code = rp_cli_config(cmd, g, opts, nopts, &cfg);
    if (code != RP_EXIT_OK)
        return code;
    rp_cli_session_t s;
    if (rp_cli_session_open(&s, &cfg, false, err, sizeof err) != RP_OK) {
        rp_config_free(&cfg);
        return rp_cli_fail(cmd, "%s", err);
    }
    if (s.migrations_applied > 0)
        printf("applied %d migration%s to %s\n", s.migrations_applied,
               s.migrations_applied == 1 ? "" : "s", s.where);
    else
        printf("%s is up to date\n", s.where);
    rp_cli_session_close(&s);
    rp_config_free(&cfg);
    return RP_EXIT_OK;
}
