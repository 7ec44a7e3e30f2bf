#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "modules/modules.h"
#include "tenancy/tenant.h"

static const char HELP[] =
    "Usage: rapport tenant create SLUG --name NAME [OPTIONS]\n"
    "       rapport tenant list [OPTIONS]\n"
    "       rapport tenant suspend SLUG [OPTIONS]\n"
    "       rapport tenant resume SLUG [OPTIONS]\n"
    "\n"
    "Manages the tenants. A SLUG has 2 to 63 characters a-z, 0-9 and '-', and starts\n"
    "and ends with a letter or a digit. A suspended tenant's requests get 403 until it\n"
    "is resumed; nothing of it is deleted.\n"
    "\n"
    "A new tenant has the modules RAPPORT_DEFAULT_MODULES names enabled (a\n"
    "comma-separated list, default \"sales\"; empty for none), or those --modules\n"
    "names. A listed module that is not loaded from RAPPORT_MODULE_DIR is skipped\n"
    "with a warning.\n"
    "\n"
    "Options:\n"
    "  --name NAME          (create) the display name, 1 to 200 characters\n"
    "  --modules LIST       (create) the modules to enable, e.g. \"sales,example\";\n"
    "                       '' for none (default: RAPPORT_DEFAULT_MODULES)\n"
    "%s";

static const char SLUG_RULE[] =
    "2 to 63 characters a-z, 0-9 and '-', starting and ending with a letter or digit";

static int open_session(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                        rp_config_t *cfg, rp_cli_session_t *s)
{
    int code = rp_cli_config(cmd, g, opts, nopts, cfg);
    if (code != RP_EXIT_OK)
        return code;
    char err[1024];
    if (rp_cli_session_open(s, cfg, false, err, sizeof err) != RP_OK) {
        rp_config_free(cfg);
        return rp_cli_fail(cmd, "%s", err);
    }
    return RP_EXIT_OK;
}

static void close_session(rp_config_t *cfg, rp_cli_session_t *s)
{
    rp_cli_session_close(s);
    rp_config_free(cfg);
}

static void warn_skipped(const char *name, const char *why, void *arg)
{
    fprintf(stderr, "rapport: %s: warning: module '%s' %s; not enabled\n", (const char *)arg, name,
            why);
}

/* The names of the modules tenant_id has enabled, "a, b", or "none". */
static void enabled_names(rp_db_t *db, const char *tenant_id, char *out, size_t len)
{
    rp_modset_t on;
    snprintf(out, len, "none");
    if (rp_modules_enabled(db, tenant_id, &on) != RP_OK || on.bits == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < rp_modules_count(); i++) {
        const rp_module_t *m = rp_modules_at(i);
        size_t used = strlen(out);
        if (rp_modset_has(&on, m))
            snprintf(out + used, len - used, "%s%s", used ? ", " : "", m->name);
    }
}

/* Creates the tenant and enables its modules in one transaction: a tenant
 * never exists without the modules it was created with. */
static rp_status_t create_with_modules(const char *cmd, rp_db_t *db, const char *slug,
                                       const char *name, const char *modules, char *id,
                                       char *enabled, size_t enabled_len)
{
    rp_status_t st = rp_db_begin(db, NULL);
    if (st != RP_OK)
        return st;
    if ((st = rp_tenant_create(db, slug, name, id)) != RP_OK)
        goto fail;
    /* Loaded only now, so that a refused create says one thing. The
     * modules' tables are the server's business: it installs every module
     * it loads before serving. */
    if (strspn(modules, " ,\t") != strlen(modules))
        rp_modules_load_dir(rp_modules_dir());
    rp_tenant_t t;
    if ((st = rp_tenant_use(db, slug, &t)) != RP_OK)
        goto fail;
    /* The enable logic wants a request context: this one has the owner's
     * connection, in a transaction scoped to the new tenant. */
    rp_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.db = db;
    snprintf(ctx.principal.tenant_id, sizeof ctx.principal.tenant_id, "%s", t.id);
    st = rp_modules_tenant_enable_list(&ctx, modules, warn_skipped, (void *)cmd, NULL);
    if (st == RP_OK)
        enabled_names(db, t.id, enabled, enabled_len);
    rp_pool_clear(&ctx.pool);
    if (st == RP_OK && (st = rp_db_commit(db)) == RP_OK)
        return RP_OK;
fail:
    if (rp_db_in_tx(db))
        rp_db_rollback(db);
    return st;
}

