#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef RAPPORT_VERSION
#define RAPPORT_VERSION "0.0.0"
#endif

static const char HELP[] =
    "Usage: rapport [--data-dir DIR] [--database-url URL] COMMAND [ARGS...]\n"
    "\n"
    "Rapport is a multi-tenant CRM server.\n"
    "\n"
    "Commands:\n"
    "  serve                              run the HTTP API until SIGTERM or SIGINT\n"
    "  migrate                            apply pending database migrations\n"
    "  tenant create SLUG --name NAME [--modules LIST]\n"
    "                                     create a tenant with its modules\n"
    "  tenant list                        list the tenants\n"
    "  tenant suspend SLUG                refuse a tenant's requests (403)\n"
    "  tenant resume SLUG                 serve a suspended tenant again\n"
    "  user add --tenant SLUG --email EMAIL --role ROLE [--password-stdin]\n"
    "                                     add a user (roles: admin, manager, user, readonly)\n"
    "  user passwd --tenant SLUG --email EMAIL [--password-stdin]\n"
    "                                     set a user's password\n"
    "  user list --tenant SLUG            list a tenant's users\n"
    "  module list|enable|disable|new     manage modules (see 'rapport module --help')\n"
    "  version                            print the version\n"
    "\n"
    "Options of every command that uses the database:\n"
    "%s"
    "\n"
    "Environment: RAPPORT_DATABASE_URL, RAPPORT_APP_DATABASE_URL, RAPPORT_DATA_DIR,\n"
    "RAPPORT_LISTEN, RAPPORT_WORKERS, RAPPORT_JWT_SECRET, RAPPORT_LOG_LEVEL,\n"
    "RAPPORT_MODULE_DIR, RAPPORT_DEFAULT_MODULES (see README.md).\n"
    "Without RAPPORT_DATABASE_URL, a private PostgreSQL cluster runs in DIR/pg: `serve`\n"
    "keeps it up while it runs; other commands use it, or start it for their own duration.\n"
    "\n"
    "Run 'rapport COMMAND --help' for the options of a command.\n"
    "Exit status: 0 success, 1 failure, 2 bad arguments.\n";

static void print_help(void)
{
    printf(HELP, rp_cli_db_opts_help);
}

static int version(int argc, char **argv)
{
    rp_cli_opt_t none[1] = {{"--none", false, NULL}};
    rp_cli_args_t a;
    char err[256];
    if (rp_cli_parse(argc, argv, none, 0, 0, &a, err, sizeof err) != RP_OK)
        return rp_cli_usage("version", "%s", err);
    if (a.help) {
        printf("Usage: rapport version\n\nPrints the version of rapport.\n");
        return RP_EXIT_OK;
    }
    printf("rapport %s\n", RAPPORT_VERSION);
    return RP_EXIT_OK;
}

/* Takes the options that may come before the command; returns the index of
 * the command word, or -1 after printing an error (*code set). */
static int globals(int argc, char **argv, rp_cli_globals_t *g, int *code)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
        const char *a = argv[i];
        const char **slot = NULL;
        size_t len = 0;
        if (strncmp(a, "--data-dir", 10) == 0 && (a[10] == '\0' || a[10] == '=')) {
            slot = &g->data_dir;
            len = 10;
        } else if (strncmp(a, "--database-url", 14) == 0 && (a[14] == '\0' || a[14] == '=')) {
            slot = &g->database_url;
            len = 14;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help();
            *code = RP_EXIT_OK;
            return -1;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("rapport %s\n", RAPPORT_VERSION);
            *code = RP_EXIT_OK;
            return -1;
        } else {
            *code = rp_cli_usage(NULL, "unknown option %.*s (run 'rapport --help')",
                                 (int)strcspn(a, "="), a);
            return -1;
        }
        if (a[len] == '=') {
            *slot = a + len + 1;
        } else if (i + 1 < argc) {
            *slot = argv[++i];
        } else {
            *code = rp_cli_usage(NULL, "%.*s needs a value", (int)len, a);
            return -1;
        }
        i++;
    }
    return i;
}

int rp_cli_main(int argc, char **argv)
{
    rp_cli_globals_t g = {0};
    int code = RP_EXIT_OK;
    int i = globals(argc, argv, &g, &code);
    if (i < 0)
        return code;
    if (i >= argc)
        return rp_cli_usage(NULL, "missing command (run 'rapport --help')");
    const char *cmd = argv[i];
    int rest = argc - i - 1;
    char **rargv = argv + i + 1;
    if (strcmp(cmd, "serve") == 0)
        return rp_cli_serve(&g, rest, rargv);
    if (strcmp(cmd, "migrate") == 0)
        return rp_cli_migrate(&g, rest, rargv);
    if (strcmp(cmd, "tenant") == 0)
        return rp_cli_tenant(&g, rest, rargv);
    if (strcmp(cmd, "user") == 0)
        return rp_cli_user(&g, rest, rargv);
    if (strcmp(cmd, "module") == 0)
        return rp_cli_module(&g, rest, rargv);
    if (strcmp(cmd, "version") == 0)
        return version(rest, rargv);
    if (strcmp(cmd, "help") == 0) {
        print_help();
        return RP_EXIT_OK;
    }
    return rp_cli_usage(NULL, "unknown command '%s' (run 'rapport --help')", cmd);
}
