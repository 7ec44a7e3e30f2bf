/* The records write API: create, get, update, soft delete, restore, bulk,
 * idempotency keys, history, purge, and every refusal on the way. */

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/db.h"
#include "it.h"
#include "records/crud.h"

#define PASSWORD "crud-password-1"

static char *acme_id, *admin_id;

/* Tenant fields on the built-in objects, stored as the metadata API would. */
static void add_field(const char *tenant, const char *object, const char *def)
{
    json_t *j = json_loads(def, 0, NULL);
    const char *name = json_string_value(json_object_get(j, "name"));
    rp_it_sql("INSERT INTO field_defs (tenant_id, object, name, definition) VALUES ($1, $2, $3, "
              "$4::jsonb)",
              tenant, object, name, def, NULL);
    json_decref(j);
}

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "plain@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "viewer@acme.test", "readonly", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    acme_id = strdup(rp_it_tenant_id("acme"));
    admin_id = strdup(rp_it_user_id("acme", "admin@acme.test"));
    add_field(acme_id, "account",
              "{\"name\":\"code__c\",\"type\":\"text\",\"unique\":true,\"indexed\":true}");
    add_field(acme_id, "account",
              "{\"name\":\"seq__c\",\"type\":\"autonumber\",\"format\":\"A-{0000}\"}");
    add_field(acme_id, "account", "{\"name\":\"score__c\",\"type\":\"integer\",\"indexed\":true}");
    add_field(acme_id, "contact",
              "{\"name\":\"vip_account__c\",\"type\":\"reference\",\"reference\":\"account\","
              "\"on_delete\":\"restrict\"}");
    add_field(acme_id, "contact",
              "{\"name\":\"billing_account__c\",\"type\":\"reference\",\"reference\":"
              "\"account\",\"on_delete\":\"cascade\"}");
    rp_it_sql("UPDATE tenants SET metadata_version = metadata_version + 1 WHERE id = $1", acme_id,
              NULL);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(acme_id);
    free(admin_id);
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static const char *admin(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

static const char *other_admin(void)
{
    return rp_it_token("other", "admin@other.test", PASSWORD);
}

static rp_it_resp_t *post(const char *path, const char *tok, const char *json)
{
    return rp_it_send("POST", path, tok, json);
}

/* Sends method path with a JSON body and extra header lines. */
static rp_it_resp_t *send_h(const char *method, const char *path, const char *tok, const char *json,
                            const char *h1, const char *h2)
{
    const char *headers[] = {h1, h2, NULL};
    rp_it_req_t req = {
        .method = method, .path = path, .bearer = tok, .body = json, .headers = headers};
    return rp_it_http(&req);
}

/* Creates a record and returns its id (tracked). */
static const char *create(const char *tok, const char *object, const char *fields_json)
{
    rp_it_resp_t *r = post(rp_it_fmt("/api/v1/records/%s", object), tok,
                           rp_it_fmt("{\"fields\":%s}", fields_json));
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_fmt("%s", rp_it_jstr(r, "id"));
}

static const char *rec_path(const char *object, const char *id)
{
    return rp_it_fmt("/api/v1/records/%s/%s", object, id);
}

static json_t *field(const rp_it_resp_t *r, const char *name)
{
    return json_object_get(json_object_get(r->json, "fields"), name);
}

static const char *field_str(const rp_it_resp_t *r, const char *name)
{
    return json_string_value(field(r, name));
}

static long count(const char *object)
{
    return atol(rp_it_sql("SELECT count(*) FROM records WHERE tenant_id = $1 AND object = $2",
                          acme_id, object, NULL));
}

static const char *error_of(const rp_it_resp_t *r, const char *f)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), f));
}

