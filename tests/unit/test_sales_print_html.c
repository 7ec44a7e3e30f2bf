/* The printable page of sales documents (modules/sales/print_html.c):
 * every value escaped, the page self-contained, missing values left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "print_html.h"

static void escaping(void **state)
{
    (void)state;
    sales_html_t h;
    sales_html_init(&h);
    sales_html_text(&h, "<script>alert('x') & \"y\"</script>");
    assert_string_equal(h.data,
                        "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    sales_html_raw(&h, "<b>");
    sales_html_text(&h, NULL);
    sales_html_text(&h, "");
    sales_html_text(&h, "café – ok");
    assert_string_equal(h.data, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/"
                                "script&gt;<b>café – ok");
    sales_html_free(&h);
    assert_null(h.data);
}

static void growth(void **state)
{
    (void)state;
    sales_html_t h;
    sales_html_init(&h);
    for (int i = 0; i < 10000; i++)
        sales_html_text(&h, "<&>");
    assert_int_equal(h.len, 10000 * strlen("&lt;&amp;&gt;"));
    assert_false(h.failed);
    sales_html_free(&h);
}

static void page(void **state)
{
    (void)state;
    const char *evil = "<script>alert(1)</script>";
    sales_print_line_t lines[2] = {
        {.position = "1",
         .product = evil,
         .code = "P-1",
         .description = "Line \"one\"\nsecond row",
         .quantity = "3",
         .unit = "h",
         .unit_price = "19.99 EUR",
         .discount = "10",
         .tax_rate = "20",
         .net = "53.97 EUR",
         .tax = "10.79 EUR",
         .total = "64.76 EUR"},
        {.position = "2", .description = "Custom work", .quantity = "1"},
    };
    sales_print_doc_t doc = {.kind = "Quote",
                             .number = "Q-00001",
                             .name = evil,
                             .status = "Sent",
                             .date = "2026-11-23",
                             .valid_until = "2026-12-23",
                             .account = "Acme & Sons",
                             .contact = "Zoé O'Neil",
                             .currency = "EUR",
                             .subtotal = "59.97 EUR",
                             .discount_total = "6.00 EUR",
                             .tax_total = "10.79 EUR",
                             .total = "64.76 EUR",
                             .terms = "Net 30",
                             .lines = lines,
                             .nlines = 2};
    sales_html_t h;
    sales_html_init(&h);
    assert_true(sales_print_render(&doc, &h));
    assert_non_null(strstr(h.data, "<!DOCTYPE html>"));
    assert_null(strstr(h.data, "<script"));
    assert_non_null(strstr(h.data, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(h.data, "Acme &amp; Sons"));
    assert_non_null(strstr(h.data, "Zoé O&#39;Neil"));
    assert_non_null(strstr(h.data, "Line &quot;one&quot;"));
    assert_non_null(strstr(h.data, "<title>Quote Q-00001</title>"));
    assert_non_null(strstr(h.data, "64.76 EUR"));
    assert_non_null(strstr(h.data, "Custom work"));
    assert_non_null(strstr(h.data, "Net 30"));
    /* Nothing outside the page. */
    assert_null(strstr(h.data, "http://"));
    assert_null(strstr(h.data, "https://"));
    assert_null(strstr(h.data, "<link"));
    /* No notes: no notes section. */
    assert_null(strstr(h.data, "<h2>Notes</h2>"));
    sales_html_free(&h);

    sales_print_doc_t empty = {.kind = "Quote"};
    sales_html_init(&h);
    assert_true(sales_print_render(&empty, &h));
    assert_non_null(strstr(h.data, "No lines."));
    sales_html_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escaping),
        cmocka_unit_test(growth),
        cmocka_unit_test(page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
