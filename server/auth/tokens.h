#ifndef RP_AUTH_TOKENS_H
#define RP_AUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"
#include "core/uuid.h"

/* Opaque credentials (refresh tokens and API keys) look like
 * <prefix><id as 32 lower-case hex>_<secret as 43 base64url characters>:
 * the id finds the row, the 32-byte secret proves possession, and only a
 * hash of the secret is ever stored. The visible prefix lets secret scanners
 * and humans tell what leaked. */

#define RP_REFRESH_PREFIX "rpr_"
#define RP_API_KEY_PREFIX "rpk_"

/* Bytes of randomness in a secret, and of its stored hash. */
#define RP_TOKEN_SECRET_BYTES 32
#define RP_TOKEN_HASH_BYTES 32

/* Room for a credential's text with its NUL: prefix + 32 + '_' + 43. */
#define RP_TOKEN_TEXT_MAX 96

/* Room for a hash as a PostgreSQL bytea literal in hex form: "\x" + 64. */
#define RP_TOKEN_HASH_PARAM_MAX (2 + 2 * RP_TOKEN_HASH_BYTES + 1)

/* Makes a new credential: a fresh UUIDv7 id, a random secret, and the text
 * to hand out once. prefix is RP_REFRESH_PREFIX or RP_API_KEY_PREFIX. */
void rp_token_new(const char *prefix, char id[RP_UUID_LEN + 1],
                  unsigned char secret[RP_TOKEN_SECRET_BYTES], char text[RP_TOKEN_TEXT_MAX]);

/* Writes the text form of (id, secret). RP_EINVAL when id is not a UUID. */
rp_status_t rp_token_format(const char *prefix, const char *id,
                            const unsigned char secret[RP_TOKEN_SECRET_BYTES],
                            char text[RP_TOKEN_TEXT_MAX]);

/* Splits text into its canonical UUID id and its secret. Strict: the exact
 * prefix, lower-case hex, canonical unpadded base64url, nothing else.
 * RP_EINVAL otherwise. */
rp_status_t rp_token_parse(const char *prefix, const char *text, char id[RP_UUID_LEN + 1],
                           unsigned char secret[RP_TOKEN_SECRET_BYTES]);

/* The stored hash of a refresh token secret: BLAKE2b-256. The secret is 256
 * random bits, so a fast unkeyed hash is enough to make a leaked table
 * useless. */
void rp_token_refresh_hash(const unsigned char secret[RP_TOKEN_SECRET_BYTES],
                           unsigned char out[RP_TOKEN_HASH_BYTES]);

/* The stored hash of an API key secret: HMAC-SHA256 under a key derived
 * from the server's JWT secret (BLAKE2b with a fixed context string), so a
 * copy of the table alone cannot even be checked against guesses. Rotating
 * RAPPORT_JWT_SECRET therefore invalidates every API key. */
void rp_token_api_key_hash(const unsigned char *server_secret, size_t server_secret_len,
                           const unsigned char secret[RP_TOKEN_SECRET_BYTES],
                           unsigned char out[RP_TOKEN_HASH_BYTES]);

/* Writes hash as a bytea hex literal ("\x...") for a SQL text parameter. */
void rp_token_hash_param(const unsigned char hash[RP_TOKEN_HASH_BYTES],
                         char out[RP_TOKEN_HASH_PARAM_MAX]);

/* Compares hash in constant time with a stored one given as hex (what
 * encode(secret_hash, 'hex') returns). False for malformed hex. */
bool rp_token_hash_matches(const unsigned char hash[RP_TOKEN_HASH_BYTES], const char *stored_hex);

#endif
