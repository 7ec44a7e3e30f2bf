#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "records/perm.h"
#include "records/query_internal.h"

/* One sort key after parsing. */
typedef struct sort_key {
    rp_qfield_t f;
    bool desc;
} sort_key_t;

/* Splits "a,b" or ["a","b"] into names; NULL entries are never produced.
 * Returns the count, -1 when the shape is wrong, -2 on allocation failure. */
static int name_list(rp_pool_t *pool, const json_t *v, const char ***out, int max)
{
    const char **names = rp_pool_alloc(pool, (size_t)(max + 1) * sizeof *names);
    int n = 0;
    if (names == NULL)
        return -2;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (*s == '\0') {
            *out = names;
            return 0;
        }
        for (;;) {
            const char *comma = strchr(s, ',');
            size_t len = comma ? (size_t)(comma - s) : strlen(s);
            if (n == max)
                return -1;
            if ((names[n++] = rp_pool_strndup(pool, s, len)) == NULL)
                return -2;
            if (comma == NULL)
                break;
            s = comma + 1;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e) || n == max)
                return -1;
            names[n++] = json_string_value(e);
        }
    } else {
        return -1;
    }
    *out = names;
    return n;
}

static rp_status_t parse_sort(rp_qb_t *qb, const json_t *sort, sort_key_t *keys, int *nkeys,
                              rp_buf_t *sig)
{
    *nkeys = 0;
    if (sort == NULL || json_is_null(sort))
        return RP_OK;
    const char **names;
    int n = name_list(qb->pool, sort, &names, RP_QUERY_SORT_MAX);
    if (n == -2)
        return RP_ENOMEM;
    if (n < 0)
        return rp_qb_fail(qb, "invalid_sort", "sort",
                          "must be a list of at most %d field names, each with an optional - "
                          "for descending order",
                          RP_QUERY_SORT_MAX);
    for (int i = 0; i < n; i++) {
        const char *name = names[i];
        bool desc = false;
        while (*name == ' ')
            name++;
        if (*name == '-' || *name == '+') {
            desc = *name == '-';
            name++;
        }
        sort_key_t *k = &keys[*nkeys];
        rp_status_t st = rp_qfield_resolve(qb, name, &k->f);
        if (st != RP_OK)
            return st;
        for (int j = 0; j < *nkeys; j++)
            if (strcmp(keys[j].f.name, name) == 0)
                return rp_qb_fail(qb, "invalid_sort", name, "appears twice in sort");
        k->desc = desc;
        if (rp_buf_printf(sig, "%s%s%s", *nkeys ? "," : "", desc ? "-" : "", name) != RP_OK)
            return RP_ENOMEM;
        ++*nkeys;
        /* id is unique: nothing after it can change the order. */
        if (strcmp(name, "id") == 0)
            break;
    }
    return RP_OK;
}

static rp_status_t parse_fields(rp_qb_t *qb, const json_t *fields, rp_query_t *q)
{
    const rp_object_t *o = qb->object;
    q->fields = rp_pool_alloc(qb->pool, (size_t)(o->nfields + 1) * sizeof *q->fields);
    if (q->fields == NULL)
        return RP_ENOMEM;
    q->nfields = 0;
    if (fields == NULL || json_is_null(fields)) {
        for (int i = 0; i < o->nfields; i++)
            if (rp_qb_field(qb, o->fields[i].name) != NULL)
                q->fields[q->nfields++] = &o->fields[i];
        return RP_OK;
    }
    const char **names;
    int n = name_list(qb->pool, fields, &names, o->nfields + 16);
    if (n == -2)
        return RP_ENOMEM;
    if (n < 0)
        return rp_qb_fail(qb, "unknown_field", "fields", "must be a list of field names");
    for (int i = 0; i < n; i++) {
        if (rp_query_system_field(names[i]))
            continue; /* always part of a record */
        if (rp_qb_field(qb, names[i]) == NULL)
            return rp_qb_fail(qb, "unknown_field", names[i], "is not a field of %s", o->name);
    }
    /* Object order, each field once, whatever order they were asked in. */
    for (int i = 0; i < o->nfields; i++)
        for (int j = 0; j < n; j++)
            if (strcmp(o->fields[i].name, names[j]) == 0) {
                q->fields[q->nfields++] = &o->fields[i];
                break;
            }
    return RP_OK;
}

static rp_status_t parse_limit(rp_qb_t *qb, const json_t *limit, int *out)
{
    *out = RP_QUERY_LIMIT_DEFAULT;
    if (limit == NULL || json_is_null(limit))
        return RP_OK;
    long long v = -1;
    if (json_is_integer(limit)) {
        v = json_integer_value(limit);
    } else if (json_is_string(limit)) {
        const char *s = json_string_value(limit);
        size_t len = strlen(s);
        if (len >= 1 && len <= 4 && strspn(s, "0123456789") == len)
            v = strtoll(s, NULL, 10);
    }
    if (v < 1 || v > RP_QUERY_LIMIT_MAX)
        return rp_qb_fail(qb, "invalid_limit", "limit", "must be an integer from 1 to %d",
                          RP_QUERY_LIMIT_MAX);
    *out = (int)v;
    return RP_OK;
}

