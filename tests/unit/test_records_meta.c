/* Manifest parsing, object definitions and snapshot building from module
 * objects and stored definitions, with module objects shared between
 * snapshots and copied on write (no database). */
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
#include "records/manifest.h"
#include "records/meta_internal.h"

#define TENANT "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

static const rp_object_t *find(rp_object_t **objs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(objs[i]->name, name) == 0)
            return objs[i];
    return NULL;
}

/* The objects every snapshot test builds on, as a loaded module would give
 * them (parsed once, shared). */
static rp_meta_module_t crm;

static void fixture_manifest(void **state)
{
    (void)state;
    rp_object_t **objs = NULL;
    int n = 0;
    json_t *errors = json_object();
    assert_int_equal(rp_manifest_parse(fixture_crm_manifest, FIXTURE_CRM, &objs, &n, errors),
                     RP_OK);
    assert_int_equal(json_object_size(errors), 0);
    assert_int_equal(n, 2);
    assert_string_equal(objs[0]->name, "account");
    assert_string_equal(objs[1]->name, "contact");

    const rp_object_t *account = find(objs, n, "account");
    assert_non_null(account);
    assert_false(account->custom);
    assert_string_equal(account->module, FIXTURE_CRM);
    assert_string_equal(account->label, "Account");
    assert_string_equal(account->labels[RP_LOCALE_FR], "Compte");
    assert_string_equal(account->labels[RP_LOCALE_ES], "Cuenta");
    assert_int_equal(account->nfields, 5);
    const rp_field_t *name = rp_meta_field(account, "name");
    assert_non_null(name);
    assert_int_equal(name->type, RP_FIELD_TEXT);
    assert_true(name->required);
    assert_true(name->searchable);
    assert_true(name->indexed);
    const rp_field_t *industry = rp_meta_field(account, "industry");
    assert_int_equal(industry->type, RP_FIELD_PICKLIST);
    assert_true(industry->nvalues >= 10);
    assert_int_equal(rp_meta_field(account, "website")->type, RP_FIELD_URL);
    assert_int_equal(rp_meta_field(account, "phone")->type, RP_FIELD_PHONE);
    assert_int_equal(rp_meta_field(account, "annual_revenue")->type, RP_FIELD_CURRENCY);
    assert_null(rp_meta_field(account, "email"));
    /* Every manifest field is labelled in the three locales. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < objs[i]->nfields; k++)
            for (int l = 0; l < RP_LOCALE_COUNT; l++)
                assert_non_null(objs[i]->fields[k].labels[l]);
    assert_string_equal(rp_meta_field(account, "phone")->labels[RP_LOCALE_FR],
                        "T\xc3\xa9l\xc3\xa9phone");

    const rp_object_t *contact = find(objs, n, "contact");
    assert_int_equal(contact->nfields, 5);
    assert_false(rp_meta_field(contact, "first_name")->required);
    const rp_field_t *last = rp_meta_field(contact, "last_name");
    assert_true(last->required);
    assert_true(last->searchable);
    const rp_field_t *email = rp_meta_field(contact, "email");
    assert_int_equal(email->type, RP_FIELD_EMAIL);
    assert_true(email->indexed);
    assert_true(email->searchable);
    const rp_field_t *acc = rp_meta_field(contact, "account_id");
    assert_int_equal(acc->type, RP_FIELD_REFERENCE);
    assert_string_equal(acc->reference, "account");
    assert_int_equal(acc->on_delete, RP_ON_DELETE_SET_NULL);
    rp_manifest_free(objs, n);
    json_decref(errors);
}

/* Parses text as a manifest and expects it refused with a message under key
 * that contains msg. */
#define BAD_MANIFEST(text, key, msg) bad_manifest(text, key, msg, __LINE__)
static void bad_manifest(const char *text, const char *key, const char *msg, int line)
{
    rp_object_t **objs = (rp_object_t **)1;
    int n = -1;
    json_t *errors = json_object();
    if (rp_manifest_parse(text, "crm", &objs, &n, errors) != RP_EINVAL)
        fail_msg("line %d: manifest accepted: %s", line, text);
    assert_null(objs);
    assert_int_equal(n, 0);
    const char *got = json_string_value(json_object_get(errors, key));
    if (got == NULL || strstr(got, msg) == NULL) {
        char *dump = json_dumps(errors, 0);
        print_error("line %d: errors %s lack %s: %s\n", line, dump, key, msg);
        free(dump);
        fail();
    }
    json_decref(errors);
}

static void manifest_refusals(void **state)
{
    (void)state;
    BAD_MANIFEST("{", "manifest", "is not JSON");
    BAD_MANIFEST("[]", "manifest", "must be a JSON object");
    BAD_MANIFEST("{\"objects\": 3}", "objects", "must be an array");
    BAD_MANIFEST("{\"module\": \"sales\", \"objects\": []}", "module", "does not match");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\"}]}", "objects[0].label", "is required");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal__c\", \"label\": \"D\"}]}", "objects[0].name",
                 "not end in __c");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"Deal\", \"label\": \"D\"}]}", "objects[0].name",
                 "lower-case");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\", \"label\": \"D\", \"colour\": 1}]}",
                 "objects[0].colour", "is not an object option");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\", \"label\": \"D\", \"labels\": "
                 "{\"de\": \"X\"}}]}",
                 "objects[0].labels", "unknown locale");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\", \"label\": \"D\", \"fields\": "
                 "[{\"name\": \"amount\", \"type\": \"money\"}]}]}",
                 "objects[0].fields[0].type", "must be one of");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\", \"label\": \"D\", \"fields\": "
                 "[{\"name\": \"amount__c\", \"type\": \"integer\"}]}]}",
                 "objects[0].fields[0].name", "must not end in __c");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\", \"label\": \"D\", \"fields\": "
                 "[{\"name\": \"a\", \"type\": \"integer\"}, {\"name\": \"a\", \"type\": "
                 "\"text\"}]}]}",
                 "objects[0].fields[1].name", "declared twice");
    BAD_MANIFEST("{\"objects\": [{\"name\": \"deal\", \"label\": \"D\"}, {\"name\": \"deal\", "
                 "\"label\": \"E\"}]}",
                 "objects[1].name", "declared twice");
}

