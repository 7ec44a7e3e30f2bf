/* Tenant isolation: through the API (another tenant's ids answer 404, a
 * suspended tenant is shut out) and underneath it (row-level security holds
 * for the serving role even when a query forgets its tenant filter). */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "it.h"

#define PASSWORD "tenancy-password-1"

static char *alpha_id, *beta_id, *alpha_admin, *beta_admin, *beta_user;

static int setup(void **state)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("alpha", "Alpha Ltd");
    rp_it_tenant_create("beta", "Beta GmbH");
    rp_it_user_add("alpha", "admin@alpha.test", "admin", PASSWORD);
    rp_it_user_add("alpha", "shared@example.test", "user", PASSWORD);
    rp_it_user_add("beta", "admin@beta.test", "admin", PASSWORD);
    rp_it_user_add("beta", "shared@example.test", "user", PASSWORD);
    rp_it_user_add("beta", "worker@beta.test", "user", PASSWORD);
    alpha_id = strdup(rp_it_tenant_id("alpha"));
    beta_id = strdup(rp_it_tenant_id("beta"));
    alpha_admin = strdup(rp_it_user_id("alpha", "admin@alpha.test"));
    beta_admin = strdup(rp_it_user_id("beta", "admin@beta.test"));
    beta_user = strdup(rp_it_user_id("beta", "worker@beta.test"));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    free(alpha_id);
    free(beta_id);
    free(alpha_admin);
    free(beta_admin);
    free(beta_user);
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static long count_users(const char *tenant)
{
    return strtol(rp_it_sql("SELECT count(*) FROM users WHERE tenant_id = $1", tenant, NULL), NULL,
                  10);
}

static void other_tenants_user_is_404(void **state)
{
    const char *a = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    const char *before =
        rp_it_sql("SELECT name || '/' || role FROM users WHERE id = $1", beta_user, NULL);
    /* The admin of alpha sees alpha's users... */
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("/api/v1/users/%s", alpha_admin), a), 200);
    /* ...and beta's answer exactly like ids that do not exist. */
    const char *missing = "0190a0a0-0000-7000-8000-000000000000";
    rp_it_resp_t *none = rp_it_get(rp_it_fmt("/api/v1/users/%s", missing), a);
    RP_IT_EXPECT_PROBLEM(none, 404, "not_found");
    const char *paths[] = {beta_admin, beta_user};
    for (size_t i = 0; i < 2; i++) {
        const char *path = rp_it_fmt("/api/v1/users/%s", paths[i]);
        rp_it_resp_t *r = rp_it_get(path, a);
        RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
        assert_string_equal(rp_it_jstr(r, "detail"), rp_it_jstr(none, "detail"));
        RP_IT_EXPECT_PROBLEM(rp_it_sendj("PATCH", path, a, json_pack("{s:s}", "name", "Mallory")),
                             404, "not_found");
        RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", path, a, NULL), 404, "not_found");
    }
    /* Nothing of beta's changed. */
    assert_string_equal(
        rp_it_sql("SELECT name || '/' || role FROM users WHERE id = $1", beta_user, NULL), before);
    assert_int_equal(count_users(beta_id), 3);
}

static void list_shows_own_tenant_only(void **state)
{
    const char *a = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    rp_it_resp_t *r = rp_it_get("/api/v1/users", a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *items = rp_it_jlist(r);
    assert_non_null(items);
    assert_int_equal(json_array_size(items), count_users(alpha_id));
    size_t i;
    json_t *u;
    json_array_foreach(items, i, u)
    {
        const char *id = json_string_value(json_object_get(u, "id"));
        assert_non_null(id);
        assert_string_equal(rp_it_sql("SELECT tenant_id FROM users WHERE id = $1", id, NULL),
                            alpha_id);
    }
    assert_null(strstr(r->body, "beta.test"));
}

static void same_email_in_two_tenants(void **state)
{
    rp_it_resp_t *a =
        rp_it_get("/api/v1/me", rp_it_token("alpha", "shared@example.test", PASSWORD));
    rp_it_resp_t *b = rp_it_get("/api/v1/me", rp_it_token("beta", "shared@example.test", PASSWORD));
    RP_IT_EXPECT_STATUS(a, 200);
    RP_IT_EXPECT_STATUS(b, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(a->json, "tenant"), "slug")), "alpha");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(b->json, "tenant"), "slug")), "beta");
    assert_string_not_equal(rp_it_jstr(a, "user_id"), rp_it_jstr(b, "user_id"));
}

