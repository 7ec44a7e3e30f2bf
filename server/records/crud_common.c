#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/uuid.h"
#include "records/crud_internal.h"
#include "records/search.h"
#include "script/script.h"

rp_status_t rp_crud_refuse(rp_crud_fail_t *fail, int status, const char *code, json_t *errors,
                           const char *fmt, ...)
{
    rp_crud_fail_clear(fail);
    fail->status = status;
    fail->code = code;
    fail->errors = errors;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail->detail, sizeof fail->detail, fmt, ap);
    va_end(ap);
    return RP_EINVAL;
}

void rp_crud_fail_clear(rp_crud_fail_t *fail)
{
    json_decref(fail->errors);
    memset(fail, 0, sizeof *fail);
}

void rp_crud_fail_answer(rp_ctx_t *ctx, rp_crud_fail_t *fail)
{
    if (fail->limit[0] != '\0') {
        /* A script limit answers with its own "limit" member. */
        rp_script_refusal_t r = {.status = fail->status, .errors = fail->errors};
        snprintf(r.code, sizeof r.code, "%s", fail->code ? fail->code : "script_limit");
        snprintf(r.detail, sizeof r.detail, "%s", fail->detail);
        snprintf(r.limit, sizeof r.limit, "%s", fail->limit);
        fail->errors = NULL;
        rp_crud_fail_clear(fail);
        rp_script_refusal_answer(ctx, &r);
        return;
    }
    json_t *errors = fail->errors;
    fail->errors = NULL;
    rp_resp_problem_fields(ctx, fail->status ? fail->status : 500,
                           fail->code ? fail->code : "internal", fail->detail, errors);
    rp_crud_fail_clear(fail);
}

bool rp_crud_init(rp_ctx_t *ctx, rp_crud_t *c)
{
    memset(c, 0, sizeof *c);
    rp_status_t st = rp_meta_acquire(ctx, &c->meta);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return false;
    }
    c->ctx = ctx;
    /* Triggers of this request use the same snapshot. */
    rp_script_share_meta(ctx, c->meta);
    c->tenant_id = ctx->principal.tenant_id;
    c->actor_id = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    return true;
}

const rp_object_t *rp_crud_object(rp_ctx_t *ctx, const rp_crud_t *c)
{
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : "";
    const rp_object_t *o = rp_meta_object(c->meta, name);
    if (o == NULL) {
        char *detail = rp_pool_printf(&ctx->pool, "no object named %.64s", name);
        rp_resp_problem(ctx, 404, "unknown_object", detail ? detail : "no such object");
    }
    return o;
}

const char *rp_crud_path_id(rp_ctx_t *ctx)
{
    const char *raw = ctx->req.nparams > 1 ? ctx->req.params[1] : NULL;
    if (!rp_uuid_valid(raw)) {
        rp_resp_problem(ctx, 404, "not_found", "no such record");
        return NULL;
    }
    char *id = rp_pool_strdup(&ctx->pool, raw);
    if (id == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return NULL;
    }
    for (char *p = id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return id;
}

static bool is_custom(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, "__c") == 0;
}

/* The typed record_index column a value goes into, and its text. */
static void index_value(const rp_field_t *f, const json_t *v, const char **cols, char *num,
                        size_t numlen)
{
    cols[0] = cols[1] = cols[2] = NULL;
    switch (f->type) {
    case RP_FIELD_INTEGER:
        snprintf(num, numlen, "%lld", (long long)json_integer_value(v));
        cols[1] = num;
        break;
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        cols[1] = json_string_value(v);
        break;
    case RP_FIELD_CURRENCY:
        cols[1] = json_string_value(json_object_get(v, "amount"));
        break;
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        cols[2] = json_string_value(v);
        break;
    case RP_FIELD_BOOLEAN:
        cols[0] = json_is_true(v) ? "true" : "false";
        break;
    case RP_FIELD_MULTIPICKLIST:
        break;
    default:
        cols[0] = json_string_value(v);
        break;
    }
}

