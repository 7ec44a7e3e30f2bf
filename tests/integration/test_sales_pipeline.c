/* Pipelines and opportunities end to end (the sales module's area B): the
 * default pipeline a tenant gets with its first opportunity, the stage
 * rules (positions and names unique per pipeline, a pipeline that never
 * changes, categories that fit the kind, stages in use), the placement of
 * opportunities (default pipeline, first open stage, a stage of another
 * pipeline refused, probability and forecast category following the stage
 * unless given), won and lost with a reason, the single default pipeline,
 * and the stage history with the time spent in each stage. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it.h"

#define PASSWORD "pipeline-password-1"

static char moddir[1024];
static const char *acme_id;

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
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    const char *users[][2] = {{"admin", "admin"}, {"boss", "manager"}, {"rep", "user"},
                              {"rep2", "user"},   {"solo", "user"},    {"viewer", "readonly"}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        rp_it_user_add("acme", rp_it_fmt("%s@acme.test", users[i][0]), users[i][1], PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_tenant_create("race", "Race Ltd");
    rp_it_user_add("race", "admin@race.test", "admin", PASSWORD);
    rp_it_user_add("race", "rep@race.test", "user", PASSWORD);
    acme_id = strdup(rp_it_tenant_id("acme"));
    /* New tenants get the module by default; enabling again is harmless
     * and covers a server configured otherwise. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/modules/sales/enable", token("acme", "admin"), NULL), 200);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/modules/sales/enable", token("other", "admin"), NULL), 200);
    /* solo reads and writes only its own opportunities. */
    const char *adm = token("acme", "admin");
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/roles", adm,
                   "{\"name\":\"solo_rep\",\"label\":\"Solo rep\",\"base\":\"user\",\"objects\":{"
                   "\"opportunity\":{\"create\":true,\"read\":\"own\",\"update\":\"own\","
                   "\"delete\":\"own\"},\"pipeline\":{\"read\":\"all\"},"
                   "\"pipeline_stage\":{\"read\":\"all\"}}}"),
        201);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/users/%s", rp_it_user_id("acme", "solo@acme.test")),
                   adm, "{\"role\":\"solo_rep\"}"),
        200);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    free((void *)acme_id);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* Test texts are written with ' for " to stay readable. Tracked. */
