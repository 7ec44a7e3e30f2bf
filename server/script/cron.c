#include "script/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct field {
    const char *name;
    int min, max;
    const char *const *names; /* names for min, min+1, ... or NULL */
} field_t;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const field_t fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 7, day_names},
};

/* One value: digits, or a name of the field. Advances *p. */
static bool value(const field_t *f, const char **p, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 3) {
            v = v * 10 + (*s++ - '0');
            digits++;
        }
        if (isdigit((unsigned char)*s) || v < f->min || v > f->max)
            return false;
        *out = (int)v;
        *p = s;
        return true;
    }
    for (int i = 0; f->names && f->names[i]; i++)
        if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
            *out = f->min + i;
            *p = s + 3;
            return true;
        }
    return false;
}

/* Parses one comma-separated item into *bits. */
static bool item(const field_t *f, const char *s, const char *end, uint64_t *bits, bool *any)
{
    int lo = f->min, hi = f->max, step = 1;
    const char *p = s;
    bool star = false;
    if (*p == '*') {
        star = true;
        p++;
    } else {
        if (!value(f, &p, &lo))
            return false;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!value(f, &p, &hi) || hi < lo)
                return false;
        }
    }
    if (*p == '/') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        long v = 0;
        while (isdigit((unsigned char)*p) && v <= 1000)
            v = v * 10 + (*p++ - '0');
        if (v < 1 || v > f->max)
            return false;
        step = (int)v;
        if (!star && hi == lo)
            hi = f->max; /* "5/15": from 5 to the end, every 15 */
    }
    if (p != end)
        return false;
    if (star && step == 1)
        *any = true;
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << v;
    return true;
}

static bool parse_field(const field_t *f, const char *s, size_t len, uint64_t *bits, bool *any)
{
    *bits = 0;
    *any = false;
    const char *end = s + len;
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        if (stop == s || !item(f, s, stop, bits, any))
            return false;
        s = comma ? comma + 1 : end;
        if (comma && s == end)
            return false;
    }
    return *bits != 0;
}

static const struct {
    const char *name, *expr;
} macros[] = {
    {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

rp_status_t rp_cron_parse(const char *expr, rp_cron_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (expr == NULL) {
        snprintf(err, errlen, "a cron expression is required");
        return RP_EINVAL;
    }
    while (isspace((unsigned char)*expr))
        expr++;
    if (*expr == '@') {
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
            if (strcasecmp(expr, macros[i].name) == 0)
                return rp_cron_parse(macros[i].expr, out, err, errlen);
        snprintf(err, errlen, "unknown shorthand %.20s", expr);
        return RP_EINVAL;
    }
    const char *p = expr;
    uint64_t bits[5];
    bool any[5];
    for (int i = 0; i < 5; i++) {
        while (isspace((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (p == s) {
            snprintf(err, errlen,
                     "expected 5 fields (minute hour day-of-month month "
                     "day-of-week), got %d",
                     i);
            return RP_EINVAL;
        }
        if (!parse_field(&fields[i], s, (size_t)(p - s), &bits[i], &any[i])) {
            snprintf(err, errlen, "%s: '%.*s' is not valid (%d-%d)", fields[i].name,
                     (int)(p - s > 40 ? 40 : p - s), s, fields[i].min, fields[i].max);
            return RP_EINVAL;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p) {
        snprintf(err, errlen, "expected 5 fields, got more");
        return RP_EINVAL;
    }
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->mdays = (uint32_t)bits[2];
    out->months = (uint16_t)bits[3];
    /* 7 is Sunday too. */
    out->wdays = (uint8_t)((bits[4] & 0x7f) | ((bits[4] >> 7) & 1));
    out->mday_any = any[2];
    out->wday_any = any[4];
    return RP_OK;
}

bool rp_cron_matches(const rp_cron_t *c, const struct tm *tm)
{
    if (!(c->minutes >> tm->tm_min & 1) || !(c->hours >> tm->tm_hour & 1) ||
        !(c->months >> (tm->tm_mon + 1) & 1))
        return false;
    bool md = c->mdays >> tm->tm_mday & 1, wd = c->wdays >> tm->tm_wday & 1;
    if (c->mday_any || c->wday_any)
        return md && wd;
    return md || wd;
}
