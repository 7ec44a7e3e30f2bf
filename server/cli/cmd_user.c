#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "cli/cli.h"
#include "core/request.h"
#include "core/uuid.h"
#include "tenancy/tenant.h"

static const char HELP[] =
    "Usage: rapport user add --tenant SLUG --email EMAIL --role ROLE [--name NAME]\n"
    "                        [--password-stdin] [OPTIONS]\n"
    "       rapport user passwd --tenant SLUG --email EMAIL [--password-stdin] [OPTIONS]\n"
    "       rapport user list --tenant SLUG [OPTIONS]\n"
    "\n"
    "Manages a tenant's users. ROLE is admin, manager, user or readonly. E-mail\n"
    "addresses are unique within a tenant, ignoring case. The password is asked twice\n"
    "at the terminal, or read as one line from standard input with --password-stdin.\n"
    "Setting a password signs the user out of every session (refresh tokens revoked).\n"
    "\n"
    "Options:\n"
    "  --tenant SLUG        the tenant\n"
    "  --email EMAIL        the user's e-mail address (their login)\n"
    "  --role ROLE          (add) admin, manager, user or readonly\n"
    "  --name NAME          (add) the user's display name\n"
    "  --password-stdin     read the password from standard input\n"
    "%s";

enum { SUB_ADD, SUB_PASSWD, SUB_LIST };

typedef struct user_cmd {
    const char *cmd;
    const rp_cli_globals_t *g;
    rp_cli_opt_t *opts;
    int nopts;
    const char *tenant, *email, *role, *name;
    bool password_stdin;
} user_cmd_t;

/* Opens the database and a transaction scoped to the tenant. */
static int enter_tenant(user_cmd_t *u, rp_config_t *cfg, rp_cli_session_t *s, rp_tenant_t *t)
{
    char err[1024];
    if (rp_cli_session_open(s, cfg, false, err, sizeof err) != RP_OK)
        return rp_cli_fail(u->cmd, "%s", err);
    rp_status_t st = rp_db_begin(s->db, NULL);
    if (st == RP_OK)
        st = rp_tenant_use(s->db, u->tenant, t);
    if (st == RP_OK)
        return RP_EXIT_OK;
    int code = st == RP_ENOTFOUND ? rp_cli_fail(u->cmd, "no tenant '%s'", u->tenant)
                                  : rp_cli_fail(u->cmd, "%s", rp_db_error(s->db));
    rp_db_rollback(s->db);
    rp_cli_session_close(s);
    return code;
}

static int commit(user_cmd_t *u, rp_cli_session_t *s)
{
    if (rp_db_commit(s->db) != RP_OK)
        return rp_cli_fail(u->cmd, "%s", rp_db_error(s->db));
    return RP_EXIT_OK;
}

/* Reads, checks and hashes the new password before any database work, so
 * no transaction waits on a person typing. */
static int new_password_hash(user_cmd_t *u, const rp_config_t *cfg, char hash[RP_PASSWORD_HASH_MAX])
{
    char pw[1100], err[256];
    if (rp_cli_read_password(u->password_stdin, pw, sizeof pw, err, sizeof err) != RP_OK)
        return rp_cli_usage(u->cmd, "%s", err);
    int code = RP_EXIT_OK;
    if (rp_password_check_policy(pw, cfg->password_min_length, err, sizeof err) != RP_OK)
        code = rp_cli_usage(u->cmd, "password rejected: %s", err);
    else if (rp_password_hash(pw, hash) != RP_OK)
        code = rp_cli_fail(u->cmd, "could not hash the password");
    sodium_memzero(pw, sizeof pw);
    return code;
}

