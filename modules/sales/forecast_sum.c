#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast.h"

void sales_fc_sums_init(sales_fc_sums_t *s)
{
    memset(s, 0, sizeof *s);
    s->pipeline = s->best_case = s->commit = sales_dec_zero();
    s->closed_won = s->closed_lost = s->weighted = sales_dec_zero();
}

static bool eq(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

static bool add(sales_dec_t *sum, sales_dec_t v)
{
    return sales_dec_add(*sum, v, sum);
}

sales_fc_status_t sales_fc_sums_add_item(sales_fc_sums_t *s, const sales_fc_item_t *it)
{
    sales_dec_t amount = sales_dec_zero(), pct = sales_dec_zero(), weighted;
    if (it->amount != NULL && !sales_dec_parse(it->amount, &amount))
        return SALES_FC_BAD_VALUE;
    if (it->probability != NULL && !sales_dec_parse(it->probability, &pct))
        return SALES_FC_BAD_VALUE;
    s->count++;
    bool ok = true;
    if (eq(it->status, "won")) {
        s->won++;
        /* Won is certain whatever probability it still carries. */
        ok = add(&s->closed_won, amount) && add(&s->commit, amount) && add(&s->best_case, amount) &&
             add(&s->weighted, amount);
    } else if (eq(it->status, "lost")) {
        s->lost++;
        ok = add(&s->closed_lost, amount);
    } else {
        s->open++;
        if (eq(it->category, "omitted"))
            return SALES_FC_OK;
        bool commit = eq(it->category, "commit");
        ok = add(&s->pipeline, amount) && sales_dec_percent(amount, pct, &weighted) &&
             add(&s->weighted, weighted) && (!commit || add(&s->commit, amount)) &&
             (!(commit || eq(it->category, "best_case")) || add(&s->best_case, amount));
    }
    return ok ? SALES_FC_OK : SALES_FC_OVERFLOW;
}

sales_fc_status_t sales_fc_sums_merge(sales_fc_sums_t *into, const sales_fc_sums_t *from)
{
    into->count += from->count;
    into->open += from->open;
    into->won += from->won;
    into->lost += from->lost;
    bool ok = add(&into->pipeline, from->pipeline) && add(&into->best_case, from->best_case) &&
              add(&into->commit, from->commit) && add(&into->closed_won, from->closed_won) &&
              add(&into->closed_lost, from->closed_lost) && add(&into->weighted, from->weighted);
    return ok ? SALES_FC_OK : SALES_FC_OVERFLOW;
}

static void format(sales_dec_t v, int places, char *buf)
{
    sales_dec_format(sales_dec_round(v, places), buf, SALES_DEC_BUF);
}

void sales_fc_sums_format(const sales_fc_sums_t *s, int places, sales_fc_text_t *out)
{
    format(s->pipeline, places, out->pipeline);
    format(s->best_case, places, out->best_case);
    format(s->commit, places, out->commit);
    format(s->closed_won, places, out->closed_won);
    format(s->closed_lost, places, out->closed_lost);
    format(s->weighted, places, out->weighted);
}

static bool same_key(const sales_fc_group_t *g, int period, const char *owner, const char *currency)
{
    return g->period == period && strcmp(g->owner, owner) == 0 &&
           strcmp(g->currency, currency) == 0;
}

/* The group of (period, owner, currency) into *out, made when new. */
static sales_fc_status_t group_for(sales_fc_t *fc, int period, const char *owner,
                                   const char *currency, sales_fc_group_t **out)
{
    owner = owner ? owner : "";
    currency = currency ? currency : "";
    if (strlen(owner) >= sizeof fc->groups[0].owner ||
        strlen(currency) >= sizeof fc->groups[0].currency)
        return SALES_FC_BAD_VALUE;
    /* Opportunities come in close date order, so the group wanted is
     * usually among the last ones made: search from the end. */
    for (size_t i = fc->n; i > 0; i--) {
        if (same_key(&fc->groups[i - 1], period, owner, currency)) {
            *out = &fc->groups[i - 1];
            return SALES_FC_OK;
        }
    }
    if (fc->n == fc->cap) {
        size_t cap = fc->cap ? fc->cap * 2 : 16;
        sales_fc_group_t *grown = realloc(fc->groups, cap * sizeof *grown);
        if (grown == NULL)
            return SALES_FC_NOMEM;
        fc->groups = grown;
        fc->cap = cap;
    }
    sales_fc_group_t *g = &fc->groups[fc->n++];
    g->period = period;
    snprintf(g->owner, sizeof g->owner, "%s", owner);
    snprintf(g->currency, sizeof g->currency, "%s", currency);
    sales_fc_sums_init(&g->sums);
    *out = g;
    return SALES_FC_OK;
}

sales_fc_status_t sales_fc_add(sales_fc_t *fc, int period, const char *owner, const char *currency,
                               const sales_fc_item_t *it)
{
    sales_fc_group_t *g;
    sales_fc_status_t st = group_for(fc, period, owner, currency, &g);
    return st == SALES_FC_OK ? sales_fc_sums_add_item(&g->sums, it) : st;
}

sales_fc_status_t sales_fc_merge(sales_fc_t *fc, int period, const char *owner,
                                 const char *currency, const sales_fc_sums_t *sums)
{
    sales_fc_group_t *g;
    sales_fc_status_t st = group_for(fc, period, owner, currency, &g);
    return st == SALES_FC_OK ? sales_fc_sums_merge(&g->sums, sums) : st;
}

static int by_key(const void *pa, const void *pb)
{
    const sales_fc_group_t *a = pa, *b = pb;
    if (a->period != b->period)
        return a->period < b->period ? -1 : 1;
    int c = strcmp(a->owner, b->owner);
    if (c != 0)
        return c;
    /* Opportunities without an amount come after every currency. */
    if ((a->currency[0] == '\0') != (b->currency[0] == '\0'))
        return a->currency[0] == '\0' ? 1 : -1;
    return strcmp(a->currency, b->currency);
}

void sales_fc_sort(sales_fc_t *fc)
{
    if (fc->n > 1)
        qsort(fc->groups, fc->n, sizeof fc->groups[0], by_key);
}

void sales_fc_free(sales_fc_t *fc)
{
    free(fc->groups);
    fc->groups = NULL;
    fc->n = fc->cap = 0;
}
