#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/leakproof.h"
#include "internal.h"
#include "it.h"

static bool is_dir_with(const char *dir, const char *prog)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, prog);
    return access(path, X_OK) == 0;
}

/* pg_config --bindir names the server's programs on Debian; the versioned
 * directory is the fallback when pg_config belongs to a client-only libpq. */
static void find_bindir(void)
{
    if (rp_it_g.bindir[0])
        return;
    FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
    if (p != NULL) {
        char line[PATH_MAX] = "";
        if (fgets(line, sizeof line, p) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (is_dir_with(line, "initdb") && is_dir_with(line, "postgres"))
                snprintf(rp_it_g.bindir, sizeof rp_it_g.bindir, "%s", line);
        }
        pclose(p);
    }
    const char *fallback[] = {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
                              "/usr/lib/postgresql/17/bin"};
    for (size_t i = 0; !rp_it_g.bindir[0] && i < sizeof fallback / sizeof fallback[0]; i++)
        if (is_dir_with(fallback[i], "initdb") && is_dir_with(fallback[i], "postgres"))
            snprintf(rp_it_g.bindir, sizeof rp_it_g.bindir, "%s", fallback[i]);
    if (!rp_it_g.bindir[0])
        RP_IT_FAIL("PostgreSQL's initdb was not found (pg_config --bindir, /usr/lib/postgresql/*/"
                   "bin): run deploy/install-deps.sh");
}

static void own_for_postgres(const char *path)
{
    if (geteuid() != 0)
        return;
    struct passwd *pw = getpwnam("postgres");
    if (pw == NULL)
        RP_IT_FAIL("running as root but there is no 'postgres' user to run PostgreSQL as");
    if (chown(path, pw->pw_uid, pw->pw_gid) != 0)
        RP_IT_FAIL("chown %s: %s", path, strerror(errno));
}

const char *rp_it_pg_sockdir(void)
{
    return rp_it_g.sockdir;
}

const char *rp_it_pg_conninfo(const char *user)
{
    return rp_it_fmt("host=%s dbname=rapport user=%s", rp_it_g.sockdir, user);
}

bool rp_it_pg_running(void)
{
    return rp_it_g.pg_pid > 0;
}

static void initdb(void)
{
    if (mkdir(rp_it_g.pgdata, 0700) != 0 || mkdir(rp_it_g.sockdir, 0755) != 0)
        RP_IT_FAIL("mkdir under %s: %s", rp_it_g.dir, strerror(errno));
    own_for_postgres(rp_it_g.pgdata);
    own_for_postgres(rp_it_g.sockdir);
    char prog[PATH_MAX + 16], log[PATH_MAX + 16];
    snprintf(prog, sizeof prog, "%s/initdb", rp_it_g.bindir);
    snprintf(log, sizeof log, "%s/initdb.log", rp_it_g.dir);
    const char *argv[] = {prog,    "-D", rp_it_g.pgdata, "-U",         "postgres",  "-A",
                          "trust", "-E", "UTF8",         "--locale=C", "--no-sync", NULL};
    /* The test's own directory may be one the postgres user cannot enter
     * (a clone under /root). */
    rp_it_spawn_t s = {.argv = argv, .as_postgres = true, .out_path = log, .cwd = rp_it_g.dir};
    int rc = rp_it_run(&s, 180);
    if (rc != 0) {
        rp_it_print_tail("initdb log", log, 40);
        RP_IT_FAIL("initdb exited with %d", rc);
    }
}

