/* GET /api/v1/m/sales/timeline/{object}/{id}?limit=N&cursor=C: the
 * activities (tasks, calls, meetings, notes) of a record and of its related
 * records, newest first, a page at a time.
 *
 * Related records: an account's child accounts, contacts (by account_id and
 * by account_contact) and opportunities; a contact's opportunities; an
 * opportunity's quotes. They are read with the caller's permissions, like
 * the activities: what the caller cannot read is not on its timeline. Each
 * page is one query per activity object over every related id, merged
 * here; the cursor carries the last item's (activity_at, id). */

#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "timeline_cursor.h"

#define H sales_host

/* Related records looked at, at most: a timeline stays one bounded
 * statement per activity object (ids go in "in" lists of 1000). */
#define MAX_RELATED 5000
#define IN_CHUNK 1000
#define MAX_GROUPS 6
#define DEFAULT_LIMIT 50
#define MAX_LIMIT 200

typedef struct group {
    const char *object;
    char (*ids)[37];
    size_t n, cap;
} group_t;

typedef struct groups {
    group_t g[MAX_GROUPS];
    int n;
    size_t total;
} groups_t;

/* A relation: records of object whose field holds the parent's id; the id
 * they contribute is their own, or their field pick, as records of as. */
typedef struct relation {
    const char *parent;
    const char *object;
    const char *field;
    const char *pick;
    const char *as;
} relation_t;

static const relation_t RELATIONS[] = {
    {"account", "account", "parent_id", NULL, "account"},
    {"account", "contact", "account_id", NULL, "contact"},
    {"account", "account_contact", "account_id", "contact_id", "contact"},
    {"account", "opportunity", "account_id", NULL, "opportunity"},
    {"contact", "opportunity", "contact_id", NULL, "opportunity"},
    {"opportunity", "quote", "opportunity_id", NULL, "quote"},
};

typedef struct item {
    const char *object;
    const rp_json_t *rec; /* borrowed from its page */
    const char *at;
    const char *id;
} item_t;

static rp_mstatus_t add_id(groups_t *gs, const char *object, const char *id)
{
    if (id == NULL || strlen(id) != 36 || gs->total >= MAX_RELATED)
        return RP_M_OK;
    int i = 0;
    while (i < gs->n && strcmp(gs->g[i].object, object) != 0)
        i++;
    if (i == gs->n) {
        if (gs->n == MAX_GROUPS)
            return RP_M_OK;
        gs->g[gs->n++] = (group_t){.object = object};
    }
    group_t *g = &gs->g[i];
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        char(*grown)[37] = realloc(g->ids, cap * sizeof *grown);
        if (grown == NULL)
            return RP_M_ENOMEM;
        g->ids = grown;
        g->cap = cap;
    }
    memcpy(g->ids[g->n++], id, 37);
    gs->total++;
    return RP_M_OK;
}

static void groups_free(groups_t *gs)
{
    for (int i = 0; i < gs->n; i++)
        free(gs->g[i].ids);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Sorts each group's ids and drops the repeated ones (a contact both
 * through account_id and account_contact). */
static void groups_unique(groups_t *gs)
{
    for (int i = 0; i < gs->n; i++) {
        group_t *g = &gs->g[i];
        qsort(g->ids, g->n, sizeof g->ids[0], cmp_id);
        size_t k = 0;
        for (size_t j = 0; j < g->n; j++)
            if (k == 0 || strcmp(g->ids[k - 1], g->ids[j]) != 0)
                memmove(g->ids[k++], g->ids[j], 37);
        g->n = k;
    }
}

/* Adds the records related to parent through r. An object or field this
 * tenant lacks, or one the caller may not read, adds nothing. */
static rp_mstatus_t collect(rp_mctx_t *ctx, const relation_t *r, const char *parent, groups_t *gs)
{
    rp_json_t *filter = sales_filter_eq(r->field, parent);
    if (filter == NULL)
        return RP_M_ENOMEM;
    char *cursor = NULL;
    rp_mstatus_t st = RP_M_OK;
    do {
        rp_json_t *rows = NULL;
        char *next = NULL;
        st = H->record_query_page(ctx, r->object, filter, "created_at", 200, cursor, &rows, &next);
        H->mem_free(cursor);
        cursor = next;
        if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN || st == RP_M_EINVAL) {
            st = RP_M_OK;
            break;
        }
        size_t n = H->json_array_size(rows);
        for (size_t i = 0; st == RP_M_OK && i < n; i++) {
            const rp_json_t *row = H->json_array_get(rows, i);
            const char *id =
                r->pick ? sales_field_str(row, r->pick) : H->json_string(H->json_get(row, "id"));
            st = add_id(gs, r->as, id);
        }
        H->json_free(rows);
    } while (st == RP_M_OK && cursor != NULL && gs->total < MAX_RELATED);
    H->mem_free(cursor);
    H->json_free(filter);
    return st;
}

