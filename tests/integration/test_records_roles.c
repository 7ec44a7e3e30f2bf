/* Permissions storage and API: built-in and custom roles, overrides of the
 * built-in ones, every refusal of the roles API, teams and their members,
 * custom roles on users, tokens and API keys, and a role change seen by the
 * very next request. */

#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "roles-password-1"

static char *rep_id;   /* rep@acme.test, role sales_rep */
static char *plain_id; /* plain@acme.test, role user */

static const char *admin(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

static const char *plain(void)
{
    return rp_it_token("acme", "plain@acme.test", PASSWORD);
}

static const char *other_admin(void)
{
    return rp_it_token("other", "admin@other.test", PASSWORD);
}

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "plain@acme.test", "user", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_user_add("other", "stranger@other.test", "user", PASSWORD);
    plain_id = strdup(rp_it_user_id("acme", "plain@acme.test"));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_stop();
    rp_it_pg_stop();
    free(rep_id);
    free(plain_id);
    return 0;
}

/* The element of array a whose member key is value, or NULL. */
static json_t *find_by(json_t *a, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(json_object_get(v, key));
        if (s != NULL && strcmp(s, value) == 0)
            return v;
    }
    return NULL;
}

/* The string at path "a.b.c" of j (members only), or NULL. */
static const char *jpath(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok != NULL && j != NULL; tok = strtok(NULL, "."))
        j = json_object_get(j, tok);
    return json_string_value(j);
}

/* Expects a 422 whose errors name key. */
static void expect_error(rp_it_resp_t *r, long status, const char *code, const char *key)
{
    RP_IT_EXPECT_PROBLEM(r, status, code);
    json_t *errors = json_object_get(r->json, "errors");
    if (json_object_get(errors, key) == NULL)
        RP_IT_FAIL("no error for %s in %s", key, r->body);
}

static const char *sales_rep =
    "{\"name\":\"sales_rep\",\"label\":\"Sales rep\","
    "\"objects\":{\"account\":{\"create\":true,\"read\":\"team\",\"update\":\"own\","
    "\"fields\":{\"annual_revenue\":\"read\",\"website\":\"none\"}},"
    "\"*\":{\"read\":\"own\"}}}";

