/* Short reads on the HTTP threads (RAPPORT_LOOP_READS): many requests in
 * flight at once on one thread and one PostgreSQL connection, each in its
 * own fiber. Their answers must be exactly what each would get alone, in
 * its own tenant; a read waiting for PostgreSQL must not stop the thread
 * from serving anything else; and a database that goes away under reads in
 * flight must end each of them with a clean 503, then come back. */

#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "loop-reads-password-1"
#define NRECORDS 8

typedef struct world {
    char token[2][4096];
    char user_id[2][64];
    char tenant_id[2][64];
    char record[2][NRECORDS][64]; /* contact ids */
} world_t;

static world_t w;
static const char *slugs[2] = {"alpha", "beta"};

static int setup(void **state)
{
    rp_it_pg_start();
    /* One HTTP thread: every loop read of the test shares its connection. */
    rp_it_server_start("RAPPORT_HTTP_THREADS=1", NULL);
    for (int t = 0; t < 2; t++) {
        rp_it_tenant_create(slugs[t], slugs[t]);
        const char *email = rp_it_fmt("admin@%s.test", slugs[t]);
        rp_it_user_add(slugs[t], email, "admin", PASSWORD);
        snprintf(w.token[t], sizeof w.token[t], "%s", rp_it_token(slugs[t], email, PASSWORD));
        snprintf(w.user_id[t], sizeof w.user_id[t], "%s", rp_it_user_id(slugs[t], email));
        snprintf(w.tenant_id[t], sizeof w.tenant_id[t], "%s", rp_it_tenant_id(slugs[t]));
        for (int i = 0; i < NRECORDS; i++) {
            rp_it_resp_t *r =
                rp_it_send("POST", "/api/v1/records/contact", w.token[t],
                           rp_it_fmt("{\"fields\":{\"last_name\":\"%s-%d\"}}", slugs[t], i));
            RP_IT_EXPECT_STATUS(r, 201);
            snprintf(w.record[t][i], sizeof w.record[t][i], "%s", rp_it_jstr(r, "id"));
        }
    }
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* ---- many requests at once, with libcurl's multi interface --------------- */

typedef struct call {
    char path[256];
    const char *token;
    CURL *h;
    struct curl_slist *headers;
    char *body;
    size_t len;
    long status;
    double seconds;
} call_t;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    call_t *c = arg;
    size_t add = size * n;
    char *grown = realloc(c->body, c->len + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + c->len, data, add);
    c->len += add;
    grown[c->len] = '\0';
    c->body = grown;
    return add;
}

/* Sends every call at once (each on its own connection) and waits for all
 * the answers, up to timeout_s. Optional: a call to make while they are in
 * flight. */
static void run_all(call_t *calls, int n, double timeout_s, void (*meanwhile)(void))
{
    CURLM *m = curl_multi_init();
    assert_non_null(m);
    for (int i = 0; i < n; i++) {
        call_t *c = &calls[i];
        c->h = curl_easy_init();
        assert_non_null(c->h);
        curl_easy_setopt(c->h, CURLOPT_URL,
                         rp_it_fmt("http://127.0.0.1:%d%s", rp_it_server_port(), c->path));
        if (c->token != NULL) {
            c->headers = curl_slist_append(NULL, rp_it_fmt("Authorization: Bearer %s", c->token));
            curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
        }
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
        curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->h, CURLOPT_PROXY, "");
        curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, 1L);
        curl_multi_add_handle(m, c->h);
    }
    int running = 1;
    bool called = meanwhile == NULL;
    while (running > 0) {
        curl_multi_perform(m, &running);
        if (!called) {
            /* Once every request has been sent (each waits on the server). */
            called = true;
            rp_it_sleep_ms(300);
            curl_multi_perform(m, &running);
            meanwhile();
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < n; i++) {
        call_t *c = &calls[i];
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
        curl_easy_getinfo(c->h, CURLINFO_TOTAL_TIME, &c->seconds);
        curl_multi_remove_handle(m, c->h);
        curl_easy_cleanup(c->h);
        curl_slist_free_all(c->headers);
        c->h = NULL;
        c->headers = NULL;
    }
    curl_multi_cleanup(m);
}

static void free_calls(call_t *calls, int n)
{
    for (int i = 0; i < n; i++)
        free(calls[i].body);
    free(calls);
}

static const char *member(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2 != NULL)
        v = json_object_get(v, path2);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* 240 reads at once, interleaved across two tenants: /me, a record of the
 * caller's own tenant, a record of the other tenant (which must stay
 * invisible), and a record id that does not exist. */
