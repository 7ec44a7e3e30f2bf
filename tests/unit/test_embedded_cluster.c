/* The embedded cluster's life cycle and its lock, in a temporary data
 * directory. Each rp_embedded_acquire opens the lock file anew, so one
 * process can play a serve and a command at once. Skipped when the
 * PostgreSQL server programs are not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "db/embedded.h"

static char dir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static bool pg_installed(void)
{
    if (getenv("RAPPORT_PG_BINDIR"))
        return true;
    char p[64];
    for (int v = 30; v >= 9; v--) {
        snprintf(p, sizeof p, "/usr/lib/postgresql/%d/bin/initdb", v);
        if (access(p, X_OK) == 0)
            return true;
    }
    return false;
}

static bool running(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/pg/postmaster.pid", dir);
    return access(p, F_OK) == 0;
}

static void lock_text(char *out, size_t outlen)
{
    char p[128];
    snprintf(p, sizeof p, "%s/rapport.lock", dir);
    FILE *f = fopen(p, "r");
    out[0] = '\0';
    if (f) {
        if (fgets(out, (int)outlen, f) == NULL)
            out[0] = '\0';
        fclose(f);
    }
}

static bool can_query(const char *conninfo)
{
    rp_db_t *db = NULL;
    bool ok = rp_db_open(&db, conninfo, NULL) == RP_OK &&
              rp_db_exec(db, "SELECT 1", 0, NULL, NULL) == RP_OK;
    rp_db_close(db);
    return ok;
}

static void serve_then_commands_then_restart(void **state)
{
    if (!pg_installed())
        skip();
    char err[1024];
    rp_embedded_t *serve = NULL, *second = NULL, *cmd = NULL;

    /* First run: creates the cluster and keeps it up. */
    assert_int_equal(rp_embedded_acquire(dir, RP_EMBEDDED_SERVE, &serve, err, sizeof err), RP_OK);
    assert_false(rp_embedded_borrowed(serve));
    assert_true(running());
    char text[64];
    lock_text(text, sizeof text);
    char expect[64];
    snprintf(expect, sizeof expect, "serve %ld\n", (long)getpid());
    assert_string_equal(text, expect);
    assert_true(can_query(rp_embedded_owner_conninfo(serve)));
    assert_true(can_query(rp_embedded_app_conninfo(serve)));
    assert_non_null(strstr(rp_embedded_app_conninfo(serve), "user='rapport_app'"));
    struct stat st;
    char sock[200];
    snprintf(sock, sizeof sock, "%s/.s.PGSQL.5432", rp_embedded_cluster_dir(serve));
    assert_int_equal(stat(sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));

    /* A second serve is refused, naming the first. */
    assert_int_equal(rp_embedded_acquire(dir, RP_EMBEDDED_SERVE, &second, err, sizeof err),
                     RP_EBUSY);
    assert_null(second);
    snprintf(expect, sizeof expect, "another rapport serve (pid %ld) is already running",
             (long)getpid());
    assert_non_null(strstr(err, expect));

    /* A command borrows the serve's cluster and leaves it running. */
    assert_int_equal(rp_embedded_acquire(dir, RP_EMBEDDED_COMMAND, &cmd, err, sizeof err), RP_OK);
    assert_true(rp_embedded_borrowed(cmd));
    assert_true(can_query(rp_embedded_owner_conninfo(cmd)));
    rp_embedded_release(cmd);
    assert_true(running());

    /* The serve stops the cluster when it ends. */
    rp_embedded_release(serve);
    assert_false(running());

    /* With no serve, a command runs the cluster for its own duration. */
    assert_int_equal(rp_embedded_acquire(dir, RP_EMBEDDED_COMMAND, &cmd, err, sizeof err), RP_OK);
    assert_false(rp_embedded_borrowed(cmd));
    assert_true(running());
    lock_text(text, sizeof text);
    snprintf(expect, sizeof expect, "command %ld\n", (long)getpid());
    assert_string_equal(text, expect);
    assert_true(can_query(rp_embedded_owner_conninfo(cmd)));
    rp_embedded_release(cmd);
    assert_false(running());
}

/* A child takes the data dir and dies without cleaning up, as a crashed
 * serve would; with kill_postmaster the database dies too (kill -9). */
static void crash_holder(bool kill_postmaster)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[1024];
        rp_embedded_t *e = NULL;
        if (rp_embedded_acquire(dir, RP_EMBEDDED_SERVE, &e, err, sizeof err) != RP_OK)
            _exit(1);
        if (kill_postmaster) {
            char path[128];
            snprintf(path, sizeof path, "%s/pg/postmaster.pid", dir);
            FILE *f = fopen(path, "r");
            long pm = 0;
            if (f == NULL || fscanf(f, "%ld", &pm) != 1 || kill((pid_t)pm, SIGKILL) != 0)
                _exit(1);
            fclose(f);
        }
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void a_crashed_serve_leaves_a_cluster_the_next_start_recovers(void **state)
{
    if (!pg_installed())
        skip();
    char err[1024];
    rp_embedded_t *e = NULL;

    crash_holder(false);
    assert_true(running());
    /* The cluster still runs: it is adopted, used, and stopped by its new
     * holder. */
    assert_int_equal(rp_embedded_acquire(dir, RP_EMBEDDED_COMMAND, &e, err, sizeof err), RP_OK);
    assert_false(rp_embedded_borrowed(e));
    assert_true(can_query(rp_embedded_owner_conninfo(e)));
    rp_embedded_release(e);
    assert_false(running());

    crash_holder(true);
    /* Postmaster gone, postmaster.pid left behind: started afresh. */
    assert_true(running());
    assert_int_equal(rp_embedded_acquire(dir, RP_EMBEDDED_SERVE, &e, err, sizeof err), RP_OK);
    assert_true(can_query(rp_embedded_app_conninfo(e)));
    rp_embedded_release(e);
    assert_false(running());
}

static void a_socket_path_too_long_is_refused_clearly(void **state)
{
    if (!pg_installed())
        skip();
    char deep[256];
    int n = snprintf(deep, sizeof deep, "%s/", dir);
    memset(deep + n, 'd', 100);
    deep[n + 100] = '\0';
    char err[1024];
    rp_embedded_t *e = NULL;
    assert_int_equal(rp_embedded_acquire(deep, RP_EMBEDDED_COMMAND, &e, err, sizeof err),
                     RP_EINVAL);
    assert_null(e);
    assert_non_null(strstr(err, "too long for a unix socket path"));
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/rapport-embtest-XXXXXX");
    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serve_then_commands_then_restart),
        cmocka_unit_test(a_crashed_serve_leaves_a_cluster_the_next_start_recovers),
        cmocka_unit_test(a_socket_path_too_long_is_refused_clearly),
    };
    return cmocka_run_group_tests_name("embedded_cluster", tests, setup, teardown);
}
