/* The forecast end to end (the sales module's area B): GET
 * /api/v1/m/sales/forecast by month and by quarter over opportunities of
 * several owners in three currencies, every amount checked against values
 * worked out by hand (weighted sums exact until the end, never adding two
 * currencies); the filters; a rep whose role reads only its own
 * opportunities seeing only its part; the default range; a tenant's first
 * forecast setting up its pipeline; and bad parameters. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

#define PASSWORD "forecast-password-1"

static char moddir[1024];
static const char *amy, *bob, *olive;

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

/* Test texts are written with ' for " to stay readable. Tracked. */
static const char *dq(const char *s)
{
    char *out = (char *)rp_it_fmt("%s", s);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static json_t *list(const char *tok, const char *path)
{
    rp_it_resp_t *r = rp_it_get(path, tok);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *d = json_object_get(r->json, "data");
    if (!json_is_array(d))
        RP_IT_FAIL("no data in %s", r->body);
    return d;
}

/* The id of the default pipeline's stage called name (tracked). */
static const char *stage(const char *tenant, const char *name)
{
    json_t *d = list(token(tenant, "admin"),
                     rp_it_fmt("/api/v1/records/pipeline_stage?filter[name]=%s", name));
    if (json_array_size(d) != 1)
        RP_IT_FAIL("no single stage %s", name);
    return rp_it_fmt("%s", json_string_value(json_object_get(json_array_get(d, 0), "id")));
}

/* Creates an opportunity owned by owner; amount "" for none; extra is more
 * members of fields (",'probability': 50") or "". */
static void opp(const char *tenant, const char *owner, const char *stage_name, const char *amount,
                const char *currency, const char *close, const char *extra)
{
    const char *money =
        amount[0] ? rp_it_fmt(", 'amount': {'amount': '%s', 'currency': '%s'}", amount, currency)
                  : "";
    const char *body =
        rp_it_fmt("{'owner_id': '%s', 'fields': {'name': 'Deal %s %s', "
                  "'stage_id': '%s', 'close_date': '%s'%s%s}}",
                  owner, amount, close, stage(tenant, stage_name), close, money, extra);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/records/opportunity", token(tenant, "admin"), dq(body)), 201);
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
    const char *tenants[] = {"acme", "other", "fresh"};
    for (size_t t = 0; t < 3; t++) {
        rp_it_tenant_create(tenants[t], tenants[t]);
        const char *users[][2] = {{"admin", "admin"}, {"amy", "user"},     {"bob", "user"},
                                  {"olive", "user"},  {"boss", "manager"}, {"viewer", "readonly"}};
        for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
            rp_it_user_add(tenants[t], rp_it_fmt("%s@%s.test", users[i][0], tenants[t]),
                           users[i][1], PASSWORD);
        RP_IT_EXPECT_STATUS(
            rp_it_send("POST", "/api/v1/modules/sales/enable", token(tenants[t], "admin"), NULL),
            200);
    }
    amy = strdup(rp_it_user_id("acme", "amy@acme.test"));
    bob = strdup(rp_it_user_id("acme", "bob@acme.test"));
    olive = strdup(rp_it_user_id("acme", "olive@acme.test"));
    /* olive reads only her own opportunities. */
    const char *adm = token("acme", "admin");
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/roles", adm,
                   "{\"name\":\"own_rep\",\"label\":\"Own rep\",\"base\":\"user\",\"objects\":{"
                   "\"opportunity\":{\"create\":true,\"read\":\"own\",\"update\":\"own\","
                   "\"delete\":\"own\"},\"pipeline\":{\"read\":\"all\"},"
                   "\"pipeline_stage\":{\"read\":\"all\"}}}"),
        201);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/users/%s", olive), adm, "{\"role\":\"own_rep\"}"),
        200);

    /* The first forecast sets up the standard pipeline. */
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/m/sales/forecast", adm), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/m/sales/forecast", token("other", "admin")), 200);
    /* Amounts and weights (stage probabilities: prospecting 10,
     * qualification 20, needs_analysis 40, proposal 60 best case,
     * negotiation 80 commit). */
    opp("acme", amy, "prospecting", "1000", "EUR", "2031-01-15", ""); /* w 100 */
    opp("acme", amy, "proposal", "2500.50", "EUR", "2031-01-31", ""); /* w 1500.30 */
    opp("acme", amy, "negotiation", "333.33", "EUR", "2031-02-01",
        ", 'probability': 33.3");                                     /* w 110.99889 */
    opp("acme", amy, "negotiation", "800", "USD", "2031-01-20", "");  /* w 640 */
    opp("acme", bob, "closed_won", "10000", "EUR", "2031-01-10", ""); /* won */
    opp("acme", bob, "qualification", "0.01", "EUR", "2031-01-05",
        ", 'probability': '50'"); /* w 0.005 */
    opp("acme", bob, "qualification", "0.01", "EUR", "2031-01-06",
        ", 'probability': 50"); /* w 0.005 */
    opp("acme", bob, "closed_lost", "700", "EUR", "2031-02-14", ", 'lost_reason': 'price'");
    opp("acme", bob, "needs_analysis", "1234.56", "USD", "2031-03-31", ""); /* w 493.824 */
    opp("acme", amy, "prospecting", "5000", "EUR", "2031-02-20",
        ", 'forecast_category': 'omitted'");
    opp("acme", olive, "proposal", "400", "EUR", "2031-03-01", "");  /* w 240 */
    opp("acme", amy, "prospecting", "999", "EUR", "2031-04-02", ""); /* w 99.9 */
    opp("acme", amy, "prospecting", "123", "EUR", "2030-12-31", ""); /* before */
    opp("acme", amy, "prospecting", "", "", "2031-01-03", "");       /* no amount */
    opp("acme", amy, "qualification", "5", "JPY", "2031-01-08", ", 'probability': 10");
    opp("acme", amy, "qualification", "5", "JPY", "2031-01-09", ", 'probability': 10");
    opp("other", rp_it_user_id("other", "amy@other.test"), "prospecting", "99999", "EUR",
        "2031-01-15", "");
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    free((void *)amy);
    free((void *)bob);
    free((void *)olive);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static rp_it_resp_t *forecast(const char *tok, const char *query)
{
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/m/sales/forecast%s", query), tok);
    RP_IT_EXPECT_STATUS(r, 200);
    return r;
}

