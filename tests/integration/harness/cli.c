#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "it.h"

#define MAX_ARGS 40

static char *take_output(const char *path)
{
    char *text = rp_it_read_file(path, NULL);
    unlink(path);
    return text ? text : strdup("");
}

int rp_it_cli_input(const char *input, char **out, char **err, const char *arg, ...)
{
    const char *argv[MAX_ARGS + 2];
    int n = 0;
    argv[n++] = RAPPORT_BIN;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a != NULL; a = va_arg(ap, const char *)) {
        if (n > MAX_ARGS)
            RP_IT_FAIL("too many CLI arguments");
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;

    int run = ++rp_it_g.cli_runs;
    char in_path[PATH_MAX + 32], out_path[PATH_MAX + 32], err_path[PATH_MAX + 32];
    snprintf(in_path, sizeof in_path, "%s/cli.%d.in", rp_it_g.dir, run);
    snprintf(out_path, sizeof out_path, "%s/cli.%d.out", rp_it_g.dir, run);
    snprintf(err_path, sizeof err_path, "%s/cli.%d.err", rp_it_g.dir, run);
    if (input != NULL && rp_it_write_file(in_path, input) != 0)
        RP_IT_FAIL("cannot write %s: %s", in_path, strerror(errno));

    rp_it_spawn_t s = {.argv = argv,
                       .env = rp_it_rapport_env(),
                       .stdin_path = input ? in_path : NULL,
                       .out_path = out_path,
                       .err_path = err_path,
                       .death_signal = SIGKILL};
    int rc = rp_it_run(&s, 120);
    if (input != NULL)
        unlink(in_path);
    char *o = take_output(out_path), *e = take_output(err_path);
    if (rc == -1)
        print_error("rapport %s%s did not finish within 120 s\n", arg ? arg : "",
                    n > 2 ? " ..." : "");
    if (out)
        *out = rp_it_track(o, free);
    else
        free(o);
    if (err)
        *err = rp_it_track(e, free);
    else
        free(e);
    return rc;
}

void rp_it_tenant_create(const char *slug, const char *name)
{
    char *out = NULL, *err = NULL;
    int rc = rp_it_cli(&out, &err, "tenant", "create", slug, "--name", name, NULL);
    if (rc != 0)
        RP_IT_FAIL("rapport tenant create %s exited with %d\nstdout: %s\nstderr: %s", slug, rc, out,
                   err);
}

void rp_it_user_add(const char *tenant, const char *email, const char *role, const char *password)
{
    char *out = NULL, *err = NULL;
    const char *input = rp_it_fmt("%s\n", password);
    int rc = rp_it_cli_input(input, &out, &err, "user", "add", "--tenant", tenant, "--email", email,
                             "--role", role, "--password-stdin", NULL);
    if (rc != 0)
        RP_IT_FAIL("rapport user add %s/%s exited with %d\nstdout: %s\nstderr: %s", tenant, email,
                   rc, out, err);
}

const char *rp_it_tenant_id(const char *slug)
{
    const char *id = rp_it_sql("SELECT id FROM tenants WHERE slug = $1", slug, NULL);
    if (id == NULL)
        RP_IT_FAIL("no tenant '%s' in the database", slug);
    return id;
}

const char *rp_it_user_id(const char *slug, const char *email)
{
    const char *id = rp_it_sql("SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id "
                               "WHERE t.slug = $1 AND lower(u.email) = lower($2)",
                               slug, email, NULL);
    if (id == NULL)
        RP_IT_FAIL("no user '%s' in tenant '%s'", email, slug);
    return id;
}
