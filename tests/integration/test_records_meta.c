/* The metadata API: objects and fields, custom ones added, changed and
 * deleted, the refusals, and a second server instance on the same database
 * seeing a change made through the first. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "db/db.h"
#include "db/listen.h"
#include "internal.h"
#include "it.h"

#define PASSWORD "meta-password-1"

static pid_t second_pid;
static int second_port;

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "manager@acme.test", "manager", PASSWORD);
    rp_it_user_add("acme", "plain@acme.test", "user", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_test_teardown(NULL);
    return 0;
}

/* Stops the second server; returns its exit code (-1 when it had to be
 * killed or was not running). */
static int stop_second(void)
{
    int rc = -1;
    if (second_pid > 0) {
        kill(second_pid, SIGTERM);
        rc = rp_it_wait(second_pid, 20);
        if (rc == -2) {
            kill(second_pid, SIGKILL);
            rp_it_wait(second_pid, 10);
            rc = -1;
        }
        second_pid = 0;
    }
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    stop_second();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static const char *admin(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

/* The element of array a whose member key is value, or NULL. */
static json_t *find_by(json_t *a, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(json_object_get(v, key));
        if (s != NULL && strcmp(s, value) == 0)
            return v;
    }
    return NULL;
}

static json_t *describe_field(const char *object, const char *field, const char *token)
{
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/objects/%s", object), token);
    RP_IT_EXPECT_STATUS(r, 200);
    return find_by(json_object_get(r->json, "fields"), "name", field);
}

static const char *error_of(const rp_it_resp_t *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), key));
}

static const char *metadata_version(const char *slug)
{
    return rp_it_sql("SELECT metadata_version::text FROM tenants WHERE slug = $1", slug, NULL);
}

static void list_objects(void **state)
{
    (void)state;
    rp_it_resp_t *r = rp_it_get("/api/v1/objects", admin());
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *data = json_object_get(r->json, "data");
    assert_true(json_array_size(data) >= 2);
    json_t *account = json_array_get(data, 0);
    assert_string_equal(json_string_value(json_object_get(account, "name")), "account");
    assert_string_equal(json_string_value(json_object_get(account, "label")), "Account");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(account, "labels"), "fr")), "Compte");
    assert_string_equal(json_string_value(json_object_get(account, "module")), "sales");
    assert_false(json_boolean_value(json_object_get(account, "custom")));
    assert_true(json_integer_value(json_object_get(account, "field_count")) >= 5);
    json_t *contact = find_by(data, "name", "contact");
    assert_non_null(contact);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(contact, "labels"), "es")), "Contacto");
}

static void describe_standard_objects(void **state)
{
    (void)state;
    const char *a = admin();
    rp_it_resp_t *r = rp_it_get("/api/v1/objects/account", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "name"), "account");
    json_t *fields = json_object_get(r->json, "fields");
    const char *order[] = {"name", "industry", "website", "phone", "annual_revenue"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(fields, i), "name")),
                            order[i]);
    json_t *name = find_by(fields, "name", "name");
    assert_string_equal(json_string_value(json_object_get(name, "type")), "text");
    assert_true(json_is_true(json_object_get(name, "required")));
    assert_true(json_is_true(json_object_get(name, "searchable")));
    assert_true(json_is_true(json_object_get(name, "indexed")));
    assert_true(json_is_false(json_object_get(name, "custom")));
    json_t *industry = find_by(fields, "name", "industry");
    assert_string_equal(json_string_value(json_object_get(industry, "type")), "picklist");
    assert_true(json_array_size(json_object_get(industry, "values")) >= 10);
    assert_string_equal(
        json_string_value(json_object_get(find_by(fields, "name", "annual_revenue"), "type")),
        "currency");
    /* contact.account_id points here: a related list. */
    json_t *rel = find_by(json_object_get(r->json, "related"), "object", "contact");
    assert_non_null(rel);
    assert_string_equal(json_string_value(json_object_get(rel, "field")), "account_id");
    assert_string_equal(json_string_value(json_object_get(rel, "on_delete")), "set_null");
    json_t *perm = json_object_get(r->json, "permissions");
    assert_true(json_is_true(json_object_get(perm, "create")));
    assert_true(json_is_true(json_object_get(perm, "read")));
    assert_true(json_is_true(json_object_get(perm, "update")));
    assert_true(json_is_true(json_object_get(perm, "delete")));

    json_t *acc = describe_field("contact", "account_id", a);
    assert_string_equal(json_string_value(json_object_get(acc, "type")), "reference");
    assert_string_equal(json_string_value(json_object_get(acc, "reference")), "account");
    assert_string_equal(json_string_value(json_object_get(acc, "on_delete")), "set_null");
    json_t *email = describe_field("contact", "email", a);
    assert_true(json_is_true(json_object_get(email, "indexed")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(email, "labels"), "fr")),
                        "E-mail");
}

