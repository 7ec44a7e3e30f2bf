/* Leads through the real server: conversion into new or existing accounts,
 * contacts and opportunities with the lead's activities moved along, 409
 * on a second conversion, a conversion failing half way that leaves
 * nothing behind, bad requests, the converted status reserved to the
 * action, rights, and a tenant without the module. */

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#include "sales_world.h"

static const char *convert_path(const char *lead)
{
    return rp_it_fmt("/api/v1/m/sales/leads/%s/convert", lead);
}

static rp_it_resp_t *convert(const char *tok, const char *lead, const char *body)
{
    return rp_it_send("POST", convert_path(lead), tok, body);
}

static json_t *part(const rp_it_resp_t *r, const char *name)
{
    return json_object_get(r->json, name);
}

static const char *part_id(const rp_it_resp_t *r, const char *name)
{
    return json_string_value(json_object_get(part(r, name), "id"));
}

static const char *part_field(const rp_it_resp_t *r, const char *name, const char *f)
{
    return json_string_value(json_object_get(json_object_get(part(r, name), "fields"), f));
}

#define LEAD_FIELDS                                                                                \
    "\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"company\":\"Analytical Engines\","        \
    "\"title\":\"Founder\",\"email\":\"ada@engines.example\",\"phone\":\"+44 20 7946 0000\","      \
    "\"website\":\"https://engines.example\",\"industry\":\"Technology\",\"source\":\"referral\"," \
    "\"rating\":\"hot\",\"annual_revenue\":{\"amount\":\"2500000\",\"currency\":\"GBP\"},"         \
    "\"city\":\"London\",\"country\":\"United Kingdom\""

static const char *activity_on(const char *tok, const char *object, const char *lead,
                               const char *more)
{
    return create(tok, object,
                  rp_it_fmt("{\"related_object\":\"lead\",\"related_id\":\"%s\",%s}", lead, more));
}

static void converts_into_new_records(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *lead = create(a, "lead", "{" LEAD_FIELDS "}");
    rp_it_resp_t *l = get("lead", lead);
    assert_string_equal(field_str(l, "status"), "new");
    const char *t = activity_on(a, "task", lead, "\"subject\":\"Send the deck\"");
    const char *c = activity_on(a, "call", lead, "\"direction\":\"outbound\"");
    const char *n = activity_on(a, "note", lead, "\"body\":\"Met at the fair\"");
    const char *m = activity_on(a, "meeting", lead,
                                "\"subject\":\"Demo\",\"starts_at\":\"2026-12-01T10:00:00Z\"");
    const char *unrelated = create(a, "note", "{\"body\":\"About nothing\"}");

    rp_it_resp_t *r = convert(a, lead,
                              "{\"opportunity\":{\"amount\":{\"amount\":\"120000\",\"currency\":"
                              "\"GBP\"},\"close_date\":\"2027-03-31\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    /* The account, from the lead's company. */
    const char *acc = part_id(r, "account");
    assert_non_null(acc);
    assert_string_equal(part_field(r, "account", "name"), "Analytical Engines");
    assert_string_equal(part_field(r, "account", "industry"), "Technology");
    assert_string_equal(part_field(r, "account", "website"), "https://engines.example");
    assert_string_equal(part_field(r, "account", "phone"), "+442079460000");
    assert_string_equal(part_field(r, "account", "billing_city"), "London");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(part(r, "account"), "fields"), "annual_revenue"),
            "amount")),
        "2500000");
    /* The contact, from the lead's person, with the account. */
    const char *con = part_id(r, "contact");
    assert_string_equal(part_field(r, "contact", "first_name"), "Ada");
    assert_string_equal(part_field(r, "contact", "last_name"), "Lovelace");
    assert_string_equal(part_field(r, "contact", "email"), "ada@engines.example");
    assert_string_equal(part_field(r, "contact", "title"), "Founder");
    assert_string_equal(part_field(r, "contact", "lead_source"), "referral");
    assert_string_equal(part_field(r, "contact", "account_id"), acc);
    json_t *links =
        list(a, rp_it_fmt("/api/v1/records/account_contact?filter[contact_id]=%s", con));
    assert_int_equal(json_array_size(links), 1);
    /* The opportunity, named after company and person, with what was given. */
    const char *opp = part_id(r, "opportunity");
    assert_non_null(opp);
    assert_string_equal(part_field(r, "opportunity", "name"), "Analytical Engines - Ada Lovelace");
    assert_string_equal(part_field(r, "opportunity", "account_id"), acc);
    assert_string_equal(part_field(r, "opportunity", "contact_id"), con);
    assert_string_equal(part_field(r, "opportunity", "close_date"), "2027-03-31");
    assert_string_equal(part_field(r, "opportunity", "lead_source"), "referral");
    /* The lead, converted, pointing at all three. */
    assert_string_equal(part_field(r, "lead", "status"), "converted");
    assert_string_equal(part_field(r, "lead", "converted_account_id"), acc);
    assert_string_equal(part_field(r, "lead", "converted_contact_id"), con);
    assert_string_equal(part_field(r, "lead", "converted_opportunity_id"), opp);
    const char *at = part_field(r, "lead", "converted_at");
    assert_non_null(at);
    assert_int_equal(strlen(at), 24);
    l = get("lead", lead);
    assert_true(
        json_equal(json_object_get(l->json, "fields"), json_object_get(part(r, "lead"), "fields")));
    /* Its activities, moved to the contact. */
    assert_int_equal(json_integer_value(part(r, "moved_activities")), 4);
    const char *objs[] = {"task", "call", "note", "meeting"}, *ids[] = {t, c, n, m};
    for (int i = 0; i < 4; i++) {
        rp_it_resp_t *x = get(objs[i], ids[i]);
        assert_string_equal(field_str(x, "related_object"), "contact");
        assert_string_equal(field_str(x, "related_id"), con);
    }
    assert_true(json_is_null(field(get("note", unrelated), "related_id")));
    /* The move is in each activity's history. */
    rp_it_resp_t *h = rp_it_get(rp_it_fmt("%s/history", rec_path("task", t)), a);
    json_t *changes = json_object_get(json_array_get(rp_it_jlist(h), 0), "changes");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(changes, "related_object"), "old")),
        "lead");

    /* Once is enough: 409, and nothing new. */
    long accounts = count("account"), contacts = count("contact");
    r = convert(a, lead, "{}");
    RP_IT_EXPECT_PROBLEM(r, 409, "already_converted");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), at));
    assert_int_equal(count("account"), accounts);
    assert_int_equal(count("contact"), contacts);
}