static const char *dq(const char *s)
{
    char *out = (char *)rp_it_fmt("%s", s);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static rp_it_resp_t *post(const char *tok, const char *object, const char *body)
{
    return rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", object), tok, dq(body));
}

static rp_it_resp_t *patch(const char *tok, const char *object, const char *id, const char *body)
{
    return rp_it_send("PATCH", rp_it_fmt("/api/v1/records/%s/%s", object, id), tok, dq(body));
}

static rp_it_resp_t *get(const char *tok, const char *object, const char *id)
{
    return rp_it_get(rp_it_fmt("/api/v1/records/%s/%s", object, id), tok);
}

/* Creates a record and returns its id (tracked). */
static const char *create(const char *tok, const char *object, const char *body)
{
    rp_it_resp_t *r = post(tok, object, body);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_jstr(r, "id");
}

static json_t *fields_of(const rp_it_resp_t *r)
{
    json_t *f = json_object_get(r->json, "fields");
    if (!json_is_object(f))
        RP_IT_FAIL("no fields in %s", r->body);
    return f;
}

/* A string field of a record answer, or NULL when null. */
static const char *fstr(const rp_it_resp_t *r, const char *field)
{
    return json_string_value(json_object_get(fields_of(r), field));
}

static void expect_field(const rp_it_resp_t *r, const char *field, const char *want)
{
    const char *got = fstr(r, field);
    if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
        RP_IT_FAIL("%s is %s, expected %s in %s", field, got ? got : "null", want ? want : "null",
                   r->body);
}

/* Expects a 422 whose errors name field with a message containing text. */
static void expect_refused(const rp_it_resp_t *r, const char *field, const char *text)
{
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    const char *e = json_string_value(json_object_get(json_object_get(r->json, "errors"), field));
    if (e == NULL || strstr(e, text) == NULL)
        RP_IT_FAIL("no error '%s' on %s in %s", text, field, r->body);
}

/* The records of a list answer. */
static json_t *list(const char *tok, const char *path)
{
    rp_it_resp_t *r = rp_it_get(path, tok);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = json_object_get(r->json, "data");
    if (!json_is_array(d))
        RP_IT_FAIL("no data in %s", r->body);
    return d;
}

/* The id of the stage called name in pipeline (tracked). */
static const char *stage_id(const char *pipeline, const char *name)
{
    json_t *d = list(token("acme", "admin"),
                     rp_it_fmt("/api/v1/records/pipeline_stage?filter[pipeline_id]=%s"
                               "&filter[name]=%s",
                               pipeline, name));
    if (json_array_size(d) != 1)
        RP_IT_FAIL("no single stage %s in pipeline %s", name, pipeline);
    return rp_it_fmt("%s", json_string_value(json_object_get(json_array_get(d, 0), "id")));
}

/* The id of the tenant's pipeline called name (tracked). */
static const char *pipeline_named(const char *name)
{
    json_t *d =
        list(token("acme", "admin"), rp_it_fmt("/api/v1/records/pipeline?filter[name]=%s", name));
    if (json_array_size(d) != 1)
        RP_IT_FAIL("no single pipeline %s", name);
    return rp_it_fmt("%s", json_string_value(json_object_get(json_array_get(d, 0), "id")));
}

/* ---- tests -------------------------------------------------------------- */

static void default_pipeline_comes_with_the_first_opportunity(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    assert_int_equal(json_array_size(list(rep, "/api/v1/records/pipeline")), 0);
    rp_it_resp_t *r = post(rep, "opportunity",
                           "{'fields': {'name': 'First deal', 'amount': {'amount': '1200', "
                           "'currency': 'EUR'}, 'close_date': '2031-05-01'}}");
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "stage", "prospecting");
    expect_field(r, "status", "open");
    expect_field(r, "probability", "10");
    expect_field(r, "forecast_category", "pipeline");
    expect_field(r, "closed_at", NULL);
    const char *pipeline = fstr(r, "pipeline_id");
    assert_non_null(pipeline);

    /* One pipeline, the default, with the seven standard stages. */
    json_t *pipes = list(rep, "/api/v1/records/pipeline");
    assert_int_equal(json_array_size(pipes), 1);
    json_t *p = json_object_get(json_array_get(pipes, 0), "fields");
    assert_string_equal(json_string_value(json_object_get(p, "name")), "Sales");
    assert_true(json_is_true(json_object_get(p, "is_default")));
    assert_true(json_is_true(json_object_get(p, "active")));
    json_t *stages =
        list(rep, rp_it_fmt("/api/v1/records/pipeline_stage?filter[pipeline_id]=%s&sort=position&"
                            "limit=50",
                            pipeline));
    const struct {
        const char *name, *probability, *kind, *category;
        int position;
    } want[] = {{"prospecting", "10", "open", "pipeline", 10},
                {"qualification", "20", "open", "pipeline", 20},
                {"needs_analysis", "40", "open", "pipeline", 30},
                {"proposal", "60", "open", "best_case", 40},
                {"negotiation", "80", "open", "commit", 50},
                {"closed_won", "100", "won", "closed", 60},
                {"closed_lost", "0", "lost", "omitted", 70}};
    assert_int_equal(json_array_size(stages), 7);
    for (size_t i = 0; i < 7; i++) {
        json_t *f = json_object_get(json_array_get(stages, i), "fields");
        assert_string_equal(json_string_value(json_object_get(f, "name")), want[i].name);
        assert_string_equal(json_string_value(json_object_get(f, "probability")),
                            want[i].probability);
        assert_string_equal(json_string_value(json_object_get(f, "kind")), want[i].kind);
        assert_string_equal(json_string_value(json_object_get(f, "forecast_category")),
                            want[i].category);
        assert_int_equal(json_integer_value(json_object_get(f, "position")), want[i].position);
    }
    expect_field(r, "stage_id", stage_id(pipeline, "prospecting"));

    /* The next opportunity finds it: still one pipeline. */
    r = post(rep, "opportunity", "{'fields': {'name': 'Second deal'}}");
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "pipeline_id", pipeline);
    assert_int_equal(json_array_size(list(rep, "/api/v1/records/pipeline")), 1);
    /* Another tenant has none until it needs one. */
    assert_int_equal(json_array_size(list(token("other", "admin"), "/api/v1/records/pipeline")), 0);

    /* Reps and viewers read pipelines and stages but do not change them. */
    const char *viewer = token("acme", "viewer");
    RP_IT_EXPECT_STATUS(get(viewer, "pipeline", pipeline), 200);
    RP_IT_EXPECT_PROBLEM(post(rep, "pipeline", "{'fields': {'name': 'Mine'}}"), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(
        post(rep, "pipeline_stage",
             rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'x', 'position': 99}}", pipeline)),
        403, "forbidden");
    RP_IT_EXPECT_PROBLEM(patch(rep, "pipeline", pipeline, "{'fields': {'name': 'Renamed'}}"), 403,
                         "forbidden");
}

