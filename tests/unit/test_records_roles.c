/* Role documents: checking a definition for the API, compiling it against a
 * tenant's objects, the snapshot's stored roles and what rp_perm_access
 * gives a caller from them (no database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_crm.h"
#include "records/meta_internal.h"
#include "records/perm.h"
#include "records/role_doc.h"

#define TENANT "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
#define USER_ID "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60"

/* The objects of the fixture module (loaded once for the group). */
static rp_meta_module_t crm;

/* The fixture's objects plus a custom field secret__c on account and a custom
 * object project__c. */
static rp_meta_t *snapshot(const rp_meta_role_row_t *roles, int nroles)
{
    static const rp_meta_def_row_t objs[] = {
        {NULL, "project__c", "{\"name\":\"project__c\",\"label\":\"Project\"}"}};
    static const rp_meta_def_row_t fields[] = {
        {"account", "secret__c", "{\"name\":\"secret__c\",\"type\":\"text\",\"label\":\"S\"}"}};
    rp_meta_t *m = NULL;
    assert_int_equal(rp_meta_build_with(1, TENANT, &crm, 1, objs, 1, fields, 1, &m), RP_OK);
    assert_int_equal(rp_meta_build_roles(m, roles, nroles), RP_OK);
    return m;
}

static const rp_object_t *object(const rp_meta_t *m, const char *name)
{
    const rp_object_t *o = rp_meta_object(m, name);
    assert_non_null(o);
    return o;
}

static const rp_field_t *field(const rp_object_t *o, const char *name)
{
    const rp_field_t *f = rp_meta_field(o, name);
    assert_non_null(f);
    return f;
}

/* Checks text (a JSON "objects" map) strictly against the snapshot's
 * objects; returns the status and leaves the errors in *errors. */
static rp_status_t check(const rp_meta_t *m, const char *text, json_t **errors)
{
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    *errors = json_object();
    rp_status_t st = rp_role_doc_check(doc, objs, n, true, *errors);
    json_decref(doc);
    return st;
}

