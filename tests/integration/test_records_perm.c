/* Record permissions through the HTTP API: the readonly rank, then custom
 * roles made with /api/v1/roles and teams made with /api/v1/teams, applied
 * by every read path (get, list, query, related, search, history) and every
 * write path (create, patch, delete, restore, bulk).
 *
 * Tenant acme: alice and bob are in team East and have the role "rep";
 * carol has the built-in role user; dave has the role "blind". The role rep
 * reads accounts of its team and changes only its own, deletes none, may not
 * see secret__c and may only read annual_revenue; it reads, changes and
 * deletes only its own contacts, may not create any, and may not see their
 * phone. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "perm-password-1"

static const char *acme_id, *team_id;
static const char *alice_id, *bob_id, *carol_id;
/* Accounts owned by alice, bob (her team mate) and carol (no team). */
static const char *acct_a, *acct_b, *acct_c;
/* Contacts: alice's and carol's, both of account a; alice's of account c. */
static const char *con_a, *con_c, *con_ac;

static const char *token(const char *who)
{
    return rp_it_token("acme", rp_it_fmt("%s@acme.test", who), PASSWORD);
}

static const char *rec_path(const char *object, const char *id)
{
    return rp_it_fmt("/api/v1/records/%s/%s", object, id);
}

/* Creates a record as tok with the given body; returns its id (tracked). */
static const char *create(const char *tok, const char *object, const char *body)
{
    rp_it_resp_t *r = rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", object), tok, body);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_jstr(r, "id");
    if (id == NULL)
        RP_IT_FAIL("no id in %s", r->body);
    return rp_it_track(strdup(id), free);
}

static json_t *fields_of(const rp_it_resp_t *r)
{
    json_t *f = json_object_get(r->json, "fields");
    if (!json_is_object(f))
        RP_IT_FAIL("no fields in %s", r->body);
    return f;
}

static const char *error_of(const rp_it_resp_t *r, const char *f)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), f));
}

/* True when the list (an array of records or search hits) holds id. */
static bool holds(const json_t *list, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *x = json_string_value(json_object_get(e, "id"));
        if (x != NULL && strcmp(x, id) == 0)
            return true;
    }
    return false;
}

/* The data array of a 200 list answer. */
static json_t *data_of(rp_it_resp_t *r)
{
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = json_object_get(r->json, "data");
    if (!json_is_array(d))
        RP_IT_FAIL("no data in %s", r->body);
    return d;
}

/* True when some record of list has member name in its fields. */
static bool any_has_field(const json_t *list, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_object_get(json_object_get(e, "fields"), name) != NULL)
            return true;
    }
    return false;
}

static const char *count(const char *object)
{
    return rp_it_sql("SELECT count(*)::text FROM records WHERE tenant_id = $1 AND object = $2",
                     acme_id, object, NULL);
}

static void expect_forbidden_field(rp_it_resp_t *r, const char *field)
{
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    const char *e = error_of(r, field);
    if (e == NULL || strcmp(e, "you may not edit this field") != 0)
        RP_IT_FAIL("%s not refused by name in %s", field, r->body);
    const char *detail = rp_it_jstr(r, "detail");
    if (detail == NULL || strstr(detail, field) == NULL)
        RP_IT_FAIL("detail does not name %s: %s", field, r->body);
}