rp_status_t rp_crud_sync_field(rp_crud_t *c, const rp_object_t *o, const rp_field_t *f,
                               const char *id, const json_t *value, bool fresh, json_t *errors)
{
    rp_db_t *db = c->ctx->db;
    rp_status_t st = RP_OK;
    bool has = value != NULL && !json_is_null(value);
    if (f->unique) {
        const char *p[] = {c->tenant_id, o->name, f->name, id, NULL};
        if (!fresh)
            st = rp_db_exec(db,
                            "DELETE FROM record_unique WHERE tenant_id = $1 AND object = $2 AND "
                            "field = $3 AND record_id = $4",
                            4, p, NULL);
        if (st == RP_OK && has) {
            char *text = rp_record_unique_text(f, value);
            if (text == NULL)
                return RP_ENOMEM;
            p[4] = text;
            rp_dbres_t *res = NULL;
            /* DO NOTHING keeps the transaction usable, so every conflict of
             * a write (or a bulk request) can be reported at once. */
            st = rp_db_exec(db,
                            "INSERT INTO record_unique (tenant_id, object, field, record_id, "
                            "value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING "
                            "RETURNING record_id",
                            5, p, &res);
            if (st == RP_OK && rp_dbres_rows(res) == 0)
                json_object_set_new(errors, f->name, json_string("must be unique"));
            else if (st == RP_ECONFLICT) {
                json_object_set_new(errors, f->name, json_string("must be unique"));
                st = RP_OK;
            }
            rp_dbres_free(res);
            free(text);
        }
    }
    if (st != RP_OK || !is_custom(f->name) || !(f->indexed || f->unique))
        return st;
    const char *p[7] = {c->tenant_id, o->name, f->name, id};
    if (!fresh)
        st = rp_db_exec(db,
                        "DELETE FROM record_index WHERE tenant_id = $1 AND object = $2 AND "
                        "field = $3 AND record_id = $4",
                        4, p, NULL);
    char num[32];
    if (st != RP_OK || !has)
        return st;
    index_value(f, value, p + 4, num, sizeof num);
    if (p[4] == NULL && p[5] == NULL && p[6] == NULL)
        return RP_OK;
    return rp_db_exec(db,
                      "INSERT INTO record_index (tenant_id, object, field, record_id, value_text, "
                      "value_num, value_ts) VALUES ($1, $2, $3, $4, $5, $6::numeric, "
                      "$7::timestamptz)",
                      7, p, NULL);
}

rp_status_t rp_crud_check_refs(rp_crud_t *c, const rp_object_t *o, const json_t *vals,
                               const json_t *only, json_t *errors)
{
    rp_crud_side_t s = {0};
    rp_status_t st = rp_crud_side_refs(&s, o, vals, only);
    if (st == RP_OK)
        st = rp_crud_side_check(c, &s, o, errors, NULL);
    rp_crud_side_clear(&s);
    return st;
}

/* ---- one statement per write ------------------------------------------ */

/* A statement put together from the parts a write needs. PostgreSQL
 * starts every CTE of a statement, empty or not, and a create carrying
 * every part costs the server twice the CPU of the two statements it
 * replaces (measured with the parts empty), more than the saved round
 * trip is worth; with the parts it does not need left out, it costs what
 * they did. Values are always parameters; the texts differ only by which
 * parts they hold, so each of the few variants is prepared once per
 * connection. */
typedef struct stmt {
    rp_buf_t sql;
    const char *p[16];
    int n;
    rp_status_t st;
} stmt_t;

/* Adds a parameter and gives its number. */
static int param(stmt_t *q, const char *value)
{
    q->p[q->n++] = value;
    return q->n;
}

