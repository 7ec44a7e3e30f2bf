#ifndef RP_RECORDS_QUERY_INTERNAL_H
#define RP_RECORDS_QUERY_INTERNAL_H

#include "core/buf.h"
#include "records/query.h"

/* Shared by the query compiler's files; not for other callers. */

/* The state of one compilation: the parameters so far and the first error. */
typedef struct rp_qb {
    rp_pool_t *pool;
    const rp_object_t *object;
    const char **params;
    int nparams;
    int cap;
    rp_query_error_t *err;
    int leaves;
    const struct rp_access *access; /* NULL: every field may be named */
} rp_qb_t;

/* A field a query may name, with the typed SQL expression it compares as. */
typedef struct rp_qfield {
    const char *name;
    const rp_field_t *field; /* NULL for system fields and sub-members */
    rp_field_type_t type;    /* the type values are checked as */
    char expr[160];          /* typed expression over alias r */
    const char *cast;        /* appended to a parameter: "::numeric", "" */
    bool nullable;
    bool multi;            /* a multipicklist: a JSON array */
    bool custom_indexed;   /* a tenant field kept in record_index */
    const char *index_col; /* record_index column for it */
    char json_path[160];   /* for is_null: r.data->'f' */
} rp_qfield_t;

/* The field named name on o, or NULL (a linear scan: objects are small). */
const rp_field_t *rp_qfield_find(const rp_object_t *o, const char *name);

/* The field named name on the compiled object that the caller may read, or
 * NULL: a field hidden by qb->access does not exist for the query. */
const rp_field_t *rp_qb_field(const rp_qb_t *qb, const char *name);

/* Adds a parameter (copied into the pool); returns its number, or 0 on
 * allocation failure. */
int rp_qb_param(rp_qb_t *qb, const char *value);

/* Records an error (the first one wins) and returns RP_EINVAL. */
rp_status_t rp_qb_fail(rp_qb_t *qb, const char *code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Resolves name on the object into f; RP_EINVAL (unknown_field) when there is
 * no such field. */
rp_status_t rp_qfield_resolve(rp_qb_t *qb, const char *name, rp_qfield_t *f);

/* Checks a filter or cursor value against f and gives its text form for a
 * parameter, in the pool. RP_EINVAL (invalid_filter) on a bad value. */
rp_status_t rp_qfield_value(rp_qb_t *qb, const rp_qfield_t *f, const json_t *v, const char **out);

/* Appends the SQL condition for filter tree node to sql. */
rp_status_t rp_query_filter(rp_qb_t *qb, const json_t *node, int depth, rp_buf_t *sql);

/* Decodes a cursor token into its sort signature, nsort values (NULL for SQL
 * NULL) and id, in the pool. RP_EINVAL (invalid_cursor) when it is not one. */
rp_status_t rp_query_cursor_decode(rp_qb_t *qb, const char *token, const char *sig, int nsort,
                                   const char **vals, const char **id);

#endif
