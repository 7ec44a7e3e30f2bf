#include <string.h>

#include "records/query_internal.h"

typedef enum op {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LTE,
    OP_GT,
    OP_GTE,
    OP_IN,
    OP_NIN,
    OP_CONTAINS,
    OP_STARTS_WITH,
    OP_IS_NULL,
    OP_COUNT
} op_t;

static const char *const op_names[OP_COUNT] = {
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "nin", "contains", "starts_with", "is_null",
};

static const char *const op_sql[OP_COUNT] = {"=", "<>", "<", "<=", ">", ">="};

static int op_parse(const char *s)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (strcmp(s, op_names[i]) == 0)
            return i;
    return -1;
}

static rp_status_t put(rp_buf_t *sql, const char *s)
{
    return rp_buf_puts(sql, s) == RP_OK ? RP_OK : RP_ENOMEM;
}

/* Which types a substring search makes sense on. */
static bool textual(const rp_qfield_t *f)
{
    switch (f->type) {
    case RP_FIELD_TEXT:
    case RP_FIELD_TEXTAREA:
    case RP_FIELD_EMAIL:
    case RP_FIELD_PHONE:
    case RP_FIELD_URL:
    case RP_FIELD_PICKLIST:
    case RP_FIELD_AUTONUMBER:
        return f->field != NULL || strchr(f->name, '.') != NULL;
    default:
        return false;
    }
}

/* in/nin values: a JSON array or a comma-separated string. New reference. */
static json_t *value_list(rp_qb_t *qb, const rp_qfield_t *f, const json_t *v)
{
    json_t *list = NULL;
    if (json_is_array(v)) {
        list = json_incref((json_t *)v);
    } else if (json_is_string(v)) {
        list = json_array();
        const char *s = json_string_value(v);
        while (list != NULL) {
            const char *comma = strchr(s, ',');
            size_t n = comma ? (size_t)(comma - s) : strlen(s);
            if (json_array_append_new(list, json_stringn(s, n)) != 0) {
                json_decref(list);
                list = NULL;
                break;
            }
            if (comma == NULL)
                break;
            s = comma + 1;
        }
        if (list == NULL)
            return NULL;
    } else {
        rp_qb_fail(qb, "invalid_filter", f->name, "in and nin take a list of values");
        return NULL;
    }
    size_t n = json_array_size(list);
    if (n == 0 || n > RP_QUERY_IN_MAX) {
        rp_qb_fail(qb, "invalid_filter", f->name, "in and nin take 1 to %d values",
                   RP_QUERY_IN_MAX);
        json_decref(list);
        return NULL;
    }
    return list;
}

/* The values of list as one PostgreSQL array literal parameter. */
static rp_status_t array_param(rp_qb_t *qb, const rp_qfield_t *f, const json_t *list, int *num)
{
    rp_buf_t b = {0};
    rp_status_t st = put(&b, "{");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *text = NULL;
        if (st == RP_OK)
            st = rp_qfield_value(qb, f, item, &text);
        if (st == RP_OK && i > 0)
            st = put(&b, ",");
        if (st == RP_OK)
            st = put(&b, "\"");
        for (const char *p = text; st == RP_OK && *p; p++) {
            if ((*p == '"' || *p == '\\') && rp_buf_append(&b, "\\", 1) != RP_OK)
                st = RP_ENOMEM;
            if (st == RP_OK && rp_buf_append(&b, p, 1) != RP_OK)
                st = RP_ENOMEM;
        }
        if (st == RP_OK)
            st = put(&b, "\"");
    }
    if (st == RP_OK)
        st = put(&b, "}");
    if (st == RP_OK && (*num = rp_qb_param(qb, b.data)) == 0)
        st = RP_ENOMEM;
    rp_buf_free(&b);
    return st;
}

static const char *array_cast(const char *cast)
{
    if (strcmp(cast, "::numeric") == 0)
        return "::numeric[]";
    if (strcmp(cast, "::date") == 0)
        return "::date[]";
    if (strcmp(cast, "::timestamptz") == 0)
        return "::timestamptz[]";
    if (strcmp(cast, "::boolean") == 0)
        return "::boolean[]";
    if (strcmp(cast, "::uuid") == 0)
        return "::uuid[]";
    if (strcmp(cast, "::integer") == 0)
        return "::integer[]";
    return "::text[]";
}

