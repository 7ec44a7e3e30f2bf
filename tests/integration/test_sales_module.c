/* The sales module as a whole: the server loads it, new tenants get it
 * enabled, every object of the contract exists under its name, its default
 * permissions reach each built-in role, and a tenant without it gets 404
 * for every one of its objects and actions (until an admin enables it). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it.h"

#define PASSWORD "sales-module-password-1"

static char moddir[1024];

/* The objects of the contract (issue 4, item 3). */
static const char *const OBJECTS[] = {
    "account",
    "contact",
    "account_contact",
    "lead",
    "opportunity",
    "task",
    "call",
    "meeting",
    "note",
    "product",
    "price_book",
    "price_book_entry",
    "quote",
    "quote_line",
    "order",
    "order_line",
    "invoice",
    "invoice_line",
    "call_script",
    "pipeline",
    "pipeline_stage",
    "meeting_attendee",
};
#define NOBJECTS (sizeof OBJECTS / sizeof OBJECTS[0])

/* The actions of the contract, with a path to call each with (@ stands
 * for a record id). */
static const struct {
    const char *method, *pattern, *path;
} ACTIONS[] = {
    {"POST", "leads/{}/convert", "leads/@/convert"},
    {"GET", "timeline/{}/{}", "timeline/account/@"},
    {"GET", "forecast", "forecast?period=month"},
    {"GET", "opportunities/{}/stages", "opportunities/@/stages"},
    {"POST", "quotes/{}/order", "quotes/@/order"},
    {"POST", "orders/{}/invoice", "orders/@/invoice"},
    {"GET", "quotes/{}/print", "quotes/@/print"},
    {"POST", "calls/{}/script-answers", "calls/@/script-answers"},
    {"GET", "calls/{}/script-answers", "calls/@/script-answers"},
};
#define NACTIONS (sizeof ACTIONS / sizeof ACTIONS[0])

/* An id no record has. */
#define NO_ID "01890000-0000-7000-8000-00000000abcd"

/* The URL of action i, with NO_ID for its record id. Tracked. */
static const char *action_path(size_t i)
{
    const char *p = ACTIONS[i].path, *at = strchr(p, '@');
    if (at == NULL)
        return rp_it_fmt("/api/v1/m/sales/%s", p);
    return rp_it_fmt("/api/v1/m/sales/%.*s%s%s", (int)(at - p), p, NO_ID, at + 1);
}

static void link_into(const char *name)
{
    char src[2048], dst[2048];
    snprintf(src, sizeof src, "%s/%s", RAPPORT_MODULE_OUTPUT_DIR, name);
    snprintf(dst, sizeof dst, "%s/%s", moddir, name);
    if (access(src, F_OK) == 0 && symlink(src, dst) != 0)
        RP_IT_FAIL("cannot link %s to %s", src, dst);
}

static const char *token(const char *tenant, const char *who)
{
    return rp_it_token(tenant, rp_it_fmt("%s@%s.test", who, tenant), PASSWORD);
}