static int add(user_cmd_t *u, rp_config_t *cfg)
{
    char hash[RP_PASSWORD_HASH_MAX];
    int code = new_password_hash(u, cfg, hash);
    if (code != RP_EXIT_OK)
        return code;
    rp_cli_session_t s;
    rp_tenant_t t;
    if ((code = enter_tenant(u, cfg, &s, &t)) != RP_EXIT_OK)
        return code;
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *params[] = {t.id, id, u->email, u->name ? u->name : "", u->role, hash};
    rp_status_t st =
        rp_db_exec(s.db,
                   "INSERT INTO users (tenant_id, id, email, name, role, password_hash) "
                   "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6)",
                   6, params, NULL);
    if (st == RP_ECONFLICT)
        code = rp_cli_fail(u->cmd, "user already exists: %s in tenant %s", u->email, u->tenant);
    else if (st != RP_OK)
        code = rp_cli_fail(u->cmd, "%s", rp_db_error(s.db));
    else if ((code = commit(u, &s)) == RP_EXIT_OK)
        printf("added user %s (%s) to tenant %s (id %s)\n", u->email, u->role, u->tenant, id);
    rp_db_rollback(s.db);
    rp_cli_session_close(&s);
    sodium_memzero(hash, sizeof hash);
    return code;
}

static int passwd(user_cmd_t *u, rp_config_t *cfg)
{
    char hash[RP_PASSWORD_HASH_MAX];
    int code = new_password_hash(u, cfg, hash);
    if (code != RP_EXIT_OK)
        return code;
    rp_cli_session_t s;
    rp_tenant_t t;
    if ((code = enter_tenant(u, cfg, &s, &t)) != RP_EXIT_OK)
        return code;
    const char *params[] = {t.id, u->email, hash};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(s.db,
                                "UPDATE users SET password_hash = $3, updated_at = now() "
                                "WHERE tenant_id = $1::uuid AND lower(email) = lower($2) "
                                "RETURNING id",
                                3, params, &res);
    if (st == RP_OK && rp_dbres_rows(res) == 0) {
        code = rp_cli_fail(u->cmd, "no user %s in tenant %s", u->email, u->tenant);
    } else if (st == RP_OK) {
        /* A new password ends every session the old one opened. */
        const char *rparams[] = {t.id, rp_dbres_get(res, 0, 0)};
        st = rp_db_exec(s.db,
                        "UPDATE refresh_tokens SET revoked_at = now() "
                        "WHERE tenant_id = $1::uuid AND user_id = $2::uuid AND revoked_at IS NULL",
                        2, rparams, NULL);
    }
    if (st != RP_OK)
        code = rp_cli_fail(u->cmd, "%s", rp_db_error(s.db));
    else if (code == RP_EXIT_OK && (code = commit(u, &s)) == RP_EXIT_OK)
        printf("password set for %s in tenant %s\n", u->email, u->tenant);
    rp_dbres_free(res);
    rp_db_rollback(s.db);
    rp_cli_session_close(&s);
    sodium_memzero(hash, sizeof hash);
    return code;
}

static int width(int cur, const char *s)
{
    int n = (int)strlen(s);
    return n > cur ? n : cur;
}

static int list(user_cmd_t *u, rp_config_t *cfg)
{
    rp_cli_session_t s;
    rp_tenant_t t;
    int code = enter_tenant(u, cfg, &s, &t);
    if (code != RP_EXIT_OK)
        return code;
    const char *params[] = {t.id};
    rp_dbres_t *res = NULL;
    rp_status_t st =
        rp_db_exec(s.db,
                   "SELECT email, role, status, id, "
                   "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), name "
                   "FROM users WHERE tenant_id = $1::uuid ORDER BY lower(email)",
                   1, params, &res);
    if (st != RP_OK) {
        code = rp_cli_fail(u->cmd, "%s", rp_db_error(s.db));
    } else {
        int n = rp_dbres_rows(res), we = 5, wr = 4, ws = 6;
        for (int i = 0; i < n; i++) {
            we = width(we, rp_dbres_get(res, i, 0));
            wr = width(wr, rp_dbres_get(res, i, 1));
            ws = width(ws, rp_dbres_get(res, i, 2));
        }
        printf("%-*s  %-*s  %-*s  %-36s  %-20s  %s\n", we, "EMAIL", wr, "ROLE", ws, "STATUS", "ID",
               "CREATED", "NAME");
        for (int i = 0; i < n; i++)
            printf("%-*s  %-*s  %-*s  %-36s  %-20s  %s\n", we, rp_dbres_get(res, i, 0), wr,
                   rp_dbres_get(res, i, 1), ws, rp_dbres_get(res, i, 2), rp_dbres_get(res, i, 3),
                   rp_dbres_get(res, i, 4), rp_dbres_get(res, i, 5));
    }
    rp_dbres_free(res);
    rp_db_rollback(s.db);
    rp_cli_session_close(&s);
    return code;
}

