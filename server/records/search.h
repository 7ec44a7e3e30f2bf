#ifndef RP_RECORDS_SEARCH_H
#define RP_RECORDS_SEARCH_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"
#include "records/meta.h"

/* Global search over the searchable fields of every object. The pure parts
 * live here: the text a record is searched by, and the checks on the query
 * string. The endpoint is in search_routes.c. */

/* Longest search string, in code points. */
#define RP_SEARCH_Q_MAX 200

/* Default and largest number of results. */
#define RP_SEARCH_LIMIT_DEFAULT 20
#define RP_SEARCH_LIMIT_MAX 100

/* The raw text record data of object o is searched by: the values of o's
 * searchable fields, in field order, separated by spaces (a multipicklist
 * gives each of its values). The database normalises it (rp_search_norm)
 * when it stores it. *out is malloc'd, or NULL when the record has no
 * searchable value. RP_ENOMEM. */
rp_status_t rp_search_text_for(const rp_object_t *o, const json_t *data, char **out);

/* The value of o's first searchable field that has one in data, for a
 * result's title (a multipicklist gives its first value); NULL when none
 * has. Borrowed from data. */
const char *rp_search_title(const rp_object_t *o, const json_t *data);

/* True when q is a valid search string: valid UTF-8, 1 to RP_SEARCH_Q_MAX
 * code points, not only white space. */
bool rp_search_q_valid(const char *q);

/* Writes into out (size n) a LIKE pattern matching s anywhere: '%' + s with
 * '\', '%' and '_' escaped + '%'. Returns false when out is too small. */
bool rp_search_like_pattern(const char *s, char *out, size_t n);

/* Reads limit (NULL: the default) as 1..RP_SEARCH_LIMIT_MAX into *out;
 * false when it is not. */
bool rp_search_limit(const char *limit, int *out);

#endif
