/* The sales module's accounts and contacts through the real server: the
 * account hierarchy (no cycles, bounded depth), account_contact (one row
 * per pair, one primary account per contact), contact.account_id linked
 * as an account_contact row, rights, other tenants and a tenant without
 * the module. */

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "sales-password-1"

static char *acme_id;

static const char *as(const char *who)
{
    const char *slug = strstr(who, "@other.") ? "other" : strstr(who, "@bare.") ? "bare" : "acme";
    return rp_it_token(slug, who, PASSWORD);
}

/* Turns the sales module on (or off) for a tenant through the API, which
 * is a no-op when the tenant already has it that way. */
static void module_switch(const char *admin_email, bool on)
{
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", on ? "/api/v1/modules/sales/enable" : "/api/v1/modules/sales/disable",
                   as(admin_email), NULL),
        200);
}

static const char *rec_path(const char *object, const char *id)
{
    return rp_it_fmt("/api/v1/records/%s/%s", object, id);
}

static rp_it_resp_t *create_r(const char *tok, const char *object, const char *fields_json)
{
    return rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", object), tok,
                      rp_it_fmt("{\"fields\":%s}", fields_json));
}

/* Creates a record and returns its id (tracked). */
static const char *create(const char *tok, const char *object, const char *fields_json)
{
    rp_it_resp_t *r = create_r(tok, object, fields_json);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_fmt("%s", rp_it_jstr(r, "id"));
}

static rp_it_resp_t *patch(const char *tok, const char *object, const char *id,
                           const char *fields_json)
{
    return rp_it_send("PATCH", rec_path(object, id), tok,
                      rp_it_fmt("{\"fields\":%s}", fields_json));
}

/* A record read as the admin; fails unless it exists. */
static rp_it_resp_t *get(const char *object, const char *id)
{
    rp_it_resp_t *r = rp_it_get(rec_path(object, id), as("admin@acme.test"));
    RP_IT_EXPECT_STATUS(r, 200);
    return r;
}

static json_t *field(const rp_it_resp_t *r, const char *name)
{
    return json_object_get(json_object_get(r->json, "fields"), name);
}

static const char *field_str(const rp_it_resp_t *r, const char *name)
{
    return json_string_value(field(r, name));
}

static const char *error_of(const rp_it_resp_t *r, const char *f)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), f));
}

/* Fails unless r is a 422 whose errors name field. */
#define EXPECT_FIELD_ERROR(r, f) expect_field_error_at((r), (f), __FILE__, __LINE__)
static void expect_field_error_at(const rp_it_resp_t *r, const char *f, const char *file, int line)
{
    rp_it_expect_problem_at(r, 422, "validation_failed", file, line);
    if (error_of(r, f) == NULL)
        rp_it_fail_at(file, line, "no error for %s in %s", f, r->body);
}

/* Live records of object in tenant acme. */
static long count(const char *object)
{
    return atol(rp_it_sql("SELECT count(*) FROM records WHERE tenant_id = $1 AND object = $2 "
                          "AND deleted_at IS NULL",
                          acme_id, object, NULL));
}

/* The records of a list request (a tracked JSON array). */
static json_t *list(const char *tok, const char *path)
{
    rp_it_resp_t *r = rp_it_get(path, tok);
    RP_IT_EXPECT_STATUS(r, 200);
    return json_object_get(r->json, "data");
}

/* Sets up the cluster, the server, and tenants acme and other with sales
 * enabled, bare without it; users admin, rep, rep2 and viewer in acme. */
static void start_world(void)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    /* A tenant created without any module. */
    char *out = NULL, *err = NULL;
    int rc = rp_it_cli(&out, &err, "tenant", "create", "bare", "--name", "Bare Ltd", "--modules",
                       "", NULL);
    if (rc != 0)
        RP_IT_FAIL("rapport tenant create bare --modules '' exited with %d: %s", rc, err);
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "rep@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "rep2@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "viewer@acme.test", "readonly", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_user_add("bare", "admin@bare.test", "admin", PASSWORD);
    acme_id = strdup(rp_it_tenant_id("acme"));
    module_switch("admin@acme.test", true);
    module_switch("admin@other.test", true);
    assert_string_equal(rp_it_sql("SELECT count(*) FROM tenant_modules m JOIN tenants t ON "
                                  "t.id = m.tenant_id WHERE t.slug = 'bare'",
                                  NULL),
                        "0");
}

