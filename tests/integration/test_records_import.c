/* CSV import and CSV / JSON-lines export through the HTTP API: header and
 * explicit mappings, all-or-nothing and per-row modes, unique values inside
 * the file, malformed files, body limits, roles, a large import, round
 * trips, filters, tenant isolation and a client that leaves mid-export;
 * and imports into objects that Lua triggers or module hooks watch, whose
 * rows go through them one by one. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "it.h"
#include "records/csv.h"

#define PASSWORD "import-password-1"
#define IMPORT_KIB 8192  /* the server's RAPPORT_MAX_IMPORT_KIB in this file */
#define SCRIPT_WRITES 30 /* the server's RAPPORT_SCRIPT_RECORDS_WRITTEN in this file */

static int setup(void **state)
{
    rp_it_pg_start();
    /* Few workers: a client that leaves mid-export must give its worker
     * back, or the last tests starve. */
    rp_it_server_start("RAPPORT_MAX_IMPORT_KIB=8192", "RAPPORT_WORKERS=4",
                       rp_it_fmt("RAPPORT_SCRIPT_RECORDS_WRITTEN=%d", SCRIPT_WRITES), NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    /* Triggers and module hooks live in a tenant of their own, so that
     * acme's imports keep the set-based path. */
    rp_it_tenant_create("hooks", "Hooks Inc");
    rp_it_user_add("hooks", "admin@hooks.test", "admin", PASSWORD);
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "user@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "reader@acme.test", "readonly", PASSWORD);
    rp_it_user_add("acme", "rep@acme.test", "user", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    /* A unique custom field on account, for the duplicate checks. */
    const char *admin = rp_it_token("acme", "admin@acme.test", PASSWORD);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/objects/account/fields", admin,
                                 "{\"name\":\"code__c\",\"type\":\"text\",\"unique\":true}");
    RP_IT_EXPECT_STATUS(r, 201);
    /* An object no module hook or trigger watches: its imports keep the
     * set-based batches. */
    r = rp_it_send("POST", "/api/v1/objects", admin,
                   "{\"name\":\"batch__c\",\"label\":\"Batch\",\"fields\":["
                   "{\"name\":\"name__c\",\"type\":\"text\"},"
                   "{\"name\":\"code__c\",\"type\":\"text\",\"unique\":true}]}");
    RP_IT_EXPECT_STATUS(r, 201);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static const char *admin(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

static rp_it_resp_t *import_csv(const char *object, const char *query, const char *csv, size_t len,
                                const char *bearer)
{
    const char *path =
        rp_it_fmt("/api/v1/import/%s%s%s", object, query ? "?" : "", query ? query : "");
    return rp_it_http(&(rp_it_req_t){.method = "POST",
                                     .path = path,
                                     .bearer = bearer,
                                     .content_type = "text/csv",
                                     .body = csv,
                                     .body_len = len ? len : strlen(csv),
                                     .timeout = 300});
}

/* Live records of object in tenant slug whose data->>field starts with
 * prefix, counted in the database. */
static long count(const char *slug, const char *object, const char *field, const char *prefix)
{
    const char *n = rp_it_sql("SELECT count(*) FROM records WHERE tenant_id = $1 AND object = $2 "
                              "AND deleted_at IS NULL AND data->>$3 LIKE $4 || '%'",
                              rp_it_tenant_id(slug), object, field, prefix, NULL);
    return n ? atol(n) : -1;
}

static long jint(const rp_it_resp_t *r, const char *key)
{
    json_t *v = json_object_get(r->json, key);
    if (!json_is_integer(v))
        RP_IT_FAIL("no integer %s in %s", key, r->body);
    return (long)json_integer_value(v);
}

static void header_mapped_import(void **state)
{
    const char *csv = "first_name,last_name,email\r\n"
                      "Ada,HdrLovelace,ada@hdr.test\r\n"
                      "Grace,HdrHopper,grace@hdr.test\r\n"
                      "\r\n"
                      "\"Kath, the \"\"Queen\"\"\",HdrJohnson,\r\n";
    rp_it_resp_t *r = import_csv("contact", NULL, csv, 0, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "object"), "contact");
    assert_string_equal(rp_it_jstr(r, "mode"), "all");
    assert_int_equal(jint(r, "rows"), 3);
    assert_int_equal(jint(r, "created"), 3);
    assert_int_equal(jint(r, "rejected"), 0);
    assert_int_equal(json_array_size(json_object_get(r->json, "errors")), 0);
    assert_int_equal(count("acme", "contact", "last_name", "Hdr"), 3);
    /* Stored exactly as a create through the API stores it: normalised
     * values, owner and author, a history row, searchable text. */
    const char *id = rp_it_sql("SELECT id::text FROM records WHERE tenant_id = $1 AND "
                               "data->>'last_name' = 'HdrJohnson'",
                               rp_it_tenant_id("acme"), NULL);
    assert_non_null(id);
    rp_it_resp_t *g = rp_it_get(rp_it_fmt("/api/v1/records/contact/%s", id), admin());
    RP_IT_EXPECT_STATUS(g, 200);
    json_t *fields = json_object_get(g->json, "fields");
    assert_string_equal(json_string_value(json_object_get(fields, "first_name")),
                        "Kath, the \"Queen\"");
    assert_true(json_is_null(json_object_get(fields, "email")));
    assert_string_equal(json_string_value(json_object_get(g->json, "owner_id")),
                        rp_it_user_id("acme", "admin@acme.test"));
    rp_it_resp_t *h = rp_it_get(rp_it_fmt("/api/v1/records/contact/%s/history", id), admin());
    RP_IT_EXPECT_STATUS(h, 200);
    json_t *entries = rp_it_jlist(h);
    assert_int_equal(json_array_size(entries), 1);
    json_t *e0 = json_array_get(entries, 0);
    assert_string_equal(json_string_value(json_object_get(e0, "action")), "create");
    json_t *ln = json_object_get(json_object_get(e0, "changes"), "last_name");
    assert_string_equal(json_string_value(json_object_get(ln, "new")), "HdrJohnson");
    assert_true(json_is_null(json_object_get(ln, "old")));
    const char *hopper = rp_it_sql("SELECT id::text FROM records WHERE tenant_id = $1 AND "
                                   "data->>'last_name' = 'HdrHopper'",
                                   rp_it_tenant_id("acme"), NULL);
    rp_it_resp_t *s = rp_it_get("/api/v1/search?q=HdrHopper", admin());
    RP_IT_EXPECT_STATUS(s, 200);
    json_t *hit = json_array_get(rp_it_jlist(s), 0);
    assert_string_equal(json_string_value(json_object_get(hit, "id")), hopper);
}

static void explicit_mapping(void **state)
{
    const char *csv = "Given,Family,Mail,Junk\nAlan,MapTuring,alan@map.test,x\n";
    /* {"Given":"first_name","Family":"last_name","Mail":"email","Junk":""} */
    const char *q = "mapping=%7B%22Given%22%3A%22first_name%22%2C%22Family%22%3A%22last_name%22%2C"
                    "%22Mail%22%3A%22email%22%2C%22Junk%22%3A%22%22%7D";
    rp_it_resp_t *r = import_csv("contact", q, csv, 0, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 1);
    assert_string_equal(rp_it_sql("SELECT data->>'email' FROM records WHERE tenant_id = $1 AND "
                                  "data->>'last_name' = 'MapTuring'",
                                  rp_it_tenant_id("acme"), NULL),
                        "alan@map.test");
    /* Without the mapping the same file is refused, naming the columns. */
    r = import_csv("contact", NULL, csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_column");
    json_t *errors = json_object_get(r->json, "errors");
    assert_non_null(json_object_get(errors, "Given"));
    assert_non_null(json_object_get(errors, "Junk"));
    /* A mapping that names a column the file lacks, or a field the object
     * lacks. */
    r = import_csv("contact", "mapping=%7B%22Nope%22%3A%22last_name%22%7D", csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_column");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "Nope"));
    r = import_csv("contact", "mapping=%7B%22Junk%22%3A%22shoe_size%22%7D", csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_column");
    r = import_csv("contact", "mapping=not-json", csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "invalid_parameter");
    assert_int_equal(count("acme", "contact", "last_name", "MapTuring"), 1);
}

static void labels_match(void **state)
{
    /* Labels in any locale, any case, padded: "Last name", "PRÉNOM"
     * (French first name) and "e-mail". */
    const char *csv = " Last name ,Pr\xc3\xa9nom,E-MAIL\nLabCurie,Marie,marie@lab.test\n";
    rp_it_resp_t *r = import_csv("contact", NULL, csv, 0, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 1);
    assert_string_equal(rp_it_sql("SELECT data->>'first_name' FROM records WHERE tenant_id = $1 "
                                  "AND data->>'last_name' = 'LabCurie'",
                                  rp_it_tenant_id("acme"), NULL),
                        "Marie");
}

static void unknown_column_400(void **state)
{
    const char *csv = "last_name,shoe_size,email\nUnkX,42,a@b.test\n";
    rp_it_resp_t *r = import_csv("contact", NULL, csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_column");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "shoe_size"));
    assert_int_equal(count("acme", "contact", "last_name", "UnkX"), 0);
    /* Unknown object, wrong content type, bad mode. */
    RP_IT_EXPECT_PROBLEM(import_csv("spaceship", NULL, csv, 0, admin()), 404, "unknown_object");
    r = rp_it_http(&(rp_it_req_t){.method = "POST",
                                  .path = "/api/v1/import/contact",
                                  .bearer = admin(),
                                  .content_type = "application/json",
                                  .body = "{}"});
    RP_IT_EXPECT_PROBLEM(r, 415, NULL);
    RP_IT_EXPECT_PROBLEM(import_csv("contact", "mode=some", csv, 0, admin()), 400,
                         "invalid_parameter");
    /* A header that is not UTF-8 is named by its position. */
    r = import_csv("contact", NULL, "last_name,\xff\xfe\nUnkY,1\n", 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_column");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "(column 2)"));
    /* An empty file has no header. */
    RP_IT_EXPECT_PROBLEM(import_csv("contact", NULL, "\n", 1, admin()), 400, "malformed_csv");
}

static void all_or_nothing_422(void **state)
{
    const char *csv = "last_name,email\n"
                      "AonOne,one@aon.test\n"
                      "AonTwo,not-an-email\n"
                      "AonThree,three@aon.test\n"
                      ",missing@aon.test\n";
    rp_it_resp_t *r = import_csv("contact", NULL, csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "import_rejected");
    assert_int_equal(jint(r, "rows"), 4);
    assert_int_equal(jint(r, "created"), 0);
    assert_int_equal(jint(r, "rejected"), 2);
    json_t *errors = json_object_get(r->json, "errors");
    assert_int_equal(json_array_size(errors), 2);
    json_t *e0 = json_array_get(errors, 0), *e1 = json_array_get(errors, 1);
    assert_int_equal(json_integer_value(json_object_get(e0, "line")), 3);
    assert_non_null(json_object_get(json_object_get(e0, "errors"), "email"));
    assert_int_equal(json_integer_value(json_object_get(e1, "line")), 5);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e1, "errors"), "last_name")),
        "is required");
    /* Nothing was written, not even the good rows. */
    assert_int_equal(count("acme", "contact", "last_name", "Aon"), 0);
}

static void per_row_report(void **state)
{
    const char *csv = "last_name,email,account_id\n"
                      "RowOne,one@row.test,\n"
                      "RowTwo,bad,\n"
                      "\"RowThree\nspans two lines\",three@row.test,\n"
                      "RowFour,four@row.test,00000000-0000-7000-8000-000000000000\n"
                      "RowFive,five@row.test\n"
                      "RowSix,six@row.test,\n";
    rp_it_resp_t *r = import_csv("contact", "mode=row", csv, 0, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "mode"), "row");
    assert_int_equal(jint(r, "rows"), 6);
    assert_int_equal(jint(r, "created"), 3);
    assert_int_equal(jint(r, "rejected"), 3);
    json_t *errors = json_object_get(r->json, "errors");
    assert_int_equal(json_array_size(errors), 3);
    /* Line numbers count physical lines: RowThree takes two. */
    long lines[3];
    for (int i = 0; i < 3; i++)
        lines[i] = (long)json_integer_value(json_object_get(json_array_get(errors, i), "line"));
    assert_int_equal(lines[0], 3);
    assert_int_equal(lines[1], 6);
    assert_int_equal(lines[2], 7);
    json_t *why = json_object_get(json_array_get(errors, 1), "errors");
    assert_string_equal(json_string_value(json_object_get(why, "account_id")),
                        "refers to a record that does not exist");
    why = json_object_get(json_array_get(errors, 2), "errors");
    assert_non_null(json_object_get(why, "row"));
    assert_int_equal(count("acme", "contact", "last_name", "Row"), 3);
    assert_int_equal(count("acme", "contact", "last_name", "RowTwo"), 0);
}

/* A value taken by an existing record, and a value twice in the file: the
 * first row keeps it; also across batches (rows 1 and 1500). On object,
 * whose name field is name. */
static void unique_scenario(const char *object, const char *name)
{
    rp_it_resp_t *r =
        rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", object), admin(),
                   rp_it_fmt("{\"fields\":{\"%s\":\"UnqExisting\",\"code__c\":\"TAKEN\"}}", name));
    RP_IT_EXPECT_STATUS(r, 201);
    rp_buf_t csv = {0};
    rp_buf_printf(&csv, "%s,code__c\n", name);
    rp_buf_puts(&csv, "UnqA,FAR\n"); /* line 2 */
    rp_buf_puts(&csv, "UnqB,TAKEN\n");
    rp_buf_puts(&csv, "UnqC,DUP\n");
    rp_buf_puts(&csv, "UnqD,DUP\n"); /* line 5 */
    for (int i = 0; i < 1500; i++)
        rp_buf_printf(&csv, "UnqFill%d,F%d\n", i, i);
    rp_buf_puts(&csv, "UnqZ,FAR\n"); /* line 1506, in the second batch */
    rp_it_track(csv.data, free);
    r = import_csv(object, "mode=row", csv.data, csv.len, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 1502);
    assert_int_equal(jint(r, "rejected"), 3);
    json_t *errors = json_object_get(r->json, "errors");
    long want[] = {3, 5, 1506};
    for (int i = 0; i < 3; i++) {
        json_t *e = json_array_get(errors, (size_t)i);
        assert_int_equal(json_integer_value(json_object_get(e, "line")), want[i]);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(e, "errors"), "code__c")),
            "must be unique");
    }
    /* The claims are real: the API now refuses FAR and F7. */
    r = rp_it_send("POST", rp_it_fmt("/api/v1/records/%s", object), admin(),
                   rp_it_fmt("{\"fields\":{\"%s\":\"UnqLate\",\"code__c\":\"F7\"}}", name));
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    /* All or nothing with the same file: 422, nothing more written. */
    long before = count("acme", object, name, "Unq");
    r = import_csv(object, NULL, rp_it_fmt("%s,code__c\nUnqNew,NEW1\nUnqNew2,NEW1\n", name), 0,
                   admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "import_rejected");
    assert_int_equal(count("acme", object, name, "Unq"), before);
}

