/* The database layer against a real PostgreSQL: a throwaway embedded
 * cluster in a temporary directory, removed at the end. Skipped when the
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/uuid.h"
#include "db/db.h"
#include "db/embedded.h"
#include "db/migrations.h"
#include "tenancy/tenant.h"

typedef struct fixture {
    char dir[64];
    rp_embedded_t *emb;
    rp_db_t *owner;
    rp_db_t *app;
    char a[RP_UUID_LEN + 1]; /* active tenant with one user */
    char b[RP_UUID_LEN + 1]; /* active tenant with one user */
    char s[RP_UUID_LEN + 1]; /* suspended tenant */
} fixture_t;

static fixture_t fx;
static bool skipped;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* One value from a statement run on db, copied (caller frees). */
static char *value(rp_db_t *db, const char *sql, int n, const char *const *params)
{
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(db, sql, n, params, &res);
    if (st != RP_OK)
        fail_msg("%s: %s", sql, rp_db_error(db));
    char *v = strdup(rp_dbres_rows(res) > 0 ? rp_dbres_get(res, 0, 0) : "");
    rp_dbres_free(res);
    return v;
}

static void add_user(const char *tenant_slug, const char *email)
{
    rp_tenant_t t;
    assert_int_equal(rp_db_begin(fx.owner, NULL), RP_OK);
    assert_int_equal(rp_tenant_use(fx.owner, tenant_slug, &t), RP_OK);
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *p[] = {t.id, id, email};
    assert_int_equal(rp_db_exec(fx.owner,
                                "INSERT INTO users (tenant_id, id, email, role) "
                                "VALUES ($1::uuid, $2::uuid, $3, 'user')",
                                3, p, NULL),
                     RP_OK);
    assert_int_equal(rp_db_commit(fx.owner), RP_OK);
}

static int setup(void **state)
{
    snprintf(fx.dir, sizeof fx.dir, "/tmp/rapport-dbtest-XXXXXX");
    if (mkdtemp(fx.dir) == NULL || chmod(fx.dir, 0755) != 0)
        return -1;
    char err[1024];
    rp_status_t st = rp_embedded_acquire(fx.dir, RP_EMBEDDED_COMMAND, &fx.emb, err, sizeof err);
    if (st == RP_ENOTFOUND) {
        fprintf(stderr, "skipping: %s\n", err);
        skipped = true;
        return 0;
    }
    if (st != RP_OK) {
        fprintf(stderr, "embedded cluster: %s\n", err);
        return -1;
    }
    if (rp_db_open(&fx.owner, rp_embedded_owner_conninfo(fx.emb), NULL) != RP_OK ||
        rp_migrate(fx.owner, NULL, err, sizeof err) != RP_OK ||
        rp_db_open(&fx.app, rp_embedded_app_conninfo(fx.emb), NULL) != RP_OK) {
        fprintf(stderr, "connect/migrate: %s %s\n", err, rp_db_error(fx.owner));
        return -1;
    }
    if (rp_tenant_create(fx.owner, "alpha", "Alpha", fx.a) != RP_OK ||
        rp_tenant_create(fx.owner, "bravo", "Bravo", fx.b) != RP_OK ||
        rp_tenant_create(fx.owner, "sleepy", "Sleepy", fx.s) != RP_OK ||
        rp_tenant_set_status(fx.owner, "sleepy", "suspended") != RP_OK)
        return -1;
    add_user("alpha", "ann@alpha.example");
    add_user("bravo", "bob@bravo.example");
    return 0;
}