static void stage_rules(void **state)
{
    (void)state;
    const char *boss = token("acme", "boss");
    const char *ent = create(boss, "pipeline", "{'fields': {'name': 'Enterprise'}}");
    const char *disc =
        create(boss, "pipeline_stage",
               rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'discovery', 'position': 10, "
                         "'probability': 25}}",
                         ent));
    rp_it_resp_t *r = get(boss, "pipeline_stage", disc);
    expect_field(r, "kind", "open");
    expect_field(r, "forecast_category", "pipeline");
    /* Closed stages get their category and certainty unless given. */
    r = post(boss, "pipeline_stage",
             rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'signed', 'position': 90, "
                       "'kind': 'won'}}",
                       ent));
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "forecast_category", "closed");
    expect_field(r, "probability", "100");
    r = post(boss, "pipeline_stage",
             rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'dropped', 'position': 95, "
                       "'kind': 'lost'}}",
                       ent));
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "forecast_category", "omitted");
    expect_field(r, "probability", "0");
    const char *dropped = rp_it_jstr(r, "id");

    /* Positions and names are unique within a pipeline, not across. */
    expect_refused(post(boss, "pipeline_stage",
                        rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'demo', "
                                  "'position': '10'}}",
                                  ent)),
                   "position", "discovery");
    expect_refused(post(boss, "pipeline_stage",
                        rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'discovery', "
                                  "'position': 20}}",
                                  ent)),
                   "name", "already used");
    const char *demo =
        create(boss, "pipeline_stage",
               rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'demo', 'position': 20, "
                         "'probability': 50, 'forecast_category': 'best_case'}}",
                         ent));
    expect_refused(patch(boss, "pipeline_stage", demo, "{'fields': {'position': 10}}"), "position",
                   "already used");
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline_stage", demo, "{'fields': {'position': 20}}"), 200);
    /* A stage stays in its pipeline; categories fit kinds. */
    const char *sales = pipeline_named("Sales");
    expect_refused(
        patch(boss, "pipeline_stage", demo, rp_it_fmt("{'fields': {'pipeline_id': '%s'}}", sales)),
        "pipeline_id", "cannot change");
    expect_refused(post(boss, "pipeline_stage",
                        rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'x', 'position': 96, "
                                  "'kind': 'won', 'forecast_category': 'commit'}}",
                                  ent)),
                   "forecast_category", "closed");
    expect_refused(patch(boss, "pipeline_stage", demo,
                         "{'fields': {'forecast_category': "
                         "'closed'}}"),
                   "forecast_category", "open stage");
    expect_refused(patch(boss, "pipeline_stage", dropped,
                         "{'fields': {'forecast_category': "
                         "'pipeline'}}"),
                   "forecast_category", "omitted");

    /* Placement: the stage given decides the pipeline; the pipeline given
     * starts at its first open stage. */
    const char *rep = token("acme", "rep");
    r = post(rep, "opportunity", rp_it_fmt("{'fields': {'name': 'Big', 'stage_id': '%s'}}", demo));
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "pipeline_id", ent);
    expect_field(r, "stage", "demo");
    expect_field(r, "probability", "50");
    expect_field(r, "forecast_category", "best_case");
    r = post(rep, "opportunity",
             rp_it_fmt("{'fields': {'name': 'Bigger', 'pipeline_id': '%s'}}", ent));
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "stage_id", disc);
    expect_field(r, "probability", "25");
    const char *opp = rp_it_jstr(r, "id");
    /* A stage of another pipeline, a missing one, another tenant's. */
    expect_refused(post(rep, "opportunity",
                        rp_it_fmt("{'fields': {'name': 'X', 'pipeline_id': '%s', "
                                  "'stage_id': '%s'}}",
                                  sales, demo)),
                   "stage_id", "another pipeline");
    expect_refused(patch(rep, "opportunity", opp,
                         rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "proposal"))),
                   "stage_id", "another pipeline");
    expect_refused(post(rep, "opportunity",
                        "{'fields': {'name': 'X', 'stage_id': "
                        "'0190a8c4-0000-7000-8000-000000000000'}}"),
                   "stage_id", "does not exist");
    const char *oth = token("other", "admin");
    RP_IT_EXPECT_STATUS(post(oth, "opportunity", "{'fields': {'name': 'Theirs'}}"), 201);
    json_t *theirs = list(oth, "/api/v1/records/pipeline_stage?limit=1");
    const char *their_stage = json_string_value(json_object_get(json_array_get(theirs, 0), "id"));
    expect_refused(post(rep, "opportunity",
                        rp_it_fmt("{'fields': {'name': 'X', 'stage_id': '%s'}}", their_stage)),
                   "stage_id", "does not exist");
    expect_refused(patch(rep, "opportunity", opp, "{'fields': {'stage_id': null}}"), "stage_id",
                   "required");
    expect_refused(patch(rep, "opportunity", opp, "{'fields': {'pipeline_id': null}}"),
                   "pipeline_id", "required");
    /* Derived fields are the server's; amounts are not negative. */
    expect_refused(post(rep, "opportunity", "{'fields': {'name': 'X', 'status': 'won'}}"), "status",
                   "read-only");
    expect_refused(post(rep, "opportunity", "{'fields': {'name': 'X', 'stage': 'whatever'}}"),
                   "stage", "read-only");
    RP_IT_EXPECT_PROBLEM(post(rep, "opportunity",
                              "{'fields': {'name': 'X', 'amount': {'amount': '-1', "
                              "'currency': 'EUR'}}}"),
                         422, "validation_failed");

    /* Given values win over the stage's, in the same write only. */
    r = patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s', 'probability': 35}}", demo));
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "probability", "35");
    expect_field(r, "forecast_category", "best_case");
    r = patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s', 'forecast_category': 'commit'}}", disc));
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "probability", "25");
    expect_field(r, "forecast_category", "commit");
    r = patch(rep, "opportunity", opp, "{'fields': {'probability': 30}}");
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "probability", "30");
    expect_field(r, "stage", "discovery");
    /* Moving to another pipeline starts at its first open stage. */
    r = patch(rep, "opportunity", opp, rp_it_fmt("{'fields': {'pipeline_id': '%s'}}", sales));
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "stage", "prospecting");
    expect_field(r, "probability", "10");

    /* A stage in use keeps its kind and cannot be deleted; a rename
     * reaches its opportunities. */
    json_t *bigs = list(rep, "/api/v1/records/opportunity?filter[name]=Big");
    const char *big_id = json_string_value(json_object_get(json_array_get(bigs, 0), "id"));
    expect_refused(patch(boss, "pipeline_stage", demo, "{'fields': {'kind': 'won'}}"), "kind",
                   "opportunities are in this stage");
    r = rp_it_send("DELETE", rp_it_fmt("/api/v1/records/pipeline_stage/%s", demo), boss, NULL);
    RP_IT_EXPECT_PROBLEM(r, 409, "record_referenced");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "opportunity"));
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "stage_id"));
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline_stage", demo, "{'fields': {'name': 'live_demo'}}"),
                        200);
    expect_field(get(rep, "opportunity", big_id), "stage", "live_demo");
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/pipeline_stage/%s", dropped), boss, NULL),
        204);
    /* An unused stage may change kind (and its category follows). */
    r = patch(boss, "pipeline_stage", disc, "{'fields': {'kind': 'lost'}}");
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "forecast_category", "omitted");
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline_stage", disc, "{'fields': {'kind': 'open'}}"), 200);

    /* Inactive pipelines take no new opportunities. */
    const char *old = create(boss, "pipeline", "{'fields': {'name': 'Legacy', 'active': false}}");
    create(boss, "pipeline_stage",
           rp_it_fmt("{'fields': {'pipeline_id': '%s', 'name': 'open', 'position': 1}}", old));
    expect_refused(
        post(rep, "opportunity", rp_it_fmt("{'fields': {'name': 'X', 'pipeline_id': '%s'}}", old)),
        "pipeline_id", "not active");
    /* A pipeline without an open stage cannot place one. */
    const char *empty = create(boss, "pipeline", "{'fields': {'name': 'Empty'}}");
    expect_refused(post(rep, "opportunity",
                        rp_it_fmt("{'fields': {'name': 'X', 'pipeline_id': '%s'}}", empty)),
                   "stage_id", "no open stage");
}