static void object_definitions(void **state)
{
    (void)state;
    json_t *errors = json_object();
    rp_status_t st;
    json_t *def = json_pack("{s:s, s:s, s:{s:s}}", "name", "project__c", "label", "Project",
                            "labels", "fr", "Projet");
    rp_object_t *o = rp_object_parse(def, true, NULL, errors, &st);
    assert_int_equal(st, RP_OK);
    assert_non_null(o);
    assert_true(o->custom);
    assert_null(o->module);
    assert_string_equal(o->label, "Project");
    assert_string_equal(o->labels[RP_LOCALE_FR], "Projet");
    assert_null(o->labels[RP_LOCALE_ES]);
    json_t *out = json_object();
    assert_int_equal(rp_object_labels_json(o, out), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "labels"), "fr")),
                        "Projet");
    json_decref(out);
    rp_object_free(o);
    json_decref(def);

    /* A custom object needs a custom name, and a label. */
    def = json_pack("{s:s}", "name", "project");
    assert_null(rp_object_parse(def, true, NULL, errors, &st));
    assert_int_equal(st, RP_EINVAL);
    assert_non_null(strstr(json_string_value(json_object_get(errors, "name")), "end in __c"));
    assert_non_null(json_object_get(errors, "label"));
    json_decref(def);
    json_object_clear(errors);
    def = json_pack("{s:s, s:s}", "name", "project__c", "label", "");
    assert_null(rp_object_parse(def, true, NULL, errors, &st));
    assert_non_null(json_object_get(errors, "label"));
    json_decref(def);
    json_object_clear(errors);
    def = json_pack("{s:i, s:s, s:i}", "name", 3, "label", "x", "labels", 4);
    assert_null(rp_object_parse(def, true, NULL, errors, &st));
    assert_non_null(json_object_get(errors, "name"));
    assert_non_null(json_object_get(errors, "labels"));
    json_decref(def);
    json_decref(errors);
}

