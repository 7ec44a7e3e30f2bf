#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/db.h"
#include "records/routes.h"
#include "records/search.h"

/* How alike a word of the query and a word of a record must be for a
 * typo to still match (pg_trgm's word similarity, 0 to 1). */
#define WORD_THRESHOLD "0.3"

/* The score is the mean of word similarity (the query anywhere in the text),
 * strict word similarity (the query against whole words) and similarity (the
 * query against the whole text), so an exact value ranks above a value that
 * holds it as a word, which ranks above a longer word that contains it. The matched
 * members are the searchable fields that match on their own. */
static const char search_sql[] =
    "WITH q AS (SELECT rp_search_norm($2) AS t, rp_search_norm($3) AS p) "
    "SELECT r.object, r.id::text, round(((word_similarity(q.t, r.search_text) + "
    "strict_word_similarity(q.t, r.search_text) + similarity(q.t, r.search_text)) / 3)"
    "::numeric, 4) AS score, r.data::text, "
    "(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(r.data) e "
    "WHERE (r.object || '.' || e.key) = ANY ($5::text[]) AND "
    "(rp_search_norm(e.value #>> '{}') LIKE q.p OR q.t <% rp_search_norm(e.value #>> '{}')))"
    "::text FROM records r, q WHERE r.tenant_id = $1 AND r.object = ANY ($4::text[]) AND "
    "r.deleted_at IS NULL AND (r.search_text LIKE q.p OR q.t <% r.search_text) "
    "ORDER BY score DESC, r.id LIMIT $6";

static bool has_searchable(const rp_object_t *o)
{
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].searchable)
            return true;
    return false;
}

/* Appends o's name to objs and its searchable fields as "object.field" to
 * fields, both PostgreSQL array literals under construction (API names
 * need no quoting). */
static rp_status_t add_object(const rp_object_t *o, rp_buf_t *objs, rp_buf_t *fields)
{
    rp_status_t st = rp_buf_printf(objs, "%s%s", objs->len > 1 ? "," : "", o->name);
    for (int i = 0; st == RP_OK && i < o->nfields; i++)
        if (o->fields[i].searchable)
            st = rp_buf_printf(fields, "%s%s.%s", fields->len > 1 ? "," : "", o->name,
                               o->fields[i].name);
    return st;
}

/* Fills objs and fields from the objects= list (every object with a
 * searchable field when absent); false when it has answered 400. */
static bool pick_objects(rp_ctx_t *ctx, const rp_meta_t *m, const char *list, rp_buf_t *objs,
                         rp_buf_t *fields, rp_status_t *st)
{
    *st = rp_buf_puts(objs, "{");
    if (*st == RP_OK)
        *st = rp_buf_puts(fields, "{");
    if (list == NULL) {
        const rp_object_t *const *all;
        int n = rp_meta_objects(m, &all);
        for (int i = 0; *st == RP_OK && i < n; i++)
            if (has_searchable(all[i]))
                *st = add_object(all[i], objs, fields);
    } else {
        const char *p = list;
        while (*st == RP_OK) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            char name[RP_FIELD_NAME_MAX + 1];
            const rp_object_t *o = NULL;
            if (len > 0 && len <= RP_FIELD_NAME_MAX) {
                memcpy(name, p, len);
                name[len] = '\0';
                o = rp_meta_object(m, name);
            }
            if (o == NULL) {
                char detail[128];
                snprintf(detail, sizeof detail, "unknown object in objects: %.*s",
                         (int)(len > 64 ? 64 : len), p);
                rp_resp_problem(ctx, 400, "unknown_object", detail);
                return false;
            }
            *st = add_object(o, objs, fields);
            if (end == NULL)
                break;
            p = end + 1;
        }
    }
    if (*st == RP_OK)
        *st = rp_buf_puts(objs, "}");
    if (*st == RP_OK)
        *st = rp_buf_puts(fields, "}");
    return true;
}

/* One result: {"object","id","score","title","matched"}. */
static json_t *result_json(const rp_meta_t *m, const rp_dbres_t *res, int row)
{
    const rp_object_t *o = rp_meta_object(m, rp_dbres_get(res, row, 0));
    json_t *data = json_loads(rp_dbres_get(res, row, 3), 0, NULL);
    json_t *matched =
        rp_dbres_null(res, row, 4) ? json_object() : json_loads(rp_dbres_get(res, row, 4), 0, NULL);
    const char *title = o && data ? rp_search_title(o, data) : NULL;
    json_t *out = NULL;
    if (data != NULL && matched != NULL)
        out = json_pack("{s:s, s:s, s:f, s:o?, s:O}", "object", rp_dbres_get(res, row, 0), "id",
                        rp_dbres_get(res, row, 1), "score", atof(rp_dbres_get(res, row, 2)),
                        "title", title ? json_string(title) : json_null(), "matched", matched);
    json_decref(data);
    json_decref(matched);
    return out;
}

static void search(rp_ctx_t *ctx)
{
    rp_buf_t objs = {0}, fields = {0};
    rp_dbres_t *res = NULL;
    json_t *list = NULL;
    char *pattern = NULL;
    const char *q = rp_req_query_param(ctx, "q");
    if (!rp_search_q_valid(q)) {
        rp_resp_problem(ctx, 400, "invalid_query",
                        "q must be 1 to 200 characters of text, not only spaces");
        return;
    }
    int limit;
    if (!rp_search_limit(rp_req_query_param(ctx, "limit"), &limit)) {
        rp_resp_problem(ctx, 400, "invalid_limit", "limit must be an integer from 1 to 100");
        return;
    }
    const rp_meta_t *m = NULL;
    rp_status_t st = rp_meta_acquire(ctx, &m);
    if (st != RP_OK)
        goto fail;
    if (!pick_objects(ctx, m, rp_req_query_param(ctx, "objects"), &objs, &fields, &st))
        goto done;
    if (st != RP_OK)
        goto fail;
    size_t n = 2 * strlen(q) + 3;
    st = RP_ENOMEM;
    if ((pattern = malloc(n)) == NULL || !rp_search_like_pattern(q, pattern, n))
        goto fail;
    const char *cfg[] = {WORD_THRESHOLD};
    st = rp_db_exec(ctx->db, "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)", 1,
                    cfg, NULL);
    if (st != RP_OK)
        goto fail;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {ctx->principal.tenant_id, q, pattern, objs.data, fields.data, lim};
    if ((st = rp_db_exec(ctx->db, search_sql, 6, p, &res)) != RP_OK)
        goto fail;
    st = RP_ENOMEM;
    if ((list = json_array()) == NULL)
        goto fail;
    for (int i = 0; i < rp_dbres_rows(res); i++)
        if (json_array_append_new(list, result_json(m, res, i)) != 0)
            goto fail;
    json_t *body = json_pack("{s:o}", "data", list);
    list = NULL; /* stolen, even on failure */
    if (body == NULL)
        goto fail;
    rp_resp_json(ctx, 200, body);
    goto done;
fail:
    rp_resp_fail(ctx, st);
done:
    json_decref(list);
    free(pattern);
    rp_dbres_free(res);
    rp_buf_free(&objs);
    rp_buf_free(&fields);
}

/* A read: any role may search (permissions narrow it later). */
static const rp_route_t routes[] = {
    {RP_GET, "/api/v1/search", search, 0, RP_ROLE_READONLY},
};

rp_status_t rp_records_search_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