static void token_tenant_decides_scope(void **state)
{
    /* A correctly signed token naming beta but alpha's admin as subject:
     * nothing of alpha's is reachable through it. */
    const char *mixed = rp_it_jwt_sign(NULL, rp_it_jwt_claims(beta_id, alpha_admin, "admin"), NULL);
    rp_it_resp_t *r = rp_it_get("/api/v1/me", mixed);
    assert_int_not_equal(r->status, 200);
    RP_IT_EXPECT_PROBLEM(r, 401, NULL);
    assert_null(strstr(r->body, "admin@alpha.test"));
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/users/%s", alpha_admin), mixed), 404,
                         "not_found");

    /* A tenant that does not exist at all. */
    const char *ghost = rp_it_jwt_sign(
        NULL, rp_it_jwt_claims("0190a0a0-0000-7000-8000-00000000beef", alpha_admin, "admin"), NULL);
    r = rp_it_get("/api/v1/users", ghost);
    if (r->status != 403 && r->status != 401)
        RP_IT_FAIL("a token for a tenant that does not exist got %ld %s", r->status, r->body);
    RP_IT_EXPECT_PROBLEM(r, r->status, NULL);
}

static void suspended_tenant_is_shut_out(void **state)
{
    rp_it_tokens_t b;
    RP_IT_EXPECT_STATUS(rp_it_login("beta", "admin@beta.test", PASSWORD, &b), 200);
    rp_it_resp_t *k =
        rp_it_sendj("POST", "/api/v1/api-keys", b.access, json_pack("{s:s}", "name", "ci"));
    RP_IT_EXPECT_STATUS(k, 201);
    const char *key = rp_it_fmt("%s", rp_it_jstr(k, "key"));
    const char *a = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", key), 200);

    char *err = NULL;
    assert_int_equal(rp_it_cli(NULL, &err, "tenant", "suspend", "beta", NULL), 0);
    assert_string_equal(rp_it_sql("SELECT status FROM tenants WHERE slug = 'beta'", NULL),
                        "suspended");

    /* Valid credentials of a suspended tenant open nothing. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", b.access), 403, "tenant_suspended");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/users", b.access), 403, "tenant_suspended");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", key), 403, "tenant_suspended");
    rp_it_resp_t *r = rp_it_login("beta", "admin@beta.test", PASSWORD, NULL);
    if (r->status != 403 && r->status != 401)
        RP_IT_FAIL("login to a suspended tenant got %ld %s", r->status, r->body);
    RP_IT_EXPECT_PROBLEM(r, r->status, NULL);
    r = rp_it_sendj("POST", "/api/v1/auth/refresh", NULL,
                    json_pack("{s:s}", "refresh_token", b.refresh));
    if (r->status != 403 && r->status != 401)
        RP_IT_FAIL("refresh in a suspended tenant got %ld %s", r->status, r->body);
    /* The other tenant does not notice. */
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", a), 200);

    assert_int_equal(rp_it_cli(NULL, &err, "tenant", "resume", "beta", NULL), 0);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", b.access), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", key), 200);
    RP_IT_EXPECT_STATUS(rp_it_login("beta", "admin@beta.test", PASSWORD, NULL), 200);
}

/* ---- underneath the API: the serving role and row-level security -------- */

static PGresult *q(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    return rp_it_track_pgresult(r);
}

static void ok(PGresult *r, const char *what)
{
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        RP_IT_FAIL("%s: %s", what, PQresultErrorMessage(r));
}

static void set_tenant(PGconn *c, const char *tenant)
{
    const char *p[] = {tenant};
    ok(q(c, "SELECT set_config('rapport.tenant_id', $1, true)", 1, p), "set_config");
}

