/* Lists, queries and related lists of records through the HTTP API. Records
 * are inserted with SQL in the setup, so these tests depend only on the
 * metadata and the query endpoints. */

#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "query-password-1"
#define NCONTACTS 25

static char *acme, *other, *account_a, *account_b;

static int setup(void **state)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "reader@acme.test", "readonly", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    acme = strdup(rp_it_tenant_id("acme"));
    other = strdup(rp_it_tenant_id("other"));
    account_a = strdup(rp_it_sql(
        "INSERT INTO records (tenant_id, object, id, data) VALUES ($1, 'account', "
        "gen_random_uuid(), '{\"name\":\"Acme Corp\",\"annual_revenue\":{\"amount\":\"1000\","
        "\"currency\":\"EUR\"}}') RETURNING id",
        acme, NULL));
    account_b = strdup(rp_it_sql("INSERT INTO records (tenant_id, object, id, data) VALUES ($1, "
                                 "'account', gen_random_uuid(), '{\"name\":\"Other Corp\"}') "
                                 "RETURNING id",
                                 other, NULL));
    /* 25 contacts of account A, with distinct last names L01..L25. */
    rp_it_sql("INSERT INTO records (tenant_id, object, id, data) SELECT $1, 'contact', "
              "gen_random_uuid(), jsonb_build_object('first_name', 'F' || (g % 3), 'last_name', "
              "'L' || lpad(g::text, 2, '0'), 'email', 'Person' || g || '@example.com', "
              "'account_id', $2::text) FROM generate_series(1, 25) g",
              acme, account_a, NULL);
    /* Two without account or e-mail, and one deleted. */
    rp_it_sql("INSERT INTO records (tenant_id, object, id, data) VALUES ($1, 'contact', "
              "gen_random_uuid(), '{\"last_name\":\"Z1 50%_off\"}'), ($1, 'contact', "
              "gen_random_uuid(), '{\"last_name\":\"Z2\", \"email\": null}')",
              acme, NULL);
    rp_it_sql("INSERT INTO records (tenant_id, object, id, data, deleted_at) VALUES ($1, "
              "'contact', gen_random_uuid(), '{\"last_name\":\"Gone\"}', now())",
              acme, NULL);
    rp_it_sql("INSERT INTO records (tenant_id, object, id, data) SELECT $1, 'contact', "
              "gen_random_uuid(), jsonb_build_object('last_name', 'O' || g, 'email', 'Person' || g "
              "|| '@example.com', 'account_id', $2::text) FROM generate_series(1, 3) g",
              other, account_b, NULL);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    free(acme);
    free(other);
    free(account_a);
    free(account_b);
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static const char *token(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

static json_t *data_of(rp_it_resp_t *r)
{
    json_t *d = json_object_get(r->json, "data");
    if (!json_is_array(d))
        RP_IT_FAIL("no data array in %s", r->body);
    return d;
}

static const char *field_of(json_t *rec, const char *name)
{
    return json_string_value(json_object_get(json_object_get(rec, "fields"), name));
}

/* Walks every page of path (which ends in a query string) and returns the
 * ids seen, checking none repeats. */
static json_t *all_pages(const char *path, const char *tok, int *pages)
{
    json_t *seen = rp_it_track_json(json_object());
    const char *cursor = NULL;
    *pages = 0;
    for (;;) {
        const char *p = cursor ? rp_it_fmt("%s&cursor=%s", path, cursor) : path;
        rp_it_resp_t *r = rp_it_get(p, tok);
        RP_IT_EXPECT_STATUS(r, 200);
        ++*pages;
        size_t i;
        json_t *rec;
        json_array_foreach(data_of(r), i, rec)
        {
            const char *id = json_string_value(json_object_get(rec, "id"));
            assert_non_null(id);
            if (json_object_get(seen, id) != NULL)
                RP_IT_FAIL("%s seen twice", id);
            json_object_set_new(seen, id, json_incref(rec));
        }
        json_t *next = json_object_get(r->json, "next_cursor");
        if (json_is_null(next))
            break;
        assert_true(json_is_string(next));
        cursor = rp_it_fmt("%s", json_string_value(next));
        if (*pages > 50)
            RP_IT_FAIL("too many pages");
    }
    return seen;
}

static void list_pages_every_row_once(void **state)
{
    int pages;
    json_t *seen = all_pages("/api/v1/records/contact?limit=10", token(), &pages);
    assert_int_equal(json_object_size(seen), NCONTACTS + 2);
    assert_int_equal(pages, 3);
    /* Sorted, with NULLs last and duplicates of the sort key (first_name
     * has three values) split across pages. */
    seen = all_pages("/api/v1/records/contact?limit=4&sort=-first_name,email", token(), &pages);
    assert_int_equal(json_object_size(seen), NCONTACTS + 2);
    assert_int_equal(pages, 7);
    seen = all_pages("/api/v1/records/contact?limit=3&sort=email,-created_at", token(), &pages);
    assert_int_equal(json_object_size(seen), NCONTACTS + 2);
}

static void list_sorted_and_shaped(void **state)
{
    rp_it_resp_t *r = rp_it_get("/api/v1/records/contact?sort=-last_name&limit=2", token());
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = data_of(r);
    assert_int_equal(json_array_size(d), 2);
    assert_string_equal(field_of(json_array_get(d, 0), "last_name"), "Z2");
    assert_string_equal(field_of(json_array_get(d, 1), "last_name"), "Z1 50%_off");
    json_t *rec = json_array_get(d, 0);
    assert_string_equal(json_string_value(json_object_get(rec, "object")), "contact");
    assert_true(json_is_integer(json_object_get(rec, "version")));
    const char *created = json_string_value(json_object_get(rec, "created_at"));
    assert_non_null(created);
    assert_int_equal(strlen(created), 24); /* 2024-01-01T00:00:00.000Z */
    assert_int_equal(created[23], 'Z');

    /* fields= selects. */
    r = rp_it_get("/api/v1/records/contact?fields=last_name&limit=1", token());
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *f = json_object_get(json_array_get(data_of(r), 0), "fields");
    assert_int_equal(json_object_size(f), 1);
    assert_non_null(json_object_get(f, "last_name"));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact?fields=last_name,shoe_size", token()),
                         400, "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact?limit=201", token()), 400,
                         "invalid_limit");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact?sort=-shoe_size", token()), 400,
                         "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/nothing", token()), 404, "unknown_object");
    /* The default page is 50; a readonly user may list. */
    r = rp_it_get("/api/v1/records/contact", rp_it_token("acme", "reader@acme.test", PASSWORD));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), NCONTACTS + 2);
    assert_true(json_is_null(json_object_get(r->json, "next_cursor")));
}

