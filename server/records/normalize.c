#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/uuid.h"
#include "records/datetime.h"
#include "records/decimal.h"
#include "records/field.h"
#include "records/field_internal.h"
#include "records/formats.h"

static rp_status_t failf(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rp_status_t failf(char *why, size_t whylen, const char *fmt, ...)
{
    if (whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return RP_EINVAL;
}

static rp_status_t give(json_t *v, json_t **out)
{
    if (v == NULL)
        return RP_ENOMEM;
    *out = v;
    return RP_OK;
}

bool rp_field_type_has_bounds(rp_field_type_t type)
{
    switch (type) {
    case RP_FIELD_INTEGER:
    case RP_FIELD_DECIMAL:
    case RP_FIELD_CURRENCY:
    case RP_FIELD_PERCENT:
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        return true;
    default:
        return false;
    }
}

bool rp_field_is_empty(const json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* A string with no NUL inside (jansson allows them; C code downstream and
 * PostgreSQL text do not). */
static const char *plain_string(const json_t *in)
{
    if (!json_is_string(in))
        return NULL;
    const char *s = json_string_value(in);
    return strlen(s) == json_string_length(in) ? s : NULL;
}

static rp_status_t integer_canon(const json_t *in, json_t **out, char *why, size_t whylen)
{
    static const char range[] = "must be between -9223372036854775808 and 9223372036854775807";
    if (json_is_integer(in))
        return give(json_integer(json_integer_value(in)), out);
    if (json_is_real(in)) {
        double d = json_real_value(in);
        if (isfinite(d) && d == floor(d)) {
            /* 2^63 is exact in a double; the range is [-2^63, 2^63). */
            if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
                return failf(why, whylen, range);
            return give(json_integer((json_int_t)d), out);
        }
        return failf(why, whylen, "must be a whole number");
    }
    const char *s = plain_string(in);
    if (s != NULL) {
        size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (s[i] == '\0' || strspn(s + i, "0123456789") != strlen(s + i))
            return failf(why, whylen, "must be a whole number");
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno == ERANGE)
            return failf(why, whylen, range);
        return give(json_integer(v), out);
    }
    return failf(why, whylen, "must be a whole number");
}

static rp_status_t decimal_canon(const json_t *in, int scale, json_t **out, char *why,
                                 size_t whylen)
{
    char buf[RP_DECIMAL_BUF];
    if (json_is_string(in) && plain_string(in) == NULL)
        return failf(why, whylen, "must be a decimal number");
    rp_status_t st = rp_decimal_from_json(in, scale, buf, why, whylen);
    if (st != RP_OK)
        return st;
    return give(json_string(buf), out);
}

static rp_status_t date_canon(const json_t *in, json_t **out, char *why, size_t whylen)
{
    char buf[RP_DATE_BUF];
    const char *s = plain_string(in);
    if (s == NULL || !rp_date_canon(s, strlen(s), buf))
        return failf(why, whylen, "must be a valid date in the form YYYY-MM-DD");
    return give(json_string(buf), out);
}

static rp_status_t datetime_canon(const json_t *in, json_t **out, char *why, size_t whylen)
{
    char buf[RP_DATETIME_BUF];
    const char *s = plain_string(in);
    if (s == NULL || !rp_datetime_canon(s, strlen(s), buf))
        return failf(why, whylen,
                     "must be an RFC 3339 date and time with a time zone, like "
                     "2026-11-23T10:52:01Z");
    return give(json_string(buf), out);
}

rp_status_t rp_field_bound_parse(rp_field_type_t type, const json_t *in, json_t **out, char *why,
                                 size_t whylen)
{
    *out = NULL;
    switch (type) {
    case RP_FIELD_INTEGER:
        return integer_canon(in, out, why, whylen);
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        return decimal_canon(in, RP_DECIMAL_SCALE_MAX, out, why, whylen);
    case RP_FIELD_CURRENCY:
        return decimal_canon(in, RP_CURRENCY_SCALE_MAX, out, why, whylen);
    case RP_FIELD_DATE:
        return date_canon(in, out, why, whylen);
    case RP_FIELD_DATETIME:
        return datetime_canon(in, out, why, whylen);
    default:
        return failf(why, whylen, "is not available for %s fields", rp_field_type_name(type));
    }
}

static const char *amount_of(const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "amount");
    return json_string_value(v);
}

int rp_field_value_cmp(rp_field_type_t type, const json_t *a, const json_t *b)
{
    switch (type) {
    case RP_FIELD_INTEGER: {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
    case RP_FIELD_CURRENCY: {
        const char *x = amount_of(a), *y = amount_of(b);
        return x && y ? rp_decimal_cmp(x, y) : 0;
    }
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME: {
        const char *x = json_string_value(a), *y = json_string_value(b);
        if (!x || !y)
            return 0;
        int c = strcmp(x, y);
        return (c > 0) - (c < 0);
    }
    default:
        return 0;
    }
}

static void bound_text(const json_t *b, char *buf, size_t len)
{
    if (json_is_integer(b))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(b));
    else
        snprintf(buf, len, "%s", json_string_value(b) ? json_string_value(b) : "?");
}

static rp_status_t check_bounds(const rp_field_t *f, const json_t *v, char *why, size_t whylen)
{
    char b[64];
    bool dates = f->type == RP_FIELD_DATE || f->type == RP_FIELD_DATETIME;
    if (f->min != NULL && rp_field_value_cmp(f->type, v, f->min) < 0) {
        bound_text(f->min, b, sizeof b);
        return failf(why, whylen, dates ? "must be on or after %s" : "must be at least %s", b);
    }
    if (f->max != NULL && rp_field_value_cmp(f->type, v, f->max) > 0) {
        bound_text(f->max, b, sizeof b);
        return failf(why, whylen, dates ? "must be on or before %s" : "must be at most %s", b);
    }
    return RP_OK;
}

/* Writes "must be one of: a, b, c" (or the given prefix), cut with "..." when
 * the list does not fit. */
static rp_status_t fail_values(const rp_field_t *f, const char *prefix, char *why, size_t whylen)
{
    if (whylen == 0)
        return RP_EINVAL;
    int n = snprintf(why, whylen, "%s", prefix);
    for (size_t i = 0; i < f->nvalues && n >= 0 && (size_t)n < whylen; i++) {
        size_t room = whylen - (size_t)n;
        const char *sep = i == 0 ? "" : ", ";
        if (strlen(sep) + strlen(f->values[i]) + 4 >= room) {
            snprintf(why + n, room, "%s...", sep);
            break;
        }
        n += snprintf(why + n, room, "%s%s", sep, f->values[i]);
    }
    return RP_EINVAL;
}

static long value_index(const rp_field_t *f, const char *s)
{
    for (size_t i = 0; i < f->nvalues; i++)
        if (strcmp(f->values[i], s) == 0)
            return (long)i;
    return -1;
}

static rp_status_t text_canon(const rp_field_t *f, const json_t *in, json_t **out, char *why,
                              size_t whylen)
{
    const char *s = plain_string(in);
    if (!json_is_string(in))
        return failf(why, whylen, "must be text");
    if (s == NULL)
        return failf(why, whylen, "must not contain NUL characters");
    long n = rp_utf8_length(s);
    if (n < 0)
        return failf(why, whylen, "must be valid UTF-8 text");
    if (n > f->max_length)
        return failf(why, whylen, "must be at most %ld characters", f->max_length);
    if (f->pattern != NULL && regexec(&f->pattern_re, s, 0, NULL, 0) != 0)
        return failf(why, whylen, "must match the pattern %s", f->pattern);
    return give(json_stringn(s, json_string_length(in)), out);
}

static rp_status_t currency_canon(const rp_field_t *f, const json_t *in, json_t **out, char *why,
                                  size_t whylen)
{
    static const char shape[] = "must be an object with an amount and a currency code";
    if (!json_is_object(in) || json_object_size(in) != 2)
        return failf(why, whylen, shape);
    const json_t *amount = json_object_get(in, "amount");
    const char *code = plain_string(json_object_get(in, "currency"));
    if (amount == NULL || json_object_get(in, "currency") == NULL)
        return failf(why, whylen, shape);
    char upper[4] = {0};
    if (code != NULL && strlen(code) == 3)
        for (int i = 0; i < 3; i++)
            upper[i] = (char)toupper((unsigned char)code[i]);
    if (!rp_currency_code_valid(upper))
        return failf(why, whylen, "must have a currency that is an active ISO 4217 code, like EUR");
    char buf[RP_DECIMAL_BUF], sub[160];
    if (json_is_string(amount) && plain_string(amount) == NULL)
        return failf(why, whylen, "has an amount that must be a decimal number");
    if (rp_decimal_from_json(amount, RP_CURRENCY_SCALE_MAX, buf, sub, sizeof sub) != RP_OK)
        return failf(why, whylen, "has an amount that %s", sub);
    json_t *v = json_pack("{s:s, s:s}", "amount", buf, "currency", upper);
    return give(v, out);
}

static rp_status_t multipicklist_canon(const rp_field_t *f, const json_t *in, json_t **out,
                                       char *why, size_t whylen)
{
    if (!json_is_array(in))
        return fail_values(f, "must be an array of values from: ", why, whylen);
    bool *seen = calloc(f->nvalues ? f->nvalues : 1, sizeof *seen);
    if (seen == NULL)
        return RP_ENOMEM;
    rp_status_t st = RP_OK;
    size_t i;
    json_t *item;
    json_array_foreach(in, i, item)
    {
        const char *s = plain_string(item);
        long k = s ? value_index(f, s) : -1;
        if (k < 0) {
            st = fail_values(f, "must contain only values from: ", why, whylen);
            goto done;
        }
        if (seen[k]) {
            st = failf(why, whylen, "lists \"%s\" more than once", s);
            goto done;
        }
        seen[k] = true;
    }
    json_t *v = json_array();
    if (v == NULL) {
        st = RP_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < f->nvalues; k++) {
        if (seen[k] && json_array_append_new(v, json_string(f->values[k])) != 0) {
            json_decref(v);
            st = RP_ENOMEM;
            goto done;
        }
    }
    *out = v;
done:
    free(seen);
    return st;
}

static rp_status_t canon(const rp_field_t *f, const json_t *in, json_t **out, char *why,
                         size_t whylen)
{
    const char *s = plain_string(in);
    switch (f->type) {
    case RP_FIELD_TEXT:
    case RP_FIELD_TEXTAREA:
        return text_canon(f, in, out, why, whylen);
    case RP_FIELD_EMAIL: {
        char buf[RP_FIELD_EMAIL_MAX + 1];
        if (s == NULL || !rp_email_canon(s, strlen(s), buf))
            return failf(why, whylen, "must be a valid e-mail address");
        return give(json_string(buf), out);
    }
    case RP_FIELD_PHONE: {
        char buf[RP_PHONE_BUF];
        if (s == NULL || !rp_phone_canon(s, strlen(s), buf))
            return failf(why, whylen,
                         "must be a phone number in international form: + or 00, then 8 to 15 "
                         "digits");
        return give(json_string(buf), out);
    }
    case RP_FIELD_URL: {
        if (s != NULL && strlen(s) > RP_FIELD_URL_MAX)
            return failf(why, whylen, "must be at most %d characters", RP_FIELD_URL_MAX);
        char *buf = malloc(RP_FIELD_URL_MAX + 1);
        if (buf == NULL)
            return RP_ENOMEM;
        rp_status_t st;
        if (s == NULL || !rp_url_canon(s, strlen(s), buf))
            st = failf(why, whylen, "must be a valid http or https URL");
        else
            st = give(json_string(buf), out);
        free(buf);
        return st;
    }
    case RP_FIELD_INTEGER:
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        return rp_field_bound_parse(f->type, in, out, why, whylen);
    case RP_FIELD_CURRENCY:
        return currency_canon(f, in, out, why, whylen);
    case RP_FIELD_BOOLEAN:
        if (!json_is_boolean(in))
            return failf(why, whylen, "must be true or false");
        return give(json_boolean(json_is_true(in)), out);
    case RP_FIELD_PICKLIST:
        if (s == NULL || value_index(f, s) < 0)
            return fail_values(f, "must be one of: ", why, whylen);
        return give(json_string(s), out);
    case RP_FIELD_MULTIPICKLIST:
        return multipicklist_canon(f, in, out, why, whylen);
    case RP_FIELD_REFERENCE: {
        if (s == NULL || !rp_uuid_valid(s))
            return failf(why, whylen, "must be a record id (a UUID)");
        char buf[RP_UUID_LEN + 1];
        for (int i = 0; i <= RP_UUID_LEN; i++)
            buf[i] = (char)tolower((unsigned char)s[i]);
        return give(json_string(buf), out);
    }
    case RP_FIELD_AUTONUMBER:
    default:
        return failf(why, whylen, "is read-only");
    }
}

rp_status_t rp_field_normalize(const rp_field_t *f, const json_t *in, json_t **out, char *why,
                               size_t whylen)
{
    *out = NULL;
    if (whylen > 0)
        why[0] = '\0';
    if (f->type == RP_FIELD_AUTONUMBER)
        return failf(why, whylen, "is read-only");
    /* An empty string clears any field that is not text, so that forms and
     * CSV files can blank a value without knowing about null. */
    bool blank = json_is_string(in) && json_string_length(in) == 0 && f->type != RP_FIELD_TEXT &&
                 f->type != RP_FIELD_TEXTAREA;
    if (in == NULL || json_is_null(in) || blank)
        return give(json_null(), out);
    json_t *v = NULL;
    rp_status_t st = canon(f, in, &v, why, whylen);
    if (st != RP_OK)
        return st;
    if (rp_field_type_has_bounds(f->type) && (st = check_bounds(f, v, why, whylen)) != RP_OK) {
        json_decref(v);
        return st;
    }
    *out = v;
    return RP_OK;
}