/* account has the sales module's hooks (rows one by one); batch__c has no
 * hook and no trigger (set-based batches). */
static void unique_inside_file(void **state)
{
    unique_scenario("account", "name");
    unique_scenario("batch__c", "name__c");
}

static void malformed_csv_400(void **state)
{
    const char *csv = "last_name,email\nMalOk,ok@mal.test\n\"MalOpen,x@mal.test\nMalNext,y\n";
    rp_it_resp_t *r = import_csv("contact", "mode=row", csv, 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "malformed_csv");
    assert_int_equal(jint(r, "line"), 3);
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "line 3"));
    /* A bare quote inside an unquoted field. */
    r = import_csv("contact", NULL, "last_name\nMal\"Quote\n", 0, admin());
    RP_IT_EXPECT_PROBLEM(r, 400, "malformed_csv");
    assert_int_equal(jint(r, "line"), 2);
    /* Nothing written, even in per-row mode. */
    assert_int_equal(count("acme", "contact", "last_name", "Mal"), 0);
}

static void body_limits_413(void **state)
{
    size_t over = ((size_t)IMPORT_KIB << 10) + 1;
    char *big = rp_it_track(malloc(over + 1), free);
    memcpy(big, "last_name\n", 10);
    memset(big + 10, 'x', over - 10);
    big[over] = '\0';
    rp_it_resp_t *r = import_csv("contact", NULL, big, over, admin());
    RP_IT_EXPECT_PROBLEM(r, 413, "payload_too_large");
    /* Above the JSON limit (4 MiB) but below the import one: accepted and
     * judged on its content (one field over the field limit). */
    size_t mid = (5u << 20);
    r = import_csv("contact", NULL, big, mid, admin());
    assert_int_not_equal(r->status, 413);
    RP_IT_EXPECT_PROBLEM(r, 400, "malformed_csv");
    /* Other routes keep the 4 MiB limit. */
    char *json = rp_it_track(malloc((4u << 20) + 2), free);
    memset(json, ' ', (4u << 20) + 1);
    json[0] = '{';
    json[(4u << 20)] = '}';
    json[(4u << 20) + 1] = '\0';
    r = rp_it_http(&(rp_it_req_t){.method = "POST",
                                  .path = "/api/v1/records/contact",
                                  .bearer = admin(),
                                  .body = json,
                                  .body_len = (4u << 20) + 1});
    RP_IT_EXPECT_PROBLEM(r, 413, "payload_too_large");
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
}

