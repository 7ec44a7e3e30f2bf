#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "records/meta_internal.h"

static const char *const locales[RP_LOCALE_COUNT] = {"en", "fr", "es"};

static void add_error(json_t *errors, bool *bad, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(json_t *errors, bool *bad, const char *member, const char *fmt, ...)
{
    *bad = true;
    if (errors == NULL || json_object_get(errors, member) != NULL)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_object_set_new(errors, member, json_string(msg));
}

/* A label: 1 to RP_FIELD_LABEL_MAX code points of valid UTF-8, no NUL. */
static const char *label_value(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != json_string_length(v))
        return NULL;
    long n = rp_utf8_length(s);
    return n >= 1 && n <= RP_FIELD_LABEL_MAX ? s : NULL;
}

rp_object_t *rp_object_parse(const json_t *def, bool custom, const char *module, json_t *errors,
                             rp_status_t *st)
{
    bool bad = false;
    *st = RP_EINVAL;
    if (!json_is_object(def)) {
        add_error(errors, &bad, "definition", "must be a JSON object");
        return NULL;
    }
    rp_object_t *o = calloc(1, sizeof *o);
    if (o == NULL) {
        *st = RP_ENOMEM;
        return NULL;
    }
    o->custom = custom;
    o->module = module;
    const char *name = json_string_value(json_object_get(def, "name"));
    if (json_object_get(def, "name") == NULL)
        add_error(errors, &bad, "name", "is required");
    else if (name == NULL || !rp_field_name_valid(name, custom))
        add_error(errors, &bad, "name",
                  custom ? "must start with a lower-case letter, hold only a-z, 0-9 and _, end "
                           "in __c and be at most 63 characters long"
                         : "must start with a lower-case letter, hold only a-z, 0-9 and _, not "
                           "end in __c and be at most 63 characters long");
    else
        memcpy(o->name, name, strlen(name) + 1);

    const json_t *v = json_object_get(def, "label");
    const char *s = NULL;
    if (v == NULL)
        add_error(errors, &bad, "label", "is required");
    else if ((s = label_value(v)) == NULL)
        add_error(errors, &bad, "label", "must be a string of 1 to %d characters",
                  RP_FIELD_LABEL_MAX);
    else if ((o->label = strdup(s)) == NULL)
        goto oom;

    v = json_object_get(def, "labels");
    if (v != NULL && !json_is_object(v)) {
        add_error(errors, &bad, "labels", "must be an object of locale: label");
    } else if (v != NULL) {
        const char *key;
        json_t *lv;
        json_object_foreach((json_t *)v, key, lv)
        {
            int loc = -1;
            for (int i = 0; i < RP_LOCALE_COUNT; i++)
                if (strcmp(key, locales[i]) == 0)
                    loc = i;
            if (loc < 0) {
                add_error(errors, &bad, "labels",
                          "has unknown locale \"%.64s\" (known: en, fr, es)", key);
            } else if ((s = label_value(lv)) == NULL) {
                add_error(errors, &bad, "labels", "must hold strings of 1 to %d characters",
                          RP_FIELD_LABEL_MAX);
            } else if ((o->labels[loc] = strdup(s)) == NULL) {
                goto oom;
            }
        }
    }
    if (bad) {
        rp_object_free(o);
        return NULL;
    }
    *st = RP_OK;
    return o;
oom:
    rp_object_free(o);
    *st = RP_ENOMEM;
    return NULL;
}

rp_status_t rp_object_add_field(rp_object_t *o, rp_field_t *f)
{
    if (o->nfields >= RP_META_FIELDS_MAX)
        return RP_ELIMIT;
    /* Grown one at a time: only snapshot builds add fields, and objects are
     * small. */
    rp_field_t *nf = realloc(o->fields, (size_t)(o->nfields + 1) * sizeof *nf);
    if (nf == NULL)
        return RP_ENOMEM;
    o->fields = nf;
    o->fields[o->nfields++] = *f;
    memset(f, 0, sizeof *f);
    return RP_OK;
}

void rp_object_free(rp_object_t *o)
{
    if (o == NULL)
        return;
    for (int i = 0; i < o->nfields; i++)
        rp_field_free(&o->fields[i]);
    free(o->fields);
    free(o->label);
    for (int i = 0; i < RP_LOCALE_COUNT; i++)
        free(o->labels[i]);
    free(o);
}

int rp_object_labels_json(const rp_object_t *o, json_t *out)
{
    int rc = json_object_set_new(out, "label", o->label ? json_string(o->label) : json_null());
    json_t *labels = json_object();
    if (labels == NULL)
        return -1;
    for (int i = 0; i < RP_LOCALE_COUNT; i++)
        if (o->labels[i] != NULL)
            rc |= json_object_set_new(labels, locales[i], json_string(o->labels[i]));
    rc |= json_object_set_new(out, "labels", labels);
    return rc == 0 ? 0 : -1;
}

rp_object_t *rp_object_clone(const rp_object_t *o)
{
    rp_object_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    memcpy(c->name, o->name, sizeof c->name);
    c->custom = o->custom;
    c->module = o->module;
    if (o->label != NULL && (c->label = strdup(o->label)) == NULL)
        goto oom;
    for (int i = 0; i < RP_LOCALE_COUNT; i++)
        if (o->labels[i] != NULL && (c->labels[i] = strdup(o->labels[i])) == NULL)
            goto oom;
    if (o->nfields > 0 && (c->fields = calloc((size_t)o->nfields, sizeof *c->fields)) == NULL)
        goto oom;
    /* A field owns a compiled pattern and JSON values: its description
     * parses back into an equal field, which is the one safe copy. */
    for (int i = 0; i < o->nfields; i++) {
        json_t *def = rp_field_describe(&o->fields[i]);
        rp_status_t st = def ? rp_field_parse(def, &c->fields[i], NULL) : RP_ENOMEM;
        json_decref(def);
        if (st != RP_OK)
            goto oom;
        c->nfields++;
    }
    return c;
oom:
    rp_object_free(c);
    return NULL;
}
