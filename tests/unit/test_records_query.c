/* The query compiler: SQL text and parameters for each operator and type,
 * groups, sorting, cursors, and refusals. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "records/query.h"

#define TENANT "0190a0b0-0000-7000-8000-000000000001"

static const char *const defs[] = {
    "{\"name\":\"name\",\"type\":\"text\",\"required\":true}",
    "{\"name\":\"amount\",\"type\":\"currency\"}",
    "{\"name\":\"qty\",\"type\":\"integer\",\"min\":0}",
    "{\"name\":\"score\",\"type\":\"decimal\"}",
    "{\"name\":\"close\",\"type\":\"date\"}",
    "{\"name\":\"at\",\"type\":\"datetime\"}",
    "{\"name\":\"active\",\"type\":\"boolean\"}",
    "{\"name\":\"stage\",\"type\":\"picklist\",\"values\":[\"open\",\"won\"]}",
    "{\"name\":\"tags\",\"type\":\"multipicklist\",\"values\":[\"x\",\"y\",\"z\"]}",
    "{\"name\":\"email\",\"type\":\"email\",\"indexed\":true}",
    "{\"name\":\"acct\",\"type\":\"reference\",\"reference\":\"account\"}",
    "{\"name\":\"region__c\",\"type\":\"text\",\"indexed\":true}",
    "{\"name\":\"size__c\",\"type\":\"integer\",\"indexed\":true}",
    "{\"name\":\"phone\",\"type\":\"phone\"}",
};
#define NDEFS (sizeof defs / sizeof defs[0])

static rp_field_t fields[NDEFS];
static rp_object_t object;
static rp_pool_t pool;

static int setup(void **state)
{
    for (size_t i = 0; i < NDEFS; i++) {
        json_t *j = json_loads(defs[i], 0, NULL);
        if (j == NULL || rp_field_parse(j, &fields[i], NULL) != RP_OK)
            return -1;
        json_decref(j);
    }
    strcpy(object.name, "deal");
    object.fields = fields;
    object.nfields = (int)NDEFS;
    return 0;
}

static int teardown(void **state)
{
    for (size_t i = 0; i < NDEFS; i++)
        rp_field_free(&fields[i]);
    rp_pool_clear(&pool);
    return 0;
}

/* Compiles with the filter given as JSON text (NULL: none). */
static rp_status_t compile(const char *filter, const char *sort, const char *cursor, rp_query_t *q,
                           rp_query_error_t *err)
{
    json_t *f = filter ? json_loads(filter, 0, NULL) : NULL;
    json_t *s = sort ? json_string(sort) : NULL;
    if (filter != NULL)
        assert_non_null(f);
    rp_query_spec_t spec = {
        .object = &object, .tenant_id = TENANT, .filter = f, .sort = s, .cursor = cursor};
    rp_status_t st = rp_query_compile(&spec, &pool, q, err);
    json_decref(f);
    json_decref(s);
    return st;
}

/* Compiles a one-condition filter and checks the SQL holds want and the
 * second parameter is param (NULL: not checked). */
static void leaf_is(const char *field, const char *op, const char *value_json, const char *want,
                    const char *param)
{
    char filter[512];
    snprintf(filter, sizeof filter, "{\"field\":\"%s\",\"op\":\"%s\",\"value\":%s}", field, op,
             value_json);
    rp_query_t q;
    rp_query_error_t err;
    rp_status_t st = compile(filter, NULL, NULL, &q, &err);
    if (st != RP_OK)
        fail_msg("%s: %s %s %s", filter, err.code, err.name, err.message);
    if (strstr(q.sql, want) == NULL)
        fail_msg("%s:\n  want %s\n  in   %s", filter, want, q.sql);
    if (param != NULL) {
        assert_true(q.nparams >= 2);
        assert_string_equal(q.params[1], param);
    }
}

