#ifndef RP_RECORDS_FIELD_H
#define RP_RECORDS_FIELD_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* The type of a record field. The order is part of nothing: names, not
 * numbers, are what is stored and exchanged (rp_field_type_name). */
typedef enum rp_field_type {
    RP_FIELD_TEXT,
    RP_FIELD_TEXTAREA,
    RP_FIELD_EMAIL,
    RP_FIELD_PHONE,
    RP_FIELD_URL,
    RP_FIELD_INTEGER,
    RP_FIELD_DECIMAL,
    RP_FIELD_CURRENCY,
    RP_FIELD_PERCENT,
    RP_FIELD_BOOLEAN,
    RP_FIELD_DATE,
    RP_FIELD_DATETIME,
    RP_FIELD_PICKLIST,
    RP_FIELD_MULTIPICKLIST,
    RP_FIELD_REFERENCE,
    RP_FIELD_AUTONUMBER,
    RP_FIELD_TYPE_COUNT /* not a type: the number of types */
} rp_field_type_t;

/* What happens to a referencing record when its target is deleted. */
typedef enum rp_on_delete {
    RP_ON_DELETE_RESTRICT, /* the delete is refused (the default) */
    RP_ON_DELETE_SET_NULL, /* the reference is cleared */
    RP_ON_DELETE_CASCADE,  /* the referencing record is deleted too */
} rp_on_delete_t;

/* Locales a field label may be given in, indexes into rp_field_t.labels. */
typedef enum rp_locale {
    RP_LOCALE_EN,
    RP_LOCALE_FR,
    RP_LOCALE_ES,
    RP_LOCALE_COUNT /* not a locale: the number of locales */
} rp_locale_t;

/* Longest field or object API name, in bytes (names are ASCII). */
#define RP_FIELD_NAME_MAX 63

/* Longest label, help text, picklist value and pattern, in code points. */
#define RP_FIELD_LABEL_MAX 255
#define RP_FIELD_HELP_MAX 1000
#define RP_FIELD_VALUE_MAX 255
#define RP_FIELD_PATTERN_MAX 1000

/* Most picklist values one field may declare. */
#define RP_FIELD_VALUES_MAX 1000

/* Default and largest max_length of text and textarea fields (code points). */
#define RP_FIELD_TEXT_DEFAULT_LENGTH 255
#define RP_FIELD_TEXT_MAX_LENGTH 1024
#define RP_FIELD_TEXTAREA_DEFAULT_LENGTH 32768
#define RP_FIELD_TEXTAREA_MAX_LENGTH 131072

/* Longest stored e-mail address and URL, in bytes. */
#define RP_FIELD_EMAIL_MAX 254
#define RP_FIELD_URL_MAX 2048

/* Precision of decimal, percent and currency values: significant digits and
 * digits after the point (currency amounts allow RP_CURRENCY_SCALE_MAX). */
#define RP_DECIMAL_DIGITS_MAX 38
#define RP_DECIMAL_SCALE_MAX 18
#define RP_CURRENCY_SCALE_MAX 4

/* A parsed field definition. Owns every pointer in it; release with
 * rp_field_free(). Options that the type does not take stay zero/NULL. */
typedef struct rp_field {
    char name[RP_FIELD_NAME_MAX + 1];
    rp_field_type_t type;
    char *label;                   /* the default label; NULL: none given */
    char *labels[RP_LOCALE_COUNT]; /* per-locale labels; NULL when absent */
    char *help;                    /* NULL: none */
    bool required;
    bool unique;
    bool indexed;
    bool searchable;
    bool read_only;
    json_t *default_value; /* canonical (normalised) value; NULL: none */
    /* Bounds in the canonical stored form of the type (a JSON integer for
     * integer, a decimal string for decimal, percent and currency amounts, a
     * date or datetime string); NULL: unbounded. */
    json_t *min;
    json_t *max;
    long max_length;     /* text, textarea: the effective limit, code points */
    bool max_length_set; /* whether the definition gave max_length */
    char *pattern;       /* the source of the pattern; NULL: none */
    regex_t pattern_re;  /* compiled, anchored; valid only when pattern != NULL */
    char **values;       /* picklist values, in definition order */
    size_t nvalues;
    char *reference; /* target object API name (reference fields) */
    rp_on_delete_t on_delete;
    char *format; /* autonumber format, e.g. "INV-{00000}" */
} rp_field_t;

/* The API name of a field type ("text", "multipicklist", ...); "unknown" for
 * an out-of-range value. */
const char *rp_field_type_name(rp_field_type_t type);

/* The type named by name, or -1 when there is none (names are lower case and
 * matched exactly). */
int rp_field_type_parse(const char *name);

/* The API name of an on_delete rule ("restrict", "set_null", "cascade"). */
const char *rp_on_delete_name(rp_on_delete_t rule);

/* True when name is a valid API name: a lower-case ASCII letter, then
 * [a-z0-9_], at most RP_FIELD_NAME_MAX bytes. Custom names (custom = true)
 * must end in "__c" after at least one character; other names must not, so a
 * tenant's custom field can never clash with a field a module adds later. */
bool rp_field_name_valid(const char *name, bool custom);

/* Parses a field definition in its JSON form (see server/records/README.md)
 * into out, which is zeroed first. The name may be a standard or a custom
 * one; callers that create tenant fields also check rp_field_name_valid(name,
 * true). On bad input returns RP_EINVAL and adds one {member: message} per
 * problem to errors (an object; may be NULL when the caller only wants the
 * verdict); out is then left empty. RP_ENOMEM on allocation failure. */
rp_status_t rp_field_parse(const json_t *def, rp_field_t *out, json_t *errors);

/* Releases what a parsed field owns and zeroes it. Safe on a zeroed field. */
void rp_field_free(rp_field_t *f);

/* The JSON form of a parsed field, as the describe API gives it: every option
 * that is set, plus the effective max_length of text types. Parsing the result
 * gives back an equal field. New reference; NULL on allocation failure. */
json_t *rp_field_describe(const rp_field_t *f);

/* True when v carries no value: NULL, JSON null, "" or an empty array. The
 * engine uses this for required checks. */
bool rp_field_is_empty(const json_t *v);

/* Validates a value written to field f and gives the canonical value to store
 * in *out (a new reference). JSON null is accepted and stored as null (it
 * clears the field; required checks are the caller's). On a bad value returns
 * RP_EINVAL, leaves *out NULL and writes a message that completes the sentence
 * "<field> ..." into why ("must be a valid e-mail address"). RP_ENOMEM on
 * allocation failure. */
rp_status_t rp_field_normalize(const rp_field_t *f, const json_t *in, json_t **out, char *why,
                               size_t whylen);

/* Compares two canonical non-null values of field type type (as produced by
 * rp_field_normalize; for currency, the amounts): <0, 0 or >0. Used for
 * min/max and by callers that sort or compare in memory. Only defined for
 * integer, decimal, percent, currency, date and datetime; 0 otherwise. */
int rp_field_value_cmp(rp_field_type_t type, const json_t *a, const json_t *b);

/* True when format is a valid autonumber format: literal text (printable
 * ASCII, no braces) around exactly one "{0...0}" of 1 to 18 zeros, at most 64
 * bytes in all. */
bool rp_autonumber_format_valid(const char *format);

/* Writes sequence number n (>= 0) formatted by format into out: the zeros
 * placeholder becomes n zero-padded to that many digits (more digits are kept,
 * never cut). RP_EINVAL on an invalid format or negative n, RP_ELIMIT when out
 * is too small. */
rp_status_t rp_autonumber_format(const char *format, long long n, char *out, size_t outlen);

#endif
