/* The sales module's catalogue and quotes end to end: products and price
 * books (ISO currencies, one standard book per currency, one entry per
 * product), quote defaults, lines priced from the price book or
 * overridden, totals computed by the server with exact rounding (in 0, 2
 * and 3 minor-unit currencies), the quote status flow and frozen lines,
 * concurrent line writes, the printable page (escaped), and bad input:
 * malformed values, read-only fields, another tenant's ids, a read-only
 * user. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "it.h"

#define PASSWORD "sales-quotes-password-1"

/* Tokens, logged in once (the login endpoint is rate limited). */
static char *tok_admin, *tok_manager, *tok_rep, *tok_viewer, *tok_rival;

/* The catalogue every test uses. */
static char *book_eur, *book_jpy, *widget, *hours, *retired, *unpriced, *account, *contact;

static char *keep(const char *s)
{
    char *d = strdup(s ? s : "");
    if (d == NULL)
        RP_IT_FAIL("out of memory");
    return d;
}

static rp_it_resp_t *post(const char *path, const char *tok, const char *json)
{
    return rp_it_send("POST", path, tok, json);
}

static rp_it_resp_t *create(const char *object, const char *tok, const char *fields_json)
{
    return post(rp_it_fmt("/api/v1/records/%s", object), tok,
                rp_it_fmt("{\"fields\": %s}", fields_json));
}

/* Creates a record and fails the test unless it is created; its id. */
static const char *create_ok(const char *object, const char *tok, const char *fields_json)
{
    rp_it_resp_t *r = create(object, tok, fields_json);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_jstr(r, "id");
}

static rp_it_resp_t *patch(const char *object, const char *id, const char *tok,
                           const char *fields_json)
{
    return rp_it_send("PATCH", rp_it_fmt("/api/v1/records/%s/%s", object, id), tok,
                      rp_it_fmt("{\"fields\": %s}", fields_json));
}

static rp_it_resp_t *get(const char *object, const char *id, const char *tok)
{
    return rp_it_get(rp_it_fmt("/api/v1/records/%s/%s", object, id), tok);
}

static json_t *fields_of(const rp_it_resp_t *r)
{
    return json_object_get(r->json, "fields");
}

static const char *fstr(const rp_it_resp_t *r, const char *field)
{
    return json_string_value(json_object_get(fields_of(r), field));
}

/* "59.97 EUR" from a currency field. */
static const char *money(const rp_it_resp_t *r, const char *field)
{
    json_t *v = json_object_get(fields_of(r), field);
    if (!json_is_object(v))
        return "(none)";
    return rp_it_fmt("%s %s", json_string_value(json_object_get(v, "amount")),
                     json_string_value(json_object_get(v, "currency")));
}

/* The message of a per-field error of a problem, or NULL. */
static const char *field_error(const rp_it_resp_t *r, const char *field)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), field));
}

/* Expects a 422 naming field, whose message contains text. */
#define EXPECT_FIELD_ERROR(r, field, text) expect_field_error((r), (field), (text), __LINE__)
static void expect_field_error(const rp_it_resp_t *r, const char *field, const char *text, int line)
{
    rp_it_expect_problem_at(r, 422, "validation_failed", __FILE__, line);
    const char *msg = field_error(r, field);
    if (msg == NULL || (text != NULL && strstr(msg, text) == NULL))
        rp_it_fail_at(__FILE__, line, "expected an error on %s containing \"%s\": %s", field,
                      text ? text : "", r->body);
}

