#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uuid.h"
#include "records/crud_internal.h"

/* Reads the body's owner_id: absent leaves *given false; null clears the
 * owner; a string must be the id of a user of the tenant, which the
 * write's statement checks (*check names it then). */
static rp_status_t resolve_owner(rp_crud_t *c, const json_t *owner, const char **out, bool *given,
                                 const char **check, json_t *errors)
{
    *given = owner != NULL;
    *out = *check = NULL;
    if (owner == NULL || json_is_null(owner))
        return RP_OK;
    const char *s = json_string_value(owner);
    if (s == NULL || !rp_uuid_valid(s)) {
        json_object_set_new(errors, "owner_id", json_string("must be the id of a user"));
        return RP_OK;
    }
    /* The form the database gives the id back in, which changes compare. */
    char *id = rp_pool_strdup(&c->ctx->pool, s);
    if (id == NULL)
        return RP_ENOMEM;
    for (char *p = id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *out = *check = id;
    return RP_OK;
}

static rp_status_t refuse_unknown(rp_crud_fail_t *fail, const rp_object_t *o, json_t *unknown)
{
    json_t *errors = json_object();
    char names[200] = "";
    size_t i, len = 0;
    json_t *v;
    json_array_foreach(unknown, i, v)
    {
        const char *n = json_string_value(v);
        json_object_set_new(errors, n, json_string("is not a field of this object"));
        int w = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", n);
        if (w > 0 && (size_t)w < sizeof names - len)
            len += (size_t)w;
    }
    return rp_crud_refuse(fail, 400, "unknown_field", errors, "unknown field(s) on %s: %s", o->name,
                          names);
}

static rp_status_t refuse_invalid(rp_crud_fail_t *fail, json_t *errors)
{
    return rp_crud_refuse(fail, 422, "validation_failed", errors, "some fields are not valid");
}

/* The written row as the caller may see it, in *rec. */
static rp_status_t render(const rp_object_t *o, const rp_access_t *a, const rp_dbres_t *res,
                          json_t **rec)
{
    *rec = rp_record_json(o, res, 0);
    rp_record_hide(*rec, o, a);
    return *rec ? RP_OK : RP_ENOMEM;
}

/* Refuses the write when its checks left errors, handing *errors over to
 * fail; RP_OK otherwise. */
static rp_status_t refuse_if_errors(rp_crud_fail_t *fail, json_t **errors)
{
    if (json_object_size(*errors) == 0)
        return RP_OK;
    rp_status_t st = refuse_invalid(fail, *errors);
    *errors = NULL;
    return st;
}

static rp_status_t not_found(rp_crud_fail_t *fail)
{
    return rp_crud_refuse(fail, 404, "not_found", NULL, "no such record");
}

/* Whether o has autonumber fields, which a create numbers. */
static bool has_autonumbers(const rp_object_t *o)
{
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].type == RP_FIELD_AUTONUMBER)
            return true;
    return false;
}

/* Writes the numbers taken for o's autonumber fields into data, each
 * formatted as its field says. */
static rp_status_t put_numbers(const rp_object_t *o, const json_t *numbers, json_t *data)
{
    for (int i = 0; i < o->nfields; i++) {
        const rp_field_t *f = &o->fields[i];
        if (f->type != RP_FIELD_AUTONUMBER)
            continue;
        const json_t *n = json_object_get(numbers, f->name);
        char text[96];
        if (!json_is_integer(n) ||
            rp_autonumber_format(f->format, json_integer_value(n), text, sizeof text) != RP_OK)
            return RP_ERR;
        if (json_object_set_new(data, f->name, json_string(text)) != 0)
            return RP_ENOMEM;
    }
    return RP_OK;
}

/* Drops the nulls: a cleared field has no member in data. */
static void drop_nulls(json_t *data)
{
    const char *name;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(data, tmp, name, v)
    {
        if (json_is_null(v))
            json_object_del(data, name);
    }
}

/* Adds to s the side rows of every field named in changes. */
static rp_status_t side_changed(rp_crud_side_t *s, const rp_object_t *o, const json_t *data,
                                const json_t *changes)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)changes, name, v)
    {
        const rp_field_t *f = rp_meta_field(o, name);
        if (f == NULL)
            continue;
        rp_status_t st = rp_crud_side_field(s, f, json_object_get(data, name));
        if (st != RP_OK)
            return st;
    }
    return RP_OK;
}