static void builtin_roles_listed(void **state)
{
    (void)state;
    rp_it_resp_t *r = rp_it_get("/api/v1/roles", admin());
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *data = json_object_get(r->json, "data");
    assert_true(json_array_size(data) >= 4);
    static const char *const order[] = {"admin", "manager", "user", "readonly"};
    for (size_t i = 0; i < 4; i++) {
        json_t *role = json_array_get(data, i);
        assert_string_equal(json_string_value(json_object_get(role, "name")), order[i]);
        assert_true(json_is_true(json_object_get(role, "builtin")));
        assert_true(json_is_false(json_object_get(role, "overridden")));
    }
    json_t *ro = json_array_get(data, 3);
    assert_string_equal(json_string_value(json_object_get(ro, "label")), "Read-only");
    assert_string_equal(jpath(ro, "objects.*.read"), "all");
    assert_string_equal(jpath(ro, "objects.*.update"), "none");
    assert_true(json_is_false(
        json_object_get(json_object_get(json_object_get(ro, "objects"), "*"), "create")));
    assert_string_equal(jpath(json_array_get(data, 2), "objects.*.delete"), "all");

    r = rp_it_get("/api/v1/roles/manager", admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "base"), "manager");
    r = rp_it_get("/api/v1/roles/admin", admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(jpath(r->json, "objects.*.update"), "all");

    /* Roles are the tenant's security settings: admins only. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles", plain()), 403, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/user", plain()), 403, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles", NULL), 401, NULL);
}

static void custom_role_lifecycle(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/roles", plain(), sales_rep), 403, NULL);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/roles", a, sales_rep);
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(rp_it_header(r, "Location"), "/api/v1/roles/sales_rep");
    assert_string_equal(rp_it_jstr(r, "name"), "sales_rep");
    assert_string_equal(rp_it_jstr(r, "label"), "Sales rep");
    assert_string_equal(rp_it_jstr(r, "base"), "user"); /* the default */
    assert_true(json_is_false(json_object_get(r->json, "builtin")));
    /* Spelt out: the members left out are false / none. */
    assert_string_equal(jpath(r->json, "objects.account.delete"), "none");
    assert_string_equal(jpath(r->json, "objects.account.fields.website"), "none");
    assert_string_equal(jpath(r->json, "objects.*.update"), "none");

    r = rp_it_get("/api/v1/roles/sales_rep", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(jpath(r->json, "objects.account.read"), "team");
    assert_string_equal(jpath(r->json, "objects.account.fields.annual_revenue"), "read");

    /* After the built-in ones, custom ones by name. */
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/roles", a,
                                   "{\"name\":\"auditor\",\"base\":\"readonly\","
                                   "\"objects\":{\"*\":{\"read\":\"all\"}}}"),
                        201);
    r = rp_it_get("/api/v1/roles", a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *data = json_object_get(r->json, "data");
    assert_int_equal(json_array_size(data), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 4), "name")),
                        "auditor");
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 5), "name")),
                        "sales_rep");

    /* A second create of the same name. */
    r = rp_it_send("POST", "/api/v1/roles", a, sales_rep);
    RP_IT_EXPECT_PROBLEM(r, 409, "duplicate");

    /* PATCH: label, base, and objects replaced as a whole. */
    r = rp_it_send("PATCH", "/api/v1/roles/auditor", a,
                   "{\"label\":\"Auditor\",\"base\":\"user\","
                   "\"objects\":{\"contact\":{\"read\":\"all\"}}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "label"), "Auditor");
    assert_string_equal(rp_it_jstr(r, "base"), "user");
    assert_null(json_object_get(json_object_get(r->json, "objects"), "*"));
    assert_string_equal(jpath(r->json, "objects.contact.read"), "all");
    r = rp_it_send("PATCH", "/api/v1/roles/auditor", a, "{\"label\":null}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "label"), "");
    assert_string_equal(jpath(r->json, "objects.contact.read"), "all");

    /* Deleted: gone. */
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/roles/auditor", a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/auditor", a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/roles/auditor", a, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/roles/auditor", a, "{\"label\":\"x\"}"), 404,
                         "not_found");
}

