/* Orders and invoices end to end: an order from an accepted quote (its
 * lines and totals copied in one transaction; 409 for a quote not accepted
 * or already ordered), the order status flow and frozen lines, an invoice
 * from an activated order (409 for a draft or cancelled order or one
 * already invoiced), issuing, paying, voiding and invoicing again, and the
 * numbering: 50 concurrent invoice creations get 50 consecutive numbers,
 * and concurrent attempts on one quote or one order make exactly one
 * document. Bad input: another tenant's ids, malformed ids, a read-only
 * user. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "it.h"

#define PASSWORD "sales-orders-password-1"

static char *tok_admin, *tok_rep, *tok_viewer, *tok_rival, *widget, *account;

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

static const char *jfstr(json_t *record, const char *field)
{
    return json_string_value(json_object_get(json_object_get(record, "fields"), field));
}

static const char *fstr(const rp_it_resp_t *r, const char *field)
{
    return jfstr(r->json, field);
}

static const char *jmoney(json_t *record, const char *field)
{
    json_t *v = json_object_get(json_object_get(record, "fields"), field);
    if (!json_is_object(v))
        return "(none)";
    return rp_it_fmt("%s %s", json_string_value(json_object_get(v, "amount")),
                     json_string_value(json_object_get(v, "currency")));
}

static const char *money(const rp_it_resp_t *r, const char *field)
{
    return jmoney(r->json, field);
}

#define EXPECT_FIELD_ERROR(r, field, text) expect_field_error((r), (field), (text), __LINE__)
static void expect_field_error(const rp_it_resp_t *r, const char *field, const char *text, int line)
{
    rp_it_expect_problem_at(r, 422, "validation_failed", __FILE__, line);
    const char *msg = json_string_value(json_object_get(json_object_get(r->json, "errors"), field));
    if (msg == NULL || (text != NULL && strstr(msg, text) == NULL))
        rp_it_fail_at(__FILE__, line, "expected an error on %s containing \"%s\": %s", field,
                      text ? text : "", r->body);
}

/* Expects a problem whose detail contains text. */
#define EXPECT_DETAIL(r, st, code, text) expect_detail((r), (st), (code), (text), __LINE__)
static void expect_detail(const rp_it_resp_t *r, long st, const char *code, const char *text,
                          int line)
{
    rp_it_expect_problem_at(r, st, code, __FILE__, line);
    const char *d = rp_it_jstr(r, "detail");
    if (d == NULL || strstr(d, text) == NULL)
        rp_it_fail_at(__FILE__, line, "expected a detail containing \"%s\": %s", text, r->body);
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
    rp_it_user_add("acme", "rep@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "viewer@acme.test", "readonly", PASSWORD);
    rp_it_user_add("rival", "admin@rival.test", "admin", PASSWORD);
    tok_admin = keep(rp_it_token("acme", "admin@acme.test", PASSWORD));
    tok_rep = keep(rp_it_token("acme", "rep@acme.test", PASSWORD));
    tok_viewer = keep(rp_it_token("acme", "viewer@acme.test", PASSWORD));
    tok_rival = keep(rp_it_token("rival", "admin@rival.test", PASSWORD));
    RP_IT_EXPECT_STATUS(post("/api/v1/modules/sales/enable", tok_admin, NULL), 200);
    RP_IT_EXPECT_STATUS(post("/api/v1/modules/sales/enable", tok_rival, NULL), 200);
    const char *book = create_ok("price_book", tok_admin,
                                 "{\"name\": \"Standard\", \"currency\": \"EUR\", "
                                 "\"is_standard\": true}");
    widget = keep(create_ok("product", tok_admin,
                            "{\"name\": \"Widget\", \"code\": \"W-1\", \"tax_rate\": 20}"));
    create_ok("price_book_entry", tok_admin,
              rp_it_fmt("{\"price_book_id\": \"%s\", \"product_id\": \"%s\", \"list_price\": "
                        "\"19.99\"}",
                        book, widget));
    account = keep(create_ok("account", tok_rep, "{\"name\": \"Buyer Ltd\"}"));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char **all[] = {&tok_admin, &tok_rep, &tok_viewer, &tok_rival, &widget, &account};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* A quote with two lines (64.76 + 0.20 EUR), moved to status (draft, sent
 * or accepted). */
static const char *quote_in(const char *status)
{
    const char *q = create_ok(
        "quote", tok_rep,
        rp_it_fmt("{\"name\": \"Deal\", \"currency\": \"EUR\", \"account_id\": \"%s\", \"terms\": "
                  "\"Net 30\"}",
                  account));
    create_ok("quote_line", tok_rep,
              rp_it_fmt("{\"quote_id\": \"%s\", \"product_id\": \"%s\", \"quantity\": 3, "
                        "\"discount\": 10}",
                        q, widget));
    create_ok("quote_line", tok_rep,
              rp_it_fmt("{\"quote_id\": \"%s\", \"description\": \"Setup\", \"quantity\": 1, "
                        "\"unit_price\": \"0.125\", \"tax_rate\": 50}",
                        q));
    if (strcmp(status, "draft") != 0)
        RP_IT_EXPECT_STATUS(patch("quote", q, tok_rep, "{\"status\": \"sent\"}"), 200);
    if (strcmp(status, "accepted") == 0)
        RP_IT_EXPECT_STATUS(patch("quote", q, tok_rep, "{\"status\": \"accepted\"}"), 200);
    return q;
}

static rp_it_resp_t *order_from(const char *quote, const char *tok)
{
    return post(rp_it_fmt("/api/v1/m/sales/quotes/%s/order", quote), tok, NULL);
}

static rp_it_resp_t *invoice_from(const char *order, const char *tok)
{
    return post(rp_it_fmt("/api/v1/m/sales/orders/%s/invoice", order), tok, NULL);
}

/* ---- orders ------------------------------------------------------------- */

static void order_from_quote(void **state)
{
    (void)state;
    const char *q = quote_in("accepted");
    rp_it_resp_t *r = order_from(q, tok_rep);
    RP_IT_EXPECT_STATUS(r, 201);
    json_t *order = json_object_get(r->json, "order");
    json_t *lines = json_object_get(r->json, "lines");
    const char *number = jfstr(order, "number");
    assert_non_null(number);
    assert_memory_equal(number, "ORD-", 4);
    assert_int_equal(strlen(number), 9);
    assert_string_equal(jfstr(order, "status"), "draft");
    assert_string_equal(jfstr(order, "quote_id"), q);
    assert_string_equal(jfstr(order, "account_id"), account);
    assert_string_equal(jfstr(order, "currency"), "EUR");
    assert_string_equal(jfstr(order, "terms"), "Net 30");
    char today[11];
    today_plus(0, today);
    assert_string_equal(jfstr(order, "order_date"), today);
    /* The same amounts as the quote, line by line and in total. */
    rp_it_resp_t *quote = get("quote", q, tok_rep);
    const char *totals[] = {"subtotal", "discount_total", "tax_total", "total"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(jmoney(order, totals[i]), money(quote, totals[i]));
    assert_string_equal(jmoney(order, "total"), "64.96 EUR");
    assert_int_equal(json_array_size(lines), 2);
    json_t *l1 = json_array_get(lines, 0), *l2 = json_array_get(lines, 1);
    assert_string_equal(jfstr(l1, "order_id"), json_string_value(json_object_get(order, "id")));
    assert_string_equal(jfstr(l1, "product_id"), widget);
    assert_string_equal(jmoney(l1, "unit_price"), "19.99 EUR");
    assert_string_equal(jmoney(l1, "total"), "64.76 EUR");
    assert_string_equal(jmoney(l2, "unit_price"), "0.125 EUR");
    assert_string_equal(jmoney(l2, "total"), "0.2 EUR");
    assert_string_equal(jfstr(l2, "description"), "Setup");

    /* Once only. */
    EXPECT_DETAIL(order_from(q, tok_rep), 409, "order_exists", number);
    EXPECT_FIELD_ERROR(create("order", tok_rep, rp_it_fmt("{\"quote_id\": \"%s\"}", q)), "quote_id",
                       "already has order");
    /* Only from an accepted quote. */
    EXPECT_DETAIL(order_from(quote_in("draft"), tok_rep), 409, "quote_not_accepted",
                  "the quote is draft");
    const char *sent = quote_in("sent");
    EXPECT_DETAIL(order_from(sent, tok_rep), 409, "quote_not_accepted", "the quote is sent");
    EXPECT_FIELD_ERROR(create("order", tok_rep, rp_it_fmt("{\"quote_id\": \"%s\"}", sent)),
                       "quote_id", "only an accepted quote");
    /* An accepted quote that has an order cannot be deleted. */
    rp_it_expect_problem_at(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/quote/%s", q), tok_rep, NULL), 422,
        "validation_failed", __FILE__, __LINE__);
    /* Not found, forbidden. */
    RP_IT_EXPECT_PROBLEM(order_from("01890000-0000-7000-8000-000000000000", tok_rep), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(order_from("nope", tok_rep), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(order_from(quote_in("accepted"), tok_rival), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(order_from(quote_in("accepted"), tok_viewer), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(order_from(q, NULL), 401, NULL);
}

static void order_flow(void **state)
{
    (void)state;
    rp_it_resp_t *r = order_from(quote_in("accepted"), tok_rep);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *o = rp_it_fmt(
        "%s", json_string_value(json_object_get(json_object_get(r->json, "order"), "id")));
    /* A draft order takes more lines. */
    r = create(
        "order_line", tok_rep,
        rp_it_fmt("{\"order_id\": \"%s\", \"product_id\": \"%s\", \"quantity\": 1}", o, widget));
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(money(r, "total"), "23.99 EUR");
    const char *extra = rp_it_jstr(r, "id");
    assert_string_equal(money(get("order", o, tok_rep), "total"), "88.95 EUR");
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/order_line/%s", extra), tok_rep, NULL),
        204);
    assert_string_equal(money(get("order", o, tok_rep), "total"), "64.96 EUR");
    /* Not invoiced while a draft. */
    EXPECT_DETAIL(invoice_from(o, tok_rep), 409, "order_not_activated", "activate it");
    EXPECT_FIELD_ERROR(patch("order", o, tok_rep, "{\"status\": \"fulfilled\"}"), "status",
                       "cannot go from draft to fulfilled");
    RP_IT_EXPECT_STATUS(patch("order", o, tok_rep, "{\"status\": \"activated\"}"), 200);
    /* Activated: lines frozen. */
    EXPECT_FIELD_ERROR(create("order_line", tok_rep,
                              rp_it_fmt("{\"order_id\": \"%s\", \"product_id\": \"%s\", "
                                        "\"quantity\": 1}",
                                        o, widget)),
                       "order_id", "it is activated");
    EXPECT_FIELD_ERROR(patch("order", o, tok_rep, "{\"order_date\": \"2030-01-01\"}"), "order_date",
                       "cannot change while the order is activated");
    EXPECT_FIELD_ERROR(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/order/%s", o), tok_rep, NULL), "status",
        "only a draft order");
    /* An empty order is not activated. */
    const char *empty = create_ok("order", tok_rep, "{\"name\": \"Empty\", \"currency\": \"EUR\"}");
    EXPECT_FIELD_ERROR(patch("order", empty, tok_rep, "{\"status\": \"activated\"}"), "status",
                       "without lines cannot be activated");
    RP_IT_EXPECT_STATUS(patch("order", empty, tok_rep, "{\"status\": \"cancelled\"}"), 200);
    EXPECT_DETAIL(invoice_from(empty, tok_rep), 409, "order_cancelled", "cancelled");
    EXPECT_FIELD_ERROR(create("invoice", tok_rep, rp_it_fmt("{\"order_id\": \"%s\"}", empty)),
                       "order_id", "only an activated or fulfilled order");

    /* The invoice. */
    r = invoice_from(o, tok_rep);
    RP_IT_EXPECT_STATUS(r, 201);
    json_t *inv = json_object_get(r->json, "invoice");
    const char *inv_id = rp_it_fmt("%s", json_string_value(json_object_get(inv, "id")));
    const char *number = rp_it_fmt("%s", jfstr(inv, "number"));
    assert_memory_equal(number, "INV-", 4);
    assert_string_equal(jfstr(inv, "status"), "draft");
    assert_string_equal(jfstr(inv, "order_id"), o);
    assert_string_equal(jfstr(inv, "open_order_id"), o);
    assert_string_equal(jmoney(inv, "total"), "64.96 EUR");
    assert_string_equal(jmoney(inv, "balance_due"), "64.96 EUR");
    assert_int_equal(json_array_size(json_object_get(r->json, "lines")), 2);
    EXPECT_DETAIL(invoice_from(o, tok_rep), 409, "already_invoiced", number);
    EXPECT_FIELD_ERROR(create("invoice", tok_rep, rp_it_fmt("{\"order_id\": \"%s\"}", o)),
                       "order_id", "already has invoice");
    EXPECT_FIELD_ERROR(patch("order", o, tok_rep, "{\"status\": \"cancelled\"}"), "status",
                       "void it before cancelling");
    /* Issue: dates; pay: the whole total; then final. */
    EXPECT_FIELD_ERROR(patch("invoice", inv_id, tok_rep, "{\"status\": \"paid\"}"), "status",
                       "cannot go from draft to paid");
    r = patch("invoice", inv_id, tok_rep, "{\"status\": \"issued\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    char today[11], due[11];
    today_plus(0, today);
    today_plus(30, due);
    assert_string_equal(fstr(r, "issue_date"), today);
    assert_string_equal(fstr(r, "due_date"), due);
    EXPECT_FIELD_ERROR(patch("invoice", inv_id, tok_rep, "{\"name\": \"changed\"}"), "name",
                       "cannot change while the invoice is issued");
    r = patch("invoice", inv_id, tok_rep, "{\"amount_paid\": \"20\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(money(r, "balance_due"), "44.96 EUR");
    EXPECT_FIELD_ERROR(patch("invoice", inv_id, tok_rep,
                             "{\"amount_paid\": {\"amount\": \"1\", \"currency\": \"USD\"}}"),
                       "amount_paid", "must be in EUR");
    EXPECT_FIELD_ERROR(
        patch("invoice", inv_id, tok_rep, "{\"status\": \"paid\", \"amount_paid\": \"30\"}"),
        "amount_paid", "less than the total");
    r = patch("invoice", inv_id, tok_rep, "{\"status\": \"paid\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(money(r, "amount_paid"), "64.96 EUR");
    assert_string_equal(money(r, "balance_due"), "0 EUR");
    EXPECT_FIELD_ERROR(patch("invoice", inv_id, tok_rep, "{\"status\": \"void\"}"), "status",
                       "a paid invoice is final");
    EXPECT_FIELD_ERROR(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/invoice/%s", inv_id), tok_rep, NULL),
        "status", "void it instead");
    RP_IT_EXPECT_STATUS(patch("order", o, tok_rep, "{\"status\": \"fulfilled\"}"), 200);
    EXPECT_DETAIL(invoice_from(o, tok_rep), 409, "already_invoiced", number);

    /* A voided invoice frees its order for a new one. */
    r = order_from(quote_in("accepted"), tok_rep);
    const char *o2 = rp_it_fmt(
        "%s", json_string_value(json_object_get(json_object_get(r->json, "order"), "id")));
    RP_IT_EXPECT_STATUS(patch("order", o2, tok_rep, "{\"status\": \"activated\"}"), 200);
    r = invoice_from(o2, tok_rep);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *first = rp_it_fmt(
        "%s", json_string_value(json_object_get(json_object_get(r->json, "invoice"), "id")));
    r = patch("invoice", first, tok_rep, "{\"status\": \"void\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_null(fstr(r, "open_order_id"));
    r = invoice_from(o2, tok_rep);
    RP_IT_EXPECT_STATUS(r, 201);

    /* Another tenant, a read-only user, nonsense ids. */
    RP_IT_EXPECT_PROBLEM(invoice_from(o2, tok_rival), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(invoice_from(o2, tok_viewer), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(invoice_from("01890000-0000-7000-8000-000000000000", tok_rep), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(get("invoice", inv_id, tok_rival), 404, "not_found");
    RP_IT_EXPECT_STATUS(get("invoice", inv_id, tok_viewer), 200);
}

/* ---- concurrency --------------------------------------------------------- */

#define NINVOICES 50

typedef struct job {
    const char *path;
    long status;
    char number[32];
} job_t;

static void *run_job(void *arg)
{
    job_t *j = arg;
    rp_it_resp_t *r = post(j->path, tok_rep, NULL);
    j->status = r->status;
    json_t *doc = json_object_get(r->json, "invoice");
    if (doc == NULL)
        doc = json_object_get(r->json, "order");
    const char *n = jfstr(doc, "number");
    snprintf(j->number, sizeof j->number, "%s", n ? n : "");
    return NULL;
}

/* Runs n jobs at once, one thread each. */
static void run_all(job_t *jobs, int n)
{
    pthread_t *th = calloc((size_t)n, sizeof *th);
    assert_non_null(th);
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    free(th);
}

static int by_number(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void concurrent_invoices(void **state)
{
    (void)state;
    /* 50 activated orders with one line each, made through the records
     * API. */
    job_t jobs[NINVOICES];
    for (int i = 0; i < NINVOICES; i++) {
        const char *o = create_ok("order", tok_rep,
                                  rp_it_fmt("{\"name\": \"Bulk %d\", \"currency\": \"EUR\", "
                                            "\"account_id\": \"%s\"}",
                                            i, account));
        create_ok("order_line", tok_rep,
                  rp_it_fmt("{\"order_id\": \"%s\", \"product_id\": \"%s\", \"quantity\": %d}", o,
                            widget, i + 1));
        RP_IT_EXPECT_STATUS(patch("order", o, tok_rep, "{\"status\": \"activated\"}"), 200);
        jobs[i] = (job_t){.path = rp_it_fmt("/api/v1/m/sales/orders/%s/invoice", o)};
    }
    /* The numbers so far, to know where the run starts. */
    rp_it_resp_t *last = rp_it_get("/api/v1/records/invoice?sort=-number&limit=1", tok_rep);
    RP_IT_EXPECT_STATUS(last, 200);
    json_t *list = rp_it_jlist(last);
    long before = json_array_size(list) ? atol(jfstr(json_array_get(list, 0), "number") + 4) : 0;

    double t0 = rp_it_now();
    run_all(jobs, NINVOICES);
    double took = rp_it_now() - t0;
    long numbers[NINVOICES];
    for (int i = 0; i < NINVOICES; i++) {
        if (jobs[i].status != 201)
            RP_IT_FAIL("invoice %d: HTTP %ld", i, jobs[i].status);
        assert_memory_equal(jobs[i].number, "INV-", 4);
        numbers[i] = atol(jobs[i].number + 4);
    }
    qsort(numbers, NINVOICES, sizeof numbers[0], by_number);
    /* Consecutive, no gap, no duplicate, right after the ones before. */
    assert_int_equal(numbers[0], before + 1);
    for (int i = 1; i < NINVOICES; i++)
        assert_int_equal(numbers[i], numbers[i - 1] + 1);
    printf("# %d concurrent invoices in %.2f s: INV-%05ld .. INV-%05ld\n", NINVOICES, took,
           numbers[0], numbers[NINVOICES - 1]);

    /* Ten requests invoicing one order: one invoice, nine 409s, and the
     * refused ones leave no hole in the numbers. */
    const char *o = create_ok("order", tok_rep, "{\"name\": \"Race\", \"currency\": \"EUR\"}");
    create_ok("order_line", tok_rep,
              rp_it_fmt("{\"order_id\": \"%s\", \"quantity\": 1, \"unit_price\": \"5\"}", o));
    RP_IT_EXPECT_STATUS(patch("order", o, tok_rep, "{\"status\": \"activated\"}"), 200);
    job_t race[10];
    for (int i = 0; i < 10; i++)
        race[i] = (job_t){.path = rp_it_fmt("/api/v1/m/sales/orders/%s/invoice", o)};
    run_all(race, 10);
    int created = 0;
    for (int i = 0; i < 10; i++) {
        if (race[i].status == 201) {
            created++;
            assert_int_equal(atol(race[i].number + 4), numbers[NINVOICES - 1] + 1);
        } else {
            assert_int_equal(race[i].status, 409);
        }
    }
    assert_int_equal(created, 1);

    /* Ten requests ordering one quote: one order. */
    rp_it_resp_t *q = create("quote", tok_rep, "{\"name\": \"Race\", \"currency\": \"EUR\"}");
    const char *qid = rp_it_jstr(q, "id");
    create_ok("quote_line", tok_rep,
              rp_it_fmt("{\"quote_id\": \"%s\", \"quantity\": 1, \"unit_price\": \"5\"}", qid));
    RP_IT_EXPECT_STATUS(patch("quote", qid, tok_rep, "{\"status\": \"sent\"}"), 200);
    RP_IT_EXPECT_STATUS(patch("quote", qid, tok_rep, "{\"status\": \"accepted\"}"), 200);
    for (int i = 0; i < 10; i++)
        race[i] = (job_t){.path = rp_it_fmt("/api/v1/m/sales/quotes/%s/order", qid)};
    run_all(race, 10);
    created = 0;
    for (int i = 0; i < 10; i++) {
        if (race[i].status == 201)
            created++;
        else
            assert_int_equal(race[i].status, 409);
    }
    assert_int_equal(created, 1);
    /* The next invoice number follows on. */
    const char *o3 = create_ok("order", tok_rep, "{\"name\": \"After\", \"currency\": \"EUR\"}");
    create_ok("order_line", tok_rep,
              rp_it_fmt("{\"order_id\": \"%s\", \"quantity\": 1, \"unit_price\": \"5\"}", o3));
    RP_IT_EXPECT_STATUS(patch("order", o3, tok_rep, "{\"status\": \"activated\"}"), 200);
    rp_it_resp_t *r = invoice_from(o3, tok_rep);
    RP_IT_EXPECT_STATUS(r, 201);
    assert_int_equal(atol(jfstr(json_object_get(r->json, "invoice"), "number") + 4),
                     numbers[NINVOICES - 1] + 2);
}

/* A tenant without the module has none of its objects or actions. */
static void module_disabled(void **state)
{
    (void)state;
    rp_it_resp_t *q = create("quote", tok_rival, "{\"name\": \"Theirs\", \"currency\": \"EUR\"}");
    RP_IT_EXPECT_STATUS(q, 201);
    const char *id = rp_it_jstr(q, "id");
    RP_IT_EXPECT_STATUS(post("/api/v1/modules/sales/disable", tok_rival, NULL), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/records/quote", tok_rival), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(get("invoice", id, tok_rival), 404, "unknown_object");
    RP_IT_EXPECT_PROBLEM(order_from(id, tok_rival), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(invoice_from(id, tok_rival), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/m/sales/quotes/%s/print", id), tok_rival),
                         404, "not_found");
    /* Enabled again, the data is back. */
    RP_IT_EXPECT_STATUS(post("/api/v1/modules/sales/enable", tok_rival, NULL), 200);
    RP_IT_EXPECT_STATUS(get("quote", id, tok_rival), 200);
    RP_IT_EXPECT_STATUS(rp_it_get(rp_it_fmt("/api/v1/m/sales/quotes/%s/print", id), tok_rival),
                        200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(order_from_quote),
        RP_IT_TEST(order_flow),
        RP_IT_TEST(concurrent_invoices),
        RP_IT_TEST(module_disabled),
    };
    RP_IT_RUN("sales_orders", tests, setup, teardown);
}
