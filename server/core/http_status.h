#ifndef RP_CORE_HTTP_STATUS_H
#define RP_CORE_HTTP_STATUS_H

/* The reason phrase of an HTTP status ("Not Found"), "Unknown" otherwise.
 * Used as the RFC 9457 problem title. */
const char *rp_http_reason(int status);

#endif
