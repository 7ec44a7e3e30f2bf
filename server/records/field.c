#include "records/field.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "records/field_internal.h"

static const char *const type_names[RP_FIELD_TYPE_COUNT] = {
    [RP_FIELD_TEXT] = "text",
    [RP_FIELD_TEXTAREA] = "textarea",
    [RP_FIELD_EMAIL] = "email",
    [RP_FIELD_PHONE] = "phone",
    [RP_FIELD_URL] = "url",
    [RP_FIELD_INTEGER] = "integer",
    [RP_FIELD_DECIMAL] = "decimal",
    [RP_FIELD_CURRENCY] = "currency",
    [RP_FIELD_PERCENT] = "percent",
    [RP_FIELD_BOOLEAN] = "boolean",
    [RP_FIELD_DATE] = "date",
    [RP_FIELD_DATETIME] = "datetime",
    [RP_FIELD_PICKLIST] = "picklist",
    [RP_FIELD_MULTIPICKLIST] = "multipicklist",
    [RP_FIELD_REFERENCE] = "reference",
    [RP_FIELD_AUTONUMBER] = "autonumber",
};

static const char *const on_delete_names[] = {"restrict", "set_null", "cascade"};
static const char *const locale_names[RP_LOCALE_COUNT] = {"en", "fr", "es"};

const char *rp_field_type_name(rp_field_type_t type)
{
    if ((int)type < 0 || type >= RP_FIELD_TYPE_COUNT)
        return "unknown";
    return type_names[type];
}

int rp_field_type_parse(const char *name)
{
    for (int i = 0; name != NULL && i < RP_FIELD_TYPE_COUNT; i++)
        if (strcmp(type_names[i], name) == 0)
            return i;
    return -1;
}

const char *rp_on_delete_name(rp_on_delete_t rule)
{
    if ((int)rule < 0 || rule > RP_ON_DELETE_CASCADE)
        return "unknown";
    return on_delete_names[rule];
}

bool rp_field_name_valid(const char *name, bool custom)
{
    if (name == NULL)
        return false;
    size_t n = strlen(name);
    if (n == 0 || n > RP_FIELD_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    bool has_suffix = n > 3 && strcmp(name + n - 3, "__c") == 0;
    return custom ? has_suffix : !has_suffix;
}

void rp_field_free(rp_field_t *f)
{
    if (f == NULL)
        return;
    free(f->label);
    for (int i = 0; i < RP_LOCALE_COUNT; i++)
        free(f->labels[i]);
    free(f->help);
    json_decref(f->default_value);
    json_decref(f->min);
    json_decref(f->max);
    if (f->pattern != NULL)
        regfree(&f->pattern_re);
    free(f->pattern);
    for (size_t i = 0; i < f->nvalues; i++)
        free(f->values[i]);
    free(f->values);
    free(f->reference);
    free(f->format);
    memset(f, 0, sizeof *f);
}

/* Parsing state: the errors object and whether anything failed. */
typedef struct parse {
    json_t *errors;
    bool bad;
    bool oom;
} parse_t;

static void err(parse_t *p, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err(parse_t *p, const char *member, const char *fmt, ...)
{
    p->bad = true;
    if (p->errors == NULL || json_object_get(p->errors, member) != NULL)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (json_object_set_new(p->errors, member, json_string(msg)) != 0)
        p->oom = true;
}

static char *dup_str(parse_t *p, const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        p->oom = true;
    return d;
}

/* A string member of 1 to max code points, with no NUL inside; NULL (and an
 * error) otherwise. */
static const char *text_member(parse_t *p, const char *member, const json_t *v, long max)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != json_string_length(v)) {
        err(p, member, "must be a string");
        return NULL;
    }
    long n = rp_utf8_length(s);
    if (n < 1 || n > max) {
        err(p, member, "must be 1 to %ld characters long", max);
        return NULL;
    }
    return s;
}

static bool is_text(rp_field_type_t t)
{
    return t == RP_FIELD_TEXT || t == RP_FIELD_TEXTAREA;
}

static bool is_picklist(rp_field_type_t t)
{
    return t == RP_FIELD_PICKLIST || t == RP_FIELD_MULTIPICKLIST;
}

static bool searchable_type(rp_field_type_t t)
{
    return is_text(t) || is_picklist(t) || t == RP_FIELD_EMAIL || t == RP_FIELD_PHONE ||
           t == RP_FIELD_URL || t == RP_FIELD_AUTONUMBER;
}

static bool unique_type(rp_field_type_t t)
{
    return t != RP_FIELD_TEXTAREA && t != RP_FIELD_BOOLEAN && t != RP_FIELD_MULTIPICKLIST;
}