static void readonly_403(void **state)
{
    const char *reader = rp_it_token("acme", "reader@acme.test", PASSWORD);
    rp_it_resp_t *r = import_csv("contact", NULL, "last_name\nRoNope\n", 0, reader);
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    assert_int_equal(count("acme", "contact", "last_name", "RoNope"), 0);
    /* A user may import; a reader may export. */
    const char *user = rp_it_token("acme", "user@acme.test", PASSWORD);
    RP_IT_EXPECT_STATUS(import_csv("contact", NULL, "last_name\nRoUser\n", 0, user), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/export/contact?filter[last_name]=RoUser", reader), 200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/export/contact", NULL), 401, NULL);
}

#define BIG 20500

/* Counts the records of a list through the API, page by page. */
static long list_count(const char *filter)
{
    long n = 0;
    const char *cursor = NULL;
    for (;;) {
        const char *path = rp_it_fmt("/api/v1/records/contact?limit=200&fields=last_name&%s%s%s",
                                     filter, cursor ? "&cursor=" : "", cursor ? cursor : "");
        rp_it_resp_t *r = rp_it_get(path, admin());
        RP_IT_EXPECT_STATUS(r, 200);
        n += (long)json_array_size(rp_it_jlist(r));
        json_t *next = json_object_get(r->json, "next_cursor");
        if (!json_is_string(next))
            return n;
        cursor = rp_it_fmt("%s", json_string_value(next));
    }
}

/* BIG rows through the set-based batches, then BIG contacts, which the
 * sales module's hooks take one by one. */