static int setup(void **state)
{
    (void)state;
    snprintf(moddir, sizeof moddir, "%s/modules", rp_it_dir());
    if (mkdir(moddir, 0755) != 0)
        RP_IT_FAIL("cannot create %s", moddir);
    link_into("sales.so");
    link_into("sales");
    rp_it_pg_start();
    rp_it_server_start(rp_it_fmt("RAPPORT_MODULE_DIR=%s", moddir), NULL);
    /* acme is created as every tenant is; bare explicitly without modules. */
    rp_it_tenant_create("acme", "Acme");
    char *out = NULL, *err = NULL;
    int rc = rp_it_cli(&out, &err, "tenant", "create", "bare", "--name", "Bare Ltd", "--modules",
                       "", NULL);
    if (rc != 0)
        RP_IT_FAIL("rapport tenant create bare --modules '' exited with %d: %s", rc, err);
    const char *roles[][2] = {
        {"admin", "admin"}, {"boss", "manager"}, {"rep", "user"}, {"viewer", "readonly"}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        rp_it_user_add("acme", rp_it_fmt("%s@acme.test", roles[i][0]), roles[i][1], PASSWORD);
    rp_it_user_add("bare", "admin@bare.test", "admin", PASSWORD);
    rp_it_user_add("bare", "rep@bare.test", "user", PASSWORD);
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

/* The item of module name in GET /api/v1/modules as tok, or NULL. */
static json_t *module_item(const char *tok, const char *name)
{
    rp_it_resp_t *r = rp_it_get("/api/v1/modules", tok);
    RP_IT_EXPECT_STATUS(r, 200);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(r->json, "items"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            return m;
    }
    return NULL;
}

/* pattern with every {param} written {}. Tracked. */
static const char *bare_pattern(const char *pattern)
{
    char *out = (char *)rp_it_fmt("%s", pattern);
    char *o = out;
    for (const char *p = pattern; *p; p++) {
        *o++ = *p;
        if (*p == '{') {
            while (*p && *p != '}')
                p++;
            *o++ = '}';
            if (!*p)
                break;
        }
    }
    *o = '\0';
    return out;
}

static void module_loads(void **state)
{
    (void)state;
    const char *log = rp_it_server_log();
    if (strstr(log, "module sales 1.0.0 loaded") == NULL)
        RP_IT_FAIL("no load line for the sales module in the log:\n%s", log);
    if (strstr(log, "module sales (") != NULL && strstr(log, "refused") != NULL)
        RP_IT_FAIL("the sales module was refused:\n%s", log);
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM module_installs WHERE module = $1", "sales", NULL), "1");
    /* Its migrations ran, each recorded once. */
    const char *n =
        rp_it_sql("SELECT count(*) FROM module_migrations WHERE module = $1", "sales", NULL);
    assert_true(atoi(n) >= 1);
}

static void enabled_by_default(void **state)
{
    (void)state;
    json_t *sales = module_item(token("acme", "rep"), "sales");
    assert_non_null(sales);
    assert_true(json_is_true(json_object_get(sales, "enabled")));
    assert_string_equal(json_string_value(json_object_get(sales, "version")), "1.0.0");
    /* The listing names every object and action of the contract. */
    json_t *objects = json_object_get(sales, "objects");
    for (size_t i = 0; i < NOBJECTS; i++) {
        bool found = false;
        size_t k;
        json_t *o;
        json_array_foreach(objects, k, o)
        {
            found = found || strcmp(json_string_value(o), OBJECTS[i]) == 0;
        }
        if (!found)
            RP_IT_FAIL("GET /api/v1/modules does not list object %s for sales", OBJECTS[i]);
    }
    json_t *actions = json_object_get(sales, "actions");
    const char *missing = "";
    for (size_t i = 0; i < NACTIONS; i++) {
        bool found = false;
        size_t k;
        json_t *a;
        json_array_foreach(actions, k, a)
        {
            found = found || (strcmp(json_string_value(json_object_get(a, "method")),
                                     ACTIONS[i].method) == 0 &&
                              strcmp(bare_pattern(json_string_value(json_object_get(a, "path"))),
                                     rp_it_fmt("/api/v1/m/sales/%s", ACTIONS[i].pattern)) == 0);
        }
        if (!found)
            missing = rp_it_fmt("%s\n  %s %s", missing, ACTIONS[i].method, ACTIONS[i].pattern);
    }
    if (missing[0] != '\0')
        RP_IT_FAIL("GET /api/v1/modules does not list these actions of sales:%s", missing);
    /* The tenant created with no modules has it off. */
    json_t *off = module_item(token("bare", "rep"), "sales");
    assert_non_null(off);
    assert_false(json_is_true(json_object_get(off, "enabled")));
}

/* The item of object name in GET /api/v1/objects as tok, or NULL. */
static json_t *object_item(const rp_it_resp_t *r, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(r->json, "data"), i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
            return o;
    }
    return NULL;
}

static void objects_exist(void **state)
{
    (void)state;
    const char *admin = token("acme", "admin");
    rp_it_resp_t *r = rp_it_get("/api/v1/objects", admin);
    RP_IT_EXPECT_STATUS(r, 200);
    for (size_t i = 0; i < NOBJECTS; i++) {
        json_t *o = object_item(r, OBJECTS[i]);
        if (o == NULL)
            RP_IT_FAIL("object %s is missing from GET /api/v1/objects: %s", OBJECTS[i], r->body);
        assert_string_equal(json_string_value(json_object_get(o, "module")), "sales");
        json_t *labels = json_object_get(o, "labels");
        if (!json_is_string(json_object_get(labels, "fr")) ||
            !json_is_string(json_object_get(labels, "es")))
            RP_IT_FAIL("object %s has no French or Spanish label", OBJECTS[i]);
        /* And a records API: an empty list to begin with. */
        rp_it_resp_t *list = rp_it_get(rp_it_fmt("/api/v1/records/%s", OBJECTS[i]), admin);
        RP_IT_EXPECT_STATUS(list, 200);
    }
}

/* Every object and action answers 404 to tenant tok, as a path that does
 * not exist would. */
static void expect_absent(const char *admin, const char *user)
{
    const char *nothing = rp_it_jstr(rp_it_get("/api/v1/m/sales/no-such-action", user), "detail");
    rp_it_resp_t *objects = rp_it_get("/api/v1/objects", admin);
    RP_IT_EXPECT_STATUS(objects, 200);
    for (size_t i = 0; i < NOBJECTS; i++) {
        const char *o = OBJECTS[i];
        if (object_item(objects, o) != NULL)
            RP_IT_FAIL("GET /api/v1/objects lists %s for a tenant without sales", o);
        RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/records/%s", o), user), 404,
                             "unknown_object");
        RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/records/%s/%s", o, NO_ID), user), 404,
                             NULL);
        RP_IT_EXPECT_PROBLEM(
            rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", o), user, "{\"fields\":{}}"), 404,
            "unknown_object");
        RP_IT_EXPECT_PROBLEM(rp_it_send("POST", rp_it_fmt("/api/v1/query/%s", o), user, "{}"), 404,
                             "unknown_object");
        RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/objects/%s", o), admin), 404,
                             "unknown_object");
    }
    for (size_t i = 0; i < NACTIONS; i++) {
        const char *path = action_path(i);
        rp_it_resp_t *r = rp_it_send(ACTIONS[i].method, path, user,
                                     strcmp(ACTIONS[i].method, "POST") == 0 ? "{}" : NULL);
        RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
        assert_string_equal(rp_it_jstr(r, "detail"), nothing);
    }
}

