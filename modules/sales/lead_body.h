#ifndef SALES_LEAD_BODY_H
#define SALES_LEAD_BODY_H

/* Refusing unknown members of a request body. The host reads members by
 * name, so a misspelt member of the conversion request ("acount_id") would
 * otherwise be ignored without a word; json_object_each (ABI 1.1) lists
 * them. */

#include <stdbool.h>
#include <stddef.h>

#include "rapport/module.h"

/* Finds the first member of the object body, in the body's order, whose
 * name is not in allowed (NULL-ended), and copies its name into out (cut
 * to outlen bytes, never inside a UTF-8 character); true when there is
 * one. host is passed in, rather than read from sales_host, so that the
 * unit test can hand the server's own table. A body that is not an object,
 * or a host table without json_object_each, has no members. */
bool sales_lead_body_unknown_member(const rp_host_api_t *host, const rp_json_t *body,
                                    const char *const *allowed, char *out, size_t outlen);

#endif