static int teardown(void **state)
{
    rp_db_close(fx.app);
    rp_db_close(fx.owner);
    rp_embedded_release(fx.emb);
    nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

#define NEED_DB()                                                                                  \
    do {                                                                                           \
        if (skipped)                                                                               \
            skip();                                                                                \
    } while (0)

static void guard_sets_the_tenant_for_the_transaction(void **state)
{
    NEED_DB();
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    assert_true(rp_db_in_tx(fx.app));
    char *t = value(fx.app, "SELECT current_setting('rapport.tenant_id', true)", 0, NULL);
    assert_string_equal(t, fx.a);
    free(t);
    /* A query that forgets its tenant filter still sees only this tenant. */
    char *emails = value(fx.app, "SELECT string_agg(email, ',') FROM users", 0, NULL);
    assert_string_equal(emails, "ann@alpha.example");
    free(emails);
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
    assert_false(rp_db_in_tx(fx.app));
    /* The setting was local to the transaction. */
    char *after = value(fx.app, "SELECT current_setting('rapport.tenant_id', true)", 0, NULL);
    assert_string_equal(after, "");
    free(after);
}

static void no_tenant_sees_no_tenant_rows(void **state)
{
    NEED_DB();
    assert_int_equal(rp_db_begin(fx.app, NULL), RP_OK);
    char *n = value(fx.app, "SELECT count(*) FROM users", 0, NULL);
    assert_string_equal(n, "0");
    free(n);
    /* Global tables stay readable. */
    n = value(fx.app, "SELECT count(*) FROM tenants", 0, NULL);
    assert_string_equal(n, "3");
    free(n);
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
    /* And the serving role cannot write a row for another tenant. */
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *p[] = {fx.b, id};
    assert_int_equal(rp_db_exec(fx.app,
                                "INSERT INTO users (tenant_id, id, email, role) "
                                "VALUES ($1::uuid, $2::uuid, 'x@y.z', 'user')",
                                2, p, NULL),
                     RP_EDB);
    assert_string_equal(rp_db_sqlstate(fx.app), "42501");
    rp_db_rollback(fx.app);
}

static void read_is_one_implicit_transaction(void **state)
{
    NEED_DB();
    rp_dbres_t *res = NULL;
    assert_int_equal(rp_db_read(fx.app, fx.b,
                                "SELECT current_setting('rapport.tenant_id', true), "
                                "(SELECT string_agg(email, ',') FROM users)",
                                0, NULL, &res),
                     RP_OK);
    assert_int_equal(rp_dbres_rows(res), 1);
    assert_string_equal(rp_dbres_get(res, 0, 0), fx.b);
    assert_string_equal(rp_dbres_get(res, 0, 1), "bob@bravo.example");
    assert_int_equal(rp_dbres_col(res, "current_setting"), 0);
    rp_dbres_free(res);
    const char *p[] = {"ann@alpha.example"};
    assert_int_equal(
        rp_db_read(fx.app, NULL, "SELECT count(*) FROM users WHERE email = $1", 1, p, &res), RP_OK);
    assert_string_equal(rp_dbres_get(res, 0, 0), "0");
    rp_dbres_free(res);
    /* Not inside a transaction. */
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    assert_int_equal(rp_db_read(fx.app, fx.a, "SELECT 1", 0, NULL, NULL), RP_EINVAL);
    rp_db_rollback(fx.app);
}

static void inactive_tenants_are_refused_and_nothing_stays(void **state)
{
    NEED_DB();
    /* The first statement runs with the guard; its write must not survive. */
    assert_int_equal(rp_db_begin(fx.owner, fx.s), RP_OK);
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *p[] = {id};
    assert_int_equal(
        rp_db_exec(fx.owner, "INSERT INTO tenants (id, slug, name) VALUES ($1::uuid, 'ghost', 'G')",
                   1, p, NULL),
        RP_ETENANT);
    assert_int_equal(rp_db_exec(fx.owner, "SELECT 1", 0, NULL, NULL), RP_ETENANT);
    assert_int_equal(rp_db_commit(fx.owner), RP_ETENANT);
    assert_false(rp_db_in_tx(fx.owner));
    char *n = value(fx.owner, "SELECT count(*) FROM tenants WHERE slug = 'ghost'", 0, NULL);
    assert_string_equal(n, "0");
    free(n);

    assert_int_equal(rp_db_read(fx.app, fx.s, "SELECT 1", 0, NULL, NULL), RP_ETENANT);
    char unknown[RP_UUID_LEN + 1];
    rp_uuid_v7(unknown);
    assert_int_equal(rp_db_read(fx.app, unknown, "SELECT 1", 0, NULL, NULL), RP_ETENANT);
    assert_int_equal(rp_db_read(fx.app, "not-a-uuid", "SELECT 1", 0, NULL, NULL), RP_ETENANT);
    assert_int_equal(rp_db_begin(fx.app, "not-a-uuid"), RP_OK);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_ETENANT);
    rp_db_rollback(fx.app);
    /* A transaction in which nothing ran commits for free. */
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
    /* The connection is fine afterwards. */
    assert_int_equal(rp_db_read(fx.app, fx.a, "SELECT 1", 0, NULL, NULL), RP_OK);
}