static void create_and_get(void **state)
{
    rp_it_resp_t *r =
        post("/api/v1/records/account", admin(),
             "{\"fields\":{\"name\":\"Acme Corp\",\"website\":\"HTTPS://Acme.Example/x\","
             "\"phone\":\"+33 1 23 45 67 89\",\"industry\":\"Banking\","
             "\"annual_revenue\":{\"amount\":\"1000.50\",\"currency\":\"eur\"}}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(rp_it_header(r, "Location"), rec_path("account", id));
    assert_string_equal(rp_it_header(r, "ETag"), "\"1\"");
    assert_string_equal(rp_it_jstr(r, "object"), "account");
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 1);
    assert_string_equal(rp_it_jstr(r, "owner_id"), admin_id);
    assert_string_equal(field_str(r, "website"), "https://acme.example/x");
    assert_string_equal(field_str(r, "phone"), "+33123456789");
    assert_string_equal(json_string_value(json_object_get(field(r, "annual_revenue"), "amount")),
                        "1000.5");
    assert_string_equal(field_str(r, "seq__c"), rp_it_sql("SELECT data->>'seq__c' FROM records "
                                                          "WHERE id = $1",
                                                          id, NULL));
    assert_true(json_is_null(field(r, "code__c")));
    const char *created = rp_it_jstr(r, "created_at");
    assert_int_equal(strlen(created), 24);
    assert_int_equal(created[23], 'Z');

    rp_it_resp_t *g = rp_it_get(rec_path("account", id), admin());
    RP_IT_EXPECT_STATUS(g, 200);
    assert_string_equal(rp_it_header(g, "ETag"), "\"1\"");
    assert_true(json_equal(g->json, r->json));
    /* Created by and history row written with the record. */
    assert_string_equal(rp_it_sql("SELECT created_by::text FROM records WHERE id = $1", id, NULL),
                        admin_id);
    assert_string_equal(
        rp_it_sql("SELECT action FROM record_history WHERE record_id = $1", id, NULL), "create");
    /* The plain user may create too; owner_id names another user. */
    const char *plain = rp_it_token("acme", "plain@acme.test", PASSWORD);
    r = post("/api/v1/records/contact", plain,
             rp_it_fmt("{\"fields\":{\"last_name\":\"Doe\"},\"owner_id\":\"%s\"}", admin_id));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(rp_it_jstr(r, "owner_id"), admin_id);
    r = post("/api/v1/records/contact", plain, "{\"fields\":{\"last_name\":\"Roe\"}}");
    assert_string_equal(rp_it_jstr(r, "owner_id"), rp_it_user_id("acme", "plain@acme.test"));
}

