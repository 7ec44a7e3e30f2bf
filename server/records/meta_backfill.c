#include "records/meta_backfill.h"

#include "core/buf.h"
#include "db/db.h"

/* The value expression of each typed column, over records r and the field
 * name $3; one statement per column so that no name or value is ever part
 * of the SQL text. The casts cannot fail: stored values were validated. */
static const char INDEX_TEXT[] =
    "INSERT INTO record_index (tenant_id, object, field, record_id, value_text) "
    "SELECT r.tenant_id, r.object, $3, r.id, r.data ->> $3::text FROM records r "
    "WHERE r.tenant_id = $1 AND r.object = $2 AND jsonb_typeof(r.data -> $3::text) IN "
    "('string', 'boolean') ON CONFLICT DO NOTHING";
static const char INDEX_NUM[] =
    "INSERT INTO record_index (tenant_id, object, field, record_id, value_num) "
    "SELECT r.tenant_id, r.object, $3, r.id, (r.data ->> $3::text)::numeric FROM records r "
    "WHERE r.tenant_id = $1 AND r.object = $2 AND jsonb_typeof(r.data -> $3::text) IN "
    "('number', 'string') ON CONFLICT DO NOTHING";
static const char INDEX_AMOUNT[] =
    "INSERT INTO record_index (tenant_id, object, field, record_id, value_num) "
    "SELECT r.tenant_id, r.object, $3, r.id, (r.data -> $3::text ->> 'amount')::numeric "
    "FROM records r WHERE r.tenant_id = $1 AND r.object = $2 AND "
    "jsonb_typeof(r.data -> $3::text -> 'amount') = 'string' ON CONFLICT DO NOTHING";
static const char INDEX_TS[] =
    "INSERT INTO record_index (tenant_id, object, field, record_id, value_ts) "
    "SELECT r.tenant_id, r.object, $3, r.id, (r.data ->> $3::text)::timestamptz FROM records r "
    "WHERE r.tenant_id = $1 AND r.object = $2 AND jsonb_typeof(r.data -> $3::text) = 'string' "
    "ON CONFLICT DO NOTHING";

rp_status_t rp_meta_backfill_index(rp_ctx_t *ctx, const rp_object_t *o, const rp_field_t *f)
{
    const char *sql;
    switch (f->type) {
    case RP_FIELD_INTEGER:
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        sql = INDEX_NUM;
        break;
    case RP_FIELD_CURRENCY:
        sql = INDEX_AMOUNT;
        break;
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        sql = INDEX_TS;
        break;
    case RP_FIELD_MULTIPICKLIST:
        /* The write path keeps no index row for a list of values. */
        return RP_OK;
    default:
        sql = INDEX_TEXT;
        break;
    }
    const char *params[] = {ctx->principal.tenant_id, o->name, f->name};
    return rp_db_exec(ctx->db, sql, 3, params, NULL);
}

rp_status_t rp_meta_backfill_search(rp_ctx_t *ctx, const rp_object_t *o, const char *const *names,
                                    int n)
{
    /* The names travel as one text[] parameter; API names are [a-z0-9_],
     * so the array literal needs no quoting. */
    rp_buf_t arr = {0};
    rp_status_t st = rp_buf_puts(&arr, "{");
    for (int i = 0; st == RP_OK && i < n; i++)
        st = rp_buf_printf(&arr, "%s%s", i ? "," : "", names[i]);
    if (st == RP_OK)
        st = rp_buf_puts(&arr, "}");
    if (st != RP_OK) {
        rp_buf_free(&arr);
        return st;
    }
    const char *params[] = {ctx->principal.tenant_id, o->name, arr.data};
    /* Each searchable field's string, or each string of its list, in field
     * order, joined by single spaces; NULL when there is none. */
    st = rp_db_exec(
        ctx->db,
        "UPDATE records r SET search_text = rp_search_norm((SELECT string_agg(w.e, ' ' ORDER BY "
        "u.o, w.k) FROM unnest($3::text[]) WITH ORDINALITY AS u(f, o), LATERAL "
        "jsonb_array_elements_text(CASE jsonb_typeof(r.data -> u.f) WHEN 'array' THEN "
        "r.data -> u.f WHEN 'string' THEN jsonb_build_array(r.data -> u.f) ELSE '[]'::jsonb END) "
        "WITH ORDINALITY AS w(e, k) WHERE w.e <> '')) WHERE r.tenant_id = $1 AND r.object = $2",
        3, params, NULL);
    rp_buf_free(&arr);
    return st;
}