/* Appends printf-style text; the first failure sticks in q->st. */
static void add(stmt_t *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(stmt_t *q, const char *fmt, ...)
{
    if (q->st != RP_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    char small[2048];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small)
        q->st = RP_ERR;
    else
        q->st = rp_buf_append(&q->sql, small, (size_t)n);
}

/* The checks a write makes before it writes anything ($1 is the tenant):
 * the owner it sets is a user of the tenant (owner, NULL: none) and each
 * reference value names a live record (refs, [{"f","o","i"}]). Each
 * target found stays locked FOR SHARE until commit, so it cannot be
 * deleted under the write. go.ok is whether every check passed. */
static void add_checks(stmt_t *q, const char *owner, const char *refs)
{
    int who = param(q, owner), what = param(q, refs);
    add(q,
        "own AS (SELECT $%d::uuid IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = "
        "$1::uuid AND u.id = $%d::uuid) AS ok), ",
        who, who);
    add(q, "ref AS (SELECT * FROM jsonb_to_recordset($%d::jsonb) AS t(f text, o text, i uuid)), ",
        what);
    add(q, "tgt AS (SELECT r.object, r.id FROM records r WHERE r.tenant_id = $1::uuid AND "
           "r.deleted_at IS NULL AND (r.object, r.id) IN (SELECT o, i FROM ref) FOR SHARE OF r), "
           "bad AS (SELECT ref.f FROM ref WHERE NOT EXISTS (SELECT 1 FROM tgt WHERE tgt.object = "
           "ref.o AND tgt.id = ref.i)), "
           "go AS (SELECT (SELECT ok FROM own) AND NOT EXISTS (SELECT 1 FROM bad) AS ok), ");
}

/* The record statement of kind, as the CTE rec ($1 tenant, $2 object, $3
 * id, $4 data, $5 owner, $6 the author, $7 the searchable text), writing
 * the row only when the checks passed. A restore keeps data and owner
 * (it passes NULL for both). */
static void add_record(stmt_t *q, rp_crud_write_t kind, bool checks)
{
    const char *go = checks ? " AND (SELECT ok FROM go)" : "";
    add(q, "rec (id, object, version, created_at, updated_at, owner_id, data) AS (");
    if (kind == RP_CRUD_WRITE_CREATE)
        add(q,
            "INSERT INTO records AS r (tenant_id, object, id, data, owner_id, created_by, "
            "updated_by, search_text) SELECT $1::uuid, $2, $3::uuid, $4::jsonb, $5::uuid, "
            "$6::uuid, $6::uuid, rp_search_norm($7) WHERE true%s",
            go);
    else if (kind == RP_CRUD_WRITE_UPDATE)
        add(q,
            "UPDATE records r SET data = $4::jsonb, owner_id = $5::uuid, version = r.version + 1, "
            "updated_at = now(), updated_by = $6::uuid, search_text = rp_search_norm($7) WHERE "
            "r.tenant_id = $1::uuid AND r.object = $2 AND r.id = $3::uuid%s",
            go);
    else
        add(q,
            "UPDATE records r SET deleted_at = NULL, data = COALESCE($4::jsonb, r.data), owner_id "
            "= COALESCE($5::uuid, r.owner_id), version = r.version + 1, updated_at = now(), "
            "updated_by = $6::uuid, search_text = rp_search_norm($7) WHERE r.tenant_id = $1::uuid "
            "AND r.object = $2 AND r.id = $3::uuid%s",
            go);
    add(q, " RETURNING " RP_RECORD_COLS "), ");
}

/* Unique values (uniques: [{"f","v"}]). The record's own claims of a
 * changed field go, except the one of the value it keeps (mine); a new
 * record has none. The new values are claimed with ON CONFLICT DO
 * NOTHING, so a value another record holds (lost) leaves the transaction
 * usable and every problem of a request is reported at once. */
static void add_uniques(stmt_t *q, const char *uniques, bool fresh)
{
    add(q, "uq AS (SELECT * FROM jsonb_to_recordset($%d::jsonb) AS t(f text, v text)), ",
        param(q, uniques));
    const char *kept = fresh ? "" : " AND uq.f NOT IN (SELECT field FROM mine)";
    if (!fresh)
        add(q, "mine AS (SELECT u.field FROM record_unique u WHERE u.tenant_id = $1::uuid AND "
               "u.object = $2 AND u.record_id = $3::uuid AND (u.field, u.value) IN (SELECT f, v "
               "FROM uq)), "
               "rel AS (DELETE FROM record_unique u WHERE u.tenant_id = $1::uuid AND u.object = "
               "$2 AND u.record_id = $3::uuid AND u.field IN (SELECT f FROM uq) AND (u.field, "
               "u.value) NOT IN (SELECT f, v FROM uq WHERE v IS NOT NULL) AND EXISTS (SELECT 1 "
               "FROM rec)), ");
    add(q,
        "claim AS (INSERT INTO record_unique (tenant_id, object, field, value, record_id) SELECT "
        "$1::uuid, $2, uq.f, uq.v, $3::uuid FROM uq WHERE uq.v IS NOT NULL%s AND EXISTS (SELECT 1 "
        "FROM rec) ON CONFLICT DO NOTHING RETURNING field), "
        "lost AS (SELECT uq.f FROM uq WHERE uq.v IS NOT NULL%s AND EXISTS (SELECT 1 FROM rec) AND "
        "uq.f NOT IN (SELECT field FROM claim)), ",
        kept, kept);
}

/* record_index rows (index: [{"f","t","n","s"}]): written, or removed when
 * all three are null. */
static void add_index(stmt_t *q, const char *index, bool put, bool drop)
{
    add(q,
        "ix AS (SELECT * FROM jsonb_to_recordset($%d::jsonb) AS t(f text, t text, n numeric, s "
        "timestamptz)), ",
        param(q, index));
    if (drop)
        add(q, "ixdel AS (DELETE FROM record_index x WHERE x.tenant_id = $1::uuid AND x.object = "
               "$2 AND x.record_id = $3::uuid AND x.field IN (SELECT f FROM ix WHERE t IS NULL AND "
               "n IS NULL AND s IS NULL) AND EXISTS (SELECT 1 FROM rec)), ");
    if (put)
        add(q, "ixput AS (INSERT INTO record_index AS x (tenant_id, object, field, record_id, "
               "value_text, value_num, value_ts) SELECT $1::uuid, $2, ix.f, $3::uuid, ix.t, ix.n, "
               "ix.s FROM ix WHERE (ix.t IS NOT NULL OR ix.n IS NOT NULL OR ix.s IS NOT NULL) AND "
               "EXISTS (SELECT 1 FROM rec) ON CONFLICT (tenant_id, object, field, record_id) DO "
               "UPDATE SET value_text = excluded.value_text, value_num = excluded.value_num, "
               "value_ts = excluded.value_ts), ");
}

/* Whether the index rows of s write (put) and remove (drop) anything. */
static void index_needs(const rp_crud_side_t *s, bool *put, bool *drop)
{
    *put = *drop = false;
    size_t i;
    json_t *row;
    json_array_foreach(s->index, i, row)
    {
        bool empty = json_is_null(json_object_get(row, "t")) &&
                     json_is_null(json_object_get(row, "n")) &&
                     json_is_null(json_object_get(row, "s"));
        *put = *put || !empty;
        *drop = *drop || empty;
    }
}

static const char *const write_action[] = {
    [RP_CRUD_WRITE_CREATE] = "create",
    [RP_CRUD_WRITE_UPDATE] = "update",
    [RP_CRUD_WRITE_RESTORE] = "restore",
};

/* Appends item (stolen) to *list, creating the list. */
static rp_status_t push(json_t **list, json_t *item)
{
    if (item == NULL || (*list == NULL && (*list = json_array()) == NULL)) {
        json_decref(item);
        return RP_ENOMEM;
    }
    return json_array_append_new(*list, item) == 0 ? RP_OK : RP_ENOMEM;
}

rp_status_t rp_crud_side_refs(rp_crud_side_t *s, const rp_object_t *o, const json_t *vals,
                              const json_t *only)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)vals, name, v)
    {
        const rp_field_t *f = rp_meta_field(o, name);
        if (f == NULL || f->type != RP_FIELD_REFERENCE || !json_is_string(v))
            continue;
        if (only != NULL && json_object_get(only, name) == NULL)
            continue;
        if (push(&s->refs, json_pack("{s:s, s:s, s:O}", "f", name, "o", f->reference, "i", v)) !=
            RP_OK)
            return RP_ENOMEM;
    }
    return RP_OK;
}