static const char *dir_sql(const sort_key_t *k)
{
    if (k->f.nullable)
        return k->desc ? " DESC NULLS LAST" : " ASC NULLS LAST";
    return k->desc ? " DESC" : " ASC";
}

/* The keyset predicate: rows strictly after the cursor row in the sort
 * order, NULLs last. Uniform directions over non-null keys give one row
 * comparison, which a matching index can serve; otherwise the OR-expanded
 * form: (k0 after) OR (k0 = AND k1 after) OR ... OR (all = AND id after). */
static rp_status_t keyset(rp_qb_t *qb, const sort_key_t *keys, int nkeys, const char *const *vals,
                          const char *id, rp_buf_t *w)
{
    int nums[RP_QUERY_SORT_MAX + 1];
    bool uniform = true;
    for (int i = 0; i < nkeys; i++) {
        if (vals[i] != NULL && (nums[i] = rp_qb_param(qb, vals[i])) == 0)
            return RP_ENOMEM;
        if (keys[i].f.nullable || vals[i] == NULL || keys[i].desc != keys[0].desc)
            uniform = false;
    }
    int idnum = 0;
    bool id_last = nkeys > 0 && strcmp(keys[nkeys - 1].f.name, "id") == 0;
    bool id_desc = nkeys > 0 && keys[nkeys - 1].desc;
    int n = nkeys;
    if (!id_last) {
        if ((idnum = rp_qb_param(qb, id)) == 0)
            return RP_ENOMEM;
    }
    rp_buf_t b = {0};
    rp_status_t st = RP_OK;
#define OUT(...)                                                                                   \
    do {                                                                                           \
        if (st == RP_OK && rp_buf_printf(&b, __VA_ARGS__) != RP_OK)                                \
            st = RP_ENOMEM;                                                                        \
    } while (0)
    if (uniform) {
        const char *op = (nkeys > 0 && keys[0].desc) ? "<" : ">";
        OUT(" AND (");
        for (int i = 0; i < n; i++)
            OUT("%s%s", i ? ", " : "", keys[i].f.expr);
        if (!id_last)
            OUT("%sr.id", n ? ", " : "");
        OUT(") %s (", op);
        for (int i = 0; i < n; i++)
            OUT("%s$%d%s", i ? ", " : "", nums[i], keys[i].f.cast);
        if (!id_last)
            OUT("%s$%d::uuid", n ? ", " : "", idnum);
        OUT(")");
    } else {
        OUT(" AND (");
        bool first = true;
        int terms = n + (id_last ? 0 : 1);
        for (int t = 0; t < terms; t++) {
            /* Term t: keys before t equal, key t after. */
            bool possible = t == n || vals[t] != NULL;
            if (!possible)
                continue;
            OUT("%s(", first ? "" : " OR ");
            first = false;
            for (int i = 0; i < t; i++) {
                if (vals[i] == NULL)
                    OUT("%s IS NULL AND ", keys[i].f.expr);
                else
                    OUT("%s = $%d%s AND ", keys[i].f.expr, nums[i], keys[i].f.cast);
            }
            if (t == n) {
                OUT("r.id %s $%d::uuid", id_desc ? "<" : ">", idnum);
            } else {
                const sort_key_t *k = &keys[t];
                if (k->f.nullable)
                    OUT("(%s %s $%d%s OR %s IS NULL)", k->f.expr, k->desc ? "<" : ">", nums[t],
                        k->f.cast, k->f.expr);
                else
                    OUT("%s %s $%d%s", k->f.expr, k->desc ? "<" : ">", nums[t], k->f.cast);
            }
            OUT(")");
        }
        if (first)
            OUT("false");
        OUT(")");
    }
#undef OUT
    if (st == RP_OK && rp_buf_puts(w, b.data) != RP_OK)
        st = RP_ENOMEM;
    rp_buf_free(&b);
    return st;
}

/* Restricts the rows to the caller's read scope. The tenant is already $1;
 * the caller's id travels as a parameter like every other value. */
static rp_status_t read_scope(rp_qb_t *qb, const rp_query_spec_t *spec, rp_buf_t *w)
{
    rp_scope_t scope = spec->access != NULL ? spec->access->read : RP_SCOPE_ALL;
    if (scope == RP_SCOPE_ALL)
        return RP_OK;
    if (scope == RP_SCOPE_NONE || spec->user_id == NULL)
        return rp_buf_puts(w, " AND false");
    int u = rp_qb_param(qb, spec->user_id);
    if (u == 0)
        return RP_ENOMEM;
    if (scope == RP_SCOPE_OWN)
        return rp_buf_printf(w, " AND r.owner_id = $%d::uuid", u);
    /* Owned by the caller, or by anyone sharing one of its teams. */
    return rp_buf_printf(w,
                         " AND (r.owner_id = $%d::uuid OR r.owner_id IN (SELECT m2.user_id"
                         " FROM team_members m1 JOIN team_members m2 ON m2.tenant_id ="
                         " m1.tenant_id AND m2.team_id = m1.team_id WHERE m1.tenant_id ="
                         " $1::uuid AND m1.user_id = $%d::uuid))",
                         u, u);
}

