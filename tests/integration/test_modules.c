/* Modules end to end: the real server loads the example module and refuses
 * the broken ones with one log line each while it serves on; tenants enable
 * and disable modules through the API and the CLI; a module's actions
 * answer 404 to a tenant without it; and a module scaffolded by
 * `rapport module new` builds with CMake and loads as it is. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it.h"
#include "rapport/module.h"

#define PASSWORD "modules-password-1"

static char moddir[1024];

static void link_into(const char *from_dir, const char *name)
{
    char src[2048], dst[2048];
    snprintf(src, sizeof src, "%s/%s", from_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", moddir, name);
    if (access(src, F_OK) == 0 && symlink(src, dst) != 0)
        RP_IT_FAIL("cannot link %s to %s", src, dst);
}

static void start_server(void)
{
    /* A scheduler tick a second, so that module jobs run during the test. */
    rp_it_server_start(rp_it_fmt("RAPPORT_MODULE_DIR=%s", moddir), "RAPPORT_SCRIPT_TICK_SECONDS=1",
                       NULL);
}

static int setup(void **state)
{
    (void)state;
    snprintf(moddir, sizeof moddir, "%s/modules", rp_it_dir());
    if (mkdir(moddir, 0755) != 0)
        RP_IT_FAIL("cannot create %s", moddir);
    /* The example and sales modules with their migrations, and the ones
     * to refuse. */
    link_into(RAPPORT_MODULE_OUTPUT_DIR, "example.so");
    link_into(RAPPORT_MODULE_OUTPUT_DIR, "example");
    link_into(RAPPORT_MODULE_OUTPUT_DIR, "sales.so");
    link_into(RAPPORT_MODULE_OUTPUT_DIR, "sales");
    const char *bad[] = {"badabi.so",   "nosym.so", "orphan.so",      "failinit.so",
                         "badtable.so", "badtable", "needsexample.so"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        link_into(RAPPORT_TEST_MODULE_DIR, bad[i]);
    rp_it_pg_start();
    start_server();
    /* New tenants get the default modules (sales); gamma asks for none. */
    rp_it_tenant_create("alpha", "Alpha Ltd");
    rp_it_tenant_create("beta", "Beta GmbH");
    char *out = NULL, *err = NULL;
    if (rp_it_cli(&out, &err, "tenant", "create", "gamma", "--name", "Gamma", "--modules", "",
                  NULL) != 0)
        RP_IT_FAIL("tenant create gamma: %s", err);
    rp_it_user_add("gamma", "admin@gamma.test", "admin", PASSWORD);
    rp_it_user_add("alpha", "admin@alpha.test", "admin", PASSWORD);
    rp_it_user_add("alpha", "rep@alpha.test", "user", PASSWORD);
    rp_it_user_add("beta", "admin@beta.test", "admin", PASSWORD);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* The one log line about module name that contains "refused". */
static const char *refusal(const char *log, const char *name)
{
    char needle[128];
    snprintf(needle, sizeof needle, "module %s (", name);
    const char *p = log;
    while ((p = strstr(p, needle)) != NULL) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *line = rp_it_fmt("%.*s", (int)len, p);
        if (strstr(line, "refused:") != NULL)
            return line;
        p += strlen(needle);
    }
    RP_IT_FAIL("no refusal line for module %s in the server log", name);
}

static void bad_modules_refused_example_loaded(void **state)
{
    (void)state;
    const char *log = rp_it_server_log();
    const char *abi = refusal(log, "badabi");
    assert_non_null(strstr(abi, "badabi.so"));
    assert_non_null(strstr(abi, rp_it_fmt("built for ABI %d.0", RAPPORT_ABI_MAJOR + 1)));
    assert_non_null(
        strstr(abi, rp_it_fmt("this server has ABI %d.%d", RAPPORT_ABI_MAJOR, RAPPORT_ABI_MINOR)));
    assert_non_null(strstr(refusal(log, "nosym"), "missing symbol rapport_module_init"));
    assert_non_null(strstr(refusal(log, "orphan"), "dependency 'nosuchmodule'"));
    assert_non_null(strstr(refusal(log, "failinit"), "init failed"));
    assert_non_null(strstr(refusal(log, "badtable"), "badtable_leaky"));
    assert_non_null(strstr(log, "module example 1.0.0 loaded"));
    assert_non_null(strstr(log, "module needsexample 1.0.0 loaded"));
    assert_non_null(strstr(log, "module sales "));
    /* The refused migration left nothing; the example's table is a
     * tenant table with forced row-level security. */
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM pg_class WHERE relname = $1", "badtable_leaky", NULL), "0");
    assert_string_equal(rp_it_sql("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
                                  "WHERE relname = $1",
                                  "example_greeting_stats", NULL),
                        "t");
    assert_string_equal(
        rp_it_sql("SELECT string_agg(module, ',' ORDER BY module) FROM module_installs", NULL),
        "example,needsexample,sales");
    assert_string_equal(
        rp_it_sql("SELECT name FROM module_migrations WHERE module = $1", "example", NULL),
        "0001_greeting_stats.sql");
    /* The core's bookkeeping lists the core's files only. */
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM rapport_migrations WHERE name LIKE 'modules/%'", NULL),
        "0");
    /* The failed init's action does not exist. */
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/failinit/never", admin), 404, "not_found");
}