static void today_plus(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("rival", "Rival");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "manager@acme.test", "manager", PASSWORD);
    rp_it_user_add("acme", "rep@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "viewer@acme.test", "readonly", PASSWORD);
    rp_it_user_add("rival", "admin@rival.test", "admin", PASSWORD);
    tok_admin = keep(rp_it_token("acme", "admin@acme.test", PASSWORD));
    tok_manager = keep(rp_it_token("acme", "manager@acme.test", PASSWORD));
    tok_rep = keep(rp_it_token("acme", "rep@acme.test", PASSWORD));
    tok_viewer = keep(rp_it_token("acme", "viewer@acme.test", PASSWORD));
    tok_rival = keep(rp_it_token("rival", "admin@rival.test", PASSWORD));
    /* New tenants have the module by default; enabling again is harmless. */
    RP_IT_EXPECT_STATUS(post("/api/v1/modules/sales/enable", tok_admin, NULL), 200);
    RP_IT_EXPECT_STATUS(post("/api/v1/modules/sales/enable", tok_rival, NULL), 200);

    book_eur = keep(create_ok("price_book", tok_manager,
                              "{\"name\": \"Standard EUR\", \"currency\": \"eur\", "
                              "\"is_standard\": true}"));
    book_jpy =
        keep(create_ok("price_book", tok_manager,
                       "{\"name\": \"Japan\", \"currency\": \"JPY\", \"is_standard\": true}"));
    widget = keep(create_ok("product", tok_manager,
                            "{\"name\": \"Widget\", \"code\": \"W-1\", \"unit\": \"piece\", "
                            "\"tax_rate\": 20, \"family\": \"hardware\"}"));
    hours = keep(create_ok("product", tok_manager,
                           "{\"name\": \"Consulting hour\", \"code\": \"S-1\", \"unit\": \"h\"}"));
    retired = keep(create_ok("product", tok_manager,
                             "{\"name\": \"Old widget\", \"code\": \"W-0\", \"active\": false}"));
    unpriced =
        keep(create_ok("product", tok_manager, "{\"name\": \"Unpriced\", \"code\": \"U-1\"}"));
    create_ok("price_book_entry", tok_manager,
              rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                        "{\"amount\": \"19.99\", \"currency\": \"EUR\"}}",
                        book_eur, widget));
    create_ok("price_book_entry", tok_manager,
              rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                        "{\"amount\": \"120\"}}",
                        book_eur, hours));
    create_ok("price_book_entry", tok_manager,
              rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                        "{\"amount\": \"333.5\", \"currency\": \"JPY\"}}",
                        book_jpy, widget));
    create_ok("price_book_entry", tok_manager,
              rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                        "{\"amount\": \"15\", \"currency\": \"EUR\"}}",
                        book_eur, retired));
    account = keep(create_ok("account", tok_rep, "{\"name\": \"<b>Acme</b> & Sons\"}"));
    contact = keep(create_ok(
        "contact", tok_rep,
        rp_it_fmt("{\"first_name\": \"Zoé\", \"last_name\": \"O'Neil <i>\", \"account_id\": "
                  "\"%s\"}",
                  account)));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char **all[] = {&tok_admin, &tok_manager, &tok_rep, &tok_viewer, &tok_rival,
                    &book_eur,  &book_jpy,    &widget,  &hours,      &retired,
                    &unpriced,  &account,     &contact};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* A new EUR quote for the test account; its id. */
static const char *new_quote(const char *name)
{
    return create_ok("quote", tok_rep,
                     rp_it_fmt("{\"name\": \"%s\", \"currency\": \"EUR\", \"account_id\": \"%s\"}",
                               name, account));
}

static rp_it_resp_t *add_line(const char *quote, const char *extra)
{
    return create("quote_line", tok_rep,
                  rp_it_fmt("{\"quote_id\": \"%s\"%s%s}", quote, extra[0] ? ", " : "", extra));
}

static const char *add_line_ok(const char *quote, const char *extra)
{
    rp_it_resp_t *r = add_line(quote, extra);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_jstr(r, "id");
}

static rp_it_resp_t *set_status(const char *quote, const char *status)
{
    return patch("quote", quote, tok_rep, rp_it_fmt("{\"status\": \"%s\"}", status));
}

/* ---- the catalogue ------------------------------------------------------ */

