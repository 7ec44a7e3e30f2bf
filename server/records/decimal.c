#include "records/decimal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/field.h"

static rp_status_t fail(char *why, size_t whylen, const char *msg)
{
    if (whylen > 0)
        snprintf(why, whylen, "%s", msg);
    return RP_EINVAL;
}

rp_status_t rp_decimal_canon(const char *s, size_t len, int max_scale, char out[RP_DECIMAL_BUF],
                             char *why, size_t whylen)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t int_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_end = i;
    size_t frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
    }
    if (i != len || (int_end == int_start && frac_end == frac_start))
        return fail(why, whylen, "must be a decimal number");

    while (int_start < int_end && s[int_start] == '0')
        int_start++;
    while (frac_end > frac_start && s[frac_end - 1] == '0')
        frac_end--;
    size_t int_digits = int_end - int_start, frac_digits = frac_end - frac_start;
    if (frac_digits > (size_t)max_scale) {
        char msg[96];
        snprintf(msg, sizeof msg, "must have at most %d digits after the decimal point", max_scale);
        return fail(why, whylen, msg);
    }
    if (int_digits + frac_digits > RP_DECIMAL_DIGITS_MAX) {
        char msg[96];
        snprintf(msg, sizeof msg, "must have at most %d digits", RP_DECIMAL_DIGITS_MAX);
        return fail(why, whylen, msg);
    }

    char *o = out;
    if (neg && int_digits + frac_digits > 0)
        *o++ = '-';
    if (int_digits == 0) {
        *o++ = '0';
    } else {
        memcpy(o, s + int_start, int_digits);
        o += int_digits;
    }
    if (frac_digits > 0) {
        *o++ = '.';
        memcpy(o, s + frac_start, frac_digits);
        o += frac_digits;
    }
    *o = '\0';
    return RP_OK;
}

/* Turns "%.Ne" output ("-1.25e+03") into plain decimal text ("-1250"). The
 * mantissa has at most 17 digits and a finite double's exponent at most 308,
 * so out needs 340 bytes. */
static void expand_exponent(const char *e, char *out)
{
    char digits[24];
    size_t nd = 0;
    bool neg = false;
    const char *p = e;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p && *p != 'e' && *p != 'E'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof digits - 1)
            digits[nd++] = *p;
    digits[nd] = '\0';
    long exp = (*p == 'e' || *p == 'E') ? strtol(p + 1, NULL, 10) : 0;
    /* The value is 0.digits * 10^(exp + 1): the point sits after point_at
     * digits. */
    long point_at = exp + 1;
    char *o = out;
    if (neg)
        *o++ = '-';
    if (point_at <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (long k = 0; k < -point_at; k++)
            *o++ = '0';
        memcpy(o, digits, nd);
        o += nd;
    } else if ((size_t)point_at >= nd) {
        memcpy(o, digits, nd);
        o += nd;
        for (long k = (long)nd; k < point_at; k++)
            *o++ = '0';
    } else {
        memcpy(o, digits, (size_t)point_at);
        o += point_at;
        *o++ = '.';
        memcpy(o, digits + point_at, nd - (size_t)point_at);
        o += nd - (size_t)point_at;
    }
    *o = '\0';
}

rp_status_t rp_decimal_from_json(const json_t *v, int max_scale, char out[RP_DECIMAL_BUF],
                                 char *why, size_t whylen)
{
    if (json_is_string(v))
        return rp_decimal_canon(json_string_value(v), json_string_length(v), max_scale, out, why,
                                whylen);
    if (json_is_integer(v)) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return rp_decimal_canon(buf, (size_t)n, max_scale, out, why, whylen);
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d))
            return fail(why, whylen, "must be a decimal number");
        char e[40], plain[400];
        for (int prec = 0; prec <= 17; prec++) {
            snprintf(e, sizeof e, "%.*e", prec, d);
            if (strtod(e, NULL) == d)
                break;
        }
        expand_exponent(e, plain);
        return rp_decimal_canon(plain, strlen(plain), max_scale, out, why, whylen);
    }
    return fail(why, whylen, "must be a decimal number");
}

static int cmp_magnitude(const char *a, const char *b)
{
    size_t ai = strcspn(a, "."), bi = strcspn(b, ".");
    if (ai != bi)
        return ai < bi ? -1 : 1;
    int c = strncmp(a, b, ai);
    if (c != 0)
        return c < 0 ? -1 : 1;
    const char *af = a[ai] == '.' ? a + ai + 1 : "";
    const char *bf = b[bi] == '.' ? b + bi + 1 : "";
    while (*af || *bf) {
        char x = *af ? *af++ : '0';
        char y = *bf ? *bf++ : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

int rp_decimal_cmp(const char *a, const char *b)
{
    bool an = a[0] == '-', bn = b[0] == '-';
    if (an != bn)
        return an ? -1 : 1;
    int c = cmp_magnitude(a + an, b + bn);
    return an ? -c : c;
}