static void expected_metadata_versions_are_checked_by_the_guard(void **state)
{
    NEED_DB();
    const char *tp[] = {fx.a};
    char *v = value(fx.owner, "SELECT metadata_version FROM tenants WHERE id = $1", 1, tp);
    long long version = atoll(v);
    free(v);
    long long seen = -1;

    /* The expected version: the first statement goes with the guard, and
     * the guard tells the version it read. */
    assert_int_equal(rp_db_begin(fx.owner, fx.a), RP_OK);
    assert_false(rp_db_tenant_version(fx.owner, &seen));
    rp_db_expect_version(fx.owner, version);
    assert_int_equal(rp_db_exec(fx.owner, "SELECT 1", 0, NULL, NULL), RP_OK);
    assert_true(rp_db_tenant_version(fx.owner, &seen));
    assert_int_equal(seen, version);
    assert_false(rp_db_stale(fx.owner));
    assert_int_equal(rp_db_commit(fx.owner), RP_OK);

    /* Another version: the statement's write is undone, every later call
     * answers RP_ESTALE until the transaction ends. */
    assert_int_equal(rp_db_begin(fx.owner, fx.a), RP_OK);
    rp_db_expect_version(fx.owner, version + 1);
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *p[] = {id};
    assert_int_equal(rp_db_exec(fx.owner,
                                "INSERT INTO tenants (id, slug, name) VALUES ($1::uuid, "
                                "'stale-ghost', 'G')",
                                1, p, NULL),
                     RP_ESTALE);
    assert_true(rp_db_stale(fx.owner));
    assert_int_equal(rp_db_exec(fx.owner, "SELECT 1", 0, NULL, NULL), RP_ESTALE);
    rp_db_rollback(fx.owner);
    assert_false(rp_db_stale(fx.owner));
    v = value(fx.owner, "SELECT count(*) FROM tenants WHERE slug = 'stale-ghost'", 0, NULL);
    assert_string_equal(v, "0");
    free(v);

    /* Nothing ran: settling sends the guard alone and finds it out. */
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    rp_db_expect_version(fx.app, version + 1);
    assert_int_equal(rp_db_settle(fx.app), RP_ESTALE);
    assert_true(rp_db_stale(fx.app));
    rp_db_rollback(fx.app);
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    rp_db_expect_version(fx.app, version);
    assert_int_equal(rp_db_settle(fx.app), RP_OK);
    assert_false(rp_db_stale(fx.app));
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
    /* Without an expectation settling sends nothing, and an expectation
     * after the first statement is ignored. */
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    assert_int_equal(rp_db_settle(fx.app), RP_OK);
    assert_false(rp_db_tenant_version(fx.app, &seen));
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_OK);
    rp_db_expect_version(fx.app, version + 1);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_OK);
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
}

