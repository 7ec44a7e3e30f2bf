#ifndef RP_RECORDS_CRUD_INTERNAL_H
#define RP_RECORDS_CRUD_INTERNAL_H

#include <jansson.h>

#include "core/request.h"
#include "db/db.h"
#include "records/meta.h"
#include "records/perm.h"
#include "records/record.h"

/* Shared by the records write files (crud*.c). */

/* Most operations in one bulk request. */
#define RP_CRUD_BULK_MAX 1000

/* Deepest chain of cascading deletes followed. */
#define RP_CRUD_CASCADE_DEPTH 16

/* Why a write was refused: what a handler answers, or what bulk reports. */
typedef struct rp_crud_fail {
    int status; /* 0 while nothing failed */
    const char *code;
    char detail[256];
    json_t *errors; /* {field: message}, or NULL; owned */
    char limit[32]; /* a script limit that was hit ("instructions", ...), or "" */
} rp_crud_fail_t;

/* One caller's writes: the request, its tenant's metadata and who acts. */
typedef struct rp_crud {
    rp_ctx_t *ctx;
    const rp_meta_t *meta;
    const char *tenant_id;
    const char *actor_id; /* NULL when the caller has no user id */
    /* True for the server's own writes (jobs, maintenance), which no role
     * narrows; false, as rp_crud_init leaves it, applies the caller's
     * rights (records/perm.h) to every write. */
    bool system;
    /* True for a module's derived write (RP_MWRITE_DERIVED): values the
     * module computes itself. Read-only fields may then be set, and the
     * caller's create right, update scope and field-edit rights are not
     * checked; the record must still be a live one of the tenant, and
     * validation, hooks, triggers and history are unchanged. */
    bool derived;
} rp_crud_t;

/* The moments of a write that module hooks and tenant triggers see. */
typedef enum rp_crud_event {
    RP_CRUD_BEFORE_CREATE,
    RP_CRUD_AFTER_CREATE,
    RP_CRUD_BEFORE_UPDATE,
    RP_CRUD_AFTER_UPDATE,
    RP_CRUD_BEFORE_DELETE,
    RP_CRUD_AFTER_DELETE,
    RP_CRUD_EVENT_COUNT /* not an event: their number */
} rp_crud_event_t;

/* Runs the enabled modules' hooks, then the tenant's Lua triggers, of object
 * o at ev (crud_hooks.c). Before events: fields is the write's input, which
 * they may change; after events: record is the written record as the API
 * gives it. old is the record before the write (update, delete), else NULL;
 * id is NULL before a create. RP_EINVAL with fail filled when one refused
 * the write; any other failure status means roll back. */
rp_status_t rp_crud_hooks_run(rp_crud_t *c, rp_crud_event_t ev, const rp_object_t *o,
                              const char *id, json_t *fields, const json_t *record,
                              const json_t *old, rp_crud_fail_t *fail);