static void stop_world(void)
{
    free(acme_id);
    rp_it_server_stop();
    rp_it_pg_stop();
}
static int setup(void **state)
{
    (void)state;
    start_world();
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop_world();
    return 0;
}

static const char *upper(const char *s)
{
    char *u = rp_it_track(strdup(s), free);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static const char *parent_json(const char *name, const char *parent)
{
    return rp_it_fmt("{\"name\":\"%s\",\"parent_id\":\"%s\"}", name, parent);
}

static void hierarchy_refuses_cycles(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *top = create(a, "account", "{\"name\":\"Holding\",\"type\":\"customer\"}");
    const char *mid = create(a, "account", parent_json("Division", top));
    const char *leaf = create(a, "account", parent_json("Branch", mid));
    assert_string_equal(field_str(get("account", leaf), "parent_id"), mid);

    /* The account itself, however its id is spelt. */
    rp_it_resp_t *r = patch(a, "account", top, rp_it_fmt("{\"parent_id\":\"%s\"}", top));
    EXPECT_FIELD_ERROR(r, "parent_id");
    assert_string_equal(error_of(r, "parent_id"), "cannot be the account itself");
    EXPECT_FIELD_ERROR(patch(a, "account", top, rp_it_fmt("{\"parent_id\":\"%s\"}", upper(top))),
                       "parent_id");
    /* A descendant, near or far. */
    r = patch(a, "account", top, rp_it_fmt("{\"parent_id\":\"%s\"}", leaf));
    EXPECT_FIELD_ERROR(r, "parent_id");
    assert_non_null(strstr(error_of(r, "parent_id"), "descendants"));
    EXPECT_FIELD_ERROR(patch(a, "account", top, rp_it_fmt("{\"parent_id\":\"%s\"}", mid)),
                       "parent_id");
    /* With other changes in the same write: nothing of it is kept. */
    EXPECT_FIELD_ERROR(
        patch(a, "account", mid, rp_it_fmt("{\"name\":\"Renamed\",\"parent_id\":\"%s\"}", leaf)),
        "parent_id");
    rp_it_resp_t *m = get("account", mid);
    assert_string_equal(field_str(m, "name"), "Division");
    assert_int_equal(json_integer_value(json_object_get(m->json, "version")), 1);
    assert_true(json_is_null(field(get("account", top), "parent_id")));

    /* Legal moves: leaf under top, top under a new root, mid under leaf. */
    RP_IT_EXPECT_STATUS(patch(a, "account", leaf, rp_it_fmt("{\"parent_id\":\"%s\"}", top)), 200);
    const char *root = create(a, "account", "{\"name\":\"Group\"}");
    RP_IT_EXPECT_STATUS(patch(a, "account", top, rp_it_fmt("{\"parent_id\":\"%s\"}", root)), 200);
    RP_IT_EXPECT_STATUS(patch(a, "account", mid, rp_it_fmt("{\"parent_id\":\"%s\"}", leaf)), 200);
    /* ...after which leaf under mid loops, and root under mid too. */
    EXPECT_FIELD_ERROR(patch(a, "account", leaf, rp_it_fmt("{\"parent_id\":\"%s\"}", mid)),
                       "parent_id");
    EXPECT_FIELD_ERROR(patch(a, "account", root, rp_it_fmt("{\"parent_id\":\"%s\"}", mid)),
                       "parent_id");
    /* Clearing the parent is always fine. */
    RP_IT_EXPECT_STATUS(patch(a, "account", mid, "{\"parent_id\":null}"), 200);

    /* A parent that does not exist, or is another tenant's. */
    const char *foreign = create(as("admin@other.test"), "account", "{\"name\":\"Foreign\"}");
    EXPECT_FIELD_ERROR(patch(a, "account", mid, rp_it_fmt("{\"parent_id\":\"%s\"}", foreign)),
                       "parent_id");
    EXPECT_FIELD_ERROR(
        create_r(a, "account", parent_json("Orphan", "0190a0b0-0000-7000-8000-000000000000")),
        "parent_id");
    EXPECT_FIELD_ERROR(create_r(a, "account", parent_json("Orphan", "not-an-id")), "parent_id");
    /* Another tenant cannot hang its account under ours either. */
    EXPECT_FIELD_ERROR(create_r(as("admin@other.test"), "account", parent_json("Sneaky", top)),
                       "parent_id");

    /* The children, through the related list. */
    json_t *kids = list(a, rp_it_fmt("/api/v1/records/account/%s/related/account.parent_id", top));
    assert_int_equal(json_array_size(kids), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 0), "id")), leaf);
}

