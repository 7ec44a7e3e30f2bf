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
 * watch the object's creates, the before ones run row by row in memory as
 * the rows are read, the batch is written with the same statements, and
 * the after ones run row by row over the written records
 * (import_hybrid.c); in mode=row a batch that rejected a row its hooks or
 * triggers had touched is undone and imported again row by row through the
 * records API's own create (import_hooks.c), so that the rejected row
 * leaves nothing. */

/* Rows written per batch. */
#define RP_IMPORT_BATCH 1000

/* The savepoint a mode=row batch of a hooked object is written under, so
 * that it can be undone and replayed row by row. */
#define RP_IMPORT_BATCH_SAVEPOINT "rp_import_batch"

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
    /* Hooked objects: the row's cells as a create through the API would
     * receive them (what hooks may not add read-only fields to, and what a
     * replay starts from); NULL when the cells already rejected the row. */
    json_t *input;
    /* Hooks or triggers ran for the row: rejecting it must undo what they
     * did (mode=row replays the batch). */
    bool touched;
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
    /* Hooks or triggers watch the object's creates: they run around the
     * batches (import_hybrid.c) as crud, acting for the caller. before and
     * after say which of them there are. */
    bool hooked;
    bool before;
    bool after;
    rp_crud_t crud;
    rp_access_t access;  /* the caller's rights on o: what after hooks may see */
    bool all;            /* mode=all: any rejected row rolls the import back */
    bool stop;           /* a script limit or failure ends the import (fail) */
    bool redo;           /* a touched row of the batch was rejected */
    int batch_sp;        /* mode=row, hooked: 0 none set, 1 set for this batch, 2 for an earlier */
    int savepoint;       /* replay: 0 none set, 1 set, 2 set under a written row */
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

/* Sets imp->before and imp->after when a module hook the tenant enabled or
 * an enabled Lua trigger of the tenant runs before, or after, a create of
 * imp->o (the triggers are looked up with one statement), and imp->hooked
 * when either does. */
rp_status_t rp_import_check_hooked(rp_import_t *imp);

/* Hooked objects: turns the record r holds into a row of the batch, its
 * before hooks and triggers run on a copy of its input and the result
 * validated like a create through the API. In mode=row the first row of a
 * batch sets the batch's savepoint first. A script limit or failure sets
 * imp->stop and is kept in imp->fail, for the answer. Lower-layer
 * failures are returned as they are (never RP_EINVAL or RP_ELIMIT, which
 * the caller keeps for the CSV reader's own). */
rp_status_t rp_import_add_hooked_row(rp_import_t *imp, const rp_csv_reader_t *r);

/* Hooked objects: writes the good rows of the batch like rp_import_flush,
 * then runs the after hooks and triggers of each written row, in file
 * order. In mode=row, when a row that hooks or triggers touched was
 * rejected, the batch is rolled back to its savepoint and imported again
 * row by row (rp_import_replay). Reports the rejected rows and empties the
 * batch. Failures as rp_import_add_hooked_row. */
rp_status_t rp_import_flush_hooked(rp_import_t *imp);

/* mode=row: undoes the batch (back to its savepoint) and imports each of
 * its rows that its cells did not reject through rp_crud_create (hooks,
 * validation, write, history, triggers), each inside a savepoint of its
 * own so that a rejected row leaves nothing of itself: the file's order,
 * one row at a time, as if the batch had never been tried. */
rp_status_t rp_import_replay(rp_import_t *imp);

/* Rejects row for the refusal in fail (handed over): its field errors, or
 * {"row": detail} when it has none. A refusal that is not about the row (a
 * script limit or failure, a hook's 5xx) rejects nothing: it sets
 * imp->stop and moves into imp->fail instead. */
void rp_import_refused(rp_import_t *imp, rp_import_row_t *row, rp_crud_fail_t *fail);

/* Room for a record's creation time, RFC 3339 UTC with milliseconds. */
#define RP_IMPORT_STAMP_LEN 32

/* Checks the good rows of the batch against the database (references,
 * unique values), numbers them (autonumbers) and writes them with their
 * history, unique and index rows, rejecting those that fail; counts the
 * written ones in imp->created. With written_at (RP_IMPORT_STAMP_LEN
 * bytes), it receives the written records' created_at and updated_at (the
 * transaction's time, as the API gives it; "" when none was written).
 * Lower-layer failures are returned as they are. */
rp_status_t rp_import_write(rp_import_t *imp, char *written_at);

/* Writes the good rows of the batch (rp_import_write), reports the
 * rejected ones, and empties the batch. Lower-layer failures are returned
 * as they are. */
rp_status_t rp_import_flush(rp_import_t *imp);

/* Rejects row with errors (stolen): the row is counted, and listed in the
 * report when its batch is done. A touched row sets imp->redo. */
void rp_import_reject(rp_import_t *imp, rp_import_row_t *row, json_t *errors);

/* Lists the rejected rows of the batch in the report, in file order (up to
 * RP_IMPORT_ERRORS_MAX, past which the report says it is truncated). */
void rp_import_report_batch(rp_import_t *imp);

/* Empties the batch, releasing what its rows hold. */
void rp_import_rows_clear(rp_import_t *imp);

/* The handlers. */
void rp_import_handler(rp_ctx_t *ctx);
void rp_export_handler(rp_ctx_t *ctx);

#endif
