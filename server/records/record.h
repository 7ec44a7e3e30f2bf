#ifndef RP_RECORDS_RECORD_H
#define RP_RECORDS_RECORD_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"
#include "db/db.h"
#include "records/meta.h"
#include "records/perm.h"

/* Shared record helpers: the SQL select list of a record, its JSON form, the
 * checks a write body goes through, the change set history stores and the
 * ETag of a version. Everything here but rp_record_load is pure. */

/* The select list of a record over the alias r, in this fixed order:
 * 0 id, 1 object, 2 version, 3 created_at and 4 updated_at (RFC 3339 UTC with
 * milliseconds), 5 owner_id (NULL when none), 6 data (jsonb as text). Callers
 * may select more columns after these. */
#define RP_RECORD_COLS                                                                             \
    "r.id::text, r.object, r.version, "                                                            \
    "to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "              \
    "to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "              \
    "r.owner_id::text, r.data::text"

/* Column indexes of RP_RECORD_COLS. */
enum {
    RP_RECORD_COL_ID,
    RP_RECORD_COL_OBJECT,
    RP_RECORD_COL_VERSION,
    RP_RECORD_COL_CREATED_AT,
    RP_RECORD_COL_UPDATED_AT,
    RP_RECORD_COL_OWNER_ID,
    RP_RECORD_COL_DATA,
    RP_RECORD_NCOLS
};

/* The record in row of res (selected with RP_RECORD_COLS) as the API gives
 * it: {"id","object","version","created_at","updated_at","owner_id",
 * "fields":{...}}, with every field o defines, in o's order (null when the
 * record has no value), and nothing else: values of fields the metadata no
 * longer has stay in the row but leave every answer. New reference; NULL on
 * allocation failure or a data column that is not a JSON object. */
json_t *rp_record_json(const rp_object_t *o, const rp_dbres_t *res, int row);

/* Removes from rec (as rp_record_json gives it) the fields that a lets the
 * caller not even read, so no answer shows them. rec may be NULL. */
void rp_record_hide(json_t *rec, const rp_object_t *o, const rp_access_t *a);

/* Removes from a change set ({"field": {"old","new"}}, as history stores
 * it) the fields of o that a hides; other members (owner_id) stay. */
void rp_record_hide_changes(json_t *changes, const rp_object_t *o, const rp_access_t *a);

/* Reads record id of object o in tenant_id (RP_RECORD_COLS, then
 * deleted_at as column RP_RECORD_NCOLS, RFC 3339 like the others, NULL while
 * live) into *out; with lock, FOR UPDATE. RP_ENOTFOUND when there is no such record (deleted ones
 * are found: the caller decides). */
rp_status_t rp_record_load(rp_db_t *db, const char *tenant_id, const rp_object_t *o, const char *id,
                           bool lock, rp_dbres_t **out);

/* Checks the fields of a write against o and gives the canonical values to
 * store in *out (a new object: API name -> value, JSON null for a cleared
 * field). On create, absent fields that have a default get it, and required
 * fields must end up with a value; on update only the fields given are
 * checked, and a required one may not be cleared. Autonumber and read-only
 * fields may not be written. Names o does not have go into unknown (an
 * array), bad values into errors ({field: message}). Returns RP_OK, RP_EINVAL
 * when unknown or errors received anything (*out is then NULL), RP_ENOMEM. */
rp_status_t rp_record_validate(const rp_object_t *o, const json_t *fields, bool create,
                               json_t **out, json_t *unknown, json_t *errors);

/* rp_record_validate for a write whose read-only fields the server itself
 * may set (a before hook or trigger filling a derived value, a module's
 * derived write): a read-only field is accepted unless its name is a member
 * of refused (the caller's own input), and NULL refuses none. Autonumbers
 * stay unwritable. rp_record_validate is this with refused = fields. */
rp_status_t rp_record_validate_ex(const rp_object_t *o, const json_t *fields, bool create,
                                  const json_t *refused, json_t **out, json_t *unknown,
                                  json_t *errors);

/* The change set history stores between two data objects: {"field":
 * {"old": v, "new": v}} for every member whose value differs; an absent
 * member counts as null. New reference; NULL on allocation failure. */
json_t *rp_record_diff(const json_t *before, const json_t *after);

/* Writes the ETag of a version ("\"7\"", quotes included) into out. */
void rp_record_etag(long long version, char out[32]);

/* True when an If-Match header value lets a write to version through: "*",
 * or a list of entity tags one of which is "<version>" (a weak W/"<version>"
 * is accepted too, since clients echo what they got). A NULL header
 * matches; a malformed one matches nothing. */
bool rp_record_etag_matches(const char *if_match, long long version);

/* The canonical text a unique field's value is claimed under in
 * record_unique: strings as they are (e-mail addresses lower-cased), other
 * values as compact JSON with sorted keys. malloc'd; NULL on allocation
 * failure. */
char *rp_record_unique_text(const rp_field_t *f, const json_t *value);

#endif
