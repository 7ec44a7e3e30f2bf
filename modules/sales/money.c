#include <string.h>

#include "money.h"

/* 10^38 fits a signed 128-bit integer (its limit is about 1.7 * 10^38). */
#define DIGITS_MAX 38

static __int128 pow_ten(int n)
{
    __int128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

sales_dec_t sales_dec_zero(void)
{
    return (sales_dec_t){0, 0};
}

sales_dec_t sales_dec_int(long long n)
{
    return (sales_dec_t){(__int128)n, 0};
}

bool sales_dec_parse(const char *s, sales_dec_t *out)
{
    if (s == NULL)
        return false;
    bool neg = *s == '-';
    if (neg)
        s++;
    __int128 m = 0;
    int digits = 0, scale = 0;
    bool point = false, any = false;
    for (; *s; s++) {
        if (*s == '.' && !point) {
            point = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            return false;
        any = true;
        if (m == 0 && *s == '0' && !point)
            continue; /* leading zeros do not count against the digits */
        if (++digits > DIGITS_MAX || (point && scale >= SALES_DEC_SCALE_MAX))
            return false;
        m = m * 10 + (*s - '0');
        if (point)
            scale++;
    }
    if (!any)
        return false;
    out->m = neg ? -m : m;
    out->scale = scale;
    return true;
}

/* Brings a to scale (>= a.scale); false on overflow. */
static bool widen(sales_dec_t a, int scale, sales_dec_t *out)
{
    __int128 m = a.m;
    for (int i = a.scale; i < scale; i++)
        if (__builtin_mul_overflow(m, (__int128)10, &m))
            return false;
    out->m = m;
    out->scale = scale;
    return true;
}

bool sales_dec_add(sales_dec_t a, sales_dec_t b, sales_dec_t *out)
{
    int scale = a.scale > b.scale ? a.scale : b.scale;
    sales_dec_t x, y;
    if (!widen(a, scale, &x) || !widen(b, scale, &y))
        return false;
    out->scale = scale;
    return !__builtin_add_overflow(x.m, y.m, &out->m);
}

bool sales_dec_sub(sales_dec_t a, sales_dec_t b, sales_dec_t *out)
{
    b.m = -b.m;
    return sales_dec_add(a, b, out);
}

bool sales_dec_mul(sales_dec_t a, sales_dec_t b, sales_dec_t *out)
{
    sales_dec_t r;
    if (__builtin_mul_overflow(a.m, b.m, &r.m))
        return false;
    r.scale = a.scale + b.scale;
    *out = r.scale > SALES_DEC_SCALE_MAX ? sales_dec_round(r, SALES_DEC_SCALE_MAX) : r;
    return true;
}

bool sales_dec_percent(sales_dec_t a, sales_dec_t pct, sales_dec_t *out)
{
    sales_dec_t r;
    if (!sales_dec_mul(a, pct, &r))
        return false;
    r.scale += 2;
    *out = r.scale > SALES_DEC_SCALE_MAX ? sales_dec_round(r, SALES_DEC_SCALE_MAX) : r;
    return true;
}

sales_dec_t sales_dec_round(sales_dec_t a, int places)
{
    if (places < 0)
        places = 0;
    if (a.scale <= places) {
        sales_dec_t r;
        /* Padding a value that already fits cannot overflow in practice
         * (places is at most a few digits); keep it unpadded if it would. */
        return widen(a, places, &r) ? r : a;
    }
    __int128 p = pow_ten(a.scale - places);
    __int128 q = a.m / p, rem = a.m % p;
    if (rem < 0)
        rem = -rem;
    if (rem * 2 >= p)
        q += a.m < 0 ? -1 : 1;
    return (sales_dec_t){q, places};
}

int sales_dec_cmp(sales_dec_t a, sales_dec_t b)
{
    sales_dec_t d;
    if (!sales_dec_sub(a, b, &d)) /* only far apart values overflow */
        return a.m < 0 ? -1 : 1;
    return (d.m > 0) - (d.m < 0);
}

void sales_dec_format(sales_dec_t a, char *buf, size_t size)
{
    char digits[SALES_DEC_BUF];
    int n = 0;
    unsigned __int128 u = a.m < 0 ? -(unsigned __int128)a.m : (unsigned __int128)a.m;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u > 0 || n <= a.scale);
    char out[SALES_DEC_BUF + 2];
    size_t k = 0;
    if (a.m < 0)
        out[k++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        out[k++] = digits[i];
        if (i == a.scale && a.scale > 0)
            out[k++] = '.';
    }
    out[k] = '\0';
    if (size > 0) {
        size_t len = k < size - 1 ? k : size - 1;
        memcpy(buf, out, len);
        buf[len] = '\0';
    }
}

int sales_currency_places(const char *code)
{
    static const char *const none[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                       "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                       "VND", "VUV", "XAF", "XOF", "XPF"};
    static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
    if (code == NULL)
        return 2;
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        if (strcmp(code, none[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        if (strcmp(code, three[i]) == 0)
            return 3;
    return 2;
}