static void only_admins(void **state)
{
    (void)state;
    const char *tokens[] = {rp_it_token("acme", "plain@acme.test", PASSWORD),
                            rp_it_token("acme", "manager@acme.test", PASSWORD)};
    for (size_t i = 0; i < 2; i++) {
        const char *t = tokens[i];
        RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects", t), 403, NULL);
        RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects/account", t), 403, NULL);
        RP_IT_EXPECT_PROBLEM(
            rp_it_send("POST", "/api/v1/objects", t, "{\"name\":\"x__c\",\"label\":\"X\"}"), 403,
            NULL);
        RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/objects/account/fields", t,
                                        "{\"name\":\"x__c\",\"type\":\"text\"}"),
                             403, NULL);
        RP_IT_EXPECT_PROBLEM(
            rp_it_send("PATCH", "/api/v1/objects/account/fields/name", t, "{\"label\":\"N\"}"), 403,
            NULL);
        RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/account", t, NULL), 403, NULL);
    }
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects", NULL), 401, NULL);
    assert_null(rp_it_sql("SELECT name FROM field_defs WHERE name = 'x__c'", NULL));
}

static void unknown_object_and_field(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects/nope", a), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects/nope__c", a), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/objects/nope/fields", a,
                                    "{\"name\":\"x__c\",\"type\":\"text\"}"),
                         404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/objects/nope", a, "{\"label\":\"X\"}"), 404,
                         "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/nope", a, NULL), 404,
                         "unknown_object");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", "/api/v1/objects/account/fields/nope__c", a, "{\"label\":\"X\"}"), 404,
        "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/account/fields/nope__c", a, NULL),
                         404, "unknown_field");
}