static void hierarchy_depth_is_bounded(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *parent = create(a, "account", "{\"name\":\"Level 0\"}");
    /* Level 64 has 64 accounts above it: the most there may be. */
    for (int i = 1; i <= 64; i++)
        parent = create(a, "account", parent_json(rp_it_fmt("Level %d", i), parent));
    rp_it_resp_t *r = create_r(a, "account", parent_json("Level 65", parent));
    EXPECT_FIELD_ERROR(r, "parent_id");
    assert_non_null(strstr(error_of(r, "parent_id"), "64"));
}

/* The account_contact rows of contact, as the admin sees them. */
static json_t *links_of(const char *contact)
{
    return list(as("admin@acme.test"),
                rp_it_fmt("/api/v1/records/account_contact?filter[contact_id]=%s&sort=created_at",
                          contact));
}

static json_t *link_fields(json_t *links, size_t i)
{
    return json_object_get(json_array_get(links, i), "fields");
}

static bool is_primary(const char *link)
{
    return json_is_true(field(get("account_contact", link), "is_primary"));
}

static const char *link_json(const char *account, const char *contact, const char *more)
{
    return rp_it_fmt("{\"account_id\":\"%s\",\"contact_id\":\"%s\"%s%s}", account, contact,
                     more ? "," : "", more ? more : "");
}

static void one_row_per_account_and_contact(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *globex = create(a, "account", "{\"name\":\"Globex\"}");
    const char *initech = create(a, "account", "{\"name\":\"Initech\"}");
    const char *p = create(a, "contact", "{\"first_name\":\"Pat\",\"last_name\":\"Peters\"}");
    assert_int_equal(json_array_size(links_of(p)), 0);

    rp_it_resp_t *r =
        create_r(a, "account_contact", link_json(globex, p, "\"role\":\"decision_maker\""));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(field_str(r, "role"), "decision_maker");
    assert_false(json_is_true(field(r, "is_primary")));
    long rows = count("account_contact");
    r = create_r(a, "account_contact", link_json(globex, p, "\"role\":\"influencer\""));
    EXPECT_FIELD_ERROR(r, "contact_id");
    assert_string_equal(error_of(r, "contact_id"), "is already linked to this account");
    EXPECT_FIELD_ERROR(create_r(a, "account_contact", link_json(upper(globex), upper(p), NULL)),
                       "contact_id");
    /* A rep cannot add a second row for the pair either. */
    EXPECT_FIELD_ERROR(create_r(as("rep@acme.test"), "account_contact", link_json(globex, p, NULL)),
                       "contact_id");
    assert_int_equal(count("account_contact"), rows);

    /* Moving another row onto the pair is a duplicate too; other changes
     * to a row are not. */
    const char *second = create(a, "account_contact", link_json(initech, p, NULL));
    EXPECT_FIELD_ERROR(
        patch(a, "account_contact", second, rp_it_fmt("{\"account_id\":\"%s\"}", globex)),
        "contact_id");
    r = patch(a, "account_contact", second,
              "{\"role\":\"technical_buyer\",\"start_date\":\"2026-01-01\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    /* Same pair on itself (a write that names both ids) is fine. */
    RP_IT_EXPECT_STATUS(patch(a, "account_contact", second, link_json(initech, p, NULL)), 200);
    assert_int_equal(json_array_size(links_of(p)), 2);

    /* Dates in order; required references; the role's values. */
    EXPECT_FIELD_ERROR(patch(a, "account_contact", second, "{\"end_date\":\"2025-12-31\"}"),
                       "end_date");
    RP_IT_EXPECT_STATUS(patch(a, "account_contact", second, "{\"end_date\":\"2026-01-01\"}"), 200);
    EXPECT_FIELD_ERROR(create_r(a, "account_contact", rp_it_fmt("{\"account_id\":\"%s\"}", globex)),
                       "contact_id");
    EXPECT_FIELD_ERROR(create_r(a, "account_contact", link_json(globex, globex, NULL)),
                       "contact_id");
    const char *q = create(a, "contact", "{\"last_name\":\"Quinn\"}");
    EXPECT_FIELD_ERROR(create_r(a, "account_contact", link_json(globex, q, "\"role\":\"boss\"")),
                       "role");
    /* Deleting the account takes its rows with it. */
    const char *temp = create(a, "account", "{\"name\":\"Temp\"}");
    const char *tl = create(a, "account_contact", link_json(temp, q, NULL));
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", temp), a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account_contact", tl), a), 404, "not_found");
}

