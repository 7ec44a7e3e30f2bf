#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/input.h"
#include "db/db.h"
#include "records/meta_api.h"
#include "records/meta_backfill.h"

/* Every member a field definition may hold; PATCH may change only some. */
static const char *const all_members[] = {
    "name",    "type",       "label",     "labels",    "help",   "required", "unique",
    "indexed", "searchable", "read_only", "default",   "min",    "max",      "max_length",
    "pattern", "values",     "reference", "on_delete", "format", NULL};
static const char *const fixed_members[] = {"name",      "type",      "unique", "read_only",
                                            "reference", "on_delete", "format", NULL};

static const rp_field_t *path_field(rp_ctx_t *ctx, const rp_object_t *o)
{
    const char *name = ctx->req.nparams > 1 ? ctx->req.params[1] : NULL;
    const rp_field_t *f = rp_meta_field(o, name);
    if (f == NULL) {
        char *detail = rp_pool_printf(&ctx->pool, "%s has no field named \"%.64s\"", o->name,
                                      name ? name : "");
        rp_resp_problem(ctx, 404, "unknown_field", detail ? detail : "unknown field");
    }
    return f;
}

static bool has_data(rp_ctx_t *ctx, const char *object, const char *field, rp_status_t *st)
{
    const char *params[] = {ctx->principal.tenant_id, object, field};
    rp_dbres_t *res = NULL;
    *st = rp_db_exec(ctx->db,
                     "SELECT EXISTS (SELECT 1 FROM records WHERE tenant_id = $1 AND object = $2 "
                     "AND data ? $3::text AND data -> $3::text <> 'null'::jsonb)",
                     3, params, &res);
    bool has = *st == RP_OK && strcmp(rp_dbres_get(res, 0, 0), "t") == 0;
    rp_dbres_free(res);
    return has;
}

/* Rewrites the object's search texts for f becoming searchable or not. */
static rp_status_t backfill_search(rp_ctx_t *ctx, const rp_object_t *o, const rp_field_t *f,
                                   bool searchable)
{
    const char **names = rp_pool_alloc(&ctx->pool, sizeof(char *) * (size_t)(o->nfields + 1));
    if (names == NULL)
        return RP_ENOMEM;
    int n = 0;
    for (int i = 0; i < o->nfields; i++)
        if (&o->fields[i] == f ? searchable : o->fields[i].searchable)
            names[n++] = o->fields[i].name;
    return rp_meta_backfill_search(ctx, o, names, n);
}