/* Checks the arguments a subcommand needs, before anything is read or
 * opened. */
static int check_args(user_cmd_t *u, int sub)
{
    if (u->tenant == NULL)
        return rp_cli_usage(u->cmd, "missing --tenant");
    if (!rp_tenant_slug_valid(u->tenant))
        return rp_cli_usage(u->cmd, "invalid --tenant '%s': not a tenant slug", u->tenant);
    if (sub == SUB_LIST)
        return RP_EXIT_OK;
    if (u->email == NULL)
        return rp_cli_usage(u->cmd, "missing --email");
    if (!rp_cli_email_valid(u->email))
        return rp_cli_usage(u->cmd, "invalid --email '%s'", u->email);
    if (sub == SUB_PASSWD)
        return RP_EXIT_OK;
    if (u->role == NULL)
        return rp_cli_usage(u->cmd, "missing --role");
    if (rp_role_parse(u->role) == RP_ROLE_NONE)
        return rp_cli_usage(u->cmd, "invalid --role '%s': admin, manager, user or readonly",
                            u->role);
    if (u->name != NULL && *u->name != '\0' && !rp_tenant_name_valid(u->name))
        return rp_cli_usage(u->cmd, "invalid --name: at most %d characters, no control characters",
                            RP_TENANT_NAME_MAX);
    return RP_EXIT_OK;
}

int rp_cli_user(const rp_cli_globals_t *g, int argc, char **argv)
{
    if (argc < 1)
        return rp_cli_usage("user", "missing subcommand: add, passwd or list");
    const char *subname = argv[0];
    if (strcmp(subname, "--help") == 0 || strcmp(subname, "-h") == 0 ||
        strcmp(subname, "help") == 0) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    int sub;
    if (strcmp(subname, "add") == 0)
        sub = SUB_ADD;
    else if (strcmp(subname, "passwd") == 0)
        sub = SUB_PASSWD;
    else if (strcmp(subname, "list") == 0)
        sub = SUB_LIST;
    else
        return rp_cli_usage("user", "unknown subcommand '%s' (add, passwd, list)", subname);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "user %s", subname);
    /* Each subcommand accepts only its own options: a stray --role on
     * passwd is an error, not silently ignored. */
    rp_cli_opt_t opts[8] = {RP_CLI_DB_OPTS, {"--tenant", true, NULL}};
    int nopts = 3;
    if (sub != SUB_LIST) {
        opts[nopts++] = (rp_cli_opt_t){"--email", true, NULL};
        opts[nopts++] = (rp_cli_opt_t){"--password-stdin", false, NULL};
    }
    if (sub == SUB_ADD) {
        opts[nopts++] = (rp_cli_opt_t){"--role", true, NULL};
        opts[nopts++] = (rp_cli_opt_t){"--name", true, NULL};
    }
    rp_cli_args_t a;
    char err[512];
    if (rp_cli_parse(argc - 1, argv + 1, opts, nopts, 0, &a, err, sizeof err) != RP_OK)
        return rp_cli_usage(cmd, "%s", err);
    if (a.help) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    user_cmd_t u = {
        .cmd = cmd,
        .g = g,
        .opts = opts,
        .nopts = nopts,
        .tenant = rp_cli_value(opts, nopts, "--tenant"),
        .email = rp_cli_value(opts, nopts, "--email"),
        .role = rp_cli_value(opts, nopts, "--role"),
        .name = rp_cli_value(opts, nopts, "--name"),
        .password_stdin = rp_cli_value(opts, nopts, "--password-stdin") != NULL,
    };
    int code = check_args(&u, sub);
    if (code != RP_EXIT_OK)
        return code;
    rp_config_t cfg;
    if ((code = rp_cli_config(cmd, g, opts, nopts, &cfg)) != RP_EXIT_OK)
        return code;
    if (sub == SUB_ADD)
        code = add(&u, &cfg);
    else if (sub == SUB_PASSWD)
        code = passwd(&u, &cfg);
    else
        code = list(&u, &cfg);
    rp_config_free(&cfg);
    return code;
}
