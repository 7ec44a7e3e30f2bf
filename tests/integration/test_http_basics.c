/* The HTTP surface every route shares: health, metrics, routing errors,
 * body limits, JSON and media-type errors, request ids and the access log. */

#include <stdlib.h>
#include <string.h>

#include "it.h"

static int setup(void **state)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    return 0;
}

static int teardown(void **state)
{
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static void healthz_ok(void **state)
{
    rp_it_resp_t *r = rp_it_get("/healthz", NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_non_null(rp_it_header(r, "Content-Type"));
    assert_non_null(strstr(rp_it_header(r, "Content-Type"), "application/json"));
    assert_true(json_is_object(r->json));
    assert_non_null(rp_it_header(r, "X-Request-Id"));
}

static void readyz_ok(void **state)
{
    rp_it_resp_t *r = rp_it_get("/readyz", NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_object(r->json));
}

static void metrics_exposed(void **state)
{
    /* Something to count first, including a 404. */
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/no/such/thing", NULL), 404);
    rp_it_resp_t *r = rp_it_get("/metrics", NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    const char *ct = rp_it_header(r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "text/plain"));
    const char *names[] = {
        "rapport_http_requests_total", "rapport_http_request_duration_seconds_bucket",
        "rapport_worker_queue_depth", "rapport_db_pool_connections", "rapport_build_info"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(r->body, names[i]) == NULL)
            RP_IT_FAIL("/metrics lacks %s:\n%s", names[i], r->body);
    /* The histogram needs its +Inf bucket to be valid Prometheus text. */
    assert_non_null(strstr(r->body, "le=\"+Inf\""));
    /* The health check above is counted under its route with status 200. */
    const char *p = strstr(r->body, "rapport_http_requests_total{");
    bool found = false;
    for (; p != NULL; p = strstr(p + 1, "rapport_http_requests_total{")) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        if (strstr(line, "/healthz") && strstr(line, "200"))
            found = true;
        free(line);
    }
    if (!found)
        RP_IT_FAIL("no rapport_http_requests_total series for /healthz and 200:\n%s", r->body);
}

static void unknown_path_404(void **state)
{
    const char *paths[] = {"/nope", "/api/v1/nope", "/api/v1/users/1/2/3", "/api"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        rp_it_resp_t *r = rp_it_get(paths[i], NULL);
        RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    }
}

static void wrong_method_405(void **state)
{
    rp_it_resp_t *r = rp_it_send("DELETE", "/api/v1/me", NULL, NULL);
    RP_IT_EXPECT_PROBLEM(r, 405, "method_not_allowed");
    const char *allow = rp_it_header(r, "Allow");
    assert_non_null(allow);
    assert_non_null(strstr(allow, "GET"));
    assert_null(strstr(allow, "DELETE"));

    r = rp_it_send("PUT", "/api/v1/auth/login", NULL, "{}");
    RP_IT_EXPECT_PROBLEM(r, 405, "method_not_allowed");
    allow = rp_it_header(r, "Allow");
    assert_non_null(allow);
    assert_non_null(strstr(allow, "POST"));

    r = rp_it_send("POST", "/healthz", NULL, "{}");
    RP_IT_EXPECT_PROBLEM(r, 405, "method_not_allowed");
    assert_non_null(rp_it_header(r, "Allow"));
}

static char *big_body(size_t len)
{
    /* Valid JSON of exactly len bytes: {"tenant":"aaaa...a"}. */
    char *b = malloc(len + 1);
    assert_non_null(b);
    memset(b, 'a', len);
    memcpy(b, "{\"tenant\":\"", 11);
    memcpy(b + len - 2, "\"}", 2);
    b[len] = '\0';
    return b;
}

static void body_over_limit_413(void **state)
{
    size_t limit = 4u << 20;
    char *b = rp_it_track(big_body(limit + 1), free);
    rp_it_resp_t *r =
        rp_it_http(&(rp_it_req_t){.path = "/api/v1/auth/login", .body = b, .body_len = limit + 1});
    RP_IT_EXPECT_STATUS(r, 413);
    const char *ct = rp_it_header(r, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/problem+json"));
    assert_string_equal(rp_it_jstr(r, "code"), "payload_too_large");
    assert_int_equal(json_integer_value(json_object_get(r->json, "status")), 413);

    /* Without a Content-Length the limit must hold all the same. */
    r = rp_it_http(&(rp_it_req_t){
        .path = "/api/v1/auth/login", .body = b, .body_len = limit + 1, .chunked = true});
    RP_IT_EXPECT_STATUS(r, 413);
    assert_string_equal(rp_it_jstr(r, "code"), "payload_too_large");

    /* The server is still fine afterwards. */
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
}

static void body_at_limit_accepted(void **state)
{
    size_t limit = 4u << 20;
    char *b = rp_it_track(big_body(limit), free);
    rp_it_resp_t *r =
        rp_it_http(&(rp_it_req_t){.path = "/api/v1/auth/login", .body = b, .body_len = limit});
    /* Read in full and judged on its content (fields missing), not its size. */
    assert_int_not_equal(r->status, 413);
    RP_IT_EXPECT_PROBLEM(r, 422, NULL);
}

static void malformed_json_400(void **state)
{
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/auth/login", NULL, "{\"tenant\": ");
    RP_IT_EXPECT_PROBLEM(r, 400, "malformed_json");
    r = rp_it_send("POST", "/api/v1/auth/login", NULL, "{\"tenant\": \"a\",}");
    RP_IT_EXPECT_PROBLEM(r, 400, "malformed_json");
    r = rp_it_send("POST", "/api/v1/auth/login", NULL, "");
    RP_IT_EXPECT_PROBLEM(r, 400, NULL);
    /* Invalid UTF-8 inside a string is malformed too. */
    r = rp_it_send("POST", "/api/v1/auth/login", NULL, "{\"tenant\":\"\xff\xfe\"}");
    RP_IT_EXPECT_PROBLEM(r, 400, "malformed_json");
}

static void json_not_object_400(void **state)
{
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/auth/login", NULL,
                                 "[{\"tenant\":\"a\",\"email\":\"b\",\"password\":\"c\"}]");
    RP_IT_EXPECT_PROBLEM(r, 400, NULL);
    r = rp_it_send("POST", "/api/v1/auth/login", NULL, "\"just a string\"");
    RP_IT_EXPECT_PROBLEM(r, 400, NULL);
}

static void wrong_content_type_415(void **state)
{
    rp_it_resp_t *r = rp_it_http(
        &(rp_it_req_t){.path = "/api/v1/auth/login",
                       .body = "{\"tenant\":\"a\",\"email\":\"b@c.d\",\"password\":\"0123456789\"}",
                       .content_type = "text/plain"});
    RP_IT_EXPECT_PROBLEM(r, 415, "unsupported_media_type");
    r = rp_it_http(&(rp_it_req_t){.path = "/api/v1/auth/login",
                                  .body = "tenant=a&email=b&password=c",
                                  .content_type = "application/x-www-form-urlencoded"});
    RP_IT_EXPECT_PROBLEM(r, 415, "unsupported_media_type");
}

static void request_id_echoed_when_sane(void **state)
{
    rp_it_resp_t *r = rp_it_http(&(rp_it_req_t){.path = "/healthz", .request_id = "it-abc-123"});
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_header(r, "X-Request-Id"), "it-abc-123");

    /* Problems carry it in the body as well. */
    r = rp_it_http(&(rp_it_req_t){.path = "/nope", .request_id = "it-def-456"});
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    assert_string_equal(rp_it_header(r, "X-Request-Id"), "it-def-456");
    assert_string_equal(rp_it_jstr(r, "request_id"), "it-def-456");

    /* The longest id that is echoed: 64 characters, exactly. */
    char edge[65];
    memset(edge, 'e', 64);
    edge[64] = '\0';
    r = rp_it_http(&(rp_it_req_t){.path = "/healthz", .request_id = edge});
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_header(r, "X-Request-Id"), edge);
}

