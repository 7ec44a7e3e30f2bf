/* Permissions in the query compiler: the caller's read scope becomes a
 * condition on the owner with the caller's id as a parameter, and a field the
 * caller may not read is unknown to filter, sort and fields, and never
 * selected. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "records/crud_internal.h"
#include "records/perm.h"
#include "records/query.h"
#include "records/record.h"

#define TENANT "0190a0b0-0000-7000-8000-000000000001"
#define USER "0190a0b0-0000-7000-8000-0000000000aa"

static const char *const defs[] = {
    "{\"name\":\"name\",\"type\":\"text\",\"required\":true}",
    "{\"name\":\"amount\",\"type\":\"currency\"}",
    "{\"name\":\"secret\",\"type\":\"text\"}",
    "{\"name\":\"region__c\",\"type\":\"text\",\"indexed\":true}",
    "{\"name\":\"stage\",\"type\":\"picklist\",\"values\":[\"open\",\"won\"]}",
};
#define NDEFS (sizeof defs / sizeof defs[0])

static rp_field_t fields[NDEFS];
static rp_object_t object;
static rp_pool_t pool;

/* name edit, amount none, secret none, region__c read, stage edit. */
static const unsigned char hidden[NDEFS] = {RP_FIELD_ACCESS_EDIT, RP_FIELD_ACCESS_NONE,
                                            RP_FIELD_ACCESS_NONE, RP_FIELD_ACCESS_READ,
                                            RP_FIELD_ACCESS_EDIT};

static int setup(void **state)
{
    (void)state;
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
    (void)state;
    for (size_t i = 0; i < NDEFS; i++)
        rp_field_free(&fields[i]);
    rp_pool_clear(&pool);
    return 0;
}

/* Compiles with access a (NULL: none) and the given JSON filter, sort and
 * fields texts (NULL: none). */
static rp_status_t compile(const rp_access_t *a, const char *user, const char *filter,
                           const char *sort, const char *fl, const char *cursor, rp_query_t *q,
                           rp_query_error_t *err)
{
    json_t *f = filter ? json_loads(filter, 0, NULL) : NULL;
    json_t *s = sort ? json_string(sort) : NULL;
    json_t *l = fl ? json_string(fl) : NULL;
    if (filter != NULL)
        assert_non_null(f);
    rp_query_spec_t spec = {.object = &object,
                            .tenant_id = TENANT,
                            .filter = f,
                            .sort = s,
                            .fields = l,
                            .cursor = cursor,
                            .access = a,
                            .user_id = user};
    rp_status_t st = rp_query_compile(&spec, &pool, q, err);
    json_decref(f);
    json_decref(s);
    json_decref(l);
    return st;
}

static bool selected(const rp_query_t *q, const char *name)
{
    for (int i = 0; i < q->nfields; i++)
        if (strcmp(q->fields[i]->name, name) == 0)
            return true;
    return false;
}

static void no_access_means_no_restriction(void **state)
{
    (void)state;
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(NULL, USER, NULL, NULL, NULL, NULL, &q, &err), RP_OK);
    assert_null(strstr(q.sql, "owner_id ="));
    assert_null(strstr(q.sql, "AND false"));
    assert_int_equal(q.nparams, 1);
    assert_int_equal(q.nfields, (int)NDEFS);
    /* Without access every field may be named. */
    assert_int_equal(compile(NULL, NULL, "{\"field\":\"secret\",\"op\":\"eq\",\"value\":\"x\"}",
                             "amount", "secret,amount", NULL, &q, &err),
                     RP_OK);
}

static void scope_all_adds_nothing(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_ALL};
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(&a, USER, NULL, NULL, NULL, NULL, &q, &err), RP_OK);
    assert_null(strstr(q.sql, "owner_id ="));
    assert_null(strstr(q.sql, "team_members"));
    assert_int_equal(q.nparams, 1);
    assert_int_equal(q.nfields, (int)NDEFS);
}

static void scope_own(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_OWN};
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(&a, USER, "{\"field\":\"name\",\"op\":\"eq\",\"value\":\"Ada\"}", NULL,
                             NULL, NULL, &q, &err),
                     RP_OK);
    assert_non_null(strstr(q.sql, "r.owner_id = $2::uuid"));
    assert_null(strstr(q.sql, "team_members"));
    assert_int_equal(q.nparams, 3);
    assert_string_equal(q.params[0], TENANT);
    assert_string_equal(q.params[1], USER);
    /* The filter's value comes after the scope's parameter. */
    assert_string_equal(q.params[2], "Ada");
    assert_non_null(strstr(q.sql, "$3"));
}