static json_t *find_module(rp_it_resp_t *r, const char *name)
{
    json_t *items = json_object_get(r->json, "items");
    size_t i;
    json_t *m;
    json_array_foreach(items, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            return m;
    }
    return NULL;
}

static void list_shows_loaded_modules(void **state)
{
    (void)state;
    const char *rep = rp_it_token("alpha", "rep@alpha.test", PASSWORD);
    rp_it_resp_t *r = rp_it_get("/api/v1/modules", rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "items")), 3);
    /* The default modules of a new tenant: sales. */
    assert_true(json_is_true(json_object_get(find_module(r, "sales"), "enabled")));
    json_t *ex = find_module(r, "example");
    assert_non_null(ex);
    assert_false(json_is_true(json_object_get(ex, "enabled")));
    assert_string_equal(json_string_value(json_object_get(ex, "version")), "1.0.0");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ex, "objects"), 0)),
                        "greeting");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(ex, "jobs"), 0), "schedule")),
                        "0 3 * * *");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ex, "lua_functions"), 0)),
                        "shout");
    assert_int_equal(json_array_size(json_object_get(ex, "actions")), 5);
    json_t *needs = find_module(r, "needsexample");
    assert_string_equal(json_string_value(json_array_get(json_object_get(needs, "depends"), 0)),
                        "example");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/modules", NULL), 401, NULL);
}

static void action_follows_enable_and_disable(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    const char *rep = rp_it_token("alpha", "rep@alpha.test", PASSWORD);
    const char *beta = rp_it_token("beta", "admin@beta.test", PASSWORD);
    rp_it_resp_t *before = rp_it_get("/api/v1/m/example/hello", rep);
    RP_IT_EXPECT_PROBLEM(before, 404, "not_found");
    /* Exactly like a path that does not exist. */
    rp_it_resp_t *none = rp_it_get("/api/v1/m/example/nothing-here", rep);
    assert_string_equal(rp_it_jstr(before, "detail"), rp_it_jstr(none, "detail"));

    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/modules/example/enable", rep, NULL), 403,
                         "forbidden");
    rp_it_resp_t *en = rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL);
    RP_IT_EXPECT_STATUS(en, 200);
    assert_true(json_is_true(json_object_get(en->json, "enabled")));
    /* Enabling twice is fine. */
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);

    rp_it_resp_t *hello = rp_it_get("/api/v1/m/example/hello", rep);
    RP_IT_EXPECT_STATUS(hello, 200);
    assert_string_equal(rp_it_jstr(hello, "module"), "example");
    assert_string_equal(rp_it_jstr(hello, "greeting"), "hello");
    assert_string_equal(rp_it_jstr(hello, "role"), "user");
    assert_string_equal(rp_it_jstr(hello, "user_id"), rp_it_user_id("alpha", "rep@alpha.test"));
    assert_string_equal(rp_it_jstr(hello, "tenant_id"), rp_it_tenant_id("alpha"));
    /* The tenant's setting reaches the module. */
    rp_it_sql("UPDATE tenants SET settings = settings || '{\"example_greeting\": \"bonjour\"}' "
              "WHERE slug = $1",
              "alpha", NULL);
    assert_string_equal(rp_it_jstr(rp_it_get("/api/v1/m/example/hello", rep), "greeting"),
                        "bonjour");
    /* Another tenant does not have it. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/example/hello", beta), 404, "not_found");
    rp_it_resp_t *list = rp_it_get("/api/v1/modules", beta);
    assert_false(json_is_true(json_object_get(find_module(list, "example"), "enabled")));
    list = rp_it_get("/api/v1/modules", rep);
    json_t *ex = find_module(list, "example");
    assert_true(json_is_true(json_object_get(ex, "enabled")));
    assert_true(json_is_string(json_object_get(ex, "enabled_at")));

    rp_it_resp_t *dis = rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL);
    RP_IT_EXPECT_STATUS(dis, 200);
    assert_false(json_is_true(json_object_get(dis->json, "enabled")));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/example/hello", rep), 404, "not_found");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
}

static void dependencies_are_enforced(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/modules/needsexample/enable", admin, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "dependency_not_enabled");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "example"));
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/needsexample/enable", admin, NULL),
                        200);
    r = rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "module_required");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "needsexample"));
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/needsexample/disable", admin, NULL),
                        200);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
}

/* The example's welcome action goes through the host API's records
 * functions and its own table: the records' own validation answers, the
 * greeting is a real record with history, and the module table counts per
 * user under row-level security. */