static void price_books(void **state)
{
    (void)state;
    rp_it_resp_t *r = get("price_book", book_eur, tok_viewer);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(fstr(r, "currency"), "EUR");
    assert_string_equal(fstr(r, "standard_key"), "EUR");

    EXPECT_FIELD_ERROR(
        create("price_book", tok_manager, "{\"name\": \"B1\", \"currency\": \"EURO\"}"), "currency",
        "ISO 4217");
    EXPECT_FIELD_ERROR(
        create("price_book", tok_manager, "{\"name\": \"B2\", \"currency\": \"xxx\"}"), "currency",
        "ISO 4217");
    EXPECT_FIELD_ERROR(
        create("price_book", tok_manager, "{\"name\": \"B3\", \"currency\": \"HRK\"}"), "currency",
        "ISO 4217");
    EXPECT_FIELD_ERROR(create("price_book", tok_manager, "{\"name\": \"B4\"}"), "currency",
                       "required");
    /* One standard book per currency. */
    r = create("price_book", tok_manager,
               "{\"name\": \"Other EUR\", \"currency\": \"EUR\", \"is_standard\": true}");
    EXPECT_FIELD_ERROR(r, "is_standard", "\"Standard EUR\" is already the standard price book");
    const char *partner =
        create_ok("price_book", tok_manager, "{\"name\": \"Partners EUR\", \"currency\": \"Eur\"}");
    EXPECT_FIELD_ERROR(patch("price_book", partner, tok_manager, "{\"is_standard\": true}"),
                       "is_standard", "already the standard");
    /* Names are unique. */
    EXPECT_FIELD_ERROR(
        create("price_book", tok_manager, "{\"name\": \"Partners EUR\", \"currency\": \"EUR\"}"),
        "name", "unique");
    /* The standard key is the server's. */
    EXPECT_FIELD_ERROR(patch("price_book", partner, tok_manager, "{\"standard_key\": \"USD\"}"),
                       "standard_key", "read-only");

    /* Entries: one per product and book, in the book's currency. */
    r = create("price_book_entry", tok_manager,
               rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                         "{\"amount\": \"18\", \"currency\": \"EUR\"}}",
                         book_eur, widget));
    EXPECT_FIELD_ERROR(r, "product_id", "already has a price in this price book");
    r = create("price_book_entry", tok_manager,
               rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                         "{\"amount\": \"18\", \"currency\": \"USD\"}}",
                         partner, widget));
    EXPECT_FIELD_ERROR(r, "list_price", "must be in EUR");
    r = create("price_book_entry", tok_manager,
               rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                         "\"17.5\"}",
                         partner, widget));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(money(r, "list_price"), "17.5 EUR");
    /* A book with prices keeps its currency. */
    EXPECT_FIELD_ERROR(patch("price_book", partner, tok_manager, "{\"currency\": \"USD\"}"),
                       "currency", "cannot change");
    RP_IT_EXPECT_STATUS(patch("price_book", partner, tok_manager, "{\"currency\": \"eur\"}"), 200);
    /* A negative list price. */
    r = create("price_book_entry", tok_manager,
               rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                         "{\"amount\": \"-1\", \"currency\": \"EUR\"}}",
                         partner, hours));
    rp_it_expect_problem_at(r, 422, "validation_failed", __FILE__, __LINE__);

    /* Sales reps read the catalogue but do not change it. */
    RP_IT_EXPECT_PROBLEM(create("product", tok_rep, "{\"name\": \"Mine\"}"), 403, "forbidden");
    RP_IT_EXPECT_STATUS(get("product", widget, tok_rep), 200);
    RP_IT_EXPECT_PROBLEM(create("product", tok_viewer, "{\"name\": \"Mine\"}"), 403, "forbidden");
    /* Another tenant sees none of it. */
    RP_IT_EXPECT_PROBLEM(get("price_book", book_eur, tok_rival), 404, "not_found");
}

/* ---- quotes --------------------------------------------------------------- */

