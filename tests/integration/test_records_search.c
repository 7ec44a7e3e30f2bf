/* Global search through the HTTP API: accents, case, typos, ranking, tenant
 * isolation, deleted and renamed records, and the refusals. Records are
 * written through the records API so their search text is the engine's. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "search-password-1"

static const char *admin(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

/* Creates a record and returns its id (tracked). */
static const char *create(const char *token, const char *object, const char *fields)
{
    char path[128], body[1024];
    snprintf(path, sizeof path, "/api/v1/records/%s", object);
    snprintf(body, sizeof body, "{\"fields\": %s}", fields);
    rp_it_resp_t *r = rp_it_send("POST", path, token, body);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_jstr(r, "id");
    if (id == NULL)
        RP_IT_FAIL("no id in %s", r->body);
    return rp_it_track(strdup(id), free);
}

/* GET /api/v1/search?<query> as token, expecting 200; the data array. */
static json_t *search(const char *token, const char *query)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/search?%s", query);
    rp_it_resp_t *r = rp_it_get(path, token);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = json_object_get(r->json, "data");
    if (!json_is_array(d))
        RP_IT_FAIL("no data array in %s", r->body);
    return d;
}

/* The position of record id in results, or -1. */
static int position(const json_t *results, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(results, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
            return (int)i;
    }
    return -1;
}

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

static void accents_and_case(void **state)
{
    (void)state;
    const char *zoe = create(admin(), "contact", "{\"last_name\": \"Zo\\u00e9\"}");
    const char *globex = create(admin(), "account", "{\"name\": \"Globex Industries\"}");
    json_t *d = search(admin(), "q=zoe");
    int i = position(d, zoe);
    if (i < 0)
        RP_IT_FAIL("zoe did not find Zo\xc3\xa9");
    json_t *e = json_array_get(d, (size_t)i);
    assert_string_equal(json_string_value(json_object_get(e, "object")), "contact");
    /* The title is the first searchable field with a value: no first name
     * here, so the last name. */
    assert_string_equal(json_string_value(json_object_get(e, "title")), "Zo\xc3\xa9");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "matched"), "last_name")),
        "Zo\xc3\xa9");
    assert_true(json_real_value(json_object_get(e, "score")) > 0.9);
    /* Accented and upper-case queries find the same records. */
    assert_true(position(search(admin(), "q=ZO%C3%89"), zoe) >= 0);
    assert_true(position(search(admin(), "q=GLOBEX"), globex) >= 0);
    assert_true(position(search(admin(), "q=gLoBeX%20indus"), globex) >= 0);
    /* Substrings match too. */
    assert_true(position(search(admin(), "q=obex"), globex) >= 0);
    assert_int_equal(position(search(admin(), "q=obex"), zoe), -1);
}

static void typos(void **state)
{
    (void)state;
    const char *firm = create(admin(), "account", "{\"name\": \"John Smith Consulting\"}");
    const char *smith =
        create(admin(), "contact",
               "{\"first_name\": \"John\", \"last_name\": \"Smith\", \"email\": \"js@corp.test\"}");
    const char *unrelated = create(admin(), "account", "{\"name\": \"Wayne Enterprises\"}");
    json_t *d = search(admin(), "q=Jonh%20Smiht");
    assert_true(position(d, firm) >= 0);
    /* First and last name together: the contact is found by its full name. */
    assert_true(position(d, smith) >= 0);
    assert_int_equal(position(d, unrelated), -1);
    d = search(admin(), "q=Smiht");
    assert_true(position(d, smith) >= 0);
    assert_int_equal(position(d, unrelated), -1);
    /* objects= keeps to the objects named. */
    d = search(admin(), "q=Smiht&objects=contact");
    assert_true(position(d, smith) >= 0);
    assert_int_equal(position(d, firm), -1);
    d = search(admin(), "q=Smiht&objects=account,contact");
    assert_true(position(d, smith) >= 0);
    assert_true(position(d, firm) >= 0);
    /* The e-mail is searchable on contacts. */
    assert_true(position(search(admin(), "q=js%40corp"), smith) >= 0);
}