static void read_mode_sends_each_statement_with_the_guard(void **state)
{
    NEED_DB();
    const char *tp[] = {fx.a};
    char *v = value(fx.owner, "SELECT metadata_version FROM tenants WHERE id = $1", 1, tp);
    long long version = atoll(v);
    free(v);
    /* Each statement sees the tenant, with no BEGIN or COMMIT around them. */
    assert_int_equal(rp_db_begin_read(fx.app, fx.a), RP_OK);
    rp_db_expect_version(fx.app, version);
    for (int i = 0; i < 2; i++) {
        char *t = value(fx.app, "SELECT current_setting('rapport.tenant_id')", 0, NULL);
        assert_string_equal(t, fx.a);
        free(t);
        char *n = value(fx.app, "SELECT count(*) FROM users", 0, NULL);
        assert_string_equal(n, "1");
        free(n);
    }
    assert_false(rp_db_stale(fx.app));
    assert_int_equal(rp_db_script(fx.app, "SELECT 1"), RP_EINVAL);
    assert_int_equal(rp_db_commit(fx.app), RP_EINVAL);
    assert_false(rp_db_in_tx(fx.app));
    /* A suspended tenant, a stale version: refused as in a transaction. */
    assert_int_equal(rp_db_begin_read(fx.app, fx.s), RP_OK);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_ETENANT);
    assert_int_equal(rp_db_commit(fx.app), RP_ETENANT);
    assert_int_equal(rp_db_begin_read(fx.app, fx.a), RP_OK);
    rp_db_expect_version(fx.app, version + 1);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_ESTALE);
    assert_true(rp_db_stale(fx.app));
    rp_db_rollback(fx.app);
    /* Settling sends the guard alone. */
    assert_int_equal(rp_db_begin_read(fx.app, fx.a), RP_OK);
    rp_db_expect_version(fx.app, version + 1);
    assert_int_equal(rp_db_settle(fx.app), RP_ESTALE);
    rp_db_rollback(fx.app);
    assert_int_equal(rp_db_begin_read(fx.app, fx.a), RP_OK);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_OK);
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
}

static void unique_violations_are_conflicts(void **state)
{
    NEED_DB();
    char id[RP_UUID_LEN + 1];
    assert_int_equal(rp_tenant_create(fx.owner, "alpha", "Again", id), RP_ECONFLICT);
    assert_string_equal(rp_db_constraint(fx.owner), "tenants_slug_key");
    assert_string_equal(rp_db_sqlstate(fx.owner), "23505");
    rp_tenant_t t;
    assert_int_equal(rp_db_begin(fx.owner, NULL), RP_OK);
    assert_int_equal(rp_tenant_use(fx.owner, "alpha", &t), RP_OK);
    rp_uuid_v7(id);
    const char *p[] = {t.id, id, "ANN@Alpha.Example"};
    assert_int_equal(rp_db_exec(fx.owner,
                                "INSERT INTO users (tenant_id, id, email, role) "
                                "VALUES ($1::uuid, $2::uuid, $3, 'user')",
                                3, p, NULL),
                     RP_ECONFLICT);
    assert_string_equal(rp_db_constraint(fx.owner), "users_email_key");
    assert_int_equal(rp_db_commit(fx.owner), RP_ECONFLICT);
}

static void errors_abort_only_their_transaction(void **state)
{
    NEED_DB();
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_OK);
    assert_int_equal(rp_db_exec(fx.app, "SELEC 1", 0, NULL, NULL), RP_EDB);
    assert_string_equal(rp_db_sqlstate(fx.app), "42601");
    assert_non_null(strstr(rp_db_error(fx.app), "syntax error"));
    assert_int_equal(rp_db_exec(fx.app, "SELECT 2", 0, NULL, NULL), RP_EDB);
    assert_int_equal(rp_db_commit(fx.app), RP_EDB);
    assert_false(rp_db_in_tx(fx.app));
    /* Outside a transaction an error stays with its statement. */
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1/0", 0, NULL, NULL), RP_EDB);
    assert_string_equal(rp_db_sqlstate(fx.app), "22012");
    rp_dbres_t *res = NULL;
    assert_int_equal(rp_db_exec(fx.app, "SELECT NULL::text, 'x'", 0, NULL, &res), RP_OK);
    assert_string_equal(rp_db_error(fx.app), "");
    assert_true(rp_dbres_null(res, 0, 0));
    assert_false(rp_dbres_null(res, 0, 1));
    assert_string_equal(rp_dbres_get(res, 0, 0), "");
    assert_string_equal(rp_dbres_get(res, 5, 5), "");
    rp_dbres_free(res);
    /* A second begin while one is open is refused. */
    assert_int_equal(rp_db_begin(fx.app, NULL), RP_OK);
    assert_int_equal(rp_db_begin(fx.app, NULL), RP_EINVAL);
    rp_db_rollback(fx.app);
    assert_int_equal(rp_db_commit(fx.app), RP_EINVAL);
}

