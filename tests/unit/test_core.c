#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/pool.h"
#include "core/problem.h"
#include "core/request.h"
#include "core/uuid.h"

static void buf_grows_and_formats(void **state)
{
    rp_buf_t b = {0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rp_buf_printf(&b, "%d,", i), RP_OK);
    assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
    assert_int_equal(b.len, strlen(b.data));
    rp_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    rp_buf_free(&b);
    assert_null(b.data);
}

static void pool_allocations_are_aligned_and_large_ones_work(void **state)
{
    rp_pool_t p = {0};
    for (int i = 1; i < 200; i++) {
        void *m = rp_pool_alloc(&p, (size_t)i * 7);
        assert_non_null(m);
        assert_int_equal((uintptr_t)m % 8, 0);
        memset(m, 0xab, (size_t)i * 7);
    }
    char *big = rp_pool_alloc(&p, 1 << 20);
    assert_non_null(big);
    memset(big, 1, 1 << 20);
    assert_string_equal(rp_pool_strdup(&p, "hello"), "hello");
    assert_string_equal(rp_pool_printf(&p, "%s-%d", "x", 5), "x-5");
    assert_null(rp_pool_strdup(&p, NULL));
    rp_pool_clear(&p);
    assert_null(p.chunks);
}

static void mark_a(void *arg)
{
    strcat(arg, "a");
}

static void mark_b(void *arg)
{
    strcat(arg, "b");
}

static void pool_cleanups_run_once_newest_first(void **state)
{
    char log[16] = "";
    rp_pool_t p = {0};
    assert_int_equal(rp_pool_on_clear(&p, mark_a, log), 0);
    assert_int_equal(rp_pool_on_clear(&p, mark_b, log), 0);
    assert_string_equal(log, "");
    rp_pool_clear(&p);
    assert_string_equal(log, "ba");
    rp_pool_clear(&p); /* each cleanup runs once */
    assert_string_equal(log, "ba");
}

static void uuid_v7_is_valid_and_ordered(void **state)
{
    char a[RP_UUID_LEN + 1], b[RP_UUID_LEN + 1];
    rp_uuid_v7(a);
    assert_true(rp_uuid_valid(a));
    assert_int_equal(a[14], '7');
    assert_true(strchr("89ab", a[19]) != NULL);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    rp_uuid_v7(b);
    assert_true(strcmp(a, b) < 0);
    assert_false(rp_uuid_valid("not-a-uuid"));
    assert_false(rp_uuid_valid("0190c3b2-7a1e-7000-8000-00000000000")); /* short */
    assert_false(rp_uuid_valid("0190c3b2-7a1e-7000-8000-00000000000g"));
    assert_false(rp_uuid_valid("0190c3b2x7a1e-7000-8000-000000000000"));
    assert_false(rp_uuid_valid(NULL));
    assert_true(rp_uuid_valid("0190C3B2-7A1E-7000-8000-000000000000"));
}

static void listen_addresses_parse(void **state)
{
    rp_config_t c = {0};
    char err[200];
    assert_int_equal(rp_config_set_listen(&c, "127.0.0.1:9000", err, sizeof err), RP_OK);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(rp_config_set_listen(&c, "[::1]:81", err, sizeof err), RP_OK);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 81);
    assert_int_equal(rp_config_set_listen(&c, ":8080", err, sizeof err), RP_OK);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(rp_config_set_listen(&c, "localhost", err, sizeof err), RP_EINVAL);
    assert_int_equal(rp_config_set_listen(&c, "h:99999", err, sizeof err), RP_EINVAL);
    assert_int_equal(rp_config_set_listen(&c, "h:abc", err, sizeof err), RP_EINVAL);
    assert_non_null(strstr(err, "h:abc"));
    rp_config_free(&c);
}

static void env_errors_name_the_variable(void **state)
{
    rp_config_t c;
    char err[200] = "";
    setenv("RAPPORT_WORKERS", "zero", 1);
    assert_int_equal(rp_config_from_env(&c, err, sizeof err), RP_EINVAL);
    assert_non_null(strstr(err, "RAPPORT_WORKERS"));
    rp_config_free(&c);
    setenv("RAPPORT_WORKERS", "3", 1);
    setenv("RAPPORT_LOG_LEVEL", "loud", 1);
    assert_int_equal(rp_config_from_env(&c, err, sizeof err), RP_EINVAL);
    assert_non_null(strstr(err, "RAPPORT_LOG_LEVEL"));
    rp_config_free(&c);
    unsetenv("RAPPORT_LOG_LEVEL");
    assert_int_equal(rp_config_from_env(&c, err, sizeof err), RP_OK);
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.max_body, 4u << 20);
    rp_config_free(&c);
    unsetenv("RAPPORT_WORKERS");
}

