#include "auth/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

bool rp_input_known_fields(rp_ctx_t *ctx, json_t *obj, const char *const *allowed)
{
    json_t *unknown = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL; a++)
            if (strcmp(key, *a) == 0)
                ok = true;
        if (!ok) {
            if (unknown == NULL)
                unknown = json_object();
            if (unknown != NULL)
                json_object_set_new(unknown, key, json_string("is not a known field"));
        }
    }
    if (unknown == NULL)
        return true;
    rp_buf_t names = {0};
    json_object_foreach(unknown, key, v)
    {
        rp_buf_printf(&names, "%s%s", names.len ? ", " : "", key);
    }
    char *detail = rp_pool_printf(&ctx->pool, "unknown field(s): %s", names.data ? names.data : "");
    rp_buf_free(&names);
    rp_resp_problem_fields(ctx, 400, "unknown_field", detail ? detail : "unknown field", unknown);
    return false;
}

void rp_input_error(json_t *errors, const char *field, const char *message)
{
    if (errors != NULL && json_object_get(errors, field) == NULL)
        json_object_set_new(errors, field, json_string(message));
}

bool rp_input_string(json_t *obj, const char *name, const char **out, json_t *errors)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL)
        return true;
    if (!json_is_string(v)) {
        rp_input_error(errors, name, "must be a string");
        return false;
    }
    /* jansson accepts \u0000 inside strings; a C string would silently end
     * there, so such a value is refused rather than truncated. */
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        rp_input_error(errors, name, "must not contain NUL characters");
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool rp_input_required_string(json_t *obj, const char *name, const char **out, json_t *errors)
{
    if (!rp_input_string(obj, name, out, errors))
        return false;
    if (*out == NULL) {
        rp_input_error(errors, name, "is required");
        return false;
    }
    return true;
}

bool rp_input_fail(rp_ctx_t *ctx, json_t *errors)
{
    if (errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return true;
    }
    if (json_object_size(errors) == 0) {
        json_decref(errors);
        return false;
    }
    rp_resp_problem_fields(ctx, 422, "validation_failed", "some fields are not valid", errors);
    return true;
}

bool rp_input_email_valid(const char *email)
{
    if (email == NULL)
        return false;
    size_t len = strlen(email);
    if (len < 3 || len > 254 || rp_utf8_length(email) < 0)
        return false;
    const char *at = strchr(email, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return false;
    size_t local = (size_t)(at - email);
    const char *domain = at + 1;
    size_t dlen = strlen(domain);
    if (local == 0 || local > 64 || dlen < 3)
        return false;
    for (const unsigned char *p = (const unsigned char *)email; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return false;
    const char *dot = strchr(domain, '.');
    if (dot == NULL || domain[0] == '.' || domain[dlen - 1] == '.' || strstr(domain, "..") != NULL)
        return false;
    return true;
}

bool rp_input_limit(const char *text, int def, int max, int *out)
{
    if (text == NULL) {
        *out = def;
        return true;
    }
    if (*text == '\0' || strlen(text) > 9)
        return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    long v = strtol(text, NULL, 10);
    if (v < 1 || v > max)
        return false;
    *out = (int)v;
    return true;
}