static rp_meta_t *build(const rp_meta_def_row_t *objs, int no, const rp_meta_def_row_t *fields,
                        int nf)
{
    rp_meta_t *m = NULL;
    assert_int_equal(rp_meta_build_with(7, TENANT, &crm, 1, objs, no, fields, nf, &m), RP_OK);
    assert_non_null(m);
    return m;
}

static void snapshot_manifest_only(void **state)
{
    (void)state;
    rp_meta_t *m = build(NULL, 0, NULL, 0);
    assert_int_equal(rp_meta_version(m), 7);
    const rp_object_t *const *objs;
    assert_int_equal(rp_meta_objects(m, &objs), 2);
    assert_string_equal(objs[0]->name, "account");
    assert_ptr_equal(rp_meta_object(m, "contact"), objs[1]);
    assert_null(rp_meta_object(m, "lead"));
    assert_null(rp_meta_object(m, NULL));
    assert_non_null(rp_meta_field(rp_meta_object(m, "account"), "name"));
    rp_meta_unref(m);
}

static void snapshot_with_custom_metadata(void **state)
{
    (void)state;
    /* Stored out of order: custom objects come back sorted by name, after
     * the module objects. */
    const rp_meta_def_row_t objs[] = {
        {NULL, "zeta__c", "{\"name\": \"zeta__c\", \"label\": \"Zeta\"}"},
        {NULL, "project__c",
         "{\"name\": \"project__c\", \"label\": \"Project\", \"labels\": {\"es\": "
         "\"Proyecto\"}}"},
        /* Each of these is logged and skipped. */
        {NULL, "broken__c", "{not json"},
        {NULL, "plain", "{\"name\": \"plain\", \"label\": \"Plain\"}"},
        {NULL, "other__c", "{\"name\": \"mismatch__c\", \"label\": \"M\"}"},
        {NULL, "account__c", "{\"name\": \"account__c\"}"},
    };
    const rp_meta_def_row_t fields[] = {
        {"account", "tier__c",
         "{\"name\": \"tier__c\", \"type\": \"picklist\", \"values\": [\"gold\", \"silver\"]}"},
        {"account", "score__c", "{\"name\": \"score__c\", \"type\": \"integer\", \"min\": 0}"},
        {"project__c", "budget__c", "{\"name\": \"budget__c\", \"type\": \"decimal\"}"},
        {"project__c", "account__c",
         "{\"name\": \"account__c\", \"type\": \"reference\", \"reference\": \"account\"}"},
        /* Skipped: no such object, a type that no longer exists, a standard
         * name, a duplicate, a name that differs from its row, not JSON. */
        {"ghost__c", "x__c", "{\"name\": \"x__c\", \"type\": \"text\"}"},
        {"account", "old__c", "{\"name\": \"old__c\", \"type\": \"hologram\"}"},
        {"account", "name", "{\"name\": \"name\", \"type\": \"text\"}"},
        {"account", "tier__c", "{\"name\": \"tier__c\", \"type\": \"text\"}"},
        {"contact", "a__c", "{\"name\": \"b__c\", \"type\": \"text\"}"},
        {"contact", "c__c", "]"},
    };
    rp_meta_t *m = build(objs, (int)(sizeof objs / sizeof objs[0]), fields,
                         (int)(sizeof fields / sizeof fields[0]));
    const rp_object_t *const *list;
    int n = rp_meta_objects(m, &list);
    assert_int_equal(n, 4);
    assert_string_equal(list[0]->name, "account");
    assert_string_equal(list[1]->name, "contact");
    assert_string_equal(list[2]->name, "project__c");
    assert_string_equal(list[3]->name, "zeta__c");
    assert_true(list[2]->custom);
    assert_null(list[2]->module);
    assert_string_equal(list[2]->labels[RP_LOCALE_ES], "Proyecto");

    const rp_object_t *account = rp_meta_object(m, "account");
    assert_int_equal(account->nfields, 7);
    /* Custom fields follow the module's, in stored order. */
    assert_string_equal(account->fields[5].name, "tier__c");
    assert_string_equal(account->fields[6].name, "score__c");
    assert_int_equal(rp_meta_field(account, "tier__c")->type, RP_FIELD_PICKLIST);
    assert_null(rp_meta_field(account, "old__c"));
    assert_int_equal(rp_meta_field(account, "name")->type, RP_FIELD_TEXT);
    assert_true(rp_meta_field(account, "name")->required);
    assert_int_equal(rp_meta_object(m, "contact")->nfields, 5);

    const rp_object_t *project = rp_meta_object(m, "project__c");
    assert_int_equal(project->nfields, 2);
    assert_string_equal(rp_meta_field(project, "account__c")->reference, "account");
    assert_int_equal(rp_meta_object(m, "zeta__c")->nfields, 0);
    assert_null(rp_meta_object(m, "plain"));
    assert_null(rp_meta_object(m, "broken__c"));
    assert_null(rp_meta_object(m, "mismatch__c"));
    assert_null(rp_meta_object(m, "account__c"));

    /* Shared between holders; the last release frees it (ASan checks). */
    rp_meta_ref(m);
    rp_meta_unref(m);
    assert_non_null(rp_meta_object(m, "account"));
    rp_meta_unref(m);
}