static void quote_defaults(void **state)
{
    (void)state;
    char until[11];
    today_plus(30, until);
    rp_it_resp_t *r = create("quote", tok_rep, "{\"name\": \"Defaults\", \"currency\": \"eur\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *number = fstr(r, "number");
    assert_non_null(number);
    assert_int_equal(strlen(number), 7);
    assert_memory_equal(number, "Q-", 2);
    assert_string_equal(fstr(r, "currency"), "EUR");
    assert_string_equal(fstr(r, "price_book_id"), book_eur);
    assert_string_equal(fstr(r, "status"), "draft");
    assert_string_equal(fstr(r, "valid_until"), until);
    assert_string_equal(money(r, "total"), "0 EUR");
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "line_count")), 0);

    /* The price book gives the currency. */
    r = create("quote", tok_rep,
               rp_it_fmt("{\"name\": \"Yen\", \"price_book_id\": \"%s\"}", book_jpy));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(fstr(r, "currency"), "JPY");
    EXPECT_FIELD_ERROR(create("quote", tok_rep,
                              rp_it_fmt("{\"name\": \"Mixed\", \"currency\": \"USD\", "
                                        "\"price_book_id\": \"%s\"}",
                                        book_eur)),
                       "currency", "must be EUR");
    /* No currency at all, and no tenant default. */
    EXPECT_FIELD_ERROR(create("quote", tok_rep, "{\"name\": \"Nothing\"}"), "currency",
                       "is required");
    /* A currency without a standard book: no book. */
    r = create("quote", tok_rep, "{\"name\": \"Dinar\", \"currency\": \"KWD\"}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_null(fstr(r, "price_book_id"));
    assert_string_equal(money(r, "total"), "0 KWD");
    /* A new quote is a draft. */
    EXPECT_FIELD_ERROR(create("quote", tok_rep,
                              "{\"name\": \"Early\", \"currency\": \"EUR\", \"status\": \"sent\"}"),
                       "status", "starts as draft");
    /* The contact's account when none is named; the caller's validity. */
    r = create("quote", tok_rep,
               rp_it_fmt("{\"name\": \"For Zoé\", \"currency\": \"EUR\", \"contact_id\": \"%s\", "
                         "\"valid_until\": \"2031-01-31\"}",
                         contact));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(fstr(r, "account_id"), account);
    assert_string_equal(fstr(r, "valid_until"), "2031-01-31");
    /* Totals are the server's. */
    EXPECT_FIELD_ERROR(create("quote", tok_rep,
                              "{\"name\": \"Cheat\", \"currency\": \"EUR\", \"total\": "
                              "{\"amount\": \"1\", \"currency\": \"EUR\"}}"),
                       "total", "read-only");
    /* Bad values and bodies. */
    EXPECT_FIELD_ERROR(
        create("quote", tok_rep, "{\"name\": \"Bad\", \"currency\": \"EUR\", \"valid_until\": 3}"),
        "valid_until", NULL);
    EXPECT_FIELD_ERROR(create("quote", tok_rep, "{\"currency\": \"EUR\"}"), "name", "required");
    RP_IT_EXPECT_PROBLEM(post("/api/v1/records/quote", tok_rep, "{\"fields\": {\"name\": "), 400,
                         "malformed_json");
    RP_IT_EXPECT_PROBLEM(
        create("quote", tok_rep, "{\"name\": \"X\", \"currency\": \"EUR\", \"colour\": \"red\"}"),
        400, "unknown_field");
    RP_IT_EXPECT_PROBLEM(create("quote", tok_viewer, "{\"name\": \"X\", \"currency\": \"EUR\"}"),
                         403, "forbidden");
}