static void large_import(void **state)
{
    rp_buf_t plain = {0};
    rp_buf_puts(&plain, "name__c,code__c\n");
    for (int i = 0; i < BIG; i++)
        rp_buf_printf(&plain, "Big%06d,BIG%d\n", i, i);
    rp_it_track(plain.data, free);
    rp_it_resp_t *p = import_csv("batch__c", NULL, plain.data, plain.len, admin());
    RP_IT_EXPECT_STATUS(p, 200);
    assert_int_equal(jint(p, "created"), BIG);
    assert_int_equal(count("acme", "batch__c", "name__c", "Big"), BIG);

    rp_buf_t csv = {0};
    rp_buf_puts(&csv, "first_name,last_name,email\n");
    for (int i = 0; i < BIG; i++)
        rp_buf_printf(&csv, "F%d,Big%06d,big%d@example.test\n", i % 97, i, i);
    rp_it_track(csv.data, free);
    rp_it_resp_t *r = import_csv("contact", NULL, csv.data, csv.len, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "rows"), BIG);
    assert_int_equal(jint(r, "created"), BIG);
    assert_int_equal(list_count("filter[last_name][starts_with]=Big"), BIG);
    /* One history row each. */
    const char *h = rp_it_sql("SELECT count(*) FROM record_history h JOIN records r ON "
                              "r.tenant_id = h.tenant_id AND r.id = h.record_id WHERE r.tenant_id "
                              "= $1 AND r.data->>'last_name' LIKE 'Big%'",
                              rp_it_tenant_id("acme"), NULL);
    assert_int_equal(atol(h), BIG);
}

/* Reads a CSV export into an object: last_name -> {column: value}. */
static json_t *parse_export(const char *body, size_t len, json_t **header)
{
    rp_csv_reader_t r;
    assert_int_equal(rp_csv_reader_init_mem(&r, body, len, 0, 0), RP_OK);
    json_t *cols = json_array(), *rows = json_object();
    assert_int_equal(rp_csv_next(&r), RP_OK);
    for (int i = 0; i < rp_csv_nfields(&r); i++)
        json_array_append_new(cols, json_string(rp_csv_field(&r, i)));
    rp_status_t st;
    while ((st = rp_csv_next(&r)) == RP_OK) {
        json_t *row = json_object();
        json_t *key = NULL;
        assert_int_equal(rp_csv_nfields(&r), (int)json_array_size(cols));
        for (int i = 0; i < rp_csv_nfields(&r); i++) {
            const char *c = json_string_value(json_array_get(cols, (size_t)i));
            json_object_set_new(row, c, json_stringn(rp_csv_field(&r, i), rp_csv_field_len(&r, i)));
            if (strcmp(c, "last_name") == 0 || strcmp(c, "name") == 0)
                key = json_object_get(row, c);
        }
        assert_non_null(key);
        json_object_set_new(rows, json_string_value(key), row);
    }
    assert_int_equal(st, RP_ENOTFOUND);
    rp_csv_reader_free(&r);
    *header = rp_it_track_json(cols);
    return rp_it_track_json(rows);
}

static void export_round_trip(void **state)
{
    const char *csv = "first_name,last_name,email,phone\n"
                      "=SUM(A1:A2),RtOne,one@rt.test,+33 1 23 45 67 89\n"
                      "\"a, \"\"quoted\"\"\nvalue\",RtTwo,,\n"
                      "Zo\xc3\xa9,RtThree,THREE@RT.TEST,\n"
                      "'-minus,RtFour,,\n";
    rp_it_resp_t *r = import_csv("contact", NULL, csv, 0, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 4);

    r = rp_it_get("/api/v1/export/contact?filter[last_name][starts_with]=Rt&sort=last_name",
                  admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_non_null(strstr(rp_it_header(r, "Content-Type"), "text/csv"));
    assert_non_null(strstr(rp_it_header(r, "Content-Disposition"), "contact.csv"));
    json_t *header;
    json_t *rows = parse_export(r->body, r->body_len, &header);
    /* The system columns, then every field of the object in its order
     * (whichever module brings contact decides which). */
    const char *want_cols[] = {"id", "created_at", "updated_at", "owner_id"};
    rp_it_resp_t *desc = rp_it_get("/api/v1/objects/contact", admin());
    RP_IT_EXPECT_STATUS(desc, 200);
    json_t *defs = json_object_get(desc->json, "fields");
    assert_int_equal(json_array_size(header), 4 + json_array_size(defs));
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_array_get(header, i)), want_cols[i]);
    for (size_t i = 0; i < json_array_size(defs); i++)
        assert_string_equal(json_string_value(json_array_get(header, 4 + i)),
                            json_string_value(json_object_get(json_array_get(defs, i), "name")));
    assert_int_equal(json_object_size(rows), 4);
    json_t *one = json_object_get(rows, "RtOne");
    /* The formula is neutralised in the file... */
    assert_string_equal(json_string_value(json_object_get(one, "first_name")), "'=SUM(A1:A2)");
    assert_string_equal(json_string_value(json_object_get(one, "phone")), "+33123456789");
    assert_string_equal(json_string_value(json_object_get(one, "email")), "one@rt.test");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rows, "RtTwo"), "first_name")),
        "a, \"quoted\"\nvalue");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rows, "RtFour"), "first_name")),
        "'-minus");
    const char *id1 = json_string_value(json_object_get(one, "id"));
    assert_string_equal(
        rp_it_sql("SELECT data->>'first_name' FROM records WHERE id = $1", id1, NULL),
        "=SUM(A1:A2)");

    /* ...and importing the export gives the same values back (system
     * columns are ignored): into the other tenant, then exported again. */
    const char *oth = rp_it_token("other", "admin@other.test", PASSWORD);
    char *first = rp_it_track(strdup(r->body), free);
    r = import_csv("contact", NULL, first, r->body_len, oth);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 4);
    r = rp_it_get("/api/v1/export/contact?filter[last_name][starts_with]=Rt&sort=last_name", oth);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *again = parse_export(r->body, r->body_len, &header);
    const char *k;
    json_t *row;
    json_object_foreach(rows, k, row)
    {
        json_t *other = json_object_get(again, k);
        assert_non_null(other);
        const char *cols[] = {"first_name", "last_name", "email", "phone"};
        for (int i = 0; i < 4; i++)
            assert_string_equal(json_string_value(json_object_get(other, cols[i])),
                                json_string_value(json_object_get(row, cols[i])));
    }

    /* JSON lines: one record per line, in the API's record form. */
    r = rp_it_get("/api/v1/export/contact?format=jsonl&filter[last_name][starts_with]=Rt&sort="
                  "-last_name",
                  admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_non_null(strstr(rp_it_header(r, "Content-Type"), "application/x-ndjson"));
    assert_int_equal(rp_it_count_lines(r->body), 4);
    const char *line = r->body;
    const char *order[] = {"RtTwo", "RtThree", "RtOne", "RtFour"};
    for (int i = 0; i < 4; i++) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        json_t *rec = rp_it_track_json(json_loadb(line, (size_t)(nl - line), 0, NULL));
        assert_non_null(rec);
        assert_string_equal(json_string_value(json_object_get(rec, "object")), "contact");
        json_t *f = json_object_get(rec, "fields");
        assert_string_equal(json_string_value(json_object_get(f, "last_name")), order[i]);
        if (strcmp(order[i], "RtOne") == 0)
            assert_string_equal(json_string_value(json_object_get(f, "first_name")), "=SUM(A1:A2)");
        if (strcmp(order[i], "RtFour") == 0)
            assert_string_equal(json_string_value(json_object_get(f, "first_name")), "-minus");
        line = nl + 1;
    }
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/export/contact?format=xml", admin()), 400,
                         "invalid_parameter");
}

