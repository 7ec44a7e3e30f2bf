#ifndef RP_CORE_PROBLEM_H
#define RP_CORE_PROBLEM_H

#include <jansson.h>

#include "core/buf.h"
#include "core/status.h"

/* The media type of every error body. */
#define RP_PROBLEM_CONTENT_TYPE "application/problem+json"

/* Writes an RFC 9457 problem document into out: type
 * "urn:rapport:problem:<code>", title (the reason phrase), status, code,
 * detail, and instance/request_id when given; errors (an object of
 * field -> message, may be NULL) is borrowed, not stolen. */
rp_status_t rp_problem_render(rp_buf_t *out, int status, const char *code, const char *detail,
                              const char *instance, const char *request_id, const json_t *errors);

#endif