/* Refuses, as validation would, the read-only members of the caller's own
 * fields: checked before the hooks run, so that a hook that drops or
 * rewrites one does not let it through. */
static rp_status_t refuse_read_only(const rp_object_t *o, const json_t *fields, json_t *errors)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)fields, name, v)
    {
        const rp_field_t *f = rp_meta_field(o, name);
        if (f != NULL && (f->read_only || f->type == RP_FIELD_AUTONUMBER) &&
            json_object_get(errors, name) == NULL &&
            json_object_set_new(errors, name, json_string("is read-only")) != 0)
            return RP_ENOMEM;
    }
    return RP_OK;
}

/* The input of a create or an update as it will be written: the caller's
 * fields (each one it may edit), copied into *input (the caller frees it)
 * so that module hooks and Lua triggers may change them, then validated
 * into *out like the caller's own values. Hooks and triggers may fill
 * read-only fields (derived values); the caller may not, unless the write
 * is a module's derived one. Field errors collect in errors; unknown fields
 * and refusals answer through fail. */
static rp_status_t checked_input(rp_crud_t *c, const rp_object_t *o, const rp_access_t *a,
                                 rp_crud_event_t ev, const char *id, const json_t *fields,
                                 const json_t *old_rec, json_t **input, json_t **out,
                                 json_t *unknown, json_t *errors, rp_crud_fail_t *fail)
{
    rp_status_t st = c->derived ? RP_OK : rp_crud_check_editable(o, a, fields, fail);
    if (st != RP_OK)
        return st;
    if (!c->derived && fields != NULL && (st = refuse_read_only(o, fields, errors)) != RP_OK)
        return st;
    if ((*input = fields ? json_deep_copy(fields) : json_object()) == NULL)
        return RP_ENOMEM;
    if ((st = rp_crud_hooks_run(c, ev, o, id, *input, NULL, old_rec, fail)) != RP_OK)
        return st;
    if (rp_record_validate_ex(o, *input, ev == RP_CRUD_BEFORE_CREATE, c->derived ? NULL : fields,
                              out, unknown, errors) == RP_ENOMEM)
        return RP_ENOMEM;
    return json_array_size(unknown) > 0 ? refuse_unknown(fail, o, unknown) : RP_OK;
}

/* A create is one statement (two for an object with autonumbers): the
 * checks that need the database, the row, its unique claims, index rows
 * and history row go together (rp_crud_side_write). Field errors found in
 * memory still get the owner and reference checks, in one statement of
 * their own, so that every problem is reported at once. */