static void export_types(void **state)
{
    /* Currency as "amount CODE", picklists, and back through the import. */
    const char *csv = "name,industry,annual_revenue,website,code__c\n"
                      "TypAcme,Technology,1250.5 EUR,https://acme.test,TYP1\n"
                      "TypBeta,,,,TYP2\n";
    rp_it_resp_t *r = import_csv("account", NULL, csv, 0, admin());
    if (r->status != 200)
        RP_IT_FAIL("import: %s", r->body);
    r = rp_it_get("/api/v1/export/account?filter[name][starts_with]=Typ&fields=name,"
                  "annual_revenue,industry",
                  admin());
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *header;
    json_t *rows = parse_export(r->body, r->body_len, &header);
    assert_int_equal(json_array_size(header), 7); /* 4 system + 3 chosen */
    json_t *acme = json_object_get(rows, "TypAcme");
    assert_string_equal(json_string_value(json_object_get(acme, "annual_revenue")), "1250.5 EUR");
    assert_null(json_object_get(acme, "website"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rows, "TypBeta"), "annual_revenue")), "");
    /* A bad currency cell is a per-row error. */
    r = import_csv("account", "mode=row", "name,annual_revenue\nTypBad,1250\n", 0, admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "rejected"), 1);
    /* Unknown field in fields= or a filter: 400 before anything streams. */
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/export/account?fields=shoe_size", admin()), 400,
                         "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/export/account?filter[nope][eq]=1", admin()), 400,
                         "unknown_field");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/export/spaceship", admin()), 404, "unknown_object");
}

static void export_filter_fields(void **state)
{
    /* From the large import: a filter that selects 10 of them, two fields. */
    rp_it_resp_t *r = rp_it_get("/api/v1/export/contact?filter[last_name][starts_with]=Big00100"
                                "&fields=last_name,email&sort=-last_name",
                                admin());
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *header;
    json_t *rows = parse_export(r->body, r->body_len, &header);
    assert_int_equal(json_object_size(rows), 10);
    assert_int_equal(json_array_size(header), 6);
    assert_string_equal(json_string_value(json_array_get(header, 4)), "last_name");
    assert_string_equal(json_string_value(json_array_get(header, 5)), "email");
    assert_non_null(strstr(r->body, "Big001009,big1009@example.test"));
    /* Sorted descending. */
    assert_true(strstr(r->body, "Big001009") < strstr(r->body, "Big001000"));

    /* All of them, across many pages, each exactly once. */
    r = rp_it_get("/api/v1/export/contact?format=jsonl&filter[last_name][starts_with]=Big&fields="
                  "last_name",
                  admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(rp_it_count_lines(r->body), BIG);
    assert_null(rp_it_header(r, "Content-Length"));
}

static void export_tenant_isolation(void **state)
{
    const char *oth = rp_it_token("other", "admin@other.test", PASSWORD);
    rp_it_resp_t *r = rp_it_get("/api/v1/export/contact?format=jsonl", oth);
    RP_IT_EXPECT_STATUS(r, 200);
    /* Only the other tenant's own records (the round-trip copies). */
    assert_null(strstr(r->body, "Big000"));
    assert_null(strstr(r->body, "HdrLovelace"));
    assert_null(strstr(r->body, rp_it_tenant_id("acme")));
    long n = atol(rp_it_sql("SELECT count(*) FROM records WHERE tenant_id = $1 AND object = "
                            "'contact' AND deleted_at IS NULL",
                            rp_it_tenant_id("other"), NULL));
    assert_int_equal(rp_it_count_lines(r->body), n);
    /* A filter naming an acme record id finds nothing. */
    const char *id = rp_it_sql("SELECT id::text FROM records WHERE tenant_id = $1 AND "
                               "data->>'last_name' = 'HdrHopper'",
                               rp_it_tenant_id("acme"), NULL);
    r = rp_it_get(rp_it_fmt("/api/v1/export/contact?filter[id]=%s", id), oth);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(rp_it_count_lines(r->body), 1); /* the header alone */
}

/* Opens a raw connection, asks for a large export, reads a little of it
 * and hangs up. */
static void leave_mid_export(const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)rp_it_server_port())};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *req = rp_it_fmt("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                                "%s\r\n\r\n",
                                path, admin());
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[2048];
    ssize_t got = read(fd, buf, sizeof buf);
    assert_true(got > 0);
    assert_int_equal(memcmp(buf, "HTTP/1.1 200", 12), 0);
    close(fd);
}

/* A client that reads slowly through a small receive buffer: the worker
 * waits for it again and again (back-pressure), and every byte arrives, in
 * order, with the final chunk. */
static void slow_reader_gets_everything(void **state)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)rp_it_server_port())};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *req = rp_it_fmt("GET /api/v1/export/contact?format=jsonl&filter[last_name]"
                                "[starts_with]=Big HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
                                "close\r\nAuthorization: Bearer %s\r\n\r\n",
                                admin());
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    rp_buf_t raw = {0};
    char buf[16384];
    ssize_t got;
    int reads = 0;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        rp_buf_append(&raw, buf, (size_t)got);
        if (++reads % 8 == 0)
            rp_it_sleep_ms(5);
    }
    close(fd);
    rp_it_track(raw.data, free);
    assert_non_null(raw.data);
    assert_int_equal(memcmp(raw.data, "HTTP/1.1 200", 12), 0);
    const char *p = strstr(raw.data, "\r\n\r\n");
    assert_non_null(p);
    assert_non_null(strstr(raw.data, "ransfer-encoding: chunked"));
    /* Undo the chunked encoding. */
    p += 4;
    const char *end = raw.data + raw.len;
    long lines = 0;
    bool last = false;
    while (p < end) {
        char *after;
        unsigned long n = strtoul(p, &after, 16);
        assert_true(after > p && after + 2 <= end && after[0] == '\r' && after[1] == '\n');
        p = after + 2;
        if (n == 0) {
            last = true;
            break;
        }
        assert_true(p + n + 2 <= end);
        for (unsigned long i = 0; i < n; i++)
            lines += p[i] == '\n';
        assert_int_equal(memcmp(p + n, "\r\n", 2), 0);
        p += n + 2;
    }
    assert_true(last);
    assert_int_equal(lines, BIG);
}