static json_t *period_at(const rp_it_resp_t *r, size_t i)
{
    json_t *p = json_array_get(json_object_get(r->json, "periods"), i);
    if (p == NULL)
        RP_IT_FAIL("no period %zu in %s", i, r->body);
    return p;
}

static bool is(const json_t *v, const char *want)
{
    return want == NULL ? json_is_null(v)
                        : json_is_string(v) && !strcmp(json_string_value(v), want);
}

/* The entry of list for owner (when with_owner) and currency (NULL: none). */
static json_t *entry(const json_t *list, bool with_owner, const char *owner, const char *currency)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if ((!with_owner || is(json_object_get(e, "owner_id"), owner)) &&
            is(json_object_get(e, "currency"), currency))
            return e;
    }
    char *text = json_dumps(list, JSON_COMPACT);
    rp_it_track(text, free);
    RP_IT_FAIL("no entry for %s/%s in %s", owner ? owner : "-", currency ? currency : "-", text);
}

static json_t *group(const json_t *period, const char *owner, const char *currency)
{
    return entry(json_object_get(period, "groups"), true, owner, currency);
}

static json_t *total(const json_t *holder, const char *currency)
{
    return entry(json_object_get(holder, "totals"), false, NULL, currency);
}

/* Checks every number of one entry: counts "count/open/won/lost", then the
 * six amounts. */
static void expect_sums(const json_t *e, int count, int open, int won, int lost,
                        const char *pipeline, const char *best_case, const char *commit,
                        const char *closed_won, const char *closed_lost, const char *weighted)
{
    const struct {
        const char *key;
        int want;
    } counts[] = {{"count", count}, {"open_count", open}, {"won_count", won}, {"lost_count", lost}};
    const struct {
        const char *key, *want;
    } amounts[] = {{"pipeline", pipeline},       {"best_case", best_case},
                   {"commit", commit},           {"closed_won", closed_won},
                   {"closed_lost", closed_lost}, {"weighted", weighted}};
    char *text = json_dumps(e, JSON_COMPACT);
    rp_it_track(text, free);
    for (size_t i = 0; i < 4; i++)
        if (json_integer_value(json_object_get(e, counts[i].key)) != counts[i].want)
            RP_IT_FAIL("%s is not %d in %s", counts[i].key, counts[i].want, text);
    for (size_t i = 0; i < 6; i++)
        if (!is(json_object_get(e, amounts[i].key), amounts[i].want))
            RP_IT_FAIL("%s is not %s in %s", amounts[i].key, amounts[i].want, text);
}

