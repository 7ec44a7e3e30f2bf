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
    /* Per object: true when the snapshot owns it (custom objects, and module
     * objects it copied to add the tenant's custom fields to); false for a
     * module object shared by pointer with the registry and every other
     * snapshot, which it never changes or frees. */
    bool *owned;
    /* The tenant's stored roles (custom ones and overrides of built-in
     * ones), compiled against objects, by name. */
    struct rp_role_def **roles;
    int nroles;
    /* The loaded modules the tenant has enabled, by registry index (bits of
     * rp_modset_t): whose objects the snapshot holds and whose hooks run. */
    uint64_t modules;
};

/* The objects of one module that a snapshot merges, parsed once when the
 * module was loaded (rp_manifest_parse). The snapshot shares them by
 * pointer, so they must outlive it: the registry owns them until the
 * module is unloaded, and nobody changes them. */
typedef struct rp_meta_module {
    const char *name;
    rp_object_t *const *objects;
    int nobjects;
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

/* A new deep copy of o (its fields rebuilt from their descriptions), which
 * the caller owns; NULL when out of memory. What a snapshot makes of a
 * shared module object before it adds the tenant's custom fields. */
rp_object_t *rp_object_clone(const rp_object_t *o);

/* The JSON form the metadata API gives for an object's label and labels
 * (members added to out). Returns 0, or -1 on allocation failure. */
int rp_object_labels_json(const rp_object_t *o, json_t *out);

/* Builds a snapshot from the objects of the tenant's enabled modules (in
 * the order given; a module object whose name is already taken is logged
 * and left out) and the tenant's stored rows (custom objects, then custom
 * fields): a stored definition that does not parse (or names an object
 * that does not exist, or clashes with a field already there) is logged
 * and skipped. Module objects are shared, not copied, unless the tenant
 * adds custom fields to them. RP_ENOMEM. The result has one reference. */
rp_status_t rp_meta_build_with(long long version, const char *tenant_id,
                               const rp_meta_module_t *mods, int nmods,
                               const rp_meta_def_row_t *objects, int nobjects,
                               const rp_meta_def_row_t *fields, int nfields, rp_meta_t **out);

/* rp_meta_build_with no module: the tenant's own objects only. */
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
