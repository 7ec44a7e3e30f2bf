/* Call script trees: the checks that make a parsed tree a script that
 * always ends (every member known, every branch resolved, no cycle, every
 * question reachable), and the message helpers the reader and the walk
 * share. Pure: no host calls. The reader is script_tree_json.c, the answer
 * walk script_tree_walk.c. */

#include "script_tree.h"
#include "script_tree_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ----------------------------------------------------------- */

/* Drops a UTF-8 sequence that truncation cut in two at the end of s. */
static void utf8_trim(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < want)
        s[i - 1] = '\0';
}

rp_mstatus_t sales_script_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        utf8_trim(err);
    }
    return RP_M_EINVAL;
}

const char *sales_script_clip(char *buf, size_t size, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (max + 4 > size)
        max = size - 4;
    if (n <= max) {
        memcpy(buf, s, n + 1);
        return buf;
    }
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

size_t sales_script_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- checking a tree ---------------------------------------------------- */

static const char *const TYPE_NAMES[] = {"choice", "yes_no", "text", "number", "date"};

const char *sales_script_type_name(sales_qtype_t t)
{
    return (unsigned)t < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0] ? TYPE_NAMES[t] : "?";
}

static bool id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SALES_SCRIPT_ID_MAX)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

/* The members a question may have. */
static const char *const QUESTION_MEMBERS[] = {"text", "type", "options", "required",
                                               "min",  "max",  "next",    "help"};

/* Refuses a member of obj (at path) that is not in known, or one given
 * twice. */
static rp_mstatus_t members_known(const sales_jv_t *obj, const char *path, const char *const *known,
                                  size_t nknown, char *err, size_t errlen)
{
    char buf[80];
    for (size_t i = 0; i < obj->count; i++) {
        size_t k = 0;
        while (k < nknown && strcmp(known[k], obj->keys[i]) != 0)
            k++;
        if (k == nknown)
            return sales_script_fail(err, errlen, "%s%s%s: unknown member", path,
                                     path[0] ? "." : "",
                                     sales_script_clip(buf, sizeof buf, obj->keys[i], 40));
    }
    for (size_t k = 0; k < nknown; k++) {
        int seen = 0;
        for (size_t i = 0; i < obj->count; i++)
            seen += strcmp(known[k], obj->keys[i]) == 0;
        if (seen > 1)
            return sales_script_fail(err, errlen, "%s%s%s: given twice", path, path[0] ? "." : "",
                                     known[k]);
    }
    return RP_M_OK;
}

/* Checks a text member (required or not) of at most max characters. */
static rp_mstatus_t text_member(const sales_jv_t *v, const char *qid, const char *name,
                                bool required, size_t max, const char **out, char *err,
                                size_t errlen)
{
    *out = NULL;
    if (v == NULL) {
        if (required)
            return sales_script_fail(err, errlen, "questions.%s.%s: is required", qid, name);
        return RP_M_OK;
    }
    if (v->kind != SALES_J_STRING)
        return sales_script_fail(err, errlen, "questions.%s.%s: must be a string", qid, name);
    const char *s = v->s;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return sales_script_fail(err, errlen, "questions.%s.%s: must not be empty", qid, name);
    if (sales_script_chars(v->s) > max)
        return sales_script_fail(err, errlen, "questions.%s.%s: at most %zu characters", qid, name,
                                 max);
    *out = v->s;
    return RP_M_OK;
}

static rp_mstatus_t check_options(sales_question_t *q, const sales_jv_t *v, char *err,
                                  size_t errlen)
{
    const char *qid = q->id;
    if (v == NULL) {
        if (q->type == SALES_Q_CHOICE)
            return sales_script_fail(
                err, errlen, "questions.%s.options: is required for a choice question", qid);
        return RP_M_OK;
    }
    if (q->type != SALES_Q_CHOICE)
        return sales_script_fail(err, errlen,
                                 "questions.%s.options: only a choice question has options", qid);
    if (v->kind != SALES_J_ARRAY || v->count == 0 || v->count > SALES_SCRIPT_MAX_OPTIONS)
        return sales_script_fail(err, errlen,
                                 "questions.%s.options: must be an array of 1 to %d options", qid,
                                 SALES_SCRIPT_MAX_OPTIONS);
    q->options = calloc(v->count, sizeof *q->options);
    if (q->options == NULL)
        return RP_M_ENOMEM;
    char buf[80];
    for (size_t i = 0; i < v->count; i++) {
        const sales_jv_t *o = v->items[i];
        const char *s = o->kind == SALES_J_STRING ? o->s : "";
        const char *t = s;
        while (isspace((unsigned char)*t))
            t++;
        if (o->kind != SALES_J_STRING || *t == '\0' ||
            sales_script_chars(s) > SALES_SCRIPT_OPTION_MAX)
            return sales_script_fail(
                err, errlen,
                "questions.%s.options.%zu: must be a non-empty string of at most %d "
                "characters",
                qid, i, SALES_SCRIPT_OPTION_MAX);
        if (strcmp(s, "*") == 0)
            return sales_script_fail(
                err, errlen,
                "questions.%s.options.%zu: \"*\" is kept for the branch taken by any "
                "other answer",
                qid, i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(q->options[k], s) == 0)
                return sales_script_fail(err, errlen, "questions.%s.options.%zu: repeats \"%s\"",
                                         qid, i, sales_script_clip(buf, sizeof buf, s, 40));
        q->options[q->noptions++] = s;
    }
    return RP_M_OK;
}

