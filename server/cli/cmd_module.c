#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_module.h"
#include "core/log.h"
#include "modules/modules.h"
#include "tenancy/tenant.h"

static const char HELP[] =
    "Usage: rapport module list [--tenant SLUG] [OPTIONS]\n"
    "       rapport module enable NAME --tenant SLUG [OPTIONS]\n"
    "       rapport module disable NAME --tenant SLUG [OPTIONS]\n"
    "       rapport module new NAME [--dir DIR]\n"
    "\n"
    "Lists the modules in RAPPORT_MODULE_DIR (with --tenant, whether that tenant has\n"
    "each enabled), enables or disables one for a tenant, or scaffolds a new module\n"
    "in DIR/NAME (DIR defaults to ./modules) that builds and loads as it is.\n"
    "A module whose dependencies the tenant has not enabled cannot be enabled, and a\n"
    "module that another enabled module depends on cannot be disabled.\n"
    "\n"
    "Options:\n"
    "  --tenant SLUG        the tenant\n"
    "  --dir DIR            (new) where to create the module folder\n"
    "%s";

/* Loads the modules as the server would; refusals go to the log (stderr). */
static void load_modules(void)
{
    rp_modules_load_dir(rp_modules_dir());
}

/* Opens the database and makes slug the transaction's tenant. */
static int open_tenant(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                       const char *slug, rp_config_t *cfg, rp_cli_session_t *s, rp_tenant_t *t)
{
    if (!rp_tenant_slug_valid(slug))
        return rp_cli_usage(cmd, "invalid --tenant '%s'", slug);
    int code = rp_cli_config(cmd, g, opts, nopts, cfg);
    if (code != RP_EXIT_OK)
        return code;
    char err[1024];
    if (rp_cli_session_open(s, cfg, false, err, sizeof err) != RP_OK) {
        rp_config_free(cfg);
        return rp_cli_fail(cmd, "%s", err);
    }
    load_modules();
    /* A module's tables must exist before a tenant can use it. */
    rp_status_t st = rp_modules_install(s->db);
    if (st == RP_OK)
        st = rp_db_begin(s->db, NULL);
    if (st == RP_OK)
        st = rp_tenant_use(s->db, slug, t);
    if (st == RP_OK)
        return RP_EXIT_OK;
    code = st == RP_ENOTFOUND ? rp_cli_fail(cmd, "no tenant '%s'", slug)
                              : rp_cli_fail(cmd, "%s", rp_db_error(s->db));
    rp_db_rollback(s->db);
    rp_cli_session_close(s);
    rp_config_free(cfg);
    return code;
}

static void close_tenant(rp_config_t *cfg, rp_cli_session_t *s)
{
    if (rp_db_in_tx(s->db))
        rp_db_rollback(s->db);
    rp_cli_session_close(s);
    rp_config_free(cfg);
}

static void print_table(const rp_modset_t *on)
{
    int wn = 4, wv = 7;
    for (int i = 0; i < rp_modules_count(); i++) {
        const rp_module_t *m = rp_modules_at(i);
        wn = (int)strlen(m->name) > wn ? (int)strlen(m->name) : wn;
        wv = (int)strlen(m->version) > wv ? (int)strlen(m->version) : wv;
    }
    if (on != NULL)
        printf("%-*s  %-*s  %-7s  %s\n", wn, "NAME", wv, "VERSION", "ENABLED", "DESCRIPTION");
    else
        printf("%-*s  %-*s  %s\n", wn, "NAME", wv, "VERSION", "DESCRIPTION");
    for (int i = 0; i < rp_modules_count(); i++) {
        const rp_module_t *m = rp_modules_at(i);
        if (on != NULL)
            printf("%-*s  %-*s  %-7s  %s\n", wn, m->name, wv, m->version,
                   rp_modset_has(on, m) ? "yes" : "no", m->description);
        else
            printf("%-*s  %-*s  %s\n", wn, m->name, wv, m->version, m->description);
    }
}

