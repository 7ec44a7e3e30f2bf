#ifndef SALES_PIPELINE_H
#define SALES_PIPELINE_H

/* What the pipeline, opportunity and stage-history files of the sales
 * module share: small record helpers over the host API, the default
 * pipeline, and the registration of each file's hooks and actions. */

#include <stdbool.h>

#include "sales.h"

/* Length of a record id (a UUID in text form). */
#define SALES_ID_LEN 36

/* A stage's kind, as pipeline_stage.kind and opportunity.status spell it. */
#define SALES_KIND_OPEN "open"
#define SALES_KIND_WON "won"
#define SALES_KIND_LOST "lost"

/* A query condition {"field", "op", "value"}; takes ownership of value.
 * NULL when out of memory (value is released). */
rp_json_t *sales_pipeline_cond(const char *field, const char *op, rp_json_t *value);

/* {"and": [a, b]}; takes ownership of both (either may be NULL, which
 * gives the other alone). NULL when out of memory (both are released). */
rp_json_t *sales_pipeline_and(rp_json_t *a, rp_json_t *b);

/* The first record of object matching filter (taken, may be NULL) in sort
 * order, as the caller may read it: *out receives it (owned) or NULL when
 * none matches. */
rp_mstatus_t sales_pipeline_first(rp_mctx_t *ctx, const char *object, rp_json_t *filter,
                                  const char *sort, rp_json_t **out);

/* The string value of field in a record ({"fields": {...}}) or in a bare
 * fields object, or NULL when absent, null or not a string. Borrowed. */
const char *sales_pipeline_str(const rp_json_t *rec, const char *field);

/* The id of the tenant's default pipeline into id. A tenant without any
 * pipeline gets the standard "Sales" pipeline and its stages, created in
 * the request's transaction as derived records. RP_M_ENOTFOUND when the
 * tenant has pipelines but none is marked default. */
rp_mstatus_t sales_pipeline_default(rp_mctx_t *ctx, char id[SALES_ID_LEN + 1]);

/* The first open stage (lowest position) of pipeline pipeline_id, or NULL
 * in *out when it has none. */
rp_mstatus_t sales_pipeline_first_open_stage(rp_mctx_t *ctx, const char *pipeline_id,
                                             rp_json_t **out);

/* The current time as the records API writes datetimes
 * ("2026-03-01T10:00:00.000Z"); buf holds at least 25 bytes. */
void sales_pipeline_now(char *buf, size_t size);

/* Registration of each file's hooks and actions (called from
 * sales_pipeline_init). */
rp_mstatus_t sales_pipeline_stage_init(rp_mreg_t *reg);      /* pipeline_stage.c */
rp_mstatus_t sales_opportunity_stage_init(rp_mreg_t *reg);   /* opportunity_stage.c */
rp_mstatus_t sales_opportunity_history_init(rp_mreg_t *reg); /* opportunity_history.c */

#endif