rp_status_t rp_crud_side_field(rp_crud_side_t *s, const rp_field_t *f, const json_t *value)
{
    bool has = value != NULL && !json_is_null(value);
    if (f->unique) {
        char *text = has ? rp_record_unique_text(f, value) : NULL;
        if (has && text == NULL)
            return RP_ENOMEM;
        rp_status_t st = push(&s->uniques, json_pack("{s:s, s:s?}", "f", f->name, "v", text));
        free(text);
        if (st != RP_OK)
            return st;
    }
    if (!is_custom(f->name) || !(f->indexed || f->unique))
        return RP_OK;
    const char *cols[3] = {NULL, NULL, NULL};
    char num[32];
    if (has)
        index_value(f, value, cols, num, sizeof num);
    return push(&s->index, json_pack("{s:s, s:s?, s:s?, s:s?}", "f", f->name, "t", cols[0], "n",
                                     cols[1], "s", cols[2]));
}

rp_status_t rp_crud_side_number(rp_crud_side_t *s, const rp_field_t *f)
{
    return push(&s->numbers, json_string(f->name));
}

void rp_crud_side_clear(rp_crud_side_t *s)
{
    json_decref(s->refs);
    json_decref(s->uniques);
    json_decref(s->index);
    json_decref(s->numbers);
    memset(s, 0, sizeof *s);
}

