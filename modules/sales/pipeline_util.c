#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"

rp_json_t *sales_pipeline_cond(const char *field, const char *op, rp_json_t *value)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *c = h->json_object_new();
    if (c == NULL || value == NULL) {
        h->json_free(c);
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

rp_json_t *sales_pipeline_and(rp_json_t *a, rp_json_t *b)
{
    const rp_host_api_t *h = sales_host;
    if (a == NULL || b == NULL)
        return a ? a : b;
    rp_json_t *all = h->json_object_new(), *list = h->json_array_new();
    if (all == NULL || list == NULL) {
        h->json_free(all);
        h->json_free(list);
        h->json_free(a);
        h->json_free(b);
        return NULL;
    }
    rp_mstatus_t st = h->json_array_append(list, a);
    if (st == RP_M_OK)
        st = h->json_array_append(list, b);
    else
        h->json_free(b);
    if (st != RP_M_OK) {
        h->json_free(list);
        h->json_free(all);
        return NULL;
    }
    if (h->json_set(all, "and", list) != RP_M_OK) {
        h->json_free(all);
        return NULL;
    }
    return all;
}

rp_mstatus_t sales_pipeline_first(rp_mctx_t *ctx, const char *object, rp_json_t *filter,
                                  const char *sort, rp_json_t **out)
{
    const rp_host_api_t *h = sales_host;
    *out = NULL;
    rp_json_t *list = NULL;
    rp_mstatus_t st = h->record_query(ctx, object, filter, sort, 1, &list);
    h->json_free(filter);
    if (st != RP_M_OK)
        return st;
    if (h->json_array_size(list) > 0)
        *out = h->json_copy(h->json_array_get(list, 0));
    h->json_free(list);
    return RP_M_OK;
}

const char *sales_pipeline_str(const rp_json_t *rec, const char *field)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *fields = h->json_get(rec, "fields");
    return h->json_string(h->json_get(fields ? fields : rec, field));
}

rp_mstatus_t sales_pipeline_first_open_stage(rp_mctx_t *ctx, const char *pipeline_id,
                                             rp_json_t **out)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *filter = sales_pipeline_and(
        sales_pipeline_cond("pipeline_id", "eq", h->json_string_new(pipeline_id)),
        sales_pipeline_cond("kind", "eq", h->json_string_new(SALES_KIND_OPEN)));
    if (filter == NULL)
        return RP_M_ENOMEM;
    return sales_pipeline_first(ctx, "pipeline_stage", filter, "position", out);
}

void sales_pipeline_now(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}