static void one_primary_account_per_contact(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test"), *rep = as("rep@acme.test");
    const char *acc1 = create(a, "account", "{\"name\":\"Primary One\"}");
    const char *acc2 = create(a, "account", "{\"name\":\"Primary Two\"}");
    const char *acc3 = create(a, "account", "{\"name\":\"Primary Three\"}");
    const char *p = create(a, "contact", "{\"last_name\":\"Prim\"}");
    const char *q = create(a, "contact", "{\"last_name\":\"Quill\"}");
    const char *q1 = create(a, "account_contact", link_json(acc1, q, "\"is_primary\":true"));

    const char *l1 = create(a, "account_contact", link_json(acc1, p, "\"is_primary\":true"));
    const char *l2 = create(a, "account_contact", link_json(acc2, p, "\"is_primary\":true"));
    assert_false(is_primary(l1));
    assert_true(is_primary(l2));
    /* A rep makes their own row primary although the admin owns the row
     * that was: keeping the rule is not the rep's edit of that row. */
    const char *l3 = create(rep, "account_contact", link_json(acc3, p, "\"is_primary\":true"));
    assert_false(is_primary(l2));
    assert_true(is_primary(l3));
    /* The history says who: the rep's request cleared the admin's row. */
    rp_it_resp_t *h = rp_it_get(rp_it_fmt("%s/history", rec_path("account_contact", l2)), a);
    RP_IT_EXPECT_STATUS(h, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rp_it_jlist(h), 0), "actor_id")),
        rp_it_user_id("acme", "rep@acme.test"));
    /* An update that sets it. */
    RP_IT_EXPECT_STATUS(patch(a, "account_contact", l1, "{\"is_primary\":true}"), 200);
    assert_true(is_primary(l1));
    assert_false(is_primary(l2));
    assert_false(is_primary(l3));
    json_t *prim = list(a, rp_it_fmt("/api/v1/records/account_contact?filter[contact_id]=%s"
                                     "&filter[is_primary]=true",
                                     p));
    assert_int_equal(json_array_size(prim), 1);
    /* Clearing it leaves none primary; the other contact kept its own. */
    RP_IT_EXPECT_STATUS(patch(a, "account_contact", l1, "{\"is_primary\":false}"), 200);
    assert_false(is_primary(l1));
    assert_true(is_primary(q1));
}