/* Without modules a snapshot holds the tenant's own objects only: the core
 * has none. */
static void snapshot_without_modules(void **state)
{
    (void)state;
    const rp_meta_def_row_t objs[] = {
        {NULL, "project__c", "{\"name\": \"project__c\", \"label\": \"P\"}"}};
    const rp_meta_def_row_t fields[] = {
        {"account", "tier__c", "{\"name\": \"tier__c\", \"type\": \"text\"}"}};
    rp_meta_t *m = NULL;
    assert_int_equal(rp_meta_build(3, TENANT, NULL, 0, NULL, 0, &m), RP_OK);
    const rp_object_t *const *list;
    assert_int_equal(rp_meta_objects(m, &list), 0);
    assert_null(rp_meta_object(m, "account"));
    rp_meta_unref(m);
    assert_int_equal(rp_meta_build(3, TENANT, objs, 1, fields, 1, &m), RP_OK);
    assert_int_equal(rp_meta_objects(m, &list), 1);
    assert_string_equal(list[0]->name, "project__c");
    rp_meta_unref(m);
}

/* Module objects are shared by pointer between snapshots; a tenant's
 * custom field makes its snapshot copy that one object (copy on write),
 * and neither the module's object nor another tenant's snapshot sees the
 * field. Freeing snapshots never frees a shared object (ASan checks). */
