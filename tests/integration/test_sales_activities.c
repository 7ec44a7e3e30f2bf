/* Activities through the real server: the related record they are about
 * (existing, readable, in the tenant), activity_at derived per kind, task
 * completion, meeting times and attendees, calls; the timeline of a record
 * and its related records, newest first, page by page; rights, other
 * tenants and a tenant without the module. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "it.h"

#include "sales_world.h"

static const char *about(const char *object, const char *id, const char *more)
{
    return rp_it_fmt("{\"related_object\":\"%s\",\"related_id\":\"%s\"%s%s}", object, id,
                     more ? "," : "", more ? more : "");
}

/* Milliseconds between two stored datetimes' seconds, roughly: both must
 * be "now" for the checks below. */
static bool recent(const char *at)
{
    if (at == NULL || strlen(at) != 24)
        return false;
    struct tm tm = {0};
    if (strptime(at, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return false;
    time_t t = timegm(&tm), now = time(NULL);
    return t > now - 120 && t < now + 120;
}

static void related_record_must_exist(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *acc = create(a, "account", "{\"name\":\"Related Co\"}");
    rp_it_resp_t *r = create_r(a, "task", about("account", acc, "\"subject\":\"Call back\""));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(field_str(r, "related_object"), "account");
    assert_string_equal(field_str(r, "related_id"), acc);
    /* Upper-case ids are stored as the engine stores ids. */
    char *up = rp_it_track(strdup(acc), free);
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    r = create_r(a, "note", about("account", up, "\"body\":\"Shouted\""));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(field_str(r, "related_id"), acc);
    /* Neither is fine; blanks count as neither. */
    RP_IT_EXPECT_STATUS(create_r(a, "note", "{\"body\":\"Free\"}"), 201);
    r = create_r(a, "note", "{\"body\":\"Blank\",\"related_object\":\"\",\"related_id\":\"\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_true(json_is_null(field(r, "related_object")));

    long tasks = count("task");
    r = create_r(a, "task",
                 about("account", "0190a0b0-0000-7000-8000-000000000000", "\"subject\":\"x\""));
    EXPECT_FIELD_ERROR(r, "related_id");
    assert_string_equal(error_of(r, "related_id"), "refers to a record that does not exist");
    EXPECT_FIELD_ERROR(create_r(a, "task", about("contact", acc, "\"subject\":\"x\"")),
                       "related_id");
    EXPECT_FIELD_ERROR(create_r(a, "task", about("nothing", acc, "\"subject\":\"x\"")),
                       "related_id");
    EXPECT_FIELD_ERROR(create_r(a, "task", about("account", "12", "\"subject\":\"x\"")),
                       "related_id");
    EXPECT_FIELD_ERROR(create_r(a, "task", about("Account!", acc, "\"subject\":\"x\"")),
                       "related_object");
    EXPECT_FIELD_ERROR(
        create_r(a, "task", rp_it_fmt("{\"subject\":\"x\",\"related_id\":\"%s\"}", acc)),
        "related_object");
    EXPECT_FIELD_ERROR(create_r(a, "task", "{\"subject\":\"x\",\"related_object\":\"account\"}"),
                       "related_id");
    /* Another tenant's record is not there. */
    const char *foreign = create(as("admin@other.test"), "account", "{\"name\":\"Foreign\"}");
    EXPECT_FIELD_ERROR(create_r(a, "call", about("account", foreign, "\"direction\":\"inbound\"")),
                       "related_id");
    EXPECT_FIELD_ERROR(create_r(as("admin@other.test"), "call",
                                about("account", acc, "\"direction\":\"inbound\"")),
                       "related_id");
    assert_int_equal(count("task"), tasks);

    /* Moving: one of the pair checked with the other as stored. */
    const char *t = create(a, "task", about("account", acc, "\"subject\":\"Move me\""));
    const char *con = create(a, "contact", "{\"last_name\":\"Target\"}");
    EXPECT_FIELD_ERROR(patch(a, "task", t, "{\"related_object\":\"contact\"}"), "related_id");
    RP_IT_EXPECT_STATUS(
        patch(a, "task", t,
              rp_it_fmt("{\"related_object\":\"contact\",\"related_id\":\"%s\"}", con)),
        200);
    EXPECT_FIELD_ERROR(patch(a, "task", t, "{\"related_id\":null}"), "related_id");
    RP_IT_EXPECT_STATUS(patch(a, "task", t, "{\"related_id\":null,\"related_object\":null}"), 200);
    /* Other edits do not re-check a related record deleted since. */
    const char *gone = create(a, "account", "{\"name\":\"Gone\"}");
    const char *n = create(a, "note", about("account", gone, "\"body\":\"Before\""));
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", gone), a, NULL), 204);
    RP_IT_EXPECT_STATUS(patch(a, "note", n, "{\"body\":\"After\"}"), 200);
}

static void activity_at_is_derived(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    /* A task: its due date, else when it was made. */
    rp_it_resp_t *r = create_r(a, "task", "{\"subject\":\"Due\",\"due_date\":\"2027-05-04\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *t = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(field_str(r, "activity_at"), "2027-05-04T00:00:00.000Z");
    RP_IT_EXPECT_STATUS(patch(a, "task", t, "{\"due_date\":\"2027-06-01\"}"), 200);
    assert_string_equal(field_str(get("task", t), "activity_at"), "2027-06-01T00:00:00.000Z");
    r = patch(a, "task", t, "{\"due_date\":null}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(field_str(r, "activity_at"), rp_it_jstr(r, "created_at"));
    r = create_r(a, "task", "{\"subject\":\"Undated\"}");
    assert_true(recent(field_str(r, "activity_at")));
    assert_string_equal(field_str(r, "status"), "not_started");
    assert_string_equal(field_str(r, "priority"), "normal");
    /* The caller may not write it. */
    EXPECT_FIELD_ERROR(
        create_r(a, "task", "{\"subject\":\"x\",\"activity_at\":\"2020-01-01T00:00:00Z\"}"),
        "activity_at");
    EXPECT_FIELD_ERROR(patch(a, "task", t, "{\"activity_at\":\"2020-01-01T00:00:00Z\"}"),
                       "activity_at");
    /* A call: when it started, in UTC. */
    r = create_r(a, "call",
                 "{\"direction\":\"outbound\",\"started_at\":\"2026-03-01T09:30:00+01:00\","
                 "\"duration_seconds\":125,\"outcome\":\"connected\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(field_str(r, "activity_at"), "2026-03-01T08:30:00.000Z");
    const char *c = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    RP_IT_EXPECT_STATUS(patch(a, "call", c, "{\"started_at\":\"2026-03-02T10:00:00Z\"}"), 200);
    assert_string_equal(field_str(get("call", c), "activity_at"), "2026-03-02T10:00:00.000Z");
    /* A bad start is the start's error, not a derived one. */
    r = patch(a, "call", c, "{\"started_at\":\"yesterday\"}");
    EXPECT_FIELD_ERROR(r, "started_at");
    assert_null(error_of(r, "activity_at"));
    /* A note: when it was written; later edits keep it. */
    r = create_r(a, "note", "{\"title\":\"Minutes\",\"body\":\"...\"}");
    const char *n = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    const char *at = rp_it_fmt("%s", field_str(r, "activity_at"));
    assert_true(recent(at));
    rp_it_sleep_ms(5);
    RP_IT_EXPECT_STATUS(patch(a, "note", n, "{\"body\":\"Edited\"}"), 200);
    assert_string_equal(field_str(get("note", n), "activity_at"), at);
}

static void task_completion(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *t = create(a, "task", "{\"subject\":\"Finish\"}");
    assert_true(json_is_null(field(get("task", t), "completed_at")));
    rp_it_resp_t *r = patch(a, "task", t, "{\"status\":\"completed\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    const char *done = rp_it_fmt("%s", field_str(r, "completed_at"));
    assert_true(recent(done));
    /* Still completed: the time stays. */
    rp_it_sleep_ms(5);
    RP_IT_EXPECT_STATUS(patch(a, "task", t, "{\"status\":\"completed\",\"priority\":\"high\"}"),
                        200);
    assert_string_equal(field_str(get("task", t), "completed_at"), done);
    /* Reopened: cleared. */
    RP_IT_EXPECT_STATUS(patch(a, "task", t, "{\"status\":\"in_progress\"}"), 200);
    assert_true(json_is_null(field(get("task", t), "completed_at")));
    /* Created completed. */
    r = create_r(a, "task", "{\"subject\":\"Already\",\"status\":\"completed\"}");
    assert_true(recent(field_str(r, "completed_at")));
    EXPECT_FIELD_ERROR(patch(a, "task", t, "{\"completed_at\":\"2026-01-01T00:00:00Z\"}"),
                       "completed_at");
    EXPECT_FIELD_ERROR(patch(a, "task", t, "{\"status\":\"done\"}"), "status");
}

static void meetings_and_calls(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    EXPECT_FIELD_ERROR(create_r(a, "meeting",
                                "{\"subject\":\"Backwards\",\"starts_at\":\"2026-05-01T10:00:00Z\","
                                "\"ends_at\":\"2026-05-01T09:00:00Z\"}"),
                       "ends_at");
    /* Offsets count: 10:30+01:00 is 09:30Z, before 10:00Z. */
    EXPECT_FIELD_ERROR(create_r(a, "meeting",
                                "{\"subject\":\"Zones\",\"starts_at\":\"2026-05-01T10:00:00Z\","
                                "\"ends_at\":\"2026-05-01T10:30:00+01:00\"}"),
                       "ends_at");
    EXPECT_FIELD_ERROR(create_r(a, "meeting", "{\"subject\":\"Never\"}"), "starts_at");
    rp_it_resp_t *r =
        create_r(a, "meeting",
                 "{\"subject\":\"Kick-off\",\"starts_at\":\"2026-05-01T10:00:00+02:00\","
                 "\"ends_at\":\"2026-05-01T09:00:00Z\",\"location\":\"Paris\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *m = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(field_str(r, "activity_at"), "2026-05-01T08:00:00.000Z");
    /* One end moved against the stored other. */
    EXPECT_FIELD_ERROR(patch(a, "meeting", m, "{\"ends_at\":\"2026-05-01T07:00:00Z\"}"), "ends_at");
    EXPECT_FIELD_ERROR(patch(a, "meeting", m, "{\"starts_at\":\"2026-05-01T09:00:00Z\"}"),
                       "ends_at");
    RP_IT_EXPECT_STATUS(patch(a, "meeting", m, "{\"starts_at\":\"2026-05-01T07:30:00Z\"}"), 200);
    assert_string_equal(field_str(get("meeting", m), "activity_at"), "2026-05-01T07:30:00.000Z");

    /* Attendees: from a contact, a user or an address. */
    const char *con = create(a, "contact",
                             "{\"first_name\":\"Ann\",\"last_name\":\"Attend\","
                             "\"email\":\"ann@example.com\"}");
    r = create_r(a, "meeting_attendee",
                 rp_it_fmt("{\"meeting_id\":\"%s\",\"contact_id\":\"%s\"}", m, con));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(field_str(r, "name"), "Ann Attend");
    assert_string_equal(field_str(r, "email"), "ann@example.com");
    assert_string_equal(field_str(r, "response"), "needs_action");
    r = create_r(a, "meeting_attendee",
                 rp_it_fmt("{\"meeting_id\":\"%s\",\"user_id\":\"%s\",\"response\":\"accepted\"}",
                           m, rp_it_user_id("acme", "rep@acme.test")));
    RP_IT_EXPECT_STATUS(r, 201);
    EXPECT_FIELD_ERROR(create_r(a, "meeting_attendee",
                                rp_it_fmt("{\"meeting_id\":\"%s\",\"name\":\"Nobody\"}", m)),
                       "contact_id");
    EXPECT_FIELD_ERROR(
        create_r(a, "meeting_attendee", rp_it_fmt("{\"meeting_id\":\"%s\",\"user_id\":\"me\"}", m)),
        "user_id");
    EXPECT_FIELD_ERROR(create_r(a, "meeting_attendee", "{\"email\":\"x@example.com\"}"),
                       "meeting_id");
    json_t *att =
        list(a, rp_it_fmt("/api/v1/records/meeting/%s/related/meeting_attendee.meeting_id", m));
    assert_int_equal(json_array_size(att), 2);
    /* Deleting the meeting takes its attendees. */
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("meeting", m), a, NULL), 204);
    assert_int_equal(atol(rp_it_sql("SELECT count(*) FROM records WHERE object = "
                                    "'meeting_attendee' AND data->>'meeting_id' = $1 AND "
                                    "deleted_at IS NULL",
                                    m, NULL)),
                     0);

    /* Calls: a direction, no negative duration. */
    EXPECT_FIELD_ERROR(create_r(a, "call", "{\"subject\":\"Which way\"}"), "direction");
    EXPECT_FIELD_ERROR(create_r(a, "call", "{\"direction\":\"inbound\",\"duration_seconds\":-5}"),
                       "duration_seconds");
    EXPECT_FIELD_ERROR(create_r(a, "call", "{\"direction\":\"sideways\"}"), "direction");
    EXPECT_FIELD_ERROR(create_r(a, "call", "{\"direction\":\"inbound\",\"script_answers\":\"[]\"}"),
                       "script_answers");
    RP_IT_EXPECT_STATUS(create_r(a, "call", "{\"direction\":\"inbound\",\"duration_seconds\":0}"),
                        201);
}

/* ---- the timeline ------------------------------------------------------ */

static rp_it_resp_t *timeline(const char *tok, const char *object, const char *id,
                              const char *query)
{
    return rp_it_get(rp_it_fmt("/api/v1/m/sales/timeline/%s/%s%s%s", object, id, query ? "?" : "",
                               query ? query : ""),
                     tok);
}

/* The ids of a timeline page, in order, as "a,b,c". */
static const char *ids_of(const rp_it_resp_t *r)
{
    json_t *data = json_object_get(r->json, "data");
    char *out = rp_it_track(calloc(1, json_array_size(data) * 40 + 1), free);
    size_t i;
    json_t *it;
    json_array_foreach(data, i, it)
    {
        if (i > 0)
            strcat(out, ",");
        strcat(out, json_string_value(json_object_get(it, "id")));
    }
    return out;
}

static const char *join(const char *const *ids, size_t n)
{
    char *out = rp_it_track(calloc(1, n * 40 + 1), free);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, ",");
        strcat(out, ids[i]);
    }
    return out;
}

static void timeline_merges_related_records(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *acc = create(a, "account", "{\"name\":\"Timeline Inc\"}");
    const char *child =
        create(a, "account", rp_it_fmt("{\"name\":\"Timeline Sub\",\"parent_id\":\"%s\"}", acc));
    const char *p =
        create(a, "contact", rp_it_fmt("{\"last_name\":\"Direct\",\"account_id\":\"%s\"}", acc));
    const char *q = create(a, "contact", "{\"last_name\":\"Linked\"}");
    create(a, "account_contact",
           rp_it_fmt("{\"account_id\":\"%s\",\"contact_id\":\"%s\"}", acc, q));
    const char *opp = create(a, "opportunity",
                             rp_it_fmt("{\"name\":\"Timeline deal\",\"account_id\":\"%s\","
                                       "\"contact_id\":\"%s\"}",
                                       acc, p));
    const char *elsewhere = create(a, "account", "{\"name\":\"Elsewhere\"}");

    /* Dates chosen so that the order is known; two at the same time. */
    const char *t_future = create(
        a, "task", about("contact", p, "\"subject\":\"Renewal\",\"due_date\":\"2031-01-01\""));
    const char *m_old = create(a, "meeting",
                               about("contact", q,
                                     "\"subject\":\"First meeting\","
                                     "\"starts_at\":\"2020-01-01T09:00:00Z\""));
    const char *c_mid = create(a, "call",
                               about("opportunity", opp,
                                     "\"direction\":\"outbound\","
                                     "\"started_at\":\"2025-06-01T12:00:00Z\""));
    const char *c_tie = create(a, "call",
                               about("account", child,
                                     "\"direction\":\"inbound\","
                                     "\"started_at\":\"2025-06-01T12:00:00Z\""));
    const char *n_acc = create(a, "note", about("account", acc, "\"body\":\"Today\""));
    create(a, "note", about("account", elsewhere, "\"body\":\"Not here\""));
    create(a, "task", "{\"subject\":\"About nothing\"}");

    /* Newest first; the two calls at the same time by id, later first. */
    const char *first_tie = strcmp(c_tie, c_mid) > 0 ? c_tie : c_mid;
    const char *second_tie = first_tie == c_tie ? c_mid : c_tie;
    const char *want[] = {t_future, n_acc, first_tie, second_tie, m_old};
    rp_it_resp_t *r = timeline(a, "account", acc, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(ids_of(r), join(want, 5));
    assert_true(json_is_null(json_object_get(r->json, "next_cursor")));
    assert_string_equal(rp_it_jstr(r, "object"), "account");
    assert_string_equal(rp_it_jstr(r, "id"), acc);
    /* An item's shape. */
    json_t *item = json_array_get(json_object_get(r->json, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "object")), "task");
    assert_string_equal(json_string_value(json_object_get(item, "subject")), "Renewal");
    assert_string_equal(json_string_value(json_object_get(item, "activity_at")),
                        "2031-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(item, "related_object")), "contact");
    assert_string_equal(json_string_value(json_object_get(item, "related_id")), p);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(item, "fields"), "status")),
        "not_started");
    item = json_array_get(json_object_get(r->json, "data"), 1);
    assert_string_equal(json_string_value(json_object_get(item, "object")), "note");
    assert_true(json_is_null(json_object_get(item, "title")));

    /* Pages of one, two and three, through the cursor: the same items,
     * once each (three puts the two calls at the same time on two pages). */
    for (int limit = 1; limit <= 3; limit++) {
        const char *cursor = NULL;
        const char *seen[8];
        size_t nseen = 0;
        for (int page = 0; page < 8; page++) {
            r = timeline(a, "account", acc,
                         cursor ? rp_it_fmt("limit=%d&cursor=%s", limit, cursor)
                                : rp_it_fmt("limit=%d", limit));
            RP_IT_EXPECT_STATUS(r, 200);
            json_t *data = json_object_get(r->json, "data");
            assert_true(json_array_size(data) <= (size_t)limit);
            for (size_t i = 0; i < json_array_size(data) && nseen < 8; i++)
                seen[nseen++] = rp_it_fmt(
                    "%s", json_string_value(json_object_get(json_array_get(data, i), "id")));
            json_t *next = json_object_get(r->json, "next_cursor");
            if (json_is_null(next))
                break;
            cursor = rp_it_fmt("%s", json_string_value(next));
        }
        assert_int_equal(nseen, 5);
        assert_string_equal(join(seen, nseen), join(want, 5));
    }

    /* A contact: its own and its opportunities'. An opportunity: its own. */
    const char *want_p[] = {t_future, c_mid};
    assert_string_equal(ids_of(timeline(a, "contact", p, NULL)), join(want_p, 2));
    assert_string_equal(ids_of(timeline(a, "opportunity", opp, NULL)), c_mid);
    /* A child account: only its own (not its parent's). */
    assert_string_equal(ids_of(timeline(a, "account", child, NULL)), c_tie);
    /* One item, a page of one: no next page. */
    r = timeline(a, "account", elsewhere, "limit=1");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "data")), 1);
    assert_true(json_is_null(json_object_get(r->json, "next_cursor")));
    /* Readonly users read timelines too. */
    assert_string_equal(ids_of(timeline(as("viewer@acme.test"), "account", acc, NULL)),
                        join(want, 5));
}