static void client_leaves_mid_export(void **state)
{
    for (int i = 0; i < 6; i++) {
        leave_mid_export("/api/v1/export/contact?filter[last_name][starts_with]=Big");
        leave_mid_export("/api/v1/export/contact?format=jsonl");
    }
    /* The server still serves, and its workers came back: more requests
     * than there are workers go through. */
    for (int i = 0; i < 20; i++) {
        rp_it_resp_t *r = rp_it_get(
            "/api/v1/export/contact?filter[last_name]=HdrHopper&fields=last_name", admin());
        RP_IT_EXPECT_STATUS(r, 200);
        assert_int_equal(rp_it_count_lines(r->body), 2);
    }
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
    rp_it_server_assert_clean_log();
}

/* A custom role: no create on contact; on account create, own records
 * only, code__c hidden and annual_revenue read-only. */
static void field_and_record_permissions(void **state)
{
    const char *adm = admin();
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/roles", adm,
                   "{\"name\":\"importer\",\"label\":\"Importer\",\"base\":\"user\","
                   "\"objects\":{\"account\":{\"create\":true,\"read\":\"own\",\"update\":"
                   "\"own\",\"delete\":\"none\",\"fields\":{\"code__c\":\"none\","
                   "\"annual_revenue\":\"read\"}},\"contact\":{\"create\":false,\"read\":"
                   "\"all\",\"update\":\"none\",\"delete\":\"none\"}}}"),
        201);
    const char *rep_id = rp_it_user_id("acme", "rep@acme.test");
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/users/%s", rep_id), adm, "{\"role\":\"importer\"}"),
        200);
    const char *rep = rp_it_token("acme", "rep@acme.test", PASSWORD);

    rp_it_resp_t *r = import_csv("contact", NULL, "last_name\nPermNope\n", 0, rep);
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    r = import_csv("account", NULL, "name,annual_revenue\nPermRev,10 EUR\n", 0, rep);
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "annual_revenue")),
        "you may not edit this field");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "annual_revenue"));
    r = import_csv("account", NULL, "name,Code__c\nPermCode,P1\n", 0, rep);
    RP_IT_EXPECT_PROBLEM(r, 403, "forbidden");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "code__c"));
    assert_int_equal(count("acme", "account", "name", "Perm"), 0);

    r = import_csv("account", NULL, "name\nPermMine\n", 0, rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 1);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/records/account", adm,
                   "{\"fields\":{\"name\":\"PermTheirs\",\"code__c\":\"SECRETCODE\"}}"),
        201);
    /* The export holds the caller's own record only, without the hidden
     * field, which is unknown to filters too. */
    r = rp_it_get("/api/v1/export/account?filter[name][starts_with]=Perm", rep);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *header;
    json_t *rows = parse_export(r->body, r->body_len, &header);
    assert_int_equal(json_object_size(rows), 1);
    assert_non_null(json_object_get(rows, "PermMine"));
    for (size_t i = 0; i < json_array_size(header); i++)
        assert_string_not_equal(json_string_value(json_array_get(header, i)), "code__c");
    r = rp_it_get("/api/v1/export/account?format=jsonl", rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_null(strstr(r->body, "code__c"));
    assert_null(strstr(r->body, "SECRETCODE"));
    assert_null(strstr(r->body, "PermTheirs"));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/export/account?filter[code__c]=P1", rep), 400,
                         "unknown_field");
    /* The admin sees both. */
    r = rp_it_get("/api/v1/export/account?filter[name][starts_with]=Perm", adm);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_non_null(strstr(r->body, "SECRETCODE"));
}

/* ---- objects that triggers and module hooks watch ------------------------ */

static const char *hooks_admin(void)
{
    return rp_it_token("hooks", "admin@hooks.test", PASSWORD);
}

/* Records of object in tenant hooks whose data->>field starts with prefix
 * and data->>check equals want (a NULL want: is null). */
static long count_where(const char *object, const char *field, const char *prefix,
                        const char *check, const char *want)
{
    const char *n =
        rp_it_sql(want ? "SELECT count(*) FROM records WHERE tenant_id = $1 AND object = $2 AND "
                         "deleted_at IS NULL AND data->>$3 LIKE $4 || '%' AND data->>$5 = $6"
                       : "SELECT count(*) FROM records WHERE tenant_id = $1 AND object = $2 AND "
                         "deleted_at IS NULL AND data->>$3 LIKE $4 || '%' AND data->>$5 IS NULL "
                         "AND $6::text IS NULL",
                  rp_it_tenant_id("hooks"), object, field, prefix, check, want, NULL);
    return n ? atol(n) : -1;
}

static void hooks_object(const char *body)
{
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects", hooks_admin(), body), 201);
}

static void hooks_trigger(const char *name, const char *object, const char *event, const char *code)
{
    rp_it_resp_t *r =
        rp_it_sendj("POST", "/api/v1/scripts", hooks_admin(),
                    json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", name, "kind", "trigger",
                              "object", object, "events", event, "code", code));
    RP_IT_EXPECT_STATUS(r, 201);
}

/* The line and the message for field of entry i of a report. */
static void expect_rejected(const rp_it_resp_t *r, size_t i, long line, const char *field,
                            const char *message)
{
    json_t *e = json_array_get(json_object_get(r->json, "errors"), i);
    if (e == NULL)
        RP_IT_FAIL("no entry %zu in %s", i, r->body);
    assert_int_equal(json_integer_value(json_object_get(e, "line")), line);
    const char *got = json_string_value(json_object_get(json_object_get(e, "errors"), field));
    if (got == NULL || strcmp(got, message) != 0)
        RP_IT_FAIL("entry %zu: want %s: %s in %s", i, field, message, r->body);
}

/* A before_create trigger that derives a field and rejects some titles:
 * every imported row gets the field; mode=row keeps the others and lists
 * exactly the rejected rows with the trigger's message; mode=all writes
 * nothing and stops at the first one. */
