/* Filters in the query API's form, built through the host's JSON functions,
 * for the record_query calls of accounts, leads and timelines. */

#include <stdarg.h>

#include "activities.h"

rp_json_t *sales_filter_cond(const char *field, const char *op, rp_json_t *value)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *c = value ? h->json_object_new() : NULL;
    if (c == NULL) {
        h->json_free(value);
        return NULL;
    }
    if (h->json_set(c, "field", h->json_string_new(field)) != RP_M_OK ||
        h->json_set(c, "op", h->json_string_new(op)) != RP_M_OK ||
        h->json_set(c, "value", value) != RP_M_OK) {
        h->json_free(c);
        return NULL;
    }
    return c;
}

rp_json_t *sales_filter_eq(const char *field, const char *text)
{
    return sales_filter_cond(field, "eq", sales_host->json_string_new(text));
}

rp_json_t *sales_filter_join(const char *join, int n, ...)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *list = h->json_array_new(), *out = h->json_object_new();
    bool ok = list != NULL && out != NULL;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        rp_json_t *c = va_arg(ap, rp_json_t *);
        if (c == NULL || !ok) {
            ok = false;
            h->json_free(c);
            continue;
        }
        ok = h->json_array_append(list, c) == RP_M_OK;
    }
    va_end(ap);
    if (ok && h->json_set(out, join, list) == RP_M_OK)
        return out;
    if (!ok)
        h->json_free(list);
    h->json_free(out);
    return NULL;
}

const char *sales_field_str(const rp_json_t *record, const char *key)
{
    const rp_host_api_t *h = sales_host;
    return h->json_string(h->json_get(h->json_get(record, "fields"), key));
}