static long long count_of(const rp_it_resp_t *r)
{
    return json_integer_value(json_object_get(r->json, "count"));
}

/* ---- tests -------------------------------------------------------------- */

static void by_month(void **state)
{
    (void)state;
    rp_it_resp_t *r =
        forecast(token("acme", "boss"), "?period=month&from=2031-01-01&to=2031-03-31");
    assert_string_equal(rp_it_jstr(r, "period"), "month");
    assert_string_equal(rp_it_jstr(r, "from"), "2031-01-01");
    assert_string_equal(rp_it_jstr(r, "to"), "2031-03-31");
    assert_int_equal(json_array_size(json_object_get(r->json, "periods")), 3);
    assert_int_equal(count_of(r), 14);

    json_t *jan = period_at(r, 0);
    assert_true(is(json_object_get(jan, "key"), "2031-01"));
    assert_true(is(json_object_get(jan, "start"), "2031-01-01"));
    assert_true(is(json_object_get(jan, "end"), "2031-01-31"));
    assert_int_equal(json_array_size(json_object_get(jan, "groups")), 5);
    expect_sums(group(jan, amy, "EUR"), 2, 2, 0, 0, "3500.50", "2500.50", "0.00", "0.00", "0.00",
                "1600.30");
    expect_sums(group(jan, amy, "USD"), 1, 1, 0, 0, "800.00", "800.00", "800.00", "0.00", "0.00",
                "640.00");
    /* Two half yens are one yen: rounded once, at the end. */
    expect_sums(group(jan, amy, "JPY"), 2, 2, 0, 0, "10", "0", "0", "0", "0", "1");
    expect_sums(group(jan, amy, NULL), 1, 1, 0, 0, "0", "0", "0", "0", "0", "0");
    /* 0.005 + 0.005 is 0.01 (rounded apart they would make 0.02). */
    expect_sums(group(jan, bob, "EUR"), 3, 2, 1, 0, "0.02", "10000.00", "10000.00", "10000.00",
                "0.00", "10000.01");
    expect_sums(total(jan, "EUR"), 5, 4, 1, 0, "3500.52", "12500.50", "10000.00", "10000.00",
                "0.00", "11600.31");
    expect_sums(total(jan, "USD"), 1, 1, 0, 0, "800.00", "800.00", "800.00", "0.00", "0.00",
                "640.00");
    assert_int_equal(json_array_size(json_object_get(jan, "totals")), 4);

    json_t *feb = period_at(r, 1);
    assert_true(is(json_object_get(feb, "key"), "2031-02"));
    assert_true(is(json_object_get(feb, "end"), "2031-02-28"));
    /* The omitted 5000 counts as an opportunity but in no amount. */
    expect_sums(group(feb, amy, "EUR"), 2, 2, 0, 0, "333.33", "333.33", "333.33", "0.00", "0.00",
                "111.00");
    expect_sums(group(feb, bob, "EUR"), 1, 0, 0, 1, "0.00", "0.00", "0.00", "0.00", "700.00",
                "0.00");
    expect_sums(total(feb, "EUR"), 3, 2, 0, 1, "333.33", "333.33", "333.33", "0.00", "700.00",
                "111.00");

    json_t *mar = period_at(r, 2);
    expect_sums(group(mar, bob, "USD"), 1, 1, 0, 0, "1234.56", "0.00", "0.00", "0.00", "0.00",
                "493.82");
    expect_sums(group(mar, olive, "EUR"), 1, 1, 0, 0, "400.00", "400.00", "0.00", "0.00", "0.00",
                "240.00");

    /* Whole range: 11951.30889 and 1133.824 before rounding. */
    expect_sums(total(r->json, "EUR"), 9, 7, 1, 1, "4233.85", "13233.83", "10333.33", "10000.00",
                "700.00", "11951.31");
    expect_sums(total(r->json, "USD"), 2, 2, 0, 0, "2034.56", "800.00", "800.00", "0.00", "0.00",
                "1133.82");
    expect_sums(total(r->json, "JPY"), 2, 2, 0, 0, "10", "0", "0", "0", "0", "1");
    expect_sums(total(r->json, NULL), 1, 1, 0, 0, "0", "0", "0", "0", "0", "0");
    /* Per owner over the range. */
    json_t *owners = json_object_get(r->json, "owners");
    expect_sums(entry(owners, true, amy, "EUR"), 4, 4, 0, 0, "3833.83", "2833.83", "333.33", "0.00",
                "0.00", "1711.30");
    expect_sums(entry(owners, true, bob, "EUR"), 4, 2, 1, 1, "0.02", "10000.00", "10000.00",
                "10000.00", "700.00", "10000.01");
    expect_sums(entry(owners, true, olive, "EUR"), 1, 1, 0, 0, "400.00", "400.00", "0.00", "0.00",
                "0.00", "240.00");

    /* A reader sees the same numbers. */
    r = forecast(token("acme", "viewer"), "?period=month&from=2031-01-01&to=2031-03-31");
    assert_int_equal(count_of(r), 14);
    expect_sums(total(r->json, "EUR"), 9, 7, 1, 1, "4233.85", "13233.83", "10333.33", "10000.00",
                "700.00", "11951.31");
}

