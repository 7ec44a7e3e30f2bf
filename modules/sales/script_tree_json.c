/* A strict JSON reader for call script trees. The host parser would read
 * them too, but it neither says where a text goes wrong nor refuses a
 * member given twice (it keeps the last): a script's author needs both, as
 * "unexpected character 'x' at line 3, column 7" and "questions.q1: given
 * twice". Pure: no host calls. */

#include "script_tree_internal.h"
#include "script_tree_json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

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
    return sales_script_fail(r->err, r->errlen, "%s at line %d, column %d", what, line, col);
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
        return sales_script_fail(err, errlen, "no text");
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