static void expect_error(const char *filter, const char *sort, const char *cursor, const char *code,
                         const char *name)
{
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(filter, sort, cursor, &q, &err), RP_EINVAL);
    assert_non_null(err.code);
    assert_string_equal(err.code, code);
    if (name != NULL)
        assert_string_equal(err.name, name);
    assert_true(err.message[0] != '\0');
}

static void no_filter(void **state)
{
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(NULL, NULL, NULL, &q, &err), RP_OK);
    assert_string_equal(q.sql, "SELECT " RP_QUERY_COLS
                               " FROM records r WHERE r.tenant_id = $1::uuid AND r.object = "
                               "'deal' AND r.deleted_at IS NULL ORDER BY r.id ASC LIMIT 51");
    assert_int_equal(q.nparams, 1);
    assert_string_equal(q.params[0], TENANT);
    assert_int_equal(q.limit, 50);
    assert_int_equal(q.nsort, 0);
    assert_int_equal(q.nfields, (int)NDEFS);
}

static void typed_comparisons(void **state)
{
    leaf_is("qty", "gt", "\"100\"", "(r.data->>'qty')::numeric > $2::numeric", "100");
    leaf_is("qty", "lte", "7", "(r.data->>'qty')::numeric <= $2::numeric", "7");
    leaf_is("score", "gte", "\"1.50\"", "(r.data->>'score')::numeric >= $2::numeric", "1.5");
    leaf_is("amount", "lt", "\"1000.10\"", "(r.data->'amount'->>'amount')::numeric < $2::numeric",
            "1000.1");
    leaf_is("amount.currency", "eq", "\"EUR\"", "(r.data->'amount'->>'currency') = $2", "EUR");
    leaf_is("close", "lt", "\"2024-02-29\"", "(r.data->>'close')::date < $2::date", "2024-02-29");
    leaf_is("at", "gte", "\"2024-01-01T10:00:00+01:00\"",
            "(r.data->>'at')::timestamptz >= $2::timestamptz", "2024-01-01T09:00:00.000Z");
    leaf_is("active", "eq", "\"true\"", "(r.data->>'active')::boolean = $2::boolean", "true");
    leaf_is("active", "eq", "false", "(r.data->>'active')::boolean = $2::boolean", "false");
    leaf_is("name", "eq", "\"Acme\"", "(r.data->>'name') = $2", "Acme");
    leaf_is("name", "ne", "\"Acme\"", "(r.data->>'name') IS DISTINCT FROM $2", "Acme");
    leaf_is("email", "eq", "\"John.Doe@Example.COM\"", "lower(r.data->>'email') = $2",
            "john.doe@example.com");
    leaf_is("phone", "eq", "\"+33 1 23 45 67 89\"", "(r.data->>'phone') = $2", "+33123456789");
    leaf_is("acct", "eq", "\"0190A0B0-0000-7000-8000-00000000000A\"", "(r.data->>'acct') = $2",
            "0190a0b0-0000-7000-8000-00000000000a");
    leaf_is("stage", "eq", "\"won\"", "(r.data->>'stage') = $2", "won");
    leaf_is("id", "eq", "\"0190a0b0-0000-7000-8000-00000000000a\"", "r.id = $2::uuid", NULL);
    leaf_is("version", "gt", "\"2\"", "r.version > $2::integer", "2");
    leaf_is("created_at", "lt", "\"2024-01-01T00:00:00Z\"", "r.created_at < $2::timestamptz",
            "2024-01-01T00:00:00.000Z");
    leaf_is("owner_id", "is_null", "true", "r.owner_id IS NULL", NULL);
}