static void custom_field_lifecycle(void **state)
{
    (void)state;
    const char *a = admin();
    const char *v0 = metadata_version("acme");
    /* account has the fields its module gives it; a custom field adds one. */
    rp_it_resp_t *list = rp_it_get("/api/v1/objects", a);
    json_int_t nfields = json_integer_value(json_object_get(
        find_by(json_object_get(list->json, "data"), "name", "account"), "field_count"));
    assert_true(nfields >= 5);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/objects/account/fields", a,
                                 "{\"name\":\"tier__c\",\"type\":\"picklist\",\"label\":\"Tier\","
                                 "\"labels\":{\"fr\":\"Niveau\"},\"values\":[\"gold\",\"silver\"],"
                                 "\"help\":\"Commercial tier\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(rp_it_jstr(r, "name"), "tier__c");
    assert_true(json_is_true(json_object_get(r->json, "custom")));
    assert_string_equal(rp_it_header(r, "Location"), "/api/v1/objects/account/fields/tier__c");
    assert_string_not_equal(metadata_version("acme"), v0);

    /* Usable by the very next request. */
    json_t *f = describe_field("account", "tier__c", a);
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "label")), "Tier");
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "labels"), "fr")),
                        "Niveau");
    assert_true(json_is_true(json_object_get(f, "custom")));
    list = rp_it_get("/api/v1/objects", a);
    assert_int_equal(
        json_integer_value(json_object_get(
            find_by(json_object_get(list->json, "data"), "name", "account"), "field_count")),
        nfields + 1);

    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/objects/account/fields", a,
                                    "{\"name\":\"tier__c\",\"type\":\"text\"}"),
                         409, "duplicate");

    const char *path = "/api/v1/objects/account/fields/tier__c";
    r = rp_it_send("PATCH", path, a,
                   "{\"label\":\"Customer tier\",\"values\":[\"platinum\",\"gold\",\"silver\"],"
                   "\"help\":null,\"required\":true}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "label"), "Customer tier");
    assert_null(json_object_get(r->json, "help"));
    f = describe_field("account", "tier__c", a);
    assert_string_equal(json_string_value(json_object_get(f, "label")), "Customer tier");
    assert_int_equal(json_array_size(json_object_get(f, "values")), 3);
    assert_true(json_is_true(json_object_get(f, "required")));
    assert_null(json_object_get(f, "help"));

    /* Values records may hold cannot go; the type cannot change. */
    r = rp_it_send("PATCH", path, a, "{\"values\":[\"gold\",\"platinum\"]}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(strstr(error_of(r, "values"), "silver"));
    r = rp_it_send("PATCH", path, a, "{\"type\":\"text\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "type"));
    r = rp_it_send("PATCH", path, a, "{\"name\":\"other__c\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "name"));
    r = rp_it_send("PATCH", path, a, "{\"default\":\"bronze\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "default"));
    r = rp_it_send("PATCH", path, a, "{\"max_length\":10}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", path, a, "{\"colour\":\"red\"}"), 400,
                         "unknown_field");
    /* The refusals changed nothing. */
    f = describe_field("account", "tier__c", a);
    assert_int_equal(json_array_size(json_object_get(f, "values")), 3);
    assert_string_equal(json_string_value(json_object_get(f, "type")), "picklist");

    r = rp_it_send("DELETE", path, a, NULL);
    RP_IT_EXPECT_STATUS(r, 204);
    assert_null(describe_field("account", "tier__c", a));
    assert_null(rp_it_sql("SELECT name FROM field_defs WHERE name = 'tier__c'", NULL));
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", path, a, NULL), 404, "unknown_field");
}

static void field_bad_inputs(void **state)
{
    (void)state;
    const char *a = admin();
    const char *p = "/api/v1/objects/contact/fields";
    rp_it_resp_t *r = rp_it_send("POST", p, a, "{\"name\":\"nickname\",\"type\":\"text\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(strstr(error_of(r, "name"), "__c"));
    r = rp_it_send("POST", p, a, "{\"name\":\"Nick__c\",\"type\":\"text\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "name"));
    r = rp_it_send("POST", p, a, "{\"name\":\"first_name\",\"type\":\"text\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = rp_it_send("POST", p, a, "{\"name\":\"nick__c\",\"type\":\"hologram\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "type"));
    r = rp_it_send("POST", p, a, "{\"name\":\"nick__c\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "type"));
    r = rp_it_send("POST", p, a,
                   "{\"name\":\"boss__c\",\"type\":\"reference\",\"reference\":\"nope\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "reference"));
    r = rp_it_send("POST", p, a, "{\"name\":\"nick__c\",\"type\":\"text\",\"colour\":1}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", p, a, "{\"name\":"), 400, NULL);
    r = rp_it_send("POST", p, a, "{\"name\":\"nick__c\",\"type\":\"picklist\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "values"));
    assert_null(rp_it_sql("SELECT name FROM field_defs WHERE object = 'contact'", NULL));
}

static void standard_metadata_is_protected(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", "/api/v1/objects/account/fields/name", a, "{\"label\":\"N\"}"), 409,
        "not_custom");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/account/fields/name", a, NULL), 409,
                         "not_custom");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/account", a, NULL), 409,
                         "not_custom");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/account?confirm=true", a, NULL), 409,
                         "not_custom");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/objects/contact", a, "{\"label\":\"P\"}"),
                         409, "not_custom");
    json_t *f = describe_field("account", "name", a);
    assert_string_equal(json_string_value(json_object_get(f, "label")), "Account name");
}

static void custom_object_lifecycle(void **state)
{
    (void)state;
    const char *a = admin();
    rp_it_resp_t *r = rp_it_send(
        "POST", "/api/v1/objects", a,
        "{\"name\":\"project__c\",\"label\":\"Project\",\"labels\":{\"fr\":\"Projet\"},"
        "\"fields\":[{\"name\":\"title__c\",\"type\":\"text\",\"required\":true},"
        "{\"name\":\"budget__c\",\"type\":\"decimal\",\"min\":0},"
        "{\"name\":\"account__c\",\"type\":\"reference\",\"reference\":\"account\","
        "\"on_delete\":\"set_null\"},"
        "{\"name\":\"parent__c\",\"type\":\"reference\",\"reference\":\"project__c\"}]}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(rp_it_jstr(r, "name"), "project__c");
    assert_true(json_is_true(json_object_get(r->json, "custom")));
    assert_true(json_is_null(json_object_get(r->json, "module")));
    assert_int_equal(json_array_size(json_object_get(r->json, "fields")), 4);
    assert_string_equal(rp_it_header(r, "Location"), "/api/v1/objects/project__c");

    r = rp_it_get("/api/v1/objects", a);
    json_t *p = find_by(json_object_get(r->json, "data"), "name", "project__c");
    assert_non_null(p);
    assert_true(json_is_true(json_object_get(p, "custom")));
    assert_int_equal(json_integer_value(json_object_get(p, "field_count")), 4);
    r = rp_it_get("/api/v1/objects/project__c", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "labels"), "fr")), "Projet");
    assert_non_null(find_by(json_object_get(r->json, "related"), "field", "parent__c"));
    r = rp_it_get("/api/v1/objects/account", a);
    assert_non_null(find_by(json_object_get(r->json, "related"), "object", "project__c"));

    /* Refusals. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"project__c\",\"label\":\"P\"}"), 409,
        "duplicate");
    r = rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"project\",\"label\":\"P\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "name"));
    r = rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"account\",\"label\":\"P\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"thing__c\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "label"));
    r = rp_it_send("POST", "/api/v1/objects", a,
                   "{\"name\":\"thing__c\",\"label\":\"T\",\"fields\":[{\"name\":\"size\","
                   "\"type\":\"integer\"},{\"name\":\"w__c\",\"type\":\"blob\"}]}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "fields[0].name"));
    assert_non_null(error_of(r, "fields[1].type"));
    r = rp_it_send("POST", "/api/v1/objects", a,
                   "{\"name\":\"thing__c\",\"label\":\"T\",\"fields\":[{\"name\":\"a__c\","
                   "\"type\":\"integer\"},{\"name\":\"a__c\",\"type\":\"text\"}]}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "fields[1].name"));
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/objects", a,
                                    "{\"name\":\"thing__c\",\"label\":\"T\",\"icon\":\"x\"}"),
                         400, "unknown_field");
    assert_null(rp_it_sql("SELECT name FROM object_defs WHERE name = 'thing__c'", NULL));

    r = rp_it_send("PATCH", "/api/v1/objects/project__c", a,
                   "{\"label\":\"Programme\",\"labels\":{\"es\":\"Proyecto\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "label"), "Programme");
    assert_int_equal(json_array_size(json_object_get(r->json, "fields")), 4);
    r = rp_it_get("/api/v1/objects/project__c", a);
    assert_string_equal(rp_it_jstr(r, "label"), "Programme");
    json_t *labels = json_object_get(r->json, "labels");
    assert_string_equal(json_string_value(json_object_get(labels, "es")), "Proyecto");
    assert_null(json_object_get(labels, "fr"));
    r = rp_it_send("PATCH", "/api/v1/objects/project__c", a, "{\"name\":\"prog__c\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = rp_it_send("PATCH", "/api/v1/objects/project__c", a, "{\"label\":null}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/objects/project__c", a, "{\"x\":1}"), 400,
                         "unknown_field");

    /* A custom field on a custom object through the fields endpoint. */
    r = rp_it_send("POST", "/api/v1/objects/project__c/fields", a,
                   "{\"name\":\"due__c\",\"type\":\"date\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_non_null(describe_field("project__c", "due__c", a));

    /* Another object refers to it: that reference goes first. */
    r = rp_it_send("POST", "/api/v1/objects/contact/fields", a,
                   "{\"name\":\"project__c\",\"type\":\"reference\",\"reference\":\"project__c\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    r = rp_it_send("DELETE", "/api/v1/objects/project__c", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "referenced");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "contact.project__c"));
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/objects/contact/fields/project__c", a, NULL),
                        204);

    /* With records, deleting asks for confirmation, then takes them along. */
    const char *tid = rp_it_tenant_id("acme");
    rp_it_sql("INSERT INTO records (tenant_id, object, id, data) VALUES ($1, 'project__c', "
              "gen_random_uuid(), '{\"title__c\": \"Apollo\"}')",
              tid, NULL);
    r = rp_it_send("DELETE", "/api/v1/objects/project__c", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "has_records");
    assert_non_null(rp_it_get("/api/v1/objects/project__c", a));
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/objects/project__c", a), 200);
    r = rp_it_send("DELETE", "/api/v1/objects/project__c?confirm=true", a, NULL);
    RP_IT_EXPECT_STATUS(r, 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects/project__c", a), 404, "unknown_object");
    assert_string_equal(
        rp_it_sql("SELECT count(*)::text FROM records WHERE object = 'project__c'", NULL), "0");
    assert_string_equal(
        rp_it_sql("SELECT count(*)::text FROM field_defs WHERE object = 'project__c'", NULL), "0");
    assert_null(rp_it_sql("SELECT name FROM object_defs WHERE name = 'project__c'", NULL));
    r = rp_it_get("/api/v1/objects", a);
    assert_null(find_by(json_object_get(r->json, "data"), "name", "project__c"));

    /* An empty custom object goes without confirmation. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"empty__c\",\"label\":\"E\"}"), 201);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/objects/empty__c", a, NULL), 204);
}

static void deleting_a_field_with_data(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects/contact/fields", a,
                                   "{\"name\":\"note__c\",\"type\":\"text\",\"indexed\":true}"),
                        201);
    const char *tid = rp_it_tenant_id("acme");
    const char *id = rp_it_sql(
        "INSERT INTO records (tenant_id, object, id, data) VALUES ($1, 'contact', "
        "gen_random_uuid(), '{\"last_name\": \"Doe\", \"note__c\": \"hello\"}') RETURNING id::text",
        tid, NULL);
    rp_it_sql("INSERT INTO record_index (tenant_id, object, field, record_id, value_text) "
              "VALUES ($1, 'contact', 'note__c', $2, 'hello')",
              tid, id, NULL);
    /* Records hold values: indexing cannot be switched on again later... */
    rp_it_resp_t *r = rp_it_send("DELETE", "/api/v1/objects/contact/fields/note__c", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "has_data");
    assert_string_equal(rp_it_sql("SELECT data ->> 'note__c' FROM records WHERE id = $1", id, NULL),
                        "hello");
    /* ...turning indexing off drops the index rows, turning it on again
     * writes them for the values already there, in the write path's form. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", "/api/v1/objects/contact/fields/note__c", a, "{\"indexed\":false}"),
        200);
    assert_string_equal(
        rp_it_sql("SELECT count(*)::text FROM record_index WHERE field = 'note__c'", NULL), "0");
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", "/api/v1/objects/contact/fields/note__c", a, "{\"indexed\":true}"),
        200);
    assert_string_equal(rp_it_sql("SELECT value_text FROM record_index WHERE field = 'note__c' AND "
                                  "record_id = $1",
                                  id, NULL),
                        "hello");
    r = rp_it_get("/api/v1/records/contact?filter[note__c][eq]=hello", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "data")), 1);
    /* A field made searchable is found in the records that already hold it,
     * and no longer once it is not. */
    assert_int_equal(
        json_array_size(json_object_get(rp_it_get("/api/v1/search?q=hello", a)->json, "data")), 0);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", "/api/v1/objects/contact/fields/note__c", a, "{\"searchable\":true}"),
        200);
    assert_string_equal(rp_it_sql("SELECT search_text FROM records WHERE id = $1", id, NULL),
                        "doe hello");
    r = rp_it_get("/api/v1/search?q=hello", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "data")), 1);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", "/api/v1/objects/contact/fields/note__c", a, "{\"searchable\":false}"),
        200);
    assert_string_equal(rp_it_sql("SELECT search_text FROM records WHERE id = $1", id, NULL),
                        "doe");
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", "/api/v1/objects/contact/fields/note__c", a, "{\"searchable\":true}"),
        200);
    r = rp_it_send("DELETE", "/api/v1/objects/contact/fields/note__c?confirm=true", a, NULL);
    RP_IT_EXPECT_STATUS(r, 204);
    assert_string_equal(
        rp_it_sql("SELECT (data ? 'note__c')::text FROM records WHERE id = $1", id, NULL), "false");
    assert_string_equal(
        rp_it_sql("SELECT data ->> 'last_name' FROM records WHERE id = $1", id, NULL), "Doe");
    assert_null(describe_field("contact", "note__c", a));
    /* The deleted searchable field left the search text too. */
    assert_string_equal(rp_it_sql("SELECT search_text FROM records WHERE id = $1", id, NULL),
                        "doe");
    rp_it_sql("DELETE FROM records WHERE id = $1", id, NULL);
}

