#ifndef RP_RECORDS_ROLE_DOC_H
#define RP_RECORDS_ROLE_DOC_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"
#include "records/meta.h"
#include "records/perm.h"

/* Role documents: the "objects" map of a role definition (the body of
 * /api/v1/roles and the stored roles.definition), checked and compiled
 * against a tenant's objects into per-object rights. Pure: no database, no
 * snapshot cache. See server/records/README.md, "Permissions". */

/* Longest role name (the column checks ^[a-z][a-z0-9_]{0,62}$). */
#define RP_ROLE_NAME_MAX 63

/* Longest role label, in characters. */
#define RP_ROLE_LABEL_MAX 200

/* One role compiled against a list of objects: the rights it gives on each
 * of them, in the list's order. Owns everything it points to. */
typedef struct rp_role_def {
    char name[RP_ROLE_NAME_MAX + 1];
    rp_role_t base; /* the rank: RP_ROLE_MANAGER, RP_ROLE_USER or RP_ROLE_READONLY */
    int nobjects;
    rp_access_t *access; /* [nobjects]; fields arrays owned by the role */
} rp_role_def_t;

/* True for a valid role name: ^[a-z][a-z0-9_]{0,62}$. */
bool rp_role_name_valid(const char *name);

/* True when name is one of the four built-in roles. */
bool rp_role_is_builtin(const char *name);

/* Checks the "objects" member of a role definition against objs (the
 * tenant's objects). strict (the API): every problem goes to errors as
 * {"objects.<object>[.fields.<field>|.<member>]": message} and the result is
 * RP_EINVAL; names of objects or fields that do not exist are problems too.
 * Not strict (building a snapshot from stored rows): names that no longer
 * exist are skipped and reported in errors the same way, and the result is
 * RP_OK unless the document's shape is broken. objects may be NULL (no
 * rights anywhere). RP_ENOMEM. */
rp_status_t rp_role_doc_check(const json_t *objects, const rp_object_t *const *objs, int nobjs,
                              bool strict, json_t *errors);

/* Compiles a role: name and base as stored, objects its "objects" map
 * (checked leniently as above: unknown names are ignored and listed in
 * skipped, which may be NULL). *out is a new role on RP_OK; RP_EINVAL for a
 * broken document, RP_ENOMEM. */
rp_status_t rp_role_doc_compile(const char *name, rp_role_t base, const json_t *objects,
                                const rp_object_t *const *objs, int nobjs, json_t *skipped,
                                rp_role_def_t **out);

/* Frees a compiled role. NULL is fine. */
void rp_role_def_free(rp_role_def_t *r);

/* The rights r gives on the object at index i of the list it was compiled
 * against (out->fields points into r). */
void rp_role_def_access(const rp_role_def_t *r, int i, rp_access_t *out);

/* The "objects" map with every entry spelt out (create, read, update,
 * delete, and fields when the entry names any), as the API shows it. NULL
 * on allocation failure; objects NULL gives {}. */
json_t *rp_role_doc_normalize(const json_t *objects);

/* The "objects" map a built-in role has when its tenant has not overridden
 * it: one "*" entry. NULL on allocation failure. */
json_t *rp_role_doc_builtin(rp_role_t role);

/* The caller's rights a on object o as the API shows them: {"create",
 * "read","update","delete"} as booleans (true: on at least some records),
 * "scope": {"read","update","delete"} as none|own|team|all, and "fields":
 * {field: "read" | "edit"} for every field the caller may see (fields
 * whose access is none are left out). NULL on allocation failure. */
json_t *rp_role_doc_access_json(const rp_access_t *a, const rp_object_t *o);

/* The label of a built-in role ("Administrator", ...). */
const char *rp_role_builtin_label(rp_role_t role);

#endif