static void serving_role_has_no_privileges(void **state)
{
    /* The server's own connections use the serving role. */
    RP_IT_EXPECT_STATUS(rp_it_get("/readyz", NULL), 200);
    long conns = strtol(rp_it_sql("SELECT count(*) FROM pg_stat_activity WHERE usename = "
                                  "'rapport_app' AND datname = 'rapport'",
                                  NULL),
                        NULL, 10);
    assert_true(conns >= 1);

    assert_string_equal(
        rp_it_sql("SELECT rolsuper::text FROM pg_roles WHERE rolname = 'rapport_app'", NULL),
        "false");
    assert_string_equal(
        rp_it_sql("SELECT rolbypassrls::text FROM pg_roles WHERE rolname = 'rapport_app'", NULL),
        "false");
    assert_string_equal(rp_it_sql("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = "
                                  "c.relowner WHERE r.rolname = 'rapport_app'",
                                  NULL),
                        "0");
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM pg_tables WHERE tableowner = 'rapport_app'", NULL), "0");

    /* Every table with a tenant_id has RLS enabled and forced. */
    long tenant_tables = strtol(rp_it_sql("SELECT count(DISTINCT c.oid) FROM pg_class c JOIN "
                                          "pg_namespace n ON n.oid = c.relnamespace JOIN "
                                          "pg_attribute a ON a.attrelid = c.oid WHERE c.relkind = "
                                          "'r' AND n.nspname = 'public' AND a.attname = "
                                          "'tenant_id' AND NOT a.attisdropped",
                                          NULL),
                                NULL, 10);
    assert_true(tenant_tables >= 4);
    assert_string_equal(rp_it_sql("SELECT count(DISTINCT c.oid) FROM pg_class c JOIN pg_namespace "
                                  "n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid "
                                  "= c.oid WHERE c.relkind = 'r' AND n.nspname = 'public' AND "
                                  "a.attname = 'tenant_id' AND NOT a.attisdropped AND NOT "
                                  "(c.relrowsecurity AND c.relforcerowsecurity)",
                                  NULL),
                        "0");
}

static void rls_without_tenant_sees_nothing(void **state)
{
    assert_true(count_users(alpha_id) > 0 && count_users(beta_id) > 0);
    PGconn *c = rp_it_track_pgconn(rp_it_pg_connect("rapport_app"));
    PGresult *r = q(c, "SELECT current_user", 0, NULL);
    ok(r, "current_user");
    assert_string_equal(PQgetvalue(r, 0, 0), "rapport_app");

    const char *tables[] = {"users", "refresh_tokens", "api_keys", "auth_events"};
    for (size_t i = 0; i < 4; i++) {
        /* There are rows (logins wrote events and refresh tokens)... */
        long all =
            strtol(rp_it_sql(rp_it_fmt("SELECT count(*) FROM %s", tables[i]), NULL), NULL, 10);
        if (i != 2)
            assert_true(all > 0);
        /* ...but none without a tenant. */
        r = q(c, rp_it_fmt("SELECT count(*) FROM %s", tables[i]), 0, NULL);
        ok(r, tables[i]);
        if (strcmp(PQgetvalue(r, 0, 0), "0") != 0)
            RP_IT_FAIL("rapport_app with no tenant set sees %s rows of %s", PQgetvalue(r, 0, 0),
                       tables[i]);
    }
    /* An empty setting is no tenant either. */
    ok(q(c, "BEGIN", 0, NULL), "BEGIN");
    set_tenant(c, "");
    r = q(c, "SELECT count(*) FROM users", 0, NULL);
    ok(r, "count with empty tenant");
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    ok(q(c, "ROLLBACK", 0, NULL), "ROLLBACK");
}

