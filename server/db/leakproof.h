#ifndef RP_DB_LEAKPROOF_H
#define RP_DB_LEAKPROOF_H

#include "db/db.h"

/* Under forced row-level security PostgreSQL only turns a filter into an
 * index condition when every function in it is LEAKPROOF, and the ones the
 * records engine's indexed filters use (jsonb ->>, lower(), the numeric
 * comparisons) are not marked so by default, although none of them can fail
 * or reveal anything about its arguments. Without the mark every filter on
 * an indexed field scans the tenant's rows. The mark needs a superuser: the
 * embedded cluster sets it at every start, and an operator of an external
 * PostgreSQL runs RP_LEAKPROOF_SQL once per database (deploy/README.md). */

/* The statements that mark the functions, as one script. Only functions that
 * cannot raise an error on any input are listed: a cast such as
 * text::numeric can, and its message would show another tenant's value. */
extern const char RP_LEAKPROOF_SQL[];

/* Counts the listed functions that are not LEAKPROOF in db's database into
 * *missing. RP_EDB / RP_EDB_UNAVAILABLE from the query. */
rp_status_t rp_db_leakproof_missing(rp_db_t *db, int *missing);

#endif