static void host_api_writes_records(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    const char *rep = rp_it_token("alpha", "rep@alpha.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    rp_it_resp_t *r =
        rp_it_send("POST", "/api/v1/m/example/welcome", rep, "{\"name\": \"Welcome, Acme\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    json_t *g = json_object_get(r->json, "greeting");
    const char *id = json_string_value(json_object_get(g, "id"));
    assert_non_null(id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "fields"), "text")),
                        "Welcome, Acme");
    assert_string_equal(json_string_value(json_object_get(g, "owner_id")),
                        rp_it_user_id("alpha", "rep@alpha.test"));
    assert_int_equal(json_integer_value(json_object_get(r->json, "welcomes")), 1);
    assert_int_equal(json_integer_value(json_object_get(r->json, "same_text")), 1);
    r = rp_it_send("POST", "/api/v1/m/example/welcome", rep, "{\"name\": \"Welcome, Acme\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_int_equal(json_integer_value(json_object_get(r->json, "welcomes")), 2);
    assert_int_equal(json_integer_value(json_object_get(r->json, "same_text")), 2);
    /* The record is the REST API's, with its history. */
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("/api/v1/records/greeting/%s", id), rep), 200);
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("/api/v1/records/greeting/%s/history", id), rep), 200);
    /* The records' validation refuses, with its per-field errors, and
     * nothing is written. */
    r = rp_it_send("POST", "/api/v1/m/example/welcome", rep, "{}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_true(json_is_string(json_object_get(json_object_get(r->json, "errors"), "text")));
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/m/example/welcome", rep, "[1]"), 400, NULL);
    assert_string_equal(rp_it_sql("SELECT greetings FROM example_greeting_stats WHERE user_id = $1",
                                  rp_it_user_id("alpha", "rep@alpha.test"), NULL),
                        "2");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/m/example/welcome", rep, "{\"name\": \"Acme\"}"), 404,
        "not_found");
}

/* The alpha tenant's live greetings. */
static long greetings(void)
{
    return atol(rp_it_sql("SELECT count(*) FROM records r JOIN tenants t ON t.id = r.tenant_id "
                          "WHERE t.slug = $1 AND r.object = 'greeting' AND r.deleted_at IS NULL",
                          "alpha", NULL));
}

/* ABI 1.1, json_object_each and json_object_size: the welcome action walks
 * its body's members and refuses the ones it does not know with one 400
 * naming each, in the body's order, before anything is written. */