static void by_quarter(void **state)
{
    (void)state;
    rp_it_resp_t *r =
        forecast(token("acme", "admin"), "?period=quarter&from=2031-01-01&to=2031-06-30");
    assert_string_equal(rp_it_jstr(r, "period"), "quarter");
    assert_int_equal(json_array_size(json_object_get(r->json, "periods")), 2);
    assert_int_equal(count_of(r), 15);
    json_t *q1 = period_at(r, 0), *q2 = period_at(r, 1);
    assert_true(is(json_object_get(q1, "key"), "2031-Q1"));
    assert_true(is(json_object_get(q1, "end"), "2031-03-31"));
    assert_true(is(json_object_get(q2, "key"), "2031-Q2"));
    assert_true(is(json_object_get(q2, "start"), "2031-04-01"));
    expect_sums(group(q1, amy, "EUR"), 4, 4, 0, 0, "3833.83", "2833.83", "333.33", "0.00", "0.00",
                "1711.30");
    expect_sums(group(q1, bob, "EUR"), 4, 2, 1, 1, "0.02", "10000.00", "10000.00", "10000.00",
                "700.00", "10000.01");
    expect_sums(group(q1, bob, "USD"), 1, 1, 0, 0, "1234.56", "0.00", "0.00", "0.00", "0.00",
                "493.82");
    expect_sums(total(q1, "EUR"), 9, 7, 1, 1, "4233.85", "13233.83", "10333.33", "10000.00",
                "700.00", "11951.31");
    expect_sums(group(q2, amy, "EUR"), 1, 1, 0, 0, "999.00", "0.00", "0.00", "0.00", "0.00",
                "99.90");
    assert_int_equal(json_array_size(json_object_get(q2, "groups")), 1);
    /* 11951.30889 + 99.9, rounded once. */
    expect_sums(total(r->json, "EUR"), 10, 8, 1, 1, "5232.85", "13233.83", "10333.33", "10000.00",
                "700.00", "12051.21");
}