static void set_role(const char *admin, const char *user_id, const char *role)
{
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", rp_it_fmt("/api/v1/users/%s", user_id), admin,
                                   rp_it_fmt("{\"role\":\"%s\"}", role)),
                        200);
}

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    const char *users[][2] = {{"admin", "admin"}, {"reader", "readonly"}, {"alice", "user"},
                              {"bob", "user"},    {"carol", "user"},      {"dave", "user"},
                              {"erin", "user"}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        rp_it_user_add("acme", rp_it_fmt("%s@acme.test", users[i][0]), users[i][1], PASSWORD);
    acme_id = strdup(rp_it_tenant_id("acme"));
    alice_id = strdup(rp_it_user_id("acme", "alice@acme.test"));
    bob_id = strdup(rp_it_user_id("acme", "bob@acme.test"));
    carol_id = strdup(rp_it_user_id("acme", "carol@acme.test"));
    const char *adm = token("admin");

    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects/account/fields", adm,
                                   "{\"name\":\"secret__c\",\"type\":\"text\",\"label\":\"Secret\","
                                   "\"searchable\":true}"),
                        201);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/roles", adm,
                   "{\"name\":\"rep\",\"label\":\"Sales rep\",\"base\":\"user\",\"objects\":{"
                   "\"account\":{\"create\":true,\"read\":\"team\",\"update\":\"own\","
                   "\"delete\":\"none\",\"fields\":{\"secret__c\":\"none\","
                   "\"annual_revenue\":\"read\"}},"
                   "\"contact\":{\"create\":false,\"read\":\"own\",\"update\":\"own\","
                   "\"delete\":\"own\",\"fields\":{\"phone\":\"none\"}}}}"),
        201);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/roles", adm,
                                   "{\"name\":\"blind\",\"label\":\"Blind\",\"base\":\"user\","
                                   "\"objects\":{\"contact\":{\"create\":true,\"read\":\"all\","
                                   "\"update\":\"all\",\"delete\":\"all\"}}}"),
                        201);
    set_role(adm, alice_id, "rep");
    set_role(adm, bob_id, "rep");
    set_role(adm, rp_it_user_id("acme", "dave@acme.test"), "blind");
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/teams", adm, "{\"name\":\"East\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *team = rp_it_jstr(r, "id");
    assert_non_null(team);
    team_id = strdup(team);
    for (int i = 0; i < 2; i++) {
        r = rp_it_send("PUT", rp_it_fmt("/api/v1/teams/%s/members/%s", team, i ? bob_id : alice_id),
                       adm, NULL);
        if (r->status != 200 && r->status != 201 && r->status != 204)
            RP_IT_FAIL("adding a team member: %s", r->body);
    }

#define ACCT                                                                                       \
    "{\"owner_id\":\"%s\",\"fields\":{\"name\":\"%s\",\"secret__c\":\"%s\","                       \
    "\"annual_revenue\":{\"amount\":\"100\",\"currency\":\"EUR\"}}}"
#define CON                                                                                        \
    "{\"owner_id\":\"%s\",\"fields\":{\"last_name\":\"%s\",\"phone\":"                             \
    "\"+33 1 23 45 67 89\",\"account_id\":\"%s\"}}"
    acct_a =
        strdup(create(adm, "account", rp_it_fmt(ACCT, alice_id, "Zephyr Alpha", "ultraviolet")));
    acct_b = strdup(create(adm, "account", rp_it_fmt(ACCT, bob_id, "Zephyr Beta", "infrared")));
    acct_c = strdup(create(adm, "account", rp_it_fmt(ACCT, carol_id, "Zephyr Gamma", "gamma ray")));
    con_a = strdup(create(adm, "contact", rp_it_fmt(CON, alice_id, "Quasar", acct_a)));
    con_c = strdup(create(adm, "contact", rp_it_fmt(CON, carol_id, "Quasarc", acct_a)));
    con_ac = strdup(create(adm, "contact", rp_it_fmt(CON, alice_id, "Quasarac", acct_c)));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    const char *const owned[] = {acme_id, team_id, alice_id, bob_id, carol_id, acct_a,
                                 acct_b,  acct_c,  con_a,    con_c,  con_ac};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free((void *)owned[i]);
    return 0;
}