static bool name_safe(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

rp_status_t rp_query_compile(const rp_query_spec_t *spec, rp_pool_t *pool, rp_query_t *out,
                             rp_query_error_t *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    rp_qb_t qb = {.pool = pool, .object = spec->object, .err = err, .access = spec->access};
    rp_buf_t where = {0}, order = {0}, sel = {0}, sig = {0}, sql = {0};
    sort_key_t keys[RP_QUERY_SORT_MAX];
    int nkeys = 0;
    rp_status_t st = RP_OK;
    if (spec->object == NULL || spec->tenant_id == NULL || !name_safe(spec->object->name)) {
        st = RP_EINVAL;
        goto done;
    }
    /* $1 is always the tenant. The object name is printed like field names
     * are: the partial expression indexes (WHERE object = 'contact') only
     * match a literal, and a cached generic plan never sees a parameter's
     * value. */
    if (rp_qb_param(&qb, spec->tenant_id) != 1) {
        st = RP_ENOMEM;
        goto done;
    }
    if (rp_buf_printf(&where, "r.tenant_id = $1::uuid AND r.object = '%s' AND r.deleted_at IS NULL",
                      spec->object->name) != RP_OK) {
        st = RP_ENOMEM;
        goto done;
    }
    if ((st = read_scope(&qb, spec, &where)) != RP_OK)
        goto done;
    if ((st = parse_limit(&qb, spec->limit, &out->limit)) != RP_OK)
        goto done;
    if ((st = parse_fields(&qb, spec->fields, out)) != RP_OK)
        goto done;
    bool has_filter = spec->filter != NULL && !json_is_null(spec->filter) &&
                      !(json_is_object(spec->filter) && json_object_size(spec->filter) == 0);
    if (has_filter) {
        if ((st = rp_buf_puts(&where, " AND (")) != RP_OK)
            goto done;
        if ((st = rp_query_filter(&qb, spec->filter, 0, &where)) != RP_OK)
            goto done;
        if ((st = rp_buf_puts(&where, ")")) != RP_OK)
            goto done;
    }
    if ((st = parse_sort(&qb, spec->sort, keys, &nkeys, &sig)) != RP_OK)
        goto done;
    if (sig.data == NULL && (st = rp_buf_puts(&sig, "")) != RP_OK)
        goto done;
    bool id_last = nkeys > 0 && strcmp(keys[nkeys - 1].f.name, "id") == 0;
    out->nsort = id_last ? nkeys - 1 : nkeys;
    if (spec->cursor != NULL) {
        const char *vals[RP_QUERY_SORT_MAX] = {0};
        const char *id = NULL;
        if ((st = rp_query_cursor_decode(&qb, spec->cursor, sig.data, out->nsort, vals, &id)) !=
            RP_OK)
            goto done;
        if (id_last)
            vals[nkeys - 1] = id; /* the id key carries the id itself */
        if ((st = keyset(&qb, keys, nkeys, vals, id, &where)) != RP_OK)
            goto done;
    }
    for (int i = 0; i < nkeys; i++)
        if (rp_buf_printf(&order, "%s%s%s", i ? ", " : "", keys[i].f.expr, dir_sql(&keys[i])) !=
            RP_OK)
            st = RP_ENOMEM;
    if (!id_last && st == RP_OK)
        st = rp_buf_printf(&order, "%sr.id%s", nkeys ? ", " : "",
                           nkeys && keys[nkeys - 1].desc ? " DESC" : " ASC");
    for (int i = 0; st == RP_OK && i < out->nsort; i++)
        st = rp_buf_printf(&sel, ", (%s)::text AS _s%d", keys[i].f.expr, i);
    if (st != RP_OK)
        goto done;
    if (rp_buf_printf(&sql, "SELECT %s%s FROM records r WHERE %s ORDER BY %s LIMIT %d",
                      spec->columns ? spec->columns : RP_QUERY_COLS, sel.data ? sel.data : "",
                      where.data, order.data, out->limit + 1) != RP_OK ||
        (out->sql = rp_pool_strdup(pool, sql.data)) == NULL ||
        (out->sort_sig = rp_pool_strdup(pool, sig.data)) == NULL) {
        st = RP_ENOMEM;
        goto done;
    }
    out->params = qb.params;
    out->nparams = qb.nparams;
done:
    if (st == RP_EINVAL && err->code == NULL) {
        err->code = "invalid_filter";
        snprintf(err->message, sizeof err->message, "cannot be queried");
    }
    rp_buf_free(&where);
    rp_buf_free(&order);
    rp_buf_free(&sel);
    rp_buf_free(&sig);
    rp_buf_free(&sql);
    return st;
}