static void tenant_without_module(void **state)
{
    (void)state;
    const char *admin = token("bare", "admin");
    const char *rep = token("bare", "rep");
    expect_absent(admin, rep);

    /* The tenant that has the module reaches every action (their own
     * answers, not the router's 404). */
    const char *acme = token("acme", "rep");
    const char *nothing = rp_it_jstr(rp_it_get("/api/v1/m/sales/no-such-action", acme), "detail");
    for (size_t i = 0; i < NACTIONS; i++) {
        const char *path = action_path(i);
        rp_it_resp_t *r = rp_it_send(ACTIONS[i].method, path, acme,
                                     strcmp(ACTIONS[i].method, "POST") == 0 ? "{}" : NULL);
        if (r->status == 404 && strcmp(rp_it_jstr(r, "detail"), nothing) == 0)
            RP_IT_FAIL("%s %s answers the router's 404 to a tenant with sales", ACTIONS[i].method,
                       path);
        if (r->status >= 500)
            RP_IT_FAIL("%s %s failed: %s", ACTIONS[i].method, path, r->body);
    }

    /* Enabled, the objects appear; disabled again, they go (and the
     * records written meanwhile stay for when it comes back). */
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/modules/sales/enable", rep, NULL), 403,
                         "forbidden");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/enable", admin, NULL), 200);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/account", rep,
                                 "{\"fields\":{\"name\":\"Bare's first customer\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/m/sales/forecast?period=quarter", rep), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/disable", admin, NULL), 200);
    expect_absent(admin, rep);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/enable", admin, NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("/api/v1/records/account/%s", id), rep), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/disable", admin, NULL), 200);
}

/* The rights of tok's role on object, from GET /api/v1/permissions. */
static json_t *rights(const char *tok, const char *object)
{
    rp_it_resp_t *r = rp_it_get("/api/v1/permissions", tok);
    RP_IT_EXPECT_STATUS(r, 200);
    return json_object_get(json_object_get(r->json, "objects"), object);
}

static bool right(json_t *rs, const char *name)
{
    return json_is_true(json_object_get(rs, name));
}

static const char *scope(json_t *rs, const char *name)
{
    return json_string_value(json_object_get(json_object_get(rs, "scope"), name));
}

static void default_permissions(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep"), *boss = token("acme", "boss");
    const char *viewer = token("acme", "viewer");
    for (size_t i = 0; i < NOBJECTS; i++) {
        const char *o = OBJECTS[i];
        json_t *u = rights(rep, o), *m = rights(boss, o), *ro = rights(viewer, o);
        if (u == NULL || m == NULL || ro == NULL)
            RP_IT_FAIL("GET /api/v1/permissions has no rights on %s", o);
        /* Everyone reads everything. */
        assert_true(right(u, "read") && right(m, "read") && right(ro, "read"));
        assert_string_equal(scope(u, "read"), "all");
        assert_string_equal(scope(ro, "read"), "all");
        /* readonly never writes; managers do everything. */
        assert_false(right(ro, "create") || right(ro, "update") || right(ro, "delete"));
        assert_true(right(m, "create") && right(m, "update") && right(m, "delete"));
        assert_string_equal(scope(m, "update"), "all");
        assert_string_equal(scope(m, "delete"), "all");
    }
    /* Users work on what they own ... */
    const char *own[] = {"account", "contact", "lead", "opportunity", "task",
                         "call",    "meeting", "note", "quote"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        json_t *u = rights(rep, own[i]);
        assert_true(right(u, "create"));
        const char *up = scope(u, "update");
        if (up == NULL || (strcmp(up, "own") != 0 && strcmp(up, "all") != 0))
            RP_IT_FAIL("users' update scope on %s is %s", own[i], up ? up : "none");
    }
    assert_string_equal(scope(rights(rep, "call"), "update"), "own");
    /* ... and read call scripts, which managers write. */
    json_t *cs = rights(rep, "call_script");
    assert_false(right(cs, "create") || right(cs, "update") || right(cs, "delete"));
    /* A tenant without the module has no rights on its objects. */
    assert_null(rights(token("bare", "rep"), "call_script"));
    assert_null(rights(token("bare", "rep"), "opportunity"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(module_loads),        RP_IT_TEST(enabled_by_default),
        RP_IT_TEST(objects_exist),       RP_IT_TEST(tenant_without_module),
        RP_IT_TEST(default_permissions),
    };
    RP_IT_RUN("sales_module", tests, setup, teardown);
}
