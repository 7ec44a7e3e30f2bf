#include "records/idempotency.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

/* The request as the key stands for it: who sends what where. */
static void request_hash(rp_ctx_t *ctx, unsigned char out[32])
{
    crypto_hash_sha256_state s;
    crypto_hash_sha256_init(&s);
    const char *parts[] = {ctx->req.method_name ? ctx->req.method_name : "", ctx->req.path,
                           ctx->req.query ? ctx->req.query : "", ctx->principal.user_id};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        /* Lengths first, so no two different splits hash alike. */
        unsigned long long len = strlen(parts[i]);
        crypto_hash_sha256_update(&s, (const unsigned char *)&len, sizeof len);
        crypto_hash_sha256_update(&s, (const unsigned char *)parts[i], len);
    }
    if (ctx->req.body_len > 0)
        crypto_hash_sha256_update(&s, (const unsigned char *)ctx->req.body, ctx->req.body_len);
    crypto_hash_sha256_final(&s, out);
}

/* Answers with a stored response envelope {"status","content_type",
 * "headers":{..},"body"}; false when it does not read. */
static bool replay(rp_ctx_t *ctx, int status, const char *stored)
{
    json_t *env = json_loads(stored, 0, NULL);
    const char *body = json_string_value(json_object_get(env, "body"));
    const char *ctype = json_string_value(json_object_get(env, "content_type"));
    json_t *headers = json_object_get(env, "headers");
    if (body == NULL) {
        json_decref(env);
        return false;
    }
    rp_buf_reset(&ctx->res.body);
    ctx->res.nheaders = 0;
    ctx->res.status = status;
    ctx->res.content_type = rp_pool_strdup(&ctx->pool, ctype ? ctype : "application/json");
    bool ok = ctx->res.content_type != NULL && rp_buf_puts(&ctx->res.body, body) == RP_OK;
    const char *name;
    json_t *v;
    json_object_foreach(headers, name, v)
    {
        const char *n = rp_pool_strdup(&ctx->pool, name);
        const char *val = rp_pool_strdup(&ctx->pool, json_string_value(v));
        if (n && val)
            rp_resp_header(ctx, n, val);
    }
    rp_resp_header(ctx, "Idempotent-Replayed", "true");
    json_decref(env);
    if (!ok)
        rp_resp_fail(ctx, RP_ENOMEM);
    return true;
}

bool rp_idem_begin(rp_ctx_t *ctx, rp_idem_t *idem)
{
    memset(idem, 0, sizeof *idem);
    const char *key = ctx->req.idempotency_key;
    if (key == NULL)
        return true;
    size_t len = strlen(key);
    if (len == 0 || len > RP_IDEM_KEY_MAX) {
        rp_resp_problem(ctx, 400, "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to 255 characters");
        return false;
    }
    request_hash(ctx, idem->hash);
    const char *p[] = {ctx->principal.tenant_id, key};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT encode(request_hash, 'hex'), status, response FROM "
                                "idempotency_keys WHERE tenant_id = $1 AND key = $2 AND "
                                "created_at > now() - make_interval(hours => 24)",
                                2, p, &res);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return false;
    }
    if (rp_dbres_rows(res) == 0) {
        rp_dbres_free(res);
        idem->key = key;
        return true;
    }
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, idem->hash, sizeof idem->hash);
    if (strcmp(hex, rp_dbres_get(res, 0, 0)) != 0) {
        rp_resp_problem(ctx, 422, "idempotency_key_reused",
                        "this Idempotency-Key was used for a different request");
    } else if (!replay(ctx, atoi(rp_dbres_get(res, 0, 1)), rp_dbres_get(res, 0, 2))) {
        rp_resp_problem(ctx, 500, "internal", "the stored response could not be read");
    }
    rp_dbres_free(res);
    return false;
}

void rp_idem_finish(rp_ctx_t *ctx, rp_idem_t *idem)
{
    if (idem->key == NULL || ctx->res.status >= 400 || ctx->res.status == 0)
        return;
    json_t *headers = json_object();
    for (int i = 0; headers != NULL && i < ctx->res.nheaders; i++)
        json_object_set_new(headers, ctx->res.headers[i].name,
                            json_string(ctx->res.headers[i].value));
    json_t *env = json_pack("{s:s, s:o, s:s}", "content_type",
                            ctx->res.content_type ? ctx->res.content_type : "application/json",
                            "headers", headers ? headers : json_object(), "body",
                            ctx->res.body.data ? ctx->res.body.data : "");
    char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    if (text == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    char hex[65], status[16];
    sodium_bin2hex(hex, sizeof hex, idem->hash, sizeof idem->hash);
    snprintf(status, sizeof status, "%d", ctx->res.status);
    const char *user = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    const char *p[] = {ctx->principal.tenant_id, idem->key, user, hex, status, text};
    rp_dbres_t *res = NULL;
    /* An expired row with the same key is taken over; a live one means
     * another request with this key committed first. */
    rp_status_t st = rp_db_exec(
        ctx->db,
        "INSERT INTO idempotency_keys AS k (tenant_id, key, user_id, request_hash, status, "
        "response) VALUES ($1, $2, $3::uuid, decode($4, 'hex'), $5::int, $6) ON CONFLICT "
        "(tenant_id, key) DO UPDATE SET user_id = excluded.user_id, request_hash = "
        "excluded.request_hash, status = excluded.status, response = excluded.response, "
        "created_at = now() WHERE k.created_at <= now() - make_interval(hours => 24) RETURNING 1",
        6, p, &res);
    free(text);
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else if (rp_dbres_rows(res) == 0)
        rp_resp_problem(ctx, 409, "idempotency_key_in_use",
                        "another request with this Idempotency-Key completed first");
    rp_dbres_free(res);
}