static void lines_and_totals(void **state)
{
    (void)state;
    const char *q = new_quote("Totals");
    /* The price book's price, the product's tax rate and name. */
    rp_it_resp_t *r = add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 3, "
                                            "\"discount\": 10",
                                            widget));
    RP_IT_EXPECT_STATUS(r, 201);
    const char *l1 = rp_it_jstr(r, "id");
    assert_string_equal(money(r, "unit_price"), "19.99 EUR");
    assert_string_equal(fstr(r, "tax_rate"), "20");
    assert_string_equal(fstr(r, "description"), "Widget");
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "position")), 1);
    assert_string_equal(money(r, "discount_amount"), "6 EUR");
    assert_string_equal(money(r, "net_amount"), "53.97 EUR");
    assert_string_equal(money(r, "tax_amount"), "10.79 EUR");
    assert_string_equal(money(r, "total"), "64.76 EUR");
    r = get("quote", q, tok_rep);
    assert_string_equal(money(r, "subtotal"), "59.97 EUR");
    assert_string_equal(money(r, "discount_total"), "6 EUR");
    assert_string_equal(money(r, "tax_total"), "10.79 EUR");
    assert_string_equal(money(r, "total"), "64.76 EUR");
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "line_count")), 1);

    /* An overridden price with more places than the currency: 99.995
     * rounds half away from zero to 100.00. */
    r = add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": \"1\", \"unit_price\": "
                              "{\"amount\": \"99.995\", \"currency\": \"eur\"}, \"tax_rate\": 0",
                              hours));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(money(r, "unit_price"), "99.995 EUR");
    assert_string_equal(money(r, "net_amount"), "100 EUR");
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "position")), 2);
    /* A line without product, priced by the caller (a bare amount is in
     * the quote's currency): 0.125 -> 0.13, tax 50 % of 0.13 = 0.065 ->
     * 0.07. */
    r = add_line(q, "\"description\": \"Setup\", \"quantity\": 1, \"unit_price\": \"0.125\", "
                    "\"tax_rate\": \"50\"");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *l3 = rp_it_jstr(r, "id");
    assert_string_equal(money(r, "unit_price"), "0.125 EUR");
    assert_string_equal(money(r, "net_amount"), "0.13 EUR");
    assert_string_equal(money(r, "tax_amount"), "0.07 EUR");
    assert_string_equal(money(r, "total"), "0.2 EUR");
    r = get("quote", q, tok_rep);
    assert_string_equal(money(r, "subtotal"), "160.1 EUR");
    assert_string_equal(money(r, "discount_total"), "6 EUR");
    assert_string_equal(money(r, "tax_total"), "10.86 EUR");
    assert_string_equal(money(r, "total"), "164.96 EUR");
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "line_count")), 3);

    /* Changing a line recomputes it and the quote. */
    r = patch("quote_line", l1, tok_rep, "{\"quantity\": \"4\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(money(r, "net_amount"), "71.96 EUR");
    assert_string_equal(money(r, "tax_amount"), "14.39 EUR");
    r = get("quote", q, tok_rep);
    assert_string_equal(money(r, "total"), "186.55 EUR");
    /* A cleared price goes back to the price book's. */
    r = patch("quote_line", l1, tok_rep,
              "{\"unit_price\": {\"amount\": \"10\", \"currency\": \"EUR\"}}");
    assert_string_equal(money(r, "net_amount"), "36 EUR");
    r = patch("quote_line", l1, tok_rep, "{\"unit_price\": null}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(money(r, "unit_price"), "19.99 EUR");
    /* Deleting a line. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/quote_line/%s", l3), tok_rep, NULL), 204);
    r = get("quote", q, tok_rep);
    assert_string_equal(money(r, "subtotal"), "179.96 EUR");
    assert_string_equal(money(r, "discount_total"), "8 EUR");
    assert_string_equal(money(r, "total"), "186.35 EUR");
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "line_count")), 2);

    /* Refused lines. */
    EXPECT_FIELD_ERROR(add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 1", unpriced)),
                       "unit_price", "no active price in the quote's price book");
    EXPECT_FIELD_ERROR(add_line(q, "\"description\": \"Free text\", \"quantity\": 1"), "unit_price",
                       "is required when the line has no product");
    EXPECT_FIELD_ERROR(add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 1", retired)),
                       "product_id", "is not active");
    EXPECT_FIELD_ERROR(
        add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 1, \"discount\": -5", widget)),
        "discount", NULL);
    EXPECT_FIELD_ERROR(add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 1, "
                                             "\"discount\": \"100.5\"",
                                             widget)),
                       "discount", NULL);
    EXPECT_FIELD_ERROR(add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 0", widget)),
                       "quantity", "greater than 0");
    EXPECT_FIELD_ERROR(
        add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": \"abc\"", widget)), "quantity",
        NULL);
    EXPECT_FIELD_ERROR(add_line(q, rp_it_fmt("\"product_id\": \"%s\"", widget)), "quantity",
                       "required");
    EXPECT_FIELD_ERROR(add_line(q, "\"quantity\": 1, \"unit_price\": {\"amount\": \"5\", "
                                   "\"currency\": \"USD\"}"),
                       "unit_price", "must be in EUR");
    EXPECT_FIELD_ERROR(add_line(q, "\"quantity\": 1, \"unit_price\": \"5\", \"net_amount\": "
                                   "{\"amount\": \"1\", \"currency\": \"EUR\"}"),
                       "net_amount", "read-only");
    EXPECT_FIELD_ERROR(add_line(q, "\"quantity\": \"1e3\", \"unit_price\": \"5\""), "quantity",
                       NULL);
    /* A line cannot move to another quote. */
    const char *q2 = new_quote("Other");
    EXPECT_FIELD_ERROR(patch("quote_line", l1, tok_rep, rp_it_fmt("{\"quote_id\": \"%s\"}", q2)),
                       "quote_id", "cannot move");
    /* Another tenant's quote is not there. */
    rp_it_resp_t *theirs =
        create("quote", tok_rival, "{\"name\": \"Theirs\", \"currency\": \"EUR\"}");
    RP_IT_EXPECT_STATUS(theirs, 201);
    EXPECT_FIELD_ERROR(add_line(rp_it_jstr(theirs, "id"), "\"quantity\": 1, \"unit_price\": \"5\""),
                       "quote_id", "does not exist");
    RP_IT_EXPECT_PROBLEM(get("quote", q, tok_rival), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(get("quote", rp_it_jstr(theirs, "id"), tok_rep), 404, "not_found");
    /* The read-only user reads lines but writes none. */
    RP_IT_EXPECT_STATUS(get("quote_line", l1, tok_viewer), 200);
    RP_IT_EXPECT_PROBLEM(
        create("quote_line", tok_viewer,
               rp_it_fmt("{\"quote_id\": \"%s\", \"quantity\": 1, \"unit_price\": \"5\"}", q)),
        403, "forbidden");
}

