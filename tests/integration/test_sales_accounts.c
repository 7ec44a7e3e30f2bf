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

#include "sales_world.h"

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