static void one_default_pipeline(void **state)
{
    (void)state;
    const char *boss = token("acme", "boss");
    const char *rep = token("acme", "rep");
    const char *sales = pipeline_named("Sales");
    const char *ent = pipeline_named("Enterprise");
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline", ent, "{'fields': {'is_default': true}}"), 200);
    json_t *d = list(rep, "/api/v1/records/pipeline?filter[is_default]=true");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "id")), ent);
    rp_it_resp_t *r = post(rep, "opportunity", "{'fields': {'name': 'Goes to enterprise'}}");
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "pipeline_id", ent);
    expect_field(r, "stage", "discovery");
    /* A new default pipeline takes over as well; it must be active. */
    expect_refused(
        post(boss, "pipeline", "{'fields': {'name': 'Off', 'is_default': true, 'active': false}}"),
        "active", "must be active");
    expect_refused(patch(boss, "pipeline", ent, "{'fields': {'active': false}}"), "active",
                   "must be active");
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline", sales, "{'fields': {'is_default': true}}"), 200);
    d = list(rep, "/api/v1/records/pipeline?filter[is_default]=true");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "id")), sales);
    /* Without any default, the pipeline must be given. */
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline", sales, "{'fields': {'is_default': false}}"), 200);
    expect_refused(post(rep, "opportunity", "{'fields': {'name': 'Where?'}}"), "pipeline_id",
                   "no pipeline is marked");
    RP_IT_EXPECT_STATUS(patch(boss, "pipeline", sales, "{'fields': {'is_default': true}}"), 200);
    /* Pipeline names are unique. */
    expect_refused(post(boss, "pipeline", "{'fields': {'name': 'Sales'}}"), "name", "unique");
}

