#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/db.h"
#include "records/perm.h"
#include "records/routes.h"
#include "records/search.h"

/* How alike a word of the query and a word of a record must be for a
 * typo to still match (pg_trgm's word similarity, 0 to 1). */
#define WORD_THRESHOLD "0.3"

/* The score is the mean of word similarity (the query anywhere in the text),
 * strict word similarity (the query against whole words) and similarity (the
 * query against the whole text), so an exact value ranks above a value that
 * holds it as a word, which ranks above a longer word that contains it. The
 * matched members are the searchable fields that match on their own. The
 * text scored is the stored search text, or, for an object with a
 * searchable field the caller may not read, the text of its readable
 * searchable fields (see visible_text). */
static const char search_head[] =
    "WITH q AS (SELECT rp_search_norm($2) AS t, rp_search_norm($3) AS p) "
    "SELECT r.object, r.id::text, round(((word_similarity(q.t, %1$s) + "
    "strict_word_similarity(q.t, %1$s) + similarity(q.t, %1$s)) / 3)"
    "::numeric, 4) AS score, r.data::text, "
    "(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(r.data) e "
    "WHERE (r.object || '.' || e.key) = ANY ($5::text[]) AND "
    "(rp_search_norm(e.value #>> '{}') LIKE q.p OR q.t <%% rp_search_norm(e.value #>> '{}')))"
    "::text FROM records r, q";
static const char search_where[] =
    " WHERE r.tenant_id = $1 AND r.object = ANY ($4::text[]) AND "
    "r.deleted_at IS NULL AND (r.search_text LIKE q.p OR q.t <% r.search_text)";
static const char search_tail[] = " ORDER BY score DESC, r.id LIMIT $6";

/* The stored search text holds every searchable field, hidden ones too, so
 * an object with a field the caller may not read is matched and scored on
 * the text of its readable searchable fields ($5), rebuilt from the data in
 * field order. The stored text still filters first (it holds the readable
 * text, so the index keeps serving the search). %d is the parameter with
 * those objects. */
static const char visible_text[] =
    ", LATERAL (SELECT CASE WHEN r.object = ANY ($%d::text[]) THEN rp_search_norm("
    "(SELECT string_agg(CASE jsonb_typeof(e.value) WHEN 'string' THEN e.value #>> '{}' "
    "WHEN 'array' THEN (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(e.value) x) "
    "END, ' ' ORDER BY array_position($5::text[], r.object || '.' || e.key)) "
    "FROM jsonb_each(r.data) e WHERE (r.object || '.' || e.key) = ANY ($5::text[]))) "
    "ELSE r.search_text END AS st) s";

/* What the caller may search: the objects, their readable searchable
 * fields, and the objects grouped by read scope, all as PostgreSQL array
 * literals (API names need no quoting). */
typedef struct picks {
    rp_buf_t objs, fields, all, own, team, restricted;
} picks_t;

static void picks_free(picks_t *p)
{
    rp_buf_free(&p->objs);
    rp_buf_free(&p->fields);
    rp_buf_free(&p->all);
    rp_buf_free(&p->own);
    rp_buf_free(&p->team);
    rp_buf_free(&p->restricted);
}

static bool has_searchable(const rp_object_t *o)
{
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].searchable)
            return true;
    return false;
}

/* Appends name to the array literal under construction in b. */
static rp_status_t add_name(rp_buf_t *b, const char *name)
{
    return rp_buf_printf(b, "%s%s", b->len > 1 ? "," : "", name);
}

/* Adds o, unless the caller may read none of its records. */
static rp_status_t add_object(rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o, picks_t *p)
{
    rp_access_t a;
    rp_perm_access(ctx, m, o, &a);
    if (a.read == RP_SCOPE_NONE)
        return RP_OK;
    rp_status_t st = add_name(&p->objs, o->name);
    bool hides = false;
    for (int i = 0; st == RP_OK && i < o->nfields; i++) {
        if (!o->fields[i].searchable)
            continue;
        if (rp_perm_field(&a, o, &o->fields[i]) == RP_FIELD_ACCESS_NONE)
            hides = true;
        else
            st = rp_buf_printf(&p->fields, "%s%s.%s", p->fields.len > 1 ? "," : "", o->name,
                               o->fields[i].name);
    }
    if (st == RP_OK && hides)
        st = add_name(&p->restricted, o->name);
    if (st == RP_OK)
        st = add_name(a.read == RP_SCOPE_ALL   ? &p->all
                      : a.read == RP_SCOPE_OWN ? &p->own
                                               : &p->team,
                      o->name);
    return st;
}

static rp_status_t open_lists(picks_t *p)
{
    rp_buf_t *b[] = {&p->objs, &p->fields, &p->all, &p->own, &p->team, &p->restricted};
    rp_status_t st = RP_OK;
    for (size_t i = 0; st == RP_OK && i < sizeof b / sizeof b[0]; i++)
        st = rp_buf_puts(b[i], "{");
    return st;
}

static rp_status_t close_lists(picks_t *p)
{
    rp_buf_t *b[] = {&p->objs, &p->fields, &p->all, &p->own, &p->team, &p->restricted};
    rp_status_t st = RP_OK;
    for (size_t i = 0; st == RP_OK && i < sizeof b / sizeof b[0]; i++)
        st = rp_buf_puts(b[i], "}");
    return st;
}

/* Fills p from the objects= list (every object with a searchable field
 * when absent); objects the caller may not read are left out. False when it
 * has answered 400. */
