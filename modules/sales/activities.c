/* Activities (task, call, meeting, note): what they are about
 * (related_object + related_id name a record the caller can read, or
 * neither is set), when they happen (activity_at, derived for timelines),
 * and the rules of each kind: a task's completed_at, a meeting that ends
 * after it starts, a call's duration. */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "activities.h"

#define H sales_host

/* What activity_at is derived from, per object. */
typedef enum kind { TASK, CALL, MEETING, NOTE } kind_t;

static rp_hook_result_t reject(rp_mrecord_t *rec, const char *field, const char *msg)
{
    H->reject_field(rec, field, msg);
    return RP_HOOK_REJECT;
}

static rp_hook_result_t failed(rp_mctx_t *ctx, const char *msg)
{
    H->set_error(ctx, msg);
    return RP_HOOK_FAIL;
}

/* The value given for field, or NULL when the write does not name it. */
static rp_json_t *given(rp_mrecord_t *rec, const char *field)
{
    return H->json_get(H->record_fields(rec), field);
}

/* The text of field as this write leaves it (given, else stored); NULL
 * when absent, null or "". */
static const char *effective(rp_mrecord_t *rec, const char *field)
{
    rp_json_t *v = given(rec, field);
    if (v == NULL && H->record_old(rec) != NULL)
        v = H->json_get(H->record_old(rec), field);
    const char *s = H->json_string(v);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static rp_hook_result_t set_text(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *field,
                                 const char *text)
{
    rp_json_t *v = text ? H->json_string_new(text) : H->json_null_new();
    if (v == NULL || H->record_set(rec, field, v) != RP_M_OK)
        return failed(ctx, "out of memory");
    return RP_HOOK_CONTINUE;
}

/* ---- related_object / related_id ---------------------------------------- */

/* An object's API name: [a-z][a-z0-9_]*, with custom objects' "__c". */
static bool object_name(const char *s)
{
    if (!islower((unsigned char)s[0]) || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static rp_hook_result_t check_related(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    rp_json_t *go = given(rec, "related_object"), *gi = given(rec, "related_id");
    if (go == NULL && gi == NULL)
        return RP_HOOK_CONTINUE; /* this write does not move the activity */
    const char *object = effective(rec, "related_object"), *id = effective(rec, "related_id");
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    if (object == NULL && id == NULL) {
        /* "" from a form means no value, as for the other field types. */
        if (go != NULL && H->json_kind(go) == RP_JSON_STRING)
            r = set_text(ctx, rec, "related_object", NULL);
        if (r == RP_HOOK_CONTINUE && gi != NULL && H->json_kind(gi) == RP_JSON_STRING)
            r = set_text(ctx, rec, "related_id", NULL);
        return r;
    }
    if ((go != NULL && H->json_kind(go) != RP_JSON_STRING && H->json_kind(go) != RP_JSON_NULL) ||
        (gi != NULL && H->json_kind(gi) != RP_JSON_STRING && H->json_kind(gi) != RP_JSON_NULL))
        return RP_HOOK_CONTINUE; /* the engine refuses the type */
    if (object == NULL)
        return reject(rec, "related_object", "is required with related_id");
    if (id == NULL)
        return reject(rec, "related_id", "is required with related_object");
    if (!object_name(object))
        return RP_HOOK_CONTINUE; /* the field's pattern refuses it */
    if (!sales_is_uuid(id))
        return reject(rec, "related_id", "must be a record id");
    char lower[37];
    for (int i = 0; i < 37; i++)
        lower[i] = (char)tolower((unsigned char)id[i]);
    rp_json_t *target = NULL;
    rp_mstatus_t st = H->record_get(ctx, object, lower, &target);
    H->json_free(target);
    if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN || st == RP_M_EINVAL)
        return reject(rec, "related_id", "refers to a record that does not exist");
    if (st != RP_M_OK)
        return failed(ctx, "reading the related record failed");
    /* Stored lower-case, so that filters on related_id match it. */
    return strcmp(lower, id) != 0 ? set_text(ctx, rec, "related_id", lower) : RP_HOOK_CONTINUE;
}

/* ---- activity_at -------------------------------------------------------- */

/* When the record was created, for an activity whose date was cleared. */
static rp_hook_result_t created_at(rp_mctx_t *ctx, rp_mrecord_t *rec, char *out)
{
    rp_json_t *self = NULL;
    const char *id = H->record_id(rec);
    rp_mstatus_t st = id ? H->record_get(ctx, H->record_object(rec), id, &self) : RP_M_ENOTFOUND;
    const char *at = st == RP_M_OK ? H->json_string(H->json_get(self, "created_at")) : NULL;
    long long ms;
    if (at != NULL && sales_time_parse(at, &ms) && sales_time_format(ms, out)) {
        H->json_free(self);
        return RP_HOOK_CONTINUE;
    }
    H->json_free(self);
    if (st != RP_M_OK && st != RP_M_ENOTFOUND)
        return failed(ctx, "reading the activity failed");
    sales_time_now(out);
    return RP_HOOK_CONTINUE;
}

/* Derives activity_at from the field source (a datetime, or the due date of
 * a task), or from the creation time when the activity has no such date. */
static rp_hook_result_t derive_at(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *source,
                                  bool is_date)
{
    char at[SALES_TIME_LEN + 1];
    bool creating = H->record_old(rec) == NULL;
    rp_json_t *v = source ? given(rec, source) : NULL;
    if (!creating && v == NULL)
        return RP_HOOK_CONTINUE; /* the date does not change */
    const char *s = H->json_string(v);
    long long ms;
    if (s != NULL && s[0] != '\0') {
        bool ok = is_date ? sales_time_parse_date(s, &ms) : sales_time_parse(s, &ms);
        if (!ok || !sales_time_format(ms, at))
            return RP_HOOK_CONTINUE; /* the engine refuses the source field */
    } else if (creating) {
        sales_time_now(at);
    } else {
        rp_hook_result_t r = created_at(ctx, rec, at);
        if (r != RP_HOOK_CONTINUE)
            return r;
    }
    return set_text(ctx, rec, "activity_at", at);
}

/* ---- the kinds ---------------------------------------------------------- */

/* completed_at follows status: set when it becomes completed, cleared when
 * it leaves completed. */
static rp_hook_result_t task_rules(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    rp_json_t *st = given(rec, "status");
    if (st == NULL)
        return RP_HOOK_CONTINUE;
    const char *now = H->json_string(st);
    const rp_json_t *old = H->record_old(rec);
    const char *was = old ? H->json_string(H->json_get(old, "status")) : NULL;
    bool done_now = now != NULL && strcmp(now, "completed") == 0;
    bool done_before = was != NULL && strcmp(was, "completed") == 0;
    if (done_now && !done_before) {
        char at[SALES_TIME_LEN + 1];
        sales_time_now(at);
        return set_text(ctx, rec, "completed_at", at);
    }
    if (!done_now && done_before)
        return set_text(ctx, rec, "completed_at", NULL);
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t meeting_rules(rp_mrecord_t *rec)
{
    if (given(rec, "starts_at") == NULL && given(rec, "ends_at") == NULL)
        return RP_HOOK_CONTINUE;
    const char *starts = effective(rec, "starts_at"), *ends = effective(rec, "ends_at");
    long long s, e;
    if (starts != NULL && ends != NULL && sales_time_parse(starts, &s) &&
        sales_time_parse(ends, &e) && e <= s)
        return reject(rec, "ends_at", "must be after starts_at");
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t call_rules(rp_mrecord_t *rec)
{
    rp_json_t *d = given(rec, "duration_seconds");
    rp_json_kind_t k = d ? H->json_kind(d) : RP_JSON_NULL;
    if ((k == RP_JSON_INTEGER || k == RP_JSON_REAL) && H->json_real(d) < 0)
        return reject(rec, "duration_seconds", "must not be negative");
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t activity_before(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    kind_t kind = (kind_t)(size_t)user;
    rp_hook_result_t r = check_related(ctx, rec);
    if (r != RP_HOOK_CONTINUE)
        return r;
    switch (kind) {
    case TASK:
        r = task_rules(ctx, rec);
        if (r == RP_HOOK_CONTINUE)
            r = derive_at(ctx, rec, "due_date", true);
        break;
    case CALL:
        r = call_rules(rec);
        if (r == RP_HOOK_CONTINUE)
            r = derive_at(ctx, rec, "started_at", false);
        break;
    case MEETING:
        r = meeting_rules(rec);
        if (r == RP_HOOK_CONTINUE)
            r = derive_at(ctx, rec, "starts_at", false);
        break;
    case NOTE:
        r = derive_at(ctx, rec, NULL, false);
        break;
    }
    return r;
}

rp_mstatus_t sales_activities_init(rp_mreg_t *reg)
{
    static const kind_t kinds[SALES_ACTIVITY_COUNT] = {TASK, CALL, MEETING, NOTE};
    for (int i = 0; i < SALES_ACTIVITY_COUNT; i++) {
        void *user = (void *)(size_t)kinds[i];
        rp_mstatus_t st = H->register_hook(reg, sales_activity_objects[i], RP_HOOK_BEFORE_CREATE,
                                           activity_before, user);
        if (st == RP_M_OK)
            st = H->register_hook(reg, sales_activity_objects[i], RP_HOOK_BEFORE_UPDATE,
                                  activity_before, user);
        if (st != RP_M_OK)
            return st;
    }
    rp_mstatus_t st = sales_activity_attendee_init(reg);
    return st == RP_M_OK ? sales_timeline_init(reg) : st;
}