static void tenants_are_separate(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects/account/fields", a,
                                   "{\"name\":\"secret__c\",\"type\":\"boolean\"}"),
                        201);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"mine__c\",\"label\":\"Mine\"}"), 201);
    const char *o = rp_it_token("other", "admin@other.test", PASSWORD);
    assert_null(describe_field("account", "secret__c", o));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects/mine__c", o), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/objects/account/fields/secret__c", o, NULL),
                         404, "unknown_field");
    /* The other tenant may use the same names for its own. */
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects/account/fields", o,
                                   "{\"name\":\"secret__c\",\"type\":\"text\"}"),
                        201);
    assert_string_equal(
        json_string_value(json_object_get(describe_field("account", "secret__c", o), "type")),
        "text");
    assert_string_equal(
        json_string_value(json_object_get(describe_field("account", "secret__c", a), "type")),
        "boolean");
}

/* A port nobody listens on now (the kernel's pick; the start is retried if
 * another process takes it first). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        RP_IT_FAIL("socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
                     getsockname(fd, (struct sockaddr *)&sa, &len) == 0
                 ? ntohs(sa.sin_port)
                 : -1;
    close(fd);
    if (rc < 0)
        RP_IT_FAIL("cannot find a free port");
    return rc;
}

/* Starts a second `rapport serve` on the same database, on its own port. */
static void start_second(void)
{
    char listen[64], data[PATH_MAX + 32];
    const char *env[24];
    int n = 0;
    for (int attempt = 0; attempt < 3 && second_pid == 0; attempt++) {
        second_port = free_port();
        snprintf(listen, sizeof listen, "RAPPORT_LISTEN=127.0.0.1:%d", second_port);
        snprintf(data, sizeof data, "RAPPORT_DATA_DIR=%s/second", rp_it_dir());
        n = 0;
        for (const char *const *e = rp_it_rapport_env(); *e && n < 16; e++)
            env[n++] = *e;
        env[n++] = listen;
        env[n++] = data;
        env[n++] = "RAPPORT_WORKERS=2";
        env[n] = NULL;
        const char *log = rp_it_fmt("%s/second.log", rp_it_dir());
        const char *argv[] = {RAPPORT_BIN, "serve", NULL};
        rp_it_spawn_t s = {.argv = argv, .env = env, .out_path = log, .death_signal = SIGKILL};
        pid_t pid = rp_it_spawn(&s);
        if (pid < 0)
            RP_IT_FAIL("cannot start a second server: %s", strerror(errno));
        second_pid = pid;
        /* Health through the second port: swap the harness's port for the
         * probe. */
        double deadline = rp_it_now() + 30;
        bool up = false;
        while (!up && rp_it_now() < deadline) {
            if (rp_it_wait(second_pid, 0) != -2) {
                second_pid = 0;
                break;
            }
            int first = rp_it_g.server_port;
            rp_it_g.server_port = second_port;
            rp_it_resp_t *r = rp_it_http(&(rp_it_req_t){.path = "/healthz", .timeout = 2});
            rp_it_g.server_port = first;
            up = r->status == 200;
            if (!up)
                rp_it_sleep_ms(50);
        }
        if (!up && second_pid > 0)
            stop_second();
    }
    if (second_pid == 0)
        RP_IT_FAIL("the second server did not come up (see %s/second.log)", rp_it_dir());
}

