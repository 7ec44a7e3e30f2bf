#ifndef RP_RECORDS_IMPORT_H
#define RP_RECORDS_IMPORT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"
#include "core/uuid.h"
#include "records/crud_internal.h"
#include "records/csv.h"
#include "records/meta.h"
#include "records/perm.h"

/* CSV import (POST /api/v1/import/{object}) and export (GET
 * /api/v1/export/{object}). The import reads the file record by record and
 * writes it in batches of set-based statements, so memory stays flat
 * whatever the length of the file; every row goes through the same checks
 * and leaves the same rows (history, search text, index and unique rows)
 * as a create through the records API. When module hooks or Lua triggers
 * watch the object's creates, rows go one by one through the records
 * API's own create instead (import_hooks.c), so that they run. */

/* Rows written per batch. */
#define RP_IMPORT_BATCH 1000

/* Most rejected rows listed in a report; past it "errors_truncated". */
#define RP_IMPORT_ERRORS_MAX 1000

/* Most columns of an imported file and bytes in one of its fields. */
#define RP_IMPORT_COLUMNS_MAX 512
#define RP_IMPORT_FIELD_MAX (256u << 10)

/* One row of a batch. */
typedef struct rp_import_row {
    long line;
    json_t *data;   /* the canonical values to store; NULL once rejected */
    json_t *errors; /* {field: message}, or NULL while the row is good */
    char id[RP_UUID_LEN + 1];
} rp_import_row_t;

/* One import in progress. */
typedef struct rp_import {
    rp_ctx_t *ctx;
    const rp_object_t *o;
    const char *tenant_id;
    const char *actor_id; /* NULL when the caller has no user id */
    /* Per CSV column: the index of its field in o->fields, or -1 when the
     * column is ignored. */
    int *colmap;
    int ncols;
    rp_import_row_t rows[RP_IMPORT_BATCH];
    int nrows;
    long total; /* data rows read */
    long created;
    long rejected;
    json_t *report; /* [{"line","errors"}], at most RP_IMPORT_ERRORS_MAX */
    bool truncated;
    /* Rows go one by one through rp_crud_create (hooks or triggers watch
     * the object's creates), as crud acting for the caller. */
    bool hooked;
    rp_crud_t crud;
    bool all;            /* mode=all: any rejected row rolls the import back */
    bool stop;           /* a script limit or failure ends the import (fail) */
    int savepoint;       /* hooked: 0 none set, 1 set, 2 set under a written row */
    rp_crud_fail_t fail; /* that limit or failure, for the answer */
} rp_import_t;

/* Reads the header record r holds and fills imp->colmap: columns named by
 * the mapping (a JSON object {"column": "field" or ""}, or NULL), else by a
 * field's API name or label (case-insensitive); system columns of an export
 * (id, created_at, updated_at, owner_id, version) are ignored. Answers (400
 * unknown columns or mapping entries, 403 a field the caller may not edit,
 * 422 a read-only one) and returns false when the header cannot be used. */
bool rp_import_map_header(rp_import_t *imp, const rp_csv_reader_t *r, const json_t *mapping,
                          const rp_access_t *a);

/* The JSON value of one CSV cell for field f (which must not be empty),
 * as the records API would receive it: booleans from true/false/yes/no/1/0,
 * currency from "amount CODE", a multipicklist from ';'-separated values,
 * text with the export's formula escape undone, everything else as text.
 * NULL with why filled when the cell cannot be one (why is then the
 * message for the field); NULL with why empty on allocation failure. */
json_t *rp_import_cell(const rp_field_t *f, const char *s, size_t len, char *why, size_t whylen);

/* Starts row (zeroed here) as the next row of the file, the record r
 * holds, and reads its cells: *fields receives the input a create through
 * the API would get, *errors ({field: message}) the cells that cannot be
 * values; both new. A record with another number of fields than the header
 * rejects the row, and both are then NULL. RP_ENOMEM. */
rp_status_t rp_import_row_start(rp_import_t *imp, const rp_csv_reader_t *r, rp_import_row_t *row,
                                json_t **fields, json_t **errors);

/* Turns the record r holds into a row of the batch: validated like a
 * create through the API. RP_ENOMEM. */
rp_status_t rp_import_add_row(rp_import_t *imp, const rp_csv_reader_t *r);

/* Sets imp->hooked when a module hook the tenant enabled or an enabled Lua
 * trigger of the tenant runs before or after a create of imp->o (the
 * triggers are looked up with one statement). */
rp_status_t rp_import_check_hooked(rp_import_t *imp);

/* Imports the record r holds through rp_crud_create (hooks, validation,
 * write, history, triggers), inside a savepoint so that a rejected row
 * leaves nothing of itself, and reports it if rejected. A script limit or
 * failure sets imp->stop and is kept in imp->fail, for the answer.
 * Lower-layer failures are returned as they are. */
rp_status_t rp_import_create_row(rp_import_t *imp, const rp_csv_reader_t *r);

/* Writes the good rows of the batch (checking references and unique values
 * against the database first), reports the rejected ones, and empties the
 * batch. Lower-layer failures are returned as they are. */
rp_status_t rp_import_flush(rp_import_t *imp);

/* Rejects row with errors (stolen): the row is counted, and listed in the
 * report when its batch is done. */
void rp_import_reject(rp_import_t *imp, rp_import_row_t *row, json_t *errors);

/* Lists the rejected rows of the batch in the report, in file order (up to
 * RP_IMPORT_ERRORS_MAX, past which the report says it is truncated). */
void rp_import_report_batch(rp_import_t *imp);

/* The handlers. */
void rp_import_handler(rp_ctx_t *ctx);
void rp_export_handler(rp_ctx_t *ctx);

#endif
