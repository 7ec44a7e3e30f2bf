#ifndef RP_RECORDS_META_BACKFILL_H
#define RP_RECORDS_META_BACKFILL_H

#include "core/request.h"
#include "records/meta.h"

/* What a field change does to the data records already hold, in the
 * request's transaction, so the change is complete when it commits: no
 * record keeps a search text or lacks an index row that the new
 * definition implies. Both are set-based statements over the object's
 * records in the caller's tenant. */

/* Writes the record_index rows of custom field f (now indexed) for every
 * record of o that has a value, in the typed column and form the write path
 * uses (rp_crud_sync_field). Rows already there are kept. */
rp_status_t rp_meta_backfill_index(rp_ctx_t *ctx, const rp_object_t *o, const rp_field_t *f);

/* Rewrites the search text of every record of o from the searchable fields
 * named in names (count n, in field order), the same words
 * rp_search_text_for gives. */
rp_status_t rp_meta_backfill_search(rp_ctx_t *ctx, const rp_object_t *o, const char *const *names,
                                    int n);

#endif
