#include <stdio.h>
#include <string.h>

#include "forecast.h"

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool sales_day_parse(const char *s, sales_day_t *out)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    *out = (sales_day_t){y, m, d};
    return true;
}

void sales_day_format(sales_day_t d, char *buf, size_t size)
{
    snprintf(buf, size, "%04d-%02d-%02d", d.y, d.m, d.d);
}

int sales_day_cmp(sales_day_t a, sales_day_t b)
{
    long x = (long)a.y * 10000 + a.m * 100 + a.d, y = (long)b.y * 10000 + b.m * 100 + b.d;
    return (x > y) - (x < y);
}

bool sales_period_parse(const char *s, sales_period_t *out)
{
    if (s != NULL && strcmp(s, "month") == 0)
        *out = SALES_PERIOD_MONTH;
    else if (s != NULL && strcmp(s, "quarter") == 0)
        *out = SALES_PERIOD_QUARTER;
    else
        return false;
    return true;
}

const char *sales_period_name(sales_period_t p)
{
    return p == SALES_PERIOD_QUARTER ? "quarter" : "month";
}

/* Months per period. */
static int span(sales_period_t p)
{
    return p == SALES_PERIOD_QUARTER ? 3 : 1;
}

int sales_period_index(sales_period_t p, sales_day_t d)
{
    return (d.y * 12 + d.m - 1) / span(p);
}

sales_day_t sales_period_start(sales_period_t p, int index)
{
    int months = index * span(p);
    return (sales_day_t){months / 12, months % 12 + 1, 1};
}

sales_day_t sales_period_end(sales_period_t p, int index)
{
    int months = index * span(p) + span(p) - 1;
    int y = months / 12, m = months % 12 + 1;
    return (sales_day_t){y, m, month_days(y, m)};
}

void sales_period_key(sales_period_t p, int index, char *buf, size_t size)
{
    sales_day_t s = sales_period_start(p, index);
    if (p == SALES_PERIOD_QUARTER)
        snprintf(buf, size, "%04d-Q%d", s.y, (s.m - 1) / 3 + 1);
    else
        snprintf(buf, size, "%04d-%02d", s.y, s.m);
}

/* Periods of the calendar this code can name (years 1 to 9999). */
static int first_index(sales_period_t p)
{
    return sales_period_index(p, (sales_day_t){1, 1, 1});
}

static int last_index(sales_period_t p)
{
    return sales_period_index(p, (sales_day_t){9999, 12, 31});
}

sales_range_status_t sales_forecast_range(sales_period_t p, sales_day_t today, const char *from,
                                          const char *to, sales_range_t *out)
{
    sales_day_t f = today, t = today;
    if (from != NULL && !sales_day_parse(from, &f))
        return SALES_RANGE_BAD_FROM;
    if (to != NULL && !sales_day_parse(to, &t))
        return SALES_RANGE_BAD_TO;
    int more = SALES_FORECAST_PERIODS_DEFAULT - 1;
    if (from == NULL && to == NULL) {
        int i = sales_period_index(p, today);
        f = sales_period_start(p, i);
        t = sales_period_end(p, i + more > last_index(p) ? last_index(p) : i + more);
    } else if (to == NULL) {
        int i = sales_period_index(p, f) + more;
        t = sales_period_end(p, i > last_index(p) ? last_index(p) : i);
    } else if (from == NULL) {
        int i = sales_period_index(p, t) - more;
        f = sales_period_start(p, i < first_index(p) ? first_index(p) : i);
    }
    if (sales_day_cmp(t, f) < 0)
        return SALES_RANGE_REVERSED;
    out->from = f;
    out->to = t;
    out->first = sales_period_index(p, f);
    out->count = sales_period_index(p, t) - out->first + 1;
    return out->count > SALES_FORECAST_PERIODS_MAX ? SALES_RANGE_TOO_LONG : SALES_RANGE_OK;
}
