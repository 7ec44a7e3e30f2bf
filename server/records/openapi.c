/* The OpenAPI 3.1.0 document: fixed parts (auth, problems, security) plus
 * the schemas and paths of every object in a metadata snapshot. */
#include <stdio.h>
#include <string.h>

#include "records/openapi.h"

#define IDENT_MAX (2 * RP_FIELD_NAME_MAX + 2)

/* Builders below return new references and NULL on allocation failure;
 * json_pack's "o" fails on a NULL argument and releases the others, so
 * failures travel up without checks at every level. */

static json_t *ref(const char *kind, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "#/components/%s/%s", kind, name);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *schema_ref(const char *object, const char *suffix)
{
    char name[RP_FIELD_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s%s", object, suffix);
    return ref("schemas", name);
}

static json_t *json_content(json_t *schema)
{
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

static json_t *ok(const char *description, json_t *schema)
{
    return json_pack("{s:s, s:o}", "description", description, "content", json_content(schema));
}

static json_t *body(json_t *schema)
{
    return json_pack("{s:b, s:o}", "required", 1, "content", json_content(schema));
}

/* An operation: its responses always end with the problem default. */
static json_t *operation(const char *op_id, const char *summary, const char *tag, json_t *responses)
{
    if (responses != NULL && json_object_set_new(responses, "default", ref("responses", "Problem")))
        goto fail;
    return json_pack("{s:s, s:s, s:[s], s:o}", "operationId", op_id, "summary", summary, "tags",
                     tag, "responses", responses);
fail:
    json_decref(responses);
    return NULL;
}

static json_t *op_id(const char *verb, const char *ident)
{
    char buf[IDENT_MAX + 16];
    snprintf(buf, sizeof buf, "%s%s", verb, ident);
    return json_string(buf);
}

static json_t *query_param(const char *name, const char *description, json_t *schema)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", name, "in", "query", "description",
                     description, "required", 0, "schema", schema);
}

static json_t *list_params(void)
{
    return json_pack("[o,o,o,o,o]",
                     query_param("limit", "Records per page (1 to 200, default 50)",
                                 json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1,
                                           "maximum", 200, "default", 50)),
                     query_param("cursor", "The next_cursor of the page before",
                                 json_pack("{s:s}", "type", "string")),
                     query_param("sort", "Comma-separated fields, '-' for descending",
                                 json_pack("{s:s}", "type", "string")),
                     query_param("fields", "Comma-separated fields to return",
                                 json_pack("{s:s}", "type", "string")),
                     json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:b}}", "name", "filter",
                               "in", "query", "description",
                               "filter[FIELD][OP]=VALUE conditions, ANDed", "style", "deepObject",
                               "explode", 1, "required", 0, "schema", "type", "object",
                               "additionalProperties", 1));
}

/* The path item of one record path: stores op under method and sets the
 * operationId. */
static int add_op(json_t *item, const char *method, const char *verb, const char *ident,
                  const char *summary, const char *tag, json_t *responses, json_t *request,
                  json_t *params)
{
    json_t *op = operation("", summary, tag, responses);
    if (op == NULL || json_object_set_new(op, "operationId", op_id(verb, ident)) != 0)
        goto fail;
    if (request != NULL && json_object_set_new(op, "requestBody", request) != 0) {
        request = NULL;
        goto fail;
    }
    request = NULL;
    if (params != NULL && json_object_set_new(op, "parameters", params) != 0) {
        params = NULL;
        goto fail;
    }
    params = NULL;
    return json_object_set_new(item, method, op);
fail:
    json_decref(op);
    json_decref(request);
    json_decref(params);
    return -1;
}

static json_t *id_params(void)
{
    return json_pack("[{s:s, s:s, s:b, s:{s:s, s:s}}]", "name", "id", "in", "path", "required", 1,
                     "schema", "type", "string", "format", "uuid");
}

