/* The life cycle of quotes, orders and invoices (modules/sales/
 * quote_flow.c): allowed transitions, the messages naming a refused one,
 * when lines and header fields may change, what may be deleted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "quote_flow.h"

static void lookups(void **state)
{
    (void)state;
    assert_string_equal(sales_doc_desc(SALES_DOC_QUOTE)->line_object, "quote_line");
    assert_string_equal(sales_doc_by_object("order")->line_ref, "order_id");
    assert_int_equal(sales_doc_by_line("invoice_line")->kind, SALES_DOC_INVOICE);
    assert_null(sales_doc_by_object("quote_line"));
    assert_null(sales_doc_by_line("quote"));
    assert_null(sales_doc_by_object(NULL));
    assert_null(sales_doc_desc(SALES_DOC_COUNT));
    assert_true(sales_flow_known(SALES_DOC_ORDER, "fulfilled"));
    assert_false(sales_flow_known(SALES_DOC_ORDER, "sent"));
    assert_false(sales_flow_known(SALES_DOC_COUNT, "draft"));
}

static void quote_transitions(void **state)
{
    (void)state;
    const sales_doc_kind_t q = SALES_DOC_QUOTE;
    assert_true(sales_flow_allowed(q, "draft", "sent"));
    assert_true(sales_flow_allowed(q, "sent", "accepted"));
    assert_true(sales_flow_allowed(q, "sent", "rejected"));
    assert_true(sales_flow_allowed(q, "sent", "draft"));
    assert_true(sales_flow_allowed(q, "draft", "draft"));
    assert_true(sales_flow_allowed(q, "accepted", "accepted"));
    assert_false(sales_flow_allowed(q, "draft", "accepted"));
    assert_false(sales_flow_allowed(q, "draft", "rejected"));
    assert_false(sales_flow_allowed(q, "accepted", "draft"));
    assert_false(sales_flow_allowed(q, "accepted", "rejected"));
    assert_false(sales_flow_allowed(q, "rejected", "sent"));
    assert_false(sales_flow_allowed(q, "sent", "paid"));
    assert_false(sales_flow_allowed(q, NULL, "sent"));
    char msg[256];
    sales_flow_refusal(q, "accepted", "draft", msg, sizeof msg);
    assert_string_equal(msg, "cannot go from accepted to draft: an accepted quote is final");
    sales_flow_refusal(q, "draft", "accepted", msg, sizeof msg);
    assert_string_equal(msg, "cannot go from draft to accepted: a draft quote can only go to sent");
    sales_flow_refusal(q, "sent", "paid", msg, sizeof msg);
    assert_string_equal(msg, "\"paid\" is not a quote status");
    sales_flow_refusal(q, "draft", "accepted", msg, 10);
    assert_int_equal(strlen(msg), 9);
}

static void order_and_invoice_transitions(void **state)
{
    (void)state;
    const sales_doc_kind_t o = SALES_DOC_ORDER, i = SALES_DOC_INVOICE;
    assert_true(sales_flow_allowed(o, "draft", "activated"));
    assert_true(sales_flow_allowed(o, "activated", "fulfilled"));
    assert_true(sales_flow_allowed(o, "activated", "cancelled"));
    assert_true(sales_flow_allowed(o, "draft", "cancelled"));
    assert_false(sales_flow_allowed(o, "draft", "fulfilled"));
    assert_false(sales_flow_allowed(o, "fulfilled", "cancelled"));
    assert_false(sales_flow_allowed(o, "cancelled", "draft"));
    assert_true(sales_flow_allowed(i, "draft", "issued"));
    assert_true(sales_flow_allowed(i, "issued", "paid"));
    assert_true(sales_flow_allowed(i, "issued", "void"));
    assert_true(sales_flow_allowed(i, "draft", "void"));
    assert_false(sales_flow_allowed(i, "draft", "paid"));
    assert_false(sales_flow_allowed(i, "paid", "void"));
    assert_false(sales_flow_allowed(i, "void", "draft"));
    char msg[256];
    sales_flow_refusal(o, "activated", "draft", msg, sizeof msg);
    assert_string_equal(
        msg, "cannot go from activated to draft: an activated order can only go to fulfilled or "
             "cancelled");
}

static void what_may_change(void **state)
{
    (void)state;
    const sales_doc_kind_t q = SALES_DOC_QUOTE, o = SALES_DOC_ORDER, i = SALES_DOC_INVOICE;
    assert_true(sales_flow_lines_open(q, "draft"));
    assert_false(sales_flow_lines_open(q, "sent"));
    assert_false(sales_flow_lines_open(o, "activated"));
    assert_false(sales_flow_lines_open(i, "issued"));
    assert_true(sales_flow_final(q, "accepted"));
    assert_true(sales_flow_final(q, "rejected"));
    assert_false(sales_flow_final(q, "sent"));
    assert_true(sales_flow_final(o, "cancelled"));
    assert_true(sales_flow_final(i, "void"));
    assert_false(sales_flow_final(i, "issued"));
    assert_true(sales_flow_field_editable(q, "draft", "name"));
    assert_false(sales_flow_field_editable(q, "sent", "name"));
    assert_true(sales_flow_field_editable(q, "sent", "status"));
    assert_false(sales_flow_field_editable(q, "accepted", "status"));
    assert_true(sales_flow_field_editable(i, "issued", "amount_paid"));
    assert_false(sales_flow_field_editable(o, "activated", "amount_paid"));
    assert_false(sales_flow_field_editable(i, "paid", "amount_paid"));
    assert_true(sales_flow_deletable(q, "draft"));
    assert_false(sales_flow_deletable(q, "sent"));
    assert_true(sales_flow_deletable(o, "draft"));
    assert_false(sales_flow_deletable(o, "activated"));
    assert_false(sales_flow_deletable(i, "draft"));
    assert_true(sales_flow_needs_lines(q, "sent"));
    assert_true(sales_flow_needs_lines(o, "activated"));
    assert_true(sales_flow_needs_lines(i, "issued"));
    assert_false(sales_flow_needs_lines(i, "void"));
    assert_false(sales_flow_needs_lines(o, "cancelled"));
    assert_true(sales_flow_header_derived("total"));
    assert_true(sales_flow_header_derived("open_order_id"));
    assert_false(sales_flow_header_derived("name"));
}

static bool listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

static void field_lists(void **state)
{
    (void)state;
    assert_true(listed(sales_flow_header_fields(SALES_DOC_QUOTE), "valid_until"));
    assert_true(listed(sales_flow_header_fields(SALES_DOC_ORDER), "quote_id"));
    assert_true(listed(sales_flow_header_fields(SALES_DOC_INVOICE), "amount_paid"));
    assert_false(listed(sales_flow_header_fields(SALES_DOC_QUOTE), "total"));
    assert_false(listed(sales_flow_header_fields(SALES_DOC_QUOTE), "status"));
    assert_null(sales_flow_header_fields(SALES_DOC_COUNT)[0]);
    assert_true(listed(sales_flow_line_fields(), "unit_price"));
    assert_false(listed(sales_flow_line_fields(), "net_amount"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookups),
        cmocka_unit_test(quote_transitions),
        cmocka_unit_test(order_and_invoice_transitions),
        cmocka_unit_test(what_may_change),
        cmocka_unit_test(field_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