static void parse_labels(parse_t *p, rp_field_t *f, const json_t *v)
{
    if (!json_is_object(v)) {
        err(p, "labels", "must be an object of locale: label");
        return;
    }
    const char *key;
    json_t *label;
    json_object_foreach((json_t *)v, key, label)
    {
        int loc = -1;
        for (int i = 0; i < RP_LOCALE_COUNT; i++)
            if (strcmp(key, locale_names[i]) == 0)
                loc = i;
        if (loc < 0) {
            err(p, "labels", "has unknown locale \"%s\" (known: en, fr, es)", key);
            continue;
        }
        const char *s = text_member(p, "labels", label, RP_FIELD_LABEL_MAX);
        if (s != NULL)
            f->labels[loc] = dup_str(p, s);
    }
}

static void parse_values(parse_t *p, rp_field_t *f, const json_t *v)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0 || n > RP_FIELD_VALUES_MAX) {
        err(p, "values", "must be an array of 1 to %d strings", RP_FIELD_VALUES_MAX);
        return;
    }
    f->values = calloc(n, sizeof *f->values);
    if (f->values == NULL) {
        p->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = text_member(p, "values", json_array_get(v, i), RP_FIELD_VALUE_MAX);
        if (s == NULL)
            return;
        for (size_t k = 0; k < f->nvalues; k++) {
            if (strcmp(f->values[k], s) == 0) {
                err(p, "values", "lists \"%s\" more than once", s);
                return;
            }
        }
        if ((f->values[f->nvalues] = dup_str(p, s)) == NULL)
            return;
        f->nvalues++;
    }
}

static void parse_pattern(parse_t *p, rp_field_t *f, const json_t *v)
{
    const char *s = text_member(p, "pattern", v, RP_FIELD_PATTERN_MAX);
    if (s == NULL)
        return;
    /* Compiled once alone so that a pattern cannot close the anchoring group
     * below and escape it: alone, such a pattern has unbalanced parentheses. */
    regex_t probe;
    int rc = regcomp(&probe, s, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &probe, msg, sizeof msg);
        err(p, "pattern", "is not a valid POSIX extended regular expression: %s", msg);
        return;
    }
    regfree(&probe);
    size_t len = strlen(s) + 5;
    char *anchored = malloc(len);
    if (anchored == NULL) {
        p->oom = true;
        return;
    }
    snprintf(anchored, len, "^(%s)$", s);
    rc = regcomp(&f->pattern_re, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    if (rc != 0) {
        err(p, "pattern", "is not a valid POSIX extended regular expression");
        return;
    }
    if ((f->pattern = strdup(s)) == NULL) {
        regfree(&f->pattern_re);
        p->oom = true;
    }
}

static void parse_bound(parse_t *p, rp_field_t *f, const char *member, const json_t *v,
                        json_t **out)
{
    if (!rp_field_type_has_bounds(f->type)) {
        err(p, member, "is not available for %s fields", rp_field_type_name(f->type));
        return;
    }
    char why[256];
    rp_status_t st = rp_field_bound_parse(f->type, v, out, why, sizeof why);
    if (st == RP_ENOMEM)
        p->oom = true;
    else if (st != RP_OK)
        err(p, member, "%s", why);
}

static const char *const members[] = {
    "name",    "type",       "label",     "labels",    "help",   "required", "unique",
    "indexed", "searchable", "read_only", "default",   "min",    "max",      "max_length",
    "pattern", "values",     "reference", "on_delete", "format", NULL,
};

static bool option_given(const json_t *def, const char *name)
{
    return json_object_get(def, name) != NULL;
}

