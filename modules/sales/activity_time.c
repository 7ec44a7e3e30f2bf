/* Times as the records engine reads and stores them, for the derived
 * datetimes of activities (activity_at, completed_at) and the checks that
 * compare them. Pure C: the engine normalises what a hook hands it, but a
 * hook runs before that and must compare values as the caller gave them. */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "activities.h"

const char *const sales_activity_objects[SALES_ACTIVITY_COUNT] = {"task", "call", "meeting",
                                                                  "note"};

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(long long y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p into *v and moves *p past them. */
static bool digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* Reads "YYYY-MM-DD" at *p into days since 1970-01-01. */
static bool read_date(const char **p, long long *days)
{
    int y, m, d;
    if (!digits(p, 4, &y) || *(*p)++ != '-' || !digits(p, 2, &m) || *(*p)++ != '-' ||
        !digits(p, 2, &d))
        return false;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool sales_time_parse_date(const char *s, long long *ms)
{
    long long days;
    if (s == NULL || !read_date(&s, &days) || *s != '\0')
        return false;
    *ms = days * 86400000LL;
    return true;
}

bool sales_time_parse(const char *s, long long *ms)
{
    long long days;
    int hh, mm, ss, frac = 0;
    if (s == NULL || !read_date(&s, &days) || (*s != 'T' && *s != 't'))
        return false;
    s++;
    if (!digits(&s, 2, &hh) || *s++ != ':' || !digits(&s, 2, &mm) || *s++ != ':' ||
        !digits(&s, 2, &ss) || hh > 23 || mm > 59 || ss > 59)
        return false;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        /* Milliseconds, truncated like the engine: "5" is 500, "0567" 56. */
        int n = 0;
        for (; isdigit((unsigned char)*s); s++)
            if (n < 3) {
                frac = frac * 10 + (*s - '0');
                n++;
            }
        for (; n < 3; n++)
            frac *= 10;
    }
    long long offset = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * (oh * 3600LL + om * 60LL);
    } else {
        return false;
    }
    if (*s != '\0')
        return false;
    *ms = ((days * 86400LL + hh * 3600LL + mm * 60LL + ss) - offset) * 1000LL + frac;
    return true;
}

bool sales_time_format(long long ms, char *out)
{
    long long secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int msec = (int)(ms - secs * 1000);
    long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    long long rem = secs - days * 86400;
    long long y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return false;
    char text[64];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), msec);
    memcpy(out, text, SALES_TIME_LEN + 1);
    return true;
}

void sales_time_now(char *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sales_time_format((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, out);
}

bool sales_is_uuid(const char *s)
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
