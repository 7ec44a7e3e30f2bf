#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/input.h"
#include "core/uuid.h"
#include "records/crud_internal.h"
#include "records/idempotency.h"

/* One operation's failure as the bulk answer lists it. */
static json_t *item_error(size_t index, const rp_crud_fail_t *fail)
{
    json_t *e =
        json_pack("{s:I, s:i, s:s, s:s}", "index", (json_int_t)index, "status", fail->status,
                  "code", fail->code ? fail->code : "internal", "detail", fail->detail);
    if (e != NULL && fail->errors != NULL)
        json_object_set(e, "errors", fail->errors);
    return e;
}

/* Checks the shape of one operation; fills fail when it is not valid. */
static const char *op_shape(const json_t *op, rp_crud_fail_t *fail, const char **id)
{
    static const char *const known[] = {"op", "id", "fields", "owner_id", "if_match", NULL};
    *id = NULL;
    if (!json_is_object(op)) {
        rp_crud_refuse(fail, 422, "validation_failed", NULL, "an operation must be an object");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)op, key, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok = ok || strcmp(key, *k) == 0;
        if (!ok) {
            rp_crud_refuse(fail, 400, "unknown_field",
                           json_pack("{s:s}", key, "is not a known member"),
                           "unknown member in operation: %.64s", key);
            return NULL;
        }
    }
    const char *name = json_string_value(json_object_get(op, "op"));
    json_t *errors = json_object();
    if (name == NULL ||
        (strcmp(name, "create") != 0 && strcmp(name, "update") != 0 && strcmp(name, "delete") != 0))
        json_object_set_new(errors, "op", json_string("must be create, update or delete"));
    json_t *fields = json_object_get(op, "fields");
    if (fields != NULL && !json_is_object(fields))
        json_object_set_new(errors, "fields", json_string("must be an object"));
    json_t *jid = json_object_get(op, "id");
    json_t *im = json_object_get(op, "if_match");
    if (im != NULL && !json_is_string(im))
        json_object_set_new(errors, "if_match", json_string("must be a string"));
    if (name != NULL && strcmp(name, "create") != 0) {
        if (jid == NULL)
            json_object_set_new(errors, "id", json_string("is required"));
        else if (!json_is_string(jid))
            json_object_set_new(errors, "id", json_string("must be a string"));
        else
            *id = json_string_value(jid);
    } else if (jid != NULL) {
        json_object_set_new(errors, "id", json_string("is not allowed on create"));
    }
    if (json_object_size(errors) > 0) {
        rp_crud_refuse(fail, 422, "validation_failed", errors, "the operation is not valid");
        return NULL;
    }
    json_decref(errors);
    return name;
}

/* Runs one operation; *result receives its success entry. */
static rp_status_t run_op(rp_crud_t *c, const rp_object_t *o, const json_t *op, size_t index,
                          json_t **result, rp_crud_fail_t *fail)
{
    const char *id;
    const char *name = op_shape(op, fail, &id);
    if (name == NULL)
        return RP_EINVAL;
    char lid[RP_UUID_LEN + 1];
    if (id != NULL) {
        if (!rp_uuid_valid(id))
            return rp_crud_refuse(fail, 404, "not_found", NULL, "no such record");
        for (int i = 0; i <= RP_UUID_LEN; i++)
            lid[i] = (id[i] >= 'A' && id[i] <= 'F') ? (char)(id[i] - 'A' + 'a') : id[i];
        id = lid;
    }
    json_t *empty = json_object(), *rec = NULL;
    if (empty == NULL)
        return RP_ENOMEM;
    const json_t *fields = json_object_get(op, "fields");
    if (fields == NULL)
        fields = empty;
    const json_t *owner = json_object_get(op, "owner_id");
    const char *if_match = json_string_value(json_object_get(op, "if_match"));
    rp_status_t st;
    int status;
    if (strcmp(name, "create") == 0) {
        st = rp_crud_create(c, o, fields, owner, &rec, fail);
        status = 201;
    } else if (strcmp(name, "update") == 0) {
        st = rp_crud_update(c, o, id, fields, owner, if_match, &rec, fail);
        status = 200;
    } else {
        st = rp_crud_delete(c, o, id, if_match, fail);
        status = 204;
    }
    json_decref(empty);
    if (st != RP_OK)
        return st;
    *result = rec ? json_pack("{s:I, s:s, s:i, s:o}", "index", (json_int_t)index, "op", name,
                              "status", status, "record", rec)
                  : json_pack("{s:I, s:s, s:i, s:s}", "index", (json_int_t)index, "op", name,
                              "status", status, "id", id);
    return *result ? RP_OK : RP_ENOMEM;
}

void rp_crud_bulk(rp_ctx_t *ctx)
{
    static const char *const allowed[] = {"operations", NULL};
    rp_crud_t c;
    if (!rp_crud_init(ctx, &c))
        return;
    const rp_object_t *o = rp_crud_object(ctx, &c);
    if (o == NULL)
        return;
    rp_idem_t idem;
    if (!rp_idem_begin(ctx, &idem))
        return;
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *results = NULL, *errors = NULL;
    if (!rp_input_known_fields(ctx, body, allowed))
        goto done;
    json_t *ops = json_object_get(body, "operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0) {
        rp_resp_problem_fields(ctx, 422, "validation_failed", "operations must be a list",
                               json_pack("{s:s}", "operations", "must be a non-empty array"));
        goto done;
    }
    if (json_array_size(ops) > RP_CRUD_BULK_MAX) {
        char *detail =
            rp_pool_printf(&ctx->pool, "at most %d operations per request", RP_CRUD_BULK_MAX);
        rp_resp_problem(ctx, 413, "too_many_operations", detail ? detail : "too many operations");
        goto done;
    }
    results = json_array();
    errors = json_array();
    if (results == NULL || errors == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        goto done;
    }
    size_t i;
    json_t *op;
    /* Every operation runs even after one fails (the writes use no
     * statement that can abort the transaction on bad input), so the answer
     * lists every problem; the transaction then rolls back as a whole. */
    json_array_foreach(ops, i, op)
    {
        rp_crud_fail_t fail = {0};
        json_t *res = NULL;
        rp_status_t st = run_op(&c, o, op, i, &res, &fail);
        if (st == RP_EINVAL && fail.status != 0) {
            json_array_append_new(errors, item_error(i, &fail));
        } else if (st != RP_OK) {
            rp_crud_fail_clear(&fail);
            rp_resp_fail(ctx, st);
            goto done;
        } else {
            json_array_append_new(results, res);
        }
        rp_crud_fail_clear(&fail);
    }
    if (json_array_size(errors) > 0) {
        char *detail =
            rp_pool_printf(&ctx->pool, "%zu of %zu operations failed; nothing was written",
                           json_array_size(errors), json_array_size(ops));
        rp_resp_problem_fields(ctx, 422, "bulk_failed", detail ? detail : "nothing was written",
                               errors);
        errors = NULL;
        goto done;
    }
    rp_resp_json(ctx, 200, json_pack("{s:O}", "results", results));
    rp_idem_finish(ctx, &idem);
done:
    json_decref(results);
    json_decref(errors);
    json_decref(body);
}