static void readonly_reads_but_never_writes(void **state)
{
    (void)state;
    const char *t = token("reader");
    const char *before = count("account");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/records/account", t, "{\"fields\":{\"name\":\"No\"}}"), 403,
        NULL);
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", rec_path("account", acct_a), t, "{\"fields\":{\"name\":\"No\"}}"), 403,
        NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rec_path("account", acct_a), t, NULL), 403, NULL);
    assert_string_equal(count("account"), before);
    rp_it_resp_t *r = rp_it_get(rec_path("account", acct_c), t);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(json_string_value(json_object_get(fields_of(r), "secret__c")), "gamma ray");
    json_t *d = data_of(rp_it_get("/api/v1/records/account", t));
    assert_true(holds(d, acct_a) && holds(d, acct_b) && holds(d, acct_c));
}

static void team_scope_reads(void **state)
{
    (void)state;
    const char *t = token("alice");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", acct_a), t), 200);
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", acct_b), t), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account", acct_c), t), 404, "not_found");
    /* The same answer as a record that does not exist at all. */
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account", "0190a0b0-0000-7000-8000-000000000099"), t),
                         404, "not_found");
    json_t *d = data_of(rp_it_get("/api/v1/records/account?limit=200", t));
    assert_true(holds(d, acct_a));
    assert_true(holds(d, acct_b));
    assert_false(holds(d, acct_c));
    d = data_of(rp_it_send("POST", "/api/v1/query/account", t,
                           "{\"filter\":{\"field\":\"name\",\"op\":\"starts_with\","
                           "\"value\":\"Zephyr\"}}"));
    assert_int_equal(json_array_size(d), 2);
    assert_true(holds(d, acct_a) && holds(d, acct_b));
    d = data_of(rp_it_get("/api/v1/search?q=Zephyr", t));
    assert_true(holds(d, acct_a) && holds(d, acct_b));
    assert_false(holds(d, acct_c));
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("%s/history", rec_path("account", acct_b)), t), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("%s/history", rec_path("account", acct_c)), t), 404,
                         "not_found");
    /* Membership is read at each request: out of the team, bob's account
     * is out of sight at once, and back in when he is back. */
    const char *adm = token("admin");
    const char *member = rp_it_fmt("/api/v1/teams/%s/members/%s", team_id, bob_id);
    rp_it_resp_t *r = rp_it_send("DELETE", member, adm, NULL);
    if (r->status != 200 && r->status != 204)
        RP_IT_FAIL("removing a team member: %s", r->body);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account", acct_b), t), 404, "not_found");
    assert_false(holds(data_of(rp_it_get("/api/v1/records/account?limit=200", t)), acct_b));
    assert_false(holds(data_of(rp_it_get("/api/v1/search?q=Zephyr", t)), acct_b));
    r = rp_it_send("PUT", member, adm, NULL);
    if (r->status != 200 && r->status != 201 && r->status != 204)
        RP_IT_FAIL("adding a team member: %s", r->body);
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", acct_b), t), 200);
    /* Carol is in no team: her user role reads everything. */
    d = data_of(rp_it_get("/api/v1/records/account?limit=200", token("carol")));
    assert_true(holds(d, acct_a) && holds(d, acct_b) && holds(d, acct_c));
}

static void own_scope_reads(void **state)
{
    (void)state;
    const char *t = token("alice");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("contact", con_a), t), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("contact", con_c), t), 404, "not_found");
    json_t *d = data_of(rp_it_get("/api/v1/records/contact?limit=200", t));
    assert_true(holds(d, con_a) && holds(d, con_ac));
    assert_false(holds(d, con_c));
    d = data_of(rp_it_send("POST", "/api/v1/query/contact", t,
                           "{\"filter\":{\"field\":\"last_name\",\"op\":\"starts_with\","
                           "\"value\":\"Quasar\"}}"));
    assert_int_equal(json_array_size(d), 2);
    assert_false(holds(d, con_c));
    /* Related: the parent is readable, and only alice's child shows. */
    d = data_of(
        rp_it_get(rp_it_fmt("%s/related/contact.account_id", rec_path("account", acct_a)), t));
    assert_true(holds(d, con_a));
    assert_false(holds(d, con_c));
    /* A parent outside the read scope answers like a missing one, even
     * though alice owns a child of it. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_get(rp_it_fmt("%s/related/contact.account_id", rec_path("account", acct_c)), t), 404,
        "not_found");
    d = data_of(rp_it_get("/api/v1/search?q=Quasar", t));
    assert_true(holds(d, con_a));
    assert_false(holds(d, con_c));
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("%s/history", rec_path("contact", con_c)), t), 404,
                         "not_found");
    /* Bob shares alice's team, but contacts are read "own". */
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("contact", con_a), token("bob")), 404, "not_found");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("contact", con_c), token("carol")), 200);
}

