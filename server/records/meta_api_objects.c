#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/input.h"
#include "core/log.h"
#include "db/db.h"
#include "records/meta_api.h"

void rp_meta_api_list(rp_ctx_t *ctx)
{
    const rp_meta_t *m = rp_meta_api_snapshot(ctx);
    if (m == NULL)
        return;
    const rp_object_t *const *objs = NULL;
    int n = rp_meta_objects(m, &objs);
    json_t *list = json_array();
    if (list == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        const rp_object_t *o = objs[i];
        json_t *j =
            json_pack("{s:s, s:b, s:o, s:i}", "name", o->name, "custom", o->custom, "module",
                      o->module ? json_string(o->module) : json_null(), "field_count", o->nfields);
        if (j == NULL || rp_object_labels_json(o, j) != 0 || json_array_append_new(list, j) != 0)
            goto oom;
    }
    rp_resp_json(ctx, 200,
                 json_pack("{s:o, s:I}", "data", list, "version", (json_int_t)rp_meta_version(m)));
    return;
oom:
    json_decref(list);
    rp_resp_fail(ctx, RP_ENOMEM);
}

void rp_meta_api_describe(rp_ctx_t *ctx)
{
    const rp_meta_t *m = rp_meta_api_snapshot(ctx);
    const rp_object_t *o = m ? rp_meta_api_object(ctx, m) : NULL;
    if (o == NULL)
        return;
    json_t *j = rp_meta_api_object_json(ctx, m, o);
    if (j == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, j);
}

/* The stored form of a custom object: its own members, not its fields
 * (those live in field_defs, like custom fields on module objects). */
static json_t *stored_def(const json_t *body)
{
    json_t *def = json_object();
    static const char *const keep[] = {"name", "label", "labels"};
    for (size_t i = 0; def != NULL && i < sizeof keep / sizeof keep[0]; i++) {
        json_t *v = json_object_get(body, keep[i]);
        if (v != NULL && json_object_set(def, keep[i], v) != 0) {
            json_decref(def);
            return NULL;
        }
    }
    return def;
}

static rp_status_t insert_field(rp_ctx_t *ctx, const char *object, const char *name,
                                const json_t *def)
{
    char *text = json_dumps(def, JSON_COMPACT);
    if (text == NULL)
        return RP_ENOMEM;
    const char *params[] = {ctx->principal.tenant_id, object, name, text};
    rp_status_t st = rp_db_exec(
        ctx->db,
        "INSERT INTO field_defs (tenant_id, object, name, definition, position) "
        "VALUES ($1, $2, $3, $4::jsonb, (SELECT coalesce(max(position), 0) + 1 FROM field_defs "
        "WHERE tenant_id = $1 AND object = $2))",
        4, params, NULL);
    free(text);
    return st;
}

/* Shared by the create handlers: 409 duplicate. */
static void duplicate(rp_ctx_t *ctx, const char *what, const char *name)
{
    char *detail = rp_pool_printf(&ctx->pool, "%s %s already exists", what, name);
    rp_resp_problem(ctx, 409, "duplicate", detail ? detail : "already exists");
}