/* Options that only some types take: refused on the others. */
static void check_type_options(parse_t *p, const json_t *def, rp_field_type_t t)
{
    static const struct {
        const char *member;
        bool (*fits)(rp_field_type_t);
    } rules[] = {
        {"max_length", is_text},
        {"pattern", is_text},
        {"values", is_picklist},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (option_given(def, rules[i].member) && !rules[i].fits(t))
            err(p, rules[i].member, "is not available for %s fields", rp_field_type_name(t));
    if (t != RP_FIELD_REFERENCE) {
        if (option_given(def, "reference"))
            err(p, "reference", "is not available for %s fields", rp_field_type_name(t));
        if (option_given(def, "on_delete"))
            err(p, "on_delete", "is not available for %s fields", rp_field_type_name(t));
    }
    if (t != RP_FIELD_AUTONUMBER && option_given(def, "format"))
        err(p, "format", "is not available for %s fields", rp_field_type_name(t));
    if (t == RP_FIELD_AUTONUMBER && option_given(def, "default"))
        err(p, "default", "is not available for autonumber fields");
    if (json_is_true(json_object_get(def, "unique")) && !unique_type(t))
        err(p, "unique", "is not available for %s fields", rp_field_type_name(t));
    if (json_is_true(json_object_get(def, "searchable")) && !searchable_type(t))
        err(p, "searchable", "is not available for %s fields", rp_field_type_name(t));
}

static void parse_flags(parse_t *p, rp_field_t *f, const json_t *def)
{
    static const char *const names[] = {"required", "unique", "indexed", "searchable", "read_only"};
    bool *slots[] = {&f->required, &f->unique, &f->indexed, &f->searchable, &f->read_only};
    for (size_t i = 0; i < 5; i++) {
        const json_t *v = json_object_get(def, names[i]);
        if (v == NULL)
            continue;
        if (!json_is_boolean(v))
            err(p, names[i], "must be true or false");
        else
            *slots[i] = json_is_true(v);
    }
}

static void parse_typed(parse_t *p, rp_field_t *f, const json_t *def)
{
    const json_t *v;
    rp_field_type_t t = f->type;
    check_type_options(p, def, t);
    if (is_text(t)) {
        long cap = t == RP_FIELD_TEXT ? RP_FIELD_TEXT_MAX_LENGTH : RP_FIELD_TEXTAREA_MAX_LENGTH;
        f->max_length =
            t == RP_FIELD_TEXT ? RP_FIELD_TEXT_DEFAULT_LENGTH : RP_FIELD_TEXTAREA_DEFAULT_LENGTH;
        if ((v = json_object_get(def, "max_length")) != NULL) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > cap) {
                err(p, "max_length", "must be a whole number from 1 to %ld", cap);
            } else {
                f->max_length = (long)json_integer_value(v);
                f->max_length_set = true;
            }
        }
        if ((v = json_object_get(def, "pattern")) != NULL)
            parse_pattern(p, f, v);
    }
    if (is_picklist(t)) {
        if ((v = json_object_get(def, "values")) == NULL)
            err(p, "values", "is required for %s fields", rp_field_type_name(t));
        else
            parse_values(p, f, v);
    }
    if (t == RP_FIELD_REFERENCE) {
        if ((v = json_object_get(def, "reference")) == NULL) {
            err(p, "reference", "is required for reference fields");
        } else {
            const char *s = json_string_value(v);
            if (s == NULL || (!rp_field_name_valid(s, false) && !rp_field_name_valid(s, true)))
                err(p, "reference", "must be the API name of an object");
            else
                f->reference = dup_str(p, s);
        }
        if ((v = json_object_get(def, "on_delete")) != NULL) {
            const char *s = json_string_value(v);
            int rule = -1;
            for (int i = 0; s != NULL && i <= RP_ON_DELETE_CASCADE; i++)
                if (strcmp(s, on_delete_names[i]) == 0)
                    rule = i;
            if (rule < 0)
                err(p, "on_delete", "must be one of: restrict, set_null, cascade");
            else
                f->on_delete = (rp_on_delete_t)rule;
        }
        if (f->on_delete == RP_ON_DELETE_SET_NULL && f->required)
            err(p, "on_delete", "cannot be set_null on a required field");
    }
    if (t == RP_FIELD_AUTONUMBER) {
        /* The engine alone writes autonumbers. */
        f->read_only = true;
        if ((v = json_object_get(def, "format")) == NULL)
            err(p, "format", "is required for autonumber fields");
        else if (!rp_autonumber_format_valid(json_string_value(v)))
            err(p, "format",
                "must be literal text around one {0...0} placeholder, like "
                "INV-{00000}");
        else
            f->format = dup_str(p, json_string_value(v));
    }
    if ((v = json_object_get(def, "min")) != NULL && !json_is_null(v))
        parse_bound(p, f, "min", v, &f->min);
    if ((v = json_object_get(def, "max")) != NULL && !json_is_null(v))
        parse_bound(p, f, "max", v, &f->max);
    if (f->min != NULL && f->max != NULL && rp_field_value_cmp(t, f->min, f->max) > 0)
        err(p, "min", "must not be greater than max");
}

