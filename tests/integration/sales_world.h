#ifndef RP_IT_SALES_WORLD_H
#define RP_IT_SALES_WORLD_H

/* What the sales integration tests of accounts, leads and activities
 * share: the world they run in (PostgreSQL, the server, tenants acme and
 * other with sales, bare without it, and acme's users) and the request
 * helpers they all use. Included by one test program each, so its static
 * functions are that program's own. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "sales-password-1"

static char *acme_id;

static const char *as(const char *who)
{
    const char *slug = strstr(who, "@other.") ? "other" : strstr(who, "@bare.") ? "bare" : "acme";
    return rp_it_token(slug, who, PASSWORD);
}

/* Turns the sales module on (or off) for a tenant through the API, which
 * is a no-op when the tenant already has it that way. */
static void module_switch(const char *admin_email, bool on)
{
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", on ? "/api/v1/modules/sales/enable" : "/api/v1/modules/sales/disable",
                   as(admin_email), NULL),
        200);
}

static const char *rec_path(const char *object, const char *id)
{
    return rp_it_fmt("/api/v1/records/%s/%s", object, id);
}

static rp_it_resp_t *create_r(const char *tok, const char *object, const char *fields_json)
{
    return rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", object), tok,
                      rp_it_fmt("{\"fields\":%s}", fields_json));
}

/* Creates a record and returns its id (tracked). */
static const char *create(const char *tok, const char *object, const char *fields_json)
{
    rp_it_resp_t *r = create_r(tok, object, fields_json);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_fmt("%s", rp_it_jstr(r, "id"));
}

static rp_it_resp_t *patch(const char *tok, const char *object, const char *id,
                           const char *fields_json)
{
    return rp_it_send("PATCH", rec_path(object, id), tok,
                      rp_it_fmt("{\"fields\":%s}", fields_json));
}

/* A record read as the admin; fails unless it exists. */
static rp_it_resp_t *get(const char *object, const char *id)
{
    rp_it_resp_t *r = rp_it_get(rec_path(object, id), as("admin@acme.test"));
    RP_IT_EXPECT_STATUS(r, 200);
    return r;
}

static json_t *field(const rp_it_resp_t *r, const char *name)
{
    return json_object_get(json_object_get(r->json, "fields"), name);
}

static const char *field_str(const rp_it_resp_t *r, const char *name)
{
    return json_string_value(field(r, name));
}

static const char *error_of(const rp_it_resp_t *r, const char *f)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), f));
}

/* Fails unless r is a 422 whose errors name field. */
#define EXPECT_FIELD_ERROR(r, f) expect_field_error_at((r), (f), __FILE__, __LINE__)
static void expect_field_error_at(const rp_it_resp_t *r, const char *f, const char *file, int line)
{
    rp_it_expect_problem_at(r, 422, "validation_failed", file, line);
    if (error_of(r, f) == NULL)
        rp_it_fail_at(file, line, "no error for %s in %s", f, r->body);
}

/* Live records of object in tenant acme. */
static long count(const char *object)
{
    return atol(rp_it_sql("SELECT count(*) FROM records WHERE tenant_id = $1 AND object = $2 "
                          "AND deleted_at IS NULL",
                          acme_id, object, NULL));
}

/* The records of a list request (a tracked JSON array). */
static json_t *list(const char *tok, const char *path)
{
    rp_it_resp_t *r = rp_it_get(path, tok);
    RP_IT_EXPECT_STATUS(r, 200);
    return json_object_get(r->json, "data");
}

/* Sets up the cluster, the server, and tenants acme and other with sales
 * enabled, bare without it; users admin, rep, rep2 and viewer in acme. */
static void start_world(void)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    /* A tenant created without any module. */
    char *out = NULL, *err = NULL;
    int rc = rp_it_cli(&out, &err, "tenant", "create", "bare", "--name", "Bare Ltd", "--modules",
                       "", NULL);
    if (rc != 0)
        RP_IT_FAIL("rapport tenant create bare --modules '' exited with %d: %s", rc, err);
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "rep@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "rep2@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "viewer@acme.test", "readonly", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_user_add("bare", "admin@bare.test", "admin", PASSWORD);
    acme_id = strdup(rp_it_tenant_id("acme"));
    module_switch("admin@acme.test", true);
    module_switch("admin@other.test", true);
    assert_string_equal(rp_it_sql("SELECT count(*) FROM tenant_modules m JOIN tenants t ON "
                                  "t.id = m.tenant_id WHERE t.slug = 'bare'",
                                  NULL),
                        "0");
}

static void stop_world(void)
{
    free(acme_id);
    rp_it_server_stop();
    rp_it_pg_stop();
}
static int setup(void **state)
{
    (void)state;
    start_world();
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop_world();
    return 0;
}

#endif