static void trigger_before_create(void **state)
{
    hooks_object("{\"name\":\"tix__c\",\"label\":\"Ticket\",\"fields\":["
                 "{\"name\":\"title__c\",\"type\":\"text\",\"required\":true},"
                 "{\"name\":\"prio__c\",\"type\":\"text\"}]}");
    hooks_trigger("tix_rules", "tix__c", "before_create",
                  "local ev = ...\n"
                  "local title = ev.new.title__c or ''\n"
                  "if title:sub(1, 3) == 'BAD' then\n"
                  "  crm.error('title__c', 'no BAD titles')\n"
                  "end\n"
                  "if title ~= '' then ev.new.prio__c = 'P-' .. title end\n");
    rp_it_resp_t *r = import_csv("tix__c", NULL, "title__c\nSetOne\nSetTwo\n\"SetThree, quoted\"\n",
                                 0, hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "rows"), 3);
    assert_int_equal(jint(r, "created"), 3);
    assert_int_equal(jint(r, "rejected"), 0);
    assert_int_equal(count_where("tix__c", "title__c", "Set", "prio__c", "P-SetOne"), 1);
    assert_int_equal(count_where("tix__c", "title__c", "Set", "prio__c", "P-SetThree, quoted"), 1);
    const char *n = rp_it_sql("SELECT count(*) FROM records WHERE tenant_id = $1 AND object = "
                              "'tix__c' AND data->>'prio__c' = 'P-' || (data->>'title__c')",
                              rp_it_tenant_id("hooks"), NULL);
    assert_int_equal(atol(n), 3);
    /* A create through the import has its history row, like any other. */
    n = rp_it_sql("SELECT count(*) FROM record_history h JOIN records r ON r.tenant_id = "
                  "h.tenant_id AND r.id = h.record_id WHERE r.tenant_id = $1 AND r.object = "
                  "'tix__c' AND h.action = 'create' AND h.changes ? 'prio__c'",
                  rp_it_tenant_id("hooks"), NULL);
    assert_int_equal(atol(n), 3);

    const char *csv = "title__c\nRowA\nBADB\nRowC\nBADD\nRowE\n";
    r = import_csv("tix__c", "mode=row", csv, 0, hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "rows"), 5);
    assert_int_equal(jint(r, "created"), 3);
    assert_int_equal(jint(r, "rejected"), 2);
    assert_int_equal(json_array_size(json_object_get(r->json, "errors")), 2);
    expect_rejected(r, 0, 3, "title__c", "no BAD titles");
    expect_rejected(r, 1, 5, "title__c", "no BAD titles");
    assert_int_equal(count("hooks", "tix__c", "title__c", "Row"), 3);
    assert_int_equal(count_where("tix__c", "title__c", "Row", "prio__c", "P-RowE"), 1);
    assert_int_equal(count("hooks", "tix__c", "title__c", "BAD"), 0);

    /* All or nothing: the same report, and nothing written. */
    r = import_csv("tix__c", NULL, "title__c\nAonA\nAonB\nBADC\nAonD\nBADE\n", 0, hooks_admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "import_rejected");
    assert_int_equal(jint(r, "rows"), 5);
    assert_int_equal(jint(r, "created"), 0);
    assert_int_equal(jint(r, "rejected"), 2);
    assert_int_equal(json_array_size(json_object_get(r->json, "errors")), 2);
    expect_rejected(r, 0, 4, "title__c", "no BAD titles");
    expect_rejected(r, 1, 6, "title__c", "no BAD titles");
    assert_int_equal(count("hooks", "tix__c", "title__c", "Aon"), 0);
    /* Cells that cannot be values, or a missing required one, are
     * reported like the trigger's errors. */
    r = import_csv("tix__c", "mode=row", "title__c,prio__c\nCellA,x\n,y\nCellB\n", 0,
                   hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 1);
    json_t *errors = json_object_get(r->json, "errors");
    assert_int_equal(json_array_size(errors), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 0), "line")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(errors, 1), "line")), 4);
    assert_non_null(json_object_get(json_object_get(json_array_get(errors, 1), "errors"), "row"));
}

/* An after_create trigger that creates a related record per row: they
 * exist after the import; none exist after a failed all-or-nothing one;
 * in mode=row a row refused after it was written (the trigger creates its
 * line, then rejects) leaves nothing of itself, not even its unique
 * value. */
static void trigger_after_create(void **state)
{
    hooks_object("{\"name\":\"ord__c\",\"label\":\"Order\",\"fields\":["
                 "{\"name\":\"name__c\",\"type\":\"text\",\"required\":true},"
                 "{\"name\":\"ref__c\",\"type\":\"text\",\"unique\":true}]}");
    hooks_object("{\"name\":\"line__c\",\"label\":\"Line\",\"fields\":["
                 "{\"name\":\"label__c\",\"type\":\"text\"},"
                 "{\"name\":\"ord__c\",\"type\":\"reference\",\"reference\":\"ord__c\","
                 "\"on_delete\":\"cascade\"}]}");
    hooks_trigger("ord_lines", "ord__c", "after_create",
                  "local ev = ...\n"
                  "crm.create('line__c', {ord__c = ev.id, label__c = 'for ' .. ev.new.name__c})\n"
                  "if ev.new.name__c:sub(1, 4) == 'LATE' then\n"
                  "  crm.error('name__c', 'refused after the write')\n"
                  "end\n");
    rp_it_resp_t *r =
        import_csv("ord__c", NULL, "name__c,ref__c\nOkA,RA\nOkB,RB\nOkC,\n", 0, hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 3);
    const char *n = rp_it_sql("SELECT count(*) FROM records l JOIN records o ON o.tenant_id = "
                              "l.tenant_id AND o.id = (l.data->>'ord__c')::uuid WHERE l.tenant_id "
                              "= $1 AND l.object = 'line__c' AND o.object = 'ord__c' AND "
                              "l.data->>'label__c' = 'for ' || (o.data->>'name__c') AND "
                              "o.data->>'name__c' LIKE 'Ok%'",
                              rp_it_tenant_id("hooks"), NULL);
    assert_int_equal(atol(n), 3);

    /* All or nothing: neither the orders nor their lines stay. */
    r = import_csv("ord__c", NULL, "name__c,ref__c\nAllA,AA\nAllB,AB\nLATEC,AC\nAllD,AD\n", 0,
                   hooks_admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "import_rejected");
    assert_int_equal(jint(r, "rows"), 4);
    assert_int_equal(jint(r, "rejected"), 1);
    expect_rejected(r, 0, 4, "name__c", "refused after the write");
    assert_int_equal(count("hooks", "ord__c", "name__c", "All"), 0);
    assert_int_equal(count("hooks", "ord__c", "name__c", "LATE"), 0);
    assert_int_equal(count("hooks", "line__c", "label__c", "for All"), 0);
    assert_int_equal(count("hooks", "line__c", "label__c", "for LATE"), 0);

    /* Per row: LATEB is undone whole; its value RX is free for RowC. */
    r = import_csv("ord__c", "mode=row", "name__c,ref__c\nRowA,RW\nLATEB,RX\nRowC,RX\nRowD,RA\n", 0,
                   hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 2);
    assert_int_equal(jint(r, "rejected"), 2);
    expect_rejected(r, 0, 3, "name__c", "refused after the write");
    expect_rejected(r, 1, 5, "ref__c", "must be unique");
    assert_int_equal(count("hooks", "ord__c", "name__c", "Row"), 2);
    assert_int_equal(count_where("ord__c", "name__c", "Row", "ref__c", "RX"), 1);
    assert_int_equal(count("hooks", "ord__c", "name__c", "LATE"), 0);
    assert_int_equal(count("hooks", "line__c", "label__c", "for Row"), 2);
    assert_int_equal(count("hooks", "line__c", "label__c", "for LATE"), 0);
    assert_int_equal(count("hooks", "line__c", "label__c", "for RowD"), 0);
    n = rp_it_sql("SELECT count(*) FROM record_unique WHERE tenant_id = $1 AND object = "
                  "'ord__c' AND value = 'RX'",
                  rp_it_tenant_id("hooks"), NULL);
    assert_int_equal(atol(n), 1);
}