static void set_and_text_operators(void **state)
{
    leaf_is("qty", "in", "\"1,2,3\"", "(r.data->>'qty')::numeric = ANY($2::numeric[])",
            "{\"1\",\"2\",\"3\"}");
    leaf_is("stage", "nin", "[\"open\"]",
            "NOT COALESCE((r.data->>'stage') = ANY($2::text[]), false)", "{\"open\"}");
    leaf_is("name", "in", "[\"a\\\"b\",\"c\\\\d\"]", "= ANY($2::text[])",
            "{\"a\\\"b\",\"c\\\\d\"}");
    leaf_is("name", "contains", "\"50%_off\\\\\"", "(r.data->>'name') ILIKE $2",
            "%50\\%\\_off\\\\%");
    leaf_is("name", "starts_with", "\"Ac\"", "(r.data->>'name') ILIKE $2", "Ac%");
    leaf_is("email", "contains", "\"@Example\"", "(r.data->>'email') ILIKE $2", "%@Example%");
    leaf_is("name", "is_null", "true", "(r.data->'name' IS NULL OR r.data->'name' = 'null'::jsonb)",
            NULL);
    leaf_is("name", "is_null", "\"false\"",
            "NOT (r.data->'name' IS NULL OR r.data->'name' = 'null'::jsonb)", NULL);
    leaf_is("tags", "contains", "\"y\"", "COALESCE(r.data->'tags' ? $2, false)", "y");
    leaf_is("tags", "eq", "\"y\"", "COALESCE(r.data->'tags' ? $2, false)", "y");
    leaf_is("tags", "ne", "\"y\"", "NOT COALESCE(r.data->'tags' ? $2, false)", "y");
    leaf_is("tags", "in", "\"x,z\"", "COALESCE(r.data->'tags' ?| $2::text[], false)",
            "{\"x\",\"z\"}");
    leaf_is("tags", "nin", "[\"x\"]", "NOT COALESCE(r.data->'tags' ?| $2::text[], false)",
            "{\"x\"}");
}

static void custom_indexed_fields_use_record_index(void **state)
{
    const char *exists = "EXISTS (SELECT 1 FROM record_index ri WHERE ri.tenant_id = r.tenant_id "
                         "AND ri.object = r.object AND ri.record_id = r.id AND ri.field = $2 AND ";
    char want[512];
    snprintf(want, sizeof want, "%sri.value_num > $3::numeric)", exists);
    leaf_is("size__c", "gt", "10", want, "size__c");
    snprintf(want, sizeof want, "%sri.value_text = $3)", exists);
    leaf_is("region__c", "eq", "\"north\"", want, "region__c");
    snprintf(want, sizeof want, "%sri.value_num = ANY($3::numeric[]))", exists);
    leaf_is("size__c", "in", "\"1,2\"", want, "size__c");
    /* ne and nin must keep records without a value: not through the index. */
    leaf_is("size__c", "ne", "3", "(r.data->>'size__c')::numeric IS DISTINCT FROM $2::numeric",
            "3");
    /* Conditions of one and-group on the same field share one EXISTS. */
    rp_query_t q0;
    rp_query_error_t e0;
    assert_int_equal(compile("{\"and\":[{\"field\":\"size__c\",\"op\":\"gte\",\"value\":1},"
                             "{\"field\":\"name\",\"op\":\"eq\",\"value\":\"n\"},"
                             "{\"field\":\"size__c\",\"op\":\"lt\",\"value\":10}]}",
                             NULL, NULL, &q0, &e0),
                     RP_OK);
    snprintf(want, sizeof want,
             "((%sri.value_num >= $3::numeric AND ri.value_num < $4::numeric)) AND "
             "((r.data->>'name') = $5))",
             exists);
    if (strstr(q0.sql, want) == NULL)
        fail_msg("want %s\nin %s", want, q0.sql);
    /* Not across or. */
    assert_int_equal(compile("{\"or\":[{\"field\":\"size__c\",\"op\":\"gte\",\"value\":1},"
                             "{\"field\":\"size__c\",\"op\":\"lt\",\"value\":10}]}",
                             NULL, NULL, &q0, &e0),
                     RP_OK);
    assert_non_null(strstr(strstr(q0.sql, "EXISTS") + 1, "EXISTS"));
    /* A module's indexed field uses its expression index instead. */
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(
        compile("{\"field\":\"email\",\"op\":\"eq\",\"value\":\"a@b.co\"}", NULL, NULL, &q, &err),
        RP_OK);
    assert_null(strstr(q.sql, "record_index"));
}