static void bad_input(void **state)
{
    const char *a = admin();
    long before = count("account") + count("contact");
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/nothing", a, "{\"fields\":{}}"), 404,
                         "unknown_object");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/records/nothing/0190a0b0-0000-7000-8000-000000000000", a), 404,
        "unknown_object");
    rp_it_resp_t *r = post("/api/v1/records/account", a,
                           "{\"fields\":{\"name\":\"X\",\"colour\":1,\"size__c\":2}}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "colour"));
    assert_non_null(error_of(r, "size__c"));
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account", a, "{\"name\":\"X\"}"), 400,
                         "unknown_field");
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account", a, "{\"fields\":[1]}"), 422,
                         "validation_failed");
    r = post("/api/v1/records/account", a,
             "{\"fields\":{\"name\":\"X\",\"website\":\"not a url\",\"phone\":\"abc\","
             "\"annual_revenue\":\"12\",\"industry\":\"Nope\",\"score__c\":1.5,"
             "\"seq__c\":\"A-9999\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    const char *bad[] = {"website", "phone", "annual_revenue", "industry", "score__c", "seq__c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (error_of(r, bad[i]) == NULL)
            RP_IT_FAIL("no error for %s in %s", bad[i], r->body);
    assert_string_equal(error_of(r, "seq__c"), "is read-only");
    assert_null(error_of(r, "name"));
    r = post("/api/v1/records/contact", a, "{\"fields\":{\"first_name\":\"Ann\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(error_of(r, "last_name"), "is required");
    r = post("/api/v1/records/contact", a,
             "{\"fields\":{\"last_name\":\"Doe\"},\"owner_id\":\"0190a0b0-0000-7000-8000-"
             "000000000000\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "owner_id"));
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account", a, "not json"), 400, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account/not-a-uuid", a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/records/account/0190a0b0-0000-7000-8000-000000000000", a), 404,
        "not_found");
    assert_int_equal(count("account") + count("contact"), before);
}

static void unique_fields(void **state)
{
    const char *a = admin();
    const char *first = create(a, "account", "{\"name\":\"U1\",\"code__c\":\"K-1\"}");
    long before = count("account");
    rp_it_resp_t *r =
        post("/api/v1/records/account", a, "{\"fields\":{\"name\":\"U2\",\"code__c\":\"K-1\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(error_of(r, "code__c"), "must be unique");
    assert_int_equal(count("account"), before);
    /* An update onto a taken value is refused the same way. */
    const char *second = create(a, "account", "{\"name\":\"U2\",\"code__c\":\"K-2\"}");
    r = rp_it_send("PATCH", rec_path("account", second), a, "{\"fields\":{\"code__c\":\"K-1\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(field_str(rp_it_get(rec_path("account", second), a), "code__c"), "K-2");
    /* The indexed custom field has its index row. */
    assert_string_equal(rp_it_sql("SELECT value_text FROM record_index WHERE record_id = $1 AND "
                                  "field = 'code__c'",
                                  second, NULL),
                        "K-2");
    /* A deleted record gives its value up; restoring it then collides. */
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", first), a, NULL), 204);
    create(a, "account", "{\"name\":\"U3\",\"code__c\":\"K-1\"}");
    r = post(rp_it_fmt("%s/restore", rec_path("account", first)), a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(error_of(r, "code__c"), "must be unique");
    RP_IT_EXPECT_STATUS(
        rp_it_get(rp_it_fmt("%s?include_deleted=true", rec_path("account", first)), a), 200);
}

static void references(void **state)
{
    const char *a = admin();
    const char *acc = create(a, "account", "{\"name\":\"Ref target\"}");
    rp_it_resp_t *r = post("/api/v1/records/contact", a,
                           "{\"fields\":{\"last_name\":\"Doe\",\"account_id\":"
                           "\"0190a0b0-0000-7000-8000-000000000000\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(error_of(r, "account_id"), "refers to a record that does not exist");
    /* Another tenant's account is no account at all. */
    rp_it_resp_t *o =
        post("/api/v1/records/account", other_admin(), "{\"fields\":{\"name\":\"O\"}}");
    RP_IT_EXPECT_STATUS(o, 201);
    r = post("/api/v1/records/contact", a,
             rp_it_fmt("{\"fields\":{\"last_name\":\"Doe\",\"account_id\":\"%s\"}}",
                       rp_it_jstr(o, "id")));
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "account_id"));
    /* A wrong type of id is a validation error too. */
    r = post("/api/v1/records/contact", a,
             "{\"fields\":{\"last_name\":\"Doe\",\"account_id\":\"nope\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = post("/api/v1/records/contact", a,
             rp_it_fmt("{\"fields\":{\"last_name\":\"Doe\",\"account_id\":\"%s\"}}", acc));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(field_str(r, "account_id"), acc);
}

static void if_match(void **state)
{
    const char *a = admin();
    const char *id = create(a, "account", "{\"name\":\"Versioned\"}");
    const char *path = rec_path("account", id);
    rp_it_resp_t *r =
        send_h("PATCH", path, a, "{\"fields\":{\"industry\":\"Retail\"}}", "If-Match: \"1\"", NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_header(r, "ETag"), "\"2\"");
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 2);
    assert_string_equal(field_str(r, "industry"), "Retail");
    assert_string_equal(field_str(r, "name"), "Versioned");
    r = send_h("PATCH", path, a, "{\"fields\":{\"industry\":\"Media\"}}", "If-Match: \"1\"", NULL);
    RP_IT_EXPECT_PROBLEM(r, 412, "precondition_failed");
    RP_IT_EXPECT_PROBLEM(send_h("DELETE", path, a, NULL, "If-Match: \"1\"", NULL), 412,
                         "precondition_failed");
    r = rp_it_get(path, a);
    assert_string_equal(field_str(r, "industry"), "Retail");
    assert_string_equal(rp_it_sql("SELECT updated_by::text FROM records WHERE id = $1", id, NULL),
                        admin_id);
    /* Clearing a field, and a required one refused. */
    r = rp_it_send("PATCH", path, a, "{\"fields\":{\"industry\":null}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_null(field(r, "industry")));
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", path, a, "{\"fields\":{\"name\":\"\"}}"), 422,
                         "validation_failed");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", path, a, "{\"fields\":{\"bogus\":1}}"), 400,
                         "unknown_field");
    RP_IT_EXPECT_STATUS(send_h("DELETE", path, a, NULL, "If-Match: \"3\"", NULL), 204);
}

static void other_tenant_404(void **state)
{
    const char *id = create(admin(), "account", "{\"name\":\"Mine\"}");
    const char *path = rec_path("account", id);
    const char *o = other_admin();
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, o), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", path, o, "{\"fields\":{\"name\":\"Theirs\"}}"), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", path, o, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(post(rp_it_fmt("%s/restore", path), o, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("%s/history", path), o), 404, "not_found");
    rp_it_resp_t *r = rp_it_get(path, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(field_str(r, "name"), "Mine");
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 1);
}

