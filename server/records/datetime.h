#ifndef RP_RECORDS_DATETIME_H
#define RP_RECORDS_DATETIME_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a canonical date ("2026-11-23") and datetime
 * ("2026-11-23T10:52:01.500Z"), each with its NUL. */
#define RP_DATE_BUF 11
#define RP_DATETIME_BUF 25

/* True when s[0..len) is "YYYY-MM-DD" naming a real day of the proleptic
 * Gregorian calendar, years 0001 to 9999; copies it to out. The canonical
 * form is the input itself, so dates compare as strings. */
bool rp_date_canon(const char *s, size_t len, char out[RP_DATE_BUF]);

/* True when s[0..len) is an RFC 3339 date-time with "Z" or a "+HH:MM" /
 * "-HH:MM" offset ("T" and "Z" in either case, optional fraction of any
 * length, no leap second); writes the same instant in UTC as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (fraction truncated to milliseconds), which
 * compares as a string. The UTC instant must fall in years 0001 to 9999. */
bool rp_datetime_canon(const char *s, size_t len, char out[RP_DATETIME_BUF]);

#endif