void rp_meta_api_field_create(rp_ctx_t *ctx)
{
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    rp_field_t f = {0};
    char *text = NULL;
    const rp_meta_t *m = NULL;
    const rp_object_t *o = NULL;
    if (errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (!rp_input_known_fields(ctx, body, all_members) || (m = rp_meta_api_snapshot(ctx)) == NULL ||
        (o = rp_meta_api_object(ctx, m)) == NULL)
        goto done;
    rp_status_t st = rp_field_parse(body, &f, errors);
    if (st == RP_ENOMEM) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (st == RP_OK)
        rp_meta_api_check_field(m, NULL, &f, NULL, errors);
    if (rp_input_fail(ctx, errors)) {
        errors = NULL;
        goto done;
    }
    errors = NULL;
    if (rp_meta_field(o, f.name) != NULL) {
        char *detail = rp_pool_printf(&ctx->pool, "%s already has a field %s", o->name, f.name);
        rp_resp_problem(ctx, 409, "duplicate", detail ? detail : "duplicate field");
        goto done;
    }
    if (o->nfields >= RP_META_FIELDS_MAX) {
        rp_resp_problem(ctx, 409, "limit_reached", "the object has as many fields as it may");
        goto done;
    }
    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    const char *params[] = {ctx->principal.tenant_id, o->name, f.name, text};
    st = rp_db_exec(
        ctx->db,
        "INSERT INTO field_defs (tenant_id, object, name, definition, position) "
        "VALUES ($1, $2, $3, $4::jsonb, (SELECT coalesce(max(position), 0) + 1 FROM field_defs "
        "WHERE tenant_id = $1 AND object = $2))",
        4, params, NULL);
    if (st == RP_ECONFLICT) {
        rp_resp_problem(ctx, 409, "duplicate", "the field already exists");
        goto done;
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (!rp_meta_api_changed(ctx))
        goto done;
    json_t *j = rp_meta_api_field_json(&f);
    if (j == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    char *loc = rp_pool_printf(&ctx->pool, "/api/v1/objects/%s/fields/%s", o->name, f.name);
    if (loc != NULL)
        rp_resp_header(ctx, "Location", loc);
    rp_resp_json(ctx, 201, j);
done:
    free(text);
    rp_field_free(&f);
    json_decref(errors);
    json_decref(body);
}

/* Picklist values may be added or reordered, never taken away: records
 * hold them. */
static void check_values_kept(const rp_field_t *old, const rp_field_t *now, json_t *errors)
{
    for (size_t i = 0; i < old->nvalues; i++) {
        bool kept = false;
        for (size_t k = 0; k < now->nvalues && !kept; k++)
            kept = strcmp(old->values[i], now->values[k]) == 0;
        if (!kept) {
            char msg[RP_FIELD_VALUE_MAX * 4 + 64];
            snprintf(msg, sizeof msg, "may only add values: \"%s\" is missing", old->values[i]);
            rp_meta_api_error(errors, "values", msg);
            return;
        }
    }
}

void rp_meta_api_field_patch(rp_ctx_t *ctx)
{
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *def = NULL, *errors = json_object();
    rp_field_t parsed = {0};
    char *text = NULL;
    const rp_meta_t *m = NULL;
    const rp_object_t *o = NULL;
    const rp_field_t *f = NULL;
    if (errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (!rp_input_known_fields(ctx, body, all_members) || (m = rp_meta_api_snapshot(ctx)) == NULL ||
        (o = rp_meta_api_object(ctx, m)) == NULL || (f = path_field(ctx, o)) == NULL ||
        !rp_meta_api_require_custom(ctx, rp_field_name_valid(f->name, true), "field", f->name))
        goto done;
    rp_status_t st;
    if ((def = rp_meta_api_stored(ctx, o->name, f->name, &st)) == NULL) {
        rp_resp_fail(ctx, st == RP_ENOTFOUND ? RP_ERR : st);
        goto done;
    }
    /* What defines the stored values (type, target, format, uniqueness)
     * stays: a change would strand the data records already hold. */
    for (const char *const *k = fixed_members; *k != NULL; k++) {
        json_t *want = json_object_get(body, *k), *have = json_object_get(def, *k);
        if (want == NULL)
            continue;
        bool same = have != NULL ? json_equal(want, have)
                                 : json_is_null(want) || json_equal(want, json_false());
        if (!same)
            rp_meta_api_error(errors, *k, "cannot be changed");
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        bool fixed = false;
        for (const char *const *k = fixed_members; *k != NULL && !fixed; k++)
            fixed = strcmp(*k, key) == 0;
        if (fixed)
            continue;
        if (json_is_null(v))
            json_object_del(def, key);
        else if (json_object_set(def, key, v) != 0)
            st = RP_ENOMEM;
    }
    if (st == RP_ENOMEM) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (json_object_size(errors) == 0) {
        st = rp_field_parse(def, &parsed, errors);
        if (st == RP_ENOMEM) {
            rp_resp_fail(ctx, st);
            goto done;
        }
        if (st == RP_OK)
            check_values_kept(f, &parsed, errors);
    }
    if (rp_input_fail(ctx, errors)) {
        errors = NULL;
        goto done;
    }
    errors = NULL;
    const char *params[] = {ctx->principal.tenant_id, o->name, f->name, NULL};
    /* The values records already hold follow the new definition before
     * this commits: index rows appear or go, search texts are rewritten. */
    bool indexed_now = parsed.indexed || parsed.unique, indexed_before = f->indexed || f->unique;
    if (indexed_now && !indexed_before)
        st = rp_meta_backfill_index(ctx, o, f);
    else if (!indexed_now && indexed_before)
        st = rp_db_exec(ctx->db,
                        "DELETE FROM record_index WHERE tenant_id = $1 AND object = $2 AND "
                        "field = $3",
                        3, params, NULL);
    if (st == RP_OK && parsed.searchable != f->searchable)
        st = backfill_search(ctx, o, f, parsed.searchable);
    if (st == RP_OK && (text = json_dumps(def, JSON_COMPACT)) == NULL)
        st = RP_ENOMEM;
    params[3] = text;
    if (st == RP_OK)
        st = rp_db_exec(ctx->db,
                        "UPDATE field_defs SET definition = $4::jsonb, updated_at = now() "
                        "WHERE tenant_id = $1 AND object = $2 AND name = $3",
                        4, params, NULL);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (!rp_meta_api_changed(ctx))
        goto done;
    json_t *j = rp_meta_api_field_json(&parsed);
    if (j == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, j);
done:
    free(text);
    rp_field_free(&parsed);
    json_decref(def);
    json_decref(errors);
    json_decref(body);
}

void rp_meta_api_field_delete(rp_ctx_t *ctx)
{
    const rp_meta_t *m = rp_meta_api_snapshot(ctx);
    const rp_object_t *o = m ? rp_meta_api_object(ctx, m) : NULL;
    const rp_field_t *f = o ? path_field(ctx, o) : NULL;
    if (f == NULL ||
        !rp_meta_api_require_custom(ctx, rp_field_name_valid(f->name, true), "field", f->name))
        return;
    rp_status_t st;
    json_t *def = rp_meta_api_stored(ctx, o->name, f->name, &st);
    json_decref(def);
    if (def == NULL) {
        rp_resp_fail(ctx, st == RP_ENOTFOUND ? RP_ERR : st);
        return;
    }
    bool has = has_data(ctx, o->name, f->name, &st);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (has && !rp_meta_api_confirmed(ctx)) {
        char *detail = rp_pool_printf(&ctx->pool,
                                      "records hold values for %s.%s; deleting the field removes "
                                      "them: repeat with ?confirm=true",
                                      o->name, f->name);
        rp_resp_problem(ctx, 409, "has_data", detail ? detail : "the field has data");
        return;
    }
    /* The values leave the records themselves, so no answer can show them
     * again whatever reads the data. */
    static const char *const statements[] = {
        "UPDATE records SET data = data - $3::text WHERE tenant_id = $1 AND object = $2 AND data ? "
        "$3::text",
        "DELETE FROM record_index WHERE tenant_id = $1 AND object = $2 AND field = $3",
        "DELETE FROM record_unique WHERE tenant_id = $1 AND object = $2 AND field = $3",
        "DELETE FROM autonumbers WHERE tenant_id = $1 AND object = $2 AND field = $3",
        "DELETE FROM field_defs WHERE tenant_id = $1 AND object = $2 AND name = $3",
    };
    const char *params[] = {ctx->principal.tenant_id, o->name, f->name};
    for (size_t i = 0; i < sizeof statements / sizeof statements[0] && st == RP_OK; i++)
        st = rp_db_exec(ctx->db, statements[i], 3, params, NULL);
    if (st == RP_OK && f->searchable && has)
        st = backfill_search(ctx, o, f, false);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (rp_meta_api_changed(ctx))
        rp_resp_no_content(ctx);
}
