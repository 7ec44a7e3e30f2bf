#ifndef RP_RECORDS_QUERY_H
#define RP_RECORDS_QUERY_H

#include <jansson.h>
#include <stdbool.h>

#include "core/pool.h"
#include "core/status.h"
#include "records/meta.h"

/* The query compiler: turns a filter tree, a sort, a field selection, a
 * limit and a keyset cursor on one object into one SELECT over records with
 * $n parameters. Pure C: no database, no HTTP. Every value the caller gives
 * travels as a parameter; only API names from the metadata (which are
 * [a-z0-9_] by construction, and checked again here) appear in the SQL text,
 * because the expression indexes are defined on literal field names. */

/* Default and largest page size. */
#define RP_QUERY_LIMIT_DEFAULT 50
#define RP_QUERY_LIMIT_MAX 200

/* Most sort keys, filter leaves, nesting depth and in/nin values. */
#define RP_QUERY_SORT_MAX 8
#define RP_QUERY_LEAVES_MAX 200
#define RP_QUERY_DEPTH_MAX 16
#define RP_QUERY_IN_MAX 1000

/* Longest cursor token accepted, in bytes. */
#define RP_QUERY_CURSOR_MAX 8192

/* The select list the compiler uses when the caller gives none: the record
 * columns over the alias r, with timestamps already in the API's RFC 3339
 * UTC millisecond form. */
#define RP_QUERY_COLS                                                                              \
    "r.id::text AS id, r.object, r.version, "                                                      \
    "to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS "            \
    "created_at, "                                                                                 \
    "to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS "            \
    "updated_at, "                                                                                 \
    "r.owner_id::text AS owner_id, r.data::text AS data"

struct rp_access;

/* What to compile. JSON members are borrowed, not stolen. */
typedef struct rp_query_spec {
    const rp_object_t *object;
    const char *tenant_id;
    /* {"and":[...]}, {"or":[...]}, {"not":{...}} or a leaf {"field","op",
     * "value"}; NULL or {} for none. Values may be strings whatever the field
     * type (query strings carry nothing else); in/nin take an array or a
     * comma-separated string. */
    const json_t *filter;
    const json_t *sort;   /* "-amount,name", ["-amount","name"] or NULL (by id) */
    const json_t *fields; /* "a,b", ["a","b"] or NULL (every field) */
    const json_t *limit;  /* an integer, a string of digits, or NULL */
    const char *cursor;   /* a next_cursor from an earlier page, or NULL */
    const char *columns;  /* the select list over alias r; NULL: RP_QUERY_COLS */
    /* The caller's rights on the object (records/perm.h), or NULL for no
     * restriction. When set, only records in access->read are returned, and
     * fields whose access is none are unknown to filter, sort and fields, and
     * left out of the selection, exactly as if the object had no such field. */
    const struct rp_access *access;
    /* The caller's user id, for the own and team read scopes; NULL matches
     * no owner (such a scope then returns nothing). */
    const char *user_id;
} rp_query_spec_t;

/* Why a spec was refused: code is the problem code ("unknown_field",
 * "unknown_operator", "invalid_filter", "invalid_sort", "invalid_cursor",
 * "invalid_limit"), name the offending field, operator or parameter, and
 * message completes "<name> ...". */
typedef struct rp_query_error {
    const char *code;
    char name[80];
    char message[200];
} rp_query_error_t;

/* A compiled query; everything points into the pool given to the compiler. */
typedef struct rp_query {
    const char *sql;
    const char **params; /* text values, $1 first; never NULL entries */
    int nparams;
    int limit; /* rows to return; the SQL fetches limit + 1 to know if more exist */
    /* The selected fields, in object order; all of them when fields was NULL
     * (all the readable ones when spec->access is set). */
    const rp_field_t **fields;
    int nfields;
    /* Sort keys other than the final id: their values come back in the
     * columns named _s0 .. _s<nsort-1> (text, NULL for none) for the cursor. */
    int nsort;
    const char *sort_sig; /* the canonical sort, bound into cursors */
} rp_query_t;

/* Compiles spec into out. RP_EINVAL with err filled when the spec is bad;
 * RP_ENOMEM. */
rp_status_t rp_query_compile(const rp_query_spec_t *spec, rp_pool_t *pool, rp_query_t *out,
                             rp_query_error_t *err);

/* The cursor that continues after the row whose sort values are vals
 * (q->nsort entries, NULL for SQL NULL) and whose id is id: an opaque
 * base64url token, in the pool. NULL on allocation failure. */
const char *rp_query_cursor_encode(const rp_query_t *q, const char *const *vals, const char *id,
                                   rp_pool_t *pool);

/* True when name is a system field every record has (id, created_at,
 * updated_at, owner_id, version). */
bool rp_query_system_field(const char *name);

#endif
