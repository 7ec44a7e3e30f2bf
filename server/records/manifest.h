#ifndef RP_RECORDS_MANIFEST_H
#define RP_RECORDS_MANIFEST_H

#include <jansson.h>

#include "core/status.h"
#include "records/meta.h"

/* Manifests declare the objects and fields a module brings, in JSON:
 *   {"module": "sales", "objects": [{"name": "account", "label": "Account",
 *     "labels": {"fr": "Compte"}, "fields": [<field definitions>]}]}
 * Field definitions are the ones rp_field_parse reads. Module object and
 * field names never end in __c. The core has no objects of its own: every
 * object comes from a module's manifest or is a tenant's custom one. */

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
