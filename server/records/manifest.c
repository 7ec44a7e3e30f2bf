#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/manifest.h"
#include "records/meta_internal.h"

static void error_at(json_t *errors, const char *key, const char *msg)
{
    if (errors != NULL && json_object_get(errors, key) == NULL)
        json_object_set_new(errors, key, json_string(msg));
}

/* Copies the per-member messages of one object or field under prefix. */
static void nest_errors(json_t *errors, const char *prefix, json_t *sub)
{
    const char *key;
    json_t *v;
    json_object_foreach(sub, key, v)
    {
        char full[256];
        snprintf(full, sizeof full, "%s.%s", prefix, key);
        error_at(errors, full, json_string_value(v));
    }
}

void rp_manifest_free(rp_object_t **objects, int n)
{
    for (int i = 0; i < n; i++)
        rp_object_free(objects[i]);
    free(objects);
}

/* Parses one object of the manifest with its fields; NULL on failure. */
static rp_object_t *parse_object(const json_t *def, const char *module, size_t idx, json_t *errors,
                                 rp_status_t *st)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "objects[%zu]", idx);
    json_t *sub = json_object();
    if (sub == NULL) {
        *st = RP_ENOMEM;
        return NULL;
    }
    rp_object_t *o = NULL;
    json_t *fields = json_object_get(def, "fields");
    if (json_is_object(def)) {
        /* rp_object_parse only looks at its own members; check the rest
         * here so a typo in a manifest is not silently ignored. */
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)def, key, v)
        {
            if (strcmp(key, "name") != 0 && strcmp(key, "label") != 0 &&
                strcmp(key, "labels") != 0 && strcmp(key, "fields") != 0)
                json_object_set_new(sub, key, json_string("is not an object option"));
        }
    }
    o = rp_object_parse(def, false, module, sub, st);
    if (*st == RP_ENOMEM)
        goto done;
    if (fields != NULL && !json_is_array(fields))
        json_object_set_new(sub, "fields", json_string("must be an array"));
    size_t i;
    json_t *fd;
    json_array_foreach(fields, i, fd)
    {
        char fprefix[96];
        snprintf(fprefix, sizeof fprefix, "fields[%zu]", i);
        json_t *ferr = json_object();
        rp_field_t f;
        rp_status_t fst = ferr ? rp_field_parse(fd, &f, ferr) : RP_ENOMEM;
        if (fst == RP_ENOMEM) {
            json_decref(ferr);
            *st = RP_ENOMEM;
            goto done;
        }
        if (fst == RP_OK && !rp_field_name_valid(f.name, false))
            json_object_set_new(ferr, "name", json_string("must not end in __c in a manifest"));
        if (fst == RP_OK && o != NULL && rp_meta_field(o, f.name) != NULL)
            json_object_set_new(ferr, "name", json_string("is declared twice"));
        nest_errors(sub, fprefix, ferr);
        json_decref(ferr);
        if (fst == RP_OK && o != NULL && json_object_size(sub) == 0) {
            rp_status_t ast = rp_object_add_field(o, &f);
            if (ast != RP_OK) {
                rp_field_free(&f);
                if (ast == RP_ENOMEM) {
                    *st = RP_ENOMEM;
                    goto done;
                }
                json_object_set_new(sub, fprefix, json_string("too many fields"));
            }
        } else if (fst == RP_OK) {
            rp_field_free(&f);
        }
    }
    *st = json_object_size(sub) == 0 && o != NULL ? RP_OK : RP_EINVAL;
done:
    if (*st != RP_OK) {
        rp_object_free(o);
        o = NULL;
        nest_errors(errors, prefix, sub);
    }
    json_decref(sub);
    return o;
}

rp_status_t rp_manifest_parse(const char *text, const char *module, rp_object_t ***out, int *n,
                              json_t *errors)
{
    *out = NULL;
    *n = 0;
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        char msg[300];
        snprintf(msg, sizeof msg, "is not JSON: %s (line %d)", jerr.text, jerr.line);
        error_at(errors, "manifest", msg);
        return RP_EINVAL;
    }
    rp_status_t st = RP_EINVAL;
    rp_object_t **objs = NULL;
    int count = 0;
    const char *mod = json_string_value(json_object_get(doc, "module"));
    json_t *list = json_object_get(doc, "objects");
    if (!json_is_object(doc)) {
        error_at(errors, "manifest", "must be a JSON object");
        goto done;
    }
    if (json_object_get(doc, "module") != NULL && (mod == NULL || strcmp(mod, module) != 0)) {
        error_at(errors, "module", "does not match the module that ships the manifest");
        goto done;
    }
    if (!json_is_array(list) || json_array_size(list) > RP_META_OBJECTS_MAX) {
        error_at(errors, "objects", "must be an array of at most 500 objects");
        goto done;
    }
    objs = calloc(json_array_size(list) + 1, sizeof *objs);
    if (objs == NULL) {
        st = RP_ENOMEM;
        goto done;
    }
    bool bad = false;
    size_t i;
    json_t *def;
    json_array_foreach(list, i, def)
    {
        rp_status_t ost;
        rp_object_t *o = parse_object(def, module, i, errors, &ost);
        if (ost == RP_ENOMEM) {
            st = RP_ENOMEM;
            goto done;
        }
        if (o == NULL) {
            bad = true;
            continue;
        }
        for (int k = 0; k < count; k++)
            if (strcmp(objs[k]->name, o->name) == 0) {
                char key[64];
                snprintf(key, sizeof key, "objects[%zu].name", i);
                error_at(errors, key, "is declared twice");
                bad = true;
            }
        objs[count++] = o;
    }
    st = bad ? RP_EINVAL : RP_OK;
done:
    json_decref(doc);
    if (st != RP_OK) {
        rp_manifest_free(objs, count);
        return st;
    }
    *out = objs;
    *n = count;
    return RP_OK;
}
