#ifndef SALES_MONEY_H
#define SALES_MONEY_H

/* Exact decimal arithmetic for amounts, quantities and rates: a 128-bit
 * mantissa and a scale (value = m / 10^scale). The records API gives
 * decimals and currency amounts as canonical strings ("12.5", "-3"), which
 * parse without loss; nothing here goes through a double. Every operation
 * reports overflow instead of wrapping.
 *
 * Rounding happens once: sales_dec_mul_round and sales_dec_product_round
 * round the exact product, never an intermediate result, so a chain such as
 * quantity * price * (100 - discount) / 100 gives the same cent as pencil
 * and paper. Pure C: no host call, unit-tested on its own. */

#include <stdbool.h>
#include <stddef.h>

/* A decimal value. */
typedef struct sales_dec {
    __int128 m; /* the digits */
    int scale;  /* digits after the point, 0..SALES_DEC_SCALE_MAX */
} sales_dec_t;

/* Largest scale kept; a product with more places is rounded to it. */
#define SALES_DEC_SCALE_MAX 30

/* Most significant digits a value holds (10^38 still fits 128 bits). */
#define SALES_DEC_DIGITS_MAX 38

/* Room for any formatted value: 39 digits, sign, point, NUL. */
#define SALES_DEC_BUF 48

/* Zero at scale 0. */
sales_dec_t sales_dec_zero(void);

/* A whole number. */
sales_dec_t sales_dec_int(long long n);

/* Parses plain decimal text the way the records API takes it:
 * "[+-]digits[.digits]", ".5" and "5." included (at least one digit, no
 * exponent, no blanks). Trailing zeros after the point are kept ("12.50"
 * has scale 2) unless the value would not fit otherwise. False when s is
 * NULL, malformed or holds more than SALES_DEC_DIGITS_MAX significant
 * digits or SALES_DEC_SCALE_MAX places. */
bool sales_dec_parse(const char *s, sales_dec_t *out);

/* The decimal a JSON number read as a double stands for: the fewest
 * digits that read back to the same double (0.1 gives "0.1"), as the
 * records API stores it. False for NaN, infinities and values that do not
 * fit. */
bool sales_dec_from_real(double d, sales_dec_t *out);

/* *out = a + b, a - b, a * b; false on overflow. A product with more than
 * SALES_DEC_SCALE_MAX places is rounded (half away from zero) to that. */
bool sales_dec_add(sales_dec_t a, sales_dec_t b, sales_dec_t *out);
bool sales_dec_sub(sales_dec_t a, sales_dec_t b, sales_dec_t *out);
bool sales_dec_mul(sales_dec_t a, sales_dec_t b, sales_dec_t *out);

/* a * pct / 100 (a rate in percent), rounded only past
 * SALES_DEC_SCALE_MAX places; false on overflow. */
bool sales_dec_percent(sales_dec_t a, sales_dec_t pct, sales_dec_t *out);

/* The exact product of the n factors (1..3) divided by 10^shift, rounded
 * once, half away from zero, to places digits after the point (0..
 * SALES_DEC_SCALE_MAX). False when the rounded result does not fit, or on
 * bad arguments. The product itself may be far wider than 128 bits. */
bool sales_dec_product_round(const sales_dec_t *factors, int n, int shift, int places,
                             sales_dec_t *out);

/* round(a * b, places), half away from zero, from the exact product. */
bool sales_dec_mul_round(sales_dec_t a, sales_dec_t b, int places, sales_dec_t *out);

/* a rounded to places digits, half away from zero (commercial rounding);
 * a value with fewer places is padded, so the result has exactly places
 * (when padding would overflow, a is returned as it is). */
sales_dec_t sales_dec_round(sales_dec_t a, int places);

/* -1, 0 or 1 as a is below, equal to or above b (exact at any scales). */
int sales_dec_cmp(sales_dec_t a, sales_dec_t b);

/* -1, 0 or 1: the sign of a. */
int sales_dec_sign(sales_dec_t a);

/* True when a has at most digits significant digits in its mantissa (at its
 * own scale): how amounts are kept within what the records API stores. */
bool sales_dec_fits(sales_dec_t a, int digits);

/* Writes a with exactly its scale's digits after the point ("12.50",
 * "-3", "0.000"); buf holds at least SALES_DEC_BUF bytes. */
void sales_dec_format(sales_dec_t a, char *buf, size_t size);

/* Minor-unit digits of an ISO 4217 currency: 0 for JPY, KRW and the other
 * currencies without minor units, 3 for BHD, KWD and the other three-digit
 * ones, 4 for CLF and UYW and for the codes ISO gives no minor unit
 * (precious metals, SDR: four places is the most a currency amount holds),
 * 2 for every other code. */
int sales_currency_places(const char *code);

/* True when code is an active ISO 4217 code in upper case (the list the
 * records API accepts for currency amounts: XTS, XXX and withdrawn codes
 * such as HRK are not). */
bool sales_currency_valid(const char *code);

#endif
