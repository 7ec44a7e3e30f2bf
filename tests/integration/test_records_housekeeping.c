/* The server's housekeeping thread: records soft-deleted longer ago than the
 * tenant's purge period go for good (with their history), younger ones and
 * live ones stay, and Idempotency-Key replays older than 24 hours are
 * removed. The server runs a pass every second here. */

#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "house-password-1"

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start("RAPPORT_HOUSEKEEPING_SECONDS=1", NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("quick", "Quick Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("quick", "admin@quick.test", "admin", PASSWORD);
    /* quick purges after one day instead of the default thirty. */
    rp_it_sql("UPDATE tenants SET settings = '{\"purge_after_days\": 1}' WHERE slug = 'quick'",
              NULL);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* Creates a contact in the caller's tenant and returns its id (tracked);
 * with deleted_days_ago >= 0 it is deleted through the API and its deletion
 * moved that many days back. */
static const char *contact(const char *tok, const char *name, int deleted_days_ago)
{
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/contact", tok,
                                 rp_it_fmt("{\"fields\":{\"last_name\":\"%s\"}}", name));
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    if (deleted_days_ago >= 0) {
        RP_IT_EXPECT_STATUS(
            rp_it_send("DELETE", rp_it_fmt("/api/v1/records/contact/%s", id), tok, NULL), 204);
        /* The history the purge must take with the record: create, delete.
         * Counted before the deletion is moved back, after which a pass may
         * come at any moment. */
        assert_string_equal(
            rp_it_sql("SELECT count(*)::text FROM record_history WHERE record_id = $1", id, NULL),
            "2");
        rp_it_sql("UPDATE records SET deleted_at = now() - make_interval(days => $2::int) WHERE "
                  "id = $1",
                  id, rp_it_fmt("%d", deleted_days_ago), NULL);
    }
    return id;
}

static long count(const char *sql, const char *arg)
{
    return atol(rp_it_sql(sql, arg, NULL));
}

static void purges_expired_records_and_keys(void **state)
{
    (void)state;
    const char *acme = rp_it_token("acme", "admin@acme.test", PASSWORD);
    const char *quick = rp_it_token("quick", "admin@quick.test", PASSWORD);
    const char *old_acme = contact(acme, "Old", 31);    /* past acme's 30 days */
    const char *young_acme = contact(acme, "Young", 2); /* within them */
    const char *live_acme = contact(acme, "Live", -1);
    const char *old_quick = contact(quick, "Old", 2); /* past quick's one day */

    /* Two replays: one older than 24 hours, one fresh. */
    const char *const hk_old[] = {"Idempotency-Key: key-old", NULL};
    const char *const hk_new[] = {"Idempotency-Key: key-new", NULL};
    rp_it_req_t req = {.method = "POST",
                       .path = "/api/v1/records/account",
                       .bearer = acme,
                       .body = "{\"fields\":{\"name\":\"Keyed\"}}",
                       .headers = hk_old};
    RP_IT_EXPECT_STATUS(rp_it_http(&req), 201);
    req.headers = hk_new;
    RP_IT_EXPECT_STATUS(rp_it_http(&req), 201);
    rp_it_sql("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = "
              "'key-old'",
              NULL);

    double deadline = rp_it_now() + 20;
    while (count("SELECT count(*) FROM records WHERE id = $1", old_acme) +
                   count("SELECT count(*) FROM records WHERE id = $1", old_quick) >
               0 &&
           rp_it_now() < deadline)
        rp_it_sleep_ms(200);
    assert_int_equal(count("SELECT count(*) FROM records WHERE id = $1", old_acme), 0);
    assert_int_equal(count("SELECT count(*) FROM records WHERE id = $1", old_quick), 0);
    /* The history went with the record. */
    assert_int_equal(count("SELECT count(*) FROM record_history WHERE record_id = $1", old_acme),
                     0);
    /* A younger deletion and a live record stay; the younger one can still
     * be restored. */
    assert_int_equal(count("SELECT count(*) FROM records WHERE id = $1", young_acme), 1);
    assert_int_equal(count("SELECT count(*) FROM records WHERE id = $1", live_acme), 1);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", rp_it_fmt("/api/v1/records/contact/%s/restore", young_acme), acme, NULL),
        200);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/records/contact/%s", old_acme), acme), 404,
                         "not_found");

    /* The old key went (within a pass of the records); the fresh one stays
     * and still replays. */
    deadline = rp_it_now() + 5;
    while (count("SELECT count(*) FROM idempotency_keys WHERE key = $1", "key-old") > 0 &&
           rp_it_now() < deadline)
        rp_it_sleep_ms(200);
    assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE key = $1", "key-old"), 0);
    assert_int_equal(count("SELECT count(*) FROM idempotency_keys WHERE key = $1", "key-new"), 1);
    rp_it_resp_t *again = rp_it_http(&req);
    RP_IT_EXPECT_STATUS(again, 201);
    assert_non_null(rp_it_header(again, "Idempotent-Replayed"));
    assert_non_null(strstr(rp_it_server_log(), "housekeeping:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(purges_expired_records_and_keys),
    };
    RP_IT_RUN("records_housekeeping", tests, setup, teardown);
}