static void names(void **state)
{
    (void)state;
    assert_true(rp_role_name_valid("sales_rep"));
    assert_true(rp_role_name_valid("a"));
    assert_true(rp_role_name_valid("r2d2"));
    char longest[RP_ROLE_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[RP_ROLE_NAME_MAX] = '\0';
    assert_true(rp_role_name_valid(longest));
    longest[RP_ROLE_NAME_MAX] = 'a';
    longest[RP_ROLE_NAME_MAX + 1] = '\0';
    assert_false(rp_role_name_valid(longest));
    assert_false(rp_role_name_valid(""));
    assert_false(rp_role_name_valid(NULL));
    assert_false(rp_role_name_valid("Sales"));
    assert_false(rp_role_name_valid("1abc"));
    assert_false(rp_role_name_valid("_abc"));
    assert_false(rp_role_name_valid("sales-rep"));
    assert_false(rp_role_name_valid("sales rep"));
    assert_true(rp_role_is_builtin("admin"));
    assert_true(rp_role_is_builtin("manager"));
    assert_true(rp_role_is_builtin("user"));
    assert_true(rp_role_is_builtin("readonly"));
    assert_false(rp_role_is_builtin("sales_rep"));
    assert_false(rp_role_is_builtin(NULL));
}

static void check_valid(void **state)
{
    (void)state;
    rp_meta_t *m = snapshot(NULL, 0);
    json_t *errors = NULL;
    assert_int_equal(check(m,
                           "{\"account\":{\"create\":true,\"read\":\"all\",\"update\":\"own\","
                           "\"delete\":\"none\",\"fields\":{\"annual_revenue\":\"read\","
                           "\"secret__c\":\"none\"}},"
                           "\"project__c\":{\"read\":\"team\"},"
                           "\"*\":{\"create\":false,\"read\":\"team\"}}",
                           &errors),
                     RP_OK);
    assert_int_equal(json_object_size(errors), 0);
    json_decref(errors);
    assert_int_equal(check(m, "{}", &errors), RP_OK);
    json_decref(errors);
    assert_int_equal(rp_role_doc_check(NULL, NULL, 0, true, NULL), RP_OK);
    rp_meta_unref(m);
}

static void check_errors(void **state)
{
    (void)state;
    rp_meta_t *m = snapshot(NULL, 0);
    json_t *errors = NULL;
    assert_int_equal(check(m,
                           "{\"nope\":{\"read\":\"all\"},"
                           "\"account\":{\"read\":\"everything\",\"update\":3,\"create\":\"yes\","
                           "\"delete\":\"own\",\"share\":true,"
                           "\"fields\":{\"ghost\":\"read\",\"name\":\"write\"}},"
                           "\"contact\":[],"
                           "\"*\":{\"fields\":{\"name\":\"read\"}}}",
                           &errors),
                     RP_EINVAL);
    static const char *const keys[] = {
        "objects.nope",
        "objects.account.read",
        "objects.account.update",
        "objects.account.create",
        "objects.account.share",
        "objects.account.fields.ghost",
        "objects.account.fields.name",
        "objects.contact",
        "objects.*.fields",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (json_object_get(errors, keys[i]) == NULL)
            fail_msg("no error for %s in %s", keys[i], json_dumps(errors, 0));
    }
    assert_int_equal(json_object_size(errors), sizeof keys / sizeof keys[0]);
    assert_string_equal(json_string_value(json_object_get(errors, "objects.account.read")),
                        "must be one of none, own, team, all");
    assert_null(json_object_get(errors, "objects.account.delete"));
    json_decref(errors);

    /* The whole map has to be an object. */
    assert_int_equal(check(m, "[1]", &errors), RP_EINVAL);
    assert_non_null(json_object_get(errors, "objects"));
    json_decref(errors);
    assert_int_equal(check(m, "{\"account\":{\"fields\":[\"name\"]}}", &errors), RP_EINVAL);
    assert_non_null(json_object_get(errors, "objects.account.fields"));
    json_decref(errors);

    /* Leniently, only names that are gone are tolerated. */
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    json_t *doc = json_loads("{\"gone__c\":{\"read\":\"all\"},\"account\":{\"fields\":"
                             "{\"gone__c\":\"read\"}}}",
                             0, NULL);
    errors = json_object();
    assert_int_equal(rp_role_doc_check(doc, objs, n, false, errors), RP_OK);
    assert_int_equal(json_object_size(errors), 2);
    assert_int_equal(rp_role_doc_check(doc, objs, n, true, errors), RP_EINVAL);
    json_decref(doc);
    doc = json_loads("{\"account\":{\"read\":\"most\"}}", 0, NULL);
    assert_int_equal(rp_role_doc_check(doc, objs, n, false, errors), RP_EINVAL);
    json_decref(doc);
    json_decref(errors);
    rp_meta_unref(m);
}

static void compile_defaults_and_star(void **state)
{
    (void)state;
    rp_meta_t *m = snapshot(NULL, 0);
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    json_t *doc = json_loads("{\"account\":{\"read\":\"own\"},"
                             "\"*\":{\"create\":true,\"read\":\"team\",\"update\":\"team\"}}",
                             0, NULL);
    rp_role_def_t *r = NULL;
    assert_int_equal(rp_role_doc_compile("rep", RP_ROLE_USER, doc, objs, n, NULL, &r), RP_OK);
    assert_string_equal(r->name, "rep");
    assert_int_equal(r->base, RP_ROLE_USER);
    assert_int_equal(r->nobjects, n);
    for (int i = 0; i < n; i++) {
        rp_access_t a;
        rp_role_def_access(r, i, &a);
        assert_null(a.fields);
        if (strcmp(objs[i]->name, "account") == 0) {
            /* Named: the members it leaves out are false / none, not "*"'s. */
            assert_false(a.create);
            assert_int_equal(a.read, RP_SCOPE_OWN);
            assert_int_equal(a.update, RP_SCOPE_NONE);
            assert_int_equal(a.remove, RP_SCOPE_NONE);
        } else {
            assert_true(a.create);
            assert_int_equal(a.read, RP_SCOPE_TEAM);
            assert_int_equal(a.update, RP_SCOPE_TEAM);
            assert_int_equal(a.remove, RP_SCOPE_NONE);
        }
    }
    rp_access_t a = {.create = true};
    rp_role_def_access(r, n, &a); /* out of range: nothing */
    assert_false(a.create);
    rp_role_def_free(r);
    json_decref(doc);

    /* No "*": objects it does not name give nothing. */
    doc = json_loads("{\"contact\":{\"create\":true,\"read\":\"all\"}}", 0, NULL);
    assert_int_equal(rp_role_doc_compile("c", RP_ROLE_MANAGER, doc, objs, n, NULL, &r), RP_OK);
    for (int i = 0; i < n; i++) {
        rp_role_def_access(r, i, &a);
        bool contact = strcmp(objs[i]->name, "contact") == 0;
        assert_int_equal(a.create, contact);
        assert_int_equal(a.read, contact ? RP_SCOPE_ALL : RP_SCOPE_NONE);
    }
    rp_role_def_free(r);
    json_decref(doc);

    /* No document at all: no rights anywhere. */
    assert_int_equal(rp_role_doc_compile("empty", RP_ROLE_USER, NULL, objs, n, NULL, &r), RP_OK);
    rp_role_def_access(r, 0, &a);
    assert_false(a.create);
    assert_int_equal(a.read, RP_SCOPE_NONE);
    rp_role_def_free(r);
    rp_meta_unref(m);
}

static void compile_fields(void **state)
{
    (void)state;
    rp_meta_t *m = snapshot(NULL, 0);
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    const rp_object_t *account = object(m, "account");
    int ai = -1;
    for (int i = 0; i < n; i++)
        if (objs[i] == account)
            ai = i;
    assert_true(ai >= 0);
    json_t *doc = json_loads("{\"account\":{\"read\":\"all\",\"update\":\"all\",\"fields\":"
                             "{\"annual_revenue\":\"read\",\"secret__c\":\"none\","
                             "\"gone__c\":\"none\",\"website\":\"edit\"}}}",
                             0, NULL);
    json_t *skipped = json_object();
    rp_role_def_t *r = NULL;
    assert_int_equal(rp_role_doc_compile("rep", RP_ROLE_USER, doc, objs, n, skipped, &r), RP_OK);
    assert_non_null(json_object_get(skipped, "objects.account.fields.gone__c"));
    assert_int_equal(json_object_size(skipped), 1);
    rp_access_t a;
    rp_role_def_access(r, ai, &a);
    assert_non_null(a.fields);
    /* In o->fields order, one entry per field. */
    for (int i = 0; i < account->nfields; i++) {
        const char *fname = account->fields[i].name;
        int want = strcmp(fname, "annual_revenue") == 0 ? RP_FIELD_ACCESS_READ
                   : strcmp(fname, "secret__c") == 0    ? RP_FIELD_ACCESS_NONE
                                                        : RP_FIELD_ACCESS_EDIT;
        assert_int_equal(a.fields[i], want);
    }
    assert_int_equal(rp_perm_field(&a, account, field(account, "annual_revenue")),
                     RP_FIELD_ACCESS_READ);
    assert_int_equal(rp_perm_field(&a, account, field(account, "secret__c")), RP_FIELD_ACCESS_NONE);
    assert_int_equal(rp_perm_field(&a, account, field(account, "name")), RP_FIELD_ACCESS_EDIT);
    assert_false(rp_perm_reads_all(&a, account));
    rp_role_def_free(r);
    json_decref(doc);
    json_decref(skipped);

    /* Fields all left at edit: nothing to narrow, no array. */
    doc = json_loads("{\"account\":{\"read\":\"all\",\"fields\":{\"name\":\"edit\"}}}", 0, NULL);
    assert_int_equal(rp_role_doc_compile("rep", RP_ROLE_USER, doc, objs, n, NULL, &r), RP_OK);
    rp_role_def_access(r, ai, &a);
    assert_null(a.fields);
    assert_true(rp_perm_reads_all(&a, account));
    rp_role_def_free(r);
    json_decref(doc);

    /* A broken entry (a bad scope in a stored row) gives nothing. */
    doc = json_loads("{\"account\":{\"create\":true,\"read\":\"most\"},\"*\":{\"read\":\"all\"}}",
                     0, NULL);
    skipped = json_object();
    assert_int_equal(rp_role_doc_compile("rep", RP_ROLE_USER, doc, objs, n, skipped, &r), RP_OK);
    rp_role_def_access(r, ai, &a);
    assert_false(a.create);
    assert_int_equal(a.read, RP_SCOPE_NONE);
    assert_non_null(json_object_get(skipped, "objects.account.read"));
    rp_role_def_free(r);
    json_decref(doc);
    json_decref(skipped);
    rp_meta_unref(m);
}

static void normalize_and_builtins(void **state)
{
    (void)state;
    json_t *doc = json_loads("{\"account\":{\"read\":\"own\",\"fields\":{\"name\":\"read\"}},"
                             "\"*\":{\"create\":true}}",
                             0, NULL);
    json_t *n = rp_role_doc_normalize(doc);
    json_t *want = json_loads("{\"account\":{\"create\":false,\"read\":\"own\",\"update\":\"none\","
                              "\"delete\":\"none\",\"fields\":{\"name\":\"read\"}},"
                              "\"*\":{\"create\":true,\"read\":\"none\",\"update\":\"none\","
                              "\"delete\":\"none\"}}",
                              0, NULL);
    assert_true(json_equal(n, want));
    json_decref(n);
    json_decref(want);
    json_decref(doc);
    n = rp_role_doc_normalize(NULL);
    assert_int_equal(json_object_size(n), 0);
    json_decref(n);

    n = rp_role_doc_builtin(RP_ROLE_READONLY);
    want = json_loads("{\"*\":{\"create\":false,\"read\":\"all\",\"update\":\"none\","
                      "\"delete\":\"none\"}}",
                      0, NULL);
    assert_true(json_equal(n, want));
    json_decref(n);
    json_decref(want);
    n = rp_role_doc_builtin(RP_ROLE_USER);
    want = json_loads("{\"*\":{\"create\":true,\"read\":\"all\",\"update\":\"all\","
                      "\"delete\":\"all\"}}",
                      0, NULL);
    assert_true(json_equal(n, want));
    json_decref(n);
    n = rp_role_doc_builtin(RP_ROLE_ADMIN);
    assert_true(json_equal(n, want));
    json_decref(n);
    json_decref(want);
    assert_string_equal(rp_role_builtin_label(RP_ROLE_READONLY), "Read-only");
    assert_string_equal(rp_role_builtin_label(RP_ROLE_ADMIN), "Administrator");
}

static void caller(rp_ctx_t *ctx, rp_role_t rank, const char *access_role)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->principal.authenticated = true;
    ctx->principal.role = rank;
    snprintf(ctx->principal.tenant_id, sizeof ctx->principal.tenant_id, "%s", TENANT);
    snprintf(ctx->principal.user_id, sizeof ctx->principal.user_id, "%s", USER_ID);
    snprintf(ctx->principal.access_role, sizeof ctx->principal.access_role, "%s",
             access_role ? access_role : "");
}