static void won_and_lost(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *sales = pipeline_named("Sales");
    const char *won = stage_id(sales, "closed_won"), *lost = stage_id(sales, "closed_lost");
    const char *opp = create(rep, "opportunity", "{'fields': {'name': 'To close'}}");
    /* Lost needs a reason. */
    expect_refused(
        patch(rep, "opportunity", opp, rp_it_fmt("{'fields': {'stage_id': '%s'}}", lost)),
        "lost_reason", "required");
    expect_refused(patch(rep, "opportunity", opp,
                         rp_it_fmt("{'fields': {'stage_id': '%s', 'lost_reason': null}}", lost)),
                   "lost_reason", "required");
    RP_IT_EXPECT_PROBLEM(
        patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s', 'lost_reason': 'bored'}}", lost)),
        422, "validation_failed");
    rp_it_resp_t *r =
        patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s', 'lost_reason': 'price'}}", lost));
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "status", "lost");
    expect_field(r, "stage", "closed_lost");
    expect_field(r, "lost_reason", "price");
    expect_field(r, "probability", "0");
    expect_field(r, "forecast_category", "omitted");
    const char *closed_at = fstr(r, "closed_at");
    assert_non_null(closed_at);
    assert_int_equal(strlen(closed_at), 24);
    expect_refused(patch(rep, "opportunity", opp, "{'fields': {'lost_reason': null}}"),
                   "lost_reason", "required");
    RP_IT_EXPECT_STATUS(patch(rep, "opportunity", opp, "{'fields': {'lost_reason': 'timing'}}"),
                        200);
    /* Reopening clears the close and its reason. */
    r = patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "negotiation")));
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "status", "open");
    expect_field(r, "closed_at", NULL);
    expect_field(r, "lost_reason", NULL);
    expect_field(r, "probability", "80");
    expect_refused(patch(rep, "opportunity", opp, "{'fields': {'lost_reason': 'price'}}"),
                   "lost_reason", "only to lost");
    /* Won. */
    r = patch(rep, "opportunity", opp, rp_it_fmt("{'fields': {'stage_id': '%s'}}", won));
    RP_IT_EXPECT_STATUS(r, 200);
    expect_field(r, "status", "won");
    expect_field(r, "probability", "100");
    expect_field(r, "forecast_category", "closed");
    assert_non_null(fstr(r, "closed_at"));
    /* Created straight into a closed stage. */
    r = post(rep, "opportunity",
             rp_it_fmt("{'fields': {'name': 'Lost at once', 'stage_id': '%s', "
                       "'lost_reason': 'competitor'}}",
                       lost));
    RP_IT_EXPECT_STATUS(r, 201);
    expect_field(r, "status", "lost");
    assert_non_null(fstr(r, "closed_at"));
    expect_refused(
        post(rep, "opportunity", rp_it_fmt("{'fields': {'name': 'X', 'stage_id': '%s'}}", lost)),
        "lost_reason", "required");
    expect_refused(post(rep, "opportunity", "{'fields': {'name': 'X', 'lost_reason': 'price'}}"),
                   "lost_reason", "only to lost");
}