static void update_own_only(void **state)
{
    (void)state;
    const char *t = token("alice");
    rp_it_resp_t *r = rp_it_send("PATCH", rec_path("account", acct_a), t,
                                 "{\"fields\":{\"website\":\"https://alpha.test\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(json_string_value(json_object_get(fields_of(r), "website")),
                        "https://alpha.test");
    /* Bob's account is readable but not hers to change. */
    r = rp_it_send("PATCH", rec_path("account", acct_b), t,
                   "{\"fields\":{\"website\":\"https://beta.test\"}}");
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    r = rp_it_get(rec_path("account", acct_b), token("carol"));
    assert_true(json_is_null(json_object_get(fields_of(r), "website")));
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 1);
    /* Carol's is not even readable. */
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", rec_path("account", acct_c), t,
                                    "{\"fields\":{\"website\":\"https://gamma.test\"}}"),
                         404, "not_found");
    /* Bulk: all or nothing, each item checked. */
    r = rp_it_send("POST", "/api/v1/records/account/bulk", t,
                   rp_it_fmt("{\"operations\":[{\"op\":\"update\",\"id\":\"%s\",\"fields\":"
                             "{\"website\":\"https://a2.test\"}},{\"op\":\"update\",\"id\":\"%s\","
                             "\"fields\":{\"website\":\"https://b2.test\"}}]}",
                             acct_a, acct_b));
    RP_IT_EXPECT_PROBLEM(r, 422, "bulk_failed");
    json_t *item = json_array_get(json_object_get(r->json, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(item, "index")), 1);
    assert_int_equal(json_integer_value(json_object_get(item, "status")), 403);
    r = rp_it_get(rec_path("account", acct_a), t);
    assert_string_equal(json_string_value(json_object_get(fields_of(r), "website")),
                        "https://alpha.test");
}

static void delete_rights(void **state)
{
    (void)state;
    const char *t = token("alice");
    /* Accounts: delete none, even her own. */
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rec_path("account", acct_a), t, NULL), 403,
                         "forbidden");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", acct_a), t), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rec_path("account", acct_c), t, NULL), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/records/account/bulk", t,
                   rp_it_fmt("{\"operations\":[{\"op\":\"delete\",\"id\":\"%s\"}]}", acct_a)),
        422, "bulk_failed");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", acct_a), t), 200);
    /* Contacts: delete own. A deleted contact of carol's cannot be restored
     * by alice, who cannot see it. */
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rec_path("contact", con_c), t, NULL), 404,
                         "not_found");
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("contact", con_ac), t, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("contact", con_ac), t), 404, "not_found");
    rp_it_resp_t *r =
        rp_it_send("POST", rp_it_fmt("%s/restore", rec_path("contact", con_ac)), t, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_null(json_object_get(fields_of(r), "phone"));
    const char *carol = token("carol");
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("contact", con_c), carol, NULL), 204);
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", rp_it_fmt("%s/restore", rec_path("contact", con_c)), t, NULL), 404,
        "not_found");
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", rp_it_fmt("%s/restore", rec_path("contact", con_c)), carol, NULL), 200);
}