/* Adds the paths of object o to paths. */
static int object_paths(json_t *paths, const rp_object_t *o)
{
    char ident[IDENT_MAX];
    char path[RP_FIELD_NAME_MAX + 64];
    const char *n = o->name;
    const char *tag = o->name;
    if (rp_openapi_identifier(n, ident, sizeof ident) != RP_OK)
        return -1;
    json_t *coll = json_object(), *one = json_object(), *hist = json_object(),
           *rest = json_object(), *query = json_object(), *bulk = json_object();
    int rc = -1;
    if (coll == NULL || one == NULL || hist == NULL || rest == NULL || query == NULL ||
        bulk == NULL)
        goto done;

    if (add_op(coll, "get", "list", ident, "List records", tag,
               json_pack("{s:o}", "200", ok("A page of records", schema_ref(n, "_list"))), NULL,
               list_params()) != 0 ||
        add_op(coll, "post", "create", ident, "Create a record", tag,
               json_pack("{s:o}", "201", ok("The new record", schema_ref(n, "_record"))),
               body(json_pack("{s:s, s:[s], s:{s:o, s:{s:s, s:s}}}", "type", "object", "required",
                              "fields", "properties", "fields", schema_ref(n, "_fields"),
                              "owner_id", "type", "string", "format", "uuid")),
               NULL) != 0)
        goto done;
    if (add_op(one, "get", "get", ident, "Get a record", tag,
               json_pack("{s:o}", "200", ok("The record", schema_ref(n, "_record"))), NULL,
               NULL) != 0 ||
        add_op(one, "patch", "update", ident, "Change a record", tag,
               json_pack("{s:o}", "200", ok("The record", schema_ref(n, "_record"))),
               body(json_pack("{s:s, s:{s:o, s:{s:s, s:s}}}", "type", "object", "properties",
                              "fields", schema_ref(n, "_changes"), "owner_id", "type", "string",
                              "format", "uuid")),
               NULL) != 0 ||
        add_op(one, "delete", "delete", ident, "Delete a record (soft)", tag,
               json_pack("{s:{s:s}}", "204", "description", "Deleted"), NULL, NULL) != 0 ||
        json_object_set_new(one, "parameters", id_params()) != 0)
        goto done;
    if (add_op(
            hist, "get", "history", ident, "A record's history, newest first", tag,
            json_pack("{s:o}", "200", ok("A page of history entries", ref("schemas", "History"))),
            NULL,
            json_pack("[o,o]",
                      query_param("limit", "Entries per page (1 to 200, default 50)",
                                  json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 1,
                                            "maximum", 200)),
                      query_param("cursor", "The next_cursor of the page before",
                                  json_pack("{s:s}", "type", "string")))) != 0 ||
        json_object_set_new(hist, "parameters", id_params()) != 0)
        goto done;
    if (add_op(rest, "post", "restore", ident, "Restore a deleted record", tag,
               json_pack("{s:o}", "200", ok("The record", schema_ref(n, "_record"))), NULL,
               NULL) != 0 ||
        json_object_set_new(rest, "parameters", id_params()) != 0)
        goto done;
    if (add_op(query, "post", "query", ident, "Query records", tag,
               json_pack("{s:o}", "200", ok("A page of records", schema_ref(n, "_list"))),
               body(ref("schemas", "Query")), NULL) != 0)
        goto done;
    if (add_op(
            bulk, "post", "bulk", ident, "Several writes in one transaction", tag,
            json_pack("{s:o}", "200", ok("Every operation's result", ref("schemas", "BulkResult"))),
            body(json_pack("{s:s, s:[s], s:{s:{s:s, s:i, s:i, s:{s:s, s:[s], s:{s:{s:s, "
                           "s:[s,s,s]}, s:o, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s}}}}}}",
                           "type", "object", "required", "operations", "properties", "operations",
                           "type", "array", "minItems", 1, "maxItems", 1000, "items", "type",
                           "object", "required", "op", "properties", "op", "type", "string", "enum",
                           "create", "update", "delete", "fields", schema_ref(n, "_changes"), "id",
                           "type", "string", "format", "uuid", "if_match", "type", "string",
                           "owner_id", "type", "string", "format", "uuid")),
            NULL) != 0)
        goto done;

    snprintf(path, sizeof path, "/api/v1/records/%s", n);
    rc = json_object_set(paths, path, coll);
    snprintf(path, sizeof path, "/api/v1/records/%s/{id}", n);
    rc |= json_object_set(paths, path, one);
    snprintf(path, sizeof path, "/api/v1/records/%s/{id}/history", n);
    rc |= json_object_set(paths, path, hist);
    snprintf(path, sizeof path, "/api/v1/records/%s/{id}/restore", n);
    rc |= json_object_set(paths, path, rest);
    snprintf(path, sizeof path, "/api/v1/records/%s/bulk", n);
    rc |= json_object_set(paths, path, bulk);
    snprintf(path, sizeof path, "/api/v1/query/%s", n);
    rc |= json_object_set(paths, path, query);
done:
    json_decref(coll);
    json_decref(one);
    json_decref(hist);
    json_decref(rest);
    json_decref(query);
    json_decref(bulk);
    return rc == 0 ? 0 : -1;
}