/* Activities written behind the module's back (CSV imports run no hooks)
 * have no activity_at: they come last, by id, and pages walk through them. */
static void timeline_undated_last(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *acc = create(a, "account", "{\"name\":\"Undated\"}");
    const char *dated = create(a, "note", about("account", acc, "\"body\":\"Dated\""));
    const char *u1 = create(a, "note", about("account", acc, "\"body\":\"Imported 1\""));
    const char *u2 = create(a, "task", about("account", acc, "\"subject\":\"Imported 2\""));
    rp_it_sql("UPDATE records SET data = data - 'activity_at' WHERE id = ANY($1::uuid[])",
              rp_it_fmt("{%s,%s}", u1, u2), NULL);
    const char *later = strcmp(u1, u2) > 0 ? u1 : u2, *earlier = later == u1 ? u2 : u1;
    const char *want[] = {dated, later, earlier};
    assert_string_equal(ids_of(timeline(a, "account", acc, NULL)), join(want, 3));
    const char *cursor = NULL, *seen[4];
    size_t nseen = 0;
    for (int page = 0; page < 4; page++) {
        rp_it_resp_t *r = timeline(a, "account", acc,
                                   cursor ? rp_it_fmt("limit=1&cursor=%s", cursor) : "limit=1");
        RP_IT_EXPECT_STATUS(r, 200);
        json_t *data = json_object_get(r->json, "data");
        if (json_array_size(data) == 1 && nseen < 4)
            seen[nseen++] =
                rp_it_fmt("%s", json_string_value(json_object_get(json_array_get(data, 0), "id")));
        json_t *next = json_object_get(r->json, "next_cursor");
        if (json_is_null(next))
            break;
        cursor = rp_it_fmt("%s", json_string_value(next));
    }
    assert_string_equal(join(seen, nseen), join(want, 3));
    json_t *last =
        json_array_get(json_object_get(timeline(a, "account", acc, NULL)->json, "data"), 2);
    assert_true(json_is_null(json_object_get(last, "activity_at")));
}