/* A list parameter. malloc'd, NULL when out of memory. */
static char *list_param(const json_t *list)
{
    return list ? json_dumps(list, JSON_COMPACT) : strdup("[]");
}

/* Whether name is in a comma-separated list of field names. */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p != NULL && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Reports the owner and the references a statement did not find, in the
 * order rp_crud_create reports them: the owner first, then the references
 * in the order they were given. col is the owner's column; the missing
 * references follow it. */
static rp_status_t report_checks(const rp_crud_side_t *s, const rp_dbres_t *res, int col,
                                 json_t *errors)
{
    if (strcmp(rp_dbres_get(res, 0, col), "t") != 0 &&
        json_object_set_new(errors, "owner_id",
                            json_string("refers to a user that does not exist")) != 0)
        return RP_ENOMEM;
    const char *bad = rp_dbres_null(res, 0, col + 1) ? NULL : rp_dbres_get(res, 0, col + 1);
    size_t i;
    json_t *r;
    json_array_foreach(s->refs, i, r)
    {
        const char *f = json_string_value(json_object_get(r, "f"));
        if (listed(bad, f) &&
            json_object_set_new(errors, f, json_string("refers to a record that does not exist")) !=
                0)
            return RP_ENOMEM;
    }
    return RP_OK;
}

static bool has_checks(const rp_crud_side_t *s)
{
    return s->owner_check != NULL || json_array_size(s->refs) > 0;
}

rp_status_t rp_crud_side_check(rp_crud_t *c, rp_crud_side_t *s, const rp_object_t *o,
                               json_t *errors, json_t **numbers)
{
    if (numbers != NULL)
        *numbers = NULL;
    bool checks = has_checks(s), take = numbers != NULL && json_array_size(s->numbers) > 0;
    if (!checks && !take)
        return RP_OK;
    char *refs = list_param(s->refs), *nums = list_param(s->numbers);
    stmt_t q = {.st = refs && nums ? RP_OK : RP_ENOMEM};
    param(&q, c->tenant_id);
    add(&q, "WITH ");
    if (checks)
        add_checks(&q, s->owner_check, refs);
    /* The counter rows stay locked until the transaction ends, and a
     * rollback gives the numbers back, so they have no gaps. */
    if (take) {
        int obj = param(&q, o->name), list = param(&q, nums);
        add(&q,
            "num AS (INSERT INTO autonumbers AS a (tenant_id, object, field, next_value) SELECT "
            "$1::uuid, $%d, n.f, 2 FROM jsonb_array_elements_text($%d::jsonb) AS n(f) WHERE %s ON "
            "CONFLICT (tenant_id, object, field) DO UPDATE SET next_value = a.next_value + 1 "
            "RETURNING a.field, a.next_value - 1 AS n), ",
            obj, list, checks ? "(SELECT ok FROM go)" : "true");
    }
    add(&q, "one AS (SELECT) SELECT %s, %s, %s FROM one", checks ? "(SELECT ok FROM own)" : "true",
        checks ? "(SELECT string_agg(f, ',') FROM bad)" : "NULL::text",
        take ? "(SELECT json_object_agg(field, n) FROM num)::text" : "NULL::text");
    rp_dbres_t *res = NULL;
    rp_status_t st = q.st;
    if (st == RP_OK)
        st = rp_db_exec(c->ctx->db, q.sql.data, q.n, q.p, &res);
    if (st == RP_OK)
        st = report_checks(s, res, 0, errors);
    if (st == RP_OK && take && !rp_dbres_null(res, 0, 2) &&
        (*numbers = json_loads(rp_dbres_get(res, 0, 2), 0, NULL)) == NULL)
        st = RP_ENOMEM;
    rp_buf_free(&q.sql);
    free(refs);
    free(nums);
    rp_dbres_free(res);
    s->owner_check = NULL;
    json_decref(s->refs);
    s->refs = NULL;
    return st;
}