static void soft_delete_and_restore(void **state)
{
    const char *a = admin();
    const char *id = create(a, "account", "{\"name\":\"Phoenix\"}");
    const char *path = rec_path("account", id);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", path, a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", path, a, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", path, a, "{\"fields\":{\"name\":\"x\"}}"), 404,
                         "not_found");
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("%s?include_deleted=true", path), a);
    RP_IT_EXPECT_STATUS(r, 200);
    const char *deleted_at = rp_it_jstr(r, "deleted_at");
    assert_non_null(deleted_at);
    assert_int_equal(strlen(deleted_at), 24);
    assert_int_equal(deleted_at[10], 'T');
    assert_non_null(rp_it_sql("SELECT deleted_at FROM records WHERE id = $1", id, NULL));
    r = post(rp_it_fmt("%s/restore", path), a, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 3);
    assert_string_equal(field_str(r, "name"), "Phoenix");
    RP_IT_EXPECT_STATUS(rp_it_get(path, a), 200);
    RP_IT_EXPECT_PROBLEM(post(rp_it_fmt("%s/restore", path), a, NULL), 409, "not_deleted");
    r = rp_it_get(rp_it_fmt("%s/history", path), a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *data = json_object_get(r->json, "data");
    assert_int_equal(json_array_size(data), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 0), "action")),
                        "restore");
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 1), "action")),
                        "delete");
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 2), "action")),
                        "create");
}

static void delete_rules(void **state)
{
    const char *a = admin();
    const char *acc = create(a, "account", "{\"name\":\"Parent\"}");
    const char *c1 =
        create(a, "contact", rp_it_fmt("{\"last_name\":\"Kept\",\"account_id\":\"%s\"}", acc));
    const char *c2 = create(
        a, "contact", rp_it_fmt("{\"last_name\":\"Gone\",\"billing_account__c\":\"%s\"}", acc));
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", acc), a, NULL), 204);
    rp_it_resp_t *r = rp_it_get(rec_path("contact", c1), a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_null(field(r, "account_id")));
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 2);
    r = rp_it_get(rp_it_fmt("%s/history", rec_path("contact", c1)), a);
    json_t *top = json_array_get(json_object_get(r->json, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "action")), "update");
    json_t *ch = json_object_get(json_object_get(top, "changes"), "account_id");
    assert_string_equal(json_string_value(json_object_get(ch, "old")), acc);
    assert_true(json_is_null(json_object_get(ch, "new")));
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("contact", c2), a), 404, "not_found");

    /* restrict: the delete is refused and nothing changes. */
    const char *b = create(a, "account", "{\"name\":\"Guarded\"}");
    const char *c3 = create(
        a, "contact",
        rp_it_fmt("{\"last_name\":\"Vip\",\"vip_account__c\":\"%s\",\"account_id\":\"%s\"}", b, b));
    r = rp_it_send("DELETE", rec_path("account", b), a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "record_referenced");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "contact"));
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", b), a), 200);
    r = rp_it_get(rec_path("contact", c3), a);
    assert_string_equal(field_str(r, "account_id"), b);
}

