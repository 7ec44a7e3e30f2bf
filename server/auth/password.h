#ifndef RP_AUTH_PASSWORD_H
#define RP_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* Room for a crypto_pwhash_str() result. */
#define RP_PASSWORD_HASH_MAX 128

/* Selects the argon2id cost: fast = the minimum libsodium allows (for test
 * suites only, RAPPORT_PWHASH=fast), otherwise the interactive profile. */
void rp_password_set_fast(bool fast);

/* Hashes a password with argon2id (crypto_pwhash_str). Slow by design: call
 * on a worker or in the CLI, never on an HTTP thread. */
rp_status_t rp_password_hash(const char *password, char out[RP_PASSWORD_HASH_MAX]);

/* True when password matches hash (constant time inside libsodium). */
bool rp_password_verify(const char *hash, const char *password);

/* True when hash was made with other parameters than the current ones. */
bool rp_password_needs_rehash(const char *hash);

/* Checks the password policy: at least min_len characters (UTF-8 code
 * points) and at most 1024 bytes. Writes the reason into why. */
rp_status_t rp_password_check_policy(const char *password, int min_len, char *why, size_t whylen);

#endif