static rp_mstatus_t check_bound(sales_question_t *q, const sales_jv_t *v, const char *name,
                                bool *has, double *out, char *err, size_t errlen)
{
    if (v == NULL)
        return RP_M_OK;
    if (q->type != SALES_Q_NUMBER)
        return sales_script_fail(err, errlen, "questions.%s.%s: only a number question has %s",
                                 q->id, name, name);
    if (v->kind != SALES_J_NUMBER)
        return sales_script_fail(err, errlen, "questions.%s.%s: must be a number", q->id, name);
    *has = true;
    *out = v->n;
    return RP_M_OK;
}

/* The answers a branch of q may name, besides "*". */
static bool branch_key_valid(const sales_question_t *q, const char *key)
{
    if (q->type == SALES_Q_YES_NO)
        return strcmp(key, "yes") == 0 || strcmp(key, "no") == 0;
    for (size_t i = 0; i < q->noptions; i++)
        if (strcmp(q->options[i], key) == 0)
            return true;
    return false;
}

static bool has_branch(const sales_question_t *q, const char *answer)
{
    for (size_t i = 0; i < q->nbranches; i++)
        if (strcmp(q->branches[i].answer, answer) == 0)
            return true;
    return false;
}

/* The first pass over next: its shape. Targets are resolved once every
 * question is known (resolve_next). */
static rp_mstatus_t check_next_shape(sales_question_t *q, const sales_jv_t *v, char *err,
                                     size_t errlen)
{
    char buf[80], buf2[80];
    if (v == NULL || v->kind == SALES_J_NULL || v->kind == SALES_J_STRING)
        return RP_M_OK;
    if (v->kind != SALES_J_OBJECT)
        return sales_script_fail(
            err, errlen, "questions.%s.next: must be a question id, an object of branches or null",
            q->id);
    if (q->type != SALES_Q_CHOICE && q->type != SALES_Q_YES_NO)
        return sales_script_fail(
            err, errlen, "questions.%s.next: only choice and yes_no questions branch on the answer",
            q->id);
    if (v->count == 0)
        return sales_script_fail(
            err, errlen, "questions.%s.next: an object of branches must not be empty", q->id);
    for (size_t i = 0; i < v->count; i++) {
        const char *key = v->keys[i];
        if (strcmp(key, "*") != 0 && !branch_key_valid(q, key))
            return sales_script_fail(err, errlen, "questions.%s.next.%s: %s", q->id,
                                     sales_script_clip(buf, sizeof buf, key, 40),
                                     q->type == SALES_Q_YES_NO
                                         ? "a yes_no question branches on yes or no"
                                         : "not an option of this question");
        for (size_t k = 0; k < i; k++)
            if (strcmp(v->keys[k], key) == 0)
                return sales_script_fail(err, errlen, "questions.%s.next.%s: given twice", q->id,
                                         sales_script_clip(buf, sizeof buf, key, 40));
        const sales_jv_t *t = v->items[i];
        if (t->kind != SALES_J_STRING && t->kind != SALES_J_NULL)
            return sales_script_fail(err, errlen,
                                     "questions.%s.next.%s: must be a question id or null", q->id,
                                     sales_script_clip(buf2, sizeof buf2, key, 40));
    }
    q->branches = calloc(v->count, sizeof *q->branches);
    if (q->branches == NULL)
        return RP_M_ENOMEM;
    for (size_t i = 0; i < v->count; i++)
        q->branches[q->nbranches++] = (sales_branch_t){v->keys[i], -1};
    q->branched = true;
    /* Every answer must lead somewhere: a branch per possible answer, or a
     * "*" branch for the others (and for a skipped optional question). */
    if (has_branch(q, "*"))
        return RP_M_OK;
    if (!q->required)
        return sales_script_fail(
            err, errlen,
            "questions.%s.next: an optional question needs a \"*\" branch for when it is "
            "skipped",
            q->id);
    if (q->type == SALES_Q_YES_NO) {
        const char *missing = !has_branch(q, "yes") ? "yes" : !has_branch(q, "no") ? "no" : NULL;
        if (missing != NULL)
            return sales_script_fail(err, errlen,
                                     "questions.%s.next: no branch for %s and no \"*\" branch",
                                     q->id, missing);
        return RP_M_OK;
    }
    for (size_t i = 0; i < q->noptions; i++)
        if (!has_branch(q, q->options[i]))
            return sales_script_fail(
                err, errlen, "questions.%s.next: no branch for option \"%s\" and no \"*\" branch",
                q->id, sales_script_clip(buf, sizeof buf, q->options[i], 40));
    return RP_M_OK;
}

