#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "records/import.h"

/* Columns an export writes that an import leaves alone: the server sets
 * them. */
static bool system_column(const char *name)
{
    static const char *const names[] = {"id", "created_at", "updated_at", "owner_id", "version"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* The field a header or mapping names: its API name, else one of its labels
 * (any locale), case-insensitive. -1 when none. */
static int field_index(const rp_object_t *o, const char *name)
{
    for (int i = 0; i < o->nfields; i++)
        if (strcmp(o->fields[i].name, name) == 0)
            return i;
    for (int i = 0; i < o->nfields; i++) {
        const rp_field_t *f = &o->fields[i];
        if (strcasecmp(f->name, name) == 0 || (f->label && strcasecmp(f->label, name) == 0))
            return i;
        for (int l = 0; l < RP_LOCALE_COUNT; l++)
            if (f->labels[l] && strcasecmp(f->labels[l], name) == 0)
                return i;
    }
    return -1;
}

/* Appends name to a comma-separated list in out. */
static void list_add(char *out, size_t n, const char *name)
{
    size_t len = strlen(out);
    if (len + 1 < n)
        snprintf(out + len, n - len, "%s%.80s", len ? ", " : "", name);
}

/* Answers 400 code naming what is in errors and returns false. */
static bool refuse(rp_ctx_t *ctx, int status, const char *code, const char *what, json_t *errors)
{
    char names[300] = "";
    const char *k;
    json_t *v;
    json_object_foreach(errors, k, v) list_add(names, sizeof names, k);
    char *detail = rp_pool_printf(&ctx->pool, "%s: %s", what, names);
    rp_resp_problem_fields(ctx, status, code, detail ? detail : what, errors);
    return false;
}

bool rp_import_map_header(rp_import_t *imp, const rp_csv_reader_t *r, const json_t *mapping,
                          const rp_access_t *a)
{
    rp_ctx_t *ctx = imp->ctx;
    const rp_object_t *o = imp->o;
    int n = rp_csv_nfields(r);
    imp->ncols = n;
    imp->colmap = rp_pool_alloc(&ctx->pool, (size_t)(n > 0 ? n : 1) * sizeof *imp->colmap);
    json_t *unknown = json_object(), *used = json_object(), *forbidden = json_object();
    json_t *readonly = json_object(), *dup = json_object();
    bool ok = false;
    if (imp->colmap == NULL || unknown == NULL || used == NULL || forbidden == NULL ||
        readonly == NULL || dup == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    for (int c = 0; c < n; c++) {
        const char *h = rp_csv_field(r, c);
        size_t hl = rp_csv_field_len(r, c);
        /* Spreadsheets pad headers; a NUL inside one can match nothing. */
        while (hl > 0 && (h[0] == ' ' || h[0] == '\t'))
            h++, hl--;
        while (hl > 0 && (h[hl - 1] == ' ' || h[hl - 1] == '\t'))
            hl--;
        char *name = rp_pool_strndup(&ctx->pool, h, hl);
        if (name == NULL) {
            rp_resp_fail(ctx, RP_ENOMEM);
            goto done;
        }
        imp->colmap[c] = -1;
        const json_t *target = mapping ? json_object_get(mapping, name) : NULL;
        if (target != NULL) {
            const char *t = json_string_value(target);
            if (t == NULL || *t == '\0')
                continue; /* mapped to nothing: ignored */
            imp->colmap[c] = field_index(o, t);
            if (imp->colmap[c] < 0) {
                json_object_set_new(unknown, name,
                                    json_string("is mapped to a field this object does not have"));
                continue;
            }
        } else if (system_column(name)) {
            continue;
        } else {
            imp->colmap[c] = field_index(o, name);
            if (imp->colmap[c] < 0) {
                /* A header that is not valid UTF-8 cannot be a JSON key:
                 * it is named by its position instead. */
                json_t *probe = *name ? json_string(name) : NULL;
                const char *key = probe ? name : rp_pool_printf(&ctx->pool, "(column %d)", c + 1);
                json_decref(probe);
                json_object_set_new(unknown, key ? key : "(column)",
                                    json_string("matches no field of this object"));
                continue;
            }
        }
        const rp_field_t *f = &o->fields[imp->colmap[c]];
        if (json_object_get(used, f->name) != NULL)
            json_object_set_new(dup, f->name, json_string("is given by more than one column"));
        json_object_set_new(used, f->name, json_true());
        if (rp_perm_field(a, o, f) != RP_FIELD_ACCESS_EDIT)
            json_object_set_new(forbidden, f->name, json_string("you may not edit this field"));
        else if (f->type == RP_FIELD_AUTONUMBER || f->read_only)
            json_object_set_new(readonly, f->name, json_string("is read-only"));
    }
    /* Mapping entries must name columns the file has. */
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)mapping, k, v)
    {
        bool found = false;
        for (int c = 0; c < n && !found; c++) {
            const char *h = rp_csv_field(r, c);
            size_t hl = rp_csv_field_len(r, c);
            while (hl > 0 && (h[0] == ' ' || h[0] == '\t'))
                h++, hl--;
            while (hl > 0 && (h[hl - 1] == ' ' || h[hl - 1] == '\t'))
                hl--;
            found = strlen(k) == hl && memcmp(k, h, hl) == 0;
        }
        if (!found)
            json_object_set_new(unknown, k, json_string("is not a column of the file"));
    }
    if (json_object_size(forbidden) > 0) {
        ok = refuse(ctx, 403, "forbidden", "you may not edit these fields", forbidden);
        forbidden = NULL;
    } else if (json_object_size(unknown) > 0) {
        ok = refuse(ctx, 400, "unknown_column", "columns that match no field", unknown);
        unknown = NULL;
    } else if (json_object_size(dup) > 0) {
        ok = refuse(ctx, 400, "duplicate_column", "fields given by several columns", dup);
        dup = NULL;
    } else if (json_object_size(readonly) > 0) {
        ok = refuse(ctx, 422, "validation_failed", "read-only fields", readonly);
        readonly = NULL;
    } else {
        ok = true;
    }
done:
    json_decref(unknown);
    json_decref(used);
    json_decref(forbidden);
    json_decref(readonly);
    json_decref(dup);
    return ok;
}