static void spawn_postmaster(void)
{
    char prog[PATH_MAX + 16];
    snprintf(prog, sizeof prog, "%s/postgres", rp_it_g.bindir);
    /* Durability is worthless in a cluster that lives for one test program. */
    const char *argv[] = {prog,
                          "-D",
                          rp_it_g.pgdata,
                          "-k",
                          rp_it_g.sockdir,
                          "-c",
                          "listen_addresses=",
                          "-c",
                          "fsync=off",
                          "-c",
                          "synchronous_commit=off",
                          "-c",
                          "full_page_writes=off",
                          "-c",
                          "max_connections=50",
                          "-c",
                          "shared_buffers=32MB",
                          "-c",
                          "log_line_prefix=%m [%p] %u@%d ",
                          NULL};
    /* Started directly, not through pg_ctl, so the postmaster is our child:
     * its PID is known and the kernel stops it if this program dies. */
    rp_it_spawn_t s = {.argv = argv,
                       .as_postgres = true,
                       .out_path = rp_it_g.pg_log,
                       .death_signal = SIGQUIT,
                       .cwd = rp_it_g.dir};
    pid_t pid = rp_it_spawn(&s);
    if (pid < 0)
        RP_IT_FAIL("cannot start %s: %s", prog, strerror(errno));
    rp_it_g.pg_pid = pid;

    char conninfo[PATH_MAX + 64];
    snprintf(conninfo, sizeof conninfo, "host=%s dbname=postgres user=postgres connect_timeout=2",
             rp_it_g.sockdir);
    double deadline = rp_it_now() + 60;
    while (PQping(conninfo) != PQPING_OK) {
        int rc = rp_it_wait(pid, 0);
        if (rc != -2) {
            rp_it_g.pg_pid = 0;
            RP_IT_FAIL("PostgreSQL exited with %d while starting", rc);
        }
        if (rp_it_now() > deadline) {
            RP_IT_FAIL("PostgreSQL did not accept connections within 60 s");
        }
        rp_it_sleep_ms(50);
    }
}

static void superuser_exec(const char *dbname, const char *sql)
{
    char conninfo[PATH_MAX + 64];
    snprintf(conninfo, sizeof conninfo, "host=%s dbname=%s user=postgres", rp_it_g.sockdir, dbname);
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQfinish(c);
        RP_IT_FAIL("connecting as postgres: %s", msg);
    }
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        RP_IT_FAIL("%s: %s", sql, msg);
    }
    PQclear(r);
    PQfinish(c);
}

void rp_it_pg_start(void)
{
    if (rp_it_g.pg_pid > 0)
        return;
    find_bindir();
    if (!rp_it_g.initialised)
        initdb();
    spawn_postmaster();
    if (!rp_it_g.initialised) {
        superuser_exec("postgres", "CREATE ROLE rapport LOGIN NOSUPERUSER NOBYPASSRLS");
        superuser_exec("postgres", "CREATE ROLE rapport_app LOGIN NOSUPERUSER NOBYPASSRLS");
        superuser_exec("postgres", "CREATE DATABASE rapport OWNER rapport");
        /* What the embedded cluster does at every start. */
        char conninfo[PATH_MAX + 64];
        snprintf(conninfo, sizeof conninfo, "host=%s dbname=rapport user=postgres",
                 rp_it_g.sockdir);
        rp_db_t *db = NULL;
        if (rp_db_open(&db, conninfo, NULL) != RP_OK || rp_db_leakproof_apply(db) != RP_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", db ? rp_db_error(db) : "out of memory");
            rp_db_close(db);
            RP_IT_FAIL("marking functions LEAKPROOF: %s", msg);
        }
        rp_db_close(db);
        rp_it_g.initialised = true;
    }
}

void rp_it_pg_stop(void)
{
    pid_t pid = rp_it_g.pg_pid;
    if (pid <= 0)
        return;
    /* SIGINT is PostgreSQL's fast shutdown: what `pg_ctl stop -m fast` sends. */
    kill(pid, SIGINT);
    int rc = rp_it_wait(pid, 60);
    if (rc == -2) {
        kill(pid, SIGQUIT);
        if (rp_it_wait(pid, 10) == -2) {
            kill(pid, SIGKILL);
            rp_it_wait(pid, 10);
        }
    }
    rp_it_g.pg_pid = 0;
}

PGconn *rp_it_pg_connect(const char *user)
{
    PGconn *c = PQconnectdb(rp_it_pg_conninfo(user));
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQfinish(c);
        RP_IT_FAIL("connecting as %s: %s", user, msg);
    }
    return c;
}

static void finish_conn(void *p)
{
    PQfinish(p);
}

static void clear_result(void *p)
{
    PQclear(p);
}

PGconn *rp_it_track_pgconn(PGconn *c)
{
    return rp_it_track(c, finish_conn);
}

PGresult *rp_it_track_pgresult(PGresult *r)
{
    return rp_it_track(r, clear_result);
}

const char *rp_it_sql(const char *sql, ...)
{
    const char *params[16];
    int n = 0;
    va_list ap;
    va_start(ap, sql);
    const char *p;
    while ((p = va_arg(ap, const char *)) != NULL && n < 16)
        params[n++] = p;
    va_end(ap);

    PGconn *c = rp_it_pg_connect("postgres");
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        RP_IT_FAIL("%s: %s", sql, msg);
    }
    char *out = NULL;
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        out = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return rp_it_track(out, free);
}