static void timeline_refusals(void **state)
{
    (void)state;
    const char *a = as("admin@acme.test");
    const char *acc = create(a, "account", "{\"name\":\"Refusals\"}");
    create(a, "note", about("account", acc, "\"body\":\"One\""));
    create(a, "note", about("account", acc, "\"body\":\"Two\""));
    RP_IT_EXPECT_STATUS(timeline(a, "account", acc, "limit=200"), 200);
    const char *bad_limits[] = {"limit=0", "limit=201", "limit=abc", "limit=-1", "limit="};
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++)
        RP_IT_EXPECT_PROBLEM(timeline(a, "account", acc, bad_limits[i]), 400, "invalid_limit");
    const char *bad_cursors[] = {"cursor=abc", "cursor=", "cursor=%27%3B--",
                                 "cursor=dDF8fDAxOTBhMGIwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMA-"};
    for (size_t i = 0; i < sizeof bad_cursors / sizeof bad_cursors[0]; i++)
        RP_IT_EXPECT_PROBLEM(timeline(a, "account", acc, bad_cursors[i]), 400, "invalid_cursor");
    /* Records that are not there, or not the caller's tenant's. */
    RP_IT_EXPECT_PROBLEM(timeline(a, "account", "0190a0b0-0000-7000-8000-000000000000", NULL), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(timeline(a, "account", "x", NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(timeline(a, "nothing", acc, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(timeline(a, "contact", acc, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(timeline(as("admin@other.test"), "account", acc, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(timeline(NULL, "account", acc, NULL), 401, NULL);
    /* A deleted record has no timeline. */
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rec_path("account", acc), a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(timeline(a, "account", acc, NULL), 404, "not_found");
}

static void readonly_and_tenants(void **state)
{
    (void)state;
    const char *v = as("viewer@acme.test"), *a = as("admin@acme.test");
    RP_IT_EXPECT_PROBLEM(create_r(v, "task", "{\"subject\":\"No\"}"), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(create_r(v, "note", "{\"body\":\"No\"}"), 403, "forbidden");
    const char *t = create(a, "task", "{\"subject\":\"Seen\"}");
    RP_IT_EXPECT_STATUS(rp_it_get(rec_path("task", t), v), 200);
    RP_IT_EXPECT_PROBLEM(patch(v, "task", t, "{\"subject\":\"No\"}"), 403, NULL);
    /* A rep edits their own tasks only. */
    RP_IT_EXPECT_PROBLEM(patch(as("rep@acme.test"), "task", t, "{\"subject\":\"Mine\"}"), 403,
                         NULL);
    const char *mine = create(as("rep@acme.test"), "task", "{\"subject\":\"Mine\"}");
    RP_IT_EXPECT_STATUS(patch(as("rep@acme.test"), "task", mine, "{\"status\":\"completed\"}"),
                        200);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rec_path("task", t), as("admin@other.test")), 404, "not_found");
    const char *b = as("admin@bare.test");
    const char *objs[] = {"task", "call", "meeting", "meeting_attendee", "note"};
    for (size_t i = 0; i < 5; i++)
        RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/records/%s", objs[i]), b), 404,
                             "unknown_object");
}

static void server_log_is_clean(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(related_record_must_exist),
        RP_IT_TEST(activity_at_is_derived),
        RP_IT_TEST(task_completion),
        RP_IT_TEST(meetings_and_calls),
        RP_IT_TEST(timeline_merges_related_records),
        RP_IT_TEST(timeline_undated_last),
        RP_IT_TEST(timeline_refusals),
        RP_IT_TEST(readonly_and_tenants),
        RP_IT_TEST(server_log_is_clean),
    };
    RP_IT_RUN("sales_activities", tests, setup, teardown);
}
