#ifndef RP_RECORDS_FIELD_INTERNAL_H
#define RP_RECORDS_FIELD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"
#include "records/field.h"

/* True for the types that take min and max. */
bool rp_field_type_has_bounds(rp_field_type_t type);

/* Parses a min or max bound of a field of type type into its canonical form
 * (for currency, a decimal amount with at most RP_CURRENCY_SCALE_MAX places).
 * RP_EINVAL with a message in why on a bad bound. */
rp_status_t rp_field_bound_parse(rp_field_type_t type, const json_t *in, json_t **out, char *why,
                                 size_t whylen);

#endif