rp_status_t rp_field_parse(const json_t *def, rp_field_t *out, json_t *errors)
{
    parse_t p = {.errors = errors};
    memset(out, 0, sizeof *out);
    if (!json_is_object(def)) {
        err(&p, "definition", "must be a JSON object");
        return p.oom ? RP_ENOMEM : RP_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)def, key, v)
    {
        bool known = false;
        for (size_t i = 0; members[i] != NULL && !known; i++)
            known = strcmp(members[i], key) == 0;
        if (!known)
            err(&p, key, "is not a field option");
    }

    if ((v = json_object_get(def, "name")) == NULL) {
        err(&p, "name", "is required");
    } else {
        const char *s = json_string_value(v);
        if (s == NULL || (!rp_field_name_valid(s, false) && !rp_field_name_valid(s, true)))
            err(&p, "name",
                "must start with a lower-case letter and hold only a-z, 0-9 and _ (at most "
                "%d characters)",
                RP_FIELD_NAME_MAX);
        else
            memcpy(out->name, s, strlen(s) + 1);
    }
    int type = -1;
    if ((v = json_object_get(def, "type")) == NULL) {
        err(&p, "type", "is required");
    } else if ((type = rp_field_type_parse(json_string_value(v))) < 0) {
        err(&p, "type",
            "must be one of: text, textarea, email, phone, url, integer, decimal, currency, "
            "percent, boolean, date, datetime, picklist, multipicklist, reference, autonumber");
    }
    out->type = type < 0 ? RP_FIELD_TEXT : (rp_field_type_t)type;

    const char *s;
    if ((v = json_object_get(def, "label")) != NULL &&
        (s = text_member(&p, "label", v, RP_FIELD_LABEL_MAX)) != NULL)
        out->label = dup_str(&p, s);
    if ((v = json_object_get(def, "labels")) != NULL)
        parse_labels(&p, out, v);
    if ((v = json_object_get(def, "help")) != NULL &&
        (s = text_member(&p, "help", v, RP_FIELD_HELP_MAX)) != NULL)
        out->help = dup_str(&p, s);
    parse_flags(&p, out, def);

    if (type >= 0) {
        parse_typed(&p, out, def);
        /* The default is checked last, against every other option. */
        v = json_object_get(def, "default");
        if (v != NULL && !json_is_null(v) && !p.bad && !p.oom) {
            char why[512];
            rp_status_t st = rp_field_normalize(out, v, &out->default_value, why, sizeof why);
            if (st == RP_ENOMEM)
                p.oom = true;
            else if (st != RP_OK)
                err(&p, "default", "%s", why);
            else if (json_is_null(out->default_value)) {
                json_decref(out->default_value);
                out->default_value = NULL;
            }
        }
    }

    if (p.oom || p.bad) {
        rp_field_free(out);
        return p.oom ? RP_ENOMEM : RP_EINVAL;
    }
    return RP_OK;
}

static int set_str(json_t *o, const char *key, const char *s)
{
    return s == NULL ? 0 : json_object_set_new(o, key, json_string(s));
}

json_t *rp_field_describe(const rp_field_t *f)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int rc = 0;
    rc |= set_str(o, "name", f->name);
    rc |= set_str(o, "type", rp_field_type_name(f->type));
    rc |= set_str(o, "label", f->label);
    json_t *labels = NULL;
    for (int i = 0; i < RP_LOCALE_COUNT; i++) {
        if (f->labels[i] == NULL)
            continue;
        if (labels == NULL && (labels = json_object()) == NULL) {
            rc = -1;
            break;
        }
        rc |= set_str(labels, locale_names[i], f->labels[i]);
    }
    if (labels != NULL)
        rc |= json_object_set_new(o, "labels", labels);
    rc |= set_str(o, "help", f->help);
    rc |= json_object_set_new(o, "required", json_boolean(f->required));
    rc |= json_object_set_new(o, "unique", json_boolean(f->unique));
    rc |= json_object_set_new(o, "indexed", json_boolean(f->indexed));
    rc |= json_object_set_new(o, "searchable", json_boolean(f->searchable));
    rc |= json_object_set_new(o, "read_only", json_boolean(f->read_only));
    if (f->default_value != NULL)
        rc |= json_object_set(o, "default", f->default_value);
    if (f->min != NULL)
        rc |= json_object_set(o, "min", f->min);
    if (f->max != NULL)
        rc |= json_object_set(o, "max", f->max);
    if (is_text(f->type))
        rc |= json_object_set_new(o, "max_length", json_integer(f->max_length));
    rc |= set_str(o, "pattern", f->pattern);
    if (is_picklist(f->type)) {
        json_t *values = json_array();
        for (size_t i = 0; values != NULL && i < f->nvalues; i++)
            rc |= json_array_append_new(values, json_string(f->values[i]));
        rc |= values == NULL ? -1 : json_object_set_new(o, "values", values);
    }
    if (f->type == RP_FIELD_REFERENCE) {
        rc |= set_str(o, "reference", f->reference);
        rc |= set_str(o, "on_delete", rp_on_delete_name(f->on_delete));
    }
    rc |= set_str(o, "format", f->format);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