static void filters_and_scope(void **state)
{
    (void)state;
    const char *boss = token("acme", "boss");
    const char *range = "period=month&from=2031-01-01&to=2031-03-31";
    rp_it_resp_t *r = forecast(boss, rp_it_fmt("?%s&owner_id=%s", range, bob));
    assert_int_equal(count_of(r), 5);
    assert_true(is(json_object_get(json_object_get(r->json, "filters"), "owner_id"), bob));
    expect_sums(total(r->json, "EUR"), 4, 2, 1, 1, "0.02", "10000.00", "10000.00", "10000.00",
                "700.00", "10000.01");
    assert_int_equal(json_array_size(json_object_get(r->json, "owners")), 2);
    r = forecast(boss, rp_it_fmt("?%s&currency=usd", range));
    assert_int_equal(count_of(r), 2);
    assert_true(is(json_object_get(json_object_get(r->json, "filters"), "currency"), "USD"));
    assert_int_equal(json_array_size(json_object_get(r->json, "totals")), 1);
    expect_sums(total(r->json, "USD"), 2, 2, 0, 0, "2034.56", "800.00", "800.00", "0.00", "0.00",
                "1133.82");
    json_t *pipes = list(boss, "/api/v1/records/pipeline");
    const char *sales = json_string_value(json_object_get(json_array_get(pipes, 0), "id"));
    assert_int_equal(count_of(forecast(boss, rp_it_fmt("?%s&pipeline_id=%s", range, sales))), 14);
    assert_int_equal(
        count_of(forecast(
            boss, rp_it_fmt("?%s&pipeline_id=0190a8c4-0000-7000-8000-000000000000", range))),
        0);

    /* olive reads only her own opportunities: her forecast is hers. */
    r = forecast(token("acme", "olive"), rp_it_fmt("?%s", range));
    assert_int_equal(count_of(r), 1);
    assert_int_equal(json_array_size(json_object_get(period_at(r, 0), "groups")), 0);
    expect_sums(group(period_at(r, 2), olive, "EUR"), 1, 1, 0, 0, "400.00", "400.00", "0.00",
                "0.00", "0.00", "240.00");
    expect_sums(total(r->json, "EUR"), 1, 1, 0, 0, "400.00", "400.00", "0.00", "0.00", "0.00",
                "240.00");
    /* Asking for someone else's gives nothing. */
    assert_int_equal(
        count_of(forecast(token("acme", "olive"), rp_it_fmt("?%s&owner_id=%s", range, amy))), 0);
    /* Another tenant sees only its own opportunity. */
    r = forecast(token("other", "admin"), rp_it_fmt("?%s", range));
    assert_int_equal(count_of(r), 1);
    expect_sums(total(r->json, "EUR"), 1, 1, 0, 0, "99999.00", "0.00", "0.00", "0.00", "0.00",
                "9999.90");
}

