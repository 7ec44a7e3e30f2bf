#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "cli/cli.h"
#include "core/log.h"

const char rp_cli_db_opts_help[] =
    "  --data-dir DIR       data directory (RAPPORT_DATA_DIR, default ./var); the embedded\n"
    "                       PostgreSQL cluster lives in DIR/pg\n"
    "  --database-url URL   PostgreSQL connection of the owner role (RAPPORT_DATABASE_URL);\n"
    "                       without it, the embedded cluster is used\n";

static void vreport(const char *cmd, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* Exactly one line, whatever the message carried. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (cmd && *cmd)
        fprintf(stderr, "rapport: %s: %s\n", cmd, msg);
    else
        fprintf(stderr, "rapport: %s\n", msg);
}

int rp_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return RP_EXIT_USAGE;
}

int rp_cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return RP_EXIT_FAIL;
}

int rp_cli_config(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                  rp_config_t *cfg)
{
    char err[512];
    if (rp_config_from_env(cfg, err, sizeof err) != RP_OK) {
        rp_config_free(cfg);
        return rp_cli_usage(cmd, "%s", err);
    }
    if (g->data_dir)
        rp_config_set_str(&cfg->data_dir, g->data_dir);
    if (g->database_url)
        rp_config_set_str(&cfg->database_url, g->database_url);
    const char *v;
    if ((v = rp_cli_value(opts, nopts, "--data-dir")) != NULL) {
        if (*v == '\0')
            goto empty_data_dir;
        rp_config_set_str(&cfg->data_dir, v);
    }
    if ((v = rp_cli_value(opts, nopts, "--database-url")) != NULL)
        rp_config_set_str(&cfg->database_url, *v ? v : NULL);
    if ((v = rp_cli_value(opts, nopts, "--listen")) != NULL &&
        rp_config_set_listen(cfg, v, err, sizeof err) != RP_OK) {
        rp_config_free(cfg);
        return rp_cli_usage(cmd, "--listen: %s", err);
    }
    if ((v = rp_cli_value(opts, nopts, "--workers")) != NULL) {
        long n;
        if (!rp_cli_parse_int(v, 1, 1024, &n)) {
            rp_config_free(cfg);
            return rp_cli_usage(cmd, "--workers: expected an integer from 1 to 1024, got '%s'", v);
        }
        cfg->workers = (int)n;
    }
    if ((v = rp_cli_value(opts, nopts, "--log-level")) != NULL) {
        int lvl = rp_log_parse_level(v);
        if (lvl < 0) {
            rp_config_free(cfg);
            return rp_cli_usage(cmd, "--log-level: expected debug, info, warn or error, got '%s'",
                                v);
        }
        cfg->log_level = lvl;
    }
    if (cfg->data_dir == NULL || cfg->data_dir[0] == '\0')
        goto empty_data_dir;
    rp_log_set_level((rp_log_level_t)cfg->log_level);
    rp_password_set_fast(cfg->pwhash_fast != 0);
    return RP_EXIT_OK;
empty_data_dir:
    rp_config_free(cfg);
    return rp_cli_usage(cmd, "--data-dir: must not be empty");
}