static rp_it_resp_t *second_get(const char *path, const char *token)
{
    int first = rp_it_g.server_port;
    rp_it_g.server_port = second_port;
    rp_it_resp_t *r = rp_it_get(path, token);
    rp_it_g.server_port = first;
    return r;
}

static json_t *second_field(const char *object, const char *field, const char *token)
{
    rp_it_resp_t *r = second_get(rp_it_fmt("/api/v1/objects/%s", object), token);
    RP_IT_EXPECT_STATUS(r, 200);
    return find_by(json_object_get(r->json, "fields"), "name", field);
}

/* A change written behind the cache's back (no notification, only the
 * version bump): requests answer from a cached snapshot whose version the
 * tenant guard checks in the same round trip, and one that finds it stale
 * runs again on fresh metadata. Both kinds of request are covered: one that
 * reads the database, and one answered from the snapshot alone. */
static void stale_snapshots_are_caught(void **state)
{
    (void)state;
    const char *a = admin();
    const char *tid = rp_it_tenant_id("acme");
    /* Warm the cache. */
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/records/contact?limit=1", a), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/objects/contact", a), 200);
    rp_it_sql("INSERT INTO field_defs (tenant_id, object, name, definition) VALUES ($1, "
              "'contact', 'late__c', '{\"name\":\"late__c\",\"type\":\"text\"}')",
              tid, NULL);
    rp_it_sql("UPDATE tenants SET metadata_version = metadata_version + 1 WHERE id = $1", tid,
              NULL);
    /* A write that names the new field: unknown to the cached snapshot. */
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/contact", a,
                                 "{\"fields\":{\"last_name\":\"Late\",\"late__c\":\"yes\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    /* Once, not twice: the first run was rolled back. */
    assert_string_equal(
        rp_it_sql("SELECT count(*)::text FROM records WHERE data ->> 'late__c' = 'yes'", NULL),
        "1");
    /* A second change, then an answer from the snapshot alone. */
    rp_it_sql("INSERT INTO field_defs (tenant_id, object, name, definition) VALUES ($1, "
              "'contact', 'later__c', '{\"name\":\"later__c\",\"type\":\"text\"}')",
              tid, NULL);
    rp_it_sql("UPDATE tenants SET metadata_version = metadata_version + 1 WHERE id = $1", tid,
              NULL);
    assert_non_null(describe_field("contact", "later__c", a));
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rp_it_fmt("/api/v1/records/contact/%s", id), a, NULL),
                        204);
    rp_it_sql("DELETE FROM records WHERE id = $1", id, NULL);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/objects/contact/fields/late__c", a, NULL),
                        204);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/objects/contact/fields/later__c", a, NULL),
                        204);
}

