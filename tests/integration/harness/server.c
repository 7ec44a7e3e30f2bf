#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "it.h"

#define MAX_ENV 48

const char *const *rp_it_rapport_env(void)
{
    static char db[PATH_MAX + 64], app[PATH_MAX + 64], data[PATH_MAX + 32];
    static const char *env[8];
    int n = 0;
    snprintf(db, sizeof db, "RAPPORT_DATABASE_URL=host=%s dbname=rapport user=rapport",
             rp_it_g.sockdir);
    snprintf(app, sizeof app, "RAPPORT_APP_DATABASE_URL=host=%s dbname=rapport user=rapport_app",
             rp_it_g.sockdir);
    snprintf(data, sizeof data, "RAPPORT_DATA_DIR=%s", rp_it_g.datadir);
    env[n++] = db;
    env[n++] = app;
    env[n++] = data;
    env[n++] = "RAPPORT_JWT_SECRET=" RP_IT_JWT_SECRET;
    env[n++] = "RAPPORT_PWHASH=fast";
    /* tests/run.sh sets this; a test run straight from ctest gets the same
     * third-party suppressions. */
    if (getenv("LSAN_OPTIONS") == NULL)
        env[n++] =
            "LSAN_OPTIONS=suppressions=" RAPPORT_SOURCE_DIR "/tests/lsan.supp:print_suppressions=0";
    env[n] = NULL;
    return env;
}

/* Asks the kernel for a free port. Another process could take it before the
 * server binds it; the start is retried when that happens. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        RP_IT_FAIL("socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        RP_IT_FAIL("cannot find a free port: %s", strerror(e));
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static long probe_healthz(int port)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
        return 0;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static void log_marker(const char *what)
{
    FILE *f = fopen(rp_it_g.server_log, "a");
    if (f != NULL) {
        fprintf(f, "# rapport-it: %s\n", what);
        fclose(f);
    }
}

/* One attempt; returns true when healthy, false when the process exited
 * with a bind error (worth another port). Fails the test otherwise. */
static bool start_once(const char *const *extra, int nextra)
{
    int port = free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "RAPPORT_LISTEN=127.0.0.1:%d", port);
    const char *env[MAX_ENV + 16];
    int n = 0;
    for (const char *const *e = rp_it_rapport_env(); *e; e++)
        env[n++] = *e;
    env[n++] = listen;
    env[n++] = "RAPPORT_WORKERS=4";
    env[n++] = "RAPPORT_LOG_LEVEL=info";
    for (int i = 0; i < nextra; i++)
        env[n++] = extra[i];
    env[n] = NULL;

    char marker[128];
    snprintf(marker, sizeof marker, "starting rapport serve on 127.0.0.1:%d", port);
    log_marker(marker);
    const char *argv[] = {RAPPORT_BIN, "serve", NULL};
    rp_it_spawn_t s = {
        .argv = argv, .env = env, .out_path = rp_it_g.server_log, .death_signal = SIGKILL};
    pid_t pid = rp_it_spawn(&s);
    if (pid < 0)
        RP_IT_FAIL("cannot start %s: %s", RAPPORT_BIN, strerror(errno));
    rp_it_g.server_pid = pid;
    rp_it_g.server_rc = -1;
    rp_it_g.server_port = port;

    double deadline = rp_it_now() + 30;
    for (;;) {
        if (probe_healthz(port) == 200)
            return true;
        int rc = rp_it_server_wait(0);
        if (rc != -2) {
            /* Only this attempt's part of the log counts. */
            char *log = rp_it_read_file(rp_it_g.server_log, NULL);
            const char *mine = log ? strstr(log, marker) : NULL;
            bool in_use = mine != NULL && strstr(mine, "in use") != NULL;
            free(log);
            if (in_use)
                return false;
            /* The log is printed when the program ends (rp_it_finish). */
            RP_IT_FAIL("rapport serve exited with %d before answering /healthz", rc);
        }
        if (rp_it_now() > deadline) {
            RP_IT_FAIL("rapport serve did not answer GET /healthz with 200 within 30 s");
        }
        rp_it_sleep_ms(50);
    }
}

void rp_it_server_start(const char *first, ...)
{
    if (rp_it_g.server_pid > 0)
        RP_IT_FAIL("a server is already running");
    const char *extra[MAX_ENV];
    int n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *e = first; e != NULL && n < MAX_ENV; e = va_arg(ap, const char *))
        extra[n++] = e;
    va_end(ap);
    for (int attempt = 0; attempt < 3; attempt++)
        if (start_once(extra, n))
            return;
    RP_IT_FAIL("rapport serve could not bind a free port three times");
}

int rp_it_server_wait(double timeout_s)
{
    if (rp_it_g.server_pid <= 0)
        return rp_it_g.server_rc;
    int rc = rp_it_wait(rp_it_g.server_pid, timeout_s);
    if (rc != -2) {
        rp_it_g.server_pid = 0;
        rp_it_g.server_rc = rc;
    }
    return rc;
}

void rp_it_server_signal(int sig)
{
    if (rp_it_g.server_pid > 0)
        kill(rp_it_g.server_pid, sig);
}

int rp_it_server_stop(void)
{
    if (rp_it_g.server_pid <= 0)
        return rp_it_g.server_rc;
    log_marker("stopping rapport serve with SIGTERM");
    kill(rp_it_g.server_pid, SIGTERM);
    int rc = rp_it_server_wait(30);
    if (rc == -2) {
        kill(rp_it_g.server_pid, SIGKILL);
        rp_it_server_wait(10);
        rp_it_g.server_pid = 0;
        rp_it_g.server_rc = -1;
        return -1;
    }
    return rc;
}

bool rp_it_server_running(void)
{
    return rp_it_g.server_pid > 0 && rp_it_server_wait(0) == -2;
}

int rp_it_server_port(void)
{
    return rp_it_g.server_port;
}

const char *rp_it_server_log(void)
{
    char *log = rp_it_read_file(rp_it_g.server_log, NULL);
    if (log == NULL)
        log = strdup("");
    return rp_it_track(log, free);
}

void rp_it_server_assert_clean_log(void)
{
    const char *log = rp_it_server_log();
    const char *bad[] = {"AddressSanitizer", "LeakSanitizer",
                         "runtime error:", "UndefinedBehaviorSanitizer"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(log, bad[i]) != NULL) {
            RP_IT_FAIL("the server log shows a sanitizer report (%s)", bad[i]);
        }
}

void rp_it_stop_all(void)
{
    if (rp_it_g.server_pid > 0) {
        kill(rp_it_g.server_pid, SIGTERM);
        if (rp_it_wait(rp_it_g.server_pid, 20) == -2) {
            kill(rp_it_g.server_pid, SIGKILL);
            rp_it_wait(rp_it_g.server_pid, 10);
        }
        rp_it_g.server_pid = 0;
    }
    if (rp_it_g.pg_pid > 0) {
        kill(rp_it_g.pg_pid, SIGINT);
        if (rp_it_wait(rp_it_g.pg_pid, 30) == -2) {
            kill(rp_it_g.pg_pid, SIGQUIT);
            if (rp_it_wait(rp_it_g.pg_pid, 10) == -2) {
                kill(rp_it_g.pg_pid, SIGKILL);
                rp_it_wait(rp_it_g.pg_pid, 10);
            }
        }
        rp_it_g.pg_pid = 0;
    }
}
