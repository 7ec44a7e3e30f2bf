/* The OpenAPI document built from a module's objects plus a custom object
 * holding one field of every type: structure, references, operation ids,
 * path parameters and the schema of each field type. */
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
#include "records/openapi.h"

static const char custom_def[] = "{\"name\": \"project_task__c\", \"label\": \"Project task\"}";

static const char custom_fields[] =
    "["
    "{\"name\": \"t__c\", \"type\": \"text\", \"label\": \"Title\", \"help\": \"Short\","
    " \"required\": true, \"max_length\": 80, \"pattern\": \"[A-Z].*\"},"
    "{\"name\": \"ta__c\", \"type\": \"textarea\"},"
    "{\"name\": \"em__c\", \"type\": \"email\"},"
    "{\"name\": \"ph__c\", \"type\": \"phone\"},"
    "{\"name\": \"u__c\", \"type\": \"url\"},"
    "{\"name\": \"i__c\", \"type\": \"integer\", \"min\": 1, \"max\": 9},"
    "{\"name\": \"d__c\", \"type\": \"decimal\"},"
    "{\"name\": \"pc__c\", \"type\": \"percent\"},"
    "{\"name\": \"cu__c\", \"type\": \"currency\"},"
    "{\"name\": \"b__c\", \"type\": \"boolean\"},"
    "{\"name\": \"da__c\", \"type\": \"date\"},"
    "{\"name\": \"dt__c\", \"type\": \"datetime\"},"
    "{\"name\": \"pk__c\", \"type\": \"picklist\", \"values\": [\"a\", \"b\"]},"
    "{\"name\": \"mp__c\", \"type\": \"multipicklist\", \"values\": [\"x\", \"y\", \"z\"]},"
    "{\"name\": \"r__c\", \"type\": \"reference\", \"reference\": \"account\"},"
    "{\"name\": \"an__c\", \"type\": \"autonumber\", \"format\": \"T-{0000}\"}"
    "]";

typedef struct fixture {
    rp_object_t **core;
    int ncore;
    rp_object_t *custom;
    const rp_object_t **all;
    int nall;
    json_t *doc;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_int_equal(
        rp_manifest_parse(fixture_crm_manifest, FIXTURE_CRM, &fx->core, &fx->ncore, NULL), RP_OK);
    json_t *def = json_loads(custom_def, 0, NULL);
    rp_status_t st = RP_OK;
    fx->custom = rp_object_parse(def, true, NULL, NULL, &st);
    json_decref(def);
    assert_non_null(fx->custom);
    json_t *fields = json_loads(custom_fields, 0, NULL);
    assert_non_null(fields);
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        rp_field_t field;
        json_t *errors = json_object();
        if (rp_field_parse(f, &field, errors) != RP_OK) {
            char *s = json_dumps(errors, 0);
            fail_msg("field %zu: %s", i, s);
        }
        json_decref(errors);
        assert_int_equal(rp_object_add_field(fx->custom, &field), RP_OK);
    }
    json_decref(fields);
    fx->nall = fx->ncore + 1;
    fx->all = calloc((size_t)fx->nall, sizeof *fx->all);
    for (int k = 0; k < fx->ncore; k++)
        fx->all[k] = fx->core[k];
    fx->all[fx->ncore] = fx->custom;
    fx->doc = rp_openapi_build(fx->all, fx->nall, "1.2.3");
    assert_non_null(fx->doc);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    json_decref(fx->doc);
    free(fx->all);
    rp_object_free(fx->custom);
    rp_manifest_free(fx->core, fx->ncore);
    free(fx);
    return 0;
}