/* {"or": [{"and": [related_object = G, related_id in [...]]}, ...]}. */
static rp_json_t *relations_filter(const groups_t *gs)
{
    rp_json_t *any = H->json_array_new(), *out = NULL;
    bool ok = any != NULL;
    for (int i = 0; ok && i < gs->n; i++) {
        const group_t *g = &gs->g[i];
        for (size_t from = 0; ok && from < g->n; from += IN_CHUNK) {
            rp_json_t *list = H->json_array_new();
            ok = list != NULL;
            for (size_t j = from; ok && j < g->n && j < from + IN_CHUNK; j++)
                ok = H->json_array_append(list, H->json_string_new(g->ids[j])) == RP_M_OK;
            if (!ok) {
                H->json_free(list);
                break;
            }
            rp_json_t *pair =
                sales_filter_join("and", 2, sales_filter_eq("related_object", g->object),
                                  sales_filter_cond("related_id", "in", list));
            ok = pair != NULL && H->json_array_append(any, pair) == RP_M_OK;
        }
    }
    if (ok && (out = H->json_object_new()) != NULL && H->json_set(out, "or", any) == RP_M_OK)
        return out;
    if (out == NULL)
        H->json_free(any);
    H->json_free(out);
    return NULL;
}

/* The items after (at, id) in timeline order. */
static rp_json_t *after_filter(const char *at, const char *id)
{
    rp_json_t *older = sales_filter_cond("id", "lt", H->json_string_new(id));
    rp_json_t *undated = sales_filter_cond("activity_at", "is_null", H->json_bool_new(1));
    if (at[0] == '\0')
        return sales_filter_join("and", 2, undated, older);
    return sales_filter_join(
        "or", 3, sales_filter_cond("activity_at", "lt", H->json_string_new(at)),
        sales_filter_join("and", 2, sales_filter_eq("activity_at", at), older), undated);
}

static int cmp_item(const void *a, const void *b)
{
    const item_t *x = a, *y = b;
    return sales_timeline_order(x->at, x->id, y->at, y->id);
}

static rp_json_t *item_json(const item_t *it)
{
    const rp_json_t *fields = H->json_get(it->rec, "fields");
    const char *title = strcmp(it->object, "note") == 0 ? "title" : "subject";
    rp_json_t *o = H->json_object_new();
    if (o == NULL)
        return NULL;
    static const char *const from_fields[] = {"related_object", "related_id"};
    static const char *const from_record[] = {"owner_id", "created_at", "updated_at"};
    bool ok = H->json_set(o, "object", H->json_string_new(it->object)) == RP_M_OK &&
              H->json_set(o, "id", H->json_string_new(it->id)) == RP_M_OK &&
              H->json_set(o, "activity_at",
                          it->at ? H->json_string_new(it->at) : H->json_null_new()) == RP_M_OK;
    rp_json_t *t = H->json_get(fields, title);
    ok = ok && H->json_set(o, title, t ? H->json_copy(t) : H->json_null_new()) == RP_M_OK;
    for (size_t i = 0; ok && i < 2; i++) {
        rp_json_t *v = H->json_get(fields, from_fields[i]);
        ok = H->json_set(o, from_fields[i], v ? H->json_copy(v) : H->json_null_new()) == RP_M_OK;
    }
    for (size_t i = 0; ok && i < 3; i++) {
        rp_json_t *v = H->json_get(it->rec, from_record[i]);
        ok = H->json_set(o, from_record[i], v ? H->json_copy(v) : H->json_null_new()) == RP_M_OK;
    }
    ok = ok && H->json_set(o, "fields", H->json_copy(fields)) == RP_M_OK;
    if (!ok) {
        H->json_free(o);
        return NULL;
    }
    return o;
}

/* limit: 1 to 200 digits-only, DEFAULT_LIMIT when absent; 0 when bad. */
static int read_limit(const char *s)
{
    if (s == NULL)
        return DEFAULT_LIMIT;
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || n > MAX_LIMIT)
            return 0;
        n = n * 10 + (*p - '0');
    }
    return s[0] != '\0' && n >= 1 && n <= MAX_LIMIT ? n : 0;
}

static rp_mstatus_t bad_param(rp_mctx_t *ctx, const char *code, const char *name,
                              const char *detail)
{
    rp_json_t *errors = H->json_object_new();
    if (errors != NULL && H->json_set(errors, name, H->json_string_new(detail)) != RP_M_OK) {
        H->json_free(errors);
        errors = NULL;
    }
    H->respond_problem(ctx, 400, code, detail, errors);
    return RP_M_OK;
}

/* The activities of one page: pages[i] are the rows of each activity
 * object (kept for the borrowed items); *more says a next page exists. */
