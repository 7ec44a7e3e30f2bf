#include "records/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW (64u << 10)

static rp_status_t init_common(rp_csv_reader_t *r, size_t field_max, int columns_max)
{
    r->line = 1;
    r->field_max = field_max ? field_max : RP_CSV_FIELD_MAX_DEFAULT;
    r->columns_max = columns_max > 0 ? columns_max : RP_CSV_COLUMNS_MAX_DEFAULT;
    r->starts = malloc((size_t)r->columns_max * sizeof *r->starts);
    r->lens = malloc((size_t)r->columns_max * sizeof *r->lens);
    if (r->starts == NULL || r->lens == NULL) {
        rp_csv_reader_free(r);
        return RP_ENOMEM;
    }
    return RP_OK;
}

rp_status_t rp_csv_reader_init_mem(rp_csv_reader_t *r, const char *data, size_t len,
                                   size_t field_max, int columns_max)
{
    memset(r, 0, sizeof *r);
    r->mem = data ? data : "";
    r->mem_len = data ? len : 0;
    /* The whole input is one window: nothing to copy. */
    r->cur = r->mem;
    r->end = r->mem + r->mem_len;
    r->eof = true;
    return init_common(r, field_max, columns_max);
}

rp_status_t rp_csv_reader_init(rp_csv_reader_t *r, rp_csv_read_fn read, void *arg, size_t field_max,
                               int columns_max)
{
    memset(r, 0, sizeof *r);
    r->read = read;
    r->arg = arg;
    r->in_cap = WINDOW;
    r->in = malloc(r->in_cap);
    if (r->in == NULL)
        return RP_ENOMEM;
    r->cur = r->end = r->in;
    return init_common(r, field_max, columns_max);
}

void rp_csv_reader_free(rp_csv_reader_t *r)
{
    free(r->in);
    free(r->starts);
    free(r->lens);
    rp_buf_free(&r->text);
    r->in = NULL;
    r->starts = NULL;
    r->lens = NULL;
}

static rp_status_t fail(rp_csv_reader_t *r, rp_status_t st, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static rp_status_t fail(rp_csv_reader_t *r, rp_status_t st, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    r->error_line = line;
    /* Finished: later calls see the end of the input. */
    r->eof = true;
    r->cur = r->end;
    return st;
}

/* Makes unread input available; false at the end. -1 when the source
 * failed. */
static int refill(rp_csv_reader_t *r)
{
    if (r->cur < r->end)
        return 1;
    if (r->eof)
        return 0;
    long n = r->read(r->arg, r->in, r->in_cap);
    if (n < 0)
        return -1;
    if (n == 0) {
        r->eof = true;
        return 0;
    }
    r->cur = r->in;
    r->end = r->in + n;
    return 1;
}

/* Ends the field being built: NUL-terminates it and records its length. */
static rp_status_t end_field(rp_csv_reader_t *r, size_t start)
{
    if (r->nfields >= r->columns_max)
        return fail(r, RP_ELIMIT, r->record_line, "a record has more than %d fields",
                    r->columns_max);
    r->starts[r->nfields] = start;
    r->lens[r->nfields] = r->text.len - start;
    r->nfields++;
    return rp_buf_append(&r->text, "", 1);
}

enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED };

rp_status_t rp_csv_next(rp_csv_reader_t *r)
{
    r->nfields = 0;
    rp_buf_reset(&r->text);
    int state = FIELD_START;
    size_t start = 0;
    long quote_line = 0;
    bool any = false; /* the record has a byte other than its terminator */
    rp_status_t st;
    for (;;) {
        int more = refill(r);
        if (more < 0)
            return fail(r, RP_EIO, r->line, "the input could not be read");
        if (!r->started && more > 0) {
            /* The byte-order mark may be split across blocks only with a
             * pathological source; a memory source never splits it. */
            r->started = true;
            if (r->end - r->cur >= 3 && memcmp(r->cur, "\xEF\xBB\xBF", 3) == 0)
                r->cur += 3;
            continue;
        }
        if (more == 0) {
            if (state == QUOTED)
                return fail(r, RP_EINVAL, quote_line,
                            "a quoted field is never closed (it opens on line %ld)", quote_line);
            if (!any)
                return RP_ENOTFOUND;
            return end_field(r, start);
        }
        if (!any) {
            r->record_line = r->line;
            start = 0;
        }
        char c = *r->cur;
        switch (state) {
        case FIELD_START:
        case UNQUOTED:
            if (c == '"' && state == FIELD_START) {
                state = QUOTED;
                quote_line = r->line;
                any = true;
                r->cur++;
                continue;
            }
            if (c == ',') {
                any = true;
                r->cur++;
                if ((st = end_field(r, start)) != RP_OK)
                    return st;
                start = r->text.len;
                state = FIELD_START;
                continue;
            }
            if (c == '\n' || c == '\r') {
                r->cur++;
                if (c == '\r' && refill(r) > 0 && *r->cur == '\n')
                    r->cur++;
                r->line++;
                if (!any)
                    continue; /* an empty line */
                return end_field(r, start);
            }
            if (c == '"')
                return fail(r, RP_EINVAL, r->line,
                            "a quote appears inside an unquoted field (field %d); quote the "
                            "field and double the quote",
                            r->nfields + 1);
            {
                /* The run of plain bytes up to the next special one. */
                const char *p = r->cur;
                while (p < r->end && *p != ',' && *p != '"' && *p != '\n' && *p != '\r')
                    p++;
                size_t n = (size_t)(p - r->cur);
                if (r->text.len - start + n > r->field_max)
                    return fail(r, RP_ELIMIT, r->line, "a field is longer than %zu bytes",
                                r->field_max);
                if (rp_buf_append(&r->text, r->cur, n) != RP_OK)
                    return RP_ENOMEM;
                r->cur = p;
                state = UNQUOTED;
                any = true;
            }
            continue;
        case QUOTED: {
            const char *p = r->cur;
            while (p < r->end && *p != '"' && *p != '\n')
                p++;
            size_t n = (size_t)(p - r->cur);
            if (p < r->end && *p == '\n') {
                n++;
                r->line++;
                p++;
            } else if (p < r->end) {
                p++; /* the quote: closing, or the first of a doubled one */
                state = QUOTE_IN_QUOTED;
            }
            if (r->text.len - start + n > r->field_max)
                return fail(r, RP_ELIMIT, quote_line, "a field is longer than %zu bytes",
                            r->field_max);
            if (rp_buf_append(&r->text, r->cur, n) != RP_OK)
                return RP_ENOMEM;
            r->cur = p;
            continue;
        }
        case QUOTE_IN_QUOTED:
            if (c == '"') {
                if (r->text.len - start + 1 > r->field_max)
                    return fail(r, RP_ELIMIT, quote_line, "a field is longer than %zu bytes",
                                r->field_max);
                if (rp_buf_append(&r->text, "\"", 1) != RP_OK)
                    return RP_ENOMEM;
                r->cur++;
                state = QUOTED;
                continue;
            }
            if (c == ',' || c == '\n' || c == '\r') {
                state = UNQUOTED; /* handled as the end of a field above */
                continue;
            }
            return fail(r, RP_EINVAL, r->line,
                        "text follows the closing quote of field %d; double a quote inside a "
                        "quoted field",
                        r->nfields + 1);
        }
    }
}

int rp_csv_nfields(const rp_csv_reader_t *r)
{
    return r->nfields;
}

const char *rp_csv_field(const rp_csv_reader_t *r, int i)
{
    return i >= 0 && i < r->nfields ? r->text.data + r->starts[i] : "";
}

size_t rp_csv_field_len(const rp_csv_reader_t *r, int i)
{
    return i >= 0 && i < r->nfields ? r->lens[i] : 0;
}

long rp_csv_line(const rp_csv_reader_t *r)
{
    return r->record_line;
}

const char *rp_csv_error(const rp_csv_reader_t *r)
{
    return r->error;
}

long rp_csv_error_line(const rp_csv_reader_t *r)
{
    return r->error_line;
}

static bool formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

bool rp_csv_formula_escape(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == '\'')
        i++;
    return i < len && formula_start(s[i]);
}

size_t rp_csv_formula_unescape(const char *s, size_t len)
{
    return len > 1 && s[0] == '\'' && rp_csv_formula_escape(s + 1, len - 1) ? 1 : 0;
}

rp_status_t rp_csv_put(rp_buf_t *out, const char *s, size_t len, unsigned flags)
{
    bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; !quote && i < len; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    bool escape = (flags & RP_CSV_TEXT) && rp_csv_formula_escape(s, len);
    if (!quote && !escape)
        return rp_buf_append(out, s, len);
    if (quote && rp_buf_append(out, "\"", 1) != RP_OK)
        return RP_ENOMEM;
    if (escape && rp_buf_append(out, "'", 1) != RP_OK)
        return RP_ENOMEM;
    size_t from = 0;
    for (size_t i = 0; quote && i < len; i++) {
        if (s[i] != '"')
            continue;
        /* The quote is written twice: once with the run before it, once
         * more on its own. */
        if (rp_buf_append(out, s + from, i + 1 - from) != RP_OK ||
            rp_buf_append(out, "\"", 1) != RP_OK)
            return RP_ENOMEM;
        from = i + 1;
    }
    if (rp_buf_append(out, s + from, len - from) != RP_OK)
        return RP_ENOMEM;
    return quote ? rp_buf_append(out, "\"", 1) : RP_OK;
}

rp_status_t rp_csv_sep(rp_buf_t *out)
{
    return rp_buf_append(out, ",", 1);
}

rp_status_t rp_csv_eol(rp_buf_t *out)
{
    return rp_buf_append(out, "\r\n", 2);
}