static void history_pages(void **state)
{
    const char *a = admin();
    const char *id = create(a, "account", "{\"name\":\"H1\",\"industry\":\"Media\"}");
    const char *path = rec_path("account", id);
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", path, a, "{\"fields\":{\"name\":\"H2\"}}"), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", path, a,
                                   "{\"fields\":{\"name\":\"H3\",\"industry\":"
                                   "\"Media\"}}"),
                        200);
    /* A PATCH that changes nothing writes nothing. */
    rp_it_resp_t *r = rp_it_send("PATCH", path, a, "{\"fields\":{\"name\":\"H3\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 3);
    r = rp_it_get(rp_it_fmt("%s/history", path), a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *data = json_object_get(r->json, "data");
    assert_int_equal(json_array_size(data), 3);
    json_t *newest = json_array_get(data, 0);
    json_t *changes = json_object_get(newest, "changes");
    assert_int_equal(json_object_size(changes), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(changes, "name"), "old")),
                        "H2");
    assert_string_equal(json_string_value(json_object_get(json_object_get(changes, "name"), "new")),
                        "H3");
    assert_string_equal(json_string_value(json_object_get(newest, "actor_id")), admin_id);
    json_t *oldest = json_array_get(data, 2);
    assert_string_equal(json_string_value(json_object_get(oldest, "action")), "create");
    assert_non_null(json_object_get(json_object_get(oldest, "changes"), "industry"));
    assert_true(json_is_null(json_object_get(r->json, "next_cursor")));
    /* Pages of one, following the cursor, give the same three. */
    const char *cursor = NULL;
    for (int i = 0; i < 3; i++) {
        r = rp_it_get(cursor ? rp_it_fmt("%s/history?limit=1&cursor=%s", path, cursor)
                             : rp_it_fmt("%s/history?limit=1", path),
                      a);
        RP_IT_EXPECT_STATUS(r, 200);
        json_t *d = json_object_get(r->json, "data");
        assert_int_equal(json_array_size(d), 1);
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(d, 0), "id")),
            json_string_value(json_object_get(json_array_get(data, (size_t)i), "id")));
        cursor = rp_it_jstr(r, "next_cursor");
        if (i < 2)
            assert_non_null(cursor);
        else
            assert_null(cursor);
        cursor = cursor ? rp_it_fmt("%s", cursor) : NULL;
    }
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("%s/history?cursor=zzz", path), a), 422, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("%s/history?limit=0", path), a), 422, NULL);
}

static void bulk(void **state)
{
    const char *a = admin();
    const char *upd = create(a, "account", "{\"name\":\"Bulk upd\"}");
    const char *del = create(a, "account", "{\"name\":\"Bulk del\"}");
    long before = count("account");
    rp_it_resp_t *r =
        post("/api/v1/records/account/bulk", a,
             rp_it_fmt("{\"operations\":["
                       "{\"op\":\"create\",\"fields\":{\"name\":\"B1\"}},"
                       "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"name\":\"B2\"}},"
                       "{\"op\":\"create\",\"fields\":{\"website\":\"bad\"}},"
                       "{\"op\":\"delete\",\"id\":\"%s\"},"
                       "{\"op\":\"explode\"},"
                       "{\"op\":\"create\",\"fields\":{\"name\":\"B3\"}}]}",
                       upd, del));
    RP_IT_EXPECT_PROBLEM(r, 422, "bulk_failed");
    json_t *errs = json_object_get(r->json, "errors");
    assert_int_equal(json_array_size(errs), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(errs, 0), "index")), 2);
    assert_non_null(json_object_get(json_object_get(json_array_get(errs, 0), "errors"), "name"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(errs, 1), "index")), 4);
    /* Nothing was written. */
    assert_int_equal(count("account"), before);
    assert_string_equal(field_str(rp_it_get(rec_path("account", upd), a), "name"), "Bulk upd");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", del), a), 200);
    assert_null(rp_it_sql("SELECT id FROM records WHERE data->>'name' = 'B1'", NULL));

    r = post("/api/v1/records/account/bulk", a,
             rp_it_fmt("{\"operations\":["
                       "{\"op\":\"create\",\"fields\":{\"name\":\"B1\"}},"
                       "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"name\":\"B2\"}},"
                       "{\"op\":\"delete\",\"id\":\"%s\"}]}",
                       upd, del));
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(r->json, "results");
    assert_int_equal(json_array_size(res), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(res, 0), "status")), 201);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_array_get(res, 0), "record"), "fields"), "name")),
        "B1");
    assert_int_equal(count("account"), before + 1);
    assert_string_equal(field_str(rp_it_get(rec_path("account", upd), a), "name"), "B2");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account", del), a), 404, "not_found");

    /* More than 1000 operations are refused whole. */
    rp_buf_t big = {0};
    rp_buf_puts(&big, "{\"operations\":[");
    for (int i = 0; i < 1001; i++)
        rp_buf_printf(&big, "%s{\"op\":\"create\",\"fields\":{\"name\":\"n%d\"}}", i ? "," : "", i);
    rp_buf_puts(&big, "]}");
    r = post("/api/v1/records/account/bulk", a, big.data);
    rp_buf_free(&big);
    RP_IT_EXPECT_PROBLEM(r, 413, "too_many_operations");
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account/bulk", a, "{\"operations\":[]}"), 422,
                         "validation_failed");
}