static rp_mstatus_t read_page(rp_mctx_t *ctx, const rp_json_t *filter, int limit, rp_json_t **pages,
                              item_t **items, size_t *count, bool *more)
{
    size_t cap = 0;
    *count = 0;
    *more = false;
    for (int i = 0; i < SALES_ACTIVITY_COUNT; i++) {
        char *next = NULL;
        rp_mstatus_t st = H->record_query_page(ctx, sales_activity_objects[i], filter,
                                               "-activity_at", limit, NULL, &pages[i], &next);
        if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN)
            continue; /* an activity object the caller may not read */
        if (st != RP_M_OK)
            return st;
        *more = *more || next != NULL;
        H->mem_free(next);
        size_t n = H->json_array_size(pages[i]);
        if (*count + n > cap) {
            size_t want = cap + n + 16;
            item_t *grown = realloc(*items, want * sizeof *grown);
            if (grown == NULL)
                return RP_M_ENOMEM;
            *items = grown;
            cap = want;
        }
        for (size_t j = 0; j < n; j++) {
            const rp_json_t *rec = H->json_array_get(pages[i], j);
            const char *id = H->json_string(H->json_get(rec, "id"));
            if (id == NULL)
                continue;
            (*items)[(*count)++] = (item_t){
                .object = sales_activity_objects[i],
                .rec = rec,
                .at = sales_field_str(rec, "activity_at"),
                .id = id,
            };
        }
    }
    return RP_M_OK;
}

static rp_mstatus_t timeline(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *object = H->path_param(ctx, 0), *path_id = H->path_param(ctx, 1);
    int limit = read_limit(H->query_param(ctx, "limit"));
    if (limit == 0)
        return bad_param(ctx, "invalid_limit", "limit", "limit must be a number from 1 to 200");
    const char *cursor = H->query_param(ctx, "cursor");
    char at[SALES_CURSOR_PART_MAX], after[SALES_CURSOR_PART_MAX];
    if (cursor != NULL && !sales_timeline_cursor_decode(cursor, at, after))
        return bad_param(ctx, "invalid_cursor", "cursor",
                         "cursor is not one this timeline gave (use next_cursor as it is)");
    rp_json_t *self = NULL, *relations = NULL, *filter = NULL, *data = NULL, *body = NULL;
    rp_json_t *pages[SALES_ACTIVITY_COUNT] = {NULL};
    item_t *items = NULL;
    groups_t gs = {.n = 0};
    rp_mstatus_t st = path_id && sales_is_uuid(path_id) ? H->record_get(ctx, object, path_id, &self)
                                                        : RP_M_ENOTFOUND;
    if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN || st == RP_M_EINVAL) {
        H->respond_problem(ctx, 404, "not_found", "no record with this object and id", NULL);
        st = RP_M_OK;
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    const char *id = H->json_string(H->json_get(self, "id"));
    if ((st = add_id(&gs, object, id)) != RP_M_OK)
        goto done;
    for (size_t i = 0; st == RP_M_OK && i < sizeof RELATIONS / sizeof RELATIONS[0]; i++)
        if (strcmp(RELATIONS[i].parent, object) == 0)
            st = collect(ctx, &RELATIONS[i], id, &gs);
    if (st != RP_M_OK)
        goto done;
    groups_unique(&gs);
    st = RP_M_ENOMEM;
    if ((relations = relations_filter(&gs)) == NULL)
        goto done;
    if (cursor != NULL) {
        filter = sales_filter_join("and", 2, relations, after_filter(at, after));
        relations = NULL;
    } else {
        filter = relations;
        relations = NULL;
    }
    if (filter == NULL)
        goto done;
    size_t count;
    bool more;
    if ((st = read_page(ctx, filter, limit, pages, &items, &count, &more)) != RP_M_OK)
        goto done;
    if (count > 0)
        qsort(items, count, sizeof *items, cmp_item);
    size_t take = count < (size_t)limit ? count : (size_t)limit;
    more = more || count > take;
    st = RP_M_ENOMEM;
    if ((data = H->json_array_new()) == NULL || (body = H->json_object_new()) == NULL)
        goto done;
    for (size_t i = 0; i < take; i++)
        if (H->json_array_append(data, item_json(&items[i])) != RP_M_OK)
            goto done;
    char next[SALES_CURSOR_MAX];
    if (more && take > 0 &&
        !sales_timeline_cursor_encode(items[take - 1].at, items[take - 1].id, next, sizeof next))
        more = false; /* an item the engine did not store in its own form */
    bool ok =
        H->json_set(body, "object", H->json_string_new(object)) == RP_M_OK &&
        H->json_set(body, "id", H->json_string_new(id)) == RP_M_OK &&
        H->json_set(body, "data", data) == RP_M_OK &&
        H->json_set(body, "next_cursor",
                    more && take > 0 ? H->json_string_new(next) : H->json_null_new()) == RP_M_OK;
    data = NULL;
    if (!ok)
        goto done;
    H->respond_json(ctx, 200, body);
    body = NULL;
    st = RP_M_OK;
done:
    H->json_free(body);
    H->json_free(data);
    H->json_free(filter);
    H->json_free(relations);
    H->json_free(self);
    for (int i = 0; i < SALES_ACTIVITY_COUNT; i++)
        H->json_free(pages[i]);
    free(items);
    groups_free(&gs);
    return st;
}

rp_mstatus_t sales_timeline_init(rp_mreg_t *reg)
{
    return H->register_action(reg, RP_ACTION_GET, "timeline/{object}/{id}", RP_ACTION_READONLY,
                              timeline, NULL);
}