static void groups_nest(void **state)
{
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(
        compile("{\"and\":[{\"field\":\"qty\",\"op\":\"gt\",\"value\":1},"
                "{\"or\":[{\"field\":\"stage\",\"op\":\"eq\",\"value\":\"won\"},"
                "{\"not\":{\"field\":\"name\",\"op\":\"starts_with\",\"value\":\"x\"}}]}]}",
                NULL, NULL, &q, &err),
        RP_OK);
    assert_non_null(strstr(q.sql, "AND ((((r.data->>'qty')::numeric > $2::numeric) AND "
                                  "((((r.data->>'stage') = $3) OR (NOT ((r.data->>'name') ILIKE "
                                  "$4)))))) ORDER BY"));
    assert_int_equal(q.nparams, 4);
    assert_string_equal(q.params[1], "1");
    assert_string_equal(q.params[2], "won");
    assert_string_equal(q.params[3], "x%");
}

static void sorting(void **state)
{
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(NULL, "-amount,name", NULL, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, "ORDER BY (r.data->'amount'->>'amount')::numeric DESC NULLS "
                                  "LAST, (r.data->>'name') ASC NULLS LAST, r.id ASC LIMIT 51"));
    assert_non_null(strstr(q.sql, ", ((r.data->'amount'->>'amount')::numeric)::text AS _s0, "
                                  "((r.data->>'name'))::text AS _s1 FROM"));
    assert_int_equal(q.nsort, 2);
    assert_string_equal(q.sort_sig, "-amount,name");
    assert_int_equal(compile(NULL, "-created_at", NULL, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, "ORDER BY r.created_at DESC, r.id DESC LIMIT"));
    assert_int_equal(compile(NULL, "-id", NULL, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, "ORDER BY r.id DESC LIMIT"));
    assert_int_equal(q.nsort, 0);
    expect_error(NULL, "nope", NULL, "unknown_field", "nope");
    expect_error(NULL, "name,-name", NULL, "invalid_sort", "name");
}

static void cursor_round_trip(void **state)
{
    rp_query_t q, q2;
    rp_query_error_t err;
    const char *id = "0190a0b0-0000-7000-8000-00000000000a";
    assert_int_equal(compile(NULL, "-amount,name", NULL, &q, &err), RP_OK);
    const char *vals[] = {"100.5", NULL};
    const char *cur = rp_query_cursor_encode(&q, vals, id, &pool);
    assert_non_null(cur);
    assert_null(strchr(cur, '='));
    assert_null(strchr(cur, '+'));
    assert_null(strchr(cur, '/'));
    assert_int_equal(compile(NULL, "-amount,name", cur, &q2, &err), RP_OK);
    /* amount after 100.5 (smaller or null); or equal amount, name null can
     * only be followed by a greater id among null names. */
    assert_non_null(strstr(
        q2.sql, " AND ((((r.data->'amount'->>'amount')::numeric < $2::numeric OR "
                "(r.data->'amount'->>'amount')::numeric IS NULL)) OR "
                "((r.data->'amount'->>'amount')::numeric = $2::numeric AND (r.data->>'name') IS "
                "NULL AND r.id > $3::uuid)) ORDER BY"));
    assert_int_equal(q2.nparams, 3);
    assert_string_equal(q2.params[1], "100.5");
    assert_string_equal(q2.params[2], id);

    /* Uniform directions on non-null keys: one row comparison. */
    assert_int_equal(compile(NULL, "-created_at", NULL, &q, &err), RP_OK);
    const char *v2[] = {"2024-01-01 00:00:00+00"};
    cur = rp_query_cursor_encode(&q, v2, id, &pool);
    assert_int_equal(compile(NULL, "-created_at", cur, &q2, &err), RP_OK);
    assert_non_null(
        strstr(q2.sql, " AND (r.created_at, r.id) < ($2::timestamptz, $3::uuid) ORDER BY"));
    assert_string_equal(q2.params[1], v2[0]);

    /* Default order: by id. */
    assert_int_equal(compile(NULL, NULL, NULL, &q, &err), RP_OK);
    cur = rp_query_cursor_encode(&q, NULL, id, &pool);
    assert_int_equal(compile(NULL, NULL, cur, &q2, &err), RP_OK);
    assert_non_null(strstr(q2.sql, " AND (r.id) > ($2::uuid) ORDER BY r.id ASC"));

    /* A cursor is bound to its sort and must be well formed. */
    expect_error(NULL, "name", cur, "invalid_cursor", "cursor");
    expect_error(NULL, NULL, "not a cursor!", "invalid_cursor", "cursor");
    expect_error(NULL, NULL, "e30", "invalid_cursor", "cursor"); /* {} */
}

