#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "it.h"

typedef struct growbuf {
    char *data;
    size_t len, cap;
    bool failed;
} growbuf_t;

static void grow_append(growbuf_t *b, const char *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void resp_free(void *p)
{
    rp_it_resp_t *r = p;
    free(r->body);
    json_decref(r->json);
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->header_names[i]);
        free(r->header_values[i]);
    }
    free(r->header_names);
    free(r->header_values);
    free(r);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    grow_append(arg, p, size * n);
    return size * n;
}

static void clear_headers(rp_it_resp_t *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->header_names[i]);
        free(r->header_values[i]);
    }
    r->nheaders = 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    rp_it_resp_t *r = arg;
    size_t len = size * n;
    /* Each status line starts a new header block (after a 100 Continue). */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        clear_headers(r);
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (colon == NULL)
        return len;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char **names = realloc(r->header_names, (r->nheaders + 1) * sizeof *names);
    if (names == NULL)
        return 0;
    r->header_names = names;
    char **values = realloc(r->header_values, (r->nheaders + 1) * sizeof *values);
    if (values == NULL)
        return 0;
    r->header_values = values;
    r->header_names[r->nheaders] = strndup(p, nlen);
    r->header_values[r->nheaders] = strndup(v, (size_t)(end - v));
    if (r->header_names[r->nheaders] == NULL || r->header_values[r->nheaders] == NULL) {
        free(r->header_names[r->nheaders]);
        free(r->header_values[r->nheaders]);
        return 0;
    }
    r->nheaders++;
    return len;
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload_t;

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
    upload_t *u = arg;
    size_t room = size * n, left = u->len - u->off;
    size_t k = left < room ? left : room;
    memcpy(p, u->data + u->off, k);
    u->off += k;
    return k;
}

static bool has_body(const rp_it_req_t *q)
{
    return q->body != NULL;
}

rp_it_resp_t *rp_it_http(const rp_it_req_t *q)
{
    rp_it_resp_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        RP_IT_FAIL("out of memory");
    rp_it_track(r, resp_free);
    const char *method = q->method ? q->method : has_body(q) ? "POST" : "GET";
    size_t body_len = has_body(q) ? (q->body_len ? q->body_len : strlen(q->body)) : 0;

    CURL *c = curl_easy_init();
    if (c == NULL)
        RP_IT_FAIL("curl_easy_init failed");
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", rp_it_g.server_port, q->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)((q->timeout > 0 ? q->timeout : 30) * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* Paths are sent as written, dots and all: normalising is the server's job. */
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);

    struct curl_slist *hl = NULL;
    char line[4200];
    if (q->bearer) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", q->bearer);
        hl = curl_slist_append(hl, line);
    } else if (q->authorization) {
        snprintf(line, sizeof line, "Authorization: %s", q->authorization);
        hl = curl_slist_append(hl, line);
    }
    if (has_body(q)) {
        snprintf(line, sizeof line, "Content-Type: %s",
                 q->content_type ? q->content_type : "application/json");
        hl = curl_slist_append(hl, line);
    }
    if (q->request_id) {
        snprintf(line, sizeof line, "X-Request-Id: %s", q->request_id);
        hl = curl_slist_append(hl, line);
    }
    for (const char *const *h = q->headers; h && *h; h++)
        hl = curl_slist_append(hl, *h);

    upload_t up = {q->body, body_len, 0};
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (has_body(q) && q->chunked) {
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (has_body(q)) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

    growbuf_t body = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    double t0 = rp_it_now();
    CURLcode cc = curl_easy_perform(c);
    r->seconds = rp_it_now() - t0;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    } else {
        r->status = 0;
        snprintf(r->error, sizeof r->error, "%.16s %.200s: %s", method, q->path,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (body.failed)
        RP_IT_FAIL("out of memory reading the response");
    r->body = body.data ? body.data : strdup("");
    r->body_len = body.len;
    if (r->body_len > 0)
        r->json = json_loadb(r->body, r->body_len, 0, NULL);
    return r;
}

rp_it_resp_t *rp_it_get(const char *path, const char *bearer)
{
    return rp_it_http(&(rp_it_req_t){.path = path, .bearer = bearer});
}

rp_it_resp_t *rp_it_send(const char *method, const char *path, const char *bearer,
                         const char *json_text)
{
    return rp_it_http(
        &(rp_it_req_t){.method = method, .path = path, .bearer = bearer, .body = json_text});
}

rp_it_resp_t *rp_it_sendj(const char *method, const char *path, const char *bearer, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (body != NULL && text == NULL)
        RP_IT_FAIL("cannot encode the request body");
    rp_it_resp_t *r = rp_it_send(method, path, bearer, text);
    free(text);
    return r;
}

const char *rp_it_header(const rp_it_resp_t *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->header_names[i], name) == 0)
            return r->header_values[i];
    return NULL;
}

const char *rp_it_jstr(const rp_it_resp_t *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

json_t *rp_it_jlist(const rp_it_resp_t *r)
{
    if (json_is_array(r->json))
        return r->json;
    const char *preferred[] = {"items", "data", "users", "api_keys", "keys", "results"};
    for (size_t i = 0; i < sizeof preferred / sizeof preferred[0]; i++) {
        json_t *v = json_object_get(r->json, preferred[i]);
        if (json_is_array(v))
            return v;
    }
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        if (json_is_array(v))
            return v;
    }
    return NULL;
}

static void describe(const rp_it_resp_t *r)
{
    if (r->status == 0) {
        print_error("request failed: %s\n", r->error);
        return;
    }
    print_error("got HTTP %ld", r->status);
    const char *ct = rp_it_header(r, "Content-Type");
    print_error(" (%s)", ct ? ct : "no content type");
    print_error(", body: %.2000s%s\n", r->body ? r->body : "", r->body_len > 2000 ? " ..." : "");
}

void rp_it_expect_status_at(const rp_it_resp_t *r, long status, const char *file, int line)
{
    if (r->status == status)
        return;
    print_error("expected HTTP %ld\n", status);
    describe(r);
    _fail(file, line);
}

void rp_it_expect_problem_at(const rp_it_resp_t *r, long status, const char *code, const char *file,
                             int line)
{
    const char *why = NULL;
    const char *ct = rp_it_header(r, "Content-Type");
    const char *rid = rp_it_header(r, "X-Request-Id");
    json_t *st = json_object_get(r->json, "status");
    const char *got_code = rp_it_jstr(r, "code");
    if (r->status != status)
        why = "wrong status";
    else if (ct == NULL || strncasecmp(ct, "application/problem+json", 24) != 0)
        why = "Content-Type is not application/problem+json";
    else if (!json_is_object(r->json))
        why = "the body is not a JSON object";
    else if (!json_is_integer(st) || json_integer_value(st) != status)
        why = "\"status\" in the body does not match";
    else if (got_code == NULL || got_code[0] == '\0')
        why = "no \"code\" in the body";
    else if (code != NULL && strcmp(got_code, code) != 0)
        why = "wrong \"code\"";
    else if (!json_is_string(json_object_get(r->json, "detail")))
        why = "no \"detail\" in the body";
    else if (rid == NULL || rid[0] == '\0')
        why = "no X-Request-Id header";
    if (why == NULL)
        return;
    print_error("expected a problem %ld %s: %s\n", status, code ? code : "(any code)", why);
    describe(r);
    _fail(file, line);
}