static void unknown_members_refused(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    const char *rep = rp_it_token("alpha", "rep@alpha.test", PASSWORD);
    const char *rep_id = rp_it_user_id("alpha", "rep@alpha.test");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    long before = greetings();
    const char *welcomes =
        rp_it_fmt("%s", rp_it_sql("SELECT coalesce((SELECT greetings FROM example_greeting_stats "
                                  "WHERE user_id = $1), 0)",
                                  rep_id, NULL));
    /* Members come in the order of the text, not of any hash; a known
     * name nested in an unknown member does not count. */
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/m/example/welcome", rep,
                                 "{\"zeta\": 1, \"name\": \"Hi\", \"alpha\": {\"name\": \"x\"}, "
                                 "\"mid\": [1]}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_string_equal(rp_it_jstr(r, "detail"),
                        "unknown members in the request: zeta, alpha, mid");
    json_t *errors = json_object_get(r->json, "errors");
    assert_int_equal(json_object_size(errors), 3);
    assert_string_equal(json_string_value(json_object_get(errors, "alpha")),
                        "is not a member of this request");
    assert_null(json_object_get(errors, "name"));
    /* One misspelt member; an escaped name arrives decoded. */
    r = rp_it_send("POST", "/api/v1/m/example/welcome", rep, "{\"nmae\": \"Hi\"}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_string_equal(rp_it_jstr(r, "detail"), "unknown member in the request: nmae");
    r = rp_it_send("POST", "/api/v1/m/example/welcome", rep,
                   "{\"name\": \"Hi\", \"n\\u00e4me\": \"Hi\"}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "n\xc3\xa4me"));
    /* Many long names: every one is in errors, the detail lists those
     * that fit, in order, and says the rest were left out. */
    json_t *many = json_pack("{s:s}", "name", "Hi");
    for (int i = 0; i < 20; i++)
        json_object_set_new(many, rp_it_fmt("unknown_member_number_%02d_of_twenty", i),
                            json_integer(i));
    r = rp_it_sendj("POST", "/api/v1/m/example/welcome", rep, many);
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    assert_int_equal(json_object_size(json_object_get(r->json, "errors")), 20);
    const char *detail = rp_it_jstr(r, "detail");
    assert_non_null(strstr(detail, "in the request: unknown_member_number_00_of_twenty, "
                                   "unknown_member_number_01_of_twenty"));
    assert_null(strstr(detail, "number_19"));
    assert_string_equal(detail + strlen(detail) - 5, ", ...");
    /* Nothing was written by any of them. */
    assert_int_equal(greetings(), before);
    assert_string_equal(rp_it_sql("SELECT coalesce((SELECT greetings FROM example_greeting_stats "
                                  "WHERE user_id = $1), 0)",
                                  rep_id, NULL),
                        welcomes);
    /* The known member alone still goes through. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/m/example/welcome", rep, "{\"name\": \"Members ok\"}"), 201);
    assert_int_equal(greetings(), before + 1);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
}

/* ABI 1.1, derived values: a before hook fills the read-only "length" of a
 * greeting, which callers may not write themselves; the show action counts
 * in the read-only "shown" with a derived write (RP_MWRITE_DERIVED), which
 * needs neither the caller's update right nor its field rights, but still
 * only reaches greetings of the caller's tenant. */
static void derived_values(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    const char *rep = rp_it_token("alpha", "rep@alpha.test", PASSWORD);
    const char *beta = rp_it_token("beta", "admin@beta.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/greeting", admin,
                                 "{\"fields\":{\"text\":\"H\u00e9llo\",\"code\":\"ab\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    json_t *f = json_object_get(r->json, "fields");
    assert_int_equal(json_integer_value(json_object_get(f, "length")), 5);
    assert_true(json_is_null(json_object_get(f, "shown")));
    /* The caller's own read-only members are refused, even those the hook
     * would have set anyway. */
    r = rp_it_send("POST", "/api/v1/records/greeting", admin,
                   "{\"fields\":{\"text\":\"Hi\",\"length\":2}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "length")),
        "is read-only");
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", id), admin,
                   "{\"fields\":{\"shown\":4}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "shown")),
        "is read-only");
    /* An update that changes the text changes its length too. */
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", id), admin,
                   "{\"fields\":{\"text\":\"Hi\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r->json, "fields"), "length")), 2);
    /* The rep may not change the admin's greeting, but may show it: the
     * count is a derived write. */
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", id), rep,
                                    "{\"fields\":{\"text\":\"Mine now\"}}"),
                         403, "forbidden");
    const char *show = rp_it_fmt("/api/v1/m/example/greetings/%s/show", id);
    r = rp_it_send("POST", show, rep, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r->json, "fields"), "shown")), 1);
    r = rp_it_send("POST", show, rep, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r->json, "fields"), "shown")), 2);
    /* History names the caller, as for any write. */
    r = rp_it_get(rp_it_fmt("/api/v1/records/greeting/%s/history", id), admin);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *last = json_array_get(json_object_get(r->json, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(last, "actor_id")),
                        rp_it_user_id("alpha", "rep@alpha.test"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(last, "changes"), "shown"), "new")),
                     2);
    /* Another tenant's greeting does not exist for the caller. */
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", beta, NULL), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", show, beta, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/m/example/greetings/00000000-0000-7000-8000-000000000000/show",
                   rep, NULL),
        404, "not_found");
    assert_string_equal(rp_it_sql("SELECT data->>'shown' FROM records WHERE id = $1", id, NULL),
                        "2");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", beta, NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
}