static void refusals(void **state)
{
    expect_error("{\"field\":\"nope\",\"op\":\"eq\",\"value\":1}", NULL, NULL, "unknown_field",
                 "nope");
    expect_error("{\"field\":\"qty\",\"op\":\"like\",\"value\":1}", NULL, NULL, "unknown_operator",
                 "like");
    expect_error("{\"field\":\"qty\",\"op\":\"gt\",\"value\":\"ten\"}", NULL, NULL,
                 "invalid_filter", "qty");
    expect_error("{\"field\":\"close\",\"op\":\"gt\",\"value\":\"2024-02-30\"}", NULL, NULL,
                 "invalid_filter", "close");
    expect_error("{\"field\":\"stage\",\"op\":\"eq\",\"value\":\"lost\"}", NULL, NULL,
                 "invalid_filter", "stage");
    expect_error("{\"field\":\"active\",\"op\":\"eq\",\"value\":\"yes\"}", NULL, NULL,
                 "invalid_filter", "active");
    expect_error("{\"field\":\"qty\",\"op\":\"contains\",\"value\":\"1\"}", NULL, NULL,
                 "invalid_filter", "qty");
    expect_error("{\"field\":\"tags\",\"op\":\"gt\",\"value\":\"x\"}", NULL, NULL, "invalid_filter",
                 "tags");
    expect_error("{\"field\":\"qty\",\"op\":\"eq\"}", NULL, NULL, "invalid_filter", "qty");
    expect_error("{\"field\":\"qty\",\"op\":\"in\",\"value\":[]}", NULL, NULL, "invalid_filter",
                 "qty");
    expect_error("{\"and\":[]}", NULL, NULL, "invalid_filter", NULL);
    expect_error("{\"and\":[{\"field\":\"qty\",\"op\":\"eq\",\"value\":1}],\"or\":[]}", NULL, NULL,
                 "invalid_filter", NULL);
    expect_error("[1]", NULL, NULL, "invalid_filter", NULL);
    expect_error("{\"field\":\"qty\",\"op\":\"eq\",\"value\":1,\"x\":2}", NULL, NULL,
                 "invalid_filter", "x");
    expect_error("{\"field\":\"id\",\"op\":\"eq\",\"value\":\"12\"}", NULL, NULL, "invalid_filter",
                 "id");
    /* Nesting and size are bounded. */
    char deep[2048] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "{\"not\":");
    strcat(deep, "{\"field\":\"qty\",\"op\":\"eq\",\"value\":1}");
    for (int i = 0; i < 40; i++)
        strcat(deep, "}");
    expect_error(deep, NULL, NULL, "invalid_filter", "filter");
}

