#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cli/args.h"
#include "tenancy/tenant.h"

#define N(a) ((int)(sizeof a / sizeof a[0]))

static void options_and_positionals_mix(void **state)
{
    rp_cli_opt_t opts[] = {
        {"--name", true, NULL}, {"--data-dir", true, NULL}, {"--password-stdin", false, NULL}};
    char *argv[] = {"demo", "--name", "Demo Company", "--data-dir=/tmp/x", "--password-stdin"};
    rp_cli_args_t a;
    char err[128];
    assert_int_equal(rp_cli_parse(N(argv), argv, opts, N(opts), 1, &a, err, sizeof err), RP_OK);
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "demo");
    assert_false(a.help);
    assert_string_equal(rp_cli_value(opts, N(opts), "--name"), "Demo Company");
    assert_string_equal(rp_cli_value(opts, N(opts), "--data-dir"), "/tmp/x");
    assert_string_equal(rp_cli_value(opts, N(opts), "--password-stdin"), "");
    assert_null(rp_cli_value(opts, N(opts), "--other"));
}

static void values_may_look_like_options(void **state)
{
    rp_cli_opt_t opts[] = {{"--name", true, NULL}};
    char *argv[] = {"--name", "-dashing-", "--", "--literal"};
    rp_cli_args_t a;
    char err[128];
    assert_int_equal(rp_cli_parse(N(argv), argv, opts, N(opts), 1, &a, err, sizeof err), RP_OK);
    assert_string_equal(rp_cli_value(opts, N(opts), "--name"), "-dashing-");
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "--literal");
}

static void errors_name_the_argument(void **state)
{
    rp_cli_opt_t opts[] = {{"--name", true, NULL}, {"--flag", false, NULL}};
    rp_cli_args_t a;
    char err[128];
    char *unknown[] = {"--nmae=x"};
    assert_int_equal(rp_cli_parse(1, unknown, opts, N(opts), 1, &a, err, sizeof err), RP_EINVAL);
    assert_string_equal(err, "unknown option --nmae");
    char *novalue[] = {"--name"};
    assert_int_equal(rp_cli_parse(1, novalue, opts, N(opts), 1, &a, err, sizeof err), RP_EINVAL);
    assert_string_equal(err, "--name needs a value");
    char *twice[] = {"--name", "a", "--name=b"};
    assert_int_equal(rp_cli_parse(3, twice, opts, N(opts), 1, &a, err, sizeof err), RP_EINVAL);
    assert_string_equal(err, "--name given twice");
    char *flagval[] = {"--flag=yes"};
    assert_int_equal(rp_cli_parse(1, flagval, opts, N(opts), 1, &a, err, sizeof err), RP_EINVAL);
    assert_string_equal(err, "--flag takes no value");
    char *extra[] = {"one", "two"};
    assert_int_equal(rp_cli_parse(2, extra, opts, N(opts), 1, &a, err, sizeof err), RP_EINVAL);
    assert_string_equal(err, "unexpected argument 'two'");
    char *shortopt[] = {"-x"};
    assert_int_equal(rp_cli_parse(1, shortopt, opts, N(opts), 1, &a, err, sizeof err), RP_EINVAL);
    assert_string_equal(err, "unknown option -x");
}

static void help_is_recognised_anywhere(void **state)
{
    rp_cli_opt_t opts[] = {{"--name", true, NULL}};
    rp_cli_args_t a;
    char err[128];
    char *argv[] = {"slug", "-h"};
    assert_int_equal(rp_cli_parse(2, argv, opts, N(opts), 1, &a, err, sizeof err), RP_OK);
    assert_true(a.help);
    char *argv2[] = {"--help"};
    assert_int_equal(rp_cli_parse(1, argv2, opts, N(opts), 0, &a, err, sizeof err), RP_OK);
    assert_true(a.help);
}

static void reparsing_resets_values(void **state)
{
    rp_cli_opt_t opts[] = {{"--name", true, NULL}};
    rp_cli_args_t a;
    char err[128];
    char *first[] = {"--name", "x"};
    assert_int_equal(rp_cli_parse(2, first, opts, 1, 0, &a, err, sizeof err), RP_OK);
    assert_int_equal(rp_cli_parse(0, first, opts, 1, 0, &a, err, sizeof err), RP_OK);
    assert_null(opts[0].value);
}

static void integers_are_whole_and_bounded(void **state)
{
    long v;
    assert_true(rp_cli_parse_int("8", 1, 1024, &v));
    assert_int_equal(v, 8);
    assert_false(rp_cli_parse_int("0", 1, 1024, &v));
    assert_false(rp_cli_parse_int("1025", 1, 1024, &v));
    assert_false(rp_cli_parse_int("8x", 1, 1024, &v));
    assert_false(rp_cli_parse_int("", 1, 1024, &v));
    assert_false(rp_cli_parse_int(NULL, 1, 1024, &v));
    assert_false(rp_cli_parse_int("99999999999999999999999", 1, 1024, &v));
}