static void role_bad_inputs(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/roles", a, "{\"name\":\"x\",\"color\":1}"),
                         400, "unknown_field");
    expect_error(rp_it_send("POST", "/api/v1/roles", a, "{}"), 422, "validation_failed", "name");
    expect_error(rp_it_send("POST", "/api/v1/roles", a, "{\"name\":\"Sales Rep\"}"), 422,
                 "validation_failed", "name");
    expect_error(rp_it_send("POST", "/api/v1/roles", a, "{\"name\":\"user\"}"), 422,
                 "validation_failed", "name");
    expect_error(rp_it_send("POST", "/api/v1/roles", a, "{\"name\":\"r1\",\"base\":\"admin\"}"),
                 422, "validation_failed", "base");
    expect_error(rp_it_send("POST", "/api/v1/roles", a, "{\"name\":\"r1\",\"label\":5}"), 422,
                 "validation_failed", "label");
    expect_error(rp_it_send("POST", "/api/v1/roles", a,
                            "{\"name\":\"r1\",\"objects\":{\"nope\":{\"read\":\"all\"}}}"),
                 422, "validation_failed", "objects.nope");
    expect_error(rp_it_send("POST", "/api/v1/roles", a,
                            "{\"name\":\"r1\",\"objects\":{\"account\":{\"fields\":"
                            "{\"ghost\":\"read\"}}}}"),
                 422, "validation_failed", "objects.account.fields.ghost");
    expect_error(rp_it_send("POST", "/api/v1/roles", a,
                            "{\"name\":\"r1\",\"objects\":{\"account\":{\"fields\":"
                            "{\"name\":\"write\"}}}}"),
                 422, "validation_failed", "objects.account.fields.name");
    expect_error(
        rp_it_send("POST", "/api/v1/roles", a,
                   "{\"name\":\"r1\",\"objects\":{\"account\":{\"read\":\"everything\"}}}"),
        422, "validation_failed", "objects.account.read");
    expect_error(rp_it_send("POST", "/api/v1/roles", a,
                            "{\"name\":\"r1\",\"objects\":{\"account\":{\"create\":\"yes\"}}}"),
                 422, "validation_failed", "objects.account.create");
    expect_error(rp_it_send("POST", "/api/v1/roles", a,
                            "{\"name\":\"r1\",\"objects\":{\"account\":{\"share\":true}}}"),
                 422, "validation_failed", "objects.account.share");
    expect_error(
        rp_it_send("POST", "/api/v1/roles", a,
                   "{\"name\":\"r1\",\"objects\":{\"*\":{\"fields\":{\"name\":\"read\"}}}}"),
        422, "validation_failed", "objects.*.fields");
    expect_error(rp_it_send("POST", "/api/v1/roles", a, "{\"name\":\"r1\",\"objects\":[]}"), 422,
                 "validation_failed", "objects");
    /* None of it was stored. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/r1", a), 404, "not_found");

    /* admin is fixed; unknown and malformed names are missing roles. */
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/roles/admin", a, "{\"label\":\"Boss\"}"), 422,
                         "role_fixed");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/roles/admin", a, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/nobody", a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/Bad%20Name", a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/roles/nobody", a, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/roles/sales_rep", a, "{\"name\":\"x\"}"), 400,
                         "unknown_field");
    expect_error(rp_it_send("PATCH", "/api/v1/roles/sales_rep", a,
                            "{\"objects\":{\"contact\":{\"update\":\"some\"}}}"),
                 422, "validation_failed", "objects.contact.update");
    /* A built-in role's base is itself. */
    expect_error(rp_it_send("PATCH", "/api/v1/roles/user", a, "{\"base\":\"manager\"}"), 422,
                 "validation_failed", "base");
    /* Non-admins change nothing. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", "/api/v1/roles/sales_rep", plain(), "{\"label\":\"x\"}"), 403, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/roles/sales_rep", plain(), NULL), 403, NULL);
    rp_it_resp_t *r = rp_it_get("/api/v1/roles/sales_rep", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "label"), "Sales rep");
    assert_string_equal(jpath(r->json, "objects.account.read"), "team");
}

static void roles_stay_in_their_tenant(void **state)
{
    (void)state;
    const char *o = other_admin();
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/sales_rep", o), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PATCH", "/api/v1/roles/sales_rep", o, "{\"label\":\"x\"}"),
                         404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", "/api/v1/roles/sales_rep", o, NULL), 404,
                         "not_found");
    rp_it_resp_t *r = rp_it_get("/api/v1/roles", o);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_null(find_by(json_object_get(r->json, "data"), "name", "sales_rep"));
    assert_int_equal(json_array_size(json_object_get(r->json, "data")), 4);
    /* The same name is free there, and stays separate. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/roles", o, "{\"name\":\"sales_rep\",\"label\":\"Theirs\"}"),
        201);
    r = rp_it_get("/api/v1/roles/sales_rep", admin());
    assert_string_equal(rp_it_jstr(r, "label"), "Sales rep");
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/roles/sales_rep", o, NULL), 204);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/roles/sales_rep", admin()), 200);
}

static void custom_role_on_users_and_tokens(void **state)
{
    (void)state;
    const char *a = admin();
    /* An unknown role, and one of another tenant, are refused. */
    expect_error(rp_it_send("POST", "/api/v1/users", a,
                            "{\"email\":\"x@acme.test\",\"role\":\"ghost_role\"}"),
                 422, "validation_failed", "role");
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/roles", other_admin(), "{\"name\":\"their_role\"}"), 201);
    expect_error(rp_it_send("POST", "/api/v1/users", a,
                            "{\"email\":\"x@acme.test\",\"role\":\"their_role\"}"),
                 422, "validation_failed", "role");
    expect_error(rp_it_send("POST", "/api/v1/users", a,
                            "{\"email\":\"x@acme.test\",\"role\":\"Not A Role\"}"),
                 422, "validation_failed", "role");
    expect_error(rp_it_send("PATCH", rp_it_fmt("/api/v1/users/%s", plain_id), a,
                            "{\"role\":\"ghost_role\"}"),
                 422, "validation_failed", "role");

    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/users", a,
                                 "{\"email\":\"rep@acme.test\",\"role\":\"sales_rep\","
                                 "\"password\":\"" PASSWORD "\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(rp_it_jstr(r, "role"), "sales_rep");
    rep_id = strdup(rp_it_jstr(r, "id"));

    /* The token carries the rank in role and the custom role in arole. */
    rp_it_tokens_t tok;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "rep@acme.test", PASSWORD, &tok), 200);
    json_t *claims = rp_it_jwt_payload(tok.access);
    assert_string_equal(json_string_value(json_object_get(claims, "role")), "user");
    assert_string_equal(json_string_value(json_object_get(claims, "arole")), "sales_rep");
    /* A built-in user's token has none. */
    json_t *pc = rp_it_jwt_payload(plain());
    assert_string_equal(json_string_value(json_object_get(pc, "role")), "user");
    assert_null(json_object_get(pc, "arole"));

    r = rp_it_get("/api/v1/me", tok.access);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "role"), "user");
    assert_string_equal(rp_it_jstr(r, "access_role"), "sales_rep");
    r = rp_it_get("/api/v1/me", plain());
    assert_true(json_is_null(json_object_get(r->json, "access_role")));

    /* The rights follow the custom role. */
    r = rp_it_get("/api/v1/permissions", tok.access);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "access_role"), "sales_rep");
    json_t *acc = json_object_get(json_object_get(r->json, "objects"), "account");
    assert_true(json_is_true(json_object_get(acc, "create")));
    assert_string_equal(jpath(acc, "scope.read"), "team");
    assert_string_equal(jpath(acc, "scope.update"), "own");
    assert_string_equal(jpath(acc, "scope.delete"), "none");
    assert_true(json_is_false(json_object_get(acc, "delete")));
    assert_string_equal(jpath(acc, "fields.annual_revenue"), "read");
    assert_string_equal(jpath(acc, "fields.name"), "edit");
    assert_null(json_object_get(json_object_get(acc, "fields"), "website"));
    json_t *con = json_object_get(json_object_get(r->json, "objects"), "contact");
    assert_string_equal(jpath(con, "scope.read"), "own");
    assert_true(json_is_false(json_object_get(con, "create")));
    /* A plain user has the defaults: on account, those of the sales module
     * (update and delete their own). */
    r = rp_it_get("/api/v1/permissions", plain());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "all");
    assert_string_equal(jpath(r->json, "objects.account.scope.delete"), "own");
    assert_string_equal(jpath(r->json, "objects.account.fields.website"), "edit");

    /* A refresh keeps both. */
    rp_it_resp_t *rr = rp_it_send("POST", "/api/v1/auth/refresh", NULL,
                                  rp_it_fmt("{\"refresh_token\":\"%s\"}", tok.refresh));
    RP_IT_EXPECT_STATUS(rr, 200);
    claims = rp_it_jwt_payload(rp_it_jstr(rr, "access_token"));
    assert_string_equal(json_string_value(json_object_get(claims, "role")), "user");
    assert_string_equal(json_string_value(json_object_get(claims, "arole")), "sales_rep");

    /* An API key of the user: its rank, the user's custom role. */
    r = rp_it_send("POST", "/api/v1/api-keys", tok.access,
                   "{\"name\":\"k\",\"role\":\"readonly\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *key = rp_it_fmt("%s", rp_it_jstr(r, "key"));
    r = rp_it_get("/api/v1/permissions", key);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "role"), "readonly");
    assert_string_equal(rp_it_jstr(r, "access_role"), "sales_rep");
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "team");
    /* The readonly rank never writes, whatever the role says. */
    assert_true(json_is_false(json_object_get(
        json_object_get(json_object_get(r->json, "objects"), "account"), "create")));

    /* The base decides the rank. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", "/api/v1/roles/sales_rep", a, "{\"base\":\"readonly\"}"), 200);
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "rep@acme.test", PASSWORD, &tok), 200);
    claims = rp_it_jwt_payload(tok.access);
    assert_string_equal(json_string_value(json_object_get(claims, "role")), "readonly");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("POST", "/api/v1/api-keys", tok.access, "{\"name\":\"k2\",\"role\":\"user\"}"),
        403, NULL);
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", "/api/v1/roles/sales_rep", a, "{\"base\":\"user\"}"),
                        200);
}

static void role_change_seen_at_once(void **state)
{
    (void)state;
    const char *a = admin();
    const char *rep = rp_it_token("acme", "rep@acme.test", PASSWORD);
    rp_it_resp_t *r = rp_it_get("/api/v1/permissions", rep);
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "team");
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", "/api/v1/roles/sales_rep", a,
                                   "{\"objects\":{\"account\":{\"read\":\"all\",\"delete\":\"own\","
                                   "\"fields\":{\"phone\":\"none\"}}}}"),
                        200);
    /* The same token, the next request: the new rights. */
    r = rp_it_get("/api/v1/permissions", rep);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *acc = json_object_get(json_object_get(r->json, "objects"), "account");
    assert_string_equal(jpath(acc, "scope.read"), "all");
    assert_string_equal(jpath(acc, "scope.delete"), "own");
    assert_true(json_is_false(json_object_get(acc, "create")));
    assert_null(json_object_get(json_object_get(acc, "fields"), "phone"));
    assert_string_equal(jpath(acc, "fields.website"), "edit");
    /* Objects the role no longer names: nothing. */
    assert_string_equal(jpath(r->json, "objects.contact.scope.read"), "none");

    /* A custom object created later is covered by "*". */
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", "/api/v1/roles/sales_rep", a,
                                   "{\"objects\":{\"*\":{\"read\":\"own\"}}}"),
                        200);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/objects", a, "{\"name\":\"project__c\",\"label\":\"Project\"}"),
        201);
    r = rp_it_get("/api/v1/permissions", rep);
    assert_string_equal(jpath(r->json, "objects.project__c.scope.read"), "own");
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "own");

    /* A stored entry whose object is deleted later is ignored, not fatal. */
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", "/api/v1/roles/sales_rep", a,
                                   "{\"objects\":{\"project__c\":{\"read\":\"all\"},"
                                   "\"account\":{\"read\":\"team\"}}}"),
                        200);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/objects/project__c", a, NULL), 204);
    r = rp_it_get("/api/v1/permissions", rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_null(json_object_get(json_object_get(r->json, "objects"), "project__c"));
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "team");
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/roles/sales_rep", a), 200);

    /* Describe gives the caller's own rights: an admin has them all. */
    r = rp_it_get("/api/v1/objects/account", a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *perm = json_object_get(r->json, "permissions");
    assert_true(json_is_true(json_object_get(perm, "delete")));
    assert_string_equal(jpath(perm, "scope.update"), "all");
    assert_string_equal(jpath(perm, "fields.annual_revenue"), "edit");
}

