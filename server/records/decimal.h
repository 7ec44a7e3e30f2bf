#ifndef RP_RECORDS_DECIMAL_H
#define RP_RECORDS_DECIMAL_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"

/* Room for any canonical decimal with its NUL: sign, 38 digits, the point and
 * a leading "0". */
#define RP_DECIMAL_BUF 48

/* Canonicalises the plain decimal text s[0..len): an optional sign, digits,
 * an optional point and digits (at least one digit in all; no exponent, no
 * spaces). The canonical form has no "+", no leading zeros before the units
 * digit, no trailing zeros after the point, no point when nothing follows it,
 * and zero is "0", never "-0". Rejects more than max_scale digits after the
 * point or more than RP_DECIMAL_DIGITS_MAX digits in all (both counted after
 * trimming). RP_EINVAL with a message in why on bad input. Never goes through
 * binary floating point, so no digit is lost or invented. */
rp_status_t rp_decimal_canon(const char *s, size_t len, int max_scale, char out[RP_DECIMAL_BUF],
                             char *why, size_t whylen);

/* Like rp_decimal_canon for a JSON value: a string in the form above, an
 * integer, or a real (written with the fewest digits that read back to the
 * same double, so 0.1 stays "0.1"). */
rp_status_t rp_decimal_from_json(const json_t *v, int max_scale, char out[RP_DECIMAL_BUF],
                                 char *why, size_t whylen);

/* Compares two canonical decimals exactly: <0, 0 or >0. */
int rp_decimal_cmp(const char *a, const char *b);

#endif
