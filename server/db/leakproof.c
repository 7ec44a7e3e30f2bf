#include "db/leakproof.h"

#include <stdlib.h>

const char RP_LEAKPROOF_SQL[] = "ALTER FUNCTION pg_catalog.lower(text) LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.jsonb_object_field_text(jsonb, text) "
                                "LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.numeric_eq(numeric, numeric) LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.numeric_ne(numeric, numeric) LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.numeric_lt(numeric, numeric) LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.numeric_le(numeric, numeric) LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.numeric_gt(numeric, numeric) LEAKPROOF;"
                                "ALTER FUNCTION pg_catalog.numeric_ge(numeric, numeric) LEAKPROOF";

rp_status_t rp_db_leakproof_missing(rp_db_t *db, int *missing)
{
    rp_dbres_t *res = NULL;
    *missing = 0;
    rp_status_t st = rp_db_exec(
        db,
        "SELECT count(*) FROM unnest(ARRAY['pg_catalog.lower(text)', "
        "'pg_catalog.jsonb_object_field_text(jsonb, text)', "
        "'pg_catalog.numeric_eq(numeric, numeric)', 'pg_catalog.numeric_ne(numeric, numeric)', "
        "'pg_catalog.numeric_lt(numeric, numeric)', 'pg_catalog.numeric_le(numeric, numeric)', "
        "'pg_catalog.numeric_gt(numeric, numeric)', 'pg_catalog.numeric_ge(numeric, numeric)']) f "
        "JOIN pg_proc p ON p.oid = f::regprocedure WHERE NOT p.proleakproof",
        0, NULL, &res);
    if (st != RP_OK)
        return st;
    *missing = atoi(rp_dbres_get(res, 0, 0));
    rp_dbres_free(res);
    return RP_OK;
}