static void currencies(void **state)
{
    (void)state;
    /* JPY: no minor unit. 3 x 333.5 = 1000.5 -> 1001; tax 10 % -> 100. */
    rp_it_resp_t *r = create("quote", tok_rep,
                             rp_it_fmt("{\"name\": \"Yen\", \"price_book_id\": \"%s\"}", book_jpy));
    const char *q = rp_it_jstr(r, "id");
    r = add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 3, \"tax_rate\": 10", widget));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(money(r, "unit_price"), "333.5 JPY");
    assert_string_equal(money(r, "net_amount"), "1001 JPY");
    assert_string_equal(money(r, "tax_amount"), "100 JPY");
    assert_string_equal(money(r, "total"), "1101 JPY");
    assert_string_equal(money(get("quote", q, tok_rep), "total"), "1101 JPY");
    /* KWD: three minor-unit digits. 2 x 1.2345 = 2.469; 5 % = 0.12345 ->
     * 0.123. */
    r = create("quote", tok_rep, "{\"name\": \"Dinar\", \"currency\": \"KWD\"}");
    q = rp_it_jstr(r, "id");
    r = add_line(q, "\"quantity\": 2, \"unit_price\": {\"amount\": \"1.2345\", \"currency\": "
                    "\"KWD\"}, \"tax_rate\": 5");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(money(r, "net_amount"), "2.469 KWD");
    assert_string_equal(money(r, "tax_amount"), "0.123 KWD");
    assert_string_equal(money(r, "total"), "2.592 KWD");
    /* Large quantities stay exact; too large is refused, not wrapped. */
    r = add_line(q, "\"quantity\": \"100000000000000000000\", \"unit_price\": \"0.001\"");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(money(r, "total"), "100000000000000000 KWD");
    EXPECT_FIELD_ERROR(add_line(q, "\"quantity\": \"10000000000000000000000000000000000\", "
                                   "\"unit_price\": \"100000\""),
                       "quantity", "too large");
    assert_string_equal(money(get("quote", q, tok_rep), "total"), "100000000000000002.592 KWD");
    /* A currency the quote is not in. */
    EXPECT_FIELD_ERROR(add_line(q, "\"quantity\": 1, \"unit_price\": {\"amount\": \"1\", "
                                   "\"currency\": \"EUR\"}"),
                       "unit_price", "must be in KWD");
}

