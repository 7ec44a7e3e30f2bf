#ifndef RP_RECORDS_MANIFEST_H
#define RP_RECORDS_MANIFEST_H

#include <jansson.h>

#include "core/status.h"
#include "records/meta.h"

/* Manifests declare the objects and fields a module brings, in JSON:
 *   {"module": "core", "objects": [{"name": "account", "label": "Account",
 *     "labels": {"fr": "Compte"}, "fields": [<field definitions>]}]}
 * Field definitions are the ones rp_field_parse reads. Module object and
 * field names never end in __c. */

/* The built-in manifest (objects account and contact), shipped until the
 * module loader brings module manifests. */
extern const char rp_manifest_core_json[];

/* The module name of the built-in manifest. */
#define RP_MANIFEST_CORE "core"

/* Parses manifest text into a new array of *n new objects (*out; free each
 * with the metadata's object free and the array with free()). module is the
 * name the objects carry (borrowed: it must outlive them); the manifest's
 * own "module" member, when present, must equal it. On a bad manifest
 * returns RP_EINVAL with messages in errors (keys like
 * "objects[0].fields[2].type"; errors may be NULL); RP_ENOMEM. */
rp_status_t rp_manifest_parse(const char *text, const char *module, rp_object_t ***out, int *n,
                              json_t *errors);

/* Frees what rp_manifest_parse returned. */
void rp_manifest_free(rp_object_t **objects, int n);

#endif