static void emails_are_checked_loosely(void **state)
{
    assert_true(rp_cli_email_valid("admin@demo.example"));
    assert_true(rp_cli_email_valid("A.B+c@x"));
    assert_false(rp_cli_email_valid("no-at-sign"));
    assert_false(rp_cli_email_valid("@demo.example"));
    assert_false(rp_cli_email_valid("admin@"));
    assert_false(rp_cli_email_valid("a@b@c"));
    assert_false(rp_cli_email_valid("with space@x.y"));
    assert_false(rp_cli_email_valid("tab\t@x.y"));
    assert_false(rp_cli_email_valid("a@"));
    assert_false(rp_cli_email_valid(NULL));
    char long_one[300];
    memset(long_one, 'a', sizeof long_one);
    memcpy(long_one + 200, "@x.y", 5);
    assert_true(rp_cli_email_valid(long_one));
    long_one[200] = 'a';
    memcpy(long_one + 260, "@x.y", 5);
    assert_false(rp_cli_email_valid(long_one));
}

static void chomp_removes_one_line_end(void **state)
{
    char a[] = "secret\r\n", b[] = "secret\n", c[] = "secret", d[] = "\n", e[] = "two\n\n";
    rp_cli_chomp(a);
    rp_cli_chomp(b);
    rp_cli_chomp(c);
    rp_cli_chomp(d);
    rp_cli_chomp(e);
    assert_string_equal(a, "secret");
    assert_string_equal(b, "secret");
    assert_string_equal(c, "secret");
    assert_string_equal(d, "");
    assert_string_equal(e, "two\n");
}

static void slugs_follow_the_schema(void **state)
{
    const char *good[] = {"demo", "ab", "acme-2", "0day", "a1", NULL};
    for (int i = 0; good[i]; i++)
        assert_true(rp_tenant_slug_valid(good[i]));
    char max[64];
    memset(max, 'a', 63);
    max[63] = '\0';
    assert_true(rp_tenant_slug_valid(max));
    const char *bad[] = {"",      "a",    "Demo",  "-demo",  "demo-", "de mo",
                         "de_mo", "démo", "de.mo", "demo\n", NULL};
    for (int i = 0; bad[i]; i++)
        assert_false(rp_tenant_slug_valid(bad[i]));
    char too_long[65];
    memset(too_long, 'a', 64);
    too_long[64] = '\0';
    assert_false(rp_tenant_slug_valid(too_long));
    assert_false(rp_tenant_slug_valid(NULL));
}

static void names_are_utf8_without_controls(void **state)
{
    assert_true(rp_tenant_name_valid("Demo Company"));
    assert_true(rp_tenant_name_valid("Société Générale — Ünïcødé 日本"));
    assert_false(rp_tenant_name_valid(""));
    assert_false(rp_tenant_name_valid(NULL));
    assert_false(rp_tenant_name_valid("tab\there"));
    assert_false(rp_tenant_name_valid("new\nline"));
    assert_false(rp_tenant_name_valid("\xc3"));         /* truncated */
    assert_false(rp_tenant_name_valid("\xc0\xaf"));     /* overlong */
    assert_false(rp_tenant_name_valid("\xed\xa0\x80")); /* surrogate */
    assert_false(rp_tenant_name_valid("\xff"));
    char name[802];
    /* 200 two-byte characters pass, 201 do not. */
    for (int i = 0; i < 200; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[400] = '\0';
    assert_true(rp_tenant_name_valid(name));
    memcpy(name + 400, "\xc3\xa9", 3);
    assert_false(rp_tenant_name_valid(name));
}

static void statuses_are_two(void **state)
{
    assert_true(rp_tenant_status_valid("active"));
    assert_true(rp_tenant_status_valid("suspended"));
    assert_false(rp_tenant_status_valid("deleted"));
    assert_false(rp_tenant_status_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_and_positionals_mix),
        cmocka_unit_test(values_may_look_like_options),
        cmocka_unit_test(errors_name_the_argument),
        cmocka_unit_test(help_is_recognised_anywhere),
        cmocka_unit_test(reparsing_resets_values),
        cmocka_unit_test(integers_are_whole_and_bounded),
        cmocka_unit_test(emails_are_checked_loosely),
        cmocka_unit_test(chomp_removes_one_line_end),
        cmocka_unit_test(slugs_follow_the_schema),
        cmocka_unit_test(names_are_utf8_without_controls),
        cmocka_unit_test(statuses_are_two),
    };
    return cmocka_run_group_tests_name("cli_args", tests, NULL, NULL);
}