static void converts_onto_existing_records(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test"), *rep = as("rep@acme.test");
    const char *acc = create(a, "account", "{\"name\":\"Existing Ltd\"}");
    /* No company needed when the account is given; no opportunity asked. */
    const char *lead = create(rep, "lead", "{\"last_name\":\"Byron\",\"email\":\"b@x.example\"}");
    long opps = count("opportunity");
    rp_it_resp_t *r = convert(rep, lead, rp_it_fmt("{\"account_id\":\"%s\"}", acc));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(part_id(r, "account"), acc);
    assert_string_equal(part_field(r, "contact", "account_id"), acc);
    assert_string_equal(part_field(r, "contact", "last_name"), "Byron");
    assert_true(json_is_null(part(r, "opportunity")));
    assert_true(json_is_null(
        json_object_get(json_object_get(part(r, "lead"), "fields"), "converted_opportunity_id")));
    assert_int_equal(json_integer_value(part(r, "moved_activities")), 0);
    assert_int_equal(count("opportunity"), opps);
    /* The converted lead stays the rep's; the rep made the contact. */
    assert_string_equal(json_string_value(json_object_get(part(r, "contact"), "owner_id")),
                        rp_it_user_id("acme", "rep@acme.test"));

    /* A lead the rep may not change (the admin's): not the rep's to
     * convert either. */
    const char *admins = create(a, "lead", "{\"last_name\":\"Guarded\",\"company\":\"G\"}");
    long accounts = count("account");
    RP_IT_EXPECT_PROBLEM(convert(rep, admins, "{}"), 403, "forbidden");
    assert_int_equal(count("account"), accounts);
    assert_string_equal(field_str(get("lead", admins), "status"), "new");

    /* An existing contact of another account: kept there, linked here;
     * opportunity: true with the defaults. The task is the admin's: the
     * rep's conversion moves it all the same. */
    const char *home = create(a, "account", "{\"name\":\"Home Inc\"}");
    const char *con =
        create(a, "contact", rp_it_fmt("{\"last_name\":\"Known\",\"account_id\":\"%s\"}", home));
    const char *lead2 =
        create(rep, "lead", "{\"first_name\":\"Kay\",\"last_name\":\"Known\",\"company\":\"K\"}");
    const char *t = activity_on(a, "task", lead2, "\"subject\":\"Admin's task\"");
    r = convert(rep, lead2,
                rp_it_fmt("{\"account_id\":\"%s\",\"contact_id\":\"%s\",\"opportunity\":true,"
                          "\"status\":\"converted\"}",
                          acc, con));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(part_id(r, "contact"), con);
    assert_string_equal(part_field(r, "contact", "account_id"), home);
    assert_string_equal(part_field(r, "opportunity", "name"), "K - Kay Known");
    assert_string_equal(part_field(r, "opportunity", "account_id"), acc);
    assert_int_equal(json_integer_value(part(r, "moved_activities")), 1);
    assert_string_equal(field_str(get("task", t), "related_id"), con);
    json_t *links = list(a, rp_it_fmt("/api/v1/records/account_contact?filter[contact_id]=%s&"
                                      "filter[account_id]=%s",
                                      con, acc));
    assert_int_equal(json_array_size(links), 1);

    /* An existing contact without an account takes this one. */
    const char *loose = create(a, "contact", "{\"last_name\":\"Loose\"}");
    const char *lead3 = create(a, "lead", "{\"last_name\":\"Loose\",\"company\":\"L\"}");
    r = convert(a, lead3, rp_it_fmt("{\"account_id\":\"%s\",\"contact_id\":\"%s\"}", acc, loose));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(part_field(r, "contact", "account_id"), acc);
}