/* ABI 1.1, respond_text: the card action answers an HTML page with its
 * own content type, the greeting's text escaped. */
static void text_answers(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    rp_it_resp_t *r =
        rp_it_send("POST", "/api/v1/records/greeting", admin,
                   "{\"fields\":{\"text\":\"<b>Tom & Jerry</b>\",\"language\":\"fr\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    r = rp_it_get(rp_it_fmt("/api/v1/m/example/greetings/%s/card", id), admin);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_header(r, "Content-Type"), "text/html; charset=utf-8");
    assert_null(r->json);
    assert_non_null(strstr(r->body, "<html lang=\"fr\">"));
    assert_non_null(strstr(r->body, "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"));
    assert_null(strstr(r->body, "<b>"));
    /* Errors stay problems. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/m/example/greetings/00000000-0000-7000-8000-000000000000/card", admin),
        404, "not_found");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
}

/* ABI 1.1, record_query_page: the stats action reads every greeting a page
 * at a time, far past the 200 one query returns, and sees each once. */
static void query_pages(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    for (int batch = 0; batch < 2; batch++) {
        json_t *ops = json_array();
        for (int i = 0; i < 130; i++)
            json_array_append_new(ops, json_pack("{s:s, s:{s:s, s:s}}", "op", "create", "fields",
                                                 "text", rp_it_fmt("Greeting %d-%d", batch, i),
                                                 "language", i % 3 == 0 ? "es" : "en"));
        RP_IT_EXPECT_STATUS(rp_it_sendj("POST", "/api/v1/records/greeting/bulk", admin,
                                        json_pack("{s:o}", "operations", ops)),
                            200);
    }
    long total = atol(rp_it_sql("SELECT count(*) FROM records r JOIN tenants t ON t.id = "
                                "r.tenant_id WHERE t.slug = $1 AND r.object = 'greeting' AND "
                                "r.deleted_at IS NULL",
                                "alpha", NULL));
    assert_true(total > 260);
    long es = atol(rp_it_sql("SELECT count(*) FROM records r JOIN tenants t ON t.id = "
                             "r.tenant_id WHERE t.slug = $1 AND r.object = 'greeting' AND "
                             "r.deleted_at IS NULL AND r.data->>'language' = 'es'",
                             "alpha", NULL));
    rp_it_resp_t *r = rp_it_get("/api/v1/m/example/greetings/stats?page_size=50", admin);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "total")), total);
    assert_int_equal(json_integer_value(json_object_get(r->json, "pages")), (total + 49) / 50);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r->json, "by_language"), "es")), es);
    /* json_object_size counts the languages met. */
    assert_int_equal(json_integer_value(json_object_get(r->json, "languages")),
                     atol(rp_it_sql("SELECT count(DISTINCT coalesce(r.data->>'language', 'none')) "
                                    "FROM records r JOIN tenants t ON t.id = r.tenant_id WHERE "
                                    "t.slug = $1 AND r.object = 'greeting' AND "
                                    "r.deleted_at IS NULL",
                                    "alpha", NULL)));
    assert_int_equal(json_integer_value(json_object_get(r->json, "languages")),
                     json_object_size(json_object_get(r->json, "by_language")));
    r = rp_it_get("/api/v1/m/example/greetings/stats", admin);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "total")), total);
    assert_int_equal(json_integer_value(json_object_get(r->json, "pages")), (total + 199) / 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/example/greetings/stats?page_size=500", admin), 400,
                         "invalid_page_size");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
}

