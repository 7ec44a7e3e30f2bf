#ifndef RP_IT_H
#define RP_IT_H

/* The integration test harness: a throwaway PostgreSQL cluster, the real
 * `rapport serve` on a free port, the CLI, and HTTP through libcurl. One
 * test program drives one cluster and at most one server at a time; every
 * process it starts is stopped (by PID) when the program ends, however it
 * ends. Everything lives under one mkdtemp directory in /tmp, removed at the
 * end unless RAPPORT_IT_KEEP=1. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

/* The HS256 key every test server runs with (48 characters, used verbatim). */
#define RP_IT_JWT_SECRET "rapport-integration-tests-0123456789-abcdefghijk"

/* The issuer and audience the server uses by default. */
#define RP_IT_JWT_ISSUER "rapport"
#define RP_IT_JWT_AUDIENCE "rapport-api"

/* ---- life cycle ---------------------------------------------------------- */

/* Prepares the program: libcurl, libsodium, the work directory, the
 * clean-up that stops every child at exit or on SIGTERM/SIGINT/SIGHUP, and
 * the RAPPORT_IT_FILTER test-name pattern. */
void rp_it_init(const char *name);

/* Ends the program: on failure (failed > 0) prints the tail of the server and
 * PostgreSQL logs, then stops everything and removes the work directory.
 * Returns the exit code for main. */
int rp_it_finish(int failed);

/* Runs a group of cmocka tests between rp_it_init and rp_it_finish. */
#define RP_IT_RUN(name, tests, setup, teardown)                                                    \
    do {                                                                                           \
        rp_it_init(name);                                                                          \
        return rp_it_finish(cmocka_run_group_tests_name(name, tests, setup, teardown));            \
    } while (0)

/* A test with the per-test teardown that frees what the test allocated
 * through the harness (responses, captured output, tokens). */
#define RP_IT_TEST(fn) cmocka_unit_test_teardown(fn, rp_it_test_teardown)

/* Frees everything tracked since the last call; a cmocka teardown. */
int rp_it_test_teardown(void **state);

/* Hands p to the harness, which frees it with freefn at the next
 * rp_it_test_teardown (or at exit). Returns p. */
void *rp_it_track(void *p, void (*freefn)(void *));

/* rp_it_track for a jansson value (one reference). Returns j. */
json_t *rp_it_track_json(json_t *j);

/* The work directory of this program. */
const char *rp_it_dir(void);

/* ---- PostgreSQL ---------------------------------------------------------- */

/* Creates (initdb, first call only) and starts a private PostgreSQL cluster
 * listening only on a unix socket in the work directory, with roles rapport
 * (owner of database rapport) and rapport_app (LOGIN NOSUPERUSER
 * NOBYPASSRLS). As root, PostgreSQL runs as the postgres user. Called
 * again after rp_it_pg_stop, it restarts the same cluster. Fails the test on
 * error. */
void rp_it_pg_start(void);

/* Stops the cluster with a fast shutdown (clients are disconnected), as an
 * operator or a crash of the database host would. The data stays. */
void rp_it_pg_stop(void);

/* True while the cluster's postmaster runs. */
bool rp_it_pg_running(void);

/* The directory holding the cluster's socket (libpq "host="). */
const char *rp_it_pg_sockdir(void);

/* The conninfo string for user on database rapport. Tracked. */
const char *rp_it_pg_conninfo(const char *user);

/* Connects to database rapport as user; fails the test on error. The caller
 * PQfinish()es it. */
PGconn *rp_it_pg_connect(const char *user);

/* rp_it_track for a libpq connection (PQfinish) and a result (PQclear). */
PGconn *rp_it_track_pgconn(PGconn *c);
PGresult *rp_it_track_pgresult(PGresult *r);

/* Runs sql with text parameters (a NULL-terminated list) as the superuser and
 * returns the first column of the first row (tracked), or NULL when there is
 * no row. Fails the test when the statement fails. */
const char *rp_it_sql(const char *sql, ...);

/* ---- the server ---------------------------------------------------------- */

/* Starts `rapport serve` on a free 127.0.0.1 port against the cluster, with
 * the test configuration plus the extra "NAME=value" settings given (a
 * NULL-terminated list), and waits until GET /healthz answers 200. Fails the
 * test (printing the server log) when it does not come up in 30 s. */
void rp_it_server_start(const char *env, ...);

/* Sends SIGTERM and waits for the exit; returns the exit code (128 + signal
 * when killed, -1 when it did not exit within 30 s and had to be killed).
 * When the server has already exited, returns how it exited. */
int rp_it_server_stop(void);

/* Sends sig to the server. */
void rp_it_server_signal(int sig);

/* Waits up to timeout_s seconds for the server to exit; returns its exit code
 * as rp_it_server_stop does, or -2 while it still runs. */
int rp_it_server_wait(double timeout_s);

/* True while the server process runs. */
bool rp_it_server_running(void);

/* The port the server listens on. */
int rp_it_server_port(void);

/* The server's log so far (stdout and stderr together). Tracked. */
const char *rp_it_server_log(void);

/* Fails the test when the server log shows a sanitizer report. */
void rp_it_server_assert_clean_log(void);

/* ---- the CLI ------------------------------------------------------------- */

/* Runs RAPPORT_BIN with the arguments given (a NULL-terminated list) and the
 * same database settings as the server; input, when not NULL, is fed on
 * stdin. Returns the exit code (128 + signal when killed). *out and *err,
 * when not NULL, receive the captured stdout and stderr (tracked). */
int rp_it_cli_input(const char *input, char **out, char **err, const char *arg, ...);

