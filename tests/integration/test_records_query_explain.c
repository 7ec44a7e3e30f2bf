/* Item 5's index check: with many records in one tenant, the compiled SQL of
 * a filter on an indexed field is served by an index: the module's
 * expression index for contact.email, the record_index table for a tenant's
 * own indexed field. 1,000,000 records, as the issue asks (about a minute
 * of PostgreSQL time on 2 cores); RAPPORT_EXPLAIN_ROWS changes the count for
 * a quicker local run. Half the rows are contacts, half records of a custom
 * object. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"
#include "records/query.h"

static char *tenant;
static long rows = 1000000;

static int setup(void **state)
{
    const char *env = getenv("RAPPORT_EXPLAIN_ROWS");
    if (env != NULL && atol(env) >= 1000)
        rows = atol(env);
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("big", "Big Co");
    tenant = strdup(rp_it_tenant_id("big"));
    double t0 = rp_it_now();
    char n[32];
    snprintf(n, sizeof n, "%ld", rows);
    rp_it_sql("INSERT INTO records (tenant_id, object, id, data) SELECT $1, CASE WHEN g % 2 = 0 "
              "THEN 'contact' ELSE 'item__c' END, gen_random_uuid(), CASE WHEN g % 2 = 0 THEN "
              "jsonb_build_object('last_name', 'L' || g, 'email', 'User' || g || '@example.com') "
              "ELSE jsonb_build_object('size__c', g) END FROM generate_series(1, $2::bigint) g",
              tenant, n, NULL);
    rp_it_sql("INSERT INTO record_index (tenant_id, object, field, record_id, value_num) SELECT "
              "tenant_id, object, 'size__c', id, (data->>'size__c')::numeric FROM records WHERE "
              "tenant_id = $1 AND object = 'item__c'",
              tenant, NULL);
    /* The plans below rely on the LEAKPROOF marks (server/db/leakproof.h),
     * which the harness sets on its cluster as the embedded one does, and
     * on the expression statistics of migration 0006. */
    rp_it_sql("ANALYZE records", NULL);
    rp_it_sql("ANALYZE record_index", NULL);
    printf("# %ld records inserted and analysed in %.1f s\n", rows, rp_it_now() - t0);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    free(tenant);
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* An object with the fields given as JSON definitions. */
static void make_object(rp_object_t *o, rp_field_t *fields, const char *name,
                        const char *const *defs, int n)
{
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    for (int i = 0; i < n; i++) {
        json_t *j = json_loads(defs[i], 0, NULL);
        assert_non_null(j);
        assert_int_equal(rp_field_parse(j, &fields[i], NULL), RP_OK);
        json_decref(j);
    }
    o->fields = fields;
    o->nfields = n;
}

/* Runs the compiled query (and its EXPLAIN) as the serving role in the
 * tenant; returns the plan text (tracked) and the row count in *count. */
static const char *plan_of(const rp_query_t *q, int *count)
{
    PGconn *c = rp_it_track_pgconn(rp_it_pg_connect("rapport_app"));
    PGresult *r = rp_it_track_pgresult(PQexec(c, "BEGIN"));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    const char *tp[] = {tenant};
    r = rp_it_track_pgresult(PQexecParams(c, "SELECT set_config('rapport.tenant_id', $1, true)", 1,
                                          NULL, tp, NULL, NULL, 0));
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    r = rp_it_track_pgresult(PQexecParams(c, q->sql, q->nparams, NULL, q->params, NULL, NULL, 0));
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        RP_IT_FAIL("%s: %s", q->sql, PQerrorMessage(c));
    *count = PQntuples(r);
    const char *sql = rp_it_fmt("EXPLAIN (FORMAT JSON) %s", q->sql);
    r = rp_it_track_pgresult(PQexecParams(c, sql, q->nparams, NULL, q->params, NULL, NULL, 0));
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        RP_IT_FAIL("%s: %s", sql, PQerrorMessage(c));
    return rp_it_fmt("%s", PQgetvalue(r, 0, 0));
}

static void standard_indexed_field(void **state)
{
    static const char *const defs[] = {
        "{\"name\":\"last_name\",\"type\":\"text\"}",
        "{\"name\":\"email\",\"type\":\"email\",\"indexed\":true}",
    };
    rp_field_t fields[2];
    rp_object_t o;
    make_object(&o, fields, "contact", defs, 2);
    rp_pool_t pool = {0};
    json_t *f =
        json_pack("{s:s, s:s, s:s}", "field", "email", "op", "eq", "value", "user1234@EXAMPLE.com");
    rp_query_spec_t spec = {.object = &o, .tenant_id = tenant, .filter = f};
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_OK);
    int count = 0;
    const char *plan = plan_of(&q, &count);
    assert_int_equal(count, 1);
    if (strstr(plan, "\"records_contact_email\"") == NULL) {
        printf("%s\n", plan);
        RP_IT_FAIL("the e-mail index is not used (plan above)");
    }
    assert_true(strstr(plan, "\"Index Scan\"") || strstr(plan, "\"Bitmap Index Scan\""));
    json_decref(f);
    rp_pool_clear(&pool);
    rp_field_free(&fields[0]);
    rp_field_free(&fields[1]);
}

static void custom_indexed_field(void **state)
{
    static const char *const defs[] = {
        "{\"name\":\"size__c\",\"type\":\"integer\",\"indexed\":true}",
    };
    rp_field_t fields[1];
    rp_object_t o;
    make_object(&o, fields, "item__c", defs, 1);
    o.custom = true;
    rp_pool_t pool = {0};
    /* Equality, and a narrow range. */
    json_t *f = json_pack("{s:s, s:s, s:i}", "field", "size__c", "op", "eq", "value", 4321);
    json_t *g = json_pack("{s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}]}", "and", "field", "size__c", "op",
                          "gte", "value", 1001, "field", "size__c", "op", "lt", "value", 1011);
    const json_t *filters[] = {f, g};
    const int want[] = {1, 5};
    for (int i = 0; i < 2; i++) {
        rp_query_spec_t spec = {.object = &o, .tenant_id = tenant, .filter = filters[i]};
        rp_query_t q;
        rp_query_error_t err;
        assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_OK);
        assert_non_null(strstr(q.sql, "record_index"));
        int count = 0;
        const char *plan = plan_of(&q, &count);
        assert_int_equal(count, want[i]);
        if (strstr(plan, "\"record_index_num\"") == NULL) {
            printf("%s\n", plan);
            RP_IT_FAIL("record_index_num is not used (plan above)");
        }
        assert_true(strstr(plan, "\"Index Scan\"") || strstr(plan, "\"Bitmap Index Scan\"") ||
                    strstr(plan, "\"Index Only Scan\""));
    }
    json_decref(f);
    json_decref(g);
    rp_pool_clear(&pool);
    rp_field_free(&fields[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(standard_indexed_field),
        RP_IT_TEST(custom_indexed_field),
    };
    RP_IT_RUN("records_query_explain", tests, setup, teardown);
}