static void limits_and_fields(void **state)
{
    rp_query_t q;
    rp_query_error_t err;
    json_t *lim = json_integer(200);
    json_t *fl = json_string("stage,name,id");
    rp_query_spec_t spec = {.object = &object, .tenant_id = TENANT, .limit = lim, .fields = fl};
    assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_OK);
    assert_int_equal(q.limit, 200);
    assert_non_null(strstr(q.sql, "LIMIT 201"));
    assert_int_equal(q.nfields, 2);
    assert_string_equal(q.fields[0]->name, "name");
    assert_string_equal(q.fields[1]->name, "stage");
    json_decref(lim);
    json_decref(fl);
    static const char *const bad[] = {"0", "201", "-1", "abc", "1e2", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lim = json_string(bad[i]);
        spec.limit = lim;
        spec.fields = NULL;
        assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_EINVAL);
        assert_string_equal(err.code, "invalid_limit");
        json_decref(lim);
    }
    spec.limit = NULL;
    fl = json_pack("[s,s]", "name", "bogus");
    spec.fields = fl;
    assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_EINVAL);
    assert_string_equal(err.code, "unknown_field");
    assert_string_equal(err.name, "bogus");
    json_decref(fl);
}

static void injection_never_reaches_sql(void **state)
{
    static const char *const evil = "x'); DROP TABLE records; --";
    rp_query_t q;
    rp_query_error_t err;
    json_t *f = json_pack("{s:s, s:s, s:s}", "field", "name", "op", "eq", "value", evil);
    rp_query_spec_t spec = {.object = &object, .tenant_id = TENANT, .filter = f};
    assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_OK);
    assert_null(strstr(q.sql, "DROP"));
    assert_string_equal(q.params[1], evil);
    json_decref(f);
    /* As a field name, an operator, a sort key or a selected field. */
    f = json_pack("{s:s, s:s, s:s}", "field", evil, "op", "eq", "value", "1");
    spec.filter = f;
    assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_EINVAL);
    assert_string_equal(err.code, "unknown_field");
    json_decref(f);
    f = json_pack("{s:s, s:s, s:s}", "field", "name", "op", evil, "value", "1");
    spec.filter = f;
    assert_int_equal(rp_query_compile(&spec, &pool, &q, &err), RP_EINVAL);
    assert_string_equal(err.code, "unknown_operator");
    json_decref(f);
    expect_error(NULL, evil, NULL, "unknown_field", NULL);
    /* In a contains pattern and in a list, too. */
    leaf_is("name", "contains", "\"'; DROP TABLE x; --\"", "ILIKE $2", "%'; DROP TABLE x; --%");
    rp_query_error_t e2;
    assert_int_equal(
        compile("{\"field\":\"name\",\"op\":\"in\",\"value\":\"a',b\"}", NULL, NULL, &q, &e2),
        RP_OK);
    assert_null(strstr(q.sql, "a'"));
    /* A cursor with a crafted value only ever becomes a parameter. */
    rp_query_t q0;
    assert_int_equal(compile(NULL, "name", NULL, &q0, &e2), RP_OK);
    const char *vals[] = {evil};
    const char *cur =
        rp_query_cursor_encode(&q0, vals, "0190a0b0-0000-7000-8000-00000000000a", &pool);
    assert_int_equal(compile(NULL, "name", cur, &q, &e2), RP_OK);
    assert_null(strstr(q.sql, "DROP"));
    assert_string_equal(q.params[1], evil);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_filter),
        cmocka_unit_test(typed_comparisons),
        cmocka_unit_test(set_and_text_operators),
        cmocka_unit_test(custom_indexed_fields_use_record_index),
        cmocka_unit_test(groups_nest),
        cmocka_unit_test(sorting),
        cmocka_unit_test(cursor_round_trip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(limits_and_fields),
        cmocka_unit_test(injection_never_reaches_sql),
    };
    return cmocka_run_group_tests_name("records_query", tests, setup, teardown);
}
