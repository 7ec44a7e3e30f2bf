#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"
#include "records/query_internal.h"

/* A cursor is the base64url form of {"s": sort, "v": [values], "id": id}.
 * It is opaque to clients but not secret: everything it carries only
 * narrows a query the caller may run anyway, and it travels as parameters. */

const char *rp_query_cursor_encode(const rp_query_t *q, const char *const *vals, const char *id,
                                   rp_pool_t *pool)
{
    json_t *v = json_array();
    json_t *doc = v ? json_pack("{s:s, s:o, s:s}", "s", q->sort_sig, "v", v, "id", id) : NULL;
    if (doc == NULL)
        return NULL;
    for (int i = 0; i < q->nsort; i++) {
        if (json_array_append_new(v, vals[i] ? json_string(vals[i]) : json_null()) != 0) {
            json_decref(doc);
            return NULL;
        }
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text == NULL)
        return NULL;
    size_t len = strlen(text);
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = rp_pool_alloc(pool, cap);
    if (out != NULL)
        sodium_bin2base64(out, cap, (const unsigned char *)text, len,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(text);
    return out;
}

rp_status_t rp_query_cursor_decode(rp_qb_t *qb, const char *token, const char *sig, int nsort,
                                   const char **vals, const char **id)
{
    size_t len = strlen(token);
    if (len == 0 || len > RP_QUERY_CURSOR_MAX)
        return rp_qb_fail(qb, "invalid_cursor", "cursor", "is not a cursor from this query");
    unsigned char *bin = rp_pool_alloc(qb->pool, len);
    size_t n = 0;
    if (bin == NULL)
        return RP_ENOMEM;
    if (sodium_base642bin(bin, len, token, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return rp_qb_fail(qb, "invalid_cursor", "cursor", "is not a cursor from this query");
    json_t *doc = json_loadb((const char *)bin, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *v = json_object_get(doc, "v");
    const char *s = json_string_value(json_object_get(doc, "s"));
    const char *idv = json_string_value(json_object_get(doc, "id"));
    rp_status_t st = RP_OK;
    if (!json_is_object(doc) || json_object_size(doc) != 3 || s == NULL || idv == NULL ||
        !rp_uuid_valid(idv) || !json_is_array(v) || json_array_size(v) != (size_t)nsort) {
        st = rp_qb_fail(qb, "invalid_cursor", "cursor", "is not a cursor from this query");
    } else if (strcmp(s, sig) != 0) {
        st = rp_qb_fail(qb, "invalid_cursor", "cursor", "was made for another sort order");
    } else {
        *id = rp_pool_strdup(qb->pool, idv);
        if (*id == NULL)
            st = RP_ENOMEM;
        for (int i = 0; st == RP_OK && i < nsort; i++) {
            json_t *e = json_array_get(v, (size_t)i);
            if (json_is_null(e)) {
                vals[i] = NULL;
            } else if (json_is_string(e) && strlen(json_string_value(e)) == json_string_length(e)) {
                if ((vals[i] = rp_pool_strdup(qb->pool, json_string_value(e))) == NULL)
                    st = RP_ENOMEM;
            } else {
                st = rp_qb_fail(qb, "invalid_cursor", "cursor", "is not a cursor from this query");
            }
        }
    }
    json_decref(doc);
    return st;
}