/* rp_it_cli_input with nothing on stdin. */
#define rp_it_cli(out, err, ...) rp_it_cli_input(NULL, out, err, __VA_ARGS__)

/* Creates a tenant with the CLI; fails the test unless it exits 0. */
void rp_it_tenant_create(const char *slug, const char *name);

/* Adds a user with the CLI (--password-stdin); fails the test unless it
 * exits 0. */
void rp_it_user_add(const char *tenant, const char *email, const char *role, const char *password);

/* The id of tenant slug, read from the database. Tracked. */
const char *rp_it_tenant_id(const char *slug);

/* The id of the user email in tenant slug, read from the database. Tracked. */
const char *rp_it_user_id(const char *slug, const char *email);

/* ---- HTTP ---------------------------------------------------------------- */

/* One response. Everything it points to is owned by it. */
typedef struct rp_it_resp {
    long status; /* 0 when the request failed below HTTP (see error) */
    char *body;  /* NUL-terminated */
    size_t body_len;
    json_t *json; /* the body parsed as JSON, or NULL */
    char **header_names;
    char **header_values;
    size_t nheaders;
    char error[512]; /* libcurl's message when status is 0 */
    double seconds;  /* total time */
} rp_it_resp_t;

/* One request; unset fields take the defaults noted. */
typedef struct rp_it_req {
    const char *method;        /* default GET, or POST when there is a body */
    const char *path;          /* "/api/v1/me" */
    const char *bearer;        /* sends Authorization: Bearer <bearer> */
    const char *authorization; /* sends this Authorization header verbatim */
    const char *content_type;  /* default application/json when there is a body */
    const char *body;
    size_t body_len;            /* 0: strlen(body) */
    const char *request_id;     /* sends X-Request-Id */
    const char *const *headers; /* more "Name: value" lines, NULL-terminated */
    bool chunked;               /* send the body with chunked transfer encoding */
    double timeout;             /* seconds, default 30 */
} rp_it_req_t;

/* Sends req to the running server on 127.0.0.1. Never NULL; tracked. */
rp_it_resp_t *rp_it_http(const rp_it_req_t *req);

/* GET path, with a bearer credential when not NULL. */
rp_it_resp_t *rp_it_get(const char *path, const char *bearer);

/* method path with a JSON text body (NULL for none). */
rp_it_resp_t *rp_it_send(const char *method, const char *path, const char *bearer,
                         const char *json_text);

/* method path with a JSON body built with jansson (stolen). */
rp_it_resp_t *rp_it_sendj(const char *method, const char *path, const char *bearer, json_t *body);

/* The first value of response header name (case-insensitive), or NULL. */
const char *rp_it_header(const rp_it_resp_t *r, const char *name);

/* String member key of the JSON body, or NULL. */
const char *rp_it_jstr(const rp_it_resp_t *r, const char *key);

/* The array of a list response: the body itself when it is an array, else
 * its first array-valued member ("items", "data", ...). NULL when none. */
json_t *rp_it_jlist(const rp_it_resp_t *r);

/* Fails the test (printing the response) unless its status is status. */
#define RP_IT_EXPECT_STATUS(r, st) rp_it_expect_status_at((r), (st), __FILE__, __LINE__)
void rp_it_expect_status_at(const rp_it_resp_t *r, long status, const char *file, int line);

/* Fails the test unless r is an RFC 9457 problem: the given status,
 * Content-Type application/problem+json, a JSON body whose "status" equals
 * it and whose "code" is code (any non-empty code when code is NULL), and an
 * X-Request-Id header. */
#define RP_IT_EXPECT_PROBLEM(r, st, code)                                                          \
    rp_it_expect_problem_at((r), (st), (code), __FILE__, __LINE__)
void rp_it_expect_problem_at(const rp_it_resp_t *r, long status, const char *code, const char *file,
                             int line);

/* Fails the test with a message. */
#define RP_IT_FAIL(...) rp_it_fail_at(__FILE__, __LINE__, __VA_ARGS__)
void rp_it_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* ---- authentication ------------------------------------------------------ */

/* A token pair from a login or a refresh. */
typedef struct rp_it_tokens {
    char access[4096];
    char refresh[256];
} rp_it_tokens_t;

/* POST /api/v1/auth/login; fills out when the answer is 200. */
rp_it_resp_t *rp_it_login(const char *tenant, const char *email, const char *password,
                          rp_it_tokens_t *out);

/* Logs in and fails the test unless it works; returns the access token
 * (tracked). */
const char *rp_it_token(const char *tenant, const char *email, const char *password);

/* A valid claim set for an access token: sub, tid, role, iss, aud, jti, iat
 * and nbf now, exp in 15 minutes. Tracked; change members freely. */
json_t *rp_it_jwt_claims(const char *tenant_id, const char *user_id, const char *role);

/* Signs claims as an HS256 JWT with key (RP_IT_JWT_SECRET when NULL), under
 * header_json (the standard {"alg":"HS256","typ":"JWT"} when NULL). When the
 * header names alg "none" the signature is left empty. Tracked. */
const char *rp_it_jwt_sign(const char *header_json, const json_t *claims, const char *key);

/* The claims (payload) of a JWT, decoded without any check. Tracked. */
json_t *rp_it_jwt_payload(const char *token);

/* Unpadded base64url of len bytes. Tracked. */
const char *rp_it_b64url(const void *data, size_t len);

/* ---- small things -------------------------------------------------------- */

/* Monotonic seconds. */
double rp_it_now(void);

/* Sleeps for ms milliseconds. */
void rp_it_sleep_ms(int ms);

/* printf into a tracked string. */
const char *rp_it_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The number of lines in s (a last line without '\n' counts). */
int rp_it_count_lines(const char *s);

#endif
