/* PostgreSQL goes away while rapport serves: requests that need it get 503
 * with Retry-After, the process stays up, and service comes back by itself
 * once PostgreSQL does, without restarting rapport. */

#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "outage-password-1"

static char access_token[4096];

static int setup(void **state)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_tokens_t t;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "admin@acme.test", PASSWORD, &t), 200);
    memcpy(access_token, t.access, sizeof access_token);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static void expect_unavailable(rp_it_resp_t *r, const char *what)
{
    if (r->status != 503)
        RP_IT_FAIL("%s while PostgreSQL is down: expected 503, got %ld %s", what, r->status,
                   r->status ? r->body : r->error);
    RP_IT_EXPECT_PROBLEM(r, 503, NULL);
    const char *ra = rp_it_header(r, "Retry-After");
    if (ra == NULL || strtol(ra, NULL, 10) < 1)
        RP_IT_FAIL("%s: 503 without a usable Retry-After (%s)", what, ra ? ra : "none");
    /* Refused at once, not after waiting for a database that is not there. */
    if (r->seconds > 5)
        RP_IT_FAIL("%s: the 503 took %.1f s", what, r->seconds);
}

static void serving_before(void **state)
{
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", access_token), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/readyz", NULL), 200);
}

/* Polls until /readyz and /me have both answered 200 several times in a row
 * (so every worker has its connection back), for up to limit_s seconds. */
static void expect_recovery(double limit_s)
{
    double start = rp_it_now(), deadline = start + limit_s;
    int streak = 0;
    rp_it_resp_t *last = NULL;
    while (streak < 12) {
        if (rp_it_now() > deadline) {
            RP_IT_FAIL("no recovery within %.0f s of PostgreSQL's return; last answer: %ld %s",
                       limit_s, last ? last->status : 0L, last ? last->body : "");
        }
        rp_it_resp_t *a = rp_it_get("/readyz", NULL);
        rp_it_resp_t *b = rp_it_get("/api/v1/me", access_token);
        if (a->status == 200 && b->status == 200) {
            streak++;
            continue;
        }
        last = a->status != 200 ? a : b;
        /* While it recovers, anything but 200 must still be a clean 503. */
        expect_unavailable(last, "a request during recovery");
        streak = 0;
        rp_it_sleep_ms(250);
    }
    print_message("# recovered %.1f s after PostgreSQL came back\n", rp_it_now() - start);
}

static void outage_then_recovery(void **state)
{
    rp_it_pg_stop();

    for (int i = 0; i < 8; i++) {
        expect_unavailable(rp_it_get("/api/v1/me", access_token), "GET /api/v1/me");
        expect_unavailable(rp_it_get("/readyz", NULL), "GET /readyz");
    }
    expect_unavailable(rp_it_login("acme", "admin@acme.test", PASSWORD, NULL),
                       "POST /api/v1/auth/login");

    /* The process itself is fine and says so. */
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/metrics", NULL), 200);
    assert_true(rp_it_server_running());

    /* Still refusing cleanly after the reconnect backoff has run a while. */
    rp_it_sleep_ms(1500);
    for (int i = 0; i < 4; i++)
        expect_unavailable(rp_it_get("/api/v1/me", access_token), "GET /api/v1/me (later)");
    assert_true(rp_it_server_running());

    rp_it_pg_start();
    expect_recovery(20);
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "admin@acme.test", PASSWORD, NULL), 200);
    assert_true(rp_it_server_running());
}

static void brief_blip_recovers(void **state)
{
    /* The database restarts between two requests: the first requests after
     * it may fail, but never crash anything, and service comes back. */
    rp_it_pg_stop();
    rp_it_pg_start();
    expect_recovery(20);
    assert_true(rp_it_server_running());
}

static void server_exits_cleanly(void **state)
{
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(serving_before),
        RP_IT_TEST(outage_then_recovery),
        RP_IT_TEST(brief_blip_recovers),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("db_outage", tests, setup, teardown);
}