static void failure_half_way_leaves_nothing(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *lead = create(a, "lead", "{" LEAD_FIELDS "}");
    const char *t = activity_on(a, "task", lead, "\"subject\":\"Stays\"");
    rp_it_resp_t *before = get("lead", lead);
    long accounts = count("account"), contacts = count("contact"), opps = count("opportunity"),
         links = count("account_contact");
    long history =
        atol(rp_it_sql("SELECT count(*) FROM record_history WHERE tenant_id = $1", acme_id, NULL));
    /* The account and the contact are written before the opportunity
     * fails on its close date. */
    rp_it_resp_t *r = convert(a, lead, "{\"opportunity\":{\"close_date\":\"2027-02-30\"}}");
    EXPECT_FIELD_ERROR(r, "close_date");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "opportunity"));
    assert_int_equal(count("account"), accounts);
    assert_int_equal(count("contact"), contacts);
    assert_int_equal(count("opportunity"), opps);
    assert_int_equal(count("account_contact"), links);
    assert_int_equal(
        atol(rp_it_sql("SELECT count(*) FROM record_history WHERE tenant_id = $1", acme_id, NULL)),
        history);
    rp_it_resp_t *after = get("lead", lead);
    assert_true(json_equal(before->json, after->json));
    assert_string_equal(field_str(get("task", t), "related_object"), "lead");
    /* An unknown opportunity field fails the same way, after the same
     * writes. */
    r = convert(a, lead, "{\"opportunity\":{\"colour\":\"red\"}}");
    assert_true(r->status == 400 || r->status == 422);
    assert_int_equal(count("account"), accounts);
    /* Corrected, it goes through. */
    RP_IT_EXPECT_STATUS(convert(a, lead, "{\"opportunity\":{\"close_date\":\"2027-02-28\"}}"), 200);
    assert_int_equal(count("account"), accounts + 1);
    assert_int_equal(count("opportunity"), opps + 1);
}