static void module_objects_shared_copy_on_write(void **state)
{
    (void)state;
    const rp_meta_def_row_t fields_a[] = {
        {"account", "tier__c",
         "{\"name\": \"tier__c\", \"type\": \"picklist\", \"values\": [\"gold\", \"silver\"],"
         " \"required\": true}"},
        {"account", "code__c",
         "{\"name\": \"code__c\", \"type\": \"text\", \"pattern\": \"[A-Z]{2}-[0-9]+\"}"}};
    const rp_object_t *shared_account = crm.objects[0], *shared_contact = crm.objects[1];
    rp_meta_t *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(rp_meta_build_with(1, TENANT, &crm, 1, NULL, 0, fields_a, 2, &a), RP_OK);
    assert_int_equal(rp_meta_build_with(1, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a6b", &crm, 1, NULL, 0,
                                        NULL, 0, &b),
                     RP_OK);
    /* Tenant B shares both module objects with the registry. */
    assert_ptr_equal(rp_meta_object(b, "account"), shared_account);
    assert_ptr_equal(rp_meta_object(b, "contact"), shared_contact);
    /* Tenant A shares contact and has its own copy of account. */
    assert_ptr_equal(rp_meta_object(a, "contact"), shared_contact);
    const rp_object_t *acc_a = rp_meta_object(a, "account");
    assert_ptr_not_equal(acc_a, shared_account);
    assert_int_equal(acc_a->nfields, shared_account->nfields + 2);
    assert_string_equal(acc_a->fields[shared_account->nfields].name, "tier__c");
    assert_true(rp_meta_field(acc_a, "tier__c")->required);
    /* Its own fields work like any other: the pattern checks values. */
    json_t *canon = NULL, *good = json_string("AB-12"), *bad = json_string("ab");
    char why[160];
    assert_int_equal(
        rp_field_normalize(rp_meta_field(acc_a, "code__c"), good, &canon, why, sizeof why), RP_OK);
    json_decref(canon);
    assert_int_equal(
        rp_field_normalize(rp_meta_field(acc_a, "code__c"), bad, &canon, why, sizeof why),
        RP_EINVAL);
    json_decref(good);
    json_decref(bad);
    assert_null(rp_meta_field(rp_meta_object(b, "account"), "tier__c"));
    assert_null(rp_meta_field(shared_account, "tier__c"));
    /* The copy is a faithful one: same names, types, labels and options. */
    assert_string_equal(acc_a->module, FIXTURE_CRM);
    assert_string_equal(acc_a->labels[RP_LOCALE_FR], "Compte");
    for (int i = 0; i < shared_account->nfields; i++) {
        const rp_field_t *x = &shared_account->fields[i], *y = &acc_a->fields[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->required, y->required);
        assert_int_equal(x->nvalues, y->nvalues);
        json_t *dx = rp_field_describe(x), *dy = rp_field_describe(y);
        assert_true(json_equal(dx, dy));
        json_decref(dx);
        json_decref(dy);
    }
    assert_ptr_not_equal(rp_meta_field(acc_a, "industry")->values,
                         rp_meta_field(shared_account, "industry")->values);
    /* A second module naming an object already there is left out. */
    rp_meta_module_t twice[2] = {crm, crm};
    twice[1].name = "other";
    assert_int_equal(rp_meta_build_with(1, TENANT, twice, 2, NULL, 0, NULL, 0, &c), RP_OK);
    const rp_object_t *const *list;
    assert_int_equal(rp_meta_objects(c, &list), 2);
    rp_meta_unref(c);
    rp_meta_unref(a);
    rp_meta_unref(b);
    /* The module's objects outlive every snapshot, unchanged. */
    assert_int_equal(shared_account->nfields, 5);
    assert_string_equal(shared_account->name, "account");
    assert_non_null(rp_meta_field(shared_contact, "email"));
}

/* The module's objects, loaded once for every snapshot test. */
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

static void object_field_limit(void **state)
{
    (void)state;
    rp_object_t *o = calloc(1, sizeof *o);
    assert_non_null(o);
    for (int i = 0; i <= RP_META_FIELDS_MAX; i++) {
        rp_field_t f;
        json_t *def = json_pack("{s:s, s:s}", "name", "f", "type", "text");
        assert_int_equal(rp_field_parse(def, &f, NULL), RP_OK);
        json_decref(def);
        rp_status_t st = rp_object_add_field(o, &f);
        if (i < RP_META_FIELDS_MAX) {
            assert_int_equal(st, RP_OK);
        } else {
            assert_int_equal(st, RP_ELIMIT);
            rp_field_free(&f);
        }
    }
    assert_int_equal(o->nfields, RP_META_FIELDS_MAX);
    rp_object_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixture_manifest),
        cmocka_unit_test(manifest_refusals),
        cmocka_unit_test(object_definitions),
        cmocka_unit_test(snapshot_manifest_only),
        cmocka_unit_test(snapshot_with_custom_metadata),
        cmocka_unit_test(snapshot_without_modules),
        cmocka_unit_test(module_objects_shared_copy_on_write),
        cmocka_unit_test(object_field_limit),
    };
    return cmocka_run_group_tests_name("records_meta", tests, load_crm, free_crm);
}