/* An enabled module's objects are records like any other, and its hooks
 * run on REST writes: the example upper-cases and checks a greeting's code
 * before create and update. A tenant that has not enabled it (or disabled
 * it) does not have the object. */
static void objects_and_hooks_through_rest(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/greeting", admin), 404, "unknown_object");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/greeting", admin,
                                 "{\"fields\":{\"text\":\"Hello\",\"code\":\" ab-1 \"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    json_t *fields = json_object_get(r->json, "fields");
    assert_string_equal(json_string_value(json_object_get(fields, "code")), "AB-1");
    assert_string_equal(json_string_value(json_object_get(fields, "language")), "en");
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    /* A rejection is a 422 naming the field, and nothing is written. */
    r = rp_it_send("POST", "/api/v1/records/greeting", admin,
                   "{\"fields\":{\"text\":\"Bad\",\"code\":\"!\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_true(json_is_string(json_object_get(json_object_get(r->json, "errors"), "code")));
    assert_string_equal(
        rp_it_sql("SELECT count(*)::text FROM records WHERE object = 'greeting' AND "
                  "data->>'text' = 'Bad'",
                  NULL),
        "0");
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", id), admin,
                   "{\"fields\":{\"code\":\"x y\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", id), admin,
                   "{\"fields\":{\"code\":\"cd\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "code")), "CD");
    /* The manifest's default rights for the built-in user role apply on
     * the module's object: a user updates and deletes its own greetings
     * only (without them, a user may change every record). */
    const char *rep = rp_it_token("alpha", "rep@alpha.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", id), rep,
                                    "{\"fields\":{\"code\":\"ef\"}}"),
                         403, "forbidden");
    r = rp_it_send("POST", "/api/v1/records/greeting", rep,
                   "{\"fields\":{\"text\":\"Mine\",\"code\":\"gh\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *mine = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", rp_it_fmt("/api/v1/records/greeting/%s", mine), rep,
                                   "{\"fields\":{\"code\":\"ij\"}}"),
                        200);
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/greeting/%s", mine), rep, NULL), 204);
    /* Other objects keep the built-in defaults: a tenant's own object. */
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects", admin,
                                   "{\"name\":\"memo__c\",\"label\":\"Memo\",\"fields\":["
                                   "{\"name\":\"title__c\",\"type\":\"text\"}]}"),
                        201);
    r = rp_it_send("POST", "/api/v1/records/memo__c", admin,
                   "{\"fields\":{\"title__c\":\"Shared\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH",
                                   rp_it_fmt("/api/v1/records/memo__c/%s", rp_it_jstr(r, "id")),
                                   rep, "{\"fields\":{\"title__c\":\"Shared too\"}}"),
                        200);
    /* The after-create hook ran too (it logs the new id). */
    assert_non_null(strstr(rp_it_server_log(), rp_it_fmt("greeting %s created", id)));
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", admin, NULL), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/records/greeting/%s", id), admin), 404,
                         "unknown_object");
}

/* account and contact are the sales module's: a tenant created without
 * modules does not have them (404 unknown_object, like any object that
 * does not exist), nor the module's actions; enabling sales brings them. */
static void tenant_without_sales(void **state)
{
    (void)state;
    const char *gamma = rp_it_token("gamma", "admin@gamma.test", PASSWORD);
    const char *alpha = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    rp_it_resp_t *r = rp_it_get("/api/v1/modules", gamma);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_false(json_is_true(json_object_get(find_module(r, "sales"), "enabled")));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account", gamma), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/contact", gamma), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/records/account", gamma, "{\"fields\":{\"name\":\"No\"}}"), 404,
        "unknown_object");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/objects/account", gamma), 404, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/sales/forecast?period=month", gamma), 404,
                         "not_found");
    /* A tenant with the default modules has them. */
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/records/account", alpha), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/records/contact", alpha), 200);
    r = rp_it_send("POST", "/api/v1/records/account", alpha, "{\"fields\":{\"name\":\"Yes\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    /* Enabling the module later brings the objects, and disabling it takes
     * them away again (the records stay, out of reach). */
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/enable", gamma, NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/records/account", gamma), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/disable", gamma, NULL), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/account", gamma), 404, "unknown_object");
}