static void contact_account_is_linked(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *acc1 = create(a, "account", "{\"name\":\"Linked One\"}");
    const char *acc2 = create(a, "account", "{\"name\":\"Linked Two\"}");
    const char *c =
        create(a, "contact", rp_it_fmt("{\"last_name\":\"Linda\",\"account_id\":\"%s\"}", acc1));
    json_t *links = links_of(c);
    assert_int_equal(json_array_size(links), 1);
    json_t *f = link_fields(links, 0);
    assert_string_equal(json_string_value(json_object_get(f, "account_id")), acc1);
    assert_string_equal(json_string_value(json_object_get(f, "role")), "other");
    assert_true(json_is_true(json_object_get(f, "is_primary")));

    /* A new account: a new row, not primary (acc1 is). */
    RP_IT_EXPECT_STATUS(patch(a, "contact", c, rp_it_fmt("{\"account_id\":\"%s\"}", acc2)), 200);
    links = links_of(c);
    assert_int_equal(json_array_size(links), 2);
    f = link_fields(links, 1);
    assert_string_equal(json_string_value(json_object_get(f, "account_id")), acc2);
    assert_false(json_is_true(json_object_get(f, "is_primary")));
    /* Back to acc1, and other edits: no duplicate. */
    RP_IT_EXPECT_STATUS(patch(a, "contact", c, rp_it_fmt("{\"account_id\":\"%s\"}", acc1)), 200);
    RP_IT_EXPECT_STATUS(patch(a, "contact", c, "{\"title\":\"CFO\"}"), 200);
    RP_IT_EXPECT_STATUS(patch(a, "contact", c, "{\"account_id\":null}"), 200);
    assert_int_equal(json_array_size(links_of(c)), 2);

    /* A row made by hand first keeps its role. */
    const char *d = create(a, "contact", "{\"last_name\":\"Dora\"}");
    create(a, "account_contact", link_json(acc1, d, "\"role\":\"evaluator\""));
    RP_IT_EXPECT_STATUS(patch(a, "contact", d, rp_it_fmt("{\"account_id\":\"%s\"}", acc1)), 200);
    links = links_of(d);
    assert_int_equal(json_array_size(links), 1);
    assert_string_equal(json_string_value(json_object_get(link_fields(links, 0), "role")),
                        "evaluator");
    /* A rep's contact is linked the same way. */
    const char *e = create(as("rep@acme.test"), "contact",
                           rp_it_fmt("{\"last_name\":\"Ezra\",\"account_id\":\"%s\"}", acc2));
    assert_int_equal(json_array_size(links_of(e)), 1);
}

static void readonly_and_other_tenants(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test"), *v = as("viewer@acme.test");
    const char *acc = create(a, "account", "{\"name\":\"Viewed\"}");
    const char *c = create(a, "contact", "{\"last_name\":\"Viewed\"}");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("account", acc), v), 200);
    RP_IT_EXPECT_PROBLEM(create_r(v, "account", "{\"name\":\"No\"}"), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(patch(v, "account", acc, "{\"name\":\"No\"}"), 403, NULL);
    RP_IT_EXPECT_PROBLEM(create_r(v, "account_contact", link_json(acc, c, NULL)), 403, "forbidden");
    /* Another tenant sees none of it. */
    const char *o = as("admin@other.test");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("account", acc), o), 404, "not_found");
    EXPECT_FIELD_ERROR(create_r(o, "account_contact", link_json(acc, c, NULL)), "account_id");
    /* A rep updates only their own accounts (the module's default). */
    RP_IT_EXPECT_PROBLEM(patch(as("rep@acme.test"), "account", acc, "{\"name\":\"Mine\"}"), 403,
                         NULL);
}

static void tenant_without_sales(void **state)
{
    (void)state;
    const char *b = as("admin@bare.test");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account_contact", b), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(create_r(b, "account_contact", "{}"), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/m/sales/timeline/account/0190a0b0-0000-7000-8000-000000000000", b), 404,
        "not_found");
}

static void server_log_is_clean(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(hierarchy_refuses_cycles),
        RP_IT_TEST(hierarchy_depth_is_bounded),
        RP_IT_TEST(one_row_per_account_and_contact),
        RP_IT_TEST(one_primary_account_per_contact),
        RP_IT_TEST(contact_account_is_linked),
        RP_IT_TEST(readonly_and_other_tenants),
        RP_IT_TEST(tenant_without_sales),
        RP_IT_TEST(server_log_is_clean),
    };
    RP_IT_RUN("sales_accounts", tests, setup, teardown);
}