static void problem_document_has_every_member(void **state)
{
    rp_buf_t b = {0};
    json_t *errs = json_pack("{s:s}", "email", "is required");
    assert_int_equal(
        rp_problem_render(&b, 422, "validation_failed", "bad \"input\"", "/x", "rid-1", errs),
        RP_OK);
    json_decref(errs);
    json_t *doc = json_loads(b.data, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "type")),
                        "urn:rapport:problem:validation_failed");
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "Unprocessable Content");
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(doc, "code")), "validation_failed");
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "bad \"input\"");
    assert_string_equal(json_string_value(json_object_get(doc, "instance")), "/x");
    assert_string_equal(json_string_value(json_object_get(doc, "request_id")), "rid-1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "errors"), "email")),
                        "is required");
    json_decref(doc);
    /* Invalid UTF-8 in a detail still yields a valid document. */
    assert_int_equal(rp_problem_render(&b, 400, "x", "\xff\xfe", NULL, NULL, NULL), RP_OK);
    doc = json_loads(b.data, 0, NULL);
    assert_non_null(doc);
    json_decref(doc);
    rp_buf_free(&b);
}

static void ctx_init(rp_ctx_t *c, const char *query, const char *body, const char *ct)
{
    memset(c, 0, sizeof *c);
    c->req.query = query;
    c->req.body = body;
    c->req.body_len = body ? strlen(body) : 0;
    c->req.content_type = ct;
    c->req.path = "/t";
    strcpy(c->req.request_id, "r");
}

static void ctx_free(rp_ctx_t *c)
{
    rp_buf_free(&c->res.body);
    rp_pool_clear(&c->pool);
}

static const char *problem_code(rp_ctx_t *c)
{
    static char code[64];
    json_t *d = json_loads(c->res.body.data, 0, NULL);
    assert_non_null(d);
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(d, "code")));
    json_decref(d);
    return code;
}

static void query_params_decode(void **state)
{
    rp_ctx_t c;
    ctx_init(&c, "a=1&name=J%C3%B6rg+M&empty=&flag&bad=%zz&a=2", NULL, NULL);
    assert_string_equal(rp_req_query_param(&c, "a"), "1");
    assert_string_equal(rp_req_query_param(&c, "name"), "J\xc3\xb6rg M");
    assert_string_equal(rp_req_query_param(&c, "empty"), "");
    assert_string_equal(rp_req_query_param(&c, "flag"), "");
    assert_null(rp_req_query_param(&c, "bad"));
    assert_null(rp_req_query_param(&c, "missing"));
    ctx_free(&c);
}

static void json_bodies_are_checked(void **state)
{
    rp_ctx_t c;
    ctx_init(&c, "", "{\"a\":1}", "application/json; charset=utf-8");
    json_t *o = rp_req_json_object(&c);
    assert_non_null(o);
    assert_int_equal(c.res.status, 0);
    json_decref(o);
    ctx_free(&c);

    ctx_init(&c, "", "{\"a\":", "application/json");
    assert_null(rp_req_json_object(&c));
    assert_int_equal(c.res.status, 400);
    assert_string_equal(c.res.content_type, "application/problem+json");
    assert_string_equal(problem_code(&c), "malformed_json");
    ctx_free(&c);

    ctx_init(&c, "", "[1,2]", NULL);
    assert_null(rp_req_json_object(&c));
    assert_int_equal(c.res.status, 400);
    ctx_free(&c);

    ctx_init(&c, "", "{\"a\":1,\"a\":2}", NULL);
    assert_null(rp_req_json_object(&c));
    assert_int_equal(c.res.status, 400);
    ctx_free(&c);

    ctx_init(&c, "", "a=1", "application/x-www-form-urlencoded");
    assert_null(rp_req_json_object(&c));
    assert_int_equal(c.res.status, 415);
    assert_string_equal(problem_code(&c), "unsupported_media_type");
    ctx_free(&c);

    ctx_init(&c, "", NULL, "application/json");
    assert_null(rp_req_json_object(&c));
    assert_int_equal(c.res.status, 400);
    ctx_free(&c);
}