/* Fills fail (errors is stolen; may be NULL) and returns RP_EINVAL. */
rp_status_t rp_crud_refuse(rp_crud_fail_t *fail, int status, const char *code, json_t *errors,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Releases what fail holds and zeroes it. */
void rp_crud_fail_clear(rp_crud_fail_t *fail);

/* Answers fail as a problem (its errors are handed over). */
void rp_crud_fail_answer(rp_ctx_t *ctx, rp_crud_fail_t *fail);

/* Prepares c for ctx: acquires the metadata. Answers and returns false on
 * failure. */
bool rp_crud_init(rp_ctx_t *ctx, rp_crud_t *c);

/* The object named by the first path parameter; answers 404 unknown_object
 * and returns NULL when there is none. */
const rp_object_t *rp_crud_object(rp_ctx_t *ctx, const rp_crud_t *c);

/* The record id in the second path parameter, lower-cased into the pool;
 * answers 404 not_found and returns NULL when it is not a UUID. */
const char *rp_crud_path_id(rp_ctx_t *ctx);

/* The three steps every /records/{object}/{id} handler starts with:
 * rp_crud_init, rp_crud_object, rp_crud_path_id. Returns the object and sets
 * *id, or answers and returns NULL. */
const rp_object_t *rp_crud_open_record(rp_ctx_t *ctx, rp_crud_t *c, const char **id);

/* The caller's rights on o (every right when c->system). */
void rp_crud_access(const rp_crud_t *c, const rp_object_t *o, rp_access_t *a);

/* Refuses with 403 forbidden, naming them, the members of fields (a write
 * body's "fields") that are fields of o the caller may not edit. Names o
 * does not have are left to validation. RP_OK or RP_EINVAL. */
rp_status_t rp_crud_check_editable(const rp_object_t *o, const rp_access_t *a, const json_t *fields,
                                   rp_crud_fail_t *fail);

/* Whether the caller may act (verb: "change", "delete", "restore") on a
 * record of o owned by owner_id (NULL: no owner): 404 not_found when it is
 * outside a->read, exactly like a missing record; 403 forbidden when it is
 * readable but outside want. RP_OK, RP_EINVAL, or a database failure. */
rp_status_t rp_crud_check_record(rp_crud_t *c, const rp_object_t *o, const rp_access_t *a,
                                 rp_scope_t want, const char *owner_id, const char *verb,
                                 rp_crud_fail_t *fail);

/* Sets *out to whether the caller may read the record in row 0 of res
 * (selected with RP_RECORD_COLS) under a->read. RP_OK or a database
 * failure. */
rp_status_t rp_crud_readable(rp_crud_t *c, const rp_access_t *a, const rp_dbres_t *res, bool *out);

/* Answers 403 forbidden and returns false when a lets the caller read no
 * record of o at all; true otherwise. */
bool rp_crud_may_read(rp_ctx_t *ctx, const rp_object_t *o, const rp_access_t *a);

/* The write operations. Each returns RP_OK; RP_EINVAL when the write is
 * refused, with fail filled; or the status of a lower-layer failure (the
 * caller answers with rp_resp_fail). Each applies the caller's rights
 * before it writes anything: create needs the create right and edit access
 * to every field given; update, delete and restore answer 404 for a record
 * outside the read scope and 403 for one outside the update (delete and
 * restore: delete) scope. *rec receives the record's JSON, without the
 * fields the caller may not read. owner
 * is the body's "owner_id" member (NULL: absent). A refused write may have
 * run statements: the request's transaction must then roll back. */
rp_status_t rp_crud_create(rp_crud_t *c, const rp_object_t *o, const json_t *fields,
                           const json_t *owner, json_t **rec, rp_crud_fail_t *fail);
rp_status_t rp_crud_update(rp_crud_t *c, const rp_object_t *o, const char *id, const json_t *fields,
                           const json_t *owner, const char *if_match, json_t **rec,
                           rp_crud_fail_t *fail);
rp_status_t rp_crud_delete(rp_crud_t *c, const rp_object_t *o, const char *id, const char *if_match,
                           rp_crud_fail_t *fail);
rp_status_t rp_crud_restore(rp_crud_t *c, const rp_object_t *o, const char *id, json_t **rec,
                            rp_crud_fail_t *fail);

/* Keeps record_unique and record_index in step with one field's new value
 * (NULL or null: none) on record id; fresh when the record had no rows yet.
 * A unique value another record holds is reported in errors. */
rp_status_t rp_crud_sync_field(rp_crud_t *c, const rp_object_t *o, const rp_field_t *f,
                               const char *id, const json_t *value, bool fresh, json_t *errors);

/* Checks that every reference value in vals (only those whose name is in
 * only, when only is not NULL) names a live record of its target object in
 * the tenant; reports the others in errors. */
rp_status_t rp_crud_check_refs(rp_crud_t *c, const rp_object_t *o, const json_t *vals,
                               const json_t *only, json_t *errors);

/* What one write checks and keeps beside its record row, gathered in memory
 * and then sent with the row in one statement (crud_common.c): a write is
 * then one round trip however many references, unique and indexed fields
 * it touches. Zero it, fill it with the rp_crud_side_* calls, release it
 * with rp_crud_side_clear. */
typedef struct rp_crud_side {
    /* A user id the record's owner must be (the body named one), or NULL. */
    const char *owner_check;
    json_t *refs;    /* [{"f","o","i"}]: reference values whose target must exist */
    json_t *uniques; /* [{"f","v"}]: changed unique fields, v the value to claim or null */
    json_t *index;   /* [{"f","t","n","s"}]: record_index rows of changed fields, all null: none */
    json_t *numbers; /* ["field"]: autonumber counters to take */
} rp_crud_side_t;

/* The record statement a side travels with. */
typedef enum rp_crud_write {
    RP_CRUD_WRITE_CREATE,  /* inserts the row */
    RP_CRUD_WRITE_UPDATE,  /* writes new data and owner over it */
    RP_CRUD_WRITE_RESTORE, /* clears deleted_at, keeping data and owner */
} rp_crud_write_t;

/* Adds the reference values of vals (only those named in only, when only
 * is not NULL) to the targets s checks. */
rp_status_t rp_crud_side_refs(rp_crud_side_t *s, const rp_object_t *o, const json_t *vals,
                              const json_t *only);

/* Adds what field f's new value (NULL or null: none) means for
 * record_unique and record_index, as rp_crud_sync_field would keep them. */
rp_status_t rp_crud_side_field(rp_crud_side_t *s, const rp_field_t *f, const json_t *value);

/* Adds an autonumber counter to take. */
rp_status_t rp_crud_side_number(rp_crud_side_t *s, const rp_field_t *f);

/* Runs the owner and reference checks of s alone, in one statement (none
 * when there is nothing to check), reporting failures in errors as
 * rp_crud_create does. When every check passes and numbers is not NULL,
 * the statement also takes the autonumbers of s: *numbers receives
 * {field: n} (a new reference, NULL when none were taken). Afterwards s
 * holds no owner or reference to check: they are done. */
rp_status_t rp_crud_side_check(rp_crud_t *c, rp_crud_side_t *s, const rp_object_t *o,
                               json_t *errors, json_t **numbers);

/* Writes record id of o as kind says, with its side, its search text and
 * its history row (action from kind; changes borrowed), in one statement.
 * data is the record's new data and owner_id its owner; a restore writes
 * neither, only the search text of data. The owner and reference checks
 * of s come first, and nothing is written when one fails (reported in
 * errors). A unique value another record holds is reported in errors too;
 * then no history row is written, but the row is (the caller refuses the
 * write and its transaction rolls back, as before any statement of a
 * refused write). *res receives the row (RP_RECORD_COLS) when it was
 * written, else NULL. */
rp_status_t rp_crud_side_write(rp_crud_t *c, rp_crud_side_t *s, const rp_object_t *o,
                               rp_crud_write_t kind, const char *id, const json_t *data,
                               const char *owner_id, const json_t *changes, json_t *errors,
                               rp_dbres_t **res);

/* Releases what s holds and zeroes it. */
void rp_crud_side_clear(rp_crud_side_t *s);

/* Soft-deletes record id of o with its history row, and gives up its
 * unique values, in one statement. With referrers, the statement first
 * looks for live records whose reference fields point at it, and when
 * there is any writes nothing and sets *referred (the caller applies their
 * on_delete rules, then calls again without referrers). */
rp_status_t rp_crud_soft_delete(rp_crud_t *c, const rp_object_t *o, const char *id, bool referrers,
                                bool *referred);

/* The handlers (crud_handlers.c, crud_bulk.c). */
void rp_crud_post(rp_ctx_t *ctx);
void rp_crud_get(rp_ctx_t *ctx);
void rp_crud_patch(rp_ctx_t *ctx);
void rp_crud_delete_handler(rp_ctx_t *ctx);
void rp_crud_restore_handler(rp_ctx_t *ctx);
void rp_crud_bulk(rp_ctx_t *ctx);

#endif
