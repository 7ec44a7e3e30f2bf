#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "records/import.h"

static bool word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

static json_t *text(const char *s, size_t len, char *why, size_t whylen)
{
    json_t *v = json_stringn(s, len);
    if (v == NULL && memchr(s, '\0', len) == NULL)
        snprintf(why, whylen, "must be valid UTF-8 text");
    else if (v == NULL)
        snprintf(why, whylen, "must not contain NUL characters");
    return v;
}

static json_t *boolean(const char *s, size_t len, char *why, size_t whylen)
{
    static const char *const yes[] = {"true", "yes", "1", "t", "y"};
    static const char *const no[] = {"false", "no", "0", "f", "n"};
    trim(&s, &len);
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (word_is(s, len, yes[i]))
            return json_true();
        if (word_is(s, len, no[i]))
            return json_false();
    }
    snprintf(why, whylen, "must be true or false");
    return NULL;
}

/* "1250.00 EUR": the amount, a space, the ISO 4217 code. */
static json_t *currency(const char *s, size_t len, char *why, size_t whylen)
{
    trim(&s, &len);
    const char *sp = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == ' ') {
            sp = s + i - 1;
            break;
        }
    if (sp == NULL) {
        snprintf(why, whylen, "must be an amount and a currency code, like 1250.00 EUR");
        return NULL;
    }
    size_t alen = (size_t)(sp - s);
    const char *code = sp + 1;
    size_t clen = len - alen - 1;
    while (alen > 0 && s[alen - 1] == ' ')
        alen--;
    json_t *v = json_object();
    if (v == NULL)
        return NULL;
    json_t *amount = json_stringn(s, alen), *cur = json_stringn(code, clen);
    if (amount == NULL || cur == NULL) {
        json_decref(amount);
        json_decref(cur);
        json_decref(v);
        snprintf(why, whylen, "must be an amount and a currency code, like 1250.00 EUR");
        return NULL;
    }
    json_object_set_new(v, "amount", amount);
    json_object_set_new(v, "currency", cur);
    return v;
}

/* "a;b;c", blanks around values ignored. */
static json_t *values(const char *s, size_t len, char *why, size_t whylen)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    size_t from = 0;
    while (from <= len) {
        const char *semi = memchr(s + from, ';', len - from);
        size_t end = semi ? (size_t)(semi - s) : len;
        const char *item = s + from;
        size_t ilen = end - from;
        trim(&item, &ilen);
        if (ilen > 0) {
            json_t *v = text(item, ilen, why, whylen);
            if (v == NULL || json_array_append_new(arr, v) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        from = end + 1;
    }
    return arr;
}

json_t *rp_import_cell(const rp_field_t *f, const char *s, size_t len, char *why, size_t whylen)
{
    why[0] = '\0';
    switch (f->type) {
    case RP_FIELD_BOOLEAN:
        return boolean(s, len, why, whylen);
    case RP_FIELD_CURRENCY:
        return currency(s, len, why, whylen);
    case RP_FIELD_MULTIPICKLIST: {
        size_t skip = rp_csv_formula_unescape(s, len);
        return values(s + skip, len - skip, why, whylen);
    }
    case RP_FIELD_INTEGER:
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
    case RP_FIELD_REFERENCE:
    case RP_FIELD_PHONE:
        trim(&s, &len);
        return text(s, len, why, whylen);
    default: {
        /* Undo the export's formula escape (records/csv.h). */
        size_t skip = rp_csv_formula_unescape(s, len);
        return text(s + skip, len - skip, why, whylen);
    }
    }
}
