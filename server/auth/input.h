#ifndef RP_AUTH_INPUT_H
#define RP_AUTH_INPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"

/* Request-body checks shared by the auth, user and API-key handlers. The
 * convention: unknown members are a client bug (400 unknown_field, naming
 * them), wrong types and bad values are per-field validation errors (422
 * validation_failed with {"errors": {field: message}}). */

/* Answers 400 unknown_field and returns false when obj has a member whose
 * name is not in allowed (a NULL-terminated list). */
bool rp_input_known_fields(rp_ctx_t *ctx, json_t *obj, const char *const *allowed);

/* Reads member name as a string. Absent: *out = NULL and true (the caller
 * decides whether it was required). Present but not a string: records
 * "must be a string" in errors and returns false. */
bool rp_input_string(json_t *obj, const char *name, const char **out, json_t *errors);

/* Like rp_input_string, but absence is an error too ("is required"). */
bool rp_input_required_string(json_t *obj, const char *name, const char **out, json_t *errors);

/* Records message for field in errors unless the field already has one. */
void rp_input_error(json_t *errors, const char *field, const char *message);

/* Answers 422 validation_failed with errors (stolen) and returns true when
 * errors is not empty; otherwise frees errors and returns false. */
bool rp_input_fail(rp_ctx_t *ctx, json_t *errors);

/* True for a plausible e-mail address: 3 to 254 bytes, valid UTF-8, one
 * '@' with a non-empty local part (at most 64 bytes) and a domain holding
 * a dot that neither starts nor ends it, no spaces or control characters.
 * Deliverability is not this function's business. */
bool rp_input_email_valid(const char *email);

/* Parses the ?limit= query value: NULL gives def; otherwise a decimal in
 * [1, max]. Returns false for anything else. */
bool rp_input_limit(const char *text, int def, int max, int *out);

#endif