static void create_refused(void **state)
{
    (void)state;
    const char *t = token("alice");
    const char *before = count("contact");
    rp_it_resp_t *r =
        rp_it_send("POST", "/api/v1/records/contact", t, "{\"fields\":{\"last_name\":\"Nope\"}}");
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "contact"));
    r = rp_it_send("POST", "/api/v1/records/contact/bulk", t,
                   "{\"operations\":[{\"op\":\"create\",\"fields\":{\"last_name\":\"Nope\"}}]}");
    RP_IT_EXPECT_PROBLEM(r, 422, "bulk_failed");
    json_t *item = json_array_get(json_object_get(r->json, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(item, "status")), 403);
    assert_string_equal(count("contact"), before);
    /* Accounts she may create; the answer hides what she may not see, and
     * the default owner is her. */
    r = rp_it_send("POST", "/api/v1/records/account", t, "{\"fields\":{\"name\":\"Zephyr New\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_null(json_object_get(fields_of(r), "secret__c"));
    assert_non_null(json_object_get(fields_of(r), "annual_revenue"));
    assert_string_equal(rp_it_jstr(r, "owner_id"), alice_id);
}

static void hidden_field(void **state)
{
    (void)state;
    const char *t = token("alice");
    rp_it_resp_t *r = rp_it_get(rec_path("account", acct_a), t);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_null(json_object_get(fields_of(r), "secret__c"));
    assert_non_null(json_object_get(fields_of(r), "name"));
    r = rp_it_get(rec_path("account", acct_a), token("carol"));
    assert_string_equal(json_string_value(json_object_get(fields_of(r), "secret__c")),
                        "ultraviolet");
    json_t *d = data_of(rp_it_get("/api/v1/records/account?limit=200", t));
    assert_true(json_array_size(d) >= 2);
    assert_false(any_has_field(d, "secret__c"));
    assert_true(any_has_field(d, "name"));
    d = data_of(rp_it_send("POST", "/api/v1/query/account", t, "{\"limit\":200}"));
    assert_false(any_has_field(d, "secret__c"));
    d = data_of(
        rp_it_get(rp_it_fmt("%s/related/contact.account_id", rec_path("account", acct_a)), t));
    assert_true(json_array_size(d) >= 1);
    assert_false(any_has_field(d, "phone"));
    assert_true(any_has_field(d, "last_name"));
    /* Filters, sorts and selections treat it as no field at all. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account?filter[secret__c][eq]=ultraviolet", t),
                         400, "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account?sort=secret__c", t), 400,
                         "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account?fields=name,secret__c", t), 400,
                         "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/query/account", t,
                                    "{\"filter\":{\"field\":\"secret__c\",\"op\":\"is_null\","
                                    "\"value\":false}}"),
                         400, "unknown_field");
    RP_IT_EXPECT_STATUS(
        rp_it_get("/api/v1/records/account?filter[secret__c][eq]=ultraviolet", token("carol")),
        200);
    /* Search neither finds a record by it nor shows it. */
    d = data_of(rp_it_get("/api/v1/search?q=ultraviolet", t));
    assert_false(holds(d, acct_a));
    d = data_of(rp_it_get("/api/v1/search?q=ultraviolet", token("carol")));
    assert_true(holds(d, acct_a));
    d = data_of(rp_it_get("/api/v1/search?q=Zephyr%20Alpha", t));
    assert_true(holds(d, acct_a));
    size_t i;
    json_t *e;
    json_array_foreach(d, i, e)
    {
        assert_null(json_object_get(json_object_get(e, "matched"), "secret__c"));
        const char *title = json_string_value(json_object_get(e, "title"));
        assert_true(title == NULL || strstr(title, "ultraviolet") == NULL);
    }
    /* History: changes to it are left out of every entry. */
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", rec_path("account", acct_a), token("admin"),
                                   "{\"fields\":{\"secret__c\":\"x-ray\",\"phone\":\"+1 212 555 "
                                   "0100\"}}"),
                        200);
    r = rp_it_get(rp_it_fmt("%s/history", rec_path("account", acct_a)), t);
    d = data_of(r);
    json_t *latest = json_object_get(json_array_get(d, 0), "changes");
    assert_non_null(json_object_get(latest, "phone"));
    assert_null(json_object_get(latest, "secret__c"));
    json_array_foreach(d, i, e)
    {
        assert_null(json_object_get(json_object_get(e, "changes"), "secret__c"));
    }
    assert_null(strstr(r->body, "ultraviolet"));
    assert_null(strstr(r->body, "x-ray"));
    r = rp_it_get(rp_it_fmt("%s/history", rec_path("account", acct_a)), token("carol"));
    latest = json_object_get(json_array_get(data_of(r), 0), "changes");
    assert_non_null(json_object_get(latest, "secret__c"));
    /* Writing it is refused by name, and nothing is written. */
    const char *before = count("account");
    expect_forbidden_field(rp_it_send("POST", "/api/v1/records/account", t,
                                      "{\"fields\":{\"name\":\"Sneaky\",\"secret__c\":\"s\"}}"),
                           "secret__c");
    assert_string_equal(count("account"), before);
    expect_forbidden_field(rp_it_send("PATCH", rec_path("account", acct_a), t,
                                      "{\"fields\":{\"name\":\"Renamed\",\"secret__c\":\"s\"}}"),
                           "secret__c");
    r = rp_it_get(rec_path("account", acct_a), token("carol"));
    assert_string_equal(json_string_value(json_object_get(fields_of(r), "secret__c")), "x-ray");
    assert_string_equal(json_string_value(json_object_get(fields_of(r), "name")), "Zephyr Alpha");
}