rp_status_t rp_crud_create(rp_crud_t *c, const rp_object_t *o, const json_t *fields,
                           const json_t *owner, json_t **rec, rp_crud_fail_t *fail)
{
    json_t *unknown = json_array(), *errors = json_object(), *data = NULL, *changes = NULL;
    json_t *empty = json_object(), *input = NULL, *numbers = NULL;
    rp_crud_side_t side = {0};
    rp_dbres_t *res = NULL;
    *rec = NULL;
    rp_status_t st = RP_ENOMEM;
    if (unknown == NULL || errors == NULL || empty == NULL)
        goto done;
    rp_access_t a;
    rp_crud_access(c, o, &a);
    if (!a.create && !c->derived) {
        st = rp_crud_refuse(fail, 403, "forbidden", NULL, "you may not create %s records", o->name);
        goto done;
    }
    /* Defaults and autonumbers the server fills are not the caller's
     * writes: only the members it gives are checked. */
    if ((st = checked_input(c, o, &a, RP_CRUD_BEFORE_CREATE, NULL, fields, NULL, &input, &data,
                            unknown, errors, fail)) != RP_OK)
        goto done;
    const char *owner_id;
    bool given;
    if ((st = resolve_owner(c, owner, &owner_id, &given, &side.owner_check, errors)) != RP_OK)
        goto done;
    if (!given)
        owner_id = c->actor_id;
    if (data != NULL && (st = rp_crud_side_refs(&side, o, data, NULL)) != RP_OK)
        goto done;
    if (json_object_size(errors) > 0) {
        if ((st = rp_crud_side_check(c, &side, o, errors, NULL)) == RP_OK)
            st = refuse_if_errors(fail, &errors);
        goto done;
    }
    drop_nulls(data);
    if (has_autonumbers(o)) {
        /* The numbers are taken only once the checks pass, and go into
         * the data before it is written. */
        for (int i = 0; i < o->nfields; i++)
            if (o->fields[i].type == RP_FIELD_AUTONUMBER &&
                (st = rp_crud_side_number(&side, &o->fields[i])) != RP_OK)
                goto done;
        if ((st = rp_crud_side_check(c, &side, o, errors, &numbers)) != RP_OK ||
            (st = refuse_if_errors(fail, &errors)) != RP_OK ||
            (st = put_numbers(o, numbers, data)) != RP_OK)
            goto done;
    }
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    st = RP_ENOMEM;
    if ((changes = rp_record_diff(empty, data)) == NULL)
        goto done;
    if ((st = side_changed(&side, o, data, changes)) != RP_OK)
        goto done;
    if ((st = rp_crud_side_write(c, &side, o, RP_CRUD_WRITE_CREATE, id, data, owner_id, changes,
                                 errors, &res)) != RP_OK ||
        (st = refuse_if_errors(fail, &errors)) != RP_OK)
        goto done;
    if (res == NULL) {
        st = RP_ERR;
        goto done;
    }
    st = render(o, &a, res, rec);
    if (st == RP_OK &&
        (st = rp_crud_hooks_run(c, RP_CRUD_AFTER_CREATE, o, id, NULL, *rec, NULL, fail)) != RP_OK) {
        json_decref(*rec);
        *rec = NULL;
    }
done:
    rp_crud_side_clear(&side);
    json_decref(input);
    rp_dbres_free(res);
    json_decref(unknown);
    json_decref(errors);
    json_decref(data);
    json_decref(changes);
    json_decref(empty);
    json_decref(numbers);
    return st;
}

/* Writes new data (and owner) over the loaded row of record id, bumps the
 * version, keeps the side tables and appends the history row, in one
 * statement that also makes the checks s holds. *res receives the updated
 * row, NULL when a check failed (reported in errors). */
static rp_status_t write_update(rp_crud_t *c, rp_crud_side_t *s, const rp_object_t *o,
                                const char *id, const json_t *data, const char *owner_id,
                                const json_t *changes, json_t *errors, rp_dbres_t **res)
{
    rp_status_t st = side_changed(s, o, data, changes);
    if (st != RP_OK)
        return st;
    return rp_crud_side_write(c, s, o, RP_CRUD_WRITE_UPDATE, id, data, owner_id, changes, errors,
                              res);
}

/* Loads record id locked; refuses a missing one, a deleted one (unless
 * deleted is wanted), one the caller may not read (as missing) or may not
 * act on as want says (a NULL: no check), and a stale If-Match. */
static rp_status_t load_for_write(rp_crud_t *c, const rp_object_t *o, const char *id,
                                  const char *if_match, bool deleted, const rp_access_t *a,
                                  rp_scope_t want, const char *verb, rp_dbres_t **res,
                                  rp_crud_fail_t *fail)
{
    rp_status_t st = rp_record_load(c->ctx->db, c->tenant_id, o, id, true, res);
    if (st == RP_ENOTFOUND)
        return not_found(fail);
    if (st != RP_OK)
        return st;
    bool is_deleted = !rp_dbres_null(*res, 0, RP_RECORD_NCOLS);
    if (is_deleted && !deleted)
        return not_found(fail);
    if (a != NULL) {
        const char *owner = rp_dbres_null(*res, 0, RP_RECORD_COL_OWNER_ID)
                                ? NULL
                                : rp_dbres_get(*res, 0, RP_RECORD_COL_OWNER_ID);
        if ((st = rp_crud_check_record(c, o, a, want, owner, verb, fail)) != RP_OK)
            return st;
    }
    if (!is_deleted && deleted)
        return rp_crud_refuse(fail, 409, "not_deleted", NULL, "the record is not deleted");
    long long version = atoll(rp_dbres_get(*res, 0, RP_RECORD_COL_VERSION));
    if (!rp_record_etag_matches(if_match, version))
        return rp_crud_refuse(fail, 412, "precondition_failed", NULL,
                              "the record has changed: its version is now %lld", version);
    return RP_OK;
}

