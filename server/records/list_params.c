#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "records/query_handlers.h"

static void drop_json(void *p)
{
    json_decref(p);
}

/* Hands j to the pool; NULL on failure (j is then released). */
static json_t *pooled(rp_ctx_t *ctx, json_t *j)
{
    if (j != NULL && rp_pool_on_clear(&ctx->pool, drop_json, j) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..len) ('+' is a space) into the pool; NULL on a bad
 * escape, an encoded NUL, or no memory. */
static char *decode(rp_pool_t *pool, const char *s, size_t len)
{
    char *out = rp_pool_alloc(pool, len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= len)
                return NULL;
            int hi = hexval((unsigned char)s[i + 1]);
            int lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static void bad(rp_ctx_t *ctx, const char *code, const char *name, const char *message)
{
    char detail[256];
    snprintf(detail, sizeof detail, "%.80s %s", name, message);
    rp_resp_problem_fields(ctx, 400, code, detail, json_pack("{s:s}", name, message));
}

/* filter[FIELD][OP] or filter[FIELD] (eq): the leaf for value, or NULL. */
static json_t *filter_leaf(const char *key, const char *value)
{
    const char *p = key + strlen("filter[");
    const char *close = strchr(p, ']');
    if (close == NULL || close == p)
        return NULL;
    const char *op = "eq";
    size_t oplen = 2;
    const char *rest = close + 1;
    if (*rest == '[') {
        const char *close2 = strchr(rest + 1, ']');
        if (close2 == NULL || close2 == rest + 1 || close2[1] != '\0')
            return NULL;
        op = rest + 1;
        oplen = (size_t)(close2 - op);
    } else if (*rest != '\0') {
        return NULL;
    }
    return json_pack("{s:s%, s:s%, s:s}", "field", p, (size_t)(close - p), "op", op, oplen, "value",
                     value);
}

bool rp_list_params(rp_ctx_t *ctx, rp_query_spec_t *spec)
{
    json_t *leaves = pooled(ctx, json_array());
    if (leaves == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return false;
    }
    const char *q = ctx->req.query ? ctx->req.query : "";
    while (*q) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *key = decode(&ctx->pool, q, klen);
        char *value =
            eq ? decode(&ctx->pool, eq + 1, len - klen - 1) : rp_pool_strdup(&ctx->pool, "");
        if (key == NULL || value == NULL) {
            bad(ctx, "invalid_parameter", "query", "is not a well-formed query string");
            return false;
        }
        json_t **slot = NULL;
        if (strncmp(key, "filter[", 7) == 0) {
            json_t *leaf = filter_leaf(key, value);
            if (leaf == NULL) {
                bad(ctx, "invalid_filter", key, "must look like filter[FIELD][OP]=VALUE");
                return false;
            }
            if (json_array_append_new(leaves, leaf) != 0) {
                rp_resp_fail(ctx, RP_ENOMEM);
                return false;
            }
        } else if (strcmp(key, "sort") == 0) {
            slot = (json_t **)&spec->sort;
        } else if (strcmp(key, "fields") == 0) {
            slot = (json_t **)&spec->fields;
        } else if (strcmp(key, "limit") == 0) {
            slot = (json_t **)&spec->limit;
        } else if (strcmp(key, "cursor") == 0) {
            spec->cursor = value;
        } else if (strncmp(key, "filter", 6) == 0) {
            bad(ctx, "invalid_filter", key, "must look like filter[FIELD][OP]=VALUE");
            return false;
        }
        /* Other parameters (cache busters, say) are left alone. */
        if (slot != NULL) {
            json_t *j = json_string(value);
            if (j == NULL) {
                bad(ctx, "invalid_parameter", key, "must be UTF-8 text");
                return false;
            }
            if ((*slot = pooled(ctx, j)) == NULL) {
                rp_resp_fail(ctx, RP_ENOMEM);
                return false;
            }
        }
        q += len;
        if (*q == '&')
            q++;
    }
    if (json_array_size(leaves) == 1)
        spec->filter = json_array_get(leaves, 0);
    else if (json_array_size(leaves) > 1) {
        json_t *tree = pooled(ctx, json_pack("{s:O}", "and", leaves));
        if (tree == NULL) {
            rp_resp_fail(ctx, RP_ENOMEM);
            return false;
        }
        spec->filter = tree;
    }
    return true;
}