static void builtin_override_and_reset(void **state)
{
    (void)state;
    const char *a = admin(), *p = plain();
    rp_it_resp_t *r = rp_it_send("PATCH", "/api/v1/roles/user", a,
                                 "{\"label\":\"Staff\",\"objects\":{\"*\":{\"read\":\"own\","
                                 "\"update\":\"own\"},\"contact\":{\"create\":true,"
                                 "\"read\":\"all\"}}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_true(json_object_get(r->json, "overridden")));
    assert_string_equal(rp_it_jstr(r, "base"), "user");
    assert_string_equal(rp_it_jstr(r, "label"), "Staff");
    r = rp_it_get("/api/v1/permissions", p);
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "own");
    assert_string_equal(jpath(r->json, "objects.account.scope.delete"), "none");
    assert_true(json_is_false(json_object_get(
        json_object_get(json_object_get(r->json, "objects"), "account"), "create")));
    assert_string_equal(jpath(r->json, "objects.contact.scope.read"), "all");
    r = rp_it_get("/api/v1/roles", a);
    json_t *u = find_by(json_object_get(r->json, "data"), "name", "user");
    assert_true(json_is_true(json_object_get(u, "overridden")));
    assert_string_equal(jpath(u, "objects.*.read"), "own");
    /* Managers keep their defaults. */
    json_t *m = find_by(json_object_get(r->json, "data"), "name", "manager");
    assert_true(json_is_false(json_object_get(m, "overridden")));

    /* DELETE goes back to the defaults (and again is harmless). */
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/roles/user", a, NULL), 204);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/roles/user", a, NULL), 204);
    r = rp_it_get("/api/v1/roles/user", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_false(json_object_get(r->json, "overridden")));
    assert_string_equal(rp_it_jstr(r, "label"), "User");
    r = rp_it_get("/api/v1/permissions", p);
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "all");
    assert_string_equal(jpath(r->json, "objects.account.scope.delete"), "own");
}

