#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

#define INT128_MAX_U ((unsigned __int128)(~(unsigned __int128)0 >> 1))

/* 10^n for n <= 38 (10^38 fits a signed 128-bit integer: its limit is about
 * 1.7 * 10^38). */
static unsigned __int128 pow_ten(int n)
{
    unsigned __int128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

static unsigned __int128 magnitude(__int128 m)
{
    return m < 0 ? -(unsigned __int128)m : (unsigned __int128)m;
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
    size_t i = 0;
    bool neg = false;
    if (s[i] == '-' || s[i] == '+')
        neg = s[i++] == '-';
    size_t int_start = i;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (s[i] == '.') {
        frac_start = ++i;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
    }
    if (s[i] != '\0' || (int_end == int_start && frac_end == frac_start))
        return false;
    while (int_start < int_end && s[int_start] == '0')
        int_start++;
    /* Significant digits: a value below one starts at its first non-zero
     * place. Trailing zeros after the point are dropped only as far as
     * needed to fit. */
    for (;;) {
        size_t frac = frac_end - frac_start, sig = int_end - int_start;
        if (sig > 0) {
            sig += frac;
        } else {
            size_t z = frac_start;
            while (z < frac_end && s[z] == '0')
                z++;
            sig = frac_end - z;
        }
        if (sig <= SALES_DEC_DIGITS_MAX && frac <= SALES_DEC_SCALE_MAX)
            break;
        if (frac == 0 || s[frac_end - 1] != '0')
            return false;
        frac_end--;
    }
    __int128 m = 0;
    for (size_t k = int_start; k < int_end; k++)
        m = m * 10 + (s[k] - '0');
    for (size_t k = frac_start; k < frac_end; k++)
        m = m * 10 + (s[k] - '0');
    out->m = neg ? -m : m;
    out->scale = (int)(frac_end - frac_start);
    return true;
}

bool sales_dec_from_real(double d, sales_dec_t *out)
{
    if (!isfinite(d))
        return false;
    char e[40];
    int prec = 0;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, d);
        if (strtod(e, NULL) == d)
            break;
    }
    if (prec > 17)
        prec = 17;
    /* e is "[-]D.DDDe[+-]XX": the digits make a whole number M with prec
     * places, and the value is M * 10^(exp - prec). */
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    unsigned __int128 m = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            m = m * 10 + (unsigned)(*p - '0');
    long exp = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    long shift = exp - prec;
    int scale = 0;
    if (shift >= 0) {
        for (long k = 0; k < shift; k++) {
            if (m > INT128_MAX_U / 10)
                return false;
            m *= 10;
        }
    } else {
        long places = -shift;
        while (places > 0 && m % 10 == 0) {
            m /= 10;
            places--;
        }
        if (places > SALES_DEC_SCALE_MAX)
            return false;
        scale = (int)places;
    }
    if (m > INT128_MAX_U)
        return false;
    out->m = neg ? -(__int128)m : (__int128)m;
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
    __int128 r;
    if (__builtin_add_overflow(x.m, y.m, &r))
        return false;
    out->m = r;
    out->scale = scale;
    return true;
}

bool sales_dec_sub(sales_dec_t a, sales_dec_t b, sales_dec_t *out)
{
    int scale = a.scale > b.scale ? a.scale : b.scale;
    sales_dec_t x, y;
    if (!widen(a, scale, &x) || !widen(b, scale, &y))
        return false;
    __int128 r;
    if (__builtin_sub_overflow(x.m, y.m, &r))
        return false;
    out->m = r;
    out->scale = scale;
    return true;
}

/* ---- wide products ---------------------------------------------------- */

/* An unsigned integer of LIMBS 32-bit limbs, least significant first: room
 * for the product of three 128-bit magnitudes. */
#define LIMBS 12

typedef struct big {
    uint32_t d[LIMBS];
} big_t;