static void scope_team(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_TEAM};
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(&a, USER, NULL, NULL, NULL, NULL, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, "r.owner_id = $2::uuid OR r.owner_id IN (SELECT m2.user_id"));
    assert_non_null(strstr(q.sql, "m1.tenant_id = $1::uuid AND m1.user_id = $2::uuid"));
    assert_int_equal(q.nparams, 2);
    assert_string_equal(q.params[1], USER);
}

static void scope_none_and_no_user(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_NONE};
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(&a, USER, NULL, NULL, NULL, NULL, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, " AND false"));
    assert_int_equal(q.nparams, 1);
    /* An own scope with no caller id matches nobody, never everybody. */
    a.read = RP_SCOPE_OWN;
    assert_int_equal(compile(&a, NULL, NULL, NULL, NULL, NULL, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, " AND false"));
    assert_null(strstr(q.sql, "owner_id ="));
}

static void scope_with_cursor(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_OWN};
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(&a, USER, NULL, "name", NULL, NULL, &q, &err), RP_OK);
    const char *vals[] = {"Ada"};
    const char *cur =
        rp_query_cursor_encode(&q, vals, "0190a0b0-0000-7000-8000-0000000000bb", &pool);
    assert_non_null(cur);
    assert_int_equal(compile(&a, USER, NULL, "name", NULL, cur, &q, &err), RP_OK);
    assert_non_null(strstr(q.sql, "r.owner_id = $2::uuid"));
    assert_string_equal(q.params[1], USER);
    assert_string_equal(q.params[2], "Ada");
}

static void expect_unknown(const rp_access_t *a, const char *filter, const char *sort,
                           const char *fl, const char *name)
{
    rp_query_t q;
    rp_query_error_t err;
    assert_int_equal(compile(a, USER, filter, sort, fl, NULL, &q, &err), RP_EINVAL);
    assert_non_null(err.code);
    assert_string_equal(err.code, "unknown_field");
    assert_string_equal(err.name, name);
}

static void hidden_fields_are_unknown(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_ALL, .fields = hidden};
    expect_unknown(&a, "{\"field\":\"secret\",\"op\":\"eq\",\"value\":\"x\"}", NULL, NULL,
                   "secret");
    expect_unknown(&a, "{\"field\":\"secret\",\"op\":\"is_null\",\"value\":true}", NULL, NULL,
                   "secret");
    expect_unknown(&a,
                   "{\"or\":[{\"field\":\"name\",\"op\":\"eq\",\"value\":\"a\"},"
                   "{\"field\":\"amount\",\"op\":\"gt\",\"value\":\"5\"}]}",
                   NULL, NULL, "amount");
    expect_unknown(&a, "{\"field\":\"amount.currency\",\"op\":\"eq\",\"value\":\"EUR\"}", NULL,
                   NULL, "amount.currency");
    expect_unknown(&a, NULL, "-secret", NULL, "secret");
    expect_unknown(&a, NULL, "name,amount", NULL, "amount");
    expect_unknown(&a, NULL, NULL, "name,secret", "secret");
}

static void readable_fields_still_work(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_ALL, .fields = hidden};
    rp_query_t q;
    rp_query_error_t err;
    /* A read-only field filters, sorts and is selected; an indexed custom
     * one still goes through record_index. */
    assert_int_equal(compile(&a, USER,
                             "{\"field\":\"region__c\",\"op\":\"eq\",\"value\":\"north\"}",
                             "region__c", "region__c,name", NULL, &q, &err),
                     RP_OK);
    assert_non_null(strstr(q.sql, "record_index"));
    assert_int_equal(q.nfields, 2);
    /* With no fields= the selection is every readable field and no other. */
    assert_int_equal(compile(&a, USER, NULL, NULL, NULL, NULL, &q, &err), RP_OK);
    assert_int_equal(q.nfields, 3);
    assert_true(selected(&q, "name"));
    assert_true(selected(&q, "region__c"));
    assert_true(selected(&q, "stage"));
    assert_false(selected(&q, "secret"));
    assert_false(selected(&q, "amount"));
    /* System fields are never hidden. */
    assert_int_equal(compile(&a, USER,
                             "{\"field\":\"owner_id\",\"op\":\"is_null\",\"value\":false}",
                             "-created_at", "id,name", NULL, &q, &err),
                     RP_OK);
}

