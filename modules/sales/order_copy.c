#include <stdio.h>
#include <string.h>

#include "order_copy.h"

#define H sales_host

/* Header fields every document has and passes on. */
static const char *const shared_fields[] = {"name",           "account_id",    "contact_id",
                                            "opportunity_id", "price_book_id", "currency",
                                            "terms",          "notes"};

/* Line fields the caller writes; the amounts are derived again by the
 * line hooks, with the same rule, so they come out the same. */
static const char *const line_fields[] = {"position",   "product_id", "description", "quantity",
                                          "unit_price", "discount",   "tax_rate"};

static bool copy_member(rp_json_t *to, const rp_json_t *from, const char *name)
{
    const rp_json_t *v = H->json_get(from, name);
    if (v == NULL || H->json_kind(v) == RP_JSON_NULL)
        return true;
    return H->json_set(to, name, H->json_copy(v)) == RP_M_OK;
}

/* What the line callback needs. */
typedef struct line_copy {
    const sales_doc_desc_t *dd;
    const char *dst_id;
    sales_copy_t *c;
} line_copy_t;

static rp_mstatus_t copy_line(rp_mctx_t *ctx, const rp_json_t *record, void *arg)
{
    line_copy_t *lc = arg;
    const rp_json_t *src = sales_c_fields(record);
    rp_json_t *fields = H->json_object_new(), *out = NULL, *errors = NULL;
    rp_mstatus_t st = RP_M_ENOMEM;
    if (fields == NULL ||
        H->json_set(fields, lc->dd->line_ref, H->json_string_new(lc->dst_id)) != RP_M_OK)
        goto done;
    for (size_t i = 0; i < sizeof line_fields / sizeof line_fields[0]; i++)
        if (!copy_member(fields, src, line_fields[i]))
            goto done;
    st = H->record_create(ctx, lc->dd->line_object, fields, &out, &errors);
    if (st == RP_M_OK) {
        st = H->json_array_append(lc->c->lines, out);
        out = NULL;
    } else if (st == RP_M_EINVAL || st == RP_M_EFORBIDDEN || st == RP_M_ENOTFOUND ||
               st == RP_M_ECONFLICT) {
        lc->c->refused = st;
        lc->c->errors = errors;
        errors = NULL;
        lc->c->header_refused = false;
        lc->c->line_position = H->json_integer(H->json_get(src, "position"));
        st = RP_M_EINVAL; /* stops the walk; the caller reads c->refused */
    }
done:
    H->json_free(fields);
    H->json_free(out);
    H->json_free(errors);
    return st;
}

rp_mstatus_t sales_copy_document(rp_mctx_t *ctx, const sales_doc_desc_t *sd, const rp_json_t *src,
                                 const sales_doc_desc_t *dd, const char *link, sales_copy_t *c)
{
    memset(c, 0, sizeof *c);
    const rp_json_t *sf = sales_c_fields(src);
    const char *src_id = sales_c_id(src);
    rp_json_t *fields = H->json_object_new(), *created = NULL;
    rp_mstatus_t st = RP_M_ENOMEM;
    if (src_id == NULL || fields == NULL || (c->lines = H->json_array_new()) == NULL ||
        H->json_set(fields, link, H->json_string_new(src_id)) != RP_M_OK)
        goto done;
    for (size_t i = 0; i < sizeof shared_fields / sizeof shared_fields[0]; i++)
        if (!copy_member(fields, sf, shared_fields[i]))
            goto done;
    st = H->record_create(ctx, dd->object, fields, &created, &c->errors);
    if (st != RP_M_OK) {
        if (st == RP_M_EINVAL || st == RP_M_EFORBIDDEN || st == RP_M_ENOTFOUND ||
            st == RP_M_ECONFLICT) {
            c->refused = st;
            c->header_refused = true;
            st = RP_M_OK;
        }
        goto done;
    }
    line_copy_t lc = {.dd = dd, .dst_id = sales_c_id(created), .c = c};
    st = sales_c_each(ctx, sd->line_object, sd->line_ref, src_id, "position", copy_line, &lc);
    if (st == RP_M_EINVAL && c->refused != RP_M_OK) {
        st = RP_M_OK;
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    /* The stored header, with the totals its lines' hooks wrote. */
    st = H->record_get(ctx, dd->object, lc.dst_id, &c->header);
done:
    H->json_free(fields);
    H->json_free(created);
    return st;
}

void sales_copy_clear(sales_copy_t *c)
{
    H->json_free(c->header);
    H->json_free(c->lines);
    H->json_free(c->errors);
    memset(c, 0, sizeof *c);
}

rp_mstatus_t sales_copy_respond(rp_mctx_t *ctx, const sales_doc_desc_t *dd, sales_copy_t *c)
{
    rp_json_t *body = H->json_object_new();
    if (body == NULL || H->json_set(body, dd->object, c->header) != RP_M_OK) {
        c->header = NULL;
        H->json_free(body);
        return RP_M_ENOMEM;
    }
    c->header = NULL;
    if (H->json_set(body, "lines", c->lines) != RP_M_OK) {
        c->lines = NULL;
        H->json_free(body);
        return RP_M_ENOMEM;
    }
    c->lines = NULL;
    H->respond_json(ctx, 201, body);
    return RP_M_OK;
}
