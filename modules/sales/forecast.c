/* GET /api/v1/m/sales/forecast?period=month|quarter[&from&to][&owner_id]
 * [&currency][&pipeline_id]: the opportunities closing in a range, summed
 * by period, owner and currency (amounts of different currencies are never
 * added), with totals per period, per owner and for the whole range.
 *
 * Opportunities are read page by page through the records API as the
 * caller, so its read scope applies: a rep whose role reads only its own
 * opportunities gets its own forecast. */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "forecast.h"
#include "pipeline.h"

/* The forecast's parameters, checked. */
typedef struct fc_query {
    sales_period_t period;
    sales_range_t range;
    const char *owner_id, *pipeline_id; /* borrowed from the request, or NULL */
    char currency[4];                   /* "" for every currency */
} fc_query_t;

static bool put(rp_json_t *obj, const char *key, rp_json_t *value)
{
    return sales_host->json_set(obj, key, value) == RP_M_OK;
}

static rp_json_t *text(const char *s)
{
    return s != NULL && s[0] != '\0' ? sales_host->json_string_new(s) : sales_host->json_null_new();
}

static rp_json_t *day_json(sales_day_t d)
{
    char buf[SALES_DAY_BUF];
    sales_day_format(d, buf, sizeof buf);
    return sales_host->json_string_new(buf);
}

static bool is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static bool note(rp_json_t *errors, const char *param, const char *msg)
{
    return put(errors, param, sales_host->json_string_new(msg));
}

/* Reads and checks the parameters; answers 400 naming each bad one and
 * returns false when any is. */
static bool read_query(rp_mctx_t *ctx, fc_query_t *q, bool *answered)
{
    const rp_host_api_t *h = sales_host;
    *answered = false;
    rp_json_t *errors = h->json_object_new();
    if (errors == NULL)
        return false;
    const char *period = h->query_param(ctx, "period");
    q->period = SALES_PERIOD_MONTH;
    if (period != NULL && !sales_period_parse(period, &q->period))
        note(errors, "period", "must be month or quarter");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    sales_day_t today = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    const char *from = h->query_param(ctx, "from"), *to = h->query_param(ctx, "to");
    switch (sales_forecast_range(q->period, today, from, to, &q->range)) {
    case SALES_RANGE_BAD_FROM:
        note(errors, "from", "must be a date (YYYY-MM-DD)");
        break;
    case SALES_RANGE_BAD_TO:
        note(errors, "to", "must be a date (YYYY-MM-DD)");
        break;
    case SALES_RANGE_REVERSED:
        note(errors, "to", "must not be before from");
        break;
    case SALES_RANGE_TOO_LONG: {
        char msg[100];
        snprintf(msg, sizeof msg, "the range covers more than %d periods",
                 SALES_FORECAST_PERIODS_MAX);
        note(errors, "to", msg);
        break;
    }
    case SALES_RANGE_OK:
        break;
    }
    q->owner_id = h->query_param(ctx, "owner_id");
    if (q->owner_id != NULL && !is_uuid(q->owner_id))
        note(errors, "owner_id", "must be the id of a user");
    q->pipeline_id = h->query_param(ctx, "pipeline_id");
    if (q->pipeline_id != NULL && !is_uuid(q->pipeline_id))
        note(errors, "pipeline_id", "must be the id of a pipeline");
    const char *cur = h->query_param(ctx, "currency");
    q->currency[0] = '\0';
    if (cur != NULL) {
        bool ok = strlen(cur) == 3;
        for (int i = 0; ok && i < 3; i++) {
            ok = isalpha((unsigned char)cur[i]) != 0;
            q->currency[i] = (char)toupper((unsigned char)cur[i]);
        }
        q->currency[ok ? 3 : 0] = '\0';
        if (!ok)
            note(errors, "currency", "must be an ISO 4217 code such as EUR");
    }
    if (h->json_get(errors, "period") || h->json_get(errors, "from") || h->json_get(errors, "to") ||
        h->json_get(errors, "owner_id") || h->json_get(errors, "pipeline_id") ||
        h->json_get(errors, "currency")) {
        h->respond_problem(ctx, 400, "invalid_parameter", "some forecast parameters are not valid",
                           errors);
        *answered = true;
        return false;
    }
    h->json_free(errors);
    return true;
}

/* The filter of the opportunities the forecast reads. */
static rp_json_t *make_filter(const fc_query_t *q)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *f =
        sales_pipeline_and(sales_pipeline_cond("close_date", "gte", day_json(q->range.from)),
                           sales_pipeline_cond("close_date", "lte", day_json(q->range.to)));
    if (f != NULL && q->owner_id != NULL)
        f = sales_pipeline_and(
            f, sales_pipeline_cond("owner_id", "eq", h->json_string_new(q->owner_id)));
    if (f != NULL && q->pipeline_id != NULL)
        f = sales_pipeline_and(
            f, sales_pipeline_cond("pipeline_id", "eq", h->json_string_new(q->pipeline_id)));
    if (f != NULL && q->currency[0] != '\0')
        f = sales_pipeline_and(
            f, sales_pipeline_cond("amount.currency", "eq", h->json_string_new(q->currency)));
    return f;
}

