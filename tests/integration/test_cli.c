/* The command line: help, argument errors (exit 2, one line naming the
 * argument), tenants, users, migrate and version. */

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "cli-password-0001"

static int setup(void **state)
{
    rp_it_pg_start();
    /* A server too, to check that what the CLI writes is what logins see. */
    rp_it_server_start(NULL);
    return 0;
}

static int teardown(void **state)
{
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* Runs the CLI with a NULL-terminated argument array. */
static int run_args(const char *input, char **out, char **err, const char *const *args)
{
    const char *a[12] = {0};
    for (int n = 0; args[n] && n < 11; n++)
        a[n] = args[n];
    return rp_it_cli_input(input, out, err, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                           a[9], a[10], NULL);
}

static const char *shown(const char *const *args)
{
    const char *s = "rapport";
    for (int n = 0; args[n]; n++)
        s = rp_it_fmt("%s %s", s, args[n]);
    return s;
}

/* Runs the CLI and fails unless it exits with code and prints exactly one
 * line on stderr containing needle (when not NULL). */
static void expect_one_line(int code, const char *input, const char *needle,
                            const char *const *args)
{
    char *out = NULL, *err = NULL;
    int rc = run_args(input, &out, &err, args);
    if (rc != code)
        RP_IT_FAIL("%s: exit %d, expected %d\nstdout: %s\nstderr: %s", shown(args), rc, code, out,
                   err);
    if (rp_it_count_lines(err) != 1 || err[strlen(err) - 1] != '\n')
        RP_IT_FAIL("%s: expected exactly one line on stderr, got:\n%s", shown(args), err);
    if (needle != NULL && strstr(err, needle) == NULL)
        RP_IT_FAIL("%s: stderr does not name '%s': %s", shown(args), needle, err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void help_everywhere(void **state)
{
    const char *const *cases[] = {
        ARGS("--help"),
        ARGS("help"),
        ARGS("serve", "--help"),
        ARGS("migrate", "--help"),
        ARGS("version", "--help"),
        ARGS("tenant", "--help"),
        ARGS("tenant", "create", "--help"),
        ARGS("tenant", "list", "--help"),
        ARGS("tenant", "suspend", "--help"),
        ARGS("tenant", "resume", "--help"),
        ARGS("user", "--help"),
        ARGS("user", "add", "--help"),
        ARGS("user", "passwd", "--help"),
        ARGS("user", "list", "--help"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = run_args(NULL, &out, &err, cases[i]);
        if (rc != 0 || strstr(out, "Usage") == NULL || err[0] != '\0')
            RP_IT_FAIL("%s: exit %d\nstdout: %s\nstderr: %s", shown(cases[i]), rc, out, err);
    }
    char *out = NULL;
    assert_int_equal(rp_it_cli(&out, NULL, "--help", NULL), 0);
    const char *commands[] = {"serve",          "migrate",       "tenant create", "tenant list",
                              "tenant suspend", "tenant resume", "user add",      "user passwd",
                              "user list",      "version"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strstr(out, commands[i]) == NULL)
            RP_IT_FAIL("rapport --help does not mention '%s':\n%s", commands[i], out);
    assert_int_equal(rp_it_cli(&out, NULL, "tenant", "--help", NULL), 0);
    assert_non_null(strstr(out, "create"));
    assert_non_null(strstr(out, "suspend"));
    assert_non_null(strstr(out, "--modules"));
    assert_non_null(strstr(out, "RAPPORT_DEFAULT_MODULES"));
    assert_int_equal(rp_it_cli(&out, NULL, "user", "add", "--help", NULL), 0);
    assert_non_null(strstr(out, "--password-stdin"));
    assert_non_null(strstr(out, "--role"));
}

static void bad_arguments_exit_2(void **state)
{
    const char *before = rp_it_fmt("%s", rp_it_sql("SELECT count(*) FROM tenants", NULL));
    expect_one_line(2, NULL, "frobnicate", ARGS("frobnicate"));
    expect_one_line(2, NULL, "--bogus-global", ARGS("--bogus-global", "tenant", "list"));
    expect_one_line(2, NULL, NULL, ARGS("--data-dir"));
    expect_one_line(2, NULL, "frob", ARGS("tenant", "frob"));
    expect_one_line(2, NULL, "--bogus", ARGS("tenant", "list", "--bogus"));
    expect_one_line(2, NULL, "--name", ARGS("tenant", "create", "newco"));
    expect_one_line(2, NULL, "--name", ARGS("tenant", "create", "newco", "--name"));
    expect_one_line(2, NULL, "--name", ARGS("tenant", "create", "newco", "--name", ""));
    expect_one_line(2, NULL, "Bad_Slug!", ARGS("tenant", "create", "Bad_Slug!", "--name", "X"));
    expect_one_line(2, NULL, "a-slug-that-is-far-too-long",
                    ARGS("tenant", "create",
                         "a-slug-that-is-far-too-long-to-be-accepted-by-the-rules-of-rapport-x",
                         "--name", "X"));
    expect_one_line(2, NULL, "SLUG", ARGS("tenant", "suspend"));
    expect_one_line(2, NULL, "extra", ARGS("tenant", "suspend", "somebody", "extra"));
    expect_one_line(2, "irrelevant-password\n", "role",
                    ARGS("user", "add", "--tenant", "newco", "--email", "a@newco.test", "--role",
                         "wizard", "--password-stdin"));
    expect_one_line(2, NULL, "--role",
                    ARGS("user", "add", "--tenant", "newco", "--email", "a@newco.test"));
    expect_one_line(2, NULL, "--email", ARGS("user", "add", "--tenant", "newco", "--role", "user"));
    expect_one_line(2, NULL, "--tenant", ARGS("user", "list"));
    expect_one_line(2, NULL, "--shout", ARGS("user", "list", "--tenant", "newco", "--shout"));
    expect_one_line(2, NULL, "extra", ARGS("version", "extra"));
    /* None of it reached the database. */
    assert_string_equal(rp_it_sql("SELECT count(*) FROM tenants", NULL), before);
}

static void no_command_exit_2(void **state)
{
    char *out = NULL, *err = NULL;
    int rc = rp_it_cli_input(NULL, &out, &err, NULL);
    assert_int_equal(rc, 2);
    assert_int_equal(rp_it_count_lines(err), 1);
}

static const char *line_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    if (p == NULL)
        return NULL;
    const char *start = p;
    while (start > text && start[-1] != '\n')
        start--;
    size_t len = strcspn(start, "\n");
    return rp_it_fmt("%.*s", (int)len, start);
}

static void tenant_lifecycle(void **state)
{
    char *out = NULL, *err = NULL;
    assert_int_equal(rp_it_cli(&out, &err, "tenant", "create", "clico", "--name", "CLI Co", NULL),
                     0);
    assert_non_null(strstr(out, "clico"));
    assert_string_equal(rp_it_sql("SELECT name FROM tenants WHERE slug = 'clico'", NULL), "CLI Co");

    assert_int_equal(rp_it_cli(&out, &err, "tenant", "list", NULL), 0);
    const char *line = line_of(out, "clico");
    assert_non_null(line);
    assert_non_null(strstr(line, "CLI Co"));
    assert_non_null(strstr(line, "active"));
    assert_non_null(strstr(line, rp_it_tenant_id("clico")));

    assert_int_equal(rp_it_cli(&out, &err, "tenant", "suspend", "clico", NULL), 0);
    assert_int_equal(rp_it_cli(&out, &err, "tenant", "list", NULL), 0);
    assert_non_null(strstr(line_of(out, "clico"), "suspended"));
    assert_string_equal(rp_it_sql("SELECT status FROM tenants WHERE slug = 'clico'", NULL),
                        "suspended");

    assert_int_equal(rp_it_cli(&out, &err, "tenant", "resume", "clico", NULL), 0);
    assert_int_equal(rp_it_cli(&out, &err, "tenant", "list", NULL), 0);
    assert_null(strstr(line_of(out, "clico"), "suspended"));
    assert_string_equal(rp_it_sql("SELECT status FROM tenants WHERE slug = 'clico'", NULL),
                        "active");

    /* A tenant that does not exist is a failure, not a usage error. */
    expect_one_line(1, NULL, "nosuch", ARGS("tenant", "suspend", "nosuch"));
}

static void duplicate_tenant_exit_1(void **state)
{
    rp_it_tenant_create("dupco", "Dup Co");
    expect_one_line(1, NULL, "dupco", ARGS("tenant", "create", "dupco", "--name", "Again"));
    char *out = NULL, *err = NULL;
    rp_it_cli(&out, &err, "tenant", "create", "dupco", "--name", "Again", NULL);
    assert_non_null(strstr(err, "exists"));
    assert_string_equal(rp_it_sql("SELECT name FROM tenants WHERE slug = 'dupco'", NULL), "Dup Co");
}

static void users_add_list_passwd(void **state)
{
    rp_it_tenant_create("userco", "User Co");
    char *out = NULL, *err = NULL;
    int rc =
        rp_it_cli_input(PASSWORD "\n", &out, &err, "user", "add", "--tenant", "userco", "--email",
                        "Manager@UserCo.test", "--role", "manager", "--password-stdin", NULL);
    if (rc != 0)
        RP_IT_FAIL("user add: exit %d: %s", rc, err);

    assert_int_equal(rp_it_cli(&out, &err, "user", "list", "--tenant", "userco", NULL), 0);
    const char *line = line_of(out, "@");
    assert_non_null(line);
    assert_non_null(strcasestr(line, "manager@userco.test"));
    assert_non_null(strstr(line, "manager"));

    /* What the CLI wrote, the API accepts. */
    RP_IT_EXPECT_STATUS(rp_it_login("userco", "manager@userco.test", PASSWORD, NULL), 200);

    rc = rp_it_cli_input("a-brand-new-password\n", &out, &err, "user", "passwd", "--tenant",
                         "userco", "--email", "manager@userco.test", "--password-stdin", NULL);
    if (rc != 0)
        RP_IT_FAIL("user passwd: exit %d: %s", rc, err);
    RP_IT_EXPECT_PROBLEM(rp_it_login("userco", "manager@userco.test", PASSWORD, NULL), 401,
                         "invalid_credentials");
    RP_IT_EXPECT_STATUS(rp_it_login("userco", "manager@userco.test", "a-brand-new-password", NULL),
                        200);

    /* The same address again, in any case, is refused. */
    rc = rp_it_cli_input(PASSWORD "\n", &out, &err, "user", "add", "--tenant", "userco", "--email",
                         "MANAGER@userco.test", "--role", "user", "--password-stdin", NULL);
    assert_int_equal(rc, 1);
    assert_int_equal(rp_it_count_lines(err), 1);
    assert_string_equal(rp_it_sql("SELECT count(*) FROM users u JOIN tenants t ON t.id = "
                                  "u.tenant_id WHERE t.slug = 'userco'",
                                  NULL),
                        "1");
}

static void user_add_refusals(void **state)
{
    rp_it_tenant_create("refuseco", "Refuse Co");
    char *out = NULL, *err = NULL;
    /* Too short a password: refused, nothing created. */
    int rc =
        rp_it_cli_input("short\n", &out, &err, "user", "add", "--tenant", "refuseco", "--email",
                        "s@refuseco.test", "--role", "user", "--password-stdin", NULL);
    assert_true(rc == 1 || rc == 2);
    assert_int_equal(rp_it_count_lines(err), 1);
    assert_null(rp_it_sql("SELECT 1 FROM users WHERE email = 's@refuseco.test'", NULL));

    /* No such tenant. */
    rc = rp_it_cli_input(PASSWORD "\n", &out, &err, "user", "add", "--tenant", "ghostco", "--email",
                         "g@ghostco.test", "--role", "user", "--password-stdin", NULL);
    assert_int_equal(rc, 1);
    assert_int_equal(rp_it_count_lines(err), 1);
    assert_non_null(strstr(err, "ghostco"));

    /* passwd for someone who does not exist. */
    rc = rp_it_cli_input(PASSWORD "\n", &out, &err, "user", "passwd", "--tenant", "refuseco",
                         "--email", "nobody@refuseco.test", "--password-stdin", NULL);
    assert_int_equal(rc, 1);
    assert_int_equal(rp_it_count_lines(err), 1);
}

static void version_prints_version(void **state)
{
    char *out = NULL, *err = NULL;
    assert_int_equal(rp_it_cli(&out, &err, "version", NULL), 0);
    assert_non_null(strstr(out, RAPPORT_VERSION));
    assert_string_equal(err, "");
    assert_int_equal(rp_it_cli(&out, &err, "--version", NULL), 0);
    assert_non_null(strstr(out, RAPPORT_VERSION));
}

static void migrate_is_idempotent(void **state)
{
    char *out = NULL, *err = NULL;
    assert_int_equal(rp_it_cli(&out, &err, "migrate", NULL), 0);
    assert_int_equal(rp_it_cli(&out, &err, "migrate", NULL), 0);
    /* Every file under migrations/ is recorded once. */
    int files = 0;
    DIR *d = opendir(RAPPORT_SOURCE_DIR "/migrations");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0)
            files++;
    }
    closedir(d);
    assert_true(files >= 1);
    assert_int_equal(strtol(rp_it_sql("SELECT count(*) FROM rapport_migrations", NULL), NULL, 10),
                     files);
}

static void unreachable_database_exit_1(void **state)
{
    expect_one_line(
        1, NULL, NULL,
        ARGS("--database-url", "host=/nonexistent/socket/dir dbname=x user=y", "tenant", "list"));
}

static void server_exits_cleanly(void **state)
{
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(help_everywhere),         RP_IT_TEST(bad_arguments_exit_2),
        RP_IT_TEST(no_command_exit_2),       RP_IT_TEST(tenant_lifecycle),
        RP_IT_TEST(duplicate_tenant_exit_1), RP_IT_TEST(users_add_list_passwd),
        RP_IT_TEST(user_add_refusals),       RP_IT_TEST(version_prints_version),
        RP_IT_TEST(migrate_is_idempotent),   RP_IT_TEST(unreachable_database_exit_1),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("cli", tests, setup, teardown);
}
