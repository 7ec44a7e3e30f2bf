#ifndef RP_RECORDS_IDEMPOTENCY_H
#define RP_RECORDS_IDEMPOTENCY_H

#include <stdbool.h>

#include "core/request.h"

/* Idempotency-Key for POST handlers: the first successful response to a key
 * is stored in the request's transaction and replayed for 24 hours.
 * Usage in a handler that runs inside the request transaction:
 *
 *     rp_idem_t idem;
 *     if (!rp_idem_begin(ctx, &idem))
 *         return;            // answered: a replay, or a problem
 *     ... do the work and answer ...
 *     rp_idem_finish(ctx, &idem);
 */

/* Longest key accepted, in bytes. */
#define RP_IDEM_KEY_MAX 255

/* How long a stored response is replayed, in hours. */
#define RP_IDEM_HOURS 24

/* The key and request hash of one request, between begin and finish. */
typedef struct rp_idem {
    const char *key; /* NULL: the request carried no key */
    unsigned char hash[32];
} rp_idem_t;

/* Reads the request's Idempotency-Key. Returns true when the handler should
 * go on (no key, or a key not seen in the last 24 hours). Returns false
 * after answering: the stored response replayed (with Idempotent-Replayed:
 * true), 400 invalid_idempotency_key for an empty or over-long key, 422
 * idempotency_key_reused when the key came with another method, path, body
 * or user, or the problem that fits a database failure. */
bool rp_idem_begin(rp_ctx_t *ctx, rp_idem_t *idem);

/* Stores the response now in ctx->res under the key when it is a success
 * (status < 400); failures are not stored, so a corrected retry may reuse
 * the key. When another request with the same key committed meanwhile, the
 * response becomes 409 idempotency_key_in_use (and the work rolls back). */
void rp_idem_finish(rp_ctx_t *ctx, rp_idem_t *idem);

#endif
