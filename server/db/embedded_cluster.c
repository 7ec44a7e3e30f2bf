#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/embedded_internal.h"
#include "db/leakproof.h"
#include "db/db.h"
#include "db/util.h"

/* Runs pg_ctl ACTION -D <cluster> followed by up to six more arguments
 * (NULL-terminated). */
int rp_embedded_pg_ctl(rp_embedded_t *e, const char *action, const char *const *extra)
{
    char prog[PATH_MAX];
    rp_embedded_path(prog, sizeof prog, e->bindir, "pg_ctl");
    char *argv[11] = {prog, (char *)action, "-D", e->cluster};
    int n = 4;
    for (int i = 0; extra && extra[i] && n < 10; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    return rp_pg_run(&e->user, argv, e->setup_log);
}

static void last_log_line(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0')
            snprintf(out, outlen, "%.*s", (int)(outlen - 1), line);
    }
    fclose(f);
}

rp_status_t rp_embedded_initdb(rp_embedded_t *e, char *err, size_t errlen)
{
    fprintf(stderr, "rapport: creating the embedded PostgreSQL cluster in %s\n", e->cluster);
    char prog[PATH_MAX];
    rp_embedded_path(prog, sizeof prog, e->bindir, "initdb");
    const char *locales[] = {"--locale=C.UTF-8", "--locale=C"};
    int rc = -1;
    for (int i = 0; i < 2 && rc != 0; i++) {
        char *argv[] = {prog, "-D",   e->cluster,         "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", (char *)locales[i], NULL};
        rc = rp_pg_run(&e->user, argv, e->setup_log);
    }
    if (rc != 0) {
        char last[256];
        last_log_line(e->setup_log, last, sizeof last);
        snprintf(err, errlen, "initdb failed in %s (%s; see %s)", e->cluster, last, e->setup_log);
        return RP_ERR;
    }
    char conf[PATH_MAX];
    rp_embedded_path(conf, sizeof conf, e->cluster, "postgresql.conf");
    FILE *f = fopen(conf, "a");
    if (f == NULL || fputs("\n# Rapport's settings (socket directory, no TCP), rewritten at every "
                           "start.\ninclude_if_exists = 'rapport.conf'\n",
                           f) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", conf, strerror(errno));
        if (f)
            fclose(f);
        return RP_EIO;
    }
    fclose(f);
    return RP_OK;
}

rp_status_t rp_embedded_conninfo(rp_buf_t *b, const char *dir, const char *db, const char *user)
{
    rp_buf_reset(b);
    if (rp_db_conninfo_add(b, "host", dir) != RP_OK ||
        rp_db_conninfo_add(b, "port", "5432") != RP_OK ||
        rp_db_conninfo_add(b, "dbname", db) != RP_OK ||
        rp_db_conninfo_add(b, "user", user) != RP_OK)
        return RP_ENOMEM;
    return RP_OK;
}

static rp_status_t ping_conninfo(rp_embedded_t *e, rp_buf_t *ci)
{
    rp_status_t st = rp_embedded_conninfo(ci, e->cluster, "postgres", "postgres");
    if (st == RP_OK)
        st = rp_db_conninfo_add(ci, "connect_timeout", "2");
    return st;
}

bool rp_embedded_wait_ready(rp_embedded_t *e, int64_t wait_ms)
{
    rp_buf_t ci = {0};
    if (ping_conninfo(e, &ci) != RP_OK)
        return false;
    int64_t deadline = rp_embedded_now_ms() + wait_ms;
    bool ok = false;
    for (;;) {
        PGPing p = PQping(ci.data);
        if (p == PQPING_OK) {
            ok = true;
            break;
        }
        if (p == PQPING_NO_ATTEMPT || rp_embedded_now_ms() > deadline)
            break;
        rp_embedded_sleep_ms(100);
    }
    rp_buf_free(&ci);
    return ok;
}

/* Most pg_ctl start attempts: a postmaster killed moments ago may still
 * hold its pid (a zombie not yet reaped) and make the first ones fail. */
#define START_ATTEMPTS 5