static void role_in_use(void **state)
{
    (void)state;
    const char *a = admin();
    rp_it_resp_t *r = rp_it_send("DELETE", "/api/v1/roles/sales_rep", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "role_in_use");
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/roles/sales_rep", a), 200);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/users/%s", rep_id), a, "{\"role\":\"user\"}"), 200);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", "/api/v1/roles/sales_rep", a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/roles/sales_rep", a), 404, "not_found");

    /* A user left with a role that is gone (set underneath the API) logs in
     * with the lowest rank and no record rights. */
    rp_it_sql("UPDATE users SET role = 'vanished' WHERE id = $1", rep_id, NULL);
    rp_it_tokens_t tok;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "rep@acme.test", PASSWORD, &tok), 200);
    json_t *claims = rp_it_jwt_payload(tok.access);
    assert_string_equal(json_string_value(json_object_get(claims, "role")), "readonly");
    assert_string_equal(json_string_value(json_object_get(claims, "arole")), "vanished");
    r = rp_it_get("/api/v1/permissions", tok.access);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(jpath(r->json, "objects.account.scope.read"), "none");
    rp_it_sql("UPDATE users SET role = 'user' WHERE id = $1", rep_id, NULL);
}

static void teams_and_members(void **state)
{
    (void)state;
    const char *a = admin(), *p = plain();
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/teams", p, "{\"name\":\"East\"}"), 403, NULL);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/teams", a, "{\"name\":\"East\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *team = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(rp_it_header(r, "Location"), rp_it_fmt("/api/v1/teams/%s", team));
    assert_string_equal(rp_it_jstr(r, "name"), "East");
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 0);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/teams", a, "{\"name\":\"east\"}"), 409,
                         "name_taken");
    expect_error(rp_it_send("POST", "/api/v1/teams", a, "{}"), 422, "validation_failed", "name");
    expect_error(rp_it_send("POST", "/api/v1/teams", a, "{\"name\":\"\"}"), 422,
                 "validation_failed", "name");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/teams", a, "{\"name\":\"W\",\"lead\":1}"), 400,
                         "unknown_field");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/teams", a, "{\"name\":\"West\"}"), 201);

    /* Any signed-in user may read them. */
    r = rp_it_get("/api/v1/teams", p);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(rp_it_jlist(r)), 2);
    r = rp_it_get("/api/v1/teams?limit=1", p);
    assert_int_equal(json_array_size(rp_it_jlist(r)), 1);
    const char *cursor = rp_it_jstr(r, "next_cursor");
    assert_non_null(cursor);
    r = rp_it_get(rp_it_fmt("/api/v1/teams?limit=1&cursor=%s", cursor), p);
    assert_int_equal(json_array_size(rp_it_jlist(r)), 1);
    assert_true(json_is_null(json_object_get(r->json, "next_cursor")));

    /* Members: idempotent PUT, 404 for anything outside the tenant. */
    const char *mpath = rp_it_fmt("/api/v1/teams/%s/members/%s", team, plain_id);
    RP_IT_EXPECT_PROBLEM(rp_it_send("PUT", mpath, p, NULL), 403, NULL);
    RP_IT_EXPECT_STATUS(rp_it_send("PUT", mpath, a, NULL), 204);
    RP_IT_EXPECT_STATUS(rp_it_send("PUT", mpath, a, NULL), 204);
    const char *stranger = rp_it_user_id("other", "stranger@other.test");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PUT", rp_it_fmt("/api/v1/teams/%s/members/%s", team, stranger), a, NULL), 404,
        "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("PUT",
                                    rp_it_fmt("/api/v1/teams/%s/members/"
                                              "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                                              team),
                                    a, NULL),
                         404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PUT", rp_it_fmt("/api/v1/teams/%s/members/nope", team), a, NULL), 404,
        "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send(
            "PUT",
            rp_it_fmt("/api/v1/teams/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/members/%s", plain_id), a,
            NULL),
        404, "not_found");
    r = rp_it_get(rp_it_fmt("/api/v1/teams/%s", team), p);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *members = json_object_get(r->json, "members");
    assert_int_equal(json_array_size(members), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(members, 0), "email")),
                        "plain@acme.test");
    assert_string_equal(json_string_value(json_object_get(json_array_get(members, 0), "id")),
                        plain_id);

    /* The user's teams, on the user and on /me. */
    r = rp_it_get(rp_it_fmt("/api/v1/users/%s", plain_id), a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *teams = json_object_get(r->json, "teams");
    assert_int_equal(json_array_size(teams), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(teams, 0), "name")),
                        "East");
    r = rp_it_get("/api/v1/me", p);
    teams = json_object_get(r->json, "teams");
    assert_int_equal(json_array_size(teams), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(teams, 0), "id")), team);
    r = rp_it_get("/api/v1/me", a);
    assert_int_equal(json_array_size(json_object_get(r->json, "teams")), 0);

    /* Another tenant sees none of it. */
    const char *o = other_admin();
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/teams/%s", team), o), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/teams/%s", team), o, "{\"name\":\"Mine\"}"), 404,
        "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rp_it_fmt("/api/v1/teams/%s", team), o, NULL), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", mpath, o, NULL), 404, "not_found");
    r = rp_it_get("/api/v1/teams", o);
    assert_int_equal(json_array_size(rp_it_jlist(r)), 0);

    /* Rename; a taken name; remove the member; delete. */
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/teams/%s", team), a, "{\"name\":\"East coast\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "name"), "East coast");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/teams/%s", team), a, "{\"name\":\"WEST\"}"), 409,
        "name_taken");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/teams/%s", team), p, "{\"name\":\"x\"}"), 403, NULL);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", mpath, a, NULL), 204);
    r = rp_it_get(rp_it_fmt("/api/v1/teams/%s", team), a);
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 0);
    RP_IT_EXPECT_STATUS(rp_it_send("PUT", mpath, a, NULL), 204);
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rp_it_fmt("/api/v1/teams/%s", team), a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/teams/%s", team), a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/teams/not-a-uuid", a), 404, "not_found");
    /* The membership went with the team. */
    r = rp_it_get("/api/v1/me", p);
    assert_int_equal(json_array_size(json_object_get(r->json, "teams")), 0);
}

static void server_exits_clean(void **state)
{
    (void)state;
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(builtin_roles_listed),
        RP_IT_TEST(custom_role_lifecycle),
        RP_IT_TEST(role_bad_inputs),
        RP_IT_TEST(roles_stay_in_their_tenant),
        RP_IT_TEST(custom_role_on_users_and_tokens),
        RP_IT_TEST(role_change_seen_at_once),
        RP_IT_TEST(builtin_override_and_reset),
        RP_IT_TEST(role_in_use),
        RP_IT_TEST(teams_and_members),
        RP_IT_TEST(server_exits_clean),
    };
    RP_IT_RUN("records_roles", tests, setup, teardown);
}