/* Adds one opportunity record to the groups. */
static sales_fc_status_t add_record(sales_fc_t *fc, const fc_query_t *q, const rp_json_t *rec)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *f = h->json_get(rec, "fields");
    sales_day_t close;
    if (!sales_day_parse(sales_pipeline_str(f, "close_date"), &close))
        return SALES_FC_OK; /* not in any period (a field hidden from the caller) */
    const rp_json_t *amount = h->json_get(f, "amount");
    sales_fc_item_t it = {
        .status = sales_pipeline_str(f, "status"),
        .category = sales_pipeline_str(f, "forecast_category"),
        .amount = h->json_string(h->json_get(amount, "amount")),
        .probability = sales_pipeline_str(f, "probability"),
    };
    return sales_fc_add(fc, sales_period_index(q->period, close),
                        h->json_string(h->json_get(rec, "owner_id")),
                        it.amount ? h->json_string(h->json_get(amount, "currency")) : NULL, &it);
}

/* Reads every matching opportunity into fc. */
static rp_mstatus_t read_all(rp_mctx_t *ctx, const fc_query_t *q, sales_fc_t *fc,
                             sales_fc_status_t *fst)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *filter = make_filter(q);
    if (filter == NULL)
        return RP_M_ENOMEM;
    char *cursor = NULL;
    rp_mstatus_t st = RP_M_OK;
    *fst = SALES_FC_OK;
    do {
        rp_json_t *page = NULL;
        char *next = NULL;
        st = h->record_query_page(ctx, "opportunity", filter, "close_date", 200, cursor, &page,
                                  &next);
        h->mem_free(cursor);
        cursor = next;
        size_t n = h->json_array_size(page);
        for (size_t i = 0; st == RP_M_OK && *fst == SALES_FC_OK && i < n; i++)
            *fst = add_record(fc, q, h->json_array_get(page, i));
        h->json_free(page);
    } while (st == RP_M_OK && *fst == SALES_FC_OK && cursor != NULL);
    h->mem_free(cursor);
    h->json_free(filter);
    return st;
}

/* {["owner_id",] "currency", "count", ..., "weighted"} of one group. */
static rp_json_t *sums_json(const sales_fc_group_t *g, bool with_owner)
{
    const rp_host_api_t *h = sales_host;
    const sales_fc_sums_t *s = &g->sums;
    sales_fc_text_t t;
    sales_fc_sums_format(s, g->currency[0] ? sales_currency_places(g->currency) : 0, &t);
    rp_json_t *o = h->json_object_new();
    bool ok = o != NULL;
    if (with_owner)
        ok = ok && put(o, "owner_id", text(g->owner));
    ok = ok && put(o, "currency", text(g->currency));
    ok = ok && put(o, "count", h->json_integer_new(s->count));
    ok = ok && put(o, "open_count", h->json_integer_new(s->open));
    ok = ok && put(o, "won_count", h->json_integer_new(s->won));
    ok = ok && put(o, "lost_count", h->json_integer_new(s->lost));
    ok = ok && put(o, "pipeline", h->json_string_new(t.pipeline));
    ok = ok && put(o, "best_case", h->json_string_new(t.best_case));
    ok = ok && put(o, "commit", h->json_string_new(t.commit));
    ok = ok && put(o, "closed_won", h->json_string_new(t.closed_won));
    ok = ok && put(o, "closed_lost", h->json_string_new(t.closed_lost));
    ok = ok && put(o, "weighted", h->json_string_new(t.weighted));
    if (!ok) {
        h->json_free(o);
        return NULL;
    }
    return o;
}

/* The groups of fc from index *at on that belong to period (all of them
 * when period is negative), as an array; *at moves past them. */
static rp_json_t *groups_json(const sales_fc_t *fc, size_t *at, int period, bool with_owner)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *list = h->json_array_new();
    while (list != NULL && *at < fc->n && (period < 0 || fc->groups[*at].period == period)) {
        if (h->json_array_append(list, sums_json(&fc->groups[(*at)++], with_owner)) != RP_M_OK) {
            h->json_free(list);
            return NULL;
        }
    }
    return list;
}

/* The totals of fc's groups: per period and currency (periods), per owner
 * and currency (owners), per currency (all). */
static sales_fc_status_t totals(const sales_fc_t *fc, sales_fc_t *periods, sales_fc_t *owners,
                                sales_fc_t *all)
{
    sales_fc_status_t st = SALES_FC_OK;
    for (size_t i = 0; st == SALES_FC_OK && i < fc->n; i++) {
        const sales_fc_group_t *g = &fc->groups[i];
        st = sales_fc_merge(periods, g->period, NULL, g->currency, &g->sums);
        if (st == SALES_FC_OK)
            st = sales_fc_merge(owners, 0, g->owner, g->currency, &g->sums);
        if (st == SALES_FC_OK)
            st = sales_fc_merge(all, 0, NULL, g->currency, &g->sums);
    }
    sales_fc_sort(periods);
    sales_fc_sort(owners);
    sales_fc_sort(all);
    return st;
}

