#include "records/search.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

static rp_status_t add_word(rp_buf_t *b, const char *s)
{
    if (s == NULL || *s == '\0')
        return RP_OK;
    rp_status_t st = b->len > 0 ? rp_buf_puts(b, " ") : RP_OK;
    return st == RP_OK ? rp_buf_puts(b, s) : st;
}

rp_status_t rp_search_text_for(const rp_object_t *o, const json_t *data, char **out)
{
    rp_buf_t b = {0};
    rp_status_t st = RP_OK;
    *out = NULL;
    for (int i = 0; st == RP_OK && i < o->nfields; i++) {
        if (!o->fields[i].searchable)
            continue;
        const json_t *v = json_object_get(data, o->fields[i].name);
        if (json_is_string(v)) {
            st = add_word(&b, json_string_value(v));
        } else if (json_is_array(v)) {
            size_t j;
            const json_t *e;
            json_array_foreach(v, j, e)
            {
                if (st == RP_OK)
                    st = add_word(&b, json_string_value(e));
            }
        }
    }
    if (st != RP_OK) {
        rp_buf_free(&b);
        return st;
    }
    *out = b.data; /* NULL when nothing was added */
    return RP_OK;
}

const char *rp_search_title(const rp_object_t *o, const json_t *data)
{
    for (int i = 0; i < o->nfields; i++) {
        if (!o->fields[i].searchable)
            continue;
        const json_t *v = json_object_get(data, o->fields[i].name);
        if (json_is_array(v))
            v = json_array_get(v, 0);
        /* The first searchable field that has a value: a contact without a
         * first name is titled by its last name. */
        const char *s = json_string_value(v);
        if (s != NULL && *s != '\0')
            return s;
    }
    return NULL;
}

bool rp_search_q_valid(const char *q)
{
    if (q == NULL)
        return false;
    long n = rp_utf8_length(q);
    if (n < 1 || n > RP_SEARCH_Q_MAX)
        return false;
    for (const char *p = q; *p; p++)
        if (!isspace((unsigned char)*p))
            return true;
    return false;
}

bool rp_search_like_pattern(const char *s, char *out, size_t n)
{
    size_t len = 0;
    if (n < 3)
        return false;
    out[len++] = '%';
    for (const char *p = s; *p; p++) {
        if (len + 4 > n)
            return false;
        if (*p == '\\' || *p == '%' || *p == '_')
            out[len++] = '\\';
        out[len++] = *p;
    }
    out[len++] = '%';
    out[len] = '\0';
    return true;
}

bool rp_search_limit(const char *limit, int *out)
{
    if (limit == NULL) {
        *out = RP_SEARCH_LIMIT_DEFAULT;
        return true;
    }
    if (*limit == '\0' || strlen(limit) > 3)
        return false;
    int v = 0;
    for (const char *p = limit; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > RP_SEARCH_LIMIT_MAX)
        return false;
    *out = v;
    return true;
}