static json_t *at(json_t *j, const char *a, const char *b, const char *c)
{
    j = json_object_get(j, a);
    if (b != NULL)
        j = json_object_get(j, b);
    if (c != NULL)
        j = json_object_get(j, c);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static void top_level(void **state)
{
    json_t *doc = ((fixture_t *)*state)->doc;
    assert_string_equal(str(doc, "openapi"), "3.1.0");
    assert_string_equal(str(json_object_get(doc, "info"), "title"), "Rapport API");
    assert_string_equal(str(json_object_get(doc, "info"), "version"), "1.2.3");
    assert_string_equal(str(json_array_get(json_object_get(doc, "servers"), 0), "url"), "/");
    json_t *bearer = at(doc, "components", "securitySchemes", "bearer");
    assert_string_equal(str(bearer, "type"), "http");
    assert_string_equal(str(bearer, "scheme"), "bearer");
    assert_string_equal(str(bearer, "bearerFormat"), "JWT");
    assert_true(json_is_array(
        json_object_get(json_array_get(json_object_get(doc, "security"), 0), "bearer")));
    json_t *problem = at(doc, "components", "schemas", "Problem");
    static const char *const members[] = {"type",   "title",    "status",     "code",
                                          "detail", "instance", "request_id", "errors"};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        assert_non_null(at(problem, "properties", members[i], NULL));
    /* Login needs no credentials, /me does. */
    json_t *login = at(doc, "paths", "/api/v1/auth/login", "post");
    assert_int_equal(json_array_size(json_object_get(login, "security")), 0);
    assert_true(json_is_array(json_object_get(login, "security")));
    assert_null(json_object_get(at(doc, "paths", "/api/v1/me", "get"), "security"));
    assert_non_null(at(doc, "paths", "/api/v1/auth/refresh", "post"));
    assert_non_null(at(doc, "paths", "/api/v1/auth/logout", "post"));
}

/* Resolves a local JSON pointer ("#/components/schemas/X"). */
static json_t *resolve(json_t *doc, const char *ptr)
{
    if (strncmp(ptr, "#/", 2) != 0)
        return NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", ptr + 2);
    json_t *j = doc;
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok != NULL && j != NULL;
         tok = strtok_r(NULL, "/", &save))
        j = json_object_get(j, tok);
    return j;
}

static int check_refs(json_t *doc, json_t *j)
{
    int n = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            if (strcmp(k, "$ref") == 0 && json_is_string(v)) {
                if (resolve(doc, json_string_value(v)) == NULL)
                    fail_msg("unresolved $ref %s", json_string_value(v));
                n++;
            } else {
                n += check_refs(doc, v);
            }
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) n += check_refs(doc, v);
    }
    return n;
}

static void refs_resolve(void **state)
{
    json_t *doc = ((fixture_t *)*state)->doc;
    assert_true(check_refs(doc, doc) > 50);
    assert_null(resolve(doc, "#/components/schemas/nothing_fields"));
}

static const char *const methods[] = {"get", "post", "put", "patch", "delete", NULL};

static void operation_ids_unique(void **state)
{
    json_t *doc = ((fixture_t *)*state)->doc;
    json_t *seen = json_object();
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        for (int m = 0; methods[m] != NULL; m++) {
            json_t *op = json_object_get(item, methods[m]);
            if (op == NULL)
                continue;
            const char *id = str(op, "operationId");
            assert_non_null(id);
            if (json_object_get(seen, id) != NULL)
                fail_msg("duplicate operationId %s", id);
            json_object_set_new(seen, id, json_true());
            /* every operation answers problems by default */
            assert_non_null(at(op, "responses", "default", NULL));
            /* identifiers only */
            for (const char *p = id; *p; p++)
                assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                            (*p >= '0' && *p <= '9') || *p == '_');
        }
    }
    assert_non_null(json_object_get(seen, "listAccount"));
    assert_non_null(json_object_get(seen, "createAccount"));
    assert_non_null(json_object_get(seen, "getAccount"));
    assert_non_null(json_object_get(seen, "updateAccount"));
    assert_non_null(json_object_get(seen, "deleteAccount"));
    assert_non_null(json_object_get(seen, "queryContact"));
    assert_non_null(json_object_get(seen, "listProjectTask_C"));
    assert_non_null(json_object_get(seen, "bulkProjectTask_C"));
    assert_true(json_object_size(seen) >= 3 * 9 + 4);
    json_decref(seen);
}

