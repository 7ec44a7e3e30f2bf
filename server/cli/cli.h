#ifndef RP_CLI_CLI_H
#define RP_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/args.h"
#include "core/config.h"
#include "core/status.h"
#include "db/db.h"

struct rp_embedded;

/* Process exit codes of the command line. */
#define RP_EXIT_OK 0
#define RP_EXIT_FAIL 1  /* a runtime failure: database, files, conflicts */
#define RP_EXIT_USAGE 2 /* bad arguments or configuration */

/* Runs `rapport ARGS...` and returns the exit code. */
int rp_cli_main(int argc, char **argv);

/* Options given before the subcommand (`rapport --data-dir X tenant list`). */
typedef struct rp_cli_globals {
    const char *data_dir;
    const char *database_url;
} rp_cli_globals_t;

/* Prints "rapport: CMD: MESSAGE" on stderr and returns RP_EXIT_USAGE. */
int rp_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "rapport: CMD: MESSAGE" on stderr and returns RP_EXIT_FAIL. */
int rp_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Builds the configuration: defaults, the RAPPORT_* environment, the global
 * options, then whichever of --data-dir, --database-url, --listen, --workers
 * and --log-level are in opts. Returns RP_EXIT_OK, or RP_EXIT_USAGE after
 * printing what is wrong. Also applies the log level and the password-hash
 * cost. */
int rp_cli_config(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                  rp_config_t *cfg);

/* The database a command works on: the embedded cluster or the URL, with
 * an owner connection that is migrated and ready. */
typedef struct rp_cli_session {
    struct rp_embedded *emb; /* NULL with RAPPORT_DATABASE_URL */
    rp_db_t *db;             /* the owner role's connection */
    char *app_conninfo;      /* how the serving role connects */
    char *app_set_role;      /* SET ROLE for it, or NULL */
    char where[512];         /* for humans, without any password */
    int migrations_applied;
} rp_cli_session_t;

/* Acquires the database (exclusively for serve), connects as the owner and
 * applies pending migrations. On failure s is closed and err says why. */
rp_status_t rp_cli_session_open(rp_cli_session_t *s, const rp_config_t *cfg, bool serve, char *err,
                                size_t errlen);

/* Closes the connection and releases (and possibly stops) the cluster. */
void rp_cli_session_close(rp_cli_session_t *s);

/* Reads a password: one line from standard input, or, with from_stdin
 * false, twice at the terminal with echo off. */
rp_status_t rp_cli_read_password(bool from_stdin, char *out, size_t outlen, char *err,
                                 size_t errlen);

/* The subcommands return the exit code; argv starts after the subcommand's
 * own name. */

/* `rapport serve`: migrate, then serve HTTP until SIGTERM or SIGINT. */
int rp_cli_serve(const rp_cli_globals_t *g, int argc, char **argv);

/* `rapport migrate`: apply pending migrations and say how many. */
int rp_cli_migrate(const rp_cli_globals_t *g, int argc, char **argv);

/* `rapport tenant create|list|suspend|resume`. */
int rp_cli_tenant(const rp_cli_globals_t *g, int argc, char **argv);

/* `rapport user add|passwd|list`. */
int rp_cli_user(const rp_cli_globals_t *g, int argc, char **argv);

/* `rapport module list|enable|disable|new` (cmd_module.c). */
int rp_cli_module(const rp_cli_globals_t *g, int argc, char **argv);

/* The options every database command accepts, for option tables. */
#define RP_CLI_DB_OPTS                                                                             \
    {"--data-dir", true, NULL},                                                                    \
    {                                                                                              \
        "--database-url", true, NULL                                                               \
    }

/* Help lines describing RP_CLI_DB_OPTS. */
extern const char rp_cli_db_opts_help[];

#endif