static void request_id_replaced_when_not_sane(void **state)
{
    char longid[201];
    memset(longid, 'x', 200);
    longid[200] = '\0';
    const char *bad[] = {longid, "has spaces in it", "semi;colon", "quote\"d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rp_it_resp_t *r = rp_it_http(&(rp_it_req_t){.path = "/healthz", .request_id = bad[i]});
        RP_IT_EXPECT_STATUS(r, 200);
        const char *rid = rp_it_header(r, "X-Request-Id");
        assert_non_null(rid);
        assert_true(strlen(rid) >= 8);
        assert_true(strlen(rid) <= 64);
        assert_string_not_equal(rid, bad[i]);
        assert_null(strchr(rid, ' '));
    }
    /* Without one, each response gets its own. */
    rp_it_resp_t *a = rp_it_get("/healthz", NULL), *b = rp_it_get("/healthz", NULL);
    assert_non_null(rp_it_header(a, "X-Request-Id"));
    assert_non_null(rp_it_header(b, "X-Request-Id"));
    assert_string_not_equal(rp_it_header(a, "X-Request-Id"), rp_it_header(b, "X-Request-Id"));
}

static void errors_are_problems(void **state)
{
    /* A sample of errors from every layer: router, authentication, body
     * parsing, validation, h2o itself. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", NULL), 401, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/users", "garbage"), 401, "invalid_token");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/auth/login", NULL, "{}"), 422, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/auth/refresh", NULL, "{}"), 422, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/auth/logout", NULL, "{}"), 405, NULL);
    rp_it_resp_t *r = rp_it_get("/api/v1/me", NULL);
    assert_non_null(rp_it_header(r, "WWW-Authenticate"));
}

static void access_log_line(void **state)
{
    RP_IT_EXPECT_STATUS(
        rp_it_http(&(rp_it_req_t){.path = "/nope/for/log", .request_id = "it-log-789"}), 404);
    /* One JSON line per request, written when the response is: poll briefly. */
    double deadline = rp_it_now() + 5;
    json_t *entry = NULL;
    while (entry == NULL && rp_it_now() < deadline) {
        const char *log = rp_it_server_log();
        for (const char *p = log; p && *p;) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            if (len > 0 && p[0] == '{' && memmem(p, len, "it-log-789", 10) != NULL) {
                entry = json_loadb(p, len, 0, NULL);
                if (entry != NULL)
                    break;
            }
            p = eol ? eol + 1 : NULL;
        }
        if (entry == NULL)
            rp_it_sleep_ms(100);
    }
    if (entry == NULL)
        RP_IT_FAIL("no JSON access-log line with request id it-log-789");
    json_t *e = rp_it_track_json(entry);
    assert_string_equal(json_string_value(json_object_get(e, "request_id")), "it-log-789");
    assert_int_equal(json_integer_value(json_object_get(e, "status")), 404);
    assert_string_equal(json_string_value(json_object_get(e, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(e, "path")), "/nope/for/log");
}

static void server_exits_cleanly(void **state)
{
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(healthz_ok),
        RP_IT_TEST(readyz_ok),
        RP_IT_TEST(metrics_exposed),
        RP_IT_TEST(unknown_path_404),
        RP_IT_TEST(wrong_method_405),
        RP_IT_TEST(body_over_limit_413),
        RP_IT_TEST(body_at_limit_accepted),
        RP_IT_TEST(malformed_json_400),
        RP_IT_TEST(json_not_object_400),
        RP_IT_TEST(wrong_content_type_415),
        RP_IT_TEST(request_id_echoed_when_sane),
        RP_IT_TEST(request_id_replaced_when_not_sane),
        RP_IT_TEST(errors_are_problems),
        RP_IT_TEST(access_log_line),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("http_basics", tests, setup, teardown);
}