static void concurrent_reads_keep_their_tenant(void **state)
{
    enum { N = 240 };
    call_t *calls = calloc(N, sizeof *calls);
    assert_non_null(calls);
    for (int i = 0; i < N; i++) {
        int t = i % 2, k = (i / 2) % NRECORDS, kind = (i / 2) % 4;
        calls[i].token = w.token[t];
        if (kind == 0)
            snprintf(calls[i].path, sizeof calls[i].path, "/api/v1/me");
        else if (kind == 1 || kind == 3)
            snprintf(calls[i].path, sizeof calls[i].path, "/api/v1/records/contact/%s",
                     w.record[t][k]);
        else
            snprintf(calls[i].path, sizeof calls[i].path, "/api/v1/records/contact/%s",
                     w.record[1 - t][k]);
    }
    run_all(calls, N, 60, NULL);
    for (int i = 0; i < N; i++) {
        int t = i % 2, k = (i / 2) % NRECORDS, kind = (i / 2) % 4;
        call_t *c = &calls[i];
        json_t *j = c->body ? json_loads(c->body, 0, NULL) : NULL;
        rp_it_track_json(j);
        if (kind == 0) {
            if (c->status != 200 || strcmp(member(j, "user_id", NULL), w.user_id[t]) != 0 ||
                strcmp(member(j, "tenant", "id"), w.tenant_id[t]) != 0)
                RP_IT_FAIL("/me #%d for %s: %ld %s", i, slugs[t], c->status, c->body);
        } else if (kind == 2) {
            if (c->status != 404)
                RP_IT_FAIL("%s read by %s: expected 404, got %ld %s", c->path, slugs[t], c->status,
                           c->body);
        } else {
            const char *want = rp_it_fmt("%s-%d", slugs[t], k);
            if (c->status != 200 || strcmp(member(j, "id", NULL), w.record[t][k]) != 0 ||
                strcmp(member(j, "fields", "last_name"), want) != 0)
                RP_IT_FAIL("%s read by %s: %ld %s", c->path, slugs[t], c->status, c->body);
        }
    }
    free_calls(calls, N);
    rp_it_server_assert_clean_log();
}

/* ---- a read that waits does not hold up the thread ------------------------ */

static PGconn *locker;

static void while_locked(void)
{
    /* The record reads wait for the lock; meanwhile the same (only) HTTP
     * thread still answers requests that do not need that table. */
    rp_it_resp_t *h = rp_it_get("/healthz", NULL);
    RP_IT_EXPECT_STATUS(h, 200);
    /* Blocked, the thread would not answer before the lock goes, and the
     * lock goes only after this answer: any bound shows it; a loose one
     * keeps a loaded machine from failing the test. */
    if (h->seconds > 10)
        RP_IT_FAIL("/healthz took %.1f s while reads waited", h->seconds);
    rp_it_resp_t *u = rp_it_get("/api/v1/users", w.token[0]);
    RP_IT_EXPECT_STATUS(u, 200);
    if (u->seconds > 10)
        RP_IT_FAIL("/api/v1/users took %.1f s while reads waited", u->seconds);
    PGresult *r = PQexec(locker, "COMMIT");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
}

static void waiting_read_does_not_block_the_thread(void **state)
{
    enum { N = 6 };
    locker = rp_it_pg_connect("postgres");
    PGresult *r = PQexec(locker, "BEGIN; LOCK TABLE records IN ACCESS EXCLUSIVE MODE");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    call_t *calls = calloc(N, sizeof *calls);
    assert_non_null(calls);
    for (int i = 0; i < N; i++) {
        calls[i].token = w.token[i % 2];
        snprintf(calls[i].path, sizeof calls[i].path, "/api/v1/records/contact/%s",
                 w.record[i % 2][i % NRECORDS]);
    }
    run_all(calls, N, 30, while_locked);
    PQfinish(locker);
    locker = NULL;
    for (int i = 0; i < N; i++)
        if (calls[i].status != 200)
            RP_IT_FAIL("%s after the lock: %ld %s", calls[i].path, calls[i].status, calls[i].body);
    free_calls(calls, N);
}

/* ---- the database goes away under reads in flight ------------------------- */

static void stop_database(void)
{
    rp_it_pg_stop();
}

static void reads_in_flight_when_the_database_stops(void **state)
{
    enum { N = 40 };
    /* Hold the reads in PostgreSQL, then take it away under them. */
    locker = rp_it_pg_connect("postgres");
    PGresult *r = PQexec(locker, "BEGIN; LOCK TABLE records IN ACCESS EXCLUSIVE MODE");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    call_t *calls = calloc(N, sizeof *calls);
    assert_non_null(calls);
    for (int i = 0; i < N; i++) {
        calls[i].token = w.token[i % 2];
        snprintf(calls[i].path, sizeof calls[i].path, "/api/v1/records/contact/%s",
                 w.record[i % 2][i % NRECORDS]);
    }
    run_all(calls, N, 30, stop_database);
    PQfinish(locker);
    locker = NULL;
    for (int i = 0; i < N; i++)
        if (calls[i].status != 503)
            RP_IT_FAIL("%s when the database stopped: expected 503, got %ld %s", calls[i].path,
                       calls[i].status, calls[i].body ? calls[i].body : "");
    free_calls(calls, N);

    rp_it_pg_start();
    double deadline = rp_it_now() + 30;
    for (;;) {
        rp_it_resp_t *me = rp_it_get("/api/v1/me", w.token[0]);
        rp_it_resp_t *rec =
            rp_it_get(rp_it_fmt("/api/v1/records/contact/%s", w.record[0][0]), w.token[0]);
        if (me->status == 200 && rec->status == 200)
            break;
        if (me->status != 503 && me->status != 200)
            RP_IT_FAIL("/me while recovering: %ld %s", me->status, me->body);
        if (rp_it_now() > deadline)
            RP_IT_FAIL("no recovery: /me %ld, record %ld", me->status, rec->status);
        rp_it_sleep_ms(200);
    }
    /* And the thread serves many at once again. */
    concurrent_reads_keep_their_tenant(state);
}

int main(void)
{
    rp_it_init("test_loop_reads");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(concurrent_reads_keep_their_tenant, rp_it_test_teardown),
        cmocka_unit_test_teardown(waiting_read_does_not_block_the_thread, rp_it_test_teardown),
        cmocka_unit_test_teardown(reads_in_flight_when_the_database_stops, rp_it_test_teardown),
    };
    return rp_it_finish(cmocka_run_group_tests(tests, setup, teardown));
}
