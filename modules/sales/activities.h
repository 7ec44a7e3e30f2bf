#ifndef SALES_ACTIVITIES_H
#define SALES_ACTIVITIES_H

/* What the files of accounts, leads, activities and timelines share: the
 * activity objects, times in the records engine's stored form, and filters
 * in the query API's form. */

#include <stdbool.h>

#include "sales.h"

/* The objects that are activities: each has related_object, related_id and
 * activity_at. */
#define SALES_ACTIVITY_COUNT 4
extern const char *const sales_activity_objects[SALES_ACTIVITY_COUNT];

/* Length of a datetime as the records engine stores it:
 * "2026-11-23T10:52:01.500Z". */
#define SALES_TIME_LEN 24

/* Writes the current UTC time into out (SALES_TIME_LEN + 1 bytes). */
void sales_time_now(char *out);

/* Writes ms (milliseconds since 1970-01-01 UTC) into out
 * (SALES_TIME_LEN + 1 bytes) in the stored form; false outside years
 * 0001-9999. */
bool sales_time_format(long long ms, char *out);

/* Reads an RFC 3339 datetime ("2026-11-23T11:52:01.5+01:00", the input the
 * engine accepts) into milliseconds since 1970-01-01 UTC (fraction
 * truncated); false when s is not one. */
bool sales_time_parse(const char *s, long long *ms);

/* Reads a date "YYYY-MM-DD" into the milliseconds of its midnight UTC;
 * false when s is not a real day. */
bool sales_time_parse_date(const char *s, long long *ms);

/* True when s is a record id: a UUID in canonical form, either case. */
bool sales_is_uuid(const char *s);

/* A filter condition {"field", "op", "value"}, taking ownership of value;
 * NULL when out of memory (value is then released). */
rp_json_t *sales_filter_cond(const char *field, const char *op, rp_json_t *value);

/* {"field": field, "op": "eq", "value": text}; NULL when out of memory. */
rp_json_t *sales_filter_eq(const char *field, const char *text);

/* {"and": [...]} or {"or": [...]} (join) of the n conditions that follow,
 * taking ownership of each; NULL when out of memory or when one of them is
 * NULL (the others are then released). */
rp_json_t *sales_filter_join(const char *join, int n, ...);

/* The string member key of a record's "fields", or NULL when it is not a
 * string. */
const char *sales_field_str(const rp_json_t *record, const char *key);

/* Registers the timeline action (timeline.c). */
rp_mstatus_t sales_timeline_init(rp_mreg_t *reg);

/* Registers the hooks of meeting attendees (activity_attendee.c). */
rp_mstatus_t sales_activity_attendee_init(rp_mreg_t *reg);

#endif
