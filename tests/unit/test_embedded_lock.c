#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <sys/un.h>

#include "db/embedded.h"

static void lock_text_parses(void **state)
{
    rp_lock_holder_t h;
    assert_true(rp_embedded_parse_lock("serve 1234\n", &h));
    assert_string_equal(h.role, "serve");
    assert_int_equal(h.pid, 1234);
    assert_true(rp_embedded_parse_lock("command 7", &h));
    assert_string_equal(h.role, "command");
    assert_int_equal(h.pid, 7);
    assert_true(rp_embedded_parse_lock("starting 99\n", &h));
    assert_string_equal(h.role, "starting");
}

static void bad_lock_text_is_empty(void **state)
{
    const char *bad[] = {
        "",          "serve",          "serve ",    "serve x",           "serve -3", "serve 0",
        "served 12", "serve 12 extra", "migrate 5", "serve 99999999999", "SERVE 12", NULL};
    for (int i = 0; bad[i]; i++) {
        rp_lock_holder_t h;
        h.pid = 42;
        assert_false(rp_embedded_parse_lock(bad[i], &h));
        assert_string_equal(h.role, "");
        assert_int_equal(h.pid, 0);
    }
    rp_lock_holder_t h;
    assert_false(rp_embedded_parse_lock(NULL, &h));
}

static void socket_dir_limit_matches_sun_path(void **state)
{
    struct sockaddr_un sa;
    size_t max = rp_embedded_max_socket_dir();
    /* dir + "/.s.PGSQL.5432" + NUL must fit exactly. */
    assert_int_equal(max + strlen("/.s.PGSQL.5432") + 1, sizeof sa.sun_path);
}

static void conf_pins_the_socket_and_quotes(void **state)
{
    char text[1024];
    assert_int_equal(rp_embedded_conf_text("/srv/o'brien\\db/pg", text, sizeof text), RP_OK);
    assert_non_null(strstr(text, "listen_addresses = ''\n"));
    assert_non_null(strstr(text, "unix_socket_directories = '/srv/o''brien\\\\db/pg'\n"));
    assert_non_null(strstr(text, "port = 5432\n"));
    char tiny[16];
    assert_int_equal(rp_embedded_conf_text("/x", tiny, sizeof tiny), RP_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lock_text_parses),
        cmocka_unit_test(bad_lock_text_is_empty),
        cmocka_unit_test(socket_dir_limit_matches_sun_path),
        cmocka_unit_test(conf_pins_the_socket_and_quotes),
    };
    return cmocka_run_group_tests_name("embedded_lock", tests, NULL, NULL);
}
