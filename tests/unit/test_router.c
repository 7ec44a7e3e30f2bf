#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void h_a(rp_ctx_t *c)
{
    (void)c;
}
static void h_b(rp_ctx_t *c)
{
    (void)c;
}

static const rp_route_t routes[] = {
    {RP_GET | RP_POST, "/api/v1/users", h_a, 0, RP_ROLE_ADMIN},
    {RP_GET | RP_PATCH | RP_DELETE, "/api/v1/users/{id}", h_b, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/records/{object}/{id}/related/{rel}", h_a, 0, RP_ROLE_NONE},
    {RP_GET, "/healthz", h_b, RP_ROUTE_PUBLIC, RP_ROLE_NONE},
};

static rp_router_t *router;

static int setup(void **state)
{
    router = rp_router_new();
    return rp_router_add(router, routes, 4) == RP_OK ? 0 : -1;
}

static int teardown(void **state)
{
    rp_router_free(router);
    return 0;
}

static void literal_match(void **state)
{
    rp_pool_t pool = {0};
    const rp_route_t *rt = NULL;
    const char *params[RP_MAX_PARAMS];
    int n = -1;
    assert_int_equal(rp_router_match(router, RP_GET, "/healthz", &pool, &rt, params, &n, NULL),
                     RP_OK);
    assert_ptr_equal(rt, &routes[3]);
    assert_int_equal(n, 0);
    assert_int_equal(
        rp_router_match(router, RP_POST, "/api/v1/users", &pool, &rt, params, &n, NULL), RP_OK);
    assert_ptr_equal(rt, &routes[0]);
    rp_pool_clear(&pool);
}

static void params_captured(void **state)
{
    rp_pool_t pool = {0};
    const rp_route_t *rt = NULL;
    const char *params[RP_MAX_PARAMS];
    int n = 0;
    assert_int_equal(rp_router_match(router, RP_GET, "/api/v1/records/deal/42/related/notes", &pool,
                                     &rt, params, &n, NULL),
                     RP_OK);
    assert_ptr_equal(rt, &routes[2]);
    assert_int_equal(n, 3);
    assert_string_equal(params[0], "deal");
    assert_string_equal(params[1], "42");
    assert_string_equal(params[2], "notes");
    rp_pool_clear(&pool);
}

static void not_found_and_wrong_method(void **state)
{
    rp_pool_t pool = {0};
    const rp_route_t *rt = NULL;
    const char *params[RP_MAX_PARAMS];
    int n = 0;
    unsigned allowed = 0;
    assert_int_equal(rp_router_match(router, RP_GET, "/nope", &pool, &rt, params, &n, &allowed),
                     RP_ENOTFOUND);
    /* Empty segments, trailing slashes and extra segments do not match. */
    assert_int_equal(
        rp_router_match(router, RP_GET, "/api/v1/users/", &pool, &rt, params, &n, &allowed),
        RP_ENOTFOUND);
    assert_int_equal(
        rp_router_match(router, RP_GET, "/api/v1/users/x/y", &pool, &rt, params, &n, &allowed),
        RP_ENOTFOUND);
    assert_int_equal(rp_router_match(router, RP_GET, "/healthzz", &pool, &rt, params, &n, &allowed),
                     RP_ENOTFOUND);
    assert_int_equal(
        rp_router_match(router, RP_DELETE, "/api/v1/users", &pool, &rt, params, &n, &allowed),
        RP_EINVAL);
    assert_int_equal(allowed, RP_GET | RP_POST);
    assert_int_equal(
        rp_router_match(router, RP_POST, "/api/v1/users/7", &pool, &rt, params, &n, &allowed),
        RP_EINVAL);
    assert_int_equal(allowed, RP_GET | RP_PATCH | RP_DELETE);
    rp_pool_clear(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_match),
        cmocka_unit_test(params_captured),
        cmocka_unit_test(not_found_and_wrong_method),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
