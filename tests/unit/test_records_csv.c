/* The CSV reader and writer: RFC 4180 quoting, line endings, the
 * byte-order mark, malformed input with its line, limits, a source read in
 * small blocks, and the formula-injection escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "records/csv.h"

/* Reads every record of text into one string: fields joined by '|',
 * records by '\n', each record prefixed with its line and ':'. */
static char *dump_reader(rp_csv_reader_t *r, rp_status_t *end)
{
    rp_buf_t out = {0};
    rp_status_t st;
    while ((st = rp_csv_next(r)) == RP_OK) {
        rp_buf_printf(&out, "%ld:", rp_csv_line(r));
        for (int i = 0; i < rp_csv_nfields(r); i++) {
            if (i)
                rp_buf_puts(&out, "|");
            rp_buf_append(&out, rp_csv_field(r, i), rp_csv_field_len(r, i));
        }
        rp_buf_puts(&out, "\n");
    }
    *end = st;
    if (out.data == NULL)
        rp_buf_puts(&out, "");
    return out.data;
}

static char *dump(const char *text, rp_status_t *end)
{
    rp_csv_reader_t r;
    assert_int_equal(rp_csv_reader_init_mem(&r, text, strlen(text), 0, 0), RP_OK);
    char *s = dump_reader(&r, end);
    rp_csv_reader_free(&r);
    return s;
}

static void expect(const char *text, const char *want)
{
    rp_status_t end;
    char *got = dump(text, &end);
    assert_int_equal(end, RP_ENOTFOUND);
    assert_string_equal(got, want);
    free(got);
}

