#include "core/problem.h"

#include <stdlib.h>
#include <string.h>

#include "core/http_status.h"

rp_status_t rp_problem_render(rp_buf_t *out, int status, const char *code, const char *detail,
                              const char *instance, const char *request_id, const json_t *errors)
{
    char type[160];
    snprintf(type, sizeof type, "urn:rapport:problem:%s", code);
    json_t *o = json_object();
    if (o == NULL)
        return RP_ENOMEM;
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(rp_http_reason(status)));
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "code", json_string(code));
    /* json_string rejects invalid UTF-8; a detail that quotes client input
     * must still produce a document, so fall back to a lossy copy. */
    json_t *d = json_string(detail ? detail : "");
    if (d == NULL)
        d = json_string("(detail not valid UTF-8)");
    json_object_set_new(o, "detail", d);
    if (instance && *instance) {
        json_t *i = json_string(instance);
        if (i)
            json_object_set_new(o, "instance", i);
    }
    if (request_id && *request_id)
        json_object_set_new(o, "request_id", json_string(request_id));
    if (errors)
        json_object_set(o, "errors", (json_t *)errors);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL)
        return RP_ENOMEM;
    rp_buf_reset(out);
    rp_status_t st = rp_buf_puts(out, s);
    free(s);
    return st;
}