/* An update is two statements: the locked read of the record (its hooks,
 * rights and If-Match need it) and one that checks, writes the row and
 * keeps its side tables and history (rp_crud_side_write). */
rp_status_t rp_crud_update(rp_crud_t *c, const rp_object_t *o, const char *id, const json_t *fields,
                           const json_t *owner, const char *if_match, json_t **rec,
                           rp_crud_fail_t *fail)
{
    json_t *unknown = json_array(), *errors = json_object(), *vals = NULL, *before = NULL;
    json_t *after = NULL, *changes = NULL, *old_rec = NULL, *input = NULL;
    rp_crud_side_t side = {0};
    rp_dbres_t *old = NULL, *res = NULL;
    *rec = NULL;
    rp_status_t st = RP_ENOMEM;
    if (unknown == NULL || errors == NULL)
        goto done;
    rp_access_t a;
    rp_crud_access(c, o, &a);
    /* A derived write follows from one the caller was allowed to make: the
     * record need only be a live one of the tenant. */
    if ((st = load_for_write(c, o, id, if_match, false, c->derived ? NULL : &a, a.update, "change",
                             &old, fail)) != RP_OK)
        goto done;
    st = RP_ENOMEM;
    if ((old_rec = rp_record_json(o, old, 0)) == NULL)
        goto done;
    if ((st = checked_input(c, o, &a, RP_CRUD_BEFORE_UPDATE, id, fields, old_rec, &input, &vals,
                            unknown, errors, fail)) != RP_OK)
        goto done;
    const char *owner_id;
    bool given;
    if ((st = resolve_owner(c, owner, &owner_id, &given, &side.owner_check, errors)) != RP_OK)
        goto done;
    const char *old_owner = rp_dbres_null(old, 0, RP_RECORD_COL_OWNER_ID)
                                ? NULL
                                : rp_dbres_get(old, 0, RP_RECORD_COL_OWNER_ID);
    if (!given)
        owner_id = old_owner;
    st = RP_ENOMEM;
    before = json_loads(rp_dbres_get(old, 0, RP_RECORD_COL_DATA), 0, NULL);
    if (!json_is_object(before) || (after = json_deep_copy(before)) == NULL)
        goto done;
    if (vals != NULL && json_object_update(after, vals) != 0)
        goto done;
    drop_nulls(after);
    if ((changes = rp_record_diff(before, after)) == NULL)
        goto done;
    /* Only references that change are checked: a target deleted since does
     * not block edits of other fields. */
    if (vals != NULL && (st = rp_crud_side_refs(&side, o, vals, changes)) != RP_OK)
        goto done;
    if (json_object_size(errors) > 0) {
        if ((st = rp_crud_side_check(c, &side, o, errors, NULL)) == RP_OK)
            st = refuse_if_errors(fail, &errors);
        goto done;
    }
    bool owner_changed = (owner_id == NULL) != (old_owner == NULL) ||
                         (owner_id != NULL && strcmp(owner_id, old_owner) != 0);
    if (owner_changed &&
        json_object_set_new(changes, "owner_id",
                            json_pack("{s:o, s:o}", "old",
                                      old_owner ? json_string(old_owner) : json_null(), "new",
                                      owner_id ? json_string(owner_id) : json_null())) != 0) {
        st = RP_ENOMEM;
        goto done;
    }
    if (json_object_size(changes) == 0) {
        /* Nothing changes: no new version, no history row; the owner the
         * body named must still be a user. */
        if ((st = rp_crud_side_check(c, &side, o, errors, NULL)) != RP_OK ||
            (st = refuse_if_errors(fail, &errors)) != RP_OK)
            goto done;
        st = render(o, &a, old, rec);
        goto done;
    }
    if ((st = write_update(c, &side, o, id, after, owner_id, changes, errors, &res)) != RP_OK ||
        (st = refuse_if_errors(fail, &errors)) != RP_OK)
        goto done;
    if (res == NULL) {
        st = RP_ERR;
        goto done;
    }
    st = render(o, &a, res, rec);
    if (st == RP_OK && (st = rp_crud_hooks_run(c, RP_CRUD_AFTER_UPDATE, o, id, NULL, *rec, old_rec,
                                               fail)) != RP_OK) {
        json_decref(*rec);
        *rec = NULL;
    }
done:
    rp_crud_side_clear(&side);
    json_decref(old_rec);
    json_decref(input);
    rp_dbres_free(old);
    rp_dbres_free(res);
    json_decref(unknown);
    json_decref(errors);
    json_decref(vals);
    json_decref(before);
    json_decref(after);
    json_decref(changes);
    return st;
}