void rp_meta_api_object_create(rp_ctx_t *ctx)
{
    static const char *const members[] = {"name", "label", "labels", "fields", NULL};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object(), *sub = json_object();
    rp_object_t *o = NULL;
    rp_field_t f = {0};
    char *text = NULL;
    const rp_meta_t *m = NULL;
    if (errors == NULL || sub == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (!rp_input_known_fields(ctx, body, members))
        goto done;
    if ((m = rp_meta_api_snapshot(ctx)) == NULL)
        goto done;
    rp_status_t st;
    o = rp_object_parse(body, true, NULL, sub, &st);
    if (st == RP_ENOMEM) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    rp_meta_api_nest_errors(errors, NULL, sub);
    json_t *fields = json_object_get(body, "fields");
    if (fields != NULL && (!json_is_array(fields) || json_array_size(fields) > RP_META_FIELDS_MAX))
        rp_meta_api_error(errors, "fields", "must be an array of at most 500 field definitions");
    size_t i;
    json_t *def;
    json_array_foreach(fields, i, def)
    {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "fields[%zu]", i);
        json_t *ferr = json_object();
        st = ferr ? rp_field_parse(def, &f, ferr) : RP_ENOMEM;
        if (st == RP_ENOMEM) {
            json_decref(ferr);
            rp_resp_fail(ctx, st);
            goto done;
        }
        rp_meta_api_nest_errors(errors, prefix, ferr);
        json_decref(ferr);
        if (st != RP_OK)
            continue;
        rp_meta_api_check_field(m, o ? o->name : NULL, &f, prefix, errors);
        if (o != NULL && rp_meta_field(o, f.name) != NULL) {
            char key[64];
            snprintf(key, sizeof key, "%s.name", prefix);
            rp_meta_api_error(errors, key, "is given twice");
        }
        if (o != NULL && json_object_size(errors) == 0) {
            st = rp_object_add_field(o, &f);
            if (st != RP_OK) {
                rp_resp_fail(ctx, st);
                goto done;
            }
        }
        rp_field_free(&f);
    }
    if (rp_input_fail(ctx, errors)) {
        errors = NULL;
        goto done;
    }
    errors = NULL;
    if (rp_meta_object(m, o->name) != NULL) {
        duplicate(ctx, "object", o->name);
        goto done;
    }
    const rp_object_t *const *objs;
    if (rp_meta_objects(m, &objs) >= RP_META_OBJECTS_MAX) {
        rp_resp_problem(ctx, 409, "limit_reached", "the tenant has as many objects as it may");
        goto done;
    }

    json_t *sdef = stored_def(body);
    text = sdef ? json_dumps(sdef, JSON_COMPACT) : NULL;
    json_decref(sdef);
    if (text == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    const char *params[] = {ctx->principal.tenant_id, o->name, text};
    st = rp_db_exec(ctx->db,
                    "INSERT INTO object_defs (tenant_id, name, definition) "
                    "VALUES ($1, $2, $3::jsonb)",
                    3, params, NULL);
    if (st == RP_ECONFLICT) {
        duplicate(ctx, "object", o->name);
        goto done;
    }
    json_array_foreach(fields, i, def)
    {
        if (st == RP_OK)
            st = insert_field(ctx, o->name, o->fields[i].name, def);
    }
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (!rp_meta_api_changed(ctx))
        goto done;
    json_t *j = rp_meta_api_object_json(ctx, NULL, o);
    if (j == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    char *loc = rp_pool_printf(&ctx->pool, "/api/v1/objects/%s", o->name);
    if (loc != NULL)
        rp_resp_header(ctx, "Location", loc);
    rp_resp_json(ctx, 201, j);
done:
    rp_field_free(&f);
    free(text);
    rp_object_free(o);
    json_decref(sub);
    json_decref(errors);
    json_decref(body);
}

json_t *rp_meta_api_stored(rp_ctx_t *ctx, const char *object, const char *field, rp_status_t *st)
{
    rp_dbres_t *res = NULL;
    const char *params[] = {ctx->principal.tenant_id, object, field};
    if (field == NULL)
        *st = rp_db_exec(ctx->db,
                         "SELECT definition::text FROM object_defs WHERE tenant_id = $1 AND "
                         "name = $2 FOR UPDATE",
                         2, params, &res);
    else
        *st = rp_db_exec(ctx->db,
                         "SELECT definition::text FROM field_defs WHERE tenant_id = $1 AND "
                         "object = $2 AND name = $3 FOR UPDATE",
                         3, params, &res);
    json_t *def = NULL;
    if (*st == RP_OK && rp_dbres_rows(res) != 1)
        *st = RP_ENOTFOUND;
    if (*st == RP_OK && (def = json_loads(rp_dbres_get(res, 0, 0), 0, NULL)) == NULL)
        *st = RP_ERR;
    rp_dbres_free(res);
    return def;
}

void rp_meta_api_object_patch(rp_ctx_t *ctx)
{
    static const char *const members[] = {"name", "label", "labels", NULL};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *def = NULL, *errors = json_object();
    rp_object_t *parsed = NULL;
    char *text = NULL;
    const rp_meta_t *m = NULL;
    const rp_object_t *o = NULL;
    if (errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    if (!rp_input_known_fields(ctx, body, members) || (m = rp_meta_api_snapshot(ctx)) == NULL ||
        (o = rp_meta_api_object(ctx, m)) == NULL ||
        !rp_meta_api_require_custom(ctx, o->custom, "object", o->name))
        goto done;
    rp_status_t st;
    if ((def = rp_meta_api_stored(ctx, o->name, NULL, &st)) == NULL) {
        rp_resp_fail(ctx, st == RP_ENOTFOUND ? RP_ERR : st);
        goto done;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    if (json_object_get(body, "name") != NULL && (name == NULL || strcmp(name, o->name) != 0))
        rp_meta_api_error(errors, "name", "cannot be changed");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "name") == 0)
            continue;
        if (json_is_null(v))
            json_object_del(def, key);
        else
            json_object_set(def, key, v);
    }
    parsed = rp_object_parse(def, true, NULL, errors, &st);
    if (st == RP_ENOMEM) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (rp_input_fail(ctx, errors)) {
        errors = NULL;
        goto done;
    }
    errors = NULL;
    text = json_dumps(def, JSON_COMPACT);
    if (text == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    const char *params[] = {ctx->principal.tenant_id, o->name, text};
    st = rp_db_exec(ctx->db,
                    "UPDATE object_defs SET definition = $3::jsonb, updated_at = now() "
                    "WHERE tenant_id = $1 AND name = $2",
                    3, params, NULL);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        goto done;
    }
    if (!rp_meta_api_changed(ctx))
        goto done;
    /* The answer shows the object as the next request will see it. */
    for (int i = 0; i < o->nfields; i++) {
        rp_field_t copy;
        json_t *fd = rp_field_describe(&o->fields[i]);
        st = fd ? rp_field_parse(fd, &copy, NULL) : RP_ENOMEM;
        json_decref(fd);
        if (st == RP_OK && (st = rp_object_add_field(parsed, &copy)) != RP_OK)
            rp_field_free(&copy);
        if (st != RP_OK) {
            rp_resp_fail(ctx, st == RP_EINVAL ? RP_ERR : st);
            goto done;
        }
    }
    json_t *j = rp_meta_api_object_json(ctx, m, parsed);
    if (j == NULL)
        rp_resp_fail(ctx, RP_ENOMEM);
    else
        rp_resp_json(ctx, 200, j);
done:
    free(text);
    rp_object_free(parsed);
    json_decref(def);
    json_decref(errors);
    json_decref(body);
}

/* "a.b, c.d": the reference fields of other objects that point at o. */
static char *referrers(rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o)
{
    const rp_object_t *const *objs;
    int n = rp_meta_objects(m, &objs);
    char *list = NULL;
    for (int i = 0; i < n; i++) {
        if (objs[i] == o)
            continue;
        for (int k = 0; k < objs[i]->nfields; k++) {
            const rp_field_t *f = &objs[i]->fields[k];
            if (f->type == RP_FIELD_REFERENCE && f->reference && strcmp(f->reference, o->name) == 0)
                list = rp_pool_printf(&ctx->pool, "%s%s%s.%s", list ? list : "", list ? ", " : "",
                                      objs[i]->name, f->name);
        }
    }
    return list;
}

void rp_meta_api_object_delete(rp_ctx_t *ctx)
{
    const rp_meta_t *m = rp_meta_api_snapshot(ctx);
    const rp_object_t *o = m ? rp_meta_api_object(ctx, m) : NULL;
    if (o == NULL || !rp_meta_api_require_custom(ctx, o->custom, "object", o->name))
        return;
    char *refs = referrers(ctx, m, o);
    if (refs != NULL) {
        char *detail = rp_pool_printf(&ctx->pool,
                                      "fields of other objects refer to %s (%s): delete them first",
                                      o->name, refs);
        rp_resp_problem(ctx, 409, "referenced", detail ? detail : "the object is referenced");
        return;
    }
    rp_status_t st;
    json_t *def = rp_meta_api_stored(ctx, o->name, NULL, &st);
    json_decref(def);
    if (def == NULL) {
        rp_resp_fail(ctx, st == RP_ENOTFOUND ? RP_ERR : st);
        return;
    }
    const char *params[] = {ctx->principal.tenant_id, o->name};
    rp_dbres_t *res = NULL;
    st = rp_db_exec(ctx->db,
                    "SELECT EXISTS (SELECT 1 FROM records WHERE tenant_id = $1 AND object = $2)", 2,
                    params, &res);
    bool has = st == RP_OK && strcmp(rp_dbres_get(res, 0, 0), "t") == 0;
    rp_dbres_free(res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (has && !rp_meta_api_confirmed(ctx)) {
        char *detail = rp_pool_printf(&ctx->pool,
                                      "%s has records; deleting it deletes them: repeat with "
                                      "?confirm=true",
                                      o->name);
        rp_resp_problem(ctx, 409, "has_records", detail ? detail : "the object has records");
        return;
    }
    /* History, index and unique rows go with their records (foreign keys
     * with ON DELETE CASCADE). */
    static const char *const deletes[] = {
        "DELETE FROM records WHERE tenant_id = $1 AND object = $2",
        "DELETE FROM autonumbers WHERE tenant_id = $1 AND object = $2",
        "DELETE FROM field_defs WHERE tenant_id = $1 AND object = $2",
        "DELETE FROM object_defs WHERE tenant_id = $1 AND name = $2",
    };
    for (size_t i = 0; i < sizeof deletes / sizeof deletes[0] && st == RP_OK; i++)
        st = rp_db_exec(ctx->db, deletes[i], 2, params, NULL);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    if (rp_meta_api_changed(ctx))
        rp_resp_no_content(ctx);
}