rp_status_t rp_crud_side_write(rp_crud_t *c, rp_crud_side_t *s, const rp_object_t *o,
                               rp_crud_write_t kind, const char *id, const json_t *data,
                               const char *owner_id, const json_t *changes, json_t *errors,
                               rp_dbres_t **res)
{
    *res = NULL;
    char *search = NULL, *text = NULL, *refs = list_param(s->refs);
    char *uniques = list_param(s->uniques), *index = list_param(s->index);
    char *diff = json_dumps(changes, JSON_COMPACT);
    stmt_t q = {.st = RP_OK};
    rp_status_t st = RP_ENOMEM;
    if (refs == NULL || uniques == NULL || index == NULL || diff == NULL)
        goto done;
    if ((st = rp_search_text_for(o, data, &search)) != RP_OK)
        goto done;
    st = RP_ENOMEM;
    if (kind != RP_CRUD_WRITE_RESTORE && (text = json_dumps(data, JSON_COMPACT)) == NULL)
        goto done;
    char hid[RP_UUID_LEN + 1];
    rp_uuid_v7(hid);
    const char *base[] = {c->tenant_id,
                          o->name,
                          id,
                          text,
                          kind == RP_CRUD_WRITE_RESTORE ? NULL : owner_id,
                          c->actor_id,
                          search,
                          hid,
                          write_action[kind],
                          diff};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        param(&q, base[i]);
    bool checks = has_checks(s), unique = json_array_size(s->uniques) > 0, put, drop;
    index_needs(s, &put, &drop);
    drop = drop && kind != RP_CRUD_WRITE_CREATE;
    add(&q, "WITH ");
    if (checks)
        add_checks(&q, s->owner_check, refs);
    add_record(&q, kind, checks);
    if (unique)
        add_uniques(&q, uniques, kind == RP_CRUD_WRITE_CREATE);
    if (put || drop)
        add_index(&q, index, put, drop);
    /* The history row ($8 id, $9 action, $10 changes) only when no value
     * was lost; clock_timestamp(), not now(): several writes to one record
     * in one transaction still get distinct, ordered times. The answer:
     * the row, then whether the owner exists, the references not found
     * and the unique fields lost, comma-separated. */
    add(&q,
        "hist AS (INSERT INTO record_history (tenant_id, object, record_id, id, action, "
        "actor_id, at, changes) SELECT $1::uuid, $2, $3::uuid, $8::uuid, $9, $6::uuid, "
        "clock_timestamp(), $10::jsonb FROM rec%s) "
        "SELECT rec.*, %s, %s, %s FROM (SELECT) AS one LEFT JOIN rec ON true",
        unique ? " WHERE NOT EXISTS (SELECT 1 FROM lost)" : "",
        checks ? "(SELECT ok FROM own)" : "true",
        checks ? "(SELECT string_agg(f, ',') FROM bad)" : "NULL::text",
        unique ? "(SELECT string_agg(f, ',') FROM lost)" : "NULL::text");
    if ((st = q.st) != RP_OK)
        goto done;
    if ((st = rp_db_exec(c->ctx->db, q.sql.data, q.n, q.p, res)) != RP_OK)
        goto done;
    if ((st = report_checks(s, *res, RP_RECORD_NCOLS, errors)) != RP_OK)
        goto done;
    const char *lost = rp_dbres_null(*res, 0, RP_RECORD_NCOLS + 2)
                           ? NULL
                           : rp_dbres_get(*res, 0, RP_RECORD_NCOLS + 2);
    size_t i;
    json_t *u;
    json_array_foreach(s->uniques, i, u)
    {
        const char *f = json_string_value(json_object_get(u, "f"));
        if (listed(lost, f) && json_object_set_new(errors, f, json_string("must be unique")) != 0) {
            st = RP_ENOMEM;
            goto done;
        }
    }
    if (rp_dbres_null(*res, 0, RP_RECORD_COL_ID)) {
        rp_dbres_free(*res);
        *res = NULL;
    }
done:
    rp_buf_free(&q.sql);
    free(search);
    free(text);
    free(refs);
    free(uniques);
    free(index);
    free(diff);
    return st;
}

/* ---- delete ------------------------------------------------------------ */

/* Appends to b one CTE per reference field of any object that points at
 * object o: the live records whose field holds the record id ($6), each
 * field and its object a pair of parameters from $7 on, stored in p. The
 * names travel as parameters, but the plan of each execution sees them,
 * which is what lets the expression index of a reference field answer.
 * Returns the number of CTEs, -1 when out of memory. */