/* Clears reference field f of record id (of object o), which pointed at a
 * record being deleted. */
static rp_status_t clear_reference(rp_crud_t *c, const rp_object_t *o, const rp_field_t *f,
                                   const char *id, rp_crud_fail_t *fail)
{
    rp_dbres_t *old = NULL, *res = NULL;
    json_t *before = NULL, *after = NULL, *changes = NULL, *errors = json_object();
    rp_status_t st = rp_record_load(c->ctx->db, c->tenant_id, o, id, true, &old);
    if (st != RP_OK)
        goto done;
    st = RP_ENOMEM;
    before = json_loads(rp_dbres_get(old, 0, RP_RECORD_COL_DATA), 0, NULL);
    if (errors == NULL || !json_is_object(before) || (after = json_deep_copy(before)) == NULL)
        goto done;
    json_object_del(after, f->name);
    if ((changes = rp_record_diff(before, after)) == NULL)
        goto done;
    const char *owner = rp_dbres_null(old, 0, RP_RECORD_COL_OWNER_ID)
                            ? NULL
                            : rp_dbres_get(old, 0, RP_RECORD_COL_OWNER_ID);
    rp_crud_side_t side = {0};
    st = write_update(c, &side, o, id, after, owner, changes, errors, &res);
    rp_crud_side_clear(&side);
    if (st == RP_OK && json_object_size(errors) > 0) {
        st = refuse_invalid(fail, errors);
        errors = NULL;
    }
done:
    rp_dbres_free(old);
    rp_dbres_free(res);
    json_decref(before);
    json_decref(after);
    json_decref(changes);
    json_decref(errors);
    return st;
}

static rp_status_t delete_at(rp_crud_t *c, const rp_object_t *o, const char *id,
                             const char *if_match, const rp_access_t *a, int depth,
                             rp_crud_fail_t *fail);

/* Applies the on_delete rule of every reference field that points at
 * object o to the live records referring to record id. */
static rp_status_t handle_referrers(rp_crud_t *c, const rp_object_t *o, const char *id, int depth,
                                    rp_crud_fail_t *fail)
{
    const rp_object_t *const *objs;
    int n = rp_meta_objects(c->meta, &objs);
    for (int i = 0; i < n; i++) {
        const rp_object_t *p = objs[i];
        for (int j = 0; j < p->nfields; j++) {
            const rp_field_t *f = &p->fields[j];
            if (f->type != RP_FIELD_REFERENCE || strcmp(f->reference, o->name) != 0)
                continue;
            const char *prm[] = {c->tenant_id, p->name, f->name, id};
            rp_dbres_t *res = NULL;
            rp_status_t st = rp_db_exec(c->ctx->db,
                                        "SELECT id::text FROM records WHERE tenant_id = $1 AND "
                                        "object = $2 AND data ->> $3 = $4 AND deleted_at IS NULL "
                                        "ORDER BY id FOR UPDATE",
                                        4, prm, &res);
            int rows = st == RP_OK ? rp_dbres_rows(res) : 0;
            if (st == RP_OK && rows > 0 && f->on_delete == RP_ON_DELETE_RESTRICT) {
                st = rp_crud_refuse(fail, 409, "record_referenced", NULL,
                                    "%d %s record(s) refer to this record through %s", rows,
                                    p->name, f->name);
            } else if (st == RP_OK && rows > 0 && depth >= RP_CRUD_CASCADE_DEPTH) {
                st = rp_crud_refuse(fail, 409, "cascade_too_deep", NULL,
                                    "deleting this record would cascade more than %d levels",
                                    RP_CRUD_CASCADE_DEPTH);
            }
            for (int r = 0; st == RP_OK && r < rows; r++) {
                const char *rid = rp_dbres_get(res, r, 0);
                if (f->on_delete == RP_ON_DELETE_SET_NULL)
                    st = clear_reference(c, p, f, rid, fail);
                else
                    st = delete_at(c, p, rid, NULL, NULL, depth + 1, fail);
            }
            rp_dbres_free(res);
            if (st != RP_OK)
                return st;
        }
    }
    return RP_OK;
}