static void list_filters(void **state)
{
    /* E-mail compares case-insensitively; the brackets may be encoded. */
    rp_it_resp_t *r = rp_it_get(
        "/api/v1/records/contact?filter%5Bemail%5D%5Beq%5D=PERSON7%40Example.COM", token());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 1);
    assert_string_equal(field_of(json_array_get(data_of(r), 0), "last_name"), "L07");

    r = rp_it_get("/api/v1/records/contact?filter[last_name][starts_with]=l1&limit=200", token());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 10);

    /* LIKE wildcards in values are literal. */
    r = rp_it_get("/api/v1/records/contact?filter[last_name][contains]=0%25_", token());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 1);
    r = rp_it_get("/api/v1/records/contact?filter[last_name][contains]=_", token());
    assert_int_equal(json_array_size(data_of(r)), 1);

    r = rp_it_get("/api/v1/records/contact?filter[email][is_null]=true", token());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 2);

    r = rp_it_get("/api/v1/records/contact?filter[last_name][in]=L01,L02,Z2,nobody", token());
    assert_int_equal(json_array_size(data_of(r)), 3);
    r = rp_it_get("/api/v1/records/contact?filter[first_name]=F1&filter[last_name][lt]=L10",
                  token());
    /* g % 3 == 1 for g in 1..9: 1, 4, 7. */
    assert_int_equal(json_array_size(data_of(r)), 3);
    r = rp_it_get(rp_it_fmt("/api/v1/records/contact?filter[account_id][ne]=%s", account_a),
                  token());
    assert_int_equal(json_array_size(data_of(r)), 2);

    /* Bad filters name what is wrong. */
    r = rp_it_get("/api/v1/records/contact?filter[shoe_size][eq]=42", token());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "shoe_size"));
    r = rp_it_get("/api/v1/records/contact?filter[last_name][like]=x", token());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_operator");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "like"));
    r = rp_it_get("/api/v1/records/contact?filter[account_id][eq]=nope", token());
    RP_IT_EXPECT_PROBLEM(r, 400, "invalid_filter");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "account_id"));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact?filter[email]]=x", token()), 400,
                         "invalid_filter");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact?cursor=zzz", token()), 400,
                         "invalid_cursor");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact?filter[email][eq]=%zz", token()), 400,
                         "invalid_parameter");
    /* An injection attempt is only a value that matches nothing. */
    r = rp_it_get("/api/v1/records/contact?filter[last_name][eq]=x%27%3B%20DROP%20TABLE%20records"
                  "%3B--",
                  token());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 0);
    assert_non_null(rp_it_sql("SELECT count(*) FROM records", NULL));
}