static void second_instance_sees_changes(void **state)
{
    (void)state;
    start_second();
    const char *a = admin();
    /* The second instance has the tenant's snapshot cached before the
     * change. */
    assert_null(second_field("account", "region__c", a));
    /* Both instances listen for changes. */
    assert_string_equal(rp_it_sql("SELECT count(*)::text FROM pg_stat_activity WHERE query = "
                                  "'LISTEN \"rapport_metadata\"'",
                                  NULL),
                        "2");

    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects/account/fields", a,
                                   "{\"name\":\"region__c\",\"type\":\"picklist\",\"values\":"
                                   "[\"north\",\"south\"]}"),
                        201);
    json_t *f = second_field("account", "region__c", a);
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "type")), "picklist");

    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", "/api/v1/objects/account/fields/region__c", a,
                                   "{\"label\":\"Sales region\"}"),
                        200);
    f = second_field("account", "region__c", a);
    assert_string_equal(json_string_value(json_object_get(f, "label")), "Sales region");

    /* And the other way round. */
    int first = rp_it_g.server_port;
    rp_it_g.server_port = second_port;
    rp_it_resp_t *r = rp_it_send("DELETE", "/api/v1/objects/account/fields/region__c", a, NULL);
    rp_it_g.server_port = first;
    RP_IT_EXPECT_STATUS(r, 204);
    assert_null(describe_field("account", "region__c", a));
    assert_int_equal(stop_second(), 0);
    char *log = rp_it_read_file(rp_it_fmt("%s/second.log", rp_it_dir()), NULL);
    assert_non_null(log);
    rp_it_track(log, free);
    assert_null(strstr(log, "Sanitizer"));
    assert_null(strstr(log, "runtime error:"));
}