/* `rapport tenant create --modules LIST` enables exactly those, skipping
 * with one warning line a module that is not loaded. */
static void tenant_create_modules(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(rp_it_cli(&out, &err, "tenant", "create", "delta", "--name", "Delta",
                               "--modules", "nosuch, example", NULL),
                     0);
    assert_int_equal(rp_it_count_lines(err), 1);
    assert_non_null(strstr(err, "warning: module 'nosuch' is not loaded"));
    assert_non_null(strstr(out, "modules enabled: example"));
    assert_string_equal(rp_it_sql("SELECT string_agg(module, ',' ORDER BY module) FROM "
                                  "tenant_modules m JOIN tenants t ON t.id = m.tenant_id WHERE "
                                  "t.slug = $1",
                                  "delta", NULL),
                        "example");
    /* Blanks and empty entries are ignored; "" enables nothing. */
    assert_int_equal(rp_it_cli(&out, &err, "tenant", "create", "epsilon", "--name", "Epsilon",
                               "--modules", " sales,, example ,", NULL),
                     0);
    assert_string_equal(err, "");
    assert_string_equal(rp_it_sql("SELECT string_agg(module, ',' ORDER BY module) FROM "
                                  "tenant_modules m JOIN tenants t ON t.id = m.tenant_id WHERE "
                                  "t.slug = $1",
                                  "epsilon", NULL),
                        "example,sales");
    assert_non_null(
        strstr(rp_it_sql("SELECT name FROM tenants WHERE slug = $1", "gamma", NULL), "Gamma"));
    assert_string_equal(rp_it_sql("SELECT count(*) FROM tenant_modules m JOIN tenants t ON t.id = "
                                  "m.tenant_id WHERE t.slug = $1",
                                  "gamma", NULL),
                        "0");
}

static void unknown_module_is_404(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/modules/nosuch/enable", admin, NULL), 404,
                         "not_found");
    /* A refused module is not there either. */
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/modules/badabi/enable", admin, NULL), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/modules/Bad%20Name/disable", admin, NULL), 404,
                         "not_found");
}

static void cli_lists_enables_and_disables(void **state)
{
    (void)state;
    /* The CLI reads the build's module directory (the harness passes no
     * RAPPORT_* setting of its own): the example module is there. */
    char *out = NULL, *err = NULL;
    assert_int_equal(rp_it_cli(&out, &err, "module", "list", NULL), 0);
    assert_non_null(strstr(out, "example"));
    assert_int_equal(rp_it_cli(&out, &err, "module", "enable", "example", "--tenant", "beta", NULL),
                     0);
    assert_non_null(strstr(out, "module example enabled for tenant beta"));
    const char *beta = rp_it_token("beta", "admin@beta.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/m/example/hello", beta), 200);
    assert_int_equal(rp_it_cli(&out, &err, "module", "list", "--tenant", "beta", NULL), 0);
    assert_non_null(strstr(out, "ENABLED"));
    assert_non_null(strstr(out, "yes"));
    assert_int_equal(
        rp_it_cli(&out, &err, "module", "disable", "example", "--tenant", "beta", NULL), 0);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/example/hello", beta), 404, "not_found");
    assert_int_equal(rp_it_cli(&out, &err, "module", "enable", "nosuch", "--tenant", "beta", NULL),
                     1);
    assert_non_null(strstr(err, "no module 'nosuch'"));
    assert_int_equal(
        rp_it_cli(&out, &err, "module", "enable", "example", "--tenant", "nosuch", NULL), 1);
    assert_int_equal(rp_it_cli(&out, &err, "module", "enable", "example", NULL), 2);
}

