#ifndef RP_RECORDS_PERM_H
#define RP_RECORDS_PERM_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/request.h"
#include "records/meta.h"

/* Record permissions: what the caller's role lets it do on one object, on
 * each of its fields, and on which records. A role's rights come from the
 * tenant's metadata snapshot (built-in defaults, overridden or extended by
 * the roles a tenant admin defines through /api/v1/roles), so a change is
 * seen by the next request on every server, like any metadata change.
 *
 * The rank gate of the route (readonly never writes, metadata is for
 * admins) still applies first; these rights only ever narrow it. Admins
 * always have every right. */

/* Which records a right covers: none, the caller's own (owner_id is the
 * caller), its teams' (owned by the caller or by anyone in a team the caller
 * belongs to), or all of the object's records. Ordered: a higher scope
 * covers everything a lower one does. */
typedef enum rp_scope {
    RP_SCOPE_NONE = 0,
    RP_SCOPE_OWN = 1,
    RP_SCOPE_TEAM = 2,
    RP_SCOPE_ALL = 3,
} rp_scope_t;

/* What the caller may do with one field: nothing (the field is absent from
 * every answer, unknown to filters and sorts, and writing it is refused),
 * read it, or read and edit it. Ordered. */
typedef enum rp_field_access {
    RP_FIELD_ACCESS_NONE = 0,
    RP_FIELD_ACCESS_READ = 1,
    RP_FIELD_ACCESS_EDIT = 2,
} rp_field_access_t;

/* The caller's rights on one object. */
typedef struct rp_access {
    bool create;
    rp_scope_t read;
    rp_scope_t update;
    rp_scope_t remove; /* delete and restore */
    /* Per field of the object, in rp_object_t.fields order, an
     * rp_field_access_t; NULL when every field is RP_FIELD_ACCESS_EDIT.
     * Points into the snapshot or the request's pool. */
    const unsigned char *fields;
} rp_access_t;

/* The caller's rights on object o of snapshot m. Never fails: a role the
 * snapshot does not know (deleted since the token was issued) has no
 * rights at all. */
void rp_perm_access(const rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o,
                    rp_access_t *out);

/* Fills out with the stored rights of role role_name on object o, and
 * returns true; false when the snapshot holds no stored definition of that
 * role (the built-in defaults then apply). Implemented with the snapshot. */
bool rp_meta_role_access(const rp_meta_t *m, const char *role_name, const rp_object_t *o,
                         rp_access_t *out);

/* The access a gives to field f of o (f must be one of o's fields). */
rp_field_access_t rp_perm_field(const rp_access_t *a, const rp_object_t *o, const rp_field_t *f);

/* True when a lets the caller read every field of o (nothing to hide). */
bool rp_perm_reads_all(const rp_access_t *a, const rp_object_t *o);

/* Appends to sql " AND <condition>" restricting the records of alias
 * owner_col (e.g. "r.owner_id") to scope for the caller; the caller's ids
 * travel as parameters appended to params (*nparams grows; at most 2 are
 * added, and params must have room). Nothing is appended for
 * RP_SCOPE_ALL; RP_SCOPE_NONE appends " AND false". RP_ENOMEM. */
rp_status_t rp_perm_scope_sql(const rp_ctx_t *ctx, rp_scope_t scope, const char *owner_col,
                              rp_buf_t *sql, const char **params, int *nparams);

/* Whether scope covers a record owned by owner_id (NULL: no owner, only
 * RP_SCOPE_ALL covers it). A team scope asks the database (one statement in
 * ctx's transaction); the others answer at once. */
rp_status_t rp_perm_owner_in_scope(rp_ctx_t *ctx, rp_scope_t scope, const char *owner_id,
                                   bool *out);

/* The name of a scope ("none", "own", "team", "all"), and back: returns -1
 * for an unknown name. */
const char *rp_scope_name(rp_scope_t scope);
int rp_scope_parse(const char *name);

/* The name of a field access ("none", "read", "edit"), and back (-1). */
const char *rp_field_access_name(rp_field_access_t a);
int rp_field_access_parse(const char *name);

#endif