/* A script that fails or hits a limit fails the whole import with the
 * problem it gives on any write, good rows included, in either mode. The
 * scripts' limits count the whole import: it is one transaction. */
static void trigger_failure_fails_import(void **state)
{
    hooks_object("{\"name\":\"boom__c\",\"label\":\"Boom\",\"fields\":["
                 "{\"name\":\"name__c\",\"type\":\"text\"}]}");
    hooks_trigger("boom_rules", "boom__c", "before_create",
                  "local ev = ...\n"
                  "if ev.new.name__c == 'BOOM' then error('it blew up') end\n");
    rp_it_resp_t *r =
        import_csv("boom__c", "mode=row", "name__c\nBoomA\nBOOM\nBoomC\n", 0, hooks_admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "script_error");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "it blew up"));
    assert_int_equal(count("hooks", "boom__c", "name__c", "Boom"), 0);

    /* ord_lines writes one line per order: past SCRIPT_WRITES of them the
     * import stops at the governor's limit. */
    rp_buf_t csv = {0};
    rp_buf_puts(&csv, "name__c\n");
    for (int i = 0; i < SCRIPT_WRITES + 5; i++)
        rp_buf_printf(&csv, "Gov%d\n", i);
    rp_it_track(csv.data, free);
    r = import_csv("ord__c", "mode=row", csv.data, csv.len, hooks_admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "records_written");
    assert_int_equal(count("hooks", "ord__c", "name__c", "Gov"), 0);
    assert_int_equal(count("hooks", "line__c", "label__c", "for Gov"), 0);
    /* The server serves on, and a smaller file goes in. */
    r = import_csv("ord__c", "mode=row", "name__c\nGovSmall\n", 0, hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "created"), 1);
}

/* The example module's before hook on greeting normalises code and
 * rejects bad ones, and fills the read-only length; its after hook logs
 * each new greeting. */
static void module_hooks(void **state)
{
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", hooks_admin(), NULL),
                        200);
    const char *csv = "text,code\n"
                      "GrHello, ab-1 \n"
                      "GrBonjour,cd-2\n"
                      "GrBad,!\n"
                      "GrHola,\n";
    rp_it_resp_t *r = import_csv("greeting", "mode=row", csv, 0, hooks_admin());
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r, "rows"), 4);
    assert_int_equal(jint(r, "created"), 3);
    assert_int_equal(jint(r, "rejected"), 1);
    expect_rejected(r, 0, 4, "code", "must be 2 to 16 letters, digits or dashes");
    assert_int_equal(count_where("greeting", "text", "GrHello", "code", "AB-1"), 1);
    assert_int_equal(count_where("greeting", "text", "GrBonjour", "code", "CD-2"), 1);
    assert_int_equal(count_where("greeting", "text", "GrHola", "length", "6"), 1);
    assert_int_equal(count_where("greeting", "text", "GrHello", "length", "7"), 1);
    assert_int_equal(count("hooks", "greeting", "text", "GrBad"), 0);
    const char *id = rp_it_sql("SELECT id::text FROM records WHERE tenant_id = $1 AND object = "
                               "'greeting' AND data->>'text' = 'GrBonjour'",
                               rp_it_tenant_id("hooks"), NULL);
    assert_non_null(strstr(rp_it_server_log(), rp_it_fmt("greeting %s created", id)));

    r = import_csv("greeting", NULL, "text,code\nGaOne,ef\nGaTwo,?\nGaThree,gh\n", 0,
                   hooks_admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "import_rejected");
    assert_int_equal(jint(r, "rejected"), 1);
    expect_rejected(r, 0, 3, "code", "must be 2 to 16 letters, digits or dashes");
    assert_int_equal(count("hooks", "greeting", "text", "Ga"), 0);
    /* The caller may not write the read-only field the hook fills. */
    r = import_csv("greeting", NULL, "text,length\nGlOne,3\n", 0, hooks_admin());
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_int_equal(count("hooks", "greeting", "text", "Gl"), 0);
}

/* After streams cut short and clients gone, the server still stops within
 * its drain time, exits 0, and its log holds no sanitizer report. */
static void server_exits_cleanly(void **state)
{
    leave_mid_export("/api/v1/export/contact?format=jsonl");
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(header_mapped_import),
        RP_IT_TEST(explicit_mapping),
        RP_IT_TEST(labels_match),
        RP_IT_TEST(unknown_column_400),
        RP_IT_TEST(all_or_nothing_422),
        RP_IT_TEST(per_row_report),
        RP_IT_TEST(unique_inside_file),
        RP_IT_TEST(malformed_csv_400),
        RP_IT_TEST(body_limits_413),
        RP_IT_TEST(readonly_403),
        RP_IT_TEST(large_import),
        RP_IT_TEST(export_round_trip),
        RP_IT_TEST(export_types),
        RP_IT_TEST(export_filter_fields),
        RP_IT_TEST(export_tenant_isolation),
        RP_IT_TEST(field_and_record_permissions),
        RP_IT_TEST(trigger_before_create),
        RP_IT_TEST(trigger_after_create),
        RP_IT_TEST(trigger_failure_fails_import),
        RP_IT_TEST(module_hooks),
        RP_IT_TEST(slow_reader_gets_everything),
        RP_IT_TEST(client_leaves_mid_export),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("records_import", tests, setup, teardown);
}
