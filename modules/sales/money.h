#ifndef SALES_MONEY_H
#define SALES_MONEY_H

/* Exact decimal arithmetic for amounts, quantities and rates: a 128-bit
 * mantissa and a scale (value = m / 10^scale). The records API gives
 * decimals and currency amounts as canonical strings ("12.5", "-3"), which
 * parse without loss; nothing here goes through a double. Every operation
 * reports overflow instead of wrapping. */

#include <stdbool.h>
#include <stddef.h>

/* A decimal value. */
typedef struct sales_dec {
    __int128 m; /* the digits */
    int scale;  /* digits after the point, 0..SALES_DEC_SCALE_MAX */
} sales_dec_t;

/* Largest scale kept; a product with more places is rounded to it. */
#define SALES_DEC_SCALE_MAX 30

/* Room for any formatted value: 39 digits, sign, point, NUL. */
#define SALES_DEC_BUF 48

/* Zero at scale 0. */
sales_dec_t sales_dec_zero(void);

/* A whole number. */
sales_dec_t sales_dec_int(long long n);

/* Parses "[-]digits[.digits]" (no exponent, no blanks); false when s is
 * NULL, malformed or too long. */
bool sales_dec_parse(const char *s, sales_dec_t *out);

/* *out = a + b, a - b, a * b; false on overflow. */
bool sales_dec_add(sales_dec_t a, sales_dec_t b, sales_dec_t *out);
bool sales_dec_sub(sales_dec_t a, sales_dec_t b, sales_dec_t *out);
bool sales_dec_mul(sales_dec_t a, sales_dec_t b, sales_dec_t *out);

/* a * pct / 100 (a rate in percent), exactly; false on overflow. */
bool sales_dec_percent(sales_dec_t a, sales_dec_t pct, sales_dec_t *out);

/* a rounded to places digits, half away from zero (commercial rounding);
 * a value with fewer places is padded, so the result has exactly places. */
sales_dec_t sales_dec_round(sales_dec_t a, int places);

/* -1, 0 or 1 as a is below, equal to or above b. */
int sales_dec_cmp(sales_dec_t a, sales_dec_t b);

/* Writes a with exactly its scale's digits after the point ("12.50",
 * "-3", "0.000"); buf holds at least SALES_DEC_BUF bytes. */
void sales_dec_format(sales_dec_t a, char *buf, size_t size);

/* Minor-unit digits of an ISO 4217 currency: 0 for JPY, KRW and the other
 * currencies without minor units, 3 for BHD, KWD and the other three-digit
 * ones, 2 for every other code. */
int sales_currency_places(const char *code);

#endif