/* Resolves a target name (a string or null) into an index. */
static rp_mstatus_t resolve(const sales_script_t *s, const sales_jv_t *t, int *out, const char *qid,
                            const char *key, char *err, size_t errlen)
{
    char buf[80], kbuf[80];
    *out = -1;
    if (t == NULL || t->kind == SALES_J_NULL)
        return RP_M_OK;
    int i = sales_script_find(s, t->s);
    if (i < 0)
        return sales_script_fail(err, errlen, "questions.%s.next%s%s: no question %s", qid,
                                 key ? "." : "",
                                 key ? sales_script_clip(kbuf, sizeof kbuf, key, 40) : "",
                                 sales_script_clip(buf, sizeof buf, t->s, 40));
    *out = i;
    return RP_M_OK;
}

static rp_mstatus_t resolve_next(sales_script_t *s, sales_question_t *q, const sales_jv_t *v,
                                 char *err, size_t errlen)
{
    if (!q->branched)
        return resolve(s, v, &q->next, q->id, NULL, err, errlen);
    for (size_t i = 0; i < q->nbranches; i++) {
        rp_mstatus_t st =
            resolve(s, v->items[i], &q->branches[i].target, q->id, v->keys[i], err, errlen);
        if (st != RP_M_OK)
            return st;
    }
    return RP_M_OK;
}

enum { WHITE, GREY, BLACK };

/* Depth-first from question i: marks what it reaches and refuses an edge
 * back to a question on the current path (the script would never end). */
static rp_mstatus_t walk(const sales_script_t *s, int i, unsigned char *color, char *err,
                         size_t errlen)
{
    char buf[80];
    const sales_question_t *q = &s->questions[i];
    color[i] = GREY;
    size_t n = q->branched ? q->nbranches : 1;
    for (size_t b = 0; b < n; b++) {
        int t = q->branched ? q->branches[b].target : q->next;
        if (t < 0 || color[t] == BLACK)
            continue;
        if (color[t] == GREY)
            return sales_script_fail(
                err, errlen,
                "questions.%s.next%s%s: leads back to %s, so the script would never end", q->id,
                q->branched ? "." : "",
                q->branched ? sales_script_clip(buf, sizeof buf, q->branches[b].answer, 40) : "",
                s->questions[t].id);
        rp_mstatus_t st = walk(s, t, color, err, errlen);
        if (st != RP_M_OK)
            return st;
    }
    color[i] = BLACK;
    return RP_M_OK;
}

static rp_mstatus_t check_question(sales_question_t *q, const sales_jv_t *v, char *err,
                                   size_t errlen)
{
    if (v->kind != SALES_J_OBJECT)
        return sales_script_fail(err, errlen, "questions.%s: must be an object", q->id);
    char path[96];
    snprintf(path, sizeof path, "questions.%s", q->id);
    rp_mstatus_t st =
        members_known(v, path, QUESTION_MEMBERS,
                      sizeof QUESTION_MEMBERS / sizeof QUESTION_MEMBERS[0], err, errlen);
    if (st != RP_M_OK)
        return st;
    if ((st = text_member(sales_json_member(v, "text"), q->id, "text", true, SALES_SCRIPT_TEXT_MAX,
                          &q->text, err, errlen)) != RP_M_OK ||
        (st = text_member(sales_json_member(v, "help"), q->id, "help", false, SALES_SCRIPT_HELP_MAX,
                          &q->help, err, errlen)) != RP_M_OK)
        return st;
    const sales_jv_t *type = sales_json_member(v, "type");
    if (type == NULL)
        return sales_script_fail(err, errlen, "questions.%s.type: is required", q->id);
    size_t t = 0;
    while (t < 5 && !(type->kind == SALES_J_STRING && strcmp(type->s, TYPE_NAMES[t]) == 0))
        t++;
    if (t == 5)
        return sales_script_fail(
            err, errlen, "questions.%s.type: must be one of choice, yes_no, text, number, date",
            q->id);
    q->type = (sales_qtype_t)t;
    const sales_jv_t *req = sales_json_member(v, "required");
    if (req != NULL && req->kind != SALES_J_BOOL)
        return sales_script_fail(err, errlen, "questions.%s.required: must be true or false",
                                 q->id);
    q->required = req != NULL && req->b;
    if ((st = check_options(q, sales_json_member(v, "options"), err, errlen)) != RP_M_OK ||
        (st = check_bound(q, sales_json_member(v, "min"), "min", &q->has_min, &q->min, err,
                          errlen)) != RP_M_OK ||
        (st = check_bound(q, sales_json_member(v, "max"), "max", &q->has_max, &q->max, err,
                          errlen)) != RP_M_OK)
        return st;
    if (q->has_min && q->has_max && q->max < q->min)
        return sales_script_fail(err, errlen, "questions.%s.max: must not be below min", q->id);
    return check_next_shape(q, sales_json_member(v, "next"), err, errlen);
}