/* The database layer's LISTEN/NOTIFY calls, on a connection of the test's. */
static void listen_and_notify(void **state)
{
    (void)state;
    rp_db_t *db = NULL;
    assert_int_equal(rp_db_open(&db, rp_it_pg_conninfo("rapport_app"), NULL), RP_OK);
    assert_int_equal(rp_db_listen(db, "Bad-Name"), RP_EINVAL);
    assert_int_equal(rp_db_listen(db, "x; DROP TABLE records"), RP_EINVAL);
    assert_int_equal(rp_db_listen(db, "rp_it_channel"), RP_OK);
    char channel[RP_DB_CHANNEL_MAX + 1], payload[64];
    assert_int_equal(rp_db_wait_notify(db, 50, channel, payload, sizeof payload), RP_ENOTFOUND);
    rp_it_sql("SELECT pg_notify('rp_it_channel', 'hello')", NULL);
    rp_it_sql("SELECT pg_notify('rp_it_other', 'ignored')", NULL);
    assert_int_equal(rp_db_wait_notify(db, 5000, channel, payload, sizeof payload), RP_OK);
    assert_string_equal(channel, "rp_it_channel");
    assert_string_equal(payload, "hello");
    /* Long payloads are cut to the buffer. */
    rp_it_sql("SELECT pg_notify('rp_it_channel', repeat('x', 100))", NULL);
    char small[8];
    assert_int_equal(rp_db_wait_notify(db, 5000, NULL, small, sizeof small), RP_OK);
    assert_string_equal(small, "xxxxxxx");
    assert_int_equal(rp_db_wait_notify(db, 50, NULL, payload, sizeof payload), RP_ENOTFOUND);

    /* A lost connection is reported, and after a reconnect the
     * subscription is made again. */
    rp_it_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE query = 'LISTEN \"rp_it_channel\"'",
              NULL);
    rp_status_t st = RP_ENOTFOUND;
    for (int i = 0; i < 50 && st == RP_ENOTFOUND; i++)
        st = rp_db_wait_notify(db, 100, NULL, payload, sizeof payload);
    assert_int_equal(st, RP_EDB_UNAVAILABLE);
    assert_int_equal(rp_db_wait_notify(db, 10, NULL, payload, sizeof payload), RP_EDB_UNAVAILABLE);
    st = RP_EDB_UNAVAILABLE;
    for (int i = 0; i < 100 && st != RP_OK; i++) {
        st = rp_db_ensure(db);
        if (st != RP_OK)
            rp_it_sleep_ms(20);
    }
    assert_int_equal(st, RP_OK);
    assert_int_equal(rp_db_listen(db, "rp_it_channel"), RP_OK);
    rp_it_sql("SELECT pg_notify('rp_it_channel', 'again')", NULL);
    assert_int_equal(rp_db_wait_notify(db, 5000, NULL, payload, sizeof payload), RP_OK);
    assert_string_equal(payload, "again");
    rp_db_close(db);
}