static int list(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts)
{
    const char *slug = rp_cli_value(opts, nopts, "--tenant");
    if (slug == NULL) {
        load_modules();
        print_table(NULL);
        rp_modules_unload_all();
        return RP_EXIT_OK;
    }
    rp_config_t cfg;
    rp_cli_session_t s;
    rp_tenant_t t;
    int code = open_tenant(cmd, g, opts, nopts, slug, &cfg, &s, &t);
    if (code != RP_EXIT_OK) {
        rp_modules_unload_all();
        return code;
    }
    rp_modset_t on;
    if (rp_modules_enabled(s.db, t.id, &on) == RP_OK)
        print_table(&on);
    else
        code = rp_cli_fail(cmd, "%s", rp_db_error(s.db));
    close_tenant(&cfg, &s);
    rp_modules_unload_all();
    return code;
}

static int toggle(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                  const rp_cli_args_t *a, bool enable)
{
    const char *slug = rp_cli_value(opts, nopts, "--tenant");
    if (a->npos < 1)
        return rp_cli_usage(cmd, "missing NAME");
    if (slug == NULL)
        return rp_cli_usage(cmd, "missing --tenant");
    const char *name = a->pos[0];
    rp_config_t cfg;
    rp_cli_session_t s;
    rp_tenant_t t;
    int code = open_tenant(cmd, g, opts, nopts, slug, &cfg, &s, &t);
    if (code != RP_EXIT_OK) {
        rp_modules_unload_all();
        return code;
    }
    /* The enable/disable logic wants a request context: this one has the
     * owner's connection, in a transaction scoped to the tenant. */
    rp_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.db = s.db;
    snprintf(ctx.principal.tenant_id, sizeof ctx.principal.tenant_id, "%s", t.id);
    char why[512];
    rp_status_t st = enable ? rp_modules_tenant_enable(&ctx, name, why, sizeof why)
                            : rp_modules_tenant_disable(&ctx, name, why, sizeof why);
    if (st == RP_OK)
        st = rp_db_commit(s.db);
    if (st == RP_OK)
        printf("module %s %s for tenant %s\n", name, enable ? "enabled" : "disabled", slug);
    else if (st == RP_ENOTFOUND)
        code = rp_cli_fail(cmd, "no module '%s' in %s", name, rp_modules_dir());
    else if (st == RP_ECONFLICT && enable)
        code = rp_cli_fail(cmd, "enable %s first: %s depends on it", why, name);
    else if (st == RP_ECONFLICT)
        code = rp_cli_fail(cmd, "disable %s first: it depends on %s", why, name);
    else
        code = rp_cli_fail(cmd, "%s", rp_db_error(s.db));
    rp_pool_clear(&ctx.pool);
    close_tenant(&cfg, &s);
    rp_modules_unload_all();
    return code;
}

int rp_cli_module(const rp_cli_globals_t *g, int argc, char **argv)
{
    if (argc < 1)
        return rp_cli_usage("module", "missing subcommand: list, enable, disable or new");
    const char *sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    bool is_list = strcmp(sub, "list") == 0, is_enable = strcmp(sub, "enable") == 0;
    bool is_disable = strcmp(sub, "disable") == 0, is_new = strcmp(sub, "new") == 0;
    if (!is_list && !is_enable && !is_disable && !is_new)
        return rp_cli_usage("module", "unknown subcommand '%s' (list, enable, disable, new)", sub);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "module %s", sub);
    rp_cli_opt_t opts[] = {RP_CLI_DB_OPTS, {"--tenant", true, NULL}, {"--dir", true, NULL}};
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    rp_cli_args_t a;
    char err[512];
    if (rp_cli_parse(argc - 1, argv + 1, opts, nopts, is_list ? 0 : 1, &a, err, sizeof err) !=
        RP_OK)
        return rp_cli_usage(cmd, "%s", err);
    if (a.help) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    if (is_new) {
        if (a.npos < 1)
            return rp_cli_usage(cmd, "missing NAME");
        const char *dir = rp_cli_value(opts, nopts, "--dir");
        return rp_cli_module_new(cmd, a.pos[0], dir ? dir : "modules");
    }
    if (is_list)
        return list(cmd, g, opts, nopts);
    return toggle(cmd, g, opts, nopts, &a, is_enable);
}