/* A LIKE pattern that matches s literally, with % added where wanted. */
static const char *like_pattern(rp_qb_t *qb, const char *s, bool leading)
{
    size_t n = strlen(s);
    char *out = rp_pool_alloc(qb->pool, 2 * n + 3);
    if (out == NULL)
        return NULL;
    char *o = out;
    if (leading)
        *o++ = '%';
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

/* One condition on record_index's typed column for f: "ri.value_num > $3". */
static rp_status_t indexed_cond(rp_qb_t *qb, const rp_qfield_t *f, op_t op, const json_t *value,
                                rp_buf_t *sql)
{
    const char *cast = strcmp(f->index_col, "value_num") == 0  ? "::numeric"
                       : strcmp(f->index_col, "value_ts") == 0 ? "::timestamptz"
                                                               : "";
    rp_status_t st;
    int vnum;
    if (op == OP_IN) {
        json_t *list = value_list(qb, f, value);
        if (list == NULL)
            return qb->err->code ? RP_EINVAL : RP_ENOMEM;
        st = array_param(qb, f, list, &vnum);
        json_decref(list);
        if (st != RP_OK)
            return st;
        st = rp_buf_printf(sql, " AND ri.%s = ANY($%d%s)", f->index_col, vnum, array_cast(cast));
    } else {
        const char *text;
        if ((st = rp_qfield_value(qb, f, value, &text)) != RP_OK)
            return st;
        if ((vnum = rp_qb_param(qb, text)) == 0)
            return RP_ENOMEM;
        st = rp_buf_printf(sql, " AND ri.%s %s $%d%s", f->index_col, op_sql[op], vnum, cast);
    }
    return st == RP_OK ? RP_OK : RP_ENOMEM;
}

/* Equality and ranges on a tenant's indexed field go through record_index,
 * whose (tenant_id, object, field, value_*) indexes then serve them. The
 * conditions of one and-group on the same field share one EXISTS, so that a
 * range reaches the index as both of its bounds. */
static rp_status_t indexed_exists(rp_qb_t *qb, const rp_qfield_t *f, const op_t *ops,
                                  const json_t *const *values, int n, rp_buf_t *sql)
{
    int fnum = rp_qb_param(qb, f->name);
    if (fnum == 0)
        return RP_ENOMEM;
    if (rp_buf_printf(sql,
                      "EXISTS (SELECT 1 FROM record_index ri WHERE ri.tenant_id = r.tenant_id "
                      "AND ri.object = r.object AND ri.record_id = r.id AND ri.field = $%d",
                      fnum) != RP_OK)
        return RP_ENOMEM;
    for (int i = 0; i < n; i++) {
        rp_status_t st = indexed_cond(qb, f, ops[i], values[i], sql);
        if (st != RP_OK)
            return st;
    }
    return put(sql, ")");
}

/* True when node is a condition that compiles through record_index; fills
 * f, op and value. Never records an error: the normal path reports it. */
static bool indexed_candidate(rp_qb_t *qb, const json_t *node, rp_qfield_t *f, op_t *op,
                              const json_t **value)
{
    const char *name = json_string_value(json_object_get(node, "field"));
    const char *opname = json_string_value(json_object_get(node, "op"));
    *value = json_object_get(node, "value");
    if (name == NULL || opname == NULL || *value == NULL || json_is_null(*value) ||
        json_object_size(node) != 3 || rp_qb_field(qb, name) == NULL)
        return false;
    int o = op_parse(opname);
    if (o != OP_EQ && o != OP_LT && o != OP_LTE && o != OP_GT && o != OP_GTE && o != OP_IN)
        return false;
    rp_query_error_t saved = *qb->err;
    if (rp_qfield_resolve(qb, name, f) != RP_OK) {
        *qb->err = saved;
        return false;
    }
    *op = (op_t)o;
    return f->custom_indexed;
}

static rp_status_t multi_leaf(rp_qb_t *qb, const rp_qfield_t *f, op_t op, const json_t *value,
                              rp_buf_t *sql)
{
    rp_status_t st;
    int num;
    bool negate = op == OP_NE || op == OP_NIN;
    const char *test;
    if (op == OP_EQ || op == OP_NE || op == OP_CONTAINS) {
        const char *text;
        if ((st = rp_qfield_value(qb, f, value, &text)) != RP_OK)
            return st;
        if ((num = rp_qb_param(qb, text)) == 0)
            return RP_ENOMEM;
        test = "?";
    } else if (op == OP_IN || op == OP_NIN) {
        json_t *list = value_list(qb, f, value);
        if (list == NULL)
            return qb->err->code ? RP_EINVAL : RP_ENOMEM;
        st = array_param(qb, f, list, &num);
        json_decref(list);
        if (st != RP_OK)
            return st;
        test = "?|";
    } else {
        return rp_qb_fail(qb, "invalid_filter", f->name,
                          "takes eq, ne, contains, in, nin and is_null (a multipicklist)");
    }
    return rp_buf_printf(sql, "%sCOALESCE(%s %s $%d%s, false)", negate ? "NOT " : "", f->json_path,
                         test, num, *test == '?' && test[1] ? "::text[]" : "") == RP_OK
               ? RP_OK
               : RP_ENOMEM;
}

static rp_status_t null_leaf(rp_qb_t *qb, const rp_qfield_t *f, const json_t *value, rp_buf_t *sql)
{
    const char *s = json_string_value(value);
    bool want;
    if (json_is_boolean(value))
        want = json_is_true(value);
    else if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
        want = s[0] == 't';
    else
        return rp_qb_fail(qb, "invalid_filter", f->name, "is_null takes true or false");
    rp_status_t st;
    if (f->field == NULL && strchr(f->name, '.') == NULL)
        st = rp_buf_printf(sql, "%s IS %sNULL", f->expr, want ? "" : "NOT ");
    else
        st = rp_buf_printf(sql, "%s(%s IS NULL OR %s = 'null'::jsonb)", want ? "" : "NOT ",
                           f->json_path, f->json_path);
    return st == RP_OK ? RP_OK : RP_ENOMEM;
}

static rp_status_t leaf(rp_qb_t *qb, const json_t *node, rp_buf_t *sql)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)node, key, v)
    {
        if (strcmp(key, "field") != 0 && strcmp(key, "op") != 0 && strcmp(key, "value") != 0)
            return rp_qb_fail(qb, "invalid_filter", key,
                              "is not a filter member: a condition has field, op and value, a "
                              "group has one of and, or, not");
    }
    const char *name = json_string_value(json_object_get(node, "field"));
    const char *opname = json_string_value(json_object_get(node, "op"));
    const json_t *value = json_object_get(node, "value");
    if (name == NULL)
        return rp_qb_fail(qb, "invalid_filter", "field", "is required in every condition");
    if (opname == NULL)
        return rp_qb_fail(qb, "invalid_filter", name, "needs an op");
    if (++qb->leaves > RP_QUERY_LEAVES_MAX)
        return rp_qb_fail(qb, "invalid_filter", "filter", "has more than %d conditions",
                          RP_QUERY_LEAVES_MAX);
    rp_qfield_t f;
    rp_status_t st = rp_qfield_resolve(qb, name, &f);
    if (st != RP_OK)
        return st;
    int op = op_parse(opname);
    if (op < 0)
        return rp_qb_fail(qb, "unknown_operator", opname,
                          "is not an operator: use eq, ne, lt, lte, gt, gte, in, nin, contains, "
                          "starts_with or is_null");
    if (value == NULL || json_is_null(value))
        return rp_qb_fail(qb, "invalid_filter", name,
                          "needs a value (use is_null for missing values)");
    if (op == OP_IS_NULL)
        return null_leaf(qb, &f, value, sql);
    if (f.multi)
        return multi_leaf(qb, &f, (op_t)op, value, sql);
    if (op == OP_CONTAINS || op == OP_STARTS_WITH) {
        const char *s = json_string_value(value);
        if (!textual(&f))
            return rp_qb_fail(qb, "invalid_filter", name, "does not take %s (not a text field)",
                              opname);
        if (s == NULL || *s == '\0' || strlen(s) != json_string_length(value))
            return rp_qb_fail(qb, "invalid_filter", name, "%s takes a non-empty string", opname);
        const char *pat = like_pattern(qb, s, op == OP_CONTAINS);
        int num = pat ? rp_qb_param(qb, pat) : 0;
        if (num == 0)
            return RP_ENOMEM;
        const char *raw = f.expr;
        char plain_expr[160];
        if (f.type == RP_FIELD_EMAIL) {
            snprintf(plain_expr, sizeof plain_expr, "(r.data->>'%s')", f.field->name);
            raw = plain_expr;
        }
        return rp_buf_printf(sql, "%s ILIKE $%d", raw, num) == RP_OK ? RP_OK : RP_ENOMEM;
    }
    if (f.custom_indexed && op != OP_NE && op != OP_NIN) {
        op_t o = (op_t)op;
        return indexed_exists(qb, &f, &o, &value, 1, sql);
    }
    int num;
    if (op == OP_IN || op == OP_NIN) {
        json_t *list = value_list(qb, &f, value);
        if (list == NULL)
            return qb->err->code ? RP_EINVAL : RP_ENOMEM;
        st = array_param(qb, &f, list, &num);
        json_decref(list);
        if (st != RP_OK)
            return st;
        st = op == OP_IN ? rp_buf_printf(sql, "%s = ANY($%d%s)", f.expr, num, array_cast(f.cast))
                         : rp_buf_printf(sql, "NOT COALESCE(%s = ANY($%d%s), false)", f.expr, num,
                                         array_cast(f.cast));
        return st == RP_OK ? RP_OK : RP_ENOMEM;
    }
    const char *text;
    if ((st = rp_qfield_value(qb, &f, value, &text)) != RP_OK)
        return st;
    if ((num = rp_qb_param(qb, text)) == 0)
        return RP_ENOMEM;
    /* ne keeps records where the field is empty, as users expect. */
    if (op == OP_NE)
        st = rp_buf_printf(sql, "%s IS DISTINCT FROM $%d%s", f.expr, num, f.cast);
    else
        st = rp_buf_printf(sql, "%s %s $%d%s", f.expr, op_sql[op], num, f.cast);
    return st == RP_OK ? RP_OK : RP_ENOMEM;
}

