/* SIGTERM and SIGINT: stop accepting, let in-flight requests finish (within
 * a bound), exit 0. */

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "shutdown-password-1"

static int setup(void **state)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static void stops_on(int sig)
{
    rp_it_server_start(NULL);
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/readyz", NULL), 200);
    double t0 = rp_it_now();
    rp_it_server_signal(sig);
    int rc = rp_it_server_wait(20);
    double took = rp_it_now() - t0;
    if (rc == -2)
        RP_IT_FAIL("rapport serve still runs 20 s after signal %d", sig);
    assert_int_equal(rc, 0);
    /* Idle, it has nothing to wait for. */
    if (took > 5)
        RP_IT_FAIL("rapport serve took %.1f s to stop when idle", took);
    rp_it_server_assert_clean_log();
    /* And the port is free again: nothing answers there. */
    rp_it_resp_t *r = rp_it_http(&(rp_it_req_t){.path = "/healthz", .timeout = 2});
    assert_int_equal(r->status, 0);
}

static void sigterm_exits_0(void **state)
{
    stops_on(SIGTERM);
}

static void sigint_exits_0(void **state)
{
    stops_on(SIGINT);
}

typedef struct inflight {
    pthread_t thread;
    const char *token;
    long status;
    char body[512];
} inflight_t;

static void *request_me(void *arg)
{
    inflight_t *f = arg;
    rp_it_resp_t *r =
        rp_it_http(&(rp_it_req_t){.path = "/api/v1/me", .bearer = f->token, .timeout = 40});
    f->status = r->status;
    snprintf(f->body, sizeof f->body, "%s", r->status ? r->body : r->error);
    return NULL;
}

/* Holds an exclusive lock on users (in an open transaction of the returned
 * connection) so that a request reading it waits in PostgreSQL. */
static PGconn *lock_users(void)
{
    PGconn *c = rp_it_pg_connect("postgres");
    PGresult *r = PQexec(c, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(c);
        RP_IT_FAIL("cannot lock users");
    }
    return c;
}

static void unlock_users(PGconn *c)
{
    PGresult *r = PQexec(c, "COMMIT");
    PQclear(r);
    PQfinish(c);
}

/* Waits until a serving-role backend is waiting on a lock: the request is
 * in flight, inside its transaction. */
static void wait_for_blocked_request(void)
{
    double deadline = rp_it_now() + 15;
    while (rp_it_now() < deadline) {
        const char *n = rp_it_sql("SELECT count(*) FROM pg_stat_activity WHERE usename = "
                                  "'rapport_app' AND wait_event_type = 'Lock'",
                                  NULL);
        if (n != NULL && strcmp(n, "0") != 0)
            return;
        rp_it_sleep_ms(50);
    }
    RP_IT_FAIL("the request never reached the database");
}

static void sigterm_lets_inflight_finish(void **state)
{
    rp_it_server_start(NULL);
    inflight_t f = {.token = rp_it_token("acme", "admin@acme.test", PASSWORD)};
    PGconn *lock = lock_users();
    if (pthread_create(&f.thread, NULL, request_me, &f) != 0) {
        unlock_users(lock);
        RP_IT_FAIL("pthread_create failed");
    }
    wait_for_blocked_request();

    rp_it_server_signal(SIGTERM);
    rp_it_sleep_ms(700);
    /* Draining: still running for the request it owes... */
    bool running = rp_it_server_running();
    /* ...but taking no new work. */
    rp_it_resp_t *fresh = rp_it_http(&(rp_it_req_t){.path = "/healthz", .timeout = 3});
    unlock_users(lock);
    pthread_join(f.thread, NULL);
    int rc = rp_it_server_wait(20);

    if (!running)
        RP_IT_FAIL("rapport serve exited before its in-flight request finished");
    if (fresh->status == 200)
        RP_IT_FAIL("a new request was served after SIGTERM");
    if (f.status != 200)
        RP_IT_FAIL("the in-flight request got %ld %s", f.status, f.body);
    assert_int_equal(rc, 0);
    rp_it_server_assert_clean_log();
}

static void sigterm_drain_is_bounded(void **state)
{
    /* A request that cannot finish (its table stays locked) delays the exit
     * by the shutdown timeout, not for ever. */
    rp_it_server_start("RAPPORT_SHUTDOWN_TIMEOUT=2", NULL);
    inflight_t f = {.token = rp_it_token("acme", "admin@acme.test", PASSWORD)};
    PGconn *lock = lock_users();
    if (pthread_create(&f.thread, NULL, request_me, &f) != 0) {
        unlock_users(lock);
        RP_IT_FAIL("pthread_create failed");
    }
    wait_for_blocked_request();
    double t0 = rp_it_now();
    rp_it_server_signal(SIGTERM);
    int rc = rp_it_server_wait(20);
    double took = rp_it_now() - t0;
    unlock_users(lock);
    pthread_join(f.thread, NULL);
    if (rc == -2)
        RP_IT_FAIL("rapport serve still runs 20 s after SIGTERM with a stuck request");
    assert_int_equal(rc, 0);
    if (took < 1.5 || took > 12)
        RP_IT_FAIL("with a 2 s shutdown timeout, the exit took %.1f s", took);
    /* The stuck client got an answer or a closed connection, never a hang. */
    assert_int_not_equal(f.status, 200);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(sigterm_exits_0),
        RP_IT_TEST(sigint_exits_0),
        RP_IT_TEST(sigterm_lets_inflight_finish),
        RP_IT_TEST(sigterm_drain_is_bounded),
    };
    RP_IT_RUN("shutdown", tests, setup, teardown);
}