static rp_json_t *period_json(const fc_query_t *q, int index, const sales_fc_t *fc, size_t *at,
                              const sales_fc_t *ptot, size_t *pat)
{
    const rp_host_api_t *h = sales_host;
    char key[SALES_DAY_BUF];
    sales_period_key(q->period, index, key, sizeof key);
    /* Skip groups of periods before this one (none: the range bounds the
     * close dates), then take this period's. */
    while (*at < fc->n && fc->groups[*at].period < index)
        (*at)++;
    while (*pat < ptot->n && ptot->groups[*pat].period < index)
        (*pat)++;
    rp_json_t *o = h->json_object_new();
    bool ok = o != NULL && put(o, "key", h->json_string_new(key)) &&
              put(o, "start", day_json(sales_period_start(q->period, index))) &&
              put(o, "end", day_json(sales_period_end(q->period, index))) &&
              put(o, "groups", groups_json(fc, at, index, true)) &&
              put(o, "totals", groups_json(ptot, pat, index, false));
    if (!ok) {
        h->json_free(o);
        return NULL;
    }
    return o;
}

static rp_json_t *answer(const fc_query_t *q, const sales_fc_t *fc, const sales_fc_t *ptot,
                         const sales_fc_t *otot, const sales_fc_t *all)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *o = h->json_object_new(), *filters = h->json_object_new();
    rp_json_t *periods = h->json_array_new();
    bool ok = o != NULL && filters != NULL && periods != NULL;
    size_t at = 0, pat = 0, oat = 0, aat = 0;
    for (int i = 0; ok && i < q->range.count; i++)
        ok = h->json_array_append(
                 periods, period_json(q, q->range.first + i, fc, &at, ptot, &pat)) == RP_M_OK;
    long long count = 0;
    for (size_t i = 0; i < all->n; i++)
        count += all->groups[i].sums.count;
    ok = ok && put(filters, "owner_id", text(q->owner_id)) &&
         put(filters, "currency", text(q->currency)) &&
         put(filters, "pipeline_id", text(q->pipeline_id));
    ok = ok && put(o, "period", h->json_string_new(sales_period_name(q->period))) &&
         put(o, "from", day_json(q->range.from)) && put(o, "to", day_json(q->range.to)) &&
         put(o, "filters", filters);
    filters = NULL;
    ok = ok && put(o, "count", h->json_integer_new(count)) && put(o, "periods", periods);
    periods = NULL;
    ok = ok && put(o, "owners", groups_json(otot, &oat, -1, true)) &&
         put(o, "totals", groups_json(all, &aat, -1, false));
    h->json_free(filters);
    h->json_free(periods);
    if (!ok) {
        h->json_free(o);
        return NULL;
    }
    return o;
}

static rp_mstatus_t forecast(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    fc_query_t q;
    bool answered;
    if (!read_query(ctx, &q, &answered))
        return answered ? RP_M_OK : RP_M_ENOMEM;
    /* A tenant's first look at its forecast sets up its pipeline, as its
     * first opportunity would. */
    char pipeline[SALES_ID_LEN + 1];
    rp_mstatus_t st = sales_pipeline_default(ctx, pipeline);
    if (st != RP_M_OK && st != RP_M_ENOTFOUND && st != RP_M_EFORBIDDEN)
        return st;
    sales_fc_t fc = {0}, ptot = {0}, otot = {0}, all = {0};
    sales_fc_status_t fst = SALES_FC_OK;
    st = read_all(ctx, &q, &fc, &fst);
    if (st == RP_M_EFORBIDDEN || st == RP_M_EINVAL) {
        /* No read right on opportunities, or on a field the forecast
         * filters on. */
        h->respond_problem(ctx, 403, "forbidden",
                           "your role may not read the opportunities a forecast needs", NULL);
        st = RP_M_OK;
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    sales_fc_sort(&fc);
    if (fst == SALES_FC_OK)
        fst = totals(&fc, &ptot, &otot, &all);
    if (fst == SALES_FC_OVERFLOW) {
        h->respond_problem(ctx, 422, "amount_overflow",
                           "the amounts are too large to be added exactly", NULL);
        goto done;
    }
    if (fst != SALES_FC_OK) {
        h->set_error(ctx, fst == SALES_FC_NOMEM ? "out of memory"
                                                : "an opportunity holds a value that is not "
                                                  "a decimal");
        st = fst == SALES_FC_NOMEM ? RP_M_ENOMEM : RP_M_ERR;
        goto done;
    }
    rp_json_t *body = answer(&q, &fc, &ptot, &otot, &all);
    if (body == NULL) {
        st = RP_M_ENOMEM;
        goto done;
    }
    h->respond_json(ctx, 200, body);
done:
    sales_fc_free(&fc);
    sales_fc_free(&ptot);
    sales_fc_free(&otot);
    sales_fc_free(&all);
    return st;
}

rp_mstatus_t sales_forecast_init(rp_mreg_t *reg)
{
    return sales_host->register_action(reg, RP_ACTION_GET, "forecast", RP_ACTION_READONLY, forecast,
                                       NULL);
}