static void status_flow(void **state)
{
    (void)state;
    const char *q = new_quote("Flow");
    rp_it_resp_t *r = set_status(q, "sent");
    EXPECT_FIELD_ERROR(r, "status", "without lines cannot be sent");
    const char *line = add_line_ok(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 2", widget));
    r = set_status(q, "accepted");
    EXPECT_FIELD_ERROR(r, "status", "cannot go from draft to accepted");
    assert_non_null(strstr(field_error(r, "status"), "can only go to sent"));
    EXPECT_FIELD_ERROR(set_status(q, "won"), "status", NULL);
    RP_IT_EXPECT_STATUS(set_status(q, "sent"), 200);

    /* Sent: lines are frozen, so is the header but for the status. */
    EXPECT_FIELD_ERROR(add_line(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 1", widget)),
                       "quote_id", "only change while the quote is a draft; it is sent");
    EXPECT_FIELD_ERROR(patch("quote_line", line, tok_rep, "{\"quantity\": 5}"), "quote_id",
                       "it is sent");
    EXPECT_FIELD_ERROR(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/quote_line/%s", line), tok_rep, NULL),
        "quote_id", "it is sent");
    EXPECT_FIELD_ERROR(patch("quote", q, tok_rep, "{\"name\": \"Renamed\"}"), "name",
                       "cannot change while the quote is sent");
    EXPECT_FIELD_ERROR(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/quote/%s", q), tok_rep, NULL), "status",
        "only a draft quote can be deleted");
    /* Revision: back to draft, with changes in the same write. */
    r = patch("quote", q, tok_rep, "{\"status\": \"draft\", \"name\": \"Flow v2\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(fstr(r, "name"), "Flow v2");
    RP_IT_EXPECT_STATUS(patch("quote_line", line, tok_rep, "{\"quantity\": 5}"), 200);
    RP_IT_EXPECT_STATUS(set_status(q, "sent"), 200);
    RP_IT_EXPECT_STATUS(set_status(q, "accepted"), 200);

    /* Accepted is final. */
    r = set_status(q, "draft");
    EXPECT_FIELD_ERROR(r, "status", "cannot go from accepted to draft: an accepted quote is final");
    EXPECT_FIELD_ERROR(set_status(q, "rejected"), "status", "cannot go from accepted to rejected");
    EXPECT_FIELD_ERROR(patch("quote", q, tok_rep, "{\"notes\": \"late\"}"), "notes",
                       "accepted, which is final");
    EXPECT_FIELD_ERROR(patch("quote_line", line, tok_rep, "{\"discount\": 1}"), "quote_id",
                       "it is accepted");
    RP_IT_EXPECT_STATUS(set_status(q, "accepted"), 200); /* no change is no transition */
    assert_string_equal(money(get("quote", q, tok_rep), "total"), "119.94 EUR");

    /* Rejected is final too. */
    const char *q2 = new_quote("Lost");
    add_line_ok(q2, "\"quantity\": 1, \"unit_price\": \"5\"");
    RP_IT_EXPECT_STATUS(set_status(q2, "sent"), 200);
    RP_IT_EXPECT_STATUS(set_status(q2, "rejected"), 200);
    EXPECT_FIELD_ERROR(set_status(q2, "sent"), "status", "a rejected quote is final");

    /* An expired quote cannot be accepted. */
    const char *q3 =
        create_ok("quote", tok_rep,
                  "{\"name\": \"Old\", \"currency\": \"EUR\", \"valid_until\": \"2020-01-31\"}");
    add_line_ok(q3, "\"quantity\": 1, \"unit_price\": \"5\"");
    RP_IT_EXPECT_STATUS(set_status(q3, "sent"), 200);
    EXPECT_FIELD_ERROR(set_status(q3, "accepted"), "status", "expired on 2020-01-31");
    /* Drafts can be deleted, with their lines. */
    const char *q4 = new_quote("Scrap");
    const char *l4 = add_line_ok(q4, "\"quantity\": 1, \"unit_price\": \"5\"");
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/quote/%s", q4), tok_rep, NULL), 204);
    RP_IT_EXPECT_PROBLEM(get("quote_line", l4, tok_rep), 404, "not_found");
    /* Another tenant cannot move our quote. */
    RP_IT_EXPECT_PROBLEM(patch("quote", q2, tok_rival, "{\"status\": \"draft\"}"), 404,
                         "not_found");
}

/* ---- concurrent line writes ----------------------------------------------- */

#define NLINES 16

typedef struct line_job {
    const char *quote;
    int n;
    long status;
} line_job_t;

static void *write_line(void *arg)
{
    line_job_t *j = arg;
    rp_it_resp_t *r = create("quote_line", tok_rep,
                             rp_it_fmt("{\"quote_id\": \"%s\", \"quantity\": %d, \"unit_price\": "
                                       "\"1.01\", \"tax_rate\": 10}",
                                       j->quote, j->n));
    j->status = r->status;
    return NULL;
}

static void concurrent_lines(void **state)
{
    (void)state;
    const char *q = new_quote("Busy");
    pthread_t th[NLINES];
    line_job_t jobs[NLINES];
    for (int i = 0; i < NLINES; i++) {
        jobs[i] = (line_job_t){.quote = q, .n = i + 1, .status = 0};
        assert_int_equal(pthread_create(&th[i], NULL, write_line, &jobs[i]), 0);
    }
    for (int i = 0; i < NLINES; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NLINES; i++)
        assert_int_equal(jobs[i].status, 201);
    /* 1+...+16 = 136 units at 1.01 = 137.36; the tax is the sum of each
     * line's rounded 10 %. */
    long tax_cents = 0;
    for (int n = 1; n <= NLINES; n++)
        tax_cents += (n * 101 + 5) / 10; /* 10.1 n cents, rounded half up */
    rp_it_resp_t *r = get("quote", q, tok_rep);
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "line_count")), NLINES);
    assert_string_equal(money(r, "subtotal"), "137.36 EUR");
    assert_string_equal(money(r, "tax_total"),
                        rp_it_fmt("%ld.%02ld EUR", tax_cents / 100, tax_cents % 100));
}