static void writes_report_affected_rows_and_params(void **state)
{
    NEED_DB();
    assert_int_equal(rp_db_script(fx.owner, "CREATE TEMP TABLE scratch (k text, v text);"
                                            "INSERT INTO scratch VALUES ('a', NULL), ('b', 'x')"),
                     RP_OK);
    const char *p[] = {NULL, "y"};
    rp_dbres_t *res = NULL;
    assert_int_equal(rp_db_exec(fx.owner,
                                "UPDATE scratch SET v = $2 WHERE v IS NOT DISTINCT FROM $1", 2, p,
                                &res),
                     RP_OK);
    assert_int_equal(rp_dbres_affected(res), 1);
    rp_dbres_free(res);
    /* Quotes and injection attempts are just data. */
    const char *evil[] = {"'); DROP TABLE scratch; --"};
    assert_int_equal(rp_db_exec(fx.owner, "INSERT INTO scratch VALUES ($1, 'z')", 1, evil, NULL),
                     RP_OK);
    char *n = value(fx.owner, "SELECT count(*) FROM scratch", 0, NULL);
    assert_string_equal(n, "3");
    free(n);
    assert_int_equal(rp_db_script(fx.owner, "DROP TABLE scratch; SELEC"), RP_EDB);
    assert_int_equal(rp_db_script(fx.owner, "DROP TABLE scratch"), RP_OK);
}

static void prepared_statements_are_reused_and_bounded(void **state)
{
    NEED_DB();
    const char *sql = "SELECT $1::int + 1";
    const char *p[] = {"41"};
    for (int i = 0; i < 3; i++) {
        char *v = value(fx.app, sql, 1, p);
        assert_string_equal(v, "42");
        free(v);
    }
    const char *q[] = {sql};
    char *n =
        value(fx.app, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", 1, q);
    assert_string_equal(n, "1");
    free(n);
    for (int i = 0; i < 300; i++) {
        char text[64];
        snprintf(text, sizeof text, "SELECT %d + $1::int", i);
        char *v = value(fx.app, text, 1, p);
        free(v);
    }
    /* A few more round trips flush the queued DEALLOCATEs. */
    for (int i = 0; i < 20; i++) {
        char *v = value(fx.app, "SELECT count(*) FROM pg_prepared_statements", 0, NULL);
        free(v);
    }
    n = value(fx.app, "SELECT count(*) FROM pg_prepared_statements", 0, NULL);
    assert_true(atoi(n) <= 128);
    assert_true(atoi(n) >= 100);
    free(n);
}

static void terminate(rp_db_t *victim)
{
    char *pid = value(victim, "SELECT pg_backend_pid()", 0, NULL);
    const char *p[] = {pid};
    /* The owner may not signal another role's backend: the superuser can. */
    rp_db_t *su = NULL;
    char ci[4200];
    snprintf(ci, sizeof ci, "host='%s' port=5432 dbname=postgres user=postgres",
             rp_embedded_cluster_dir(fx.emb));
    assert_int_equal(rp_db_open(&su, ci, NULL), RP_OK);
    char *ok = value(su, "SELECT pg_terminate_backend($1::int, 5000)", 1, p);
    assert_string_equal(ok, "t");
    free(ok);
    free(pid);
    rp_db_close(su);
}

static void lost_connections_answer_unavailable_then_recover(void **state)
{
    NEED_DB();
    const char *p[] = {"1"};
    char *v = value(fx.app, "SELECT $1::int * 10", 1, p);
    free(v);
    char *before = value(fx.app, "SELECT pg_backend_pid()", 0, NULL);
    terminate(fx.app);
    /* An idle connection notices the loss before it sends anything and
     * reconnects at once: the request does not fail. The statement cache
     * went with the old session, so the statement is prepared again. */
    v = value(fx.app, "SELECT $1::int * 10", 1, p);
    assert_string_equal(v, "10");
    free(v);
    char *after = value(fx.app, "SELECT pg_backend_pid()", 0, NULL);
    assert_string_not_equal(before, after);
    free(before);
    free(after);
    terminate(fx.app);
    rp_dbres_t *res = NULL;
    assert_int_equal(rp_db_read(fx.app, fx.a, "SELECT count(*) FROM users", 0, NULL, &res), RP_OK);
    assert_string_equal(rp_dbres_get(res, 0, 0), "1");
    rp_dbres_free(res);

    /* Mid-transaction the transaction fails; the next one reconnects. */
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_OK);
    terminate(fx.app);
    assert_int_equal(rp_db_exec(fx.app, "SELECT 1", 0, NULL, NULL), RP_EDB_UNAVAILABLE);
    assert_false(rp_db_connected(fx.app));
    assert_true(strlen(rp_db_error(fx.app)) > 0);
    assert_int_equal(rp_db_ensure(fx.app), RP_EDB_UNAVAILABLE); /* not mid-transaction */
    assert_int_equal(rp_db_commit(fx.app), RP_EDB_UNAVAILABLE);
    assert_false(rp_db_in_tx(fx.app));
    assert_int_equal(rp_db_begin(fx.app, fx.a), RP_OK); /* reconnects */
    assert_true(rp_db_connected(fx.app));
    v = value(fx.app, "SELECT count(*) FROM users", 0, NULL);
    assert_string_equal(v, "1");
    free(v);
    assert_int_equal(rp_db_commit(fx.app), RP_OK);
}