static void big_set(big_t *b, unsigned __int128 v)
{
    for (int i = 0; i < LIMBS; i++) {
        b->d[i] = (uint32_t)v;
        v >>= 32;
    }
}

/* *b *= v; false when the result needs more than LIMBS limbs. */
static bool big_mul(big_t *b, unsigned __int128 v)
{
    uint32_t f[4];
    for (int i = 0; i < 4; i++) {
        f[i] = (uint32_t)v;
        v >>= 32;
    }
    uint64_t r[LIMBS + 4] = {0};
    for (int i = 0; i < LIMBS; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            uint64_t t = (uint64_t)b->d[i] * f[j] + r[i + j] + carry;
            r[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        for (int k = i + 4; carry && k < LIMBS + 4; k++) {
            uint64_t t = r[k] + carry;
            r[k] = (uint32_t)t;
            carry = t >> 32;
        }
    }
    for (int k = LIMBS; k < LIMBS + 4; k++)
        if (r[k] != 0)
            return false;
    for (int i = 0; i < LIMBS; i++)
        b->d[i] = (uint32_t)r[i];
    return true;
}

/* *b /= d (truncating); returns the remainder. */
static uint32_t big_div(big_t *b, uint32_t d)
{
    uint64_t rem = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | b->d[i];
        b->d[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    return (uint32_t)rem;
}

static void big_inc(big_t *b)
{
    for (int i = 0; i < LIMBS && ++b->d[i] == 0; i++)
        ;
}

/* The value of b when it fits a signed 128-bit magnitude. */
static bool big_get(const big_t *b, unsigned __int128 *out)
{
    for (int i = 4; i < LIMBS; i++)
        if (b->d[i] != 0)
            return false;
    unsigned __int128 v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 32) | b->d[i];
    if (v > INT128_MAX_U)
        return false;
    *out = v;
    return true;
}

bool sales_dec_product_round(const sales_dec_t *factors, int n, int shift, int places,
                             sales_dec_t *out)
{
    if (factors == NULL || n < 1 || n > 3 || shift < 0 || places < 0 ||
        places > SALES_DEC_SCALE_MAX)
        return false;
    big_t b;
    big_set(&b, 1);
    bool neg = false;
    long scale = shift;
    for (int i = 0; i < n; i++) {
        if (factors[i].scale < 0)
            return false;
        neg ^= factors[i].m < 0;
        scale += factors[i].scale;
        if (!big_mul(&b, magnitude(factors[i].m)))
            return false;
    }
    if (scale > places) {
        /* Drop all digits but the first one past places, truncating, then
         * round on that one: half away from zero looks at nothing else. */
        long drop = scale - places - 1;
        for (; drop >= 9; drop -= 9)
            big_div(&b, 1000000000u);
        uint32_t p = 1;
        for (; drop > 0; drop--)
            p *= 10;
        if (p > 1)
            big_div(&b, p);
        if (big_div(&b, 10) >= 5)
            big_inc(&b);
    } else {
        for (long k = scale; k < places; k++)
            if (!big_mul(&b, 10))
                return false;
    }
    unsigned __int128 m;
    if (!big_get(&b, &m))
        return false;
    out->m = neg ? -(__int128)m : (__int128)m;
    out->scale = places;
    return true;
}

bool sales_dec_mul_round(sales_dec_t a, sales_dec_t b, int places, sales_dec_t *out)
{
    const sales_dec_t f[2] = {a, b};
    return sales_dec_product_round(f, 2, 0, places, out);
}

bool sales_dec_mul(sales_dec_t a, sales_dec_t b, sales_dec_t *out)
{
    int scale = a.scale + b.scale;
    __int128 m;
    if (scale <= SALES_DEC_SCALE_MAX && !__builtin_mul_overflow(a.m, b.m, &m)) {
        out->m = m;
        out->scale = scale;
        return true;
    }
    return sales_dec_mul_round(a, b, scale < SALES_DEC_SCALE_MAX ? scale : SALES_DEC_SCALE_MAX,
                               out);
}

bool sales_dec_percent(sales_dec_t a, sales_dec_t pct, sales_dec_t *out)
{
    const sales_dec_t f[2] = {a, pct};
    int scale = a.scale + pct.scale + 2;
    return sales_dec_product_round(f, 2, 2,
                                   scale < SALES_DEC_SCALE_MAX ? scale : SALES_DEC_SCALE_MAX, out);
}

sales_dec_t sales_dec_round(sales_dec_t a, int places)
{
    if (places < 0)
        places = 0;
    if (a.scale <= places) {
        sales_dec_t r;
        return widen(a, places, &r) ? r : a;
    }
    int drop = a.scale - places;
    if (drop > SALES_DEC_DIGITS_MAX) /* |a.m| < 1.7e38 is below half a unit */
        return (sales_dec_t){0, places};
    unsigned __int128 p = pow_ten(drop), u = magnitude(a.m);
    unsigned __int128 q = u / p, rem = u % p;
    if (rem >= p - rem)
        q++;
    return (sales_dec_t){a.m < 0 ? -(__int128)q : (__int128)q, places};
}

int sales_dec_sign(sales_dec_t a)
{
    return (a.m > 0) - (a.m < 0);
}

int sales_dec_cmp(sales_dec_t a, sales_dec_t b)
{
    int sa = sales_dec_sign(a), sb = sales_dec_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    /* Same sign: compare magnitudes, whole parts first, then the fractions
     * at a common scale (both below 10^scale, so they cannot overflow). */
    int sca = a.scale < 0 ? 0 : a.scale, scb = b.scale < 0 ? 0 : b.scale;
    unsigned __int128 pa = pow_ten(sca), pb = pow_ten(scb);
    unsigned __int128 ua = magnitude(a.m), ub = magnitude(b.m);
    unsigned __int128 ia = ua / pa, ib = ub / pb, fa = ua % pa, fb = ub % pb;
    int c;
    if (ia != ib) {
        c = ia < ib ? -1 : 1;
    } else {
        for (int k = sca; k < scb; k++)
            fa *= 10;
        for (int k = scb; k < sca; k++)
            fb *= 10;
        c = (fa > fb) - (fa < fb);
    }
    return sa < 0 ? -c : c;
}

bool sales_dec_fits(sales_dec_t a, int digits)
{
    if (digits < 0)
        return false;
    /* Every mantissa is below 1.7 * 10^38. */
    return digits > SALES_DEC_DIGITS_MAX || magnitude(a.m) < pow_ten(digits);
}

void sales_dec_format(sales_dec_t a, char *buf, size_t size)
{
    char digits[SALES_DEC_BUF];
    int n = 0;
    unsigned __int128 u = magnitude(a.m);
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while ((u > 0 || n <= a.scale) && n < (int)sizeof digits);
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
    /* CLF and UYW have four; the others have no minor unit in ISO 4217. */
    static const char *const four[] = {"CLF", "UYW", "XAG", "XAU", "XBA", "XBB", "XBC",
                                       "XBD", "XDR", "XPD", "XPT", "XSU", "XUA"};
    if (code == NULL)
        return 2;
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        if (strcmp(code, none[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        if (strcmp(code, three[i]) == 0)
            return 3;
    for (size_t i = 0; i < sizeof four / sizeof four[0]; i++)
        if (strcmp(code, four[i]) == 0)
            return 4;
    return 2;
}

/* ISO 4217 List One as amended to 2025, sorted for bsearch: the same codes
 * the records API takes for currency amounts. */
static const char codes[][4] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD",
    "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG",
};

static int code_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

bool sales_currency_valid(const char *code)
{
    if (code == NULL || strlen(code) != 3)
        return false;
    return bsearch(code, codes, sizeof codes / sizeof codes[0], sizeof codes[0], code_cmp) != NULL;
}