static void scaffold_builds_and_loads(void **state)
{
    (void)state;
    const char *src = rp_it_fmt("%s/src", rp_it_dir());
    char *out = NULL, *err = NULL;
    assert_int_equal(rp_it_cli(&out, &err, "module", "new", "demo2", "--dir", src, NULL), 0);
    /* A second time refuses to overwrite. */
    assert_int_equal(rp_it_cli(&out, &err, "module", "new", "demo2", "--dir", src, NULL), 1);
    assert_int_equal(rp_it_cli(&out, &err, "module", "new", "Demo-2", "--dir", src, NULL), 2);
    const char *build = rp_it_fmt("%s/src/demo2/build", rp_it_dir());
    const char *cmd =
        rp_it_fmt("cmake -S %s/demo2 -B %s > %s/cmake.log 2>&1 && cmake --build %s >> "
                  "%s/cmake.log 2>&1",
                  src, build, rp_it_dir(), build, rp_it_dir());
    if (system(cmd) != 0)
        RP_IT_FAIL("the scaffolded module does not build; see %s/cmake.log", rp_it_dir());
    char from[2048], to[2048];
    snprintf(from, sizeof from, "%s/demo2.so", build);
    snprintf(to, sizeof to, "%s/demo2.so", moddir);
    if (symlink(from, to) != 0)
        RP_IT_FAIL("cannot link %s", from);
    assert_int_equal(rp_it_server_stop(), 0);
    start_server();
    assert_non_null(strstr(rp_it_server_log(), "module demo2 0.1.0 loaded"));
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/demo2/ping", admin), 404, "not_found");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/demo2/enable", admin, NULL), 200);
    rp_it_resp_t *r = rp_it_get("/api/v1/m/demo2/ping", admin);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "module"), "demo2");
    assert_string_equal(rp_it_jstr(r, "tenant_id"), rp_it_tenant_id("alpha"));
}

/* How many lines of the server log contain needle. */
static int log_count(const char *needle)
{
    int n = 0;
    for (const char *p = rp_it_server_log(); (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A module's job runs for the tenants that enabled the module, once per
 * period however often the scheduler ticks, claimed in module_job_ticks. */
static void jobs_run_for_enabled_tenants(void **state)
{
    (void)state;
    const char *admin = rp_it_token("alpha", "admin@alpha.test", PASSWORD);
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", admin, NULL), 200);
    const char *alpha = rp_it_tenant_id("alpha");
    const char *line = rp_it_fmt("heartbeat for tenant %s", alpha);
    for (int i = 0; i < 100 && log_count(line) == 0; i++)
        rp_it_sleep_ms(100);
    if (log_count(line) == 0)
        RP_IT_FAIL("the example module's heartbeat job did not run for tenant alpha");
    /* Three more ticks: still once, for this hour. */
    rp_it_sleep_ms(3000);
    assert_int_equal(log_count(line), 1);
    assert_string_equal(rp_it_sql("SELECT last_tick = (extract(epoch FROM now())::bigint / 3600) "
                                  "FROM module_job_ticks WHERE tenant_id = $1 AND module = "
                                  "'example' AND job = 'heartbeat'",
                                  alpha, NULL),
                        "t");
    /* A tenant that never enabled the module: no run, no claim. */
    rp_it_tenant_create("jobless", "Jobless");
    const char *jobless = rp_it_tenant_id("jobless");
    rp_it_sleep_ms(2500);
    assert_int_equal(log_count(rp_it_fmt("heartbeat for tenant %s", jobless)), 0);
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM module_job_ticks WHERE tenant_id = $1", jobless, NULL),
        "0");
}

static void server_exits_cleanly(void **state)
{
    (void)state;
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(bad_modules_refused_example_loaded),
        RP_IT_TEST(list_shows_loaded_modules),
        RP_IT_TEST(action_follows_enable_and_disable),
        RP_IT_TEST(dependencies_are_enforced),
        RP_IT_TEST(host_api_writes_records),
        RP_IT_TEST(unknown_members_refused),
        RP_IT_TEST(objects_and_hooks_through_rest),
        RP_IT_TEST(derived_values),
        RP_IT_TEST(text_answers),
        RP_IT_TEST(query_pages),
        RP_IT_TEST(tenant_without_sales),
        RP_IT_TEST(tenant_create_modules),
        RP_IT_TEST(unknown_module_is_404),
        RP_IT_TEST(cli_lists_enables_and_disables),
        RP_IT_TEST(scaffold_builds_and_loads),
        RP_IT_TEST(jobs_run_for_enabled_tenants),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("modules", tests, setup, teardown);
}
