#ifndef RP_DB_UTIL_H
#define RP_DB_UTIL_H

#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

/* Pure helpers of the database layer, kept apart from libpq so unit tests
 * can reach them. */

/* First delay after a connection is lost, and the ceiling it doubles to. */
#define RP_DB_BACKOFF_MIN_MS 50
#define RP_DB_BACKOFF_MAX_MS 5000

/* The delay to wait after the attempt that followed a delay of cur_ms:
 * doubles from RP_DB_BACKOFF_MIN_MS up to RP_DB_BACKOFF_MAX_MS. */
int rp_db_backoff_next(int cur_ms);

/* What a failed statement means for the caller, from its SQLSTATE:
 * RP_ECONFLICT for a unique violation, RP_EDB_UNAVAILABLE for errors that
 * end the session (connection exceptions, shutdowns), RP_EDB otherwise. */
rp_status_t rp_db_status_of_sqlstate(const char *sqlstate);

/* Appends "key='value'" to a libpq keyword/value connection string, quoting
 * so that spaces, quotes and backslashes in value (a data directory path)
 * survive. A separating space is added when out is not empty. */
rp_status_t rp_db_conninfo_add(rp_buf_t *out, const char *key, const char *value);

/* Line number (1-based) of the character at 1-based position pos in a UTF-8
 * text, as PostgreSQL counts positions; 0 when pos is out of range. */
int rp_db_line_of_position(const char *text, int pos);

#endif
