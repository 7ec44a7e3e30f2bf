/* Call script trees: a strict JSON reader (the host API cannot list an
 * object's members), the checks that make a tree a script that always ends,
 * and the answer checks that walk it. Pure: no host calls. */

#include "script_tree.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

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

static rp_mstatus_t fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rp_mstatus_t fail(char *err, size_t errlen, const char *fmt, ...)
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

/* The number of characters (code points) of valid UTF-8 s. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- the JSON reader ---------------------------------------------------- */

typedef struct reader {
    const char *start, *p, *end;
    int depth;
    char *err;
    size_t errlen;
} reader_t;

static rp_mstatus_t rfail(reader_t *r, const char *what)
{
    int line = 1, col = 1;
    for (const char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    return fail(r->err, r->errlen, "%s at line %d, column %d", what, line, col);
}

static void skip_ws(reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static rp_mstatus_t read_value(reader_t *r, sales_jv_t **out);

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_hex4(reader_t *r, unsigned *cp)
{
    if (r->end - r->p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(r->p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    r->p += 4;
    *cp = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The length of the valid UTF-8 sequence at p (at most avail bytes), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* Reads the string at r->p (on its opening quote) into a new buffer. */
static rp_mstatus_t read_string(reader_t *r, char **out)
{
    *out = NULL;
    const char *q = ++r->p;
    /* Escapes only shrink text, so the raw length bounds the result. */
    while (q < r->end && *q != '"') {
        if (*q == '\\' && q + 1 < r->end)
            q++;
        q++;
    }
    if (q >= r->end) {
        r->p--; /* point at the opening quote */
        return rfail(r, "unterminated string");
    }
    char *buf = malloc((size_t)(q - r->p) + 1);
    if (buf == NULL)
        return RP_M_ENOMEM;
    size_t n = 0;
    while (*r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) {
            free(buf);
            return rfail(r, "control character in a string");
        }
        if (c != '\\') {
            size_t len = utf8_seq((const unsigned char *)r->p, (size_t)(r->end - r->p));
            if (len == 0) {
                free(buf);
                return rfail(r, "invalid UTF-8 in a string");
            }
            memcpy(buf + n, r->p, len);
            n += len;
            r->p += len;
            continue;
        }
        const char *esc = r->p; /* errors point at the backslash */
        r->p++;
        char e = *r->p++;
        static const char names[] = "\"\\/bfnrt", values[] = "\"\\/\b\f\n\r\t";
        const char *simple = e != '\0' ? strchr(names, e) : NULL;
        if (simple != NULL) {
            buf[n++] = values[simple - names];
            continue;
        }
        unsigned cp = 0, lo = 0;
        if (e != 'u' || !read_hex4(r, &cp)) {
            free(buf);
            r->p = esc;
            return rfail(r, "invalid escape in a string");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') {
                free(buf);
                r->p = esc;
                return rfail(r, "unpaired surrogate in a string");
            }
            r->p += 2;
            if (!read_hex4(r, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                free(buf);
                r->p = esc;
                return rfail(r, "unpaired surrogate in a string");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            free(buf);
            r->p = esc;
            return rfail(r, cp == 0 ? "\\u0000 in a string" : "unpaired surrogate in a string");
        }
        n += put_utf8(buf + n, cp);
    }
    r->p++;
    buf[n] = '\0';
    *out = buf;
    return RP_M_OK;
}

static rp_mstatus_t read_number(reader_t *r, double *out)
{
    const char *s = r->p;
    const char *q = s;
    if (q < r->end && *q == '-')
        q++;
    if (q < r->end && *q == '0') {
        q++;
    } else if (q < r->end && *q >= '1' && *q <= '9') {
        while (q < r->end && isdigit((unsigned char)*q))
            q++;
    } else {
        return rfail(r, "invalid number");
    }
    if (q < r->end && *q == '.') {
        q++;
        if (q >= r->end || !isdigit((unsigned char)*q))
            return rfail(r, "invalid number");
        while (q < r->end && isdigit((unsigned char)*q))
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || !isdigit((unsigned char)*q))
            return rfail(r, "invalid number");
        while (q < r->end && isdigit((unsigned char)*q))
            q++;
    }
    char buf[64];
    if ((size_t)(q - s) >= sizeof buf)
        return rfail(r, "number too long");
    memcpy(buf, s, (size_t)(q - s));
    buf[q - s] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return rfail(r, "number out of range");
    r->p = q;
    *out = v;
    return RP_M_OK;
}

/* Appends (key, v) to container c, growing its arrays. */
static rp_mstatus_t append(sales_jv_t *c, size_t *cap, char *key, sales_jv_t *v)
{
    if (c->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        sales_jv_t **items = realloc(c->items, ncap * sizeof *items);
        if (items == NULL)
            return RP_M_ENOMEM;
        c->items = items;
        if (c->kind == SALES_J_OBJECT) {
            char **keys = realloc(c->keys, ncap * sizeof *keys);
            if (keys == NULL)
                return RP_M_ENOMEM;
            c->keys = keys;
        }
        *cap = ncap;
    }
    if (c->kind == SALES_J_OBJECT)
        c->keys[c->count] = key;
    c->items[c->count++] = v;
    return RP_M_OK;
}

static rp_mstatus_t read_container(reader_t *r, sales_jv_t *c)
{
    bool object = c->kind == SALES_J_OBJECT;
    char close = object ? '}' : ']';
    size_t cap = 0;
    if (++r->depth > MAX_DEPTH)
        return rfail(r, "nesting deeper than 32 levels");
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return RP_M_OK;
    }
    for (;;) {
        char *key = NULL;
        sales_jv_t *v = NULL;
        rp_mstatus_t st;
        skip_ws(r);
        if (r->p >= r->end)
            return rfail(r, "unexpected end of text");
        if (object) {
            if (*r->p != '"')
                return rfail(r, "expected a member name");
            if ((st = read_string(r, &key)) != RP_M_OK)
                return st;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                return rfail(r, "expected ':'");
            }
            r->p++;
        }
        if ((st = read_value(r, &v)) != RP_M_OK) {
            free(key);
            return st;
        }
        if ((st = append(c, &cap, key, v)) != RP_M_OK) {
            free(key);
            sales_json_free(v);
            return st;
        }
        skip_ws(r);
        if (r->p >= r->end)
            return rfail(r, "unexpected end of text");
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            r->depth--;
            return RP_M_OK;
        }
        return rfail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool literal(reader_t *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static rp_mstatus_t read_value(reader_t *r, sales_jv_t **out)
{
    *out = NULL;
    skip_ws(r);
    if (r->p >= r->end)
        return rfail(r, "unexpected end of text");
    sales_jv_t *v = calloc(1, sizeof *v);
    if (v == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = RP_M_OK;
    char c = *r->p;
    if (c == '{' || c == '[') {
        v->kind = c == '{' ? SALES_J_OBJECT : SALES_J_ARRAY;
        st = read_container(r, v);
    } else if (c == '"') {
        v->kind = SALES_J_STRING;
        st = read_string(r, &v->s);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v->kind = SALES_J_NUMBER;
        st = read_number(r, &v->n);
    } else if (literal(r, "true")) {
        v->kind = SALES_J_BOOL;
        v->b = true;
    } else if (literal(r, "false")) {
        v->kind = SALES_J_BOOL;
    } else if (literal(r, "null")) {
        v->kind = SALES_J_NULL;
    } else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F) {
        char what[40];
        snprintf(what, sizeof what, "unexpected character '%c'", c);
        st = rfail(r, what);
    } else {
        st = rfail(r, "unexpected character");
    }
    if (st != RP_M_OK) {
        sales_json_free(v);
        return st;
    }
    *out = v;
    return RP_M_OK;
}

rp_mstatus_t sales_json_read(const char *text, size_t len, sales_jv_t **out, char *err,
                             size_t errlen)
{
    *out = NULL;
    if (text == NULL)
        return fail(err, errlen, "no text");
    reader_t r = {.start = text, .p = text, .end = text + len, .err = err, .errlen = errlen};
    sales_jv_t *v = NULL;
    rp_mstatus_t st = read_value(&r, &v);
    if (st != RP_M_OK)
        return st;
    skip_ws(&r);
    if (r.p != r.end) {
        sales_json_free(v);
        return rfail(&r, "unexpected text after the document");
    }
    *out = v;
    return RP_M_OK;
}

void sales_json_free(sales_jv_t *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->count; i++) {
        if (v->keys != NULL)
            free(v->keys[i]);
        sales_json_free(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->s);
    free(v);
}

const sales_jv_t *sales_json_member(const sales_jv_t *obj, const char *key)
{
    if (obj == NULL || obj->kind != SALES_J_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
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
            return fail(err, errlen, "%s%s%s: unknown member", path, path[0] ? "." : "",
                        sales_script_clip(buf, sizeof buf, obj->keys[i], 40));
    }
    for (size_t k = 0; k < nknown; k++) {
        int seen = 0;
        for (size_t i = 0; i < obj->count; i++)
            seen += strcmp(known[k], obj->keys[i]) == 0;
        if (seen > 1)
            return fail(err, errlen, "%s%s%s: given twice", path, path[0] ? "." : "", known[k]);
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
            return fail(err, errlen, "questions.%s.%s: is required", qid, name);
        return RP_M_OK;
    }
    if (v->kind != SALES_J_STRING)
        return fail(err, errlen, "questions.%s.%s: must be a string", qid, name);
    const char *s = v->s;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return fail(err, errlen, "questions.%s.%s: must not be empty", qid, name);
    if (chars(v->s) > max)
        return fail(err, errlen, "questions.%s.%s: at most %zu characters", qid, name, max);
    *out = v->s;
    return RP_M_OK;
}

static rp_mstatus_t check_options(sales_question_t *q, const sales_jv_t *v, char *err,
                                  size_t errlen)
{
    const char *qid = q->id;
    if (v == NULL) {
        if (q->type == SALES_Q_CHOICE)
            return fail(err, errlen, "questions.%s.options: is required for a choice question",
                        qid);
        return RP_M_OK;
    }
    if (q->type != SALES_Q_CHOICE)
        return fail(err, errlen, "questions.%s.options: only a choice question has options", qid);
    if (v->kind != SALES_J_ARRAY || v->count == 0 || v->count > SALES_SCRIPT_MAX_OPTIONS)
        return fail(err, errlen, "questions.%s.options: must be an array of 1 to %d options", qid,
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
        if (o->kind != SALES_J_STRING || *t == '\0' || chars(s) > SALES_SCRIPT_OPTION_MAX)
            return fail(err, errlen,
                        "questions.%s.options.%zu: must be a non-empty string of at most %d "
                        "characters",
                        qid, i, SALES_SCRIPT_OPTION_MAX);
        if (strcmp(s, "*") == 0)
            return fail(err, errlen,
                        "questions.%s.options.%zu: \"*\" is kept for the branch taken by any "
                        "other answer",
                        qid, i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(q->options[k], s) == 0)
                return fail(err, errlen, "questions.%s.options.%zu: repeats \"%s\"", qid, i,
                            sales_script_clip(buf, sizeof buf, s, 40));
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
        return fail(err, errlen, "questions.%s.%s: only a number question has %s", q->id, name,
                    name);
    if (v->kind != SALES_J_NUMBER)
        return fail(err, errlen, "questions.%s.%s: must be a number", q->id, name);
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
        return fail(err, errlen,
                    "questions.%s.next: must be a question id, an object of branches or null",
                    q->id);
    if (q->type != SALES_Q_CHOICE && q->type != SALES_Q_YES_NO)
        return fail(err, errlen,
                    "questions.%s.next: only choice and yes_no questions branch on the answer",
                    q->id);
    if (v->count == 0)
        return fail(err, errlen, "questions.%s.next: an object of branches must not be empty",
                    q->id);
    for (size_t i = 0; i < v->count; i++) {
        const char *key = v->keys[i];
        if (strcmp(key, "*") != 0 && !branch_key_valid(q, key))
            return fail(err, errlen, "questions.%s.next.%s: %s", q->id,
                        sales_script_clip(buf, sizeof buf, key, 40),
                        q->type == SALES_Q_YES_NO ? "a yes_no question branches on yes or no"
                                                  : "not an option of this question");
        for (size_t k = 0; k < i; k++)
            if (strcmp(v->keys[k], key) == 0)
                return fail(err, errlen, "questions.%s.next.%s: given twice", q->id,
                            sales_script_clip(buf, sizeof buf, key, 40));
        const sales_jv_t *t = v->items[i];
        if (t->kind != SALES_J_STRING && t->kind != SALES_J_NULL)
            return fail(err, errlen, "questions.%s.next.%s: must be a question id or null", q->id,
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
        return fail(err, errlen,
                    "questions.%s.next: an optional question needs a \"*\" branch for when it is "
                    "skipped",
                    q->id);
    if (q->type == SALES_Q_YES_NO) {
        const char *missing = !has_branch(q, "yes") ? "yes" : !has_branch(q, "no") ? "no" : NULL;
        if (missing != NULL)
            return fail(err, errlen, "questions.%s.next: no branch for %s and no \"*\" branch",
                        q->id, missing);
        return RP_M_OK;
    }
    for (size_t i = 0; i < q->noptions; i++)
        if (!has_branch(q, q->options[i]))
            return fail(err, errlen,
                        "questions.%s.next: no branch for option \"%s\" and no \"*\" branch", q->id,
                        sales_script_clip(buf, sizeof buf, q->options[i], 40));
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
        return fail(err, errlen, "questions.%s.next%s%s: no question %s", qid, key ? "." : "",
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
            return fail(err, errlen,
                        "questions.%s.next%s%s: leads back to %s, so the script would never end",
                        q->id, q->branched ? "." : "",
                        q->branched ? sales_script_clip(buf, sizeof buf, q->branches[b].answer, 40)
                                    : "",
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
        return fail(err, errlen, "questions.%s: must be an object", q->id);
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
        return fail(err, errlen, "questions.%s.type: is required", q->id);
    size_t t = 0;
    while (t < 5 && !(type->kind == SALES_J_STRING && strcmp(type->s, TYPE_NAMES[t]) == 0))
        t++;
    if (t == 5)
        return fail(err, errlen,
                    "questions.%s.type: must be one of choice, yes_no, text, number, date", q->id);
    q->type = (sales_qtype_t)t;
    const sales_jv_t *req = sales_json_member(v, "required");
    if (req != NULL && req->kind != SALES_J_BOOL)
        return fail(err, errlen, "questions.%s.required: must be true or false", q->id);
    q->required = req != NULL && req->b;
    if ((st = check_options(q, sales_json_member(v, "options"), err, errlen)) != RP_M_OK ||
        (st = check_bound(q, sales_json_member(v, "min"), "min", &q->has_min, &q->min, err,
                          errlen)) != RP_M_OK ||
        (st = check_bound(q, sales_json_member(v, "max"), "max", &q->has_max, &q->max, err,
                          errlen)) != RP_M_OK)
        return st;
    if (q->has_min && q->has_max && q->max < q->min)
        return fail(err, errlen, "questions.%s.max: must not be below min", q->id);
    return check_next_shape(q, sales_json_member(v, "next"), err, errlen);
}

static rp_mstatus_t check_script(sales_script_t *s, char *err, size_t errlen)
{
    static const char *const TOP[] = {"start", "questions"};
    const sales_jv_t *doc = s->doc;
    char buf[80];
    if (doc->kind != SALES_J_OBJECT)
        return fail(err, errlen, "must be a JSON object with start and questions");
    rp_mstatus_t st = members_known(doc, "", TOP, 2, err, errlen);
    if (st != RP_M_OK)
        return st;
    const sales_jv_t *qs = sales_json_member(doc, "questions");
    const sales_jv_t *start = sales_json_member(doc, "start");
    if (start == NULL)
        return fail(err, errlen, "start: is required");
    if (start->kind != SALES_J_STRING)
        return fail(err, errlen, "start: must be a question id");
    if (qs == NULL)
        return fail(err, errlen, "questions: is required");
    if (qs->kind != SALES_J_OBJECT)
        return fail(err, errlen, "questions: must be an object of questions by id");
    if (qs->count == 0)
        return fail(err, errlen, "questions: must hold at least one question");
    if (qs->count > SALES_SCRIPT_MAX_QUESTIONS)
        return fail(err, errlen, "questions: at most %d questions (there are %zu)",
                    SALES_SCRIPT_MAX_QUESTIONS, qs->count);
    s->questions = calloc(qs->count, sizeof *s->questions);
    if (s->questions == NULL)
        return RP_M_ENOMEM;
    for (size_t i = 0; i < qs->count; i++) {
        const char *id = qs->keys[i];
        if (!id_valid(id))
            return fail(err, errlen,
                        "questions: \"%s\" is not a question id (1 to %d letters, digits, '_' or "
                        "'-')",
                        sales_script_clip(buf, sizeof buf, id, 40), SALES_SCRIPT_ID_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp(qs->keys[k], id) == 0)
                return fail(err, errlen, "questions.%s: given twice", id);
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
        return fail(err, errlen, "start: no question %s",
                    sales_script_clip(buf, sizeof buf, start->s, 40));
    unsigned char color[SALES_SCRIPT_MAX_QUESTIONS] = {0};
    if ((st = walk(s, s->start, color, err, errlen)) != RP_M_OK)
        return st;
    for (size_t i = 0; i < s->count; i++)
        if (color[i] == WHITE)
            return fail(err, errlen, "questions.%s: cannot be reached from the start question %s",
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
        st = fail(err, errlen, "not valid JSON: %s", jerr);
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

/* ---- walking: one answer ------------------------------------------------ */

bool sales_script_date_valid(const char *s)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* A number written as a JSON number ("-12.5", "3", "1e3"), as people type
 * them into a field. */
static bool number_text(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return false;
    /* strtod also reads hex, "inf" and "nan": only plain decimal notation. */
    for (const char *c = s; c < end; c++)
        if (!isdigit((unsigned char)*c) && !strchr("+-.eE \t\r\n", *c))
            return false;
    *out = v;
    return true;
}

/* ASCII case-insensitive equality. */
static bool same_text(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

static rp_mstatus_t one_of(const sales_question_t *q, char *err, size_t errlen)
{
    char list[SALES_SCRIPT_ERR_MAX], buf[80];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < q->noptions && n + 8 < sizeof list; i++) {
        int w = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "",
                         sales_script_clip(buf, sizeof buf, q->options[i], 40));
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return fail(err, errlen, "must be one of: %s", list);
}

static rp_mstatus_t check_value(const sales_question_t *q, const sales_answer_t *in,
                                sales_answer_t *out, char *err, size_t errlen)
{
    switch (q->type) {
    case SALES_Q_CHOICE:
        if (in->kind != SALES_A_STRING)
            return one_of(q, err, errlen);
        for (size_t i = 0; i < q->noptions; i++)
            if (strcmp(q->options[i], in->s) == 0) {
                *out = (sales_answer_t){.kind = SALES_A_STRING, .s = q->options[i]};
                return RP_M_OK;
            }
        /* Agents type answers too: "blue" is the option "Blue". */
        for (size_t i = 0; i < q->noptions; i++)
            if (same_text(q->options[i], in->s)) {
                *out = (sales_answer_t){.kind = SALES_A_STRING, .s = q->options[i]};
                return RP_M_OK;
            }
        return one_of(q, err, errlen);
    case SALES_Q_YES_NO:
        if (in->kind == SALES_A_BOOL) {
            *out = (sales_answer_t){.kind = SALES_A_STRING, .s = in->b ? "yes" : "no"};
            return RP_M_OK;
        }
        if (in->kind == SALES_A_STRING && (same_text(in->s, "yes") || same_text(in->s, "no"))) {
            *out = (sales_answer_t){.kind = SALES_A_STRING,
                                    .s = same_text(in->s, "yes") ? "yes" : "no"};
            return RP_M_OK;
        }
        return fail(err, errlen, "must be yes or no (or true or false)");
    case SALES_Q_TEXT:
        if (in->kind != SALES_A_STRING)
            return fail(err, errlen, "must be text");
        if (chars(in->s) > SALES_SCRIPT_ANSWER_MAX)
            return fail(err, errlen, "at most %d characters", SALES_SCRIPT_ANSWER_MAX);
        *out = (sales_answer_t){.kind = SALES_A_STRING, .s = in->s};
        return RP_M_OK;
    case SALES_Q_NUMBER: {
        double v = 0;
        if (in->kind == SALES_A_NUMBER && isfinite(in->n))
            v = in->n;
        else if (in->kind != SALES_A_STRING || !number_text(in->s, &v))
            return fail(err, errlen, "must be a number");
        if (q->has_min && v < q->min)
            return fail(err, errlen, "must be at least %.15g", q->min);
        if (q->has_max && v > q->max)
            return fail(err, errlen, "must be at most %.15g", q->max);
        *out = (sales_answer_t){.kind = SALES_A_NUMBER, .n = v};
        return RP_M_OK;
    }
    case SALES_Q_DATE:
        if (in->kind != SALES_A_STRING || !sales_script_date_valid(in->s))
            return fail(err, errlen, "must be a date written YYYY-MM-DD");
        *out = (sales_answer_t){.kind = SALES_A_STRING, .s = in->s};
        return RP_M_OK;
    }
    return fail(err, errlen, "unknown question type");
}

rp_mstatus_t sales_script_answer(const sales_script_t *s, int q, const sales_answer_t *in,
                                 sales_answer_t *out, int *next, char *err, size_t errlen)
{
    *out = (sales_answer_t){.kind = SALES_A_NONE};
    *next = -1;
    if (s == NULL || q < 0 || (size_t)q >= s->count || in == NULL)
        return fail(err, errlen, "no such question");
    const sales_question_t *qq = &s->questions[q];
    bool none = in->kind == SALES_A_NONE || (in->kind == SALES_A_STRING && blank(in->s));
    if (none && qq->required)
        return fail(err, errlen, "is required");
    if (!none) {
        rp_mstatus_t st = check_value(qq, in, out, err, errlen);
        if (st != RP_M_OK)
            return st;
    }
    if (!qq->branched) {
        *next = qq->next;
        return RP_M_OK;
    }
    const char *key = out->kind == SALES_A_STRING ? out->s : "*";
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < qq->nbranches; i++)
            if (strcmp(qq->branches[i].answer, key) == 0) {
                *next = qq->branches[i].target;
                return RP_M_OK;
            }
        key = "*";
    }
    /* The checks guarantee a branch for every answer. */
    return fail(err, errlen, "no branch for this answer");
}