/* Adds O_fields, O_changes, O_record and O_list for object o. */
static int object_schemas(json_t *schemas, const rp_object_t *o)
{
    char name[RP_FIELD_NAME_MAX + 16];
    json_t *props = json_object(), *required = json_array();
    json_t *fields = NULL, *changes = NULL, *record = NULL, *list = NULL;
    int rc = -1;
    if (props == NULL || required == NULL)
        goto done;
    for (int i = 0; i < o->nfields; i++) {
        const rp_field_t *f = &o->fields[i];
        if (json_object_set_new(props, f->name, rp_openapi_field_schema(f)) != 0)
            goto done;
        if (f->required && json_array_append_new(required, json_string(f->name)) != 0)
            goto done;
    }
    fields =
        json_pack("{s:s, s:s, s:O, s:b}", "type", "object", "title", o->label ? o->label : o->name,
                  "properties", props, "additionalProperties", 0);
    changes = json_pack("{s:s, s:O, s:b}", "type", "object", "properties", props,
                        "additionalProperties", 0);
    if (fields == NULL || changes == NULL)
        goto done;
    if (json_array_size(required) > 0 && json_object_set(fields, "required", required) != 0)
        goto done;
    record = json_pack(
        "{s:s, s:[s,s,s,s,s,s], s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s, "
        "s:s}, s:{s:[s,s], s:s}, s:o}}",
        "type", "object", "required", "id", "object", "version", "created_at", "updated_at",
        "fields", "properties", "id", "type", "string", "format", "uuid", "object", "type",
        "string", "const", o->name, "version", "type", "integer", "created_at", "type", "string",
        "format", "date-time", "updated_at", "type", "string", "format", "date-time", "owner_id",
        "type", "string", "null", "format", "uuid", "fields", schema_ref(o->name, "_fields"));
    list = json_pack("{s:s, s:[s,s], s:{s:{s:s, s:o}, s:{s:[s,s]}}}", "type", "object", "required",
                     "data", "next_cursor", "properties", "data", "type", "array", "items",
                     schema_ref(o->name, "_record"), "next_cursor", "type", "string", "null");
    if (record == NULL || list == NULL)
        goto done;
    snprintf(name, sizeof name, "%s_fields", o->name);
    rc = json_object_set(schemas, name, fields);
    snprintf(name, sizeof name, "%s_changes", o->name);
    rc |= json_object_set(schemas, name, changes);
    snprintf(name, sizeof name, "%s_record", o->name);
    rc |= json_object_set(schemas, name, record);
    snprintf(name, sizeof name, "%s_list", o->name);
    rc |= json_object_set(schemas, name, list);
done:
    json_decref(props);
    json_decref(required);
    json_decref(fields);
    json_decref(changes);
    json_decref(record);
    json_decref(list);
    return rc == 0 ? 0 : -1;
}

static json_t *problem_schema(void)
{
    return json_pack("{s:s, s:s, s:[s,s,s], s:{s:{s:s, s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
                     "s:{s:s}, s:{s:s}, s:{s:[s,s]}}}",
                     "type", "object", "description", "An RFC 9457 problem", "required", "title",
                     "status", "code", "properties", "type", "type", "string", "format",
                     "uri-reference", "title", "type", "string", "status", "type", "integer",
                     "code", "type", "string", "detail", "type", "string", "instance", "type",
                     "string", "request_id", "type", "string", "errors", "type", "object", "array");
}

static json_t *fixed_schemas(void)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "Problem", problem_schema(), "Tokens",
        json_pack("{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "type", "object",
                  "required", "access_token", "token_type", "expires_in", "refresh_token",
                  "properties", "access_token", "type", "string", "token_type", "type", "string",
                  "expires_in", "type", "integer", "refresh_token", "type", "string"),
        "Login",
        json_pack("{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s, s:s}}, s:b}", "type", "object",
                  "required", "tenant", "email", "password", "properties", "tenant", "type",
                  "string", "email", "type", "string", "password", "type", "string", "format",
                  "password", "additionalProperties", 0),
        "RefreshToken",
        json_pack("{s:s, s:[s], s:{s:{s:s}}}", "type", "object", "required", "refresh_token",
                  "properties", "refresh_token", "type", "string"),
        "Me",
        json_pack("{s:s, s:{s:{s:s, s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:[s,s,s,s]}, s:{s:s, "
                  "s:{s:{s:s, s:s}, s:{s:s}, s:{s:s}}}}}",
                  "type", "object", "properties", "user_id", "type", "string", "format", "uuid",
                  "email", "type", "string", "name", "type", "string", "role", "type", "string",
                  "enum", "admin", "manager", "user", "readonly", "tenant", "type", "object",
                  "properties", "id", "type", "string", "format", "uuid", "slug", "type", "string",
                  "name", "type", "string"),
        "Query",
        json_pack("{s:s, s:{s:{s:s}, s:{s:[s,s]}, s:{s:s, s:{s:s}}, s:{s:s, s:i, s:i}, "
                  "s:{s:s}}, s:b}",
                  "type", "object", "properties", "filter", "type", "object", "sort", "type",
                  "string", "array", "fields", "type", "array", "items", "type", "string", "limit",
                  "type", "integer", "minimum", 1, "maximum", 200, "cursor", "type", "string",
                  "additionalProperties", 0),
        "BulkResult",
        json_pack("{s:s, s:{s:{s:s, s:{s:s}}}}", "type", "object", "properties", "results", "type",
                  "array", "items", "type", "object"));
}

