#ifndef RP_RECORDS_META_INTERNAL_H
#define RP_RECORDS_META_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/uuid.h"
#include "records/meta.h"

/* Shared by the metadata files of server/records (meta*.c, manifest.c). */

/* Most objects a tenant may have (module and custom together) and most
 * fields on one object: a snapshot stays small and every lookup cheap. */
#define RP_META_OBJECTS_MAX 500
#define RP_META_FIELDS_MAX 500

/* Tenants whose snapshots the process keeps; the least recently used one is
 * dropped past this. */
#define RP_META_CACHE_MAX 4096

struct rp_role_def;

struct rp_meta {
    atomic_int refs;
    long long version;
    char tenant_id[RP_UUID_LEN + 1];
    rp_object_t **objects; /* module objects in manifest order, then custom ones by name */
    int nobjects;
    /* The tenant's stored roles (custom ones and overrides of built-in
     * ones), compiled against objects, by name. */
    struct rp_role_def **roles;
    int nroles;
    /* The loaded modules the tenant has enabled, by registry index (bits of
     * rp_modset_t): whose objects the snapshot holds and whose hooks run. */
    uint64_t modules;
};

/* A module manifest a snapshot merges: the module's name (outlives the
 * snapshot: the registry owns it) and its manifest text. */
typedef struct rp_meta_module {
    const char *name;
    const char *manifest;
} rp_meta_module_t;

/* One stored definition row, as read from object_defs (object NULL) or
 * field_defs; the strings are borrowed. */
typedef struct rp_meta_def_row {
    const char *object;
    const char *name;
    const char *definition; /* JSON text */
} rp_meta_def_row_t;

/* Parses the object members of def ("name", "label", "labels"; "fields" is
 * left to the caller) into a new object with no fields. custom says which
 * kind of name is required. On bad input returns NULL with *st = RP_EINVAL
 * and one {member: message} per problem in errors (may be NULL); RP_ENOMEM
 * on allocation failure. module is borrowed (static or owned elsewhere). */
rp_object_t *rp_object_parse(const json_t *def, bool custom, const char *module, json_t *errors,
                             rp_status_t *st);

/* Moves a parsed field into o (f is zeroed); RP_ELIMIT past
 * RP_META_FIELDS_MAX, RP_ENOMEM. */
rp_status_t rp_object_add_field(rp_object_t *o, rp_field_t *f);

/* Frees an object and its fields. NULL is fine. */
void rp_object_free(rp_object_t *o);

/* The JSON form the metadata API gives for an object's label and labels
 * (members added to out). Returns 0, or -1 on allocation failure. */
int rp_object_labels_json(const rp_object_t *o, json_t *out);

/* Builds a snapshot from the manifests and the tenant's stored rows: a
 * stored definition that does not parse (or names an object that does not
 * exist, or clashes with a field already there) is logged and skipped.
 * RP_ENOMEM, or RP_ERR when the built-in manifest itself is broken. The
 * result has one reference. */
/* rp_meta_build with the objects of the tenant's enabled modules, after the
 * built-in ones and before the custom ones; a module object whose name is
 * taken, or a manifest that does not parse, is logged and skipped. */
rp_status_t rp_meta_build_with(long long version, const char *tenant_id,
                               const rp_meta_module_t *mods, int nmods,
                               const rp_meta_def_row_t *objects, int nobjects,
                               const rp_meta_def_row_t *fields, int nfields, rp_meta_t **out);

rp_status_t rp_meta_build(long long version, const char *tenant_id,
                          const rp_meta_def_row_t *objects, int nobjects,
                          const rp_meta_def_row_t *fields, int nfields, rp_meta_t **out);

/* One stored role row, as read from roles; the strings are borrowed. */
typedef struct rp_meta_role_row {
    const char *name;
    const char *base;
    const char *definition; /* JSON text: {"objects": {...}} */
} rp_meta_role_row_t;

/* Compiles the tenant's stored roles against the objects of m (which has no
 * roles yet and is not shared). Entries naming objects or fields that no
 * longer exist are logged and ignored; a row that does not parse gives its
 * role no rights at all. RP_ENOMEM. */
rp_status_t rp_meta_build_roles(rp_meta_t *m, const rp_meta_role_row_t *rows, int n);

/* Frees the compiled roles of m (when its last reference goes). */
void rp_meta_free_roles(rp_meta_t *m);

/* Takes one more reference. */
void rp_meta_ref(const rp_meta_t *m);

/* Drops one reference; the last one frees the snapshot. NULL is fine. */
void rp_meta_unref(const rp_meta_t *m);

/* True when the metadata of the caller's tenant was changed in the current
 * request's transaction (a snapshot built then must not be cached). */
bool rp_meta_dirty(const char *tenant_id);

#endif