static int create(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                  const rp_cli_args_t *a)
{
    const char *name = rp_cli_value(opts, nopts, "--name");
    if (a->npos < 1)
        return rp_cli_usage(cmd, "missing SLUG");
    if (!rp_tenant_slug_valid(a->pos[0]))
        return rp_cli_usage(cmd, "invalid SLUG '%s': %s", a->pos[0], SLUG_RULE);
    if (name == NULL)
        return rp_cli_usage(cmd, "missing --name");
    if (!rp_tenant_name_valid(name))
        return rp_cli_usage(cmd, "invalid --name: 1 to %d characters, no control characters",
                            RP_TENANT_NAME_MAX);
    rp_config_t cfg;
    rp_cli_session_t s;
    int code = open_session(cmd, g, opts, nopts, &cfg, &s);
    if (code != RP_EXIT_OK)
        return code;
    const char *modules = rp_cli_value(opts, nopts, "--modules");
    if (modules == NULL)
        modules = cfg.default_modules ? cfg.default_modules : "";
    char id[RP_UUID_LEN + 1], enabled[512] = "none";
    rp_status_t st =
        create_with_modules(cmd, s.db, a->pos[0], name, modules, id, enabled, sizeof enabled);
    if (st == RP_OK)
        printf("created tenant %s (id %s), modules enabled: %s\n", a->pos[0], id, enabled);
    else if (st == RP_ECONFLICT)
        code = rp_cli_fail(cmd, "tenant '%s' already exists", a->pos[0]);
    else
        code = rp_cli_fail(cmd, "%s", rp_db_error(s.db));
    rp_modules_unload_all();
    close_session(&cfg, &s);
    return code;
}

static int width(int cur, const char *s)
{
    int n = (int)strlen(s);
    return n > cur ? n : cur;
}

static int list(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts)
{
    rp_config_t cfg;
    rp_cli_session_t s;
    int code = open_session(cmd, g, opts, nopts, &cfg, &s);
    if (code != RP_EXIT_OK)
        return code;
    rp_tenant_t *t = NULL;
    int n = 0;
    rp_status_t st = rp_tenant_list(s.db, &t, &n);
    if (st != RP_OK) {
        code = rp_cli_fail(cmd, "%s", rp_db_error(s.db));
    } else {
        int ws = 4, wn = 4, wst = 6;
        for (int i = 0; i < n; i++) {
            ws = width(ws, t[i].slug);
            wn = width(wn, t[i].name);
            wst = width(wst, t[i].status);
        }
        printf("%-*s  %-*s  %-*s  %-36s  %s\n", ws, "SLUG", wn, "NAME", wst, "STATUS", "ID",
               "CREATED");
        for (int i = 0; i < n; i++)
            printf("%-*s  %-*s  %-*s  %-36s  %s\n", ws, t[i].slug, wn, t[i].name, wst, t[i].status,
                   t[i].id, t[i].created_at);
    }
    free(t);
    close_session(&cfg, &s);
    return code;
}

static int set_status(const char *cmd, const rp_cli_globals_t *g, rp_cli_opt_t *opts, int nopts,
                      const rp_cli_args_t *a, const char *status)
{
    if (a->npos < 1)
        return rp_cli_usage(cmd, "missing SLUG");
    if (!rp_tenant_slug_valid(a->pos[0]))
        return rp_cli_usage(cmd, "invalid SLUG '%s': %s", a->pos[0], SLUG_RULE);
    rp_config_t cfg;
    rp_cli_session_t s;
    int code = open_session(cmd, g, opts, nopts, &cfg, &s);
    if (code != RP_EXIT_OK)
        return code;
    rp_status_t st = rp_tenant_set_status(s.db, a->pos[0], status);
    if (st == RP_OK)
        printf("tenant %s is %s\n", a->pos[0], status);
    else if (st == RP_ENOTFOUND)
        code = rp_cli_fail(cmd, "no tenant '%s'", a->pos[0]);
    else
        code = rp_cli_fail(cmd, "%s", rp_db_error(s.db));
    close_session(&cfg, &s);
    return code;
}

int rp_cli_tenant(const rp_cli_globals_t *g, int argc, char **argv)
{
    if (argc < 1)
        return rp_cli_usage("tenant", "missing subcommand: create, list, suspend or resume");
    const char *sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    bool is_create = strcmp(sub, "create") == 0, is_list = strcmp(sub, "list") == 0;
    bool is_suspend = strcmp(sub, "suspend") == 0, is_resume = strcmp(sub, "resume") == 0;
    if (!is_create && !is_list && !is_suspend && !is_resume)
        return rp_cli_usage("tenant", "unknown subcommand '%s' (create, list, suspend, resume)",
                            sub);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "tenant %s", sub);
    rp_cli_opt_t opts[] = {RP_CLI_DB_OPTS, {"--name", true, NULL}, {"--modules", true, NULL}};
    int nopts = (int)(sizeof opts / sizeof opts[0]) - (is_create ? 0 : 2);
    rp_cli_args_t a;
    char err[512];
    if (rp_cli_parse(argc - 1, argv + 1, opts, nopts, is_list ? 0 : 1, &a, err, sizeof err) !=
        RP_OK)
        return rp_cli_usage(cmd, "%s", err);
    if (a.help) {
        printf(HELP, rp_cli_db_opts_help);
        return RP_EXIT_OK;
    }
    if (is_create)
        return create(cmd, g, opts, nopts, &a);
    if (is_list)
        return list(cmd, g, opts, nopts);
    return set_status(cmd, g, opts, nopts, &a, is_suspend ? "suspended" : "active");
}