/* a is the caller's rights on the record it asked to delete; the records
 * a delete cascades to (a NULL) follow their parent, as the reference
 * field's on_delete rule says, whatever the caller's rights on them. A
 * record nothing refers to is deleted by the statement that looks for its
 * referrers; when there are some, their rules apply first, one field at a
 * time, and a second statement deletes it. */
static rp_status_t delete_at(rp_crud_t *c, const rp_object_t *o, const char *id,
                             const char *if_match, const rp_access_t *a, int depth,
                             rp_crud_fail_t *fail)
{
    rp_dbres_t *old = NULL;
    json_t *old_rec = NULL;
    bool referred = false;
    rp_status_t st = load_for_write(c, o, id, if_match, false, a, a ? a->remove : RP_SCOPE_ALL,
                                    "delete", &old, fail);
    /* Hooks and triggers see the delete the caller asked for; the records
     * it cascades to follow their reference rule. */
    if (st == RP_OK && a != NULL)
        st = (old_rec = rp_record_json(o, old, 0)) ? RP_OK : RP_ENOMEM;
    if (st == RP_OK && a != NULL)
        st = rp_crud_hooks_run(c, RP_CRUD_BEFORE_DELETE, o, id, NULL, NULL, old_rec, fail);
    if (st == RP_OK)
        st = rp_crud_soft_delete(c, o, id, true, &referred);
    if (st == RP_OK && referred && (st = handle_referrers(c, o, id, depth, fail)) == RP_OK)
        st = rp_crud_soft_delete(c, o, id, false, &referred);
    if (st == RP_OK && a != NULL)
        st = rp_crud_hooks_run(c, RP_CRUD_AFTER_DELETE, o, id, NULL, NULL, old_rec, fail);
    json_decref(old_rec);
    rp_dbres_free(old);
    return st;
}

rp_status_t rp_crud_delete(rp_crud_t *c, const rp_object_t *o, const char *id, const char *if_match,
                           rp_crud_fail_t *fail)
{
    rp_access_t a;
    rp_crud_access(c, o, &a);
    return delete_at(c, o, id, if_match, &a, 0, fail);
}

/* A restore is two statements: the locked read and one that checks the
 * references, clears deleted_at, claims the unique values again and adds
 * the history row. */
rp_status_t rp_crud_restore(rp_crud_t *c, const rp_object_t *o, const char *id, json_t **rec,
                            rp_crud_fail_t *fail)
{
    rp_dbres_t *old = NULL, *res = NULL;
    json_t *data = NULL, *errors = json_object(), *empty = json_object();
    rp_crud_side_t side = {0};
    *rec = NULL;
    rp_access_t a;
    rp_crud_access(c, o, &a);
    rp_status_t st = load_for_write(c, o, id, NULL, true, &a, a.remove, "restore", &old, fail);
    if (st != RP_OK)
        goto done;
    st = RP_ENOMEM;
    data = json_loads(rp_dbres_get(old, 0, RP_RECORD_COL_DATA), 0, NULL);
    if (errors == NULL || empty == NULL || !json_is_object(data))
        goto done;
    /* A record may not come back pointing at one that is gone. */
    if ((st = rp_crud_side_refs(&side, o, data, NULL)) != RP_OK)
        goto done;
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].unique &&
            (st = rp_crud_side_field(&side, &o->fields[i],
                                     json_object_get(data, o->fields[i].name))) != RP_OK)
            goto done;
    /* The index rows stayed with the deleted record; the unique values
     * did not. The searchable fields may have changed meanwhile: the
     * statement rewrites the search text. */
    json_decref(side.index);
    side.index = NULL;
    if ((st = rp_crud_side_write(c, &side, o, RP_CRUD_WRITE_RESTORE, id, data, NULL, empty, errors,
                                 &res)) != RP_OK ||
        (st = refuse_if_errors(fail, &errors)) != RP_OK)
        goto done;
    st = res ? render(o, &a, res, rec) : RP_ERR;
done:
    rp_crud_side_clear(&side);
    rp_dbres_free(old);
    rp_dbres_free(res);
    json_decref(data);
    json_decref(errors);
    json_decref(empty);
    return st;
}
