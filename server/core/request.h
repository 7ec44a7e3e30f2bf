#ifndef RP_CORE_REQUEST_H
#define RP_CORE_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/pool.h"
#include "core/status.h"
#include "core/uuid.h"

/* HTTP methods as bits, so a route can accept several. */
typedef enum rp_method {
    RP_GET = 1,
    RP_POST = 2,
    RP_PUT = 4,
    RP_PATCH = 8,
    RP_DELETE = 16,
    RP_HEAD = 32,
    RP_OPTIONS = 64,
} rp_method_t;

#define RP_MAX_PARAMS 6
#define RP_MAX_RESP_HEADERS 8

/* Roles, ordered: a higher value may do everything a lower one may. */
typedef enum rp_role {
    RP_ROLE_NONE = 0,
    RP_ROLE_READONLY = 1,
    RP_ROLE_USER = 2,
    RP_ROLE_MANAGER = 3,
    RP_ROLE_ADMIN = 4,
} rp_role_t;

/* Who is calling. Filled from a verified access token on the HTTP thread, or
 * from an API key on the worker (the key needs a database lookup). */
typedef struct rp_principal {
    bool authenticated;
    bool via_api_key;
    rp_role_t role;
    char tenant_id[RP_UUID_LEN + 1];
    char user_id[RP_UUID_LEN + 1];
    char token_id[64]; /* jti of the access token, or the API key id */
    /* The role whose record permissions apply: a tenant's custom role, or ""
     * for the built-in role named by role. */
    char access_role[64];
} rp_principal_t;

struct rp_route;
struct rp_db;
struct rp_app;

/* One request as handlers see it. Everything points into the request's pool,
 * which lives until the response has been handed back to the HTTP thread. */
typedef struct rp_request {
    rp_method_t method;
    const char *method_name;
    const char *path;                  /* without the query string, NUL-terminated */
    const char *query;                 /* after '?', or "" */
    const char *params[RP_MAX_PARAMS]; /* path parameters, in route order */
    int nparams;
    const char *authorization;
    const char *content_type;
    const char *if_match;
    const char *idempotency_key;
    const char *user_agent;
    const char *body;
    size_t body_len;
    char request_id[72]; /* up to 64 echoed characters, or a UUID */
    char client_addr[64];
} rp_request_t;

typedef struct rp_header_kv {
    const char *name;
    const char *value;
} rp_header_kv_t;

/* The response a handler builds. body is malloc-owned by the context. */
typedef struct rp_response {
    int status;
    const char *content_type;
    rp_buf_t body;
    rp_header_kv_t headers[RP_MAX_RESP_HEADERS];
    int nheaders;
} rp_response_t;

/* The per-request context: what a handler gets, on a worker thread. */
typedef struct rp_ctx {
    rp_pool_t pool;
    rp_request_t req;
    rp_response_t res;
    rp_principal_t principal;
    const struct rp_route *route;
    struct rp_db *db;         /* the worker's connection; NULL on an HTTP thread */
    const struct rp_app *app; /* process-wide state: config, keys */
    const char *tenant_slug;  /* set by handlers that learn it, for the access log */
    /* Set when the request runs again because its first run used stale
     * metadata: the snapshot's version is then read, not assumed. */
    bool metadata_recheck;
    /* The scripting engine's state for this request (server/script), in
     * the pool; NULL until a script runs. */
    void *script;
    /* The HTTP layer's handle on the request, for streamed responses; NULL
     * when the context did not come from the HTTP server. */
    void *transport;
} rp_ctx_t;

/* Parses a role name ("admin", "manager", "user", "readonly"). */
rp_role_t rp_role_parse(const char *name);

/* The name of a role, "none" for RP_ROLE_NONE. */
const char *rp_role_name(rp_role_t role);

/* Adds a response header; name and value must outlive the context (use the
 * pool). Returns RP_ELIMIT past RP_MAX_RESP_HEADERS. */
rp_status_t rp_resp_header(rp_ctx_t *ctx, const char *name, const char *value);

/* Forgets the response built so far (status, headers, body), for a
 * request that runs its handler again. */
void rp_resp_reset(rp_ctx_t *ctx);

/* Answers with a JSON document (steals the reference to body). */
void rp_resp_json(rp_ctx_t *ctx, int status, json_t *body);

/* Answers 204 No Content. */
void rp_resp_no_content(rp_ctx_t *ctx);

/* Answers an RFC 9457 problem: status, a stable machine code, and a human
 * detail. Replaces anything written before. */
void rp_resp_problem(rp_ctx_t *ctx, int status, const char *code, const char *detail);

/* Same, with per-field "errors": an object {field: message}; steals errors. */
void rp_resp_problem_fields(rp_ctx_t *ctx, int status, const char *code, const char *detail,
                            json_t *errors);

/* Answers the problem that fits a failed status from a lower layer: 503 with
 * Retry-After for a lost database, 403 for a suspended tenant, 500 otherwise.
 * Handlers call it for errors they have no better answer for. */
void rp_resp_fail(rp_ctx_t *ctx, rp_status_t st);

/* Parses the body as a JSON object. On failure it has already answered 400
 * (malformed JSON, or not an object) or 415 (wrong content type) and
 * returns NULL. The caller owns the result. */
json_t *rp_req_json_object(rp_ctx_t *ctx);

/* The value of query parameter name, percent-decoded into the pool, or NULL. */
const char *rp_req_query_param(rp_ctx_t *ctx, const char *name);

/* Streamed responses, for answers too large to build in memory (exports).
 * A handler calls rp_resp_stream_begin once, then rp_resp_stream_write any
 * number of times, then rp_resp_stream_end; the body goes out with chunked
 * transfer encoding while the handler is still producing it. Headers set
 * with rp_resp_header before begin are sent; nothing set on ctx->res after
 * begin is. Once begun, the status cannot change: a handler that fails
 * midway returns without calling end, and the client sees the response cut
 * short (an incomplete chunked body), never a truncated body that looks
 * whole. */

/* Starts the response with status and content_type (which must outlive the
 * context, as for rp_resp_header). RP_EINVAL when the request cannot stream
 * (it did not come through the HTTP server) or already does, RP_ENOMEM. */
rp_status_t rp_resp_stream_begin(rp_ctx_t *ctx, int status, const char *content_type);

/* Queues len bytes of body. Blocks while the client is slower than the
 * handler (a bounded amount is kept in memory, so a slow reader slows the
 * export instead of filling the server). RP_EIO once the client has gone
 * away: the handler should stop. */
rp_status_t rp_resp_stream_write(rp_ctx_t *ctx, const void *data, size_t len);

/* Ends the body: what was queued is sent, then the end of the response.
 * RP_EIO when the client has gone away. */
rp_status_t rp_resp_stream_end(rp_ctx_t *ctx);

/* Answers 403 and returns false unless the caller has at least role. */
bool rp_req_require_role(rp_ctx_t *ctx, rp_role_t role);

#endif