static void query_endpoint(void **state)
{
    rp_it_resp_t *r =
        rp_it_send("POST", "/api/v1/query/contact", token(),
                   "{\"filter\":{\"or\":[{\"field\":\"last_name\",\"op\":\"eq\",\"value\":\"L03\"},"
                   "{\"and\":[{\"field\":\"last_name\",\"op\":\"starts_with\",\"value\":\"Z\"},"
                   "{\"not\":{\"field\":\"email\",\"op\":\"is_null\",\"value\":false}}]}]},"
                   "\"sort\":[\"-last_name\"],\"fields\":[\"last_name\"],\"limit\":2}");
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = data_of(r);
    assert_int_equal(json_array_size(d), 2);
    assert_string_equal(field_of(json_array_get(d, 0), "last_name"), "Z2");
    assert_string_equal(field_of(json_array_get(d, 1), "last_name"), "Z1 50%_off");
    const char *next = json_string_value(json_object_get(r->json, "next_cursor"));
    assert_non_null(next);
    r = rp_it_sendj("POST", "/api/v1/query/contact", token(),
                    json_pack("{s:{s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}, s:s, s:s}", "filter", "or",
                              "field", "last_name", "op", "eq", "value", "L03", "field",
                              "last_name", "op", "starts_with", "value", "Z", "sort", "-last_name",
                              "cursor", next));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 1);
    assert_string_equal(field_of(json_array_get(data_of(r), 0), "last_name"), "L03");
    assert_true(json_is_null(json_object_get(r->json, "next_cursor")));

    /* Numbers compare as numbers, on the account's currency amount. */
    r = rp_it_send("POST", "/api/v1/query/account", token(),
                   "{\"filter\":{\"field\":\"annual_revenue\",\"op\":\"gt\",\"value\":999.5}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 1);
    r = rp_it_send("POST", "/api/v1/query/account", token(),
                   "{\"filter\":{\"field\":\"annual_revenue\",\"op\":\"gt\",\"value\":\"1000\"}}");
    assert_int_equal(json_array_size(data_of(r)), 0);

    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/query/contact", token(), "{\"filtre\":{}}"),
                         400, "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/query/contact", token(),
                                    "{\"filter\":{\"field\":\"email\",\"op\":\"gt\"}}"),
                         400, "invalid_filter");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/query/contact", token(), "{\"filter\":{\"xor\":[]}}"), 400,
        "invalid_filter");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/query/contact", token(), "[]"), 400, NULL);
}

static void related_lists(void **state)
{
    int pages;
    json_t *seen = all_pages(
        rp_it_fmt("/api/v1/records/account/%s/related/contact.account_id?limit=7", account_a),
        token(), &pages);
    assert_int_equal(json_object_size(seen), NCONTACTS);
    assert_int_equal(pages, 4);
    rp_it_resp_t *r = rp_it_get(
        rp_it_fmt("/api/v1/records/account/%s/related/contact.account_id?filter[last_name][eq]=L05",
                  account_a),
        token());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 1);

    /* Another tenant's parent answers like a missing one. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_get(rp_it_fmt("/api/v1/records/account/%s/related/contact.account_id", account_b),
                  token()),
        404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/records/account/0190a0b0-0000-7000-8000-00000000000a/related/"
                  "contact.account_id",
                  token()),
        404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/records/account/not-an-id/related/contact.account_id", token()), 404,
        "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get(rp_it_fmt("/api/v1/records/account/%s/related/contact.email", account_a),
                  token()),
        404, "unknown_relation");
    /* The other tenant sees only its own. */
    const char *otok = rp_it_token("other", "admin@other.test", PASSWORD);
    r = rp_it_get(rp_it_fmt("/api/v1/records/account/%s/related/contact.account_id", account_b),
                  otok);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(data_of(r)), 3);
    r = rp_it_get("/api/v1/records/contact", otok);
    assert_int_equal(json_array_size(data_of(r)), 3);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(list_pages_every_row_once),
        RP_IT_TEST(list_sorted_and_shaped),
        RP_IT_TEST(list_filters),
        RP_IT_TEST(query_endpoint),
        RP_IT_TEST(related_lists),
    };
    RP_IT_RUN("records_query", tests, setup, teardown);
}