/* The stays of a stages answer. */
static json_t *stays(const rp_it_resp_t *r)
{
    json_t *d = json_object_get(r->json, "data");
    if (!json_is_array(d))
        RP_IT_FAIL("no data in %s", r->body);
    return d;
}

static json_t *total_of(const rp_it_resp_t *r, const char *stage)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r->json, "totals"), i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "stage")), stage) == 0)
            return t;
    }
    RP_IT_FAIL("no total for %s in %s", stage, r->body);
}

static long long jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static void stage_history_and_time_spent(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *rep_id = rp_it_user_id("acme", "rep@acme.test");
    const char *sales = pipeline_named("Sales");
    const char *opp = create(rep, "opportunity", "{'fields': {'name': 'Tracked'}}");
    const char *path = rp_it_fmt("/api/v1/m/sales/opportunities/%s/stages", opp);
    rp_it_sleep_ms(1100);
    RP_IT_EXPECT_STATUS(
        patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "qualification"))),
        200);
    rp_it_sleep_ms(1100);
    RP_IT_EXPECT_STATUS(
        patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "prospecting"))),
        200);
    /* Writes that keep the stage add nothing. */
    RP_IT_EXPECT_STATUS(
        patch(rep, "opportunity", opp,
              "{'fields': {'amount': {'amount': '10', 'currency': 'EUR'}, 'probability': 15}}"),
        200);
    RP_IT_EXPECT_STATUS(
        patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "prospecting"))),
        200);
    RP_IT_EXPECT_STATUS(
        patch(rep, "opportunity", opp,
              rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "proposal"))),
        200);
    rp_it_resp_t *r = rp_it_get(path, token("acme", "viewer"));
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = stays(r);
    const char *order[] = {"prospecting", "qualification", "prospecting", "proposal"};
    assert_int_equal(json_array_size(d), 4);
    const char *prev_left = NULL, *prev_entered = NULL;
    for (size_t i = 0; i < 4; i++) {
        json_t *s = json_array_get(d, i);
        assert_string_equal(json_string_value(json_object_get(s, "stage")), order[i]);
        assert_string_equal(json_string_value(json_object_get(s, "entered_by")), rep_id);
        const char *entered = json_string_value(json_object_get(s, "entered_at"));
        assert_non_null(entered);
        /* Stays follow each other: each starts when the last one ended. */
        if (prev_left != NULL) {
            assert_true(strcmp(entered, prev_left) >= 0);
            assert_true(strcmp(entered, prev_entered) >= 0);
        }
        bool last = i == 3;
        assert_int_equal(json_is_true(json_object_get(s, "current")), last);
        assert_int_equal(json_is_null(json_object_get(s, "left_at")), last);
        prev_left = json_string_value(json_object_get(s, "left_at"));
        prev_entered = entered;
    }
    assert_true(jint(json_array_get(d, 0), "seconds") >= 1);
    assert_true(jint(json_array_get(d, 1), "seconds") >= 1);
    assert_true(jint(json_array_get(d, 0), "seconds") < 10);
    json_t *pro = total_of(r, "prospecting");
    assert_int_equal(jint(pro, "visits"), 2);
    assert_true(jint(pro, "seconds") >= 1);
    assert_int_equal(jint(total_of(r, "qualification"), "visits"), 1);
    assert_int_equal(jint(total_of(r, "proposal"), "visits"), 1);
    assert_int_equal(json_array_size(json_object_get(r->json, "totals")), 3);
    /* Totals come in the order stages were first entered. */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r->json, "totals"), 0), "stage")),
                        "prospecting");
    assert_true(jint(r->json, "total_seconds") >= 2);
    assert_string_equal(rp_it_jstr(r, "stage"), "proposal");
    assert_string_equal(rp_it_jstr(r, "stage_id"), stage_id(sales, "proposal"));

    /* The current stay keeps counting. */
    rp_it_sleep_ms(1100);
    r = rp_it_get(path, rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(jint(json_array_get(stays(r), 3), "seconds") >= 1);

    /* Who may not read the opportunity does not see its history. */
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, token("acme", "solo")), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, token("other", "admin")), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/m/sales/opportunities/0190a8c4-0000-7000-8000-000000000000/stages", rep),
        404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/sales/opportunities/not-an-id/stages", rep), 404,
                         "not_found");
    /* solo sees the history of its own. */
    const char *mine = create(token("acme", "solo"), "opportunity", "{'fields': {'name': 'Own'}}");
    r = rp_it_get(rp_it_fmt("/api/v1/m/sales/opportunities/%s/stages", mine),
                  token("acme", "solo"));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(stays(r)), 1);

    /* Deleted: gone from the API, kept in the table; a purge of the
     * record (no foreign key to it) leaves the history alone. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/opportunity/%s", opp), rep, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, rep), 404, "not_found");
    rp_it_sql("DELETE FROM records WHERE tenant_id = $1 AND id = $2", acme_id, opp, NULL);
    assert_string_equal(rp_it_sql("SELECT count(*)::text FROM sales_stage_history WHERE "
                                  "opportunity_id = $1",
                                  opp, NULL),
                        "4");
    /* The table is a tenant table with forced row-level security. */
    assert_string_equal(rp_it_sql("SELECT (relrowsecurity AND relforcerowsecurity)::text FROM "
                                  "pg_class WHERE relname = 'sales_stage_history'",
                                  NULL),
                        "true");
}