static void rls_query_without_filter_sees_one_tenant(void **state)
{
    PGconn *c = rp_it_track_pgconn(rp_it_pg_connect("rapport_app"));
    const char *tenants[] = {alpha_id, beta_id};
    for (int t = 0; t < 2; t++) {
        ok(q(c, "BEGIN", 0, NULL), "BEGIN");
        set_tenant(c, tenants[t]);
        PGresult *r = q(c, "SELECT * FROM users", 0, NULL);
        ok(r, "SELECT * FROM users");
        int col = PQfnumber(r, "tenant_id");
        assert_true(col >= 0);
        assert_int_equal(PQntuples(r), count_users(tenants[t]));
        for (int i = 0; i < PQntuples(r); i++)
            assert_string_equal(PQgetvalue(r, i, col), tenants[t]);

        /* Writes without a filter touch only this tenant's rows too. */
        r = q(c, "UPDATE users SET name = 'touched'", 0, NULL);
        ok(r, "UPDATE users");
        assert_int_equal(strtol(PQcmdTuples(r), NULL, 10), count_users(tenants[t]));
        long tokens = strtol(
            rp_it_sql("SELECT count(*) FROM refresh_tokens WHERE tenant_id = $1", tenants[t], NULL),
            NULL, 10);
        r = q(c, "DELETE FROM refresh_tokens", 0, NULL);
        ok(r, "DELETE FROM refresh_tokens");
        assert_int_equal(strtol(PQcmdTuples(r), NULL, 10), tokens);
        ok(q(c, "ROLLBACK", 0, NULL), "ROLLBACK");
    }
    assert_string_equal(rp_it_sql("SELECT count(*) FROM users WHERE name = 'touched'", NULL), "0");
}

static void rls_refuses_writes_into_another_tenant(void **state)
{
    PGconn *c = rp_it_track_pgconn(rp_it_pg_connect("rapport_app"));
    ok(q(c, "BEGIN", 0, NULL), "BEGIN");
    set_tenant(c, alpha_id);
    const char *p[] = {beta_id};
    PGresult *r = q(c,
                    "INSERT INTO users (tenant_id, id, email, role) VALUES ($1, "
                    "'0190a0a0-0000-7000-8000-00000000f00d', 'intruder@beta.test', 'admin')",
                    1, p);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        RP_IT_FAIL("rapport_app inserted a row into another tenant");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    ok(q(c, "ROLLBACK", 0, NULL), "ROLLBACK");

    /* Moving one's own row into another tenant is refused as well. */
    ok(q(c, "BEGIN", 0, NULL), "BEGIN");
    set_tenant(c, alpha_id);
    r = q(c, "UPDATE users SET tenant_id = $1", 1, p);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        RP_IT_FAIL("rapport_app moved rows into another tenant");
    ok(q(c, "ROLLBACK", 0, NULL), "ROLLBACK");

    /* Without a tenant there is nothing it may insert. */
    r = q(c,
          "INSERT INTO users (tenant_id, id, email, role) VALUES ($1, "
          "'0190a0a0-0000-7000-8000-00000000f00e', 'intruder2@beta.test', 'admin')",
          1, p);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        RP_IT_FAIL("rapport_app inserted a row with no tenant set");

    /* The tenant directory is read-only to it. */
    r = q(c, "UPDATE tenants SET status = 'active'", 0, NULL);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        RP_IT_FAIL("rapport_app may update tenants");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    /* And it cannot switch RLS off or create tables. */
    r = q(c, "ALTER TABLE users DISABLE ROW LEVEL SECURITY", 0, NULL);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        RP_IT_FAIL("rapport_app may disable row-level security");
    r = q(c, "CREATE TABLE sneaky (id int)", 0, NULL);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        RP_IT_FAIL("rapport_app may create tables");
    assert_null(rp_it_sql("SELECT 1 FROM users WHERE email LIKE 'intruder%'", NULL));
}

static void server_exits_cleanly(void **state)
{
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(other_tenants_user_is_404),
        RP_IT_TEST(list_shows_own_tenant_only),
        RP_IT_TEST(same_email_in_two_tenants),
        RP_IT_TEST(token_tenant_decides_scope),
        RP_IT_TEST(suspended_tenant_is_shut_out),
        RP_IT_TEST(serving_role_has_no_privileges),
        RP_IT_TEST(rls_without_tenant_sees_nothing),
        RP_IT_TEST(rls_query_without_filter_sees_one_tenant),
        RP_IT_TEST(rls_refuses_writes_into_another_tenant),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("tenancy", tests, setup, teardown);
}