/* More lines than one page of a query: the totals and the printable page
 * count them all. */
static void many_lines(void **state)
{
    (void)state;
    enum { N = 205 };
    const char *q = new_quote("Big");
    json_t *ops = json_array();
    for (int i = 0; i < N; i++)
        json_array_append_new(ops, json_pack("{s:s, s:{s:s, s:i, s:s, s:s}}", "op", "create",
                                             "fields", "quote_id", q, "quantity", 1, "unit_price",
                                             "1.005", "description", rp_it_fmt("Item %d", i + 1)));
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/records/quote_line/bulk", tok_rep,
                                  json_pack("{s:o}", "operations", ops));
    RP_IT_EXPECT_STATUS(r, 200);
    /* 1.005 rounds to 1.01 on each line: 205 x 1.01 = 207.05, not
     * round(205 x 1.005) = 206.03. */
    r = get("quote", q, tok_rep);
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "line_count")), N);
    assert_string_equal(money(r, "total"), "207.05 EUR");
    r = rp_it_get(rp_it_fmt("/api/v1/m/sales/quotes/%s/print", q), tok_rep);
    RP_IT_EXPECT_STATUS(r, 200);
    int rows = 0;
    for (const char *p = r->body; (p = strstr(p, "<tr><td class=\"num\">")) != NULL; p++)
        rows++;
    assert_int_equal(rows, N);
    assert_non_null(strstr(r->body, "Item 205"));
    assert_non_null(strstr(r->body, "207.05 EUR"));
    /* The next line takes the next position. */
    r = add_line(q, "\"quantity\": 1, \"unit_price\": \"1\"");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_int_equal(json_integer_value(json_object_get(fields_of(r), "position")), N + 1);
}

/* ---- the printable page --------------------------------------------------- */

static void print_view(void **state)
{
    (void)state;
    const char *q = create_ok(
        "quote", tok_rep,
        rp_it_fmt("{\"name\": \"<script>alert('x')</script> & more\", \"currency\": \"EUR\", "
                  "\"account_id\": \"%s\", \"contact_id\": \"%s\", \"valid_until\": "
                  "\"2031-06-30\", \"terms\": \"Net 30 <days>\"}",
                  account, contact));
    add_line_ok(q, rp_it_fmt("\"product_id\": \"%s\", \"quantity\": 3, \"discount\": 10", widget));
    add_line_ok(q, "\"description\": \"Custom \\\"<img src=x onerror=alert(1)>\\\"\", "
                   "\"quantity\": 1, \"unit_price\": \"0.125\", \"tax_rate\": 50");
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/m/sales/quotes/%s/print", q), tok_viewer);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_header(r, "Content-Type"), "text/html; charset=utf-8");
    const char *html = r->body;
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<img"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    assert_non_null(strstr(html, "&lt;b&gt;Acme&lt;/b&gt; &amp; Sons"));
    assert_non_null(strstr(html, "Zoé O&#39;Neil &lt;i&gt;"));
    assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(html, "Net 30 &lt;days&gt;"));
    assert_non_null(strstr(html, "2031-06-30"));
    assert_non_null(strstr(html, "Draft"));
    assert_non_null(strstr(html, "Widget"));
    assert_non_null(strstr(html, "W-1"));
    assert_non_null(strstr(html, "19.99 EUR"));
    assert_non_null(strstr(html, "53.97 EUR"));
    assert_non_null(strstr(html, "64.96 EUR"));
    const char *number = fstr(get("quote", q, tok_rep), "number");
    assert_non_null(strstr(html, number));
    /* Not found for everyone else. */
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/m/sales/quotes/%s/print", q), tok_rival), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/m/sales/quotes/not-a-uuid/print", tok_rep), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/m/sales/quotes/01890000-0000-7000-8000-000000000000/print", tok_rep),
        404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/m/sales/quotes/%s/print", q), NULL), 401,
                         NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(price_books), RP_IT_TEST(quote_defaults), RP_IT_TEST(lines_and_totals),
        RP_IT_TEST(currencies),  RP_IT_TEST(status_flow),    RP_IT_TEST(concurrent_lines),
        RP_IT_TEST(many_lines),  RP_IT_TEST(print_view),
    };
    RP_IT_RUN("sales_quotes", tests, setup, teardown);
}