static void plain_records(void **state)
{
    (void)state;
    expect("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    /* CRLF, a lone CR, and no terminator on the last record. */
    expect("a,b\r\n1,2\r3,4", "1:a|b\n2:1|2\n3:3|4\n");
    /* Empty fields, and an empty last field. */
    expect(",x,\n", "1:|x|\n");
    /* Empty lines are skipped, and line numbers still count them. */
    expect("a\n\n\r\nb\n", "1:a\n4:b\n");
    expect("", "");
    expect("\n\n", "");
    /* Spaces are data. */
    expect(" a , b \n", "1: a | b \n");
}

static void quoted_fields(void **state)
{
    (void)state;
    expect("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "1:a,b|say \"hi\"|\n");
    /* Embedded newlines: the next record's line accounts for them. */
    expect("\"line1\nline2\r\nline3\",x\nnext\n", "1:line1\nline2\r\nline3|x\n4:next\n");
    /* A quoted field that ends the input. */
    expect("\"end\"", "1:end\n");
    expect("\"\"\"\"", "1:\"\n");
}

static void byte_order_mark(void **state)
{
    (void)state;
    expect("\xEF\xBB\xBFname,email\nx,y\n", "1:name|email\n2:x|y\n");
    /* Only at the very start. */
    expect("a\n\xEF\xBB\xBF"
           "b\n",
           "1:a\n2:\xEF\xBB\xBF"
           "b\n");
}

static void expect_error(const char *text, rp_status_t want, long line, const char *words)
{
    rp_status_t end;
    char *got = dump(text, &end);
    free(got);
    assert_int_equal(end, want);
    rp_csv_reader_t r;
    rp_status_t st;
    assert_int_equal(rp_csv_reader_init_mem(&r, text, strlen(text), 0, 0), RP_OK);
    while ((st = rp_csv_next(&r)) == RP_OK)
        ;
    assert_int_equal(st, want);
    assert_int_equal(rp_csv_error_line(&r), line);
    if (strstr(rp_csv_error(&r), words) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", rp_csv_error(&r), words);
    /* Finished: the next call reports the end, not another record. */
    assert_int_equal(rp_csv_next(&r), RP_ENOTFOUND);
    rp_csv_reader_free(&r);
}

static void malformed(void **state)
{
    (void)state;
    expect_error("a,b\n1,\"open\n2,3\n", RP_EINVAL, 2, "never closed");
    expect_error("a,b\nok,fine\nx,y\"z\n", RP_EINVAL, 3, "inside an unquoted field");
    expect_error("a\n\"closed\"tail\n", RP_EINVAL, 2, "follows the closing quote");
    expect_error("\"", RP_EINVAL, 1, "never closed");
    /* An unterminated quote that swallowed several lines names the line it
     * opened on. */
    expect_error("h\n\"x\n\n\ny\n", RP_EINVAL, 2, "line 2");
}

static void limits(void **state)
{
    (void)state;
    rp_csv_reader_t r;
    const char *wide = "a,b,c,d\n";
    assert_int_equal(rp_csv_reader_init_mem(&r, wide, strlen(wide), 0, 3), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_ELIMIT);
    assert_int_equal(rp_csv_error_line(&r), 1);
    assert_non_null(strstr(rp_csv_error(&r), "more than 3 fields"));
    rp_csv_reader_free(&r);

    assert_int_equal(rp_csv_reader_init_mem(&r, wide, strlen(wide), 0, 4), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_OK);
    assert_int_equal(rp_csv_nfields(&r), 4);
    rp_csv_reader_free(&r);

    const char *longf = "ok\n123456789\n";
    assert_int_equal(rp_csv_reader_init_mem(&r, longf, strlen(longf), 8, 0), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_ELIMIT);
    assert_int_equal(rp_csv_error_line(&r), 2);
    assert_non_null(strstr(rp_csv_error(&r), "longer than 8 bytes"));
    rp_csv_reader_free(&r);

    const char *longq = "\"12345\"\"6789\"\n";
    assert_int_equal(rp_csv_reader_init_mem(&r, longq, strlen(longq), 8, 0), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_ELIMIT);
    rp_csv_reader_free(&r);
    /* Exactly at the limit is fine. */
    const char *exact = "\"1234\"\"678\"\n";
    assert_int_equal(rp_csv_reader_init_mem(&r, exact, strlen(exact), 8, 0), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_OK);
    assert_string_equal(rp_csv_field(&r, 0), "1234\"678");
    rp_csv_reader_free(&r);
}

/* A source that gives its text a few bytes at a time. */
typedef struct trickle {
    const char *s;
    size_t len, pos, step;
    bool broken;
} trickle_t;

static long trickle_read(void *arg, char *buf, size_t cap)
{
    trickle_t *t = arg;
    if (t->broken && t->pos > 0)
        return -1;
    size_t n = t->len - t->pos;
    if (n > t->step)
        n = t->step;
    if (n > cap)
        n = cap;
    memcpy(buf, t->s + t->pos, n);
    t->pos += n;
    return (long)n;
}

static void block_source(void **state)
{
    (void)state;
    const char *text = "id,\"note\"\r\n1,\"a \"\"b\"\"\r\nc\"\r\n2,plain\n\"3\",\"\"\n";
    for (size_t step = 1; step <= 7; step++) {
        trickle_t t = {.s = text, .len = strlen(text), .step = step};
        rp_csv_reader_t r;
        assert_int_equal(rp_csv_reader_init(&r, trickle_read, &t, 0, 0), RP_OK);
        rp_status_t end;
        char *got = dump_reader(&r, &end);
        assert_int_equal(end, RP_ENOTFOUND);
        assert_string_equal(got, "1:id|note\n2:1|a \"b\"\r\nc\n4:2|plain\n5:3|\n");
        free(got);
        rp_csv_reader_free(&r);
    }
    trickle_t t = {.s = text, .len = strlen(text), .step = 4, .broken = true};
    rp_csv_reader_t r;
    assert_int_equal(rp_csv_reader_init(&r, trickle_read, &t, 0, 0), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_EIO);
    rp_csv_reader_free(&r);
}

static void nul_bytes(void **state)
{
    (void)state;
    const char text[] = "a\0b,c\n";
    rp_csv_reader_t r;
    assert_int_equal(rp_csv_reader_init_mem(&r, text, sizeof text - 1, 0, 0), RP_OK);
    assert_int_equal(rp_csv_next(&r), RP_OK);
    assert_int_equal(rp_csv_field_len(&r, 0), 3);
    assert_memory_equal(rp_csv_field(&r, 0), "a\0b", 3);
    assert_string_equal(rp_csv_field(&r, 1), "c");
    /* Out of range: empty. */
    assert_string_equal(rp_csv_field(&r, 5), "");
    assert_int_equal(rp_csv_field_len(&r, -1), 0);
    rp_csv_reader_free(&r);
}

static char *put(const char *s, unsigned flags)
{
    rp_buf_t b = {0};
    assert_int_equal(rp_csv_put(&b, s, strlen(s), flags), RP_OK);
    if (b.data == NULL)
        rp_buf_puts(&b, "");
    return b.data;
}

static void check_put(const char *in, unsigned flags, const char *want)
{
    char *got = put(in, flags);
    assert_string_equal(got, want);
    free(got);
}

static void writer(void **state)
{
    (void)state;
    check_put("plain", 0, "plain");
    check_put("", 0, "");
    check_put("a,b", 0, "\"a,b\"");
    check_put("say \"hi\"", 0, "\"say \"\"hi\"\"\"");
    check_put("two\nlines", 0, "\"two\nlines\"");
    check_put("cr\r", 0, "\"cr\r\"");
    check_put(" padded ", 0, "\" padded \"");
    check_put("\"", 0, "\"\"\"\"");
    /* Formula injection: only for text values. */
    check_put("=SUM(A1:A9)", RP_CSV_TEXT, "'=SUM(A1:A9)");
    check_put("=SUM(A1:A9)", 0, "=SUM(A1:A9)");
    check_put("+1", RP_CSV_TEXT, "'+1");
    check_put("-2", RP_CSV_TEXT, "'-2");
    check_put("@cmd", RP_CSV_TEXT, "'@cmd");
    check_put("\tx", RP_CSV_TEXT, "'\tx");
    check_put("'=x", RP_CSV_TEXT, "''=x");
    check_put("'plain", RP_CSV_TEXT, "'plain");
    check_put("a=b", RP_CSV_TEXT, "a=b");
    check_put("=HYPERLINK(\"x\",\"y\")", RP_CSV_TEXT, "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");

    rp_buf_t b = {0};
    assert_int_equal(rp_csv_put(&b, "a", 1, 0), RP_OK);
    assert_int_equal(rp_csv_sep(&b), RP_OK);
    assert_int_equal(rp_csv_put(&b, "b,c", 3, 0), RP_OK);
    assert_int_equal(rp_csv_eol(&b), RP_OK);
    assert_string_equal(b.data, "a,\"b,c\"\r\n");
    rp_buf_free(&b);
}

static void formula_bijection(void **state)
{
    (void)state;
    const char *values[] = {"=1", "'=1", "''=1", "'x", "x", "", "'", "-", "'-", "@", "a@b"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        const char *v = values[i];
        char *w = put(v, RP_CSV_TEXT);
        /* Read it back and undo the escape: the value comes back. */
        rp_csv_reader_t r;
        size_t wl = strlen(w);
        assert_int_equal(rp_csv_reader_init_mem(&r, w, wl, 0, 0), RP_OK);
        rp_status_t st = rp_csv_next(&r);
        if (*v == '\0') {
            assert_int_equal(st, RP_ENOTFOUND);
        } else {
            assert_int_equal(st, RP_OK);
            const char *f = rp_csv_field(&r, 0);
            size_t skip = rp_csv_formula_unescape(f, rp_csv_field_len(&r, 0));
            assert_string_equal(f + skip, v);
        }
        rp_csv_reader_free(&r);
        free(w);
    }
    assert_int_equal(rp_csv_formula_unescape("'=1", 3), 1);
    assert_int_equal(rp_csv_formula_unescape("'x", 2), 0);
    assert_int_equal(rp_csv_formula_unescape("'", 1), 0);
    assert_true(rp_csv_formula_escape("''-", 3));
    assert_false(rp_csv_formula_escape("'''", 3));
}

/* A large input read record by record keeps one record's worth of memory:
 * the field buffer does not grow with the number of records. */
static void flat_memory(void **state)
{
    (void)state;
    rp_buf_t big = {0};
    for (int i = 0; i < 20000; i++)
        rp_buf_printf(&big, "%d,\"name %d\",x\n", i, i);
    rp_csv_reader_t r;
    assert_int_equal(rp_csv_reader_init_mem(&r, big.data, big.len, 0, 0), RP_OK);
    int n = 0;
    size_t cap = 0;
    while (rp_csv_next(&r) == RP_OK) {
        assert_int_equal(rp_csv_nfields(&r), 3);
        assert_int_equal(atoi(rp_csv_field(&r, 0)), n);
        assert_int_equal(rp_csv_line(&r), n + 1);
        if (n == 10)
            cap = r.text.cap;
        n++;
    }
    assert_int_equal(n, 20000);
    assert_int_equal(r.text.cap, cap);
    rp_csv_reader_free(&r);
    rp_buf_free(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_records),
        cmocka_unit_test(quoted_fields),
        cmocka_unit_test(byte_order_mark),
        cmocka_unit_test(malformed),
        cmocka_unit_test(limits),
        cmocka_unit_test(block_source),
        cmocka_unit_test(nul_bytes),
        cmocka_unit_test(writer),
        cmocka_unit_test(formula_bijection),
        cmocka_unit_test(flat_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
