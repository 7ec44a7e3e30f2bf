/* GET /api/v1/openapi.json: the tenant's document, with its custom fields
 * as soon as they are added, and refusals without credentials. */

#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "openapi-password-1"

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "reader@acme.test", "readonly", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_stop();
    rp_it_pg_stop();
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

static rp_it_resp_t *fetch(const char *token)
{
    rp_it_resp_t *r = rp_it_get("/api/v1/openapi.json", token);
    RP_IT_EXPECT_STATUS(r, 200);
    const char *ct = rp_it_header(r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/json"));
    assert_non_null(r->json);
    return r;
}

static void document(void **state)
{
    (void)state;
    rp_it_resp_t *r = fetch(rp_it_token("acme", "reader@acme.test", PASSWORD));
    assert_string_equal(json_string_value(json_object_get(r->json, "openapi")), "3.1.0");
    assert_string_equal(rp_it_jstr(r, "openapi"), "3.1.0");
    assert_string_equal(json_string_value(at(r->json, "info", "title", NULL)), "Rapport API");
    json_t *paths = json_object_get(r->json, "paths");
    assert_non_null(at(paths, "/api/v1/records/account", "get", NULL));
    assert_non_null(at(paths, "/api/v1/records/account", "post", NULL));
    assert_non_null(at(paths, "/api/v1/records/contact/{id}", "patch", NULL));
    assert_non_null(at(paths, "/api/v1/query/contact", "post", NULL));
    assert_non_null(at(paths, "/api/v1/auth/login", "post", NULL));
    assert_string_equal(json_string_value(at(at(paths, "/api/v1/records/account", "get", NULL),
                                             "operationId", NULL, NULL)),
                        "listAccount");
    assert_non_null(at(r->json, "components", "schemas", "account_fields"));
    assert_null(
        at(at(r->json, "components", "schemas", "account_fields"), "properties", "tier__c", NULL));
}

static void custom_field_appears(void **state)
{
    (void)state;
    const char *admin = rp_it_token("acme", "admin@acme.test", PASSWORD);
    rp_it_resp_t *r =
        rp_it_send("POST", "/api/v1/objects/account/fields", admin,
                   "{\"name\": \"tier__c\", \"type\": \"picklist\", \"label\": \"Tier\","
                   " \"values\": [\"gold\", \"silver\"], \"help\": \"Support tier\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    r = rp_it_send("POST", "/api/v1/objects", admin,
                   "{\"name\": \"project__c\", \"label\": \"Project\", \"fields\": [{\"name\": "
                   "\"budget__c\", \"type\": \"currency\", \"required\": true}]}");
    RP_IT_EXPECT_STATUS(r, 201);

    r = fetch(rp_it_token("acme", "reader@acme.test", PASSWORD));
    json_t *tier =
        at(at(r->json, "components", "schemas", "account_fields"), "properties", "tier__c", NULL);
    assert_non_null(tier);
    assert_string_equal(json_string_value(json_object_get(tier, "title")), "Tier");
    assert_string_equal(json_string_value(json_object_get(tier, "description")), "Support tier");
    assert_int_equal(json_array_size(json_object_get(tier, "enum")), 2);
    json_t *paths = json_object_get(r->json, "paths");
    json_t *create = at(paths, "/api/v1/records/project__c", "post", NULL);
    assert_non_null(create);
    assert_string_equal(json_string_value(json_object_get(create, "operationId")),
                        "createProject_C");
    json_t *budget = at(at(r->json, "components", "schemas", "project__c_fields"), "properties",
                        "budget__c", NULL);
    assert_string_equal(json_string_value(json_object_get(budget, "type")), "object");

    /* Another tenant sees none of it. */
    r = fetch(rp_it_token("other", "admin@other.test", PASSWORD));
    assert_null(
        at(at(r->json, "components", "schemas", "account_fields"), "properties", "tier__c", NULL));
    assert_null(at(r->json, "paths", "/api/v1/records/project__c", NULL));
    assert_non_null(at(r->json, "paths", "/api/v1/records/account", NULL));
}

static void unauthenticated(void **state)
{
    (void)state;
    rp_it_resp_t *r = rp_it_get("/api/v1/openapi.json", NULL);
    RP_IT_EXPECT_PROBLEM(r, 401, NULL);
    r = rp_it_get("/api/v1/openapi.json", "not-a-token");
    RP_IT_EXPECT_PROBLEM(r, 401, NULL);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(document),
        RP_IT_TEST(custom_field_appears),
        RP_IT_TEST(unauthenticated),
    };
    RP_IT_RUN("records_openapi", tests, setup, teardown);
}