static void failures_map_to_statuses(void **state)
{
    rp_ctx_t c;
    ctx_init(&c, "", NULL, NULL);
    rp_resp_fail(&c, RP_EDB_UNAVAILABLE);
    assert_int_equal(c.res.status, 503);
    assert_string_equal(c.res.headers[0].name, "Retry-After");
    rp_resp_fail(&c, RP_ETENANT);
    assert_int_equal(c.res.status, 403);
    assert_string_equal(problem_code(&c), "tenant_suspended");
    rp_resp_fail(&c, RP_ERR);
    assert_int_equal(c.res.status, 500);
    ctx_free(&c);
}

static void roles_are_ordered(void **state)
{
    assert_int_equal(rp_role_parse("admin"), RP_ROLE_ADMIN);
    assert_int_equal(rp_role_parse("readonly"), RP_ROLE_READONLY);
    assert_int_equal(rp_role_parse("Admin"), RP_ROLE_NONE);
    assert_int_equal(rp_role_parse(NULL), RP_ROLE_NONE);
    assert_true(RP_ROLE_ADMIN > RP_ROLE_MANAGER && RP_ROLE_MANAGER > RP_ROLE_USER &&
                RP_ROLE_USER > RP_ROLE_READONLY);
    assert_string_equal(rp_role_name(RP_ROLE_MANAGER), "manager");
}

static void metrics_render_counts(void **state)
{
    rp_metrics_reset();
    rp_metrics_observe("/a", "GET", 200, 0.002);
    rp_metrics_observe("/a", "GET", 200, 0.2);
    rp_metrics_observe("/a", "GET", 404, 0.0001);
    rp_metrics_gauges_t g = {.queue_depth = 3, .workers = 8, .workers_busy = 2, .db_connected = 8};
    rp_buf_t b = {0};
    assert_int_equal(rp_metrics_render(&b, &g, 1), RP_OK);
    assert_non_null(strstr(
        b.data, "rapport_http_requests_total{route=\"/a\",method=\"GET\",status=\"200\"} 2"));
    assert_non_null(strstr(
        b.data, "rapport_http_requests_total{route=\"/a\",method=\"GET\",status=\"404\"} 1"));
    assert_non_null(strstr(
        b.data, "rapport_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.0025\"} 2"));
    assert_non_null(
        strstr(b.data, "rapport_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3"));
    assert_non_null(strstr(b.data, "rapport_worker_queue_depth 3"));
    assert_non_null(strstr(b.data, "rapport_db_pool_connections{state=\"idle\"} 6"));
    assert_non_null(strstr(b.data, "rapport_build_info{version="));
    rp_buf_free(&b);
}

/* The access log's JSON strings are written without jansson: they must
 * read exactly as jansson writes them, whatever a client sends. */
static void json_strings_match_jansson(void **state)
{
    const char *cases[] = {"",
                           "/api/v1/me",
                           "a\"b\\c/d",
                           "tab\there\nnew\rline\b\f",
                           "\x01\x1f\x7f end",
                           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                           "/records?x=<script>&y='1'"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rp_buf_t b = {0};
        assert_int_equal(rp_buf_put_json_string(&b, cases[i]), RP_OK);
        json_t *j = json_string(cases[i]);
        assert_non_null(j);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        assert_string_equal(b.data, want);
        free(want);
        json_decref(j);
        rp_buf_free(&b);
    }
    /* Not UTF-8 (a lone continuation byte, an overlong slash): refused,
     * nothing written. */
    const char *bad[] = {"abc\x80", "\xc0\xaf"};
    for (size_t i = 0; i < 2; i++) {
        rp_buf_t b = {0};
        assert_int_equal(rp_buf_puts(&b, "x"), RP_OK);
        assert_int_equal(rp_buf_put_json_string(&b, bad[i]), RP_EINVAL);
        assert_string_equal(b.data, "x");
        rp_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_grows_and_formats),
        cmocka_unit_test(json_strings_match_jansson),
        cmocka_unit_test(pool_allocations_are_aligned_and_large_ones_work),
        cmocka_unit_test(pool_cleanups_run_once_newest_first),
        cmocka_unit_test(uuid_v7_is_valid_and_ordered),
        cmocka_unit_test(listen_addresses_parse),
        cmocka_unit_test(env_errors_name_the_variable),
        cmocka_unit_test(problem_document_has_every_member),
        cmocka_unit_test(query_params_decode),
        cmocka_unit_test(json_bodies_are_checked),
        cmocka_unit_test(failures_map_to_statuses),
        cmocka_unit_test(roles_are_ordered),
        cmocka_unit_test(metrics_render_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
