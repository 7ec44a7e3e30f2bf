/* Running a call script on a call: POST /api/v1/m/sales/calls/{id}/script-
 * answers records answers, in order, on the call activity (its
 * script_answers and call_script_id fields), and GET on the same path shows
 * where the call stands. The state kept on the call:
 *
 *   {"script_id": "...", "answers": [{"question", "text", "answer", "at"}],
 *    "next": "q4" | null, "complete": false}
 *
 * Answers already recorded are history: a run goes on from its "next"
 * question even if the script has changed since, as long as that question
 * still exists. */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "call_scripts.h"
#include "sales.h"
#include "script_tree.h"

/* At most this many answers on one call (a run through the longest
 * script). */
#define MAX_ANSWERS SALES_SCRIPT_MAX_QUESTIONS

/* ---- small helpers ------------------------------------------------------ */

/* Sets obj.key to v (taking it); false when v is NULL or the set fails. */
static bool put(rp_json_t *obj, const char *key, rp_json_t *v)
{
    if (v == NULL)
        return false;
    if (obj == NULL) {
        sales_host->json_free(v);
        return false;
    }
    return sales_host->json_set(obj, key, v) == RP_M_OK;
}

static rp_json_t *str_or_null(const char *s)
{
    return s != NULL ? sales_host->json_string_new(s) : sales_host->json_null_new();
}

/* Answers a problem with one per-field error (field may be NULL). */
static rp_mstatus_t problem(rp_mctx_t *ctx, int status, const char *code, const char *detail,
                            const char *field, const char *message)
{
    rp_json_t *errors = NULL;
    if (field != NULL) {
        errors = sales_host->json_object_new();
        if (!put(errors, field, sales_host->json_string_new(message))) {
            sales_host->json_free(errors);
            return RP_M_ENOMEM;
        }
    }
    sales_host->respond_problem(ctx, status, code, detail, errors);
    return RP_M_OK;
}