/* The server's listener comes back after its connection is killed. */
static void listener_reconnects(void **state)
{
    (void)state;
    const char *q = "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity "
                    "WHERE query = 'LISTEN \"rapport_metadata\"'";
    const char *before = rp_it_sql(q, NULL);
    assert_true(before != NULL && before[0] != '\0');
    assert_null(strchr(before, ','));
    rp_it_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE query = 'LISTEN \"rapport_metadata\"'",
              NULL);
    const char *after = NULL;
    double deadline = rp_it_now() + 15;
    do {
        rp_it_sleep_ms(100);
        after = rp_it_sql(q, NULL);
    } while ((after == NULL || after[0] == '\0' || strcmp(after, before) == 0) &&
             rp_it_now() < deadline);
    assert_true(after != NULL && after[0] != '\0');
    assert_string_not_equal(after, before);
    /* Changes keep working. */
    const char *a = admin();
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects/contact/fields", a,
                                   "{\"name\":\"after__c\",\"type\":\"text\"}"),
                        201);
    assert_non_null(describe_field("contact", "after__c", a));
}

static void server_log_is_clean(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(list_objects),
        RP_IT_TEST(describe_standard_objects),
        RP_IT_TEST(only_admins),
        RP_IT_TEST(unknown_object_and_field),
        RP_IT_TEST(custom_field_lifecycle),
        RP_IT_TEST(field_bad_inputs),
        RP_IT_TEST(standard_metadata_is_protected),
        RP_IT_TEST(custom_object_lifecycle),
        RP_IT_TEST(deleting_a_field_with_data),
        RP_IT_TEST(tenants_are_separate),
        RP_IT_TEST(stale_snapshots_are_caught),
        RP_IT_TEST(second_instance_sees_changes),
        RP_IT_TEST(listen_and_notify),
        RP_IT_TEST(listener_reconnects),
        RP_IT_TEST(server_log_is_clean),
    };
    RP_IT_RUN("records_meta", tests, setup, teardown);
}