static bool pick_objects(rp_ctx_t *ctx, const rp_meta_t *m, const char *list, picks_t *p,
                         rp_status_t *st)
{
    *st = open_lists(p);
    if (list == NULL) {
        const rp_object_t *const *all;
        int n = rp_meta_objects(m, &all);
        for (int i = 0; *st == RP_OK && i < n; i++)
            if (has_searchable(all[i]))
                *st = add_object(ctx, m, all[i], p);
    } else {
        const char *s = list;
        while (*st == RP_OK) {
            const char *end = strchr(s, ',');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            char name[RP_FIELD_NAME_MAX + 1];
            const rp_object_t *o = NULL;
            if (len > 0 && len <= RP_FIELD_NAME_MAX) {
                memcpy(name, s, len);
                name[len] = '\0';
                o = rp_meta_object(m, name);
            }
            if (o == NULL) {
                char detail[128];
                snprintf(detail, sizeof detail, "unknown object in objects: %.*s",
                         (int)(len > 64 ? 64 : len), s);
                rp_resp_problem(ctx, 400, "unknown_object", detail);
                return false;
            }
            *st = add_object(ctx, m, o, p);
            if (end == NULL)
                break;
            s = end + 1;
        }
    }
    if (*st == RP_OK)
        *st = close_lists(p);
    return true;
}

/* The statement for p, with its parameters after the first six (*np grows;
 * params has room for 11). */
static rp_status_t build_sql(rp_ctx_t *ctx, picks_t *p, rp_buf_t *sql, const char **params, int *np)
{
    bool restricted = p->restricted.len > 2;
    bool scoped = p->own.len > 2 || p->team.len > 2;
    rp_status_t st = rp_buf_printf(sql, search_head, restricted ? "s.st" : "r.search_text");
    if (st == RP_OK && restricted) {
        params[(*np)++] = p->restricted.data;
        st = rp_buf_printf(sql, visible_text, *np);
    }
    if (st == RP_OK)
        st = rp_buf_puts(sql, search_where);
    if (st == RP_OK && restricted)
        st = rp_buf_puts(sql, " AND (s.st LIKE q.p OR q.t <% s.st)");
    if (st == RP_OK && scoped) {
        const char *user = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
        int a = ++*np, o = ++*np, t = ++*np, u = ++*np;
        params[a - 1] = p->all.data;
        params[o - 1] = p->own.data;
        params[t - 1] = p->team.data;
        params[u - 1] = user;
        /* Each object's records in the caller's read scope of it; team:
         * owned by the caller or by anyone sharing one of its teams. */
        st = rp_buf_printf(sql,
                           " AND (r.object = ANY ($%d::text[]) OR (r.object = ANY ($%d::text[])"
                           " AND r.owner_id = $%d::uuid) OR (r.object = ANY ($%d::text[]) AND"
                           " (r.owner_id = $%d::uuid OR r.owner_id IN (SELECT m2.user_id FROM"
                           " team_members m1 JOIN team_members m2 ON m2.tenant_id = m1.tenant_id"
                           " AND m2.team_id = m1.team_id WHERE m1.tenant_id = $1::uuid AND"
                           " m1.user_id = $%d::uuid))))",
                           a, o, u, t, u, u);
    }
    if (st == RP_OK)
        st = rp_buf_puts(sql, search_tail);
    return st;
}

/* One result: {"object","id","score","title","matched"}. The title is never
 * taken from a field the caller may not read. */
static json_t *result_json(rp_ctx_t *ctx, const rp_meta_t *m, const rp_dbres_t *res, int row)
{
    const rp_object_t *o = rp_meta_object(m, rp_dbres_get(res, row, 0));
    json_t *data = json_loads(rp_dbres_get(res, row, 3), 0, NULL);
    json_t *matched =
        rp_dbres_null(res, row, 4) ? json_object() : json_loads(rp_dbres_get(res, row, 4), 0, NULL);
    if (o != NULL && json_is_object(data)) {
        rp_access_t a;
        rp_perm_access(ctx, m, o, &a);
        for (int i = 0; a.fields != NULL && i < o->nfields; i++)
            if (a.fields[i] == RP_FIELD_ACCESS_NONE)
                json_object_del(data, o->fields[i].name);
    }
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
    picks_t picks = {0};
    rp_buf_t sql = {0};
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
    if (!pick_objects(ctx, m, rp_req_query_param(ctx, "objects"), &picks, &st))
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
    const char *p[11] = {ctx->principal.tenant_id, q,  pattern, picks.objs.data,
                         picks.fields.data,        lim};
    int np = 6;
    if ((st = build_sql(ctx, &picks, &sql, p, &np)) != RP_OK)
        goto fail;
    if ((st = rp_db_exec(ctx->db, sql.data, np, p, &res)) != RP_OK)
        goto fail;
    st = RP_ENOMEM;
    if ((list = json_array()) == NULL)
        goto fail;
    for (int i = 0; i < rp_dbres_rows(res); i++)
        if (json_array_append_new(list, result_json(ctx, m, res, i)) != 0)
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
    rp_buf_free(&sql);
    picks_free(&picks);
}

/* A read: any role may search; its rights narrow what it finds. */
static const rp_route_t routes[] = {
    /* Not RP_ROUTE_READ: the similarity threshold is a setting local to
     * the transaction the query then runs in. */
    {RP_GET, "/api/v1/search", search, 0, RP_ROLE_READONLY},
};

rp_status_t rp_records_search_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