static void set_role_binds_the_session(void **state)
{
    NEED_DB();
    /* As with RAPPORT_DATABASE_URL and no app URL: a login that may become
     * rapport_app serves through it, and row-level security applies. */
    char ci[4200];
    snprintf(ci, sizeof ci, "host='%s' port=5432 dbname=rapport user=postgres",
             rp_embedded_cluster_dir(fx.emb));
    rp_db_t *db = NULL;
    assert_int_equal(rp_db_open(&db, ci, "rapport_app"), RP_OK);
    char *who = value(db, "SELECT current_user || '/' || session_user", 0, NULL);
    assert_string_equal(who, "rapport_app/postgres");
    free(who);
    char *n = value(db, "SELECT count(*) FROM users", 0, NULL);
    assert_string_equal(n, "0");
    free(n);
    rp_db_close(db);
    assert_int_equal(rp_db_open(&db, ci, "no_such_role"), RP_EDB_UNAVAILABLE);
    assert_non_null(strstr(rp_db_error(db), "no_such_role"));
    rp_db_close(db);
}

static void migrate(const char *name, const char *sql, int *applied, char *err, size_t errlen,
                    rp_status_t expect)
{
    rp_migration_t m = {name, sql};
    assert_int_equal(rp_migrate_list(fx.owner, &m, 1, applied, err, errlen), expect);
}

static void table_exists(const char *name, bool expected)
{
    const char *p[] = {name};
    char *v = value(fx.owner, "SELECT to_regclass($1) IS NOT NULL", 1, p);
    assert_string_equal(v, expected ? "t" : "f");
    free(v);
}

static void migrations_check_tenancy_and_roll_back(void **state)
{
    NEED_DB();
    int applied = -1;
    char err[1024];
    assert_int_equal(rp_migrate(fx.owner, &applied, err, sizeof err), RP_OK);
    assert_int_equal(applied, 0);

    migrate("9001_ok.sql",
            "CREATE TABLE t_ok (tenant_id uuid NOT NULL, x int);\n"
            "ALTER TABLE t_ok ENABLE ROW LEVEL SECURITY;\n"
            "ALTER TABLE t_ok FORCE ROW LEVEL SECURITY;\n"
            "CREATE TABLE t_dir (x int);\n"
            "COMMENT ON TABLE t_dir IS 'rapport:global a test directory';\n",
            &applied, err, sizeof err, RP_OK);
    assert_int_equal(applied, 1);
    table_exists("t_ok", true);
    migrate("9001_ok.sql", "SELEC", &applied, err, sizeof err, RP_OK);
    assert_int_equal(applied, 0); /* recorded: not run twice */

    migrate("9002_bad.sql", "CREATE TABLE t_bad (x int);\n\nSELEC 1;\n", &applied, err, sizeof err,
            RP_EDB);
    assert_int_equal(applied, 0);
    assert_string_equal(err, "migrations/9002_bad.sql: line 3: syntax error at or near \"SELEC\"");
    table_exists("t_bad", false);

    migrate("9003_plain.sql", "CREATE TABLE t_plain (x int);", &applied, err, sizeof err,
            RP_EINVAL);
    assert_non_null(strstr(err, "migrations/9003_plain.sql: table t_plain has no tenant_id"));
    table_exists("t_plain", false);

    migrate("9004_norls.sql", "CREATE TABLE t_norls (tenant_id uuid);", &applied, err, sizeof err,
            RP_EINVAL);
    assert_non_null(strstr(err, "t_norls has tenant_id but row-level security is not enabled"));
    table_exists("t_norls", false);

    migrate("9005_nf.sql",
            "CREATE TABLE t_nf (tenant_id uuid) PARTITION BY HASH (tenant_id);"
            "ALTER TABLE t_nf ENABLE ROW LEVEL SECURITY;",
            &applied, err, sizeof err, RP_EINVAL);
    assert_non_null(strstr(err, "t_nf has tenant_id but row-level security is not forced"));
    table_exists("t_nf", false);

    const char *p[] = {"9002_bad.sql"};
    char *n = value(fx.owner, "SELECT count(*) FROM rapport_migrations WHERE name = $1", 1, p);
    assert_string_equal(n, "0");
    free(n);
}

