#ifndef RP_DB_LEAKPROOF_H
#define RP_DB_LEAKPROOF_H

#include "db/db.h"

/* Under forced row-level security PostgreSQL only turns a filter into an
 * index condition when every function in it is LEAKPROOF, and the ones the
 * records engine's indexed filters and search use (jsonb ->>, lower(), the
 * numeric comparisons, LIKE, pg_trgm's word similarity) are not marked so
 * by default, although none of them can reveal anything about the row it is
 * given: they never fail on a stored value. Without the mark every such
 * filter reads all the tenant's rows. The mark needs a superuser: the
 * embedded cluster sets it at every start, the integration harness on its
 * cluster, and an operator of an external PostgreSQL runs the statements of
 * deploy/README.md once per database. A cast such as text::numeric is never
 * marked: it can fail, and its message would show another tenant's value. */

/* Marks the functions LEAKPROOF in db's database, creating the pg_trgm
 * extension first (the migrations would create it later, without the
 * mark). db must be a superuser's connection. RP_EDB on failure. */
rp_status_t rp_db_leakproof_apply(rp_db_t *db);

/* Counts the functions that are not LEAKPROOF (or do not exist yet) in db's
 * database into *missing. RP_EDB / RP_EDB_UNAVAILABLE from the query. */
rp_status_t rp_db_leakproof_missing(rp_db_t *db, int *missing);

#endif