static void bad_requests(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *lead = create(a, "lead", "{\"last_name\":\"Nobody\"}");
    long accounts = count("account");
    /* No company and no account to convert onto. */
    rp_it_resp_t *r = convert(a, lead, "{}");
    EXPECT_FIELD_ERROR(r, "account_id");
    /* Members. */
    r = convert(a, lead, "{\"acount_id\":null}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_non_null(error_of(r, "acount_id"));
    /* The first unknown member in the body's order is named; a known name
     * inside it is not the body's. */
    r = convert(a, lead, "{\"status\":\"converted\",\"zz\":{\"account_id\":null},\"aa\":1}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_non_null(error_of(r, "zz"));
    assert_null(error_of(r, "aa"));
    assert_int_equal(count("account"), accounts);
    EXPECT_FIELD_ERROR(convert(a, lead, "{\"account_id\":42}"), "account_id");
    EXPECT_FIELD_ERROR(convert(a, lead, "{\"account_id\":\"nope\"}"), "account_id");
    EXPECT_FIELD_ERROR(
        convert(a, lead, "{\"account_id\":\"0190a0b0-0000-7000-8000-000000000000\"}"),
        "account_id");
    const char *foreign = create(as("admin@other.test"), "account", "{\"name\":\"Theirs\"}");
    EXPECT_FIELD_ERROR(convert(a, lead, rp_it_fmt("{\"account_id\":\"%s\"}", foreign)),
                       "account_id");
    const char *acc = create(a, "account", "{\"name\":\"Ours\"}");
    accounts = count("account");
    EXPECT_FIELD_ERROR(
        convert(a, lead, rp_it_fmt("{\"account_id\":\"%s\",\"contact_id\":\"%s\"}", acc, acc)),
        "contact_id");
    EXPECT_FIELD_ERROR(
        convert(a, lead, rp_it_fmt("{\"account_id\":\"%s\",\"opportunity\":\"yes\"}", acc)),
        "opportunity");
    EXPECT_FIELD_ERROR(
        convert(a, lead, rp_it_fmt("{\"account_id\":\"%s\",\"status\":\"qualified\"}", acc)),
        "status");
    RP_IT_EXPECT_PROBLEM(convert(a, lead, NULL), 400, "malformed_json");
    RP_IT_EXPECT_PROBLEM(convert(a, lead, "[1]"), 400, "malformed_json");
    RP_IT_EXPECT_PROBLEM(convert(a, lead, "{\"account_id\":"), 400, "malformed_json");
    assert_int_equal(count("account"), accounts);
    assert_string_equal(field_str(get("lead", lead), "status"), "new");

    /* Leads that are not there. */
    RP_IT_EXPECT_PROBLEM(convert(a, "0190a0b0-0000-7000-8000-000000000000", "{}"), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(convert(a, "not-a-lead", "{}"), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(convert(a, acc, "{}"), 404, "not_found");
    const char *theirs =
        create(as("admin@other.test"), "lead", "{\"last_name\":\"Theirs\",\"company\":\"T\"}");
    RP_IT_EXPECT_PROBLEM(convert(a, theirs, "{}"), 404, "not_found");
    assert_string_equal(
        rp_it_sql("SELECT data->>'status' FROM records WHERE id = $1", theirs, NULL), "new");
    /* Readonly users may not convert. */
    RP_IT_EXPECT_PROBLEM(convert(as("viewer@acme.test"), lead, "{}"), 403, NULL);
    /* Upper-case ids in the path are the same lead. */
    char *up = rp_it_track(strdup(lead), free);
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    RP_IT_EXPECT_STATUS(convert(a, up, rp_it_fmt("{\"account_id\":\"%s\"}", acc)), 200);
    assert_string_equal(field_str(get("lead", lead), "status"), "converted");
}

static void converted_only_by_the_action(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    EXPECT_FIELD_ERROR(create_r(a, "lead", "{\"last_name\":\"Cheat\",\"status\":\"converted\"}"),
                       "status");
    const char *lead = create(a, "lead", "{\"last_name\":\"Cheat\",\"company\":\"C\"}");
    EXPECT_FIELD_ERROR(patch(a, "lead", lead, "{\"status\":\"converted\"}"), "status");
    rp_it_resp_t *r = patch(a, "lead", lead, "{\"converted_at\":\"2026-01-01T00:00:00Z\"}");
    EXPECT_FIELD_ERROR(r, "converted_at");
    RP_IT_EXPECT_STATUS(patch(a, "lead", lead, "{\"status\":\"qualified\",\"rating\":\"warm\"}"),
                        200);
    RP_IT_EXPECT_STATUS(convert(a, lead, "{}"), 200);
    /* Converted: frozen for everyone, admins included. */
    EXPECT_FIELD_ERROR(patch(a, "lead", lead, "{\"rating\":\"cold\"}"), "status");
    EXPECT_FIELD_ERROR(patch(a, "lead", lead, "{\"status\":\"working\"}"), "status");
    assert_string_equal(field_str(get("lead", lead), "rating"), "warm");
    /* It may still be deleted. */
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("lead", lead), a, NULL), 204);
}

static void tenant_without_sales(void **state)
{
    (void)state;
    const char *b = as("admin@bare.test");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/lead", b), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(create_r(b, "lead", "{\"last_name\":\"X\"}"), 404, "unknown_object");
    rp_it_resp_t *r = convert(b, "0190a0b0-0000-7000-8000-000000000000", "{}");
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    /* Exactly like a path that does not exist. */
    rp_it_resp_t *none = rp_it_send("POST", "/api/v1/m/sales/nothing-here", b, "{}");
    assert_string_equal(rp_it_jstr(r, "detail"), rp_it_jstr(none, "detail"));
    /* Disabling the module for acme hides its leads the same way, and
     * enabling it again brings them back. */
    const char *a = as("admin@acme.test");
    const char *lead = create(a, "lead", "{\"last_name\":\"Hidden\",\"company\":\"H\"}");
    module_switch("admin@acme.test", false);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("lead", lead), a), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(convert(a, lead, "{}"), 404, "not_found");
    module_switch("admin@acme.test", true);
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("lead", lead), a), 200);
}

static void server_log_is_clean(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(converts_into_new_records),
        RP_IT_TEST(converts_onto_existing_records),
        RP_IT_TEST(failure_half_way_leaves_nothing),
        RP_IT_TEST(bad_requests),
        RP_IT_TEST(converted_only_by_the_action),
        RP_IT_TEST(tenant_without_sales),
        RP_IT_TEST(server_log_is_clean),
    };
    RP_IT_RUN("sales_leads", tests, setup, teardown);
}