static void idempotency(void **state)
{
    const char *a = admin();
    const char *body = "{\"fields\":{\"name\":\"Once only\"}}";
    long before = count("account");
    rp_it_resp_t *r1 =
        send_h("POST", "/api/v1/records/account", a, body, "Idempotency-Key: key-one", NULL);
    RP_IT_EXPECT_STATUS(r1, 201);
    assert_null(rp_it_header(r1, "Idempotent-Replayed"));
    rp_it_resp_t *r2 =
        send_h("POST", "/api/v1/records/account", a, body, "Idempotency-Key: key-one", NULL);
    RP_IT_EXPECT_STATUS(r2, 201);
    assert_string_equal(rp_it_header(r2, "Idempotent-Replayed"), "true");
    assert_string_equal(r2->body, r1->body);
    assert_string_equal(rp_it_header(r2, "Location"), rp_it_header(r1, "Location"));
    assert_int_equal(count("account"), before + 1);
    RP_IT_EXPECT_PROBLEM(send_h("POST", "/api/v1/records/account", a,
                                "{\"fields\":{\"name\":\"Twice\"}}", "Idempotency-Key: key-one",
                                NULL),
                         422, "idempotency_key_reused");
    char longkey[300] = "Idempotency-Key: ";
    memset(longkey + strlen(longkey), 'k', 256);
    RP_IT_EXPECT_PROBLEM(send_h("POST", "/api/v1/records/account", a, body, longkey, NULL), 400,
                         "invalid_idempotency_key");
    /* A failure is not stored: the corrected request goes through. */
    RP_IT_EXPECT_PROBLEM(send_h("POST", "/api/v1/records/account", a, "{\"fields\":{}}",
                                "Idempotency-Key: key-two", NULL),
                         422, "validation_failed");
    RP_IT_EXPECT_STATUS(send_h("POST", "/api/v1/records/account", a,
                               "{\"fields\":{\"name\":\"Fixed\"}}", "Idempotency-Key: key-two",
                               NULL),
                        201);
    assert_int_equal(count("account"), before + 2);
    /* Bulk requests are covered too. */
    const char *ops = "{\"operations\":[{\"op\":\"create\",\"fields\":{\"name\":\"Bk\"}}]}";
    RP_IT_EXPECT_STATUS(
        send_h("POST", "/api/v1/records/account/bulk", a, ops, "Idempotency-Key: key-3", NULL),
        200);
    rp_it_resp_t *r =
        send_h("POST", "/api/v1/records/account/bulk", a, ops, "Idempotency-Key: key-3", NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_header(r, "Idempotent-Replayed"), "true");
    assert_int_equal(count("account"), before + 3);
}

static void autonumber_gapless(void **state)
{
    const char *a = admin();
    create(a, "account", "{\"name\":\"Seq0\",\"code__c\":\"SEQ\"}");
    const char *n1 = field_str(
        rp_it_get(rec_path("account", create(a, "account", "{\"name\":\"Seq1\"}")), a), "seq__c");
    /* A create that fails after taking its number gives it back. */
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account", admin(),
                              "{\"fields\":{\"name\":\"Dup\",\"code__c\":\"SEQ\"}}"),
                         422, "validation_failed");
    const char *n2 = field_str(
        rp_it_get(rec_path("account", create(a, "account", "{\"name\":\"Seq2\"}")), a), "seq__c");
    const char *n3 = field_str(
        rp_it_get(rec_path("account", create(a, "account", "{\"name\":\"Seq3\"}")), a), "seq__c");
    assert_non_null(n1);
    assert_int_equal(strncmp(n1, "A-", 2), 0);
    int v1 = atoi(n1 + 2), v2 = atoi(n2 + 2), v3 = atoi(n3 + 2);
    assert_int_equal(v2, v1 + 1);
    assert_int_equal(v3, v2 + 1);
    assert_int_equal(strlen(n1), 6);
}