/* Whether the parameter list params declares name in "path". */
static bool declares(json_t *params, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p)
    {
        if (strcmp(str(p, "name"), name) == 0 && strcmp(str(p, "in"), "path") == 0 &&
            json_is_true(json_object_get(p, "required")))
            return true;
    }
    return false;
}

static void path_params_declared(void **state)
{
    json_t *doc = ((fixture_t *)*state)->doc;
    const char *path;
    json_t *item;
    int templated = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        for (const char *p = strchr(path, '{'); p != NULL; p = strchr(p + 1, '{')) {
            char name[64];
            const char *end = strchr(p, '}');
            assert_non_null(end);
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
            templated++;
            for (int m = 0; methods[m] != NULL; m++) {
                json_t *op = json_object_get(item, methods[m]);
                if (op != NULL && !declares(json_object_get(item, "parameters"), name) &&
                    !declares(json_object_get(op, "parameters"), name))
                    fail_msg("%s %s does not declare {%s}", methods[m], path, name);
            }
        }
    }
    assert_int_equal(templated, 3 * 3);
}

static json_t *field_schema(json_t *doc, const char *field)
{
    return at(at(doc, "components", "schemas", "project_task__c_fields"), "properties", field,
              NULL);
}

static void field_types(void **state)
{
    json_t *doc = ((fixture_t *)*state)->doc;
    json_t *s = field_schema(doc, "t__c");
    assert_string_equal(str(s, "type"), "string");
    assert_int_equal(json_integer_value(json_object_get(s, "maxLength")), 80);
    assert_string_equal(str(s, "pattern"), "[A-Z].*");
    assert_string_equal(str(s, "title"), "Title");
    assert_string_equal(str(s, "description"), "Short");
    s = field_schema(doc, "ta__c");
    assert_int_equal(json_integer_value(json_object_get(s, "maxLength")),
                     RP_FIELD_TEXTAREA_DEFAULT_LENGTH);
    assert_string_equal(str(field_schema(doc, "em__c"), "format"), "email");
    assert_string_equal(str(field_schema(doc, "ph__c"), "pattern"), "^\\+[1-9][0-9]{7,14}$");
    assert_string_equal(str(field_schema(doc, "u__c"), "format"), "uri");
    s = field_schema(doc, "i__c");
    assert_string_equal(str(s, "type"), "integer");
    assert_int_equal(json_integer_value(json_object_get(s, "minimum")), 1);
    assert_int_equal(json_integer_value(json_object_get(s, "maximum")), 9);
    for (int k = 0; k < 2; k++) {
        s = field_schema(doc, k == 0 ? "d__c" : "pc__c");
        assert_string_equal(str(s, "type"), "string");
        assert_non_null(str(s, "pattern"));
    }
    s = field_schema(doc, "cu__c");
    assert_string_equal(str(s, "type"), "object");
    assert_string_equal(str(at(s, "properties", "amount", NULL), "type"), "string");
    assert_string_equal(str(at(s, "properties", "currency", NULL), "pattern"), "^[A-Z]{3}$");
    assert_string_equal(str(field_schema(doc, "b__c"), "type"), "boolean");
    assert_string_equal(str(field_schema(doc, "da__c"), "format"), "date");
    assert_string_equal(str(field_schema(doc, "dt__c"), "format"), "date-time");
    s = field_schema(doc, "pk__c");
    assert_string_equal(str(s, "type"), "string");
    assert_int_equal(json_array_size(json_object_get(s, "enum")), 2);
    s = field_schema(doc, "mp__c");
    assert_string_equal(str(s, "type"), "array");
    assert_true(json_is_true(json_object_get(s, "uniqueItems")));
    assert_int_equal(json_array_size(at(s, "items", "enum", NULL)), 3);
    assert_string_equal(str(field_schema(doc, "r__c"), "format"), "uuid");
    s = field_schema(doc, "an__c");
    assert_string_equal(str(s, "type"), "string");
    assert_true(json_is_true(json_object_get(s, "readOnly")));

    json_t *required = at(doc, "components", "schemas", "project_task__c_fields");
    required = json_object_get(required, "required");
    assert_int_equal(json_array_size(required), 1);
    assert_string_equal(json_string_value(json_array_get(required, 0)), "t__c");
    /* The changes schema (PATCH) has the same properties and no required list. */
    json_t *changes = at(doc, "components", "schemas", "project_task__c_changes");
    assert_non_null(at(changes, "properties", "mp__c", NULL));
    assert_null(json_object_get(changes, "required"));
    /* Built-in objects' required fields. */
    json_t *acc = at(doc, "components", "schemas", "account_fields");
    assert_string_equal(json_string_value(json_array_get(json_object_get(acc, "required"), 0)),
                        "name");
}

