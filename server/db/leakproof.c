#include "db/leakproof.h"

#include <stdlib.h>

#include "core/buf.h"

/* The functions behind the operators of the records engine's indexed
 * filters and of search; none can fail on any stored value. */
static const char *const functions[] = {
    "pg_catalog.lower(text)",
    "pg_catalog.jsonb_object_field_text(jsonb, text)",
    "pg_catalog.numeric_eq(numeric, numeric)",
    "pg_catalog.numeric_ne(numeric, numeric)",
    "pg_catalog.numeric_lt(numeric, numeric)",
    "pg_catalog.numeric_le(numeric, numeric)",
    "pg_catalog.numeric_gt(numeric, numeric)",
    "pg_catalog.numeric_ge(numeric, numeric)",
    /* LIKE fails only on a malformed pattern, whatever the row holds. */
    "pg_catalog.textlike(text, text)",
    "public.word_similarity_op(text, text)",
};
#define NFUNCTIONS (sizeof functions / sizeof functions[0])

rp_status_t rp_db_leakproof_apply(rp_db_t *db)
{
    rp_buf_t sql = {0};
    rp_status_t st = rp_buf_puts(&sql, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;");
    for (size_t i = 0; st == RP_OK && i < NFUNCTIONS; i++)
        st = rp_buf_printf(&sql, "ALTER FUNCTION %s LEAKPROOF;", functions[i]);
    if (st == RP_OK)
        st = rp_db_script(db, sql.data);
    rp_buf_free(&sql);
    return st;
}

rp_status_t rp_db_leakproof_missing(rp_db_t *db, int *missing)
{
    *missing = 0;
    /* The names travel as one text[]; they hold no quote or brace. */
    rp_buf_t arr = {0};
    rp_status_t st = rp_buf_puts(&arr, "{");
    for (size_t i = 0; st == RP_OK && i < NFUNCTIONS; i++)
        st = rp_buf_printf(&arr, "%s\"%s\"", i ? "," : "", functions[i]);
    if (st == RP_OK)
        st = rp_buf_puts(&arr, "}");
    rp_dbres_t *res = NULL;
    const char *params[] = {arr.data};
    if (st == RP_OK)
        st = rp_db_exec(db,
                        "SELECT count(*) FROM unnest($1::text[]) f LEFT JOIN pg_proc p ON "
                        "p.oid = to_regprocedure(f) WHERE p.oid IS NULL OR NOT p.proleakproof",
                        1, params, &res);
    if (st == RP_OK)
        *missing = atoi(rp_dbres_get(res, 0, 0));
    rp_dbres_free(res);
    rp_buf_free(&arr);
    return st;
}