static void default_range(void **state)
{
    (void)state;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    const char *today = rp_it_fmt("%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    opp("acme", amy, "proposal", "50", "EUR", today, "");
    const char *boss = token("acme", "boss");
    rp_it_resp_t *r = forecast(boss, "");
    assert_string_equal(rp_it_jstr(r, "period"), "month");
    assert_string_equal(rp_it_jstr(r, "from"),
                        rp_it_fmt("%04d-%02d-01", tm.tm_year + 1900, tm.tm_mon + 1));
    assert_int_equal(json_array_size(json_object_get(r->json, "periods")), 4);
    assert_true(is(json_object_get(period_at(r, 0), "key"),
                   rp_it_fmt("%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1)));
    assert_int_equal(count_of(r), 1);
    expect_sums(group(period_at(r, 0), amy, "EUR"), 1, 1, 0, 0, "50.00", "50.00", "0.00", "0.00",
                "0.00", "30.00");
    r = forecast(boss, "?period=quarter");
    assert_true(is(json_object_get(period_at(r, 0), "key"),
                   rp_it_fmt("%04d-Q%d", tm.tm_year + 1900, tm.tm_mon / 3 + 1)));
    assert_int_equal(json_array_size(json_object_get(r->json, "periods")), 4);
    assert_int_equal(count_of(r), 1);
    /* From alone: four periods from its own. */
    r = forecast(boss, "?period=quarter&from=2031-02-10");
    assert_string_equal(rp_it_jstr(r, "to"), "2031-12-31");
    assert_int_equal(count_of(r), 5);
}

static void first_forecast_sets_up_the_pipeline(void **state)
{
    (void)state;
    const char *adm = token("fresh", "admin");
    assert_int_equal(json_array_size(list(adm, "/api/v1/records/pipeline")), 0);
    /* Even a reader's look creates it (the pipeline is the tenant's, not
     * the reader's write). */
    rp_it_resp_t *r = forecast(token("fresh", "viewer"), "?period=quarter");
    assert_int_equal(count_of(r), 0);
    assert_int_equal(json_array_size(json_object_get(r->json, "totals")), 0);
    assert_int_equal(json_array_size(json_object_get(period_at(r, 3), "groups")), 0);
    json_t *pipes = list(adm, "/api/v1/records/pipeline");
    assert_int_equal(json_array_size(pipes), 1);
    assert_true(
        is(json_object_get(json_object_get(json_array_get(pipes, 0), "fields"), "name"), "Sales"));
    assert_int_equal(json_array_size(list(adm, "/api/v1/records/pipeline_stage?limit=50")), 7);
    forecast(token("fresh", "amy"), "");
    assert_int_equal(json_array_size(list(adm, "/api/v1/records/pipeline")), 1);
}

static void bad_parameters(void **state)
{
    (void)state;
    const char *tok = token("acme", "amy");
    const struct {
        const char *query, *param;
    } bad[] = {
        {"?period=week", "period"},
        {"?period=", "period"},
        {"?from=2031-02-30", "from"},
        {"?to=31/12/2031", "to"},
        {"?from=2031-03-01&to=2031-02-01", "to"},
        {"?period=month&from=2020-01-01&to=2031-01-01", "to"},
        {"?owner_id=bob", "owner_id"},
        {"?currency=EURO", "currency"},
        {"?currency=E1R", "currency"},
        {"?pipeline_id=sales", "pipeline_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/m/sales/forecast%s", bad[i].query), tok);
        RP_IT_EXPECT_PROBLEM(r, 400, "invalid_parameter");
        if (json_object_get(json_object_get(r->json, "errors"), bad[i].param) == NULL)
            RP_IT_FAIL("%s: no error on %s in %s", bad[i].query, bad[i].param, r->body);
    }
    /* Every bad parameter at once. */
    rp_it_resp_t *r =
        rp_it_get("/api/v1/m/sales/forecast?period=year&currency=1&from=x&owner_id=y", tok);
    RP_IT_EXPECT_PROBLEM(r, 400, "invalid_parameter");
    assert_int_equal(json_object_size(json_object_get(r->json, "errors")), 4);
    /* Quarters may span longer than months. */
    forecast(tok, "?period=quarter&from=2020-01-01&to=2031-01-01");
    /* Without credentials, or for a tenant without the module. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/sales/forecast", NULL), 401, NULL);
    const char *adm = token("fresh", "admin");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/disable", adm, NULL), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/sales/forecast", adm), 404, "not_found");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/sales/enable", adm, NULL), 200);
}

static void many_opportunities(void **state)
{
    (void)state;
    /* More opportunities than one page holds: 450 of 0.01 EUR at 50 %, in
     * one bulk request. Weighted: 450 * 0.005 = 2.25 exactly (each
     * rounded first would make 4.50). */
    const char *stage_id = stage("acme", "qualification");
    json_t *ops = json_array();
    for (int i = 0; i < 450; i++)
        json_array_append_new(ops, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}}}",
                                             "op", "create", "owner_id", bob, "fields", "name",
                                             rp_it_fmt("Small %d", i), "stage_id", stage_id,
                                             "probability", "50", "close_date",
                                             i % 2 ? "2033-06-30" : "2033-06-01", "amount",
                                             "amount", "0.01", "currency", "EUR"));
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/records/opportunity/bulk",
                                  token("acme", "admin"), json_pack("{s:o}", "operations", ops));
    RP_IT_EXPECT_STATUS(r, 200);
    r = forecast(token("acme", "viewer"), "?period=month&from=2033-06-01&to=2033-06-30");
    assert_int_equal(count_of(r), 450);
    expect_sums(group(period_at(r, 0), bob, "EUR"), 450, 450, 0, 0, "4.50", "0.00", "0.00", "0.00",
                "0.00", "2.25");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(by_month),
        RP_IT_TEST(by_quarter),
        RP_IT_TEST(filters_and_scope),
        RP_IT_TEST(default_range),
        RP_IT_TEST(first_forecast_sets_up_the_pipeline),
        RP_IT_TEST(bad_parameters),
        RP_IT_TEST(many_opportunities),
    };
    RP_IT_RUN("sales_forecast", tests, setup, teardown);
}