static void object_paths(void **state)
{
    json_t *doc = ((fixture_t *)*state)->doc;
    json_t *paths = json_object_get(doc, "paths");
    static const char *const suffix[] = {"", "/{id}", "/{id}/history", "/{id}/restore", "/bulk"};
    static const char *const objs[] = {"account", "contact", "project_task__c"};
    char p[128];
    for (int o = 0; o < 3; o++) {
        for (int k = 0; k < 5; k++) {
            snprintf(p, sizeof p, "/api/v1/records/%s%s", objs[o], suffix[k]);
            if (json_object_get(paths, p) == NULL)
                fail_msg("missing path %s", p);
        }
        snprintf(p, sizeof p, "/api/v1/query/%s", objs[o]);
        assert_non_null(at(paths, p, "post", NULL));
    }
    json_t *list = at(paths, "/api/v1/records/project_task__c", "get", NULL);
    json_t *schema =
        at(at(list, "responses", "200", "content"), "application/json", "schema", NULL);
    assert_string_equal(str(schema, "$ref"), "#/components/schemas/project_task__c_list");
    json_t *params = json_object_get(list, "parameters");
    int found = 0;
    size_t i;
    json_t *v;
    json_array_foreach(params, i, v)
    {
        const char *n = str(v, "name");
        found += strcmp(n, "limit") == 0 || strcmp(n, "cursor") == 0 || strcmp(n, "sort") == 0 ||
                 strcmp(n, "fields") == 0;
    }
    assert_int_equal(found, 4);
    json_t *del = at(paths, "/api/v1/records/account/{id}", "delete", NULL);
    assert_non_null(at(del, "responses", "204", NULL));
    json_t *problem = resolve(doc, str(at(del, "responses", "default", NULL), "$ref"));
    assert_non_null(at(problem, "content", "application/problem+json", NULL));
    json_t *record = at(doc, "components", "schemas", "contact_record");
    assert_string_equal(str(at(record, "properties", "fields", NULL), "$ref"),
                        "#/components/schemas/contact_fields");
    assert_non_null(at(record, "properties", "owner_id", NULL));
    json_t *lst = at(doc, "components", "schemas", "contact_list");
    assert_non_null(at(lst, "properties", "next_cursor", NULL));
}

static void identifiers(void **state)
{
    (void)state;
    char out[64];
    static const char *const cases[][2] = {
        {"account", "Account"}, {"project_task__c", "ProjectTask_C"},
        {"a_b", "AB"},          {"ab", "Ab"},
        {"a__b", "A_B"},        {"a_1", "A_1"},
        {"a__1", "A__1"},       {"a1", "A1"},
        {"foo_c", "FooC"},      {"foo__c", "Foo_C"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(rp_openapi_identifier(cases[i][0], out, sizeof out), RP_OK);
        assert_string_equal(out, cases[i][1]);
    }
    assert_int_equal(rp_openapi_identifier("Bad", out, sizeof out), RP_EINVAL);
    assert_int_equal(rp_openapi_identifier("a-b", out, sizeof out), RP_EINVAL);
    assert_int_equal(rp_openapi_identifier("abcdef", out, 4), RP_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top_level),
        cmocka_unit_test(refs_resolve),
        cmocka_unit_test(operation_ids_unique),
        cmocka_unit_test(path_params_declared),
        cmocka_unit_test(field_types),
        cmocka_unit_test(object_paths),
        cmocka_unit_test(identifiers),
    };
    return cmocka_run_group_tests_name("records_openapi", tests, setup, teardown);
}