static rp_mstatus_t check_script(sales_script_t *s, char *err, size_t errlen)
{
    static const char *const TOP[] = {"start", "questions"};
    const sales_jv_t *doc = s->doc;
    char buf[80];
    if (doc->kind != SALES_J_OBJECT)
        return sales_script_fail(err, errlen, "must be a JSON object with start and questions");
    rp_mstatus_t st = members_known(doc, "", TOP, 2, err, errlen);
    if (st != RP_M_OK)
        return st;
    const sales_jv_t *qs = sales_json_member(doc, "questions");
    const sales_jv_t *start = sales_json_member(doc, "start");
    if (start == NULL)
        return sales_script_fail(err, errlen, "start: is required");
    if (start->kind != SALES_J_STRING)
        return sales_script_fail(err, errlen, "start: must be a question id");
    if (qs == NULL)
        return sales_script_fail(err, errlen, "questions: is required");
    if (qs->kind != SALES_J_OBJECT)
        return sales_script_fail(err, errlen, "questions: must be an object of questions by id");
    if (qs->count == 0)
        return sales_script_fail(err, errlen, "questions: must hold at least one question");
    if (qs->count > SALES_SCRIPT_MAX_QUESTIONS)
        return sales_script_fail(err, errlen, "questions: at most %d questions (there are %zu)",
                                 SALES_SCRIPT_MAX_QUESTIONS, qs->count);
    s->questions = calloc(qs->count, sizeof *s->questions);
    if (s->questions == NULL)
        return RP_M_ENOMEM;
    for (size_t i = 0; i < qs->count; i++) {
        const char *id = qs->keys[i];
        if (!id_valid(id))
            return sales_script_fail(
                err, errlen,
                "questions: \"%s\" is not a question id (1 to %d letters, digits, '_' or "
                "'-')",
                sales_script_clip(buf, sizeof buf, id, 40), SALES_SCRIPT_ID_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp(qs->keys[k], id) == 0)
                return sales_script_fail(err, errlen, "questions.%s: given twice", id);
        s->questions[i].id = id;
        s->questions[i].next = -1;
        s->count++;
        if ((st = check_question(&s->questions[i], qs->items[i], err, errlen)) != RP_M_OK)
            return st;
    }
    for (size_t i = 0; i < s->count; i++) {
        const sales_jv_t *next = sales_json_member(qs->items[i], "next");
        if ((st = resolve_next(s, &s->questions[i], next, err, errlen)) != RP_M_OK)
            return st;
    }
    if ((s->start = sales_script_find(s, start->s)) < 0)
        return sales_script_fail(err, errlen, "start: no question %s",
                                 sales_script_clip(buf, sizeof buf, start->s, 40));
    unsigned char color[SALES_SCRIPT_MAX_QUESTIONS] = {0};
    if ((st = walk(s, s->start, color, err, errlen)) != RP_M_OK)
        return st;
    for (size_t i = 0; i < s->count; i++)
        if (color[i] == WHITE)
            return sales_script_fail(err, errlen,
                                     "questions.%s: cannot be reached from the start question %s",
                                     s->questions[i].id, s->questions[s->start].id);
    return RP_M_OK;
}

rp_mstatus_t sales_script_parse(const char *text, size_t len, sales_script_t **out, char *err,
                                size_t errlen)
{
    *out = NULL;
    sales_script_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RP_M_ENOMEM;
    char jerr[SALES_SCRIPT_ERR_MAX];
    rp_mstatus_t st = sales_json_read(text, len, &s->doc, jerr, sizeof jerr);
    if (st == RP_M_EINVAL)
        st = sales_script_fail(err, errlen, "not valid JSON: %s", jerr);
    if (st == RP_M_OK)
        st = check_script(s, err, errlen);
    if (st != RP_M_OK) {
        sales_script_free(s);
        return st;
    }
    *out = s;
    return RP_M_OK;
}

void sales_script_free(sales_script_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->questions[i].options);
        free(s->questions[i].branches);
    }
    free(s->questions);
    sales_json_free(s->doc);
    free(s);
}

int sales_script_find(const sales_script_t *s, const char *id)
{
    if (s == NULL || id == NULL)
        return -1;
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->questions[i].id, id) == 0)
            return (int)i;
    return -1;
}