static void ranking(void **state)
{
    (void)state;
    const char *longer = create(admin(), "account", "{\"name\": \"Initech Holdings\"}");
    const char *word = create(admin(), "account", "{\"name\": \"Initechnology\"}");
    const char *exact = create(admin(), "account", "{\"name\": \"Initech\"}");
    json_t *d = search(admin(), "q=initech");
    assert_int_equal(position(d, exact), 0);
    assert_true(position(d, longer) > 0);
    assert_true(position(d, word) > 0);
    double s0 = json_real_value(json_object_get(json_array_get(d, 0), "score"));
    double s1 = json_real_value(json_object_get(json_array_get(d, 1), "score"));
    assert_true(s0 > s1);
    /* limit cuts the ranked list. */
    d = search(admin(), "q=initech&limit=1");
    assert_int_equal(json_array_size(d), 1);
    assert_int_equal(position(d, exact), 0);
}

static void tenants(void **state)
{
    (void)state;
    const char *other_tok = rp_it_token("other", "admin@other.test", PASSWORD);
    const char *theirs = create(other_tok, "account", "{\"name\": \"Umbrella Corporation\"}");
    const char *ours = create(admin(), "account", "{\"name\": \"Umbrella Partners\"}");
    json_t *d = search(admin(), "q=umbrella");
    assert_true(position(d, ours) >= 0);
    assert_int_equal(position(d, theirs), -1);
    d = search(other_tok, "q=umbrella");
    assert_true(position(d, theirs) >= 0);
    assert_int_equal(position(d, ours), -1);
}

static void deleted_and_renamed(void **state)
{
    (void)state;
    char path[128];
    const char *gone = create(admin(), "account", "{\"name\": \"Vandelay Imports\"}");
    assert_true(position(search(admin(), "q=vandelay"), gone) >= 0);
    snprintf(path, sizeof path, "/api/v1/records/account/%s", gone);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", path, admin(), NULL), 204);
    assert_int_equal(position(search(admin(), "q=vandelay"), gone), -1);
    snprintf(path, sizeof path, "/api/v1/records/account/%s/restore", gone);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", path, admin(), NULL), 200);
    assert_true(position(search(admin(), "q=vandelay"), gone) >= 0);

    const char *renamed = create(admin(), "account", "{\"name\": \"Quentin Tarragon\"}");
    assert_true(position(search(admin(), "q=quentin"), renamed) >= 0);
    snprintf(path, sizeof path, "/api/v1/records/account/%s", renamed);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", path, admin(), "{\"fields\": {\"name\": \"Barnaby Wolfe\"}}"), 200);
    assert_int_equal(position(search(admin(), "q=quentin"), renamed), -1);
    assert_int_equal(position(search(admin(), "q=tarragon"), renamed), -1);
    json_t *d = search(admin(), "q=barnaby");
    int i = position(d, renamed);
    assert_true(i >= 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, (size_t)i), "title")),
                        "Barnaby Wolfe");
}

static void refusals(void **state)
{
    (void)state;
    char path[512] = "/api/v1/search?q=";
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search", admin()), 400, "invalid_query");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search?q=", admin()), 400, "invalid_query");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search?q=%20%20", admin()), 400, "invalid_query");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search?q=%FF", admin()), 400, "invalid_query");
    size_t len = strlen(path);
    memset(path + len, 'a', 201);
    path[len + 201] = '\0';
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, admin()), 400, "invalid_query");
    path[len + 200] = '\0';
    RP_IT_EXPECT_STATUS(rp_it_get(path, admin()), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search?q=x&limit=0", admin()), 400, "invalid_limit");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search?q=x&limit=101", admin()), 400, "invalid_limit");
    rp_it_resp_t *r = rp_it_get("/api/v1/search?q=x&objects=account,nope", admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_object");
    if (strstr(r->body, "nope") == NULL)
        RP_IT_FAIL("the problem does not name the object: %s", r->body);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/search?q=x&objects=", admin()), 400, "unknown_object");
    /* Wildcards in q are plain characters. */
    const char *pct = create(admin(), "account", "{\"name\": \"Half 50% off\"}");
    assert_true(position(search(admin(), "q=50%25"), pct) >= 0);
    assert_int_equal(json_array_size(search(admin(), "q=%25%25%25_")), 0);
}

static void roles(void **state)
{
    (void)state;
    const char *id = create(admin(), "account", "{\"name\": \"Readable Widgets\"}");
    const char *reader = rp_it_token("acme", "reader@acme.test", PASSWORD);
    assert_true(position(search(reader, "q=readable"), id) >= 0);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/search?q=readable", NULL), 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(accents_and_case),
        RP_IT_TEST(typos),
        RP_IT_TEST(ranking),
        RP_IT_TEST(tenants),
        RP_IT_TEST(deleted_and_renamed),
        RP_IT_TEST(refusals),
        RP_IT_TEST(roles),
    };
    RP_IT_RUN("records_search", tests, setup, teardown);
}