static void perm_helpers(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_ALL};
    assert_true(rp_perm_reads_all(&a, &object));
    assert_int_equal(rp_perm_field(&a, &object, &fields[2]), RP_FIELD_ACCESS_EDIT);
    a.fields = hidden;
    assert_false(rp_perm_reads_all(&a, &object));
    assert_int_equal(rp_perm_field(&a, &object, &fields[2]), RP_FIELD_ACCESS_NONE);
    assert_int_equal(rp_perm_field(&a, &object, &fields[3]), RP_FIELD_ACCESS_READ);
    assert_int_equal(rp_scope_parse("team"), RP_SCOPE_TEAM);
    assert_int_equal(rp_scope_parse("everyone"), -1);
    assert_string_equal(rp_field_access_name(RP_FIELD_ACCESS_READ), "read");
}

static void editable_fields(void **state)
{
    (void)state;
    rp_access_t a = {.create = true, .read = RP_SCOPE_ALL, .fields = hidden};
    rp_crud_fail_t fail = {0};
    json_t *body = json_pack("{s:s, s:s}", "name", "Ada", "stage", "won");
    /* Edit access on every given field, and every field when unrestricted. */
    assert_int_equal(rp_crud_check_editable(&object, &a, body, &fail), RP_OK);
    assert_int_equal(fail.status, 0);
    json_object_set_new(body, "secret", json_string("s"));
    json_object_set_new(body, "region__c", json_string("north"));
    json_object_set_new(body, "nope", json_string("left to validation"));
    rp_access_t all = {.create = true, .read = RP_SCOPE_ALL};
    assert_int_equal(rp_crud_check_editable(&object, &all, body, &fail), RP_OK);
    /* A hidden field and a read-only one are both refused, by name. */
    assert_int_equal(rp_crud_check_editable(&object, &a, body, &fail), RP_EINVAL);
    assert_int_equal(fail.status, 403);
    assert_string_equal(fail.code, "forbidden");
    assert_string_equal(json_string_value(json_object_get(fail.errors, "secret")),
                        "you may not edit this field");
    assert_non_null(json_object_get(fail.errors, "region__c"));
    assert_null(json_object_get(fail.errors, "nope"));
    assert_null(json_object_get(fail.errors, "name"));
    assert_non_null(strstr(fail.detail, "secret"));
    assert_non_null(strstr(fail.detail, "region__c"));
    rp_crud_fail_clear(&fail);
    json_decref(body);
}

static void hiding_renderings(void **state)
{
    (void)state;
    rp_access_t a = {.read = RP_SCOPE_ALL, .fields = hidden};
    json_t *rec = json_pack("{s:s, s:{s:s, s:n, s:s, s:s}}", "id", "x", "fields", "name", "Ada",
                            "amount", "secret", "s", "region__c", "north");
    rp_record_hide(rec, &object, &a);
    json_t *f = json_object_get(rec, "fields");
    assert_non_null(json_object_get(f, "name"));
    assert_non_null(json_object_get(f, "region__c"));
    assert_null(json_object_get(f, "secret"));
    assert_null(json_object_get(f, "amount"));
    json_decref(rec);
    json_t *changes =
        json_pack("{s:{s:n, s:s}, s:{s:s, s:s}, s:{s:n, s:s}}", "secret", "old", "new", "s", "name",
                  "old", "A", "new", "B", "owner_id", "old", "new", "u");
    rp_record_hide_changes(changes, &object, &a);
    assert_null(json_object_get(changes, "secret"));
    assert_non_null(json_object_get(changes, "name"));
    assert_non_null(json_object_get(changes, "owner_id"));
    /* Nothing hidden: nothing removed. */
    rp_access_t all = {.read = RP_SCOPE_ALL};
    json_object_set_new(changes, "secret", json_string("kept"));
    rp_record_hide_changes(changes, &object, &all);
    assert_non_null(json_object_get(changes, "secret"));
    json_decref(changes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_access_means_no_restriction),
        cmocka_unit_test(scope_all_adds_nothing),
        cmocka_unit_test(scope_own),
        cmocka_unit_test(scope_team),
        cmocka_unit_test(scope_none_and_no_user),
        cmocka_unit_test(scope_with_cursor),
        cmocka_unit_test(hidden_fields_are_unknown),
        cmocka_unit_test(readable_fields_still_work),
        cmocka_unit_test(perm_helpers),
        cmocka_unit_test(editable_fields),
        cmocka_unit_test(hiding_renderings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
