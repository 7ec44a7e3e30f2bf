#ifndef SALES_LEAD_BODY_H
#define SALES_LEAD_BODY_H

/* Checking the members of a JSON object's text: pure, unit-tested. The host
 * API reads members by name only, so a misspelt member of a request body
 * ("acount_id") would otherwise be ignored without a word. */

#include <stdbool.h>
#include <stddef.h>

/* Looks at the top-level members of the compact JSON object text json
 * (as json_dump writes it) and copies the first whose name is not in
 * allowed (NULL-ended) into out (truncated to outlen); true when there is
 * one. A text that is not an object has no members. */
bool sales_lead_body_unknown(const char *json, const char *const *allowed, char *out,
                             size_t outlen);

#endif