static void history_of_an_opportunity_without_one(void **state)
{
    (void)state;
    /* A CSV import places opportunities and opens their history like any
     * create. */
    const char *adm = token("acme", "admin");
    const char *sales = pipeline_named("Sales");
    const char *csv = rp_it_fmt("name,stage_id\nImported,%s\n", stage_id(sales, "needs_analysis"));
    rp_it_resp_t *r = rp_it_http(&(rp_it_req_t){.method = "POST",
                                                .path = "/api/v1/import/opportunity",
                                                .bearer = adm,
                                                .content_type = "text/csv",
                                                .body = csv});
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = list(adm, "/api/v1/records/opportunity?filter[name]=Imported");
    const char *id = json_string_value(json_object_get(json_array_get(d, 0), "id"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(d, 0), "fields"), "stage")),
                        "needs_analysis");
    const char *path = rp_it_fmt("/api/v1/m/sales/opportunities/%s/stages", id);
    r = rp_it_get(path, adm);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(stays(r)), 1);
    /* An opportunity whose history was never written (it predates the
     * module's history): its first move records the stay it ends, from
     * the opportunity's creation. */
    rp_it_sql("DELETE FROM sales_stage_history WHERE opportunity_id = $1", id, NULL);
    RP_IT_EXPECT_STATUS(
        patch(adm, "opportunity", id,
              rp_it_fmt("{'fields': {'stage_id': '%s'}}", stage_id(sales, "proposal"))),
        200);
    r = rp_it_get(path, adm);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(stays(r)), 2);
    json_t *first = json_array_get(stays(r), 0);
    assert_string_equal(json_string_value(json_object_get(first, "stage_id")),
                        stage_id(sales, "needs_analysis"));
    assert_string_equal(json_string_value(json_object_get(first, "stage")), "needs_analysis");
    assert_true(json_is_null(json_object_get(first, "entered_by")));
    assert_string_equal(json_string_value(json_object_get(first, "entered_at")),
                        rp_it_jstr(get(adm, "opportunity", id), "created_at"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(stays(r), 1), "stage")),
                        "proposal");
}