static void snapshot_roles(void **state)
{
    (void)state;
    static const rp_meta_role_row_t rows[] = {
        {"sales_rep", "user",
         "{\"objects\":{\"account\":{\"create\":true,\"read\":\"team\",\"update\":\"own\","
         "\"fields\":{\"annual_revenue\":\"read\",\"gone__c\":\"edit\"}},"
         "\"gone__c\":{\"read\":\"all\"}}}"},
        {"user", "user", "{\"objects\":{\"*\":{\"read\":\"own\"}}}"},
        {"broken", "user", "not json"},
        {"BAD NAME", "user", "{\"objects\":{}}"},
        {"adminish", "admin", "{\"objects\":{}}"},
    };
    rp_meta_t *m = snapshot(rows, 5);
    assert_int_equal(m->nroles, 3); /* the bad name and the admin base are skipped */
    const rp_object_t *account = object(m, "account"), *contact = object(m, "contact");
    rp_access_t a;
    assert_true(rp_meta_role_access(m, "sales_rep", account, &a));
    assert_true(a.create);
    assert_int_equal(a.read, RP_SCOPE_TEAM);
    assert_int_equal(a.update, RP_SCOPE_OWN);
    assert_int_equal(rp_perm_field(&a, account, field(account, "annual_revenue")),
                     RP_FIELD_ACCESS_READ);
    assert_true(rp_meta_role_access(m, "sales_rep", contact, &a));
    assert_int_equal(a.read, RP_SCOPE_NONE);
    assert_false(rp_meta_role_access(m, "nobody", account, &a));
    assert_false(rp_meta_role_access(m, "manager", account, &a));
    assert_true(rp_meta_role_access(m, "broken", account, &a));
    assert_int_equal(a.read, RP_SCOPE_NONE);

    rp_ctx_t ctx;
    /* A custom role. */
    caller(&ctx, RP_ROLE_USER, "sales_rep");
    rp_perm_access(&ctx, m, account, &a);
    assert_true(a.create);
    assert_int_equal(a.read, RP_SCOPE_TEAM);
    assert_int_equal(a.remove, RP_SCOPE_NONE);
    /* The same role with a readonly rank never writes. */
    caller(&ctx, RP_ROLE_READONLY, "sales_rep");
    rp_perm_access(&ctx, m, account, &a);
    assert_false(a.create);
    assert_int_equal(a.read, RP_SCOPE_TEAM);
    assert_int_equal(a.update, RP_SCOPE_NONE);
    /* A custom role that is gone: nothing. */
    caller(&ctx, RP_ROLE_READONLY, "deleted_role");
    rp_perm_access(&ctx, m, account, &a);
    assert_int_equal(a.read, RP_SCOPE_NONE);
    /* The overridden built-in user, and the untouched manager. */
    caller(&ctx, RP_ROLE_USER, NULL);
    rp_perm_access(&ctx, m, contact, &a);
    assert_false(a.create);
    assert_int_equal(a.read, RP_SCOPE_OWN);
    caller(&ctx, RP_ROLE_MANAGER, NULL);
    rp_perm_access(&ctx, m, contact, &a);
    assert_true(a.create);
    assert_int_equal(a.remove, RP_SCOPE_ALL);
    /* Admins: everything, whatever is stored. */
    caller(&ctx, RP_ROLE_ADMIN, "sales_rep");
    rp_perm_access(&ctx, m, account, &a);
    assert_int_equal(a.update, RP_SCOPE_ALL);
    assert_null(a.fields);
    rp_meta_unref(m);
}

static int load_crm(void **state)
{
    (void)state;
    crm = fixture_crm_load();
    return 0;
}

static int free_crm(void **state)
{
    (void)state;
    fixture_crm_free(&crm);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),          cmocka_unit_test(check_valid),
        cmocka_unit_test(check_errors),   cmocka_unit_test(compile_defaults_and_star),
        cmocka_unit_test(compile_fields), cmocka_unit_test(normalize_and_builtins),
        cmocka_unit_test(snapshot_roles),
    };
    return cmocka_run_group_tests_name("records_roles", tests, load_crm, free_crm);
}