rp_status_t rp_query_filter(rp_qb_t *qb, const json_t *node, int depth, rp_buf_t *sql)
{
    if (depth > RP_QUERY_DEPTH_MAX)
        return rp_qb_fail(qb, "invalid_filter", "filter", "is nested more than %d levels deep",
                          RP_QUERY_DEPTH_MAX);
    if (!json_is_object(node))
        return rp_qb_fail(qb, "invalid_filter", "filter",
                          "must be an object: a condition or an and, or, not group");
    json_t *group = json_object_get(node, "and");
    const char *joiner = " AND ";
    if (group == NULL) {
        group = json_object_get(node, "or");
        joiner = " OR ";
    }
    json_t *neg = json_object_get(node, "not");
    if ((group != NULL || neg != NULL) && json_object_size(node) != 1)
        return rp_qb_fail(qb, "invalid_filter", "filter",
                          "a group has exactly one member: and, or or not");
    rp_status_t st;
    if (neg != NULL) {
        if ((st = put(sql, "NOT (")) != RP_OK)
            return st;
        if ((st = rp_query_filter(qb, neg, depth + 1, sql)) != RP_OK)
            return st;
        return put(sql, ")");
    }
    if (group == NULL)
        return leaf(qb, node, sql);
    if (!json_is_array(group) || json_array_size(group) == 0)
        return rp_qb_fail(qb, "invalid_filter", "filter", "and and or take a non-empty array");
    if ((st = put(sql, "(")) != RP_OK)
        return st;
    size_t n = json_array_size(group);
    bool is_and = strcmp(joiner, " AND ") == 0;
    bool *done = rp_pool_alloc(qb->pool, n);
    if (done == NULL)
        return RP_ENOMEM;
    memset(done, 0, n);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const json_t *kid = json_array_get(group, i);
        if (!first && (st = put(sql, joiner)) != RP_OK)
            return st;
        first = false;
        if ((st = put(sql, "(")) != RP_OK)
            return st;
        rp_qfield_t f, g;
        op_t ops[32];
        const json_t *values[32];
        if (is_and && indexed_candidate(qb, kid, &f, &ops[0], &values[0])) {
            int k = 1;
            for (size_t j = i + 1; j < n && k < 32; j++) {
                if (!done[j] &&
                    indexed_candidate(qb, json_array_get(group, j), &g, &ops[k], &values[k]) &&
                    strcmp(g.name, f.name) == 0) {
                    done[j] = true;
                    k++;
                }
            }
            if ((qb->leaves += k) > RP_QUERY_LEAVES_MAX)
                return rp_qb_fail(qb, "invalid_filter", "filter", "has more than %d conditions",
                                  RP_QUERY_LEAVES_MAX);
            st = indexed_exists(qb, &f, ops, values, k, sql);
        } else {
            st = rp_query_filter(qb, kid, depth + 1, sql);
        }
        if (st != RP_OK)
            return st;
        if ((st = put(sql, ")")) != RP_OK)
            return st;
    }
    return put(sql, ")");
}