static void read_only_field(void **state)
{
    (void)state;
    const char *t = token("alice");
    rp_it_resp_t *r = rp_it_get(rec_path("account", acct_a), t);
    json_t *rev = json_object_get(fields_of(r), "annual_revenue");
    assert_string_equal(json_string_value(json_object_get(rev, "amount")), "100");
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/records/account?sort=-annual_revenue", t), 200);
    expect_forbidden_field(rp_it_send("PATCH", rec_path("account", acct_a), t,
                                      "{\"fields\":{\"annual_revenue\":{\"amount\":\"5\","
                                      "\"currency\":\"EUR\"}}}"),
                           "annual_revenue");
    r = rp_it_get(rec_path("account", acct_a), token("carol"));
    rev = json_object_get(fields_of(r), "annual_revenue");
    assert_string_equal(json_string_value(json_object_get(rev, "amount")), "100");
    const char *before = count("account");
    expect_forbidden_field(rp_it_send("POST", "/api/v1/records/account", t,
                                      "{\"fields\":{\"name\":\"Rich\",\"annual_revenue\":"
                                      "{\"amount\":\"5\",\"currency\":\"EUR\"}}}"),
                           "annual_revenue");
    assert_string_equal(count("account"), before);
}

static void object_not_readable(void **state)
{
    (void)state;
    /* The role blind names contacts only, and has no "*": no rights on
     * accounts at all. */
    const char *t = token("dave");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account", t), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/query/account", t, "{}"), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account", acct_a), t), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/records/account", t, "{\"fields\":{\"name\":\"X\"}}"), 403,
        "forbidden");
    json_t *d = data_of(rp_it_get("/api/v1/search?q=Zephyr", t));
    assert_int_equal(json_array_size(d), 0);
    d = data_of(rp_it_get("/api/v1/search?q=Quasar&objects=account,contact", t));
    assert_true(holds(d, con_a));
    /* Contacts of an account it cannot read: the parent is hidden. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_get(rp_it_fmt("%s/related/contact.account_id", rec_path("account", acct_a)), t), 404,
        "not_found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(readonly_reads_but_never_writes),
        RP_IT_TEST(team_scope_reads),
        RP_IT_TEST(own_scope_reads),
        RP_IT_TEST(update_own_only),
        RP_IT_TEST(delete_rights),
        RP_IT_TEST(create_refused),
        RP_IT_TEST(hidden_field),
        RP_IT_TEST(read_only_field),
        RP_IT_TEST(object_not_readable),
    };
    RP_IT_RUN("records_perm", tests, setup, teardown);
}
