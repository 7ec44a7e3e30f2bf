#ifndef SALES_TIMELINE_CURSOR_H
#define SALES_TIMELINE_CURSOR_H

/* The timeline's order and its opaque page cursor: pure functions, so they
 * are unit-tested without a server. */

#include <stdbool.h>
#include <stddef.h>

/* Room for a cursor's text, its terminator included. */
#define SALES_CURSOR_MAX 128

/* Room for an activity_at value or an id, terminator included. */
#define SALES_CURSOR_PART_MAX 40

/* Compares two timeline items by (activity_at, id): negative when a comes
 * before b on the timeline (newest first: a later activity_at first, then
 * the greater id; an item without activity_at after every dated one).
 * at_a and at_b are stored datetimes or NULL. */
int sales_timeline_order(const char *at_a, const char *id_a, const char *at_b, const char *id_b);

/* Encodes the position after the item (at, id) (at NULL when the item has
 * no activity_at) into out; false when at or id is malformed or out is too
 * small. */
bool sales_timeline_cursor_encode(const char *at, const char *id, char *out, size_t outlen);

/* Decodes a cursor: at receives the activity_at ("" for none) and id the
 * id, each in SALES_CURSOR_PART_MAX bytes; false when cursor is not one
 * that sales_timeline_cursor_encode made. */
bool sales_timeline_cursor_decode(const char *cursor, char *at, char *id);

#endif
