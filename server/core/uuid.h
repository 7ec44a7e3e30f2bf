#ifndef RP_CORE_UUID_H
#define RP_CORE_UUID_H

#include <stdbool.h>

/* Text length of a canonical UUID, without the NUL. */
#define RP_UUID_LEN 36

/* Writes a new UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then random) in
 * canonical lower-case form into out[37]. Time-ordered ids keep b-tree inserts
 * at the right edge and make keyset pagination follow creation order. */
void rp_uuid_v7(char out[RP_UUID_LEN + 1]);

/* True when s is a canonical 8-4-4-4-12 hex UUID (either case). Every id that
 * arrives in a URL is checked with this before it reaches SQL, so a malformed
 * id answers 404 instead of a database cast error. */
bool rp_uuid_valid(const char *s);

#endif
