#ifndef RP_RECORDS_CSV_H
#define RP_RECORDS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

/* RFC 4180 CSV, read and written incrementally. Pure C: no database, no
 * HTTP. The reader pulls its input block by block from a source and hands
 * out one record at a time; the fields of a record live in one buffer that
 * is reused for the next record, so reading a file of any length costs the
 * size of its longest record. */

/* Defaults of the reader's limits. */
#define RP_CSV_FIELD_MAX_DEFAULT (1u << 20) /* bytes in one field */
#define RP_CSV_COLUMNS_MAX_DEFAULT 512      /* fields in one record */

/* Gives up to cap bytes of input into buf; returns how many (0 at the end),
 * or -1 when the input cannot be read. */
typedef long (*rp_csv_read_fn)(void *arg, char *buf, size_t cap);

/* A reader. Fill it with rp_csv_reader_init*, release it with
 * rp_csv_reader_free; every member is private except through the calls
 * below. */
typedef struct rp_csv_reader {
    rp_csv_read_fn read;
    void *arg;
    const char *mem; /* memory source: the whole input */
    size_t mem_len;
    size_t mem_pos;
    char *in; /* input window of a callback source */
    size_t in_cap;
    const char *cur; /* unread input */
    const char *end;
    bool eof;
    bool started; /* the byte-order mark has been looked at */
    long line;    /* physical line of the next byte, from 1 */
    size_t field_max;
    int columns_max;
    rp_buf_t text;  /* the current record's fields, each NUL-terminated */
    size_t *starts; /* offset of each field in text */
    size_t *lens;
    int nfields;
    long record_line; /* the line the current record starts on */
    char error[160];
    long error_line;
} rp_csv_reader_t;

/* Prepares a reader over len bytes at data, which must stay valid while
 * the reader is used. field_max and columns_max of 0 take the defaults.
 * RP_ENOMEM. */
rp_status_t rp_csv_reader_init_mem(rp_csv_reader_t *r, const char *data, size_t len,
                                   size_t field_max, int columns_max);

/* Prepares a reader that pulls its input from read(arg, ...) in blocks of
 * up to 64 KiB. RP_ENOMEM. */
rp_status_t rp_csv_reader_init(rp_csv_reader_t *r, rp_csv_read_fn read, void *arg, size_t field_max,
                               int columns_max);

/* Releases what the reader holds; safe on a zeroed reader. */
void rp_csv_reader_free(rp_csv_reader_t *r);

/* Reads the next record: RP_OK with its fields available through
 * rp_csv_nfields / rp_csv_field / rp_csv_field_len and its first line
 * through rp_csv_line; RP_ENOTFOUND at the end of the input. Lines that are
 * entirely empty are skipped; a UTF-8 byte-order mark at the very start is
 * dropped; records end with CRLF, LF or a lone CR. On malformed input
 * (a quote that is never closed, a quote inside an unquoted field, text
 * after a closing quote) returns RP_EINVAL, on a field or record over the
 * limits RP_ELIMIT, when the source fails RP_EIO; rp_csv_error then says
 * what and rp_csv_error_line where. The reader is finished after an error. */
rp_status_t rp_csv_next(rp_csv_reader_t *r);

/* Fields in the current record. */
int rp_csv_nfields(const rp_csv_reader_t *r);

/* Field i of the current record, NUL-terminated (it may also contain NUL
 * bytes: rp_csv_field_len is its real length). Valid until the next
 * rp_csv_next. */
const char *rp_csv_field(const rp_csv_reader_t *r, int i);

/* The length in bytes of field i of the current record. */
size_t rp_csv_field_len(const rp_csv_reader_t *r, int i);

/* The physical line (from 1) the current record starts on. */
long rp_csv_line(const rp_csv_reader_t *r);

/* What went wrong, a sentence without its line ("" when nothing did). */
const char *rp_csv_error(const rp_csv_reader_t *r);

/* The line the error was found on (0 when nothing went wrong). */
long rp_csv_error_line(const rp_csv_reader_t *r);

/* Writer flags for rp_csv_put. */
enum {
    /* The value is free text a person typed: when it could be taken for a
     * spreadsheet formula it is written with a leading apostrophe (see
     * rp_csv_formula_escape). */
    RP_CSV_TEXT = 1,
};

/* Appends one field to out: as it is, or in double quotes (with inner
 * quotes doubled) when it contains a comma, a quote, CR or LF, or starts or
 * ends with a space. The caller writes the separators (rp_csv_sep,
 * rp_csv_eol). RP_ENOMEM. */
rp_status_t rp_csv_put(rp_buf_t *out, const char *s, size_t len, unsigned flags);

/* Appends the field separator. */
rp_status_t rp_csv_sep(rp_buf_t *out);

/* Appends the record terminator (CRLF, as RFC 4180 writes it). */
rp_status_t rp_csv_eol(rp_buf_t *out);

/* Spreadsheet formula injection: a cell that starts with =, +, -, @, a tab
 * or a CR is run as a formula by common spreadsheets. Such text values are
 * exported with a leading apostrophe, which spreadsheets show as plain
 * text. So that an export imports back unchanged, the rule is a bijection:
 * a value is escaped when it starts with any number of apostrophes followed
 * by one of those characters, and import removes one leading apostrophe
 * from exactly such values. rp_csv_formula_escape tells whether s (len
 * bytes) is one; rp_csv_formula_unescape gives how many leading bytes an
 * importer drops (1 or 0). */
bool rp_csv_formula_escape(const char *s, size_t len);
size_t rp_csv_formula_unescape(const char *s, size_t len);

#endif
