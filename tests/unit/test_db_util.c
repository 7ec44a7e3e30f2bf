#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "core/buf.h"
#include "db/db.h"
#include "db/util.h"

static void backoff_doubles_to_the_ceiling(void **state)
{
    int d = rp_db_backoff_next(0);
    assert_int_equal(d, RP_DB_BACKOFF_MIN_MS);
    int expected[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        d = rp_db_backoff_next(d);
        assert_int_equal(d, expected[i]);
    }
    assert_int_equal(rp_db_backoff_next(2600), 5000);
    assert_int_equal(rp_db_backoff_next(-5), RP_DB_BACKOFF_MIN_MS);
}

static void sqlstates_map_to_statuses(void **state)
{
    assert_int_equal(rp_db_status_of_sqlstate("23505"), RP_ECONFLICT);
    assert_int_equal(rp_db_status_of_sqlstate("08006"), RP_EDB_UNAVAILABLE);
    assert_int_equal(rp_db_status_of_sqlstate("08003"), RP_EDB_UNAVAILABLE);
    assert_int_equal(rp_db_status_of_sqlstate("57P01"), RP_EDB_UNAVAILABLE);
    assert_int_equal(rp_db_status_of_sqlstate("57P03"), RP_EDB_UNAVAILABLE);
    assert_int_equal(rp_db_status_of_sqlstate("57014"), RP_EDB); /* a cancelled query */
    assert_int_equal(rp_db_status_of_sqlstate("23503"), RP_EDB);
    assert_int_equal(rp_db_status_of_sqlstate("42601"), RP_EDB);
    assert_int_equal(rp_db_status_of_sqlstate(""), RP_EDB);
    assert_int_equal(rp_db_status_of_sqlstate(NULL), RP_EDB);
}

static void conninfo_quotes_awkward_paths(void **state)
{
    rp_buf_t b = {0};
    assert_int_equal(rp_db_conninfo_add(&b, "host", "/tmp/my data/it's\\here"), RP_OK);
    assert_int_equal(rp_db_conninfo_add(&b, "dbname", "rapport"), RP_OK);
    assert_int_equal(rp_db_conninfo_add(&b, "user", "rapport_app"), RP_OK);
    assert_string_equal(b.data,
                        "host='/tmp/my data/it\\'s\\\\here' dbname='rapport' user='rapport_app'");
    /* libpq reads back exactly what was meant. */
    char desc[256];
    rp_db_describe(b.data, desc, sizeof desc);
    assert_string_equal(desc, "rapport_app@/tmp/my data/it's\\here/rapport");
    rp_buf_free(&b);
}

static void describe_hides_the_password(void **state)
{
    char desc[256];
    rp_db_describe("postgresql://owner:s3cret@db.example:6432/crm?sslmode=require", desc,
                   sizeof desc);
    assert_string_equal(desc, "owner@db.example:6432/crm");
    assert_null(strstr(desc, "s3cret"));
    rp_db_describe("host=/run/pg dbname=x password=hunter2", desc, sizeof desc);
    assert_string_equal(desc, "/run/pg/x");
    rp_db_describe("this is = not valid '", desc, sizeof desc);
    assert_string_equal(desc, "(unparsable connection string)");
}

static void error_positions_become_lines(void **state)
{
    const char *sql = "CREATE TABLE a (x int);\n-- é comment\nSELEC 1;\n";
    assert_int_equal(rp_db_line_of_position(sql, 1), 1);
    /* "SELEC" starts at character 39: the é counts once although it is two bytes. */
    int pos = 0;
    for (const char *p = sql; p < strstr(sql, "SELEC"); p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            pos++;
    assert_int_equal(rp_db_line_of_position(sql, pos + 1), 3);
    assert_int_equal(rp_db_line_of_position(sql, 0), 0);
    assert_int_equal(rp_db_line_of_position(sql, 10000), 0);
    assert_int_equal(rp_db_line_of_position(NULL, 1), 0);
}

static void results_tolerate_null_and_range(void **state)
{
    assert_int_equal(rp_dbres_rows(NULL), 0);
    assert_int_equal(rp_dbres_affected(NULL), 0);
    assert_string_equal(rp_dbres_get(NULL, 0, 0), "");
    assert_true(rp_dbres_null(NULL, 0, 0));
    assert_int_equal(rp_dbres_col(NULL, "x"), -1);
    rp_dbres_free(NULL);
    rp_db_close(NULL);
    assert_false(rp_db_connected(NULL));
    assert_string_equal(rp_db_error(NULL), "");
}

static void open_without_server_fails_fast_and_backs_off(void **state)
{
    rp_db_t *db = NULL;
    rp_status_t st = rp_db_open(&db, "host=/nonexistent/rapport-test dbname=x user=y", NULL);
    assert_int_equal(st, RP_EDB_UNAVAILABLE);
    assert_non_null(db);
    assert_false(rp_db_connected(db));
    assert_true(strlen(rp_db_error(db)) > 0);
    /* Within the backoff no attempt is made: the answer is immediate. */
    assert_int_equal(rp_db_ensure(db), RP_EDB_UNAVAILABLE);
    assert_int_equal(rp_db_begin(db, NULL), RP_EDB_UNAVAILABLE);
    assert_false(rp_db_in_tx(db));
    assert_int_equal(rp_db_exec(db, "SELECT 1", 0, NULL, NULL), RP_EDB_UNAVAILABLE);
    rp_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_to_the_ceiling),
        cmocka_unit_test(sqlstates_map_to_statuses),
        cmocka_unit_test(conninfo_quotes_awkward_paths),
        cmocka_unit_test(describe_hides_the_password),
        cmocka_unit_test(error_positions_become_lines),
        cmocka_unit_test(results_tolerate_null_and_range),
        cmocka_unit_test(open_without_server_fails_fast_and_backs_off),
    };
    return cmocka_run_group_tests_name("db_util", tests, NULL, NULL);
}