static void tenants_are_managed(void **state)
{
    NEED_DB();
    char id[RP_UUID_LEN + 1];
    assert_int_equal(rp_tenant_create(fx.owner, "Bad Slug", "x", id), RP_EINVAL);
    assert_int_equal(rp_tenant_create(fx.owner, "okslug", "", id), RP_EINVAL);
    assert_int_equal(rp_tenant_set_status(fx.owner, "nobody", "active"), RP_ENOTFOUND);
    assert_int_equal(rp_tenant_set_status(fx.owner, "alpha", "deleted"), RP_EINVAL);
    rp_tenant_t t;
    assert_int_equal(rp_tenant_find(fx.owner, "sleepy", &t), RP_OK);
    assert_string_equal(t.status, "suspended");
    assert_string_equal(t.id, fx.s);
    assert_int_equal(strlen(t.created_at), 20);
    assert_int_equal(rp_tenant_find(fx.owner, "nobody", &t), RP_ENOTFOUND);
    rp_tenant_t *list = NULL;
    int count = 0;
    assert_int_equal(rp_tenant_list(fx.owner, &list, &count), RP_OK);
    assert_int_equal(count, 3);
    assert_string_equal(list[0].slug, "alpha");
    assert_string_equal(list[2].slug, "sleepy");
    free(list);
    assert_int_equal(rp_tenant_set_status(fx.owner, "sleepy", "active"), RP_OK);
    assert_int_equal(rp_db_read(fx.app, fx.s, "SELECT 1", 0, NULL, NULL), RP_OK);
    assert_int_equal(rp_tenant_set_status(fx.owner, "sleepy", "suspended"), RP_OK);
    assert_int_equal(rp_db_read(fx.app, fx.s, "SELECT 1", 0, NULL, NULL), RP_ETENANT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guard_sets_the_tenant_for_the_transaction),
        cmocka_unit_test(no_tenant_sees_no_tenant_rows),
        cmocka_unit_test(read_is_one_implicit_transaction),
        cmocka_unit_test(inactive_tenants_are_refused_and_nothing_stays),
        cmocka_unit_test(expected_metadata_versions_are_checked_by_the_guard),
        cmocka_unit_test(read_mode_sends_each_statement_with_the_guard),
        cmocka_unit_test(unique_violations_are_conflicts),
        cmocka_unit_test(errors_abort_only_their_transaction),
        cmocka_unit_test(writes_report_affected_rows_and_params),
        cmocka_unit_test(prepared_statements_are_reused_and_bounded),
        cmocka_unit_test(lost_connections_answer_unavailable_then_recover),
        cmocka_unit_test(set_role_binds_the_session),
        cmocka_unit_test(migrations_check_tenancy_and_roll_back),
        cmocka_unit_test(tenants_are_managed),
    };
    return cmocka_run_group_tests_name("db_pipeline", tests, setup, teardown);
}