static int history_schema(json_t *schemas)
{
    return json_object_set_new(
        schemas, "History",
        json_pack("{s:s, s:[s,s], s:{s:{s:s, s:{s:s, s:{s:{s:s, s:s}, s:{s:s, s:[s,s,s,s]}, "
                  "s:{s:[s,s], s:s}, s:{s:s, s:s}, s:{s:s}}}}, s:{s:[s,s]}}}",
                  "type", "object", "required", "data", "next_cursor", "properties", "data", "type",
                  "array", "items", "type", "object", "properties", "id", "type", "string",
                  "format", "uuid", "action", "type", "string", "enum", "create", "update",
                  "delete", "restore", "actor_id", "type", "string", "null", "format", "uuid", "at",
                  "type", "string", "format", "date-time", "changes", "type", "object",
                  "next_cursor", "type", "string", "null"));
}

static json_t *auth_paths(void)
{
    json_t *login =
        operation("authLogin", "Log in with a password", "auth",
                  json_pack("{s:o}", "200", ok("A token pair", ref("schemas", "Tokens"))));
    json_t *refresh =
        operation("authRefresh", "Trade a refresh token for a new pair", "auth",
                  json_pack("{s:o}", "200", ok("A token pair", ref("schemas", "Tokens"))));
    json_t *logout = operation("authLogout", "Revoke a refresh token", "auth",
                               json_pack("{s:{s:s}}", "204", "description", "Logged out"));
    json_t *me = operation("authMe", "Who the caller is", "auth",
                           json_pack("{s:o}", "200", ok("The caller", ref("schemas", "Me"))));
    json_t *spec = operation("getOpenapi", "This document", "meta",
                             json_pack("{s:{s:s, s:{s:{}}}}", "200", "description",
                                       "An OpenAPI 3.1.0 document", "content", "application/json"));
    /* Credentials travel in the body for these three. */
    if (login != NULL)
        json_object_set_new(login, "security", json_array());
    if (refresh != NULL)
        json_object_set_new(refresh, "security", json_array());
    if (logout != NULL)
        json_object_set_new(logout, "security", json_array());
    if (login != NULL && json_object_set_new(login, "requestBody", body(ref("schemas", "Login"))))
        goto fail;
    if (refresh != NULL &&
        json_object_set_new(refresh, "requestBody", body(ref("schemas", "RefreshToken"))))
        goto fail;
    if (logout != NULL &&
        json_object_set_new(logout, "requestBody", body(ref("schemas", "RefreshToken"))))
        goto fail;
    return json_pack("{s:{s:o}, s:{s:o}, s:{s:o}, s:{s:o}, s:{s:o}}", "/api/v1/auth/login", "post",
                     login, "/api/v1/auth/refresh", "post", refresh, "/api/v1/auth/logout", "post",
                     logout, "/api/v1/me", "get", me, "/api/v1/openapi.json", "get", spec);
fail:
    json_decref(login);
    json_decref(refresh);
    json_decref(logout);
    json_decref(me);
    json_decref(spec);
    return NULL;
}

json_t *rp_openapi_build(const rp_object_t *const *objects, int nobjects, const char *version)
{
    json_t *paths = auth_paths();
    json_t *schemas = fixed_schemas();
    json_t *doc = NULL;
    if (paths == NULL || schemas == NULL || history_schema(schemas) != 0)
        goto fail;
    for (int i = 0; i < nobjects; i++)
        if (object_schemas(schemas, objects[i]) != 0 || object_paths(paths, objects[i]) != 0)
            goto fail;
    doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:[{s:[]}], s:O, s:{s:O, s:{s:{s:s, s:s, s:s}}, "
        "s:{s:{s:s, s:{s:{s:o}}}}}}",
        "openapi", "3.1.0", "info", "title", "Rapport API", "version", version, "description",
        "The records, query and authentication API of one tenant.", "servers", "url", "/",
        "security", "bearer", "paths", paths, "components", "schemas", schemas, "securitySchemes",
        "bearer", "type", "http", "scheme", "bearer", "bearerFormat", "JWT", "responses", "Problem",
        "description", "An RFC 9457 problem", "content", "application/problem+json", "schema",
        ref("schemas", "Problem"));
fail:
    json_decref(paths);
    json_decref(schemas);
    return doc;
}