static void readonly_role(void **state)
{
    const char *id = create(admin(), "account", "{\"name\":\"Look only\"}");
    const char *path = rec_path("account", id);
    const char *v = rp_it_token("acme", "viewer@acme.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account", v, "{\"fields\":{\"name\":\"No\"}}"), 403,
                         NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", path, v, "{\"fields\":{\"name\":\"No\"}}"), 403, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", path, v, NULL), 403, NULL);
    RP_IT_EXPECT_PROBLEM(post(rp_it_fmt("%s/restore", path), v, NULL), 403, NULL);
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/account/bulk", v,
                              "{\"operations\":[{\"op\":\"delete\",\"id\":\"x\"}]}"),
                         403, NULL);
    RP_IT_EXPECT_STATUS(rp_it_get(path, v), 200);
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("%s/history", path), v), 200);
    assert_string_equal(field_str(rp_it_get(path, v), "name"), "Look only");
}

static void purge(void **state)
{
    const char *a = admin();
    const char *old = create(a, "account", "{\"name\":\"Old\"}");
    const char *recent = create(a, "account", "{\"name\":\"Recent\"}");
    const char *live = create(a, "account", "{\"name\":\"Live\"}");
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", old), a, NULL), 204);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", recent), a, NULL), 204);
    rp_it_sql("UPDATE records SET deleted_at = now() - interval '31 days' WHERE id = $1", old,
              NULL);
    rp_it_sql("UPDATE records SET deleted_at = now() - interval '2 days' WHERE id = $1", recent,
              NULL);
    rp_db_t *db = NULL;
    assert_int_equal(rp_db_open(&db, rp_it_pg_conninfo("rapport_app"), NULL), RP_OK);
    long n = -1;
    /* The default period (30 days) takes the old one only. */
    assert_int_equal(rp_db_begin(db, acme_id), RP_OK);
    assert_int_equal(rp_records_purge(db, acme_id, -1, &n), RP_OK);
    assert_int_equal(rp_db_commit(db), RP_OK);
    assert_int_equal(n, 1);
    assert_null(rp_it_sql("SELECT id FROM records WHERE id = $1", old, NULL));
    assert_null(rp_it_sql("SELECT id FROM record_history WHERE record_id = $1", old, NULL));
    assert_non_null(rp_it_sql("SELECT id FROM records WHERE id = $1", recent, NULL));
    /* The tenant's own setting shortens it. */
    rp_it_sql("UPDATE tenants SET settings = settings || '{\"purge_after_days\": 1}' WHERE id = $1",
              acme_id, NULL);
    assert_int_equal(rp_db_begin(db, acme_id), RP_OK);
    assert_int_equal(rp_records_purge(db, acme_id, -1, &n), RP_OK);
    assert_int_equal(rp_db_commit(db), RP_OK);
    assert_int_equal(n, 1);
    assert_null(rp_it_sql("SELECT id FROM records WHERE id = $1", recent, NULL));
    assert_non_null(rp_it_sql("SELECT id FROM records WHERE id = $1", live, NULL));
    rp_it_sql("UPDATE tenants SET settings = settings - 'purge_after_days' WHERE id = $1", acme_id,
              NULL);
    rp_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(create_and_get),
        RP_IT_TEST(bad_input),
        RP_IT_TEST(unique_fields),
        RP_IT_TEST(references),
        RP_IT_TEST(if_match),
        RP_IT_TEST(other_tenant_404),
        RP_IT_TEST(soft_delete_and_restore),
        RP_IT_TEST(delete_rules),
        RP_IT_TEST(history_pages),
        RP_IT_TEST(bulk),
        RP_IT_TEST(idempotency),
        RP_IT_TEST(autonumber_gapless),
        RP_IT_TEST(readonly_role),
        RP_IT_TEST(purge),
    };
    RP_IT_RUN("records_crud", tests, setup, teardown);
}
