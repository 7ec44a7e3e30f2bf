#ifndef SALES_FORECAST_H
#define SALES_FORECAST_H

/* The pure parts of the forecast (no host calls, unit-tested on their own):
 * calendar days and periods (forecast_period.c), and the sums of one group
 * of opportunities in exact decimal arithmetic (forecast_sum.c). */

#include <stdbool.h>
#include <stddef.h>

#include "money.h"

/* ---- days and periods ---------------------------------------------------- */

/* A day of the Gregorian calendar. */
typedef struct sales_day {
    int y, m, d; /* 1..9999, 1..12, 1..31 */
} sales_day_t;

/* How the forecast buckets close dates. */
typedef enum sales_period {
    SALES_PERIOD_MONTH = 0,
    SALES_PERIOD_QUARTER = 1,
} sales_period_t;

/* The most periods one forecast covers (ten years of months). */
#define SALES_FORECAST_PERIODS_MAX 120

/* Periods a forecast covers when the caller gives no range: the current
 * one and the next three. */
#define SALES_FORECAST_PERIODS_DEFAULT 4

/* Room for a formatted day ("2026-03-31") or period key ("2026-03",
 * "2026-Q1"), with the NUL. */
#define SALES_DAY_BUF 11

/* Parses "YYYY-MM-DD", a real day of years 0001-9999; false otherwise. */
bool sales_day_parse(const char *s, sales_day_t *out);

/* Writes d as "YYYY-MM-DD" into buf (SALES_DAY_BUF bytes). */
void sales_day_format(sales_day_t d, char *buf, size_t size);

/* -1, 0 or 1 as a is before, the same as or after b. */
int sales_day_cmp(sales_day_t a, sales_day_t b);

/* Parses "month" or "quarter"; false otherwise. */
bool sales_period_parse(const char *s, sales_period_t *out);

/* The name of p ("month", "quarter"). */
const char *sales_period_name(sales_period_t p);

/* The index of the period of p holding day d: months or quarters counted
 * from year 0, so that consecutive periods have consecutive indexes. */
int sales_period_index(sales_period_t p, sales_day_t d);

/* The first and last days of period index of p. */
sales_day_t sales_period_start(sales_period_t p, int index);
sales_day_t sales_period_end(sales_period_t p, int index);

/* Writes the key of period index of p ("2026-03", "2026-Q1") into buf
 * (SALES_DAY_BUF bytes). */
void sales_period_key(sales_period_t p, int index, char *buf, size_t size);

/* Why a forecast range was refused. */
typedef enum sales_range_status {
    SALES_RANGE_OK = 0,
    SALES_RANGE_BAD_FROM, /* from is not a day */
    SALES_RANGE_BAD_TO,   /* to is not a day */
    SALES_RANGE_REVERSED, /* to is before from */
    SALES_RANGE_TOO_LONG, /* more than SALES_FORECAST_PERIODS_MAX periods */
} sales_range_status_t;

/* A forecast's range: the close dates it takes and the periods it shows. */
typedef struct sales_range {
    sales_day_t from, to; /* inclusive */
    int first;            /* index of the first period */
    int count;            /* number of periods, 1..SALES_FORECAST_PERIODS_MAX */
} sales_range_t;

/* Resolves the range of a forecast by p from the caller's from and to
 * (either may be NULL): without both, the current period of today and the
 * next three; with from alone, from and the rest of its period and the
 * next three; with to alone, the four periods ending with to's, from the
 * start of the first. */
sales_range_status_t sales_forecast_range(sales_period_t p, sales_day_t today, const char *from,
                                          const char *to, sales_range_t *out);

/* ---- sums ------------------------------------------------------------------ */

/* The sums of one group of opportunities. Amounts are exact: weighted is
 * rounded only when formatted. */
typedef struct sales_fc_sums {
    long long count, open, won, lost;
    sales_dec_t pipeline;    /* open, not omitted */
    sales_dec_t best_case;   /* open best_case or commit, plus won */
    sales_dec_t commit;      /* open commit, plus won */
    sales_dec_t closed_won;  /* won */
    sales_dec_t closed_lost; /* lost */
    sales_dec_t weighted;    /* open not omitted * probability / 100, plus won */
} sales_fc_sums_t;

/* One opportunity as the forecast reads it (strings as the records API
 * gives them; NULL for an empty field). */
typedef struct sales_fc_item {
    const char *status;      /* open, won, lost (NULL reads as open) */
    const char *category;    /* forecast_category (NULL reads as pipeline) */
    const char *amount;      /* amount.amount ("1250.5"), or NULL */
    const char *probability; /* percent ("12.5"), or NULL (0) */
} sales_fc_item_t;

/* What adding went like. */
typedef enum sales_fc_status {
    SALES_FC_OK = 0,
    SALES_FC_NOMEM,
    SALES_FC_OVERFLOW,  /* a sum outgrew the decimal type */
    SALES_FC_BAD_VALUE, /* an amount or probability that is not a decimal */
} sales_fc_status_t;

/* Zero sums. */
void sales_fc_sums_init(sales_fc_sums_t *s);

/* Adds one opportunity to s. */
sales_fc_status_t sales_fc_sums_add_item(sales_fc_sums_t *s, const sales_fc_item_t *it);

/* Adds the sums from into into (for totals: exact, before any rounding). */
sales_fc_status_t sales_fc_sums_merge(sales_fc_sums_t *into, const sales_fc_sums_t *from);

/* The amounts of s as text, each rounded to places digits (the currency's
 * minor unit). */
typedef struct sales_fc_text {
    char pipeline[SALES_DEC_BUF], best_case[SALES_DEC_BUF], commit[SALES_DEC_BUF];
    char closed_won[SALES_DEC_BUF], closed_lost[SALES_DEC_BUF], weighted[SALES_DEC_BUF];
} sales_fc_text_t;

/* Formats the amounts of s rounded to places. */
void sales_fc_sums_format(const sales_fc_sums_t *s, int places, sales_fc_text_t *out);

/* ---- groups ---------------------------------------------------------------- */

/* The sums of one period, owner and currency. */
typedef struct sales_fc_group {
    int period;       /* period index */
    char owner[40];   /* owner id, "" for none */
    char currency[8]; /* ISO 4217 code, "" for opportunities without an amount */
    sales_fc_sums_t sums;
} sales_fc_group_t;

/* Groups, as many as the opportunities need. */
typedef struct sales_fc {
    sales_fc_group_t *groups;
    size_t n, cap;
} sales_fc_t;

/* Adds an opportunity to the group of (period, owner, currency), created
 * when new; owner and currency may be NULL. */
sales_fc_status_t sales_fc_add(sales_fc_t *fc, int period, const char *owner, const char *currency,
                               const sales_fc_item_t *it);

/* Adds sums to the group of (period, owner, currency), created when new:
 * totals over several groups, exact before any rounding. */
sales_fc_status_t sales_fc_merge(sales_fc_t *fc, int period, const char *owner,
                                 const char *currency, const sales_fc_sums_t *sums);

/* Sorts the groups by period, owner, then currency (none last). */
void sales_fc_sort(sales_fc_t *fc);

/* Releases the groups. */
void sales_fc_free(sales_fc_t *fc);

#endif