rp_status_t rp_embedded_start(rp_embedded_t *e, char *err, size_t errlen)
{
    char log[PATH_MAX];
    rp_embedded_path(log, sizeof log, e->cluster, "postgresql.log");
    rp_buf_t ci = {0};
    if (ping_conninfo(e, &ci) != RP_OK) {
        snprintf(err, errlen, "out of memory");
        return RP_ENOMEM;
    }
    const char *args[] = {"-w", "-t", "120", "-l", log, NULL};
    int64_t deadline = rp_embedded_now_ms() + RP_EMBEDDED_READY_WAIT_MS, next_check = 0;
    int starts = 0; /* 0 at the end: it was already running, we adopted it */
    rp_status_t st = RP_OK;
    /* Whatever a crash left (a running cluster, one in recovery, a stale
     * postmaster.pid), this loop ends with a cluster that answers: adopt
     * what runs, start what does not, wait for what is starting. */
    for (;;) {
        if (PQping(ci.data) == PQPING_OK)
            break;
        int64_t now = rp_embedded_now_ms();
        if (now >= next_check) {
            next_check = now + 1000;
            if (rp_embedded_pg_ctl(e, "status", NULL) == 0) {
                /* running, recovering, or a dead postmaster not yet reaped */
            } else if (starts >= START_ATTEMPTS) {
                char last[256];
                last_log_line(log, last, sizeof last);
                snprintf(err, errlen, "PostgreSQL did not start in %s (%s; see %s)", e->cluster,
                         last[0] ? last : "no log", log);
                st = RP_ERR;
                break;
            } else {
                if (starts > 0)
                    rp_embedded_sleep_ms(1000);
                starts++;
                /* pg_ctl start copes with a postmaster.pid left by a crash. */
                rp_embedded_pg_ctl(e, "start", args);
                next_check = 0;
                continue;
            }
        }
        if (now > deadline) {
            snprintf(err, errlen, "PostgreSQL in %s does not answer (see %s)", e->cluster, log);
            st = RP_EDB_UNAVAILABLE;
            break;
        }
        rp_embedded_sleep_ms(100);
    }
    if (st == RP_OK && starts == 0)
        fprintf(stderr, "rapport: adopting the PostgreSQL cluster already running in %s\n",
                e->cluster);
    rp_buf_free(&ci);
    return st;
}

/* The roles are re-asserted at every start: whatever was changed by hand,
 * the serving role must never bypass row-level security. */
static const char BOOTSTRAP_ROLES[] =
    "DO $$ BEGIN"
    "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rapport') THEN"
    "    CREATE ROLE rapport LOGIN;"
    "  END IF;"
    "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rapport_app') THEN"
    "    CREATE ROLE rapport_app LOGIN;"
    "  END IF;"
    "END $$;"
    "ALTER ROLE rapport LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"
    "ALTER ROLE rapport_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";

rp_status_t rp_embedded_bootstrap(rp_embedded_t *e, char *err, size_t errlen)
{
    rp_buf_t ci = {0};
    rp_db_t *db = NULL;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_embedded_conninfo(&ci, e->cluster, "postgres", "postgres");
    if (st != RP_OK)
        goto fail;
    st = rp_db_open(&db, ci.data, NULL);
    if (st != RP_OK)
        goto fail;
    if ((st = rp_db_script(db, BOOTSTRAP_ROLES)) != RP_OK)
        goto fail;
    st = rp_db_exec(db, "SELECT 1 FROM pg_database WHERE datname = 'rapport'", 0, NULL, &res);
    if (st != RP_OK)
        goto fail;
    if (rp_dbres_rows(res) == 0 &&
        (st = rp_db_script(db, "CREATE DATABASE rapport OWNER rapport ENCODING 'UTF8'")) != RP_OK)
        goto fail;
    rp_dbres_free(res);
    res = NULL;
    rp_db_close(db);
    db = NULL;
    /* The LEAKPROOF marks live in the rapport database's catalog. */
    rp_buf_free(&ci);
    if ((st = rp_embedded_conninfo(&ci, e->cluster, "rapport", "postgres")) != RP_OK)
        goto fail;
    if ((st = rp_db_open(&db, ci.data, NULL)) != RP_OK)
        goto fail;
    if ((st = rp_db_leakproof_apply(db)) != RP_OK)
        goto fail;
    rp_db_close(db);
    rp_buf_free(&ci);
    return RP_OK;
fail:
    snprintf(err, errlen, "preparing the embedded database: %s",
             db ? rp_db_error(db) : "out of memory");
    rp_dbres_free(res);
    rp_db_close(db);
    rp_buf_free(&ci);
    return st == RP_OK ? RP_ERR : st;
}