static int referrer_ctes(rp_crud_t *c, const rp_object_t *o, rp_buf_t *b, const char **p, int max)
{
    const rp_object_t *const *objs;
    int n = rp_meta_objects(c->meta, &objs), k = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < objs[i]->nfields; j++) {
            const rp_field_t *f = &objs[i]->fields[j];
            if (f->type != RP_FIELD_REFERENCE || strcmp(f->reference, o->name) != 0)
                continue;
            if (k == max)
                return -2;
            int at = 7 + 2 * k;
            if (rp_buf_printf(b,
                              "r%d AS (SELECT id FROM records WHERE tenant_id = $1::uuid AND "
                              "object = $%d AND data ->> $%d = $6 AND deleted_at IS NULL ORDER BY "
                              "id FOR UPDATE), ",
                              k, at, at + 1) != RP_OK)
                return -1;
            p[at - 1] = objs[i]->name;
            p[at] = f->name;
            k++;
        }
    }
    return k;
}

static bool has_unique(const rp_object_t *o)
{
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].unique)
            return true;
    return false;
}

rp_status_t rp_crud_soft_delete(rp_crud_t *c, const rp_object_t *o, const char *id, bool referrers,
                                bool *referred)
{
    enum { MAX_REFERRERS = 64 };
    *referred = false;
    const char *p[6 + 2 * MAX_REFERRERS];
    char hid[RP_UUID_LEN + 1];
    rp_uuid_v7(hid);
    p[0] = c->tenant_id;
    p[1] = o->name;
    p[2] = id;
    p[3] = c->actor_id;
    p[4] = hid;
    p[5] = id;
    rp_buf_t b = {0};
    rp_status_t st = rp_buf_puts(&b, "WITH ");
    int k = 0;
    if (st == RP_OK && referrers)
        k = referrer_ctes(c, o, &b, p, MAX_REFERRERS);
    if (k == -2) {
        /* More reference fields than one statement takes: the caller's
         * field by field lookups handle them. */
        rp_buf_free(&b);
        *referred = true;
        return RP_OK;
    }
    if (k < 0)
        st = RP_ENOMEM;
    if (st == RP_OK && k > 0)
        st = rp_buf_puts(&b, "refs AS (SELECT id FROM r0");
    for (int i = 1; st == RP_OK && i < k; i++)
        st = rp_buf_printf(&b, " UNION ALL SELECT id FROM r%d", i);
    if (st == RP_OK)
        st = rp_buf_printf(&b,
                           "%sdel AS (UPDATE records SET deleted_at = now(), version = version + "
                           "1, updated_at = now(), updated_by = $4::uuid WHERE tenant_id = "
                           "$1::uuid AND object = $2 AND id = $3::uuid%s RETURNING 1), ",
                           k > 0 ? "), " : "", k > 0 ? " AND NOT EXISTS (SELECT 1 FROM refs)" : "");
    /* A deleted record gives its unique values up; restore claims them
     * again. Only unique fields have any. */
    if (st == RP_OK && has_unique(o))
        st = rp_buf_puts(&b, "rel AS (DELETE FROM record_unique WHERE tenant_id = $1::uuid AND "
                             "object = $2 AND record_id = $3::uuid AND EXISTS (SELECT 1 FROM "
                             "del)), ");
    if (st == RP_OK)
        st = rp_buf_puts(
            &b, "hist AS (INSERT INTO record_history (tenant_id, object, record_id, id, action, "
                "actor_id, at, changes) SELECT $1::uuid, $2, $3::uuid, $5::uuid, 'delete', "
                "$4::uuid, clock_timestamp(), '{}'::jsonb FROM del) ");
    if (st == RP_OK)
        st = rp_buf_puts(&b, k > 0 ? "SELECT EXISTS (SELECT 1 FROM refs)" : "SELECT false");
    rp_dbres_t *res = NULL;
    if (st == RP_OK)
        st = rp_db_exec(c->ctx->db, b.data, k > 0 ? 6 + 2 * k : 5, p, &res);
    if (st == RP_OK)
        *referred = strcmp(rp_dbres_get(res, 0, 0), "t") == 0;
    rp_dbres_free(res);
    rp_buf_free(&b);
    return st;
}

const rp_object_t *rp_crud_open_record(rp_ctx_t *ctx, rp_crud_t *c, const char **id)
{
    if (!rp_crud_init(ctx, c))
        return NULL;
    const rp_object_t *o = rp_crud_object(ctx, c);
    if (o == NULL)
        return NULL;
    *id = rp_crud_path_id(ctx);
    return *id != NULL ? o : NULL;
}