/* ---- the first opportunities of a tenant, all at once -------------------- */

#define NRACE 8

typedef struct race_job {
    const char *token;
    int n;
    long status;
    char pipeline[64];
} race_job_t;

static void *create_racing(void *arg)
{
    race_job_t *j = arg;
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/opportunity", j->token,
                                 rp_it_fmt("{\"fields\": {\"name\": \"Race %d\"}}", j->n));
    j->status = r->status;
    const char *p = r->status == 201 ? fstr(r, "pipeline_id") : NULL;
    snprintf(j->pipeline, sizeof j->pipeline, "%s", p ? p : "");
    return NULL;
}

static void concurrent_first_opportunities(void **state)
{
    (void)state;
    const char *rep = token("race", "rep");
    pthread_t th[NRACE];
    race_job_t jobs[NRACE];
    for (int i = 0; i < NRACE; i++) {
        jobs[i] = (race_job_t){.token = rep, .n = i};
        assert_int_equal(pthread_create(&th[i], NULL, create_racing, &jobs[i]), 0);
    }
    for (int i = 0; i < NRACE; i++)
        pthread_join(th[i], NULL);
    /* One standard pipeline, which every opportunity went into. */
    json_t *pipes = list(rep, "/api/v1/records/pipeline");
    assert_int_equal(json_array_size(pipes), 1);
    const char *id = json_string_value(json_object_get(json_array_get(pipes, 0), "id"));
    for (int i = 0; i < NRACE; i++) {
        assert_int_equal(jobs[i].status, 201);
        assert_string_equal(jobs[i].pipeline, id);
    }
    assert_int_equal(json_array_size(list(rep, "/api/v1/records/pipeline_stage?limit=50")), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(default_pipeline_comes_with_the_first_opportunity),
        RP_IT_TEST(stage_rules),
        RP_IT_TEST(one_default_pipeline),
        RP_IT_TEST(won_and_lost),
        RP_IT_TEST(stage_history_and_time_spent),
        RP_IT_TEST(history_of_an_opportunity_without_one),
        RP_IT_TEST(concurrent_first_opportunities),
    };
    RP_IT_RUN("sales_pipeline", tests, setup, teardown);
}