/* Now, as the records API writes datetimes. */
static void now_text(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* Whole numbers stay integers in the JSON written ("3", not "3.0"). */
static rp_json_t *number_json(double n)
{
    if (n == floor(n) && fabs(n) < 9007199254740992.0)
        return sales_host->json_integer_new((long long)n);
    return sales_host->json_real_new(n);
}

static rp_json_t *answer_json(const sales_answer_t *a)
{
    switch (a->kind) {
    case SALES_A_STRING:
        return sales_host->json_string_new(a->s);
    case SALES_A_NUMBER:
        return number_json(a->n);
    default:
        return sales_host->json_null_new();
    }
}

static sales_answer_t answer_in(const rp_json_t *v)
{
    sales_answer_t a = {.kind = SALES_A_NONE};
    switch (v ? sales_host->json_kind(v) : RP_JSON_NULL) {
    case RP_JSON_BOOL:
        a.kind = SALES_A_BOOL;
        a.b = sales_host->json_bool(v) != 0;
        break;
    case RP_JSON_INTEGER:
    case RP_JSON_REAL:
        a.kind = SALES_A_NUMBER;
        a.n = sales_host->json_real(v);
        break;
    case RP_JSON_STRING:
        a.kind = SALES_A_STRING;
        a.s = sales_host->json_string(v);
        break;
    case RP_JSON_ARRAY:
    case RP_JSON_OBJECT:
        a.kind = SALES_A_OTHER;
        break;
    default:
        break;
    }
    return a;
}

/* ---- the run recorded on a call ----------------------------------------- */

typedef struct run {
    char script_id[64]; /* "" when no script has run */
    rp_json_t *answers; /* owned array */
    char next[SALES_SCRIPT_ID_MAX + 1];
    bool has_next;
    bool complete;
} run_t;

/* Reads the call's script_answers text into r; false when it is there but
 * is not a state this module wrote. */
static bool run_read(const rp_json_t *call_fields, run_t *r)
{
    memset(r, 0, sizeof *r);
    const char *text = sales_host->json_string(sales_host->json_get(call_fields, "script_answers"));
    if (text == NULL || text[0] == '\0')
        return true;
    rp_json_t *doc = sales_host->json_parse(text, strlen(text));
    bool ok = false;
    const char *sid = sales_host->json_string(sales_host->json_get(doc, "script_id"));
    rp_json_t *answers = sales_host->json_get(doc, "answers");
    rp_json_t *next = sales_host->json_get(doc, "next");
    rp_json_t *complete = sales_host->json_get(doc, "complete");
    if (sid != NULL && strlen(sid) < sizeof r->script_id && answers != NULL &&
        sales_host->json_kind(answers) == RP_JSON_ARRAY && complete != NULL &&
        sales_host->json_kind(complete) == RP_JSON_BOOL) {
        const char *n = sales_host->json_string(next);
        ok = n == NULL || strlen(n) < sizeof r->next;
        if (ok) {
            snprintf(r->script_id, sizeof r->script_id, "%s", sid);
            snprintf(r->next, sizeof r->next, "%s", n ? n : "");
            r->has_next = n != NULL;
            r->complete = sales_host->json_bool(complete) != 0;
            r->answers = sales_host->json_copy(answers);
            ok = r->answers != NULL;
        }
    }
    sales_host->json_free(doc);
    return ok;
}

static bool run_started(const run_t *r)
{
    return r->answers != NULL && sales_host->json_array_size(r->answers) > 0;
}

/* The state as recorded on the call (the members of the spec, in order). */
static rp_json_t *run_json(const run_t *r, const char *script_id)
{
    rp_json_t *o = sales_host->json_object_new();
    rp_json_t *answers =
        r->answers ? sales_host->json_copy(r->answers) : sales_host->json_array_new();
    if (!put(o, "script_id", str_or_null(script_id)) || !put(o, "answers", answers) ||
        !put(o, "next", str_or_null(r->has_next ? r->next : NULL)) ||
        !put(o, "complete", sales_host->json_bool_new(r->complete))) {
        sales_host->json_free(o);
        return NULL;
    }
    return o;
}

/* What a client needs to ask question q. */
static rp_json_t *question_json(const sales_script_t *s, int q)
{
    if (s == NULL || q < 0)
        return sales_host->json_null_new();
    const sales_question_t *qq = &s->questions[q];
    rp_json_t *o = sales_host->json_object_new();
    bool ok = put(o, "id", sales_host->json_string_new(qq->id)) &&
              put(o, "text", sales_host->json_string_new(qq->text)) &&
              put(o, "type", sales_host->json_string_new(sales_script_type_name(qq->type))) &&
              put(o, "required", sales_host->json_bool_new(qq->required)) &&
              put(o, "help", str_or_null(qq->help));
    if (ok && qq->type == SALES_Q_CHOICE) {
        rp_json_t *opts = sales_host->json_array_new();
        for (size_t i = 0; ok && i < qq->noptions; i++)
            ok = opts != NULL && sales_host->json_array_append(
                                     opts, sales_host->json_string_new(qq->options[i])) == RP_M_OK;
        ok = put(o, "options", opts) && ok;
    }
    if (ok && qq->has_min)
        ok = put(o, "min", number_json(qq->min));
    if (ok && qq->has_max)
        ok = put(o, "max", number_json(qq->max));
    if (!ok) {
        sales_host->json_free(o);
        return NULL;
    }
    return o;
}

/* The answer: the recorded state plus the call, the script's name and the
 * next question to ask. */
static rp_mstatus_t respond_state(rp_mctx_t *ctx, const char *call_id, const run_t *r,
                                  const char *script_id, const char *script_name,
                                  const sales_script_t *s, int next)
{
    rp_json_t *body = run_json(r, script_id);
    if (body == NULL || !put(body, "call_id", sales_host->json_string_new(call_id)) ||
        !put(body, "script_name", str_or_null(script_name)) ||
        !put(body, "next_question", question_json(s, next))) {
        sales_host->json_free(body);
        return RP_M_ENOMEM;
    }
    sales_host->respond_json(ctx, 200, body);
    return RP_M_OK;
}

/* ---- the request -------------------------------------------------------- */

/* Refuses members the body (or an item of its answers) may not have:
 * the host API reads members by name only, so the text is read again. */
static rp_mstatus_t unknown_members(rp_mctx_t *ctx, const rp_json_t *body, bool *answered)
{
    static const char *const TOP[] = {"call_script_id", "answers", "question", "answer", "restart"};
    static const char *const ITEM[] = {"question", "answer"};
    *answered = false;
    char *text = sales_host->json_dump(body);
    if (text == NULL)
        return RP_M_ENOMEM;
    sales_jv_t *doc = NULL;
    char err[SALES_SCRIPT_ERR_MAX];
    rp_mstatus_t st = sales_json_read(text, strlen(text), &doc, err, sizeof err);
    sales_host->mem_free(text);
    if (st == RP_M_EINVAL) {
        /* Valid JSON the strict reader still refuses (nesting past 32
         * levels): no answer needs that. */
        *answered = true;
        char detail[SALES_SCRIPT_ERR_MAX + 32];
        snprintf(detail, sizeof detail, "the request is not usable: %s", err);
        return problem(ctx, 400, "malformed_json", detail, NULL, NULL);
    }
    if (st != RP_M_OK)
        return st;
    char field[96] = "", buf[64];
    for (size_t i = 0; field[0] == '\0' && i < doc->count; i++) {
        size_t k = 0;
        while (k < sizeof TOP / sizeof TOP[0] && strcmp(TOP[k], doc->keys[i]) != 0)
            k++;
        if (k == sizeof TOP / sizeof TOP[0])
            snprintf(field, sizeof field, "%s",
                     sales_script_clip(buf, sizeof buf, doc->keys[i], 40));
    }
    const sales_jv_t *answers = sales_json_member(doc, "answers");
    for (size_t i = 0;
         field[0] == '\0' && answers && answers->kind == SALES_J_ARRAY && i < answers->count; i++) {
        const sales_jv_t *item = answers->items[i];
        for (size_t m = 0; item->kind == SALES_J_OBJECT && m < item->count; m++)
            if (strcmp(item->keys[m], ITEM[0]) != 0 && strcmp(item->keys[m], ITEM[1]) != 0) {
                snprintf(field, sizeof field, "answers.%zu.%s", i,
                         sales_script_clip(buf, sizeof buf, item->keys[m], 40));
                break;
            }
    }
    sales_json_free(doc);
    if (field[0] == '\0')
        return RP_M_OK;
    char detail[160];
    snprintf(detail, sizeof detail, "unknown member in the request: %s", field);
    *answered = true;
    return problem(ctx, 400, "unknown_field", detail, field, "is not a known member");
}

/* The caller must be able to change the call, not only read it: an empty
 * update goes through the records engine's checks (found, read scope,
 * update scope) without writing anything, and locks the call's row until
 * the request ends, so that two agents answering on one call queue up
 * instead of losing an answer. */
static rp_mstatus_t lock_call(rp_mctx_t *ctx, const char *call_id, bool *answered)
{
    *answered = true;
    rp_json_t *empty = sales_host->json_object_new();
    if (empty == NULL)
        return RP_M_ENOMEM;
    rp_json_t *errors = NULL;
    rp_mstatus_t st = sales_host->record_update(ctx, "call", call_id, empty, NULL, &errors);
    sales_host->json_free(empty);
    if (st == RP_M_ENOTFOUND) {
        sales_host->json_free(errors);
        return problem(ctx, 404, "not_found", "no call with this id", NULL, NULL);
    }
    if (st == RP_M_EFORBIDDEN) {
        sales_host->json_free(errors);
        return problem(ctx, 403, "forbidden", "you may not change this call", NULL, NULL);
    }
    if (st == RP_M_EINVAL || st == RP_M_ECONFLICT) {
        sales_host->respond_problem(ctx, st == RP_M_EINVAL ? 422 : 409,
                                    st == RP_M_EINVAL ? "validation_failed" : "conflict",
                                    "the call cannot be changed", errors);
        return RP_M_OK;
    }
    sales_host->json_free(errors);
    *answered = false;
    return st;
}

/* The parsed request. */
typedef struct req {
    const char *script_id; /* NULL when not given */
    bool restart;
    const rp_json_t *answers; /* an array, or NULL for the single form */
    const rp_json_t *single;  /* the body itself in the single form */
    size_t count;             /* answers given */
} req_t;

static const rp_json_t *item_at(const req_t *q, size_t i)
{
    return q->answers ? sales_host->json_array_get(q->answers, i) : q->single;
}

/* Checks the request's shape (422 naming the member). */
static rp_mstatus_t read_request(rp_mctx_t *ctx, const rp_json_t *body, req_t *q, bool *answered)
{
    memset(q, 0, sizeof *q);
    *answered = true;
    const rp_json_t *sid = sales_host->json_get(body, "call_script_id");
    if (sid != NULL && sales_host->json_kind(sid) != RP_JSON_NULL) {
        if ((q->script_id = sales_host->json_string(sid)) == NULL)
            return problem(ctx, 422, "validation_failed", "the request is not valid",
                           "call_script_id", "must be the id of a call script");
    }
    const rp_json_t *restart = sales_host->json_get(body, "restart");
    if (restart != NULL) {
        if (sales_host->json_kind(restart) != RP_JSON_BOOL)
            return problem(ctx, 422, "validation_failed", "the request is not valid", "restart",
                           "must be true or false");
        q->restart = sales_host->json_bool(restart) != 0;
    }
    const rp_json_t *answers = sales_host->json_get(body, "answers");
    bool single = sales_host->json_get(body, "question") != NULL ||
                  sales_host->json_get(body, "answer") != NULL;
    if (answers != NULL && single)
        return problem(ctx, 422, "validation_failed", "the request is not valid", "answers",
                       "give either answers or one question and its answer, not both");
    if (answers != NULL) {
        if (sales_host->json_kind(answers) != RP_JSON_ARRAY)
            return problem(ctx, 422, "validation_failed", "the request is not valid", "answers",
                           "must be an array of {\"question\", \"answer\"}");
        q->answers = answers;
        q->count = sales_host->json_array_size(answers);
        if (q->count > MAX_ANSWERS)
            return problem(ctx, 422, "validation_failed", "the request is not valid", "answers",
                           "at most 200 answers at a time");
    } else if (single) {
        q->single = body;
        q->count = 1;
    }
    if (q->count == 0 && !q->restart)
        return problem(ctx, 422, "validation_failed", "the request is not valid", "answers",
                       "is required (or restart: true)");
    for (size_t i = 0; i < q->count; i++) {
        const rp_json_t *item = item_at(q, i);
        char field[48] = "answers";
        if (q->answers)
            snprintf(field, sizeof field, "answers.%zu", i);
        if (sales_host->json_kind(item) != RP_JSON_OBJECT)
            return problem(ctx, 422, "validation_failed", "the request is not valid", field,
                           "must be an object {\"question\", \"answer\"}");
        if (sales_host->json_string(sales_host->json_get(item, "question")) == NULL) {
            if (q->answers)
                snprintf(field, sizeof field, "answers.%zu.question", i);
            else
                snprintf(field, sizeof field, "question");
            return problem(ctx, 422, "validation_failed", "the request is not valid", field,
                           "must be a question id");
        }
    }
    *answered = false;
    return RP_M_OK;
}

/* The error field of item i's member. */
static const char *item_field(const req_t *q, size_t i, const char *member, char *buf, size_t size)
{
    if (q->answers)
        snprintf(buf, size, "answers.%zu.%s", i, member);
    else
        snprintf(buf, size, "%s", member);
    return buf;
}

/* The script to run and its record, after the checks of which script
 * that may be. */
typedef struct target {
    const char *id;
    rp_json_t *record; /* owned */
    const rp_json_t *fields;
    sales_script_t *script; /* owned */
} target_t;

static rp_mstatus_t choose_script(rp_mctx_t *ctx, const req_t *q, const rp_json_t *call_fields,
                                  const run_t *r, target_t *t, bool *answered)
{
    *answered = true;
    char detail[512];
    const char *on_call =
        sales_host->json_string(sales_host->json_get(call_fields, "call_script_id"));
    bool started = run_started(r);
    if (q->script_id != NULL)
        t->id = q->script_id;
    else if (started && on_call != NULL && strcmp(on_call, r->script_id) != 0) {
        snprintf(detail, sizeof detail,
                 "the call's script was changed to %s after answers to %s were recorded; send "
                 "restart: true to run the new one",
                 on_call, r->script_id);
        return problem(ctx, 409, "script_conflict", detail, NULL, NULL);
    } else
        t->id = started ? r->script_id : on_call;
    if (t->id == NULL)
        return problem(ctx, 422, "validation_failed", "the call has no script", "call_script_id",
                       "is required: the call has no script yet");
    if (started && strcasecmp(t->id, r->script_id) != 0) {
        char buf[80];
        snprintf(detail, sizeof detail,
                 "script %s is already running on this call; send restart: true to start %s "
                 "instead",
                 r->script_id, sales_script_clip(buf, sizeof buf, t->id, 64));
        return problem(ctx, 409, "script_conflict", detail, NULL, NULL);
    }
    rp_mstatus_t st = sales_host->record_get(ctx, "call_script", t->id, &t->record);
    if (st == RP_M_ENOTFOUND)
        return problem(ctx, 404, "not_found", "no call script with this id", "call_script_id",
                       "no call script with this id");
    if (st != RP_M_OK) {
        *answered = false;
        return st;
    }
    t->fields = sales_host->json_get(t->record, "fields");
    /* The script's id as stored (lower case), not as the client wrote it. */
    const char *stored = sales_host->json_string(sales_host->json_get(t->record, "id"));
    if (stored != NULL)
        t->id = stored;
    const rp_json_t *active = sales_host->json_get(t->fields, "active");
    if (!started && active != NULL && sales_host->json_kind(active) == RP_JSON_BOOL &&
        !sales_host->json_bool(active))
        return problem(ctx, 409, "script_inactive",
                       "this call script is not active: only active scripts can be started", NULL,
                       NULL);
    const char *tree = sales_host->json_string(sales_host->json_get(t->fields, "tree"));
    char err[SALES_SCRIPT_ERR_MAX];
    st = sales_script_parse(tree ? tree : "", tree ? strlen(tree) : 0, &t->script, err, sizeof err);
    if (st == RP_M_EINVAL) {
        snprintf(detail, sizeof detail, "the call script's questions are not valid: %s", err);
        return problem(ctx, 409, "script_invalid", detail, NULL, NULL);
    }
    *answered = false;
    return st;
}

/* Checks and appends the request's answers to r, from the question the
 * run is at. */
static rp_mstatus_t walk_answers(rp_mctx_t *ctx, const req_t *q, const sales_script_t *s, run_t *r,
                                 int *next, bool *answered)
{
    *answered = true;
    char detail[512], field[96], buf[80], at[64];
    int cur = s->start;
    if (run_started(r)) {
        cur = r->has_next ? sales_script_find(s, r->next) : -1;
        if (r->has_next && cur < 0) {
            snprintf(detail, sizeof detail,
                     "question %s, where this call's run stands, is no longer in the script; "
                     "send restart: true to run it again",
                     r->next);
            return problem(ctx, 409, "script_changed", detail, NULL, NULL);
        }
    }
    if (r->answers == NULL && (r->answers = sales_host->json_array_new()) == NULL)
        return RP_M_ENOMEM;
    now_text(at, sizeof at);
    for (size_t i = 0; i < q->count; i++) {
        const rp_json_t *item = item_at(q, i);
        const char *qid = sales_host->json_string(sales_host->json_get(item, "question"));
        if (cur < 0 || r->complete)
            return problem(ctx, 409, "script_complete",
                           "the script is complete on this call; send restart: true to run it "
                           "again",
                           NULL, NULL);
        const sales_question_t *qq = &s->questions[cur];
        if (strcmp(qid, qq->id) != 0) {
            snprintf(detail, sizeof detail,
                     "question %s is not the next one: the call is at question %s (\"%s\")",
                     sales_script_clip(buf, sizeof buf, qid, 64), qq->id,
                     sales_script_clip(field, sizeof field, qq->text, 80));
            char msg[96];
            snprintf(msg, sizeof msg, "expected %s", qq->id);
            return problem(ctx, 422, "wrong_question", detail,
                           item_field(q, i, "question", field, sizeof field), msg);
        }
        sales_answer_t in = answer_in(sales_host->json_get(item, "answer")), out;
        char err[SALES_SCRIPT_ERR_MAX];
        rp_mstatus_t st = sales_script_answer(s, cur, &in, &out, &cur, err, sizeof err);
        if (st == RP_M_EINVAL) {
            snprintf(detail, sizeof detail, "the answer to question %s is not valid: %s", qq->id,
                     err);
            return problem(ctx, 422, "invalid_answer", detail,
                           item_field(q, i, "answer", field, sizeof field), err);
        }
        if (st != RP_M_OK) {
            *answered = false;
            return st;
        }
        if (sales_host->json_array_size(r->answers) >= MAX_ANSWERS)
            return problem(ctx, 409, "script_complete",
                           "this call already holds the most answers a run can have; send "
                           "restart: true to run the script again",
                           NULL, NULL);
        rp_json_t *rec = sales_host->json_object_new();
        if (!put(rec, "question", sales_host->json_string_new(qq->id)) ||
            !put(rec, "text", sales_host->json_string_new(qq->text)) ||
            !put(rec, "answer", answer_json(&out)) ||
            !put(rec, "at", sales_host->json_string_new(at))) {
            sales_host->json_free(rec);
            *answered = false;
            return RP_M_ENOMEM;
        }
        if (sales_host->json_array_append(r->answers, rec) != RP_M_OK) {
            *answered = false;
            return RP_M_ENOMEM;
        }
        r->complete = cur < 0;
        r->has_next = cur >= 0;
        snprintf(r->next, sizeof r->next, "%s", cur >= 0 ? s->questions[cur].id : "");
    }
    *next = cur;
    *answered = false;
    return RP_M_OK;
}

/* Writes the run on the call: derived values, so the read_only
 * script_answers may be set (the caller's right to change the call was
 * checked by lock_call). */
static rp_mstatus_t record_run(rp_mctx_t *ctx, const char *call_id, const run_t *r,
                               const char *script_id, bool *answered)
{
    *answered = false;
    rp_json_t *state = run_json(r, script_id);
    char *text = state ? sales_host->json_dump(state) : NULL;
    sales_host->json_free(state);
    rp_json_t *fields = sales_host->json_object_new();
    rp_mstatus_t st = RP_M_ENOMEM;
    if (text == NULL || !put(fields, "script_answers", sales_host->json_string_new(text)) ||
        !put(fields, "call_script_id", sales_host->json_string_new(script_id)))
        goto done;
    rp_json_t *errors = NULL;
    st = sales_host->record_update_ex(ctx, "call", call_id, fields, RP_MWRITE_DERIVED, NULL,
                                      &errors);
    if (st == RP_M_EINVAL || st == RP_M_ECONFLICT) {
        *answered = true;
        sales_host->respond_problem(ctx, st == RP_M_EINVAL ? 422 : 409,
                                    st == RP_M_EINVAL ? "validation_failed" : "conflict",
                                    "the answers cannot be recorded on the call", errors);
        st = RP_M_OK;
    } else {
        sales_host->json_free(errors);
    }
done:
    sales_host->mem_free(text);
    sales_host->json_free(fields);
    return st;
}

/* POST /api/v1/m/sales/calls/{id}/script-answers */
static rp_mstatus_t post_answers(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *call_id = sales_host->path_param(ctx, 0);
    rp_json_t *body = sales_host->request_json(ctx);
    if (body == NULL)
        return RP_M_OK; /* answered 400 or 415 */
    rp_json_t *call = NULL;
    run_t run = {0};
    target_t t = {0};
    req_t q;
    bool answered = false;
    rp_mstatus_t st = lock_call(ctx, call_id, &answered);
    if (st != RP_M_OK || answered)
        goto done;
    if ((st = unknown_members(ctx, body, &answered)) != RP_M_OK || answered)
        goto done;
    if ((st = read_request(ctx, body, &q, &answered)) != RP_M_OK || answered)
        goto done;
    if ((st = sales_host->record_get(ctx, "call", call_id, &call)) != RP_M_OK)
        goto done;
    const rp_json_t *call_fields = sales_host->json_get(call, "fields");
    if (!run_read(call_fields, &run) && !q.restart) {
        answered = true;
        st = problem(ctx, 409, "script_state_invalid",
                     "the answers recorded on this call cannot be read; send restart: true to "
                     "run the script again",
                     NULL, NULL);
        goto done;
    }
    if (q.restart) {
        sales_host->json_free(run.answers);
        memset(&run, 0, sizeof run);
    }
    if ((st = choose_script(ctx, &q, call_fields, &run, &t, &answered)) != RP_M_OK || answered)
        goto done;
    if (!run_started(&run)) {
        /* A new run: it starts at the first question. */
        run.complete = false;
        run.has_next = true;
        snprintf(run.next, sizeof run.next, "%s", t.script->questions[t.script->start].id);
    }
    int next = run.complete ? -1 : sales_script_find(t.script, run.next);
    if (q.count > 0 &&
        ((st = walk_answers(ctx, &q, t.script, &run, &next, &answered)) != RP_M_OK || answered))
        goto done;
    if ((st = record_run(ctx, call_id, &run, t.id, &answered)) != RP_M_OK || answered)
        goto done;
    st = respond_state(ctx, call_id, &run, t.id,
                       sales_host->json_string(sales_host->json_get(t.fields, "name")), t.script,
                       next);
done:
    sales_script_free(t.script);
    sales_host->json_free(t.record);
    sales_host->json_free(run.answers);
    sales_host->json_free(call);
    sales_host->json_free(body);
    return st;
}

/* GET /api/v1/m/sales/calls/{id}/script-answers: where the call stands,
 * and the question to ask next (the first one when the call has a script
 * but no answers yet). */
static rp_mstatus_t get_answers(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *call_id = sales_host->path_param(ctx, 0);
    rp_json_t *call = NULL, *script_rec = NULL;
    sales_script_t *script = NULL;
    run_t run = {0};
    rp_mstatus_t st = sales_host->record_get(ctx, "call", call_id, &call);
    if (st == RP_M_ENOTFOUND)
        return problem(ctx, 404, "not_found", "no call with this id", NULL, NULL);
    if (st != RP_M_OK)
        return st;
    const rp_json_t *call_fields = sales_host->json_get(call, "fields");
    if (!run_read(call_fields, &run)) {
        st = problem(ctx, 409, "script_state_invalid",
                     "the answers recorded on this call cannot be read", NULL, NULL);
        goto done;
    }
    const char *sid =
        run.script_id[0]
            ? run.script_id
            : sales_host->json_string(sales_host->json_get(call_fields, "call_script_id"));
    const char *name = NULL;
    int next = -1;
    if (sid != NULL && sales_host->record_get(ctx, "call_script", sid, &script_rec) == RP_M_OK) {
        const rp_json_t *f = sales_host->json_get(script_rec, "fields");
        name = sales_host->json_string(sales_host->json_get(f, "name"));
        const char *tree = sales_host->json_string(sales_host->json_get(f, "tree"));
        char err[SALES_SCRIPT_ERR_MAX];
        if (tree != NULL &&
            sales_script_parse(tree, strlen(tree), &script, err, sizeof err) == RP_M_OK) {
            if (!run_started(&run)) {
                next = script->start;
                run.has_next = true;
                snprintf(run.next, sizeof run.next, "%s", script->questions[next].id);
            } else if (run.has_next) {
                next = sales_script_find(script, run.next);
            }
        }
    }
    st = respond_state(ctx, call_id, &run, sid, name, script, next);
done:
    sales_script_free(script);
    sales_host->json_free(script_rec);
    sales_host->json_free(run.answers);
    sales_host->json_free(call);
    return st;
}

rp_mstatus_t sales_call_script_answers_init(rp_mreg_t *reg)
{
    rp_mstatus_t st = sales_host->register_action(reg, RP_ACTION_POST, "calls/{id}/script-answers",
                                                  RP_ACTION_USER, post_answers, NULL);
    if (st == RP_M_OK)
        st = sales_host->register_action(reg, RP_ACTION_GET, "calls/{id}/script-answers",
                                         RP_ACTION_READONLY, get_answers, NULL);
    return st;
}
