/* What the C tests that run against the harness (Tests/e2e/harness) share: reading
 * its state file, asking the Flyte front for its counters or to fail the next
 * request, and a thread body that fetches metadata once. */
#ifndef FLYTEAUTH_TEST_HARNESS_CLIENT_H
#define FLYTEAUTH_TEST_HARNESS_CLIENT_H
#include <curl/curl.h>
#include <flyteauth.h>
#include <stdlib.h>
#include <string.h>

/* The string value of `key` in the state JSON, or NULL; the result lives in one of a
 * ring of buffers, so a few may be held at once. */
static inline const char *state_string(const char *json, const char *key) {
    static char out[16][1024];
    static int next;
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    const char *p = strstr(json, pattern);
    if (!p) { snprintf(pattern, sizeof pattern, "\"%s\":\"", key); p = strstr(json, pattern); }
    if (!p) return NULL;
    p += strlen(pattern);
    char *o = out[next++ % 16];
    size_t i = 0;
    while (*p && *p != '"' && i < 1023) o[i++] = *p++;
    o[i] = 0;
    return o;
}

/* A response body, cut at its capacity. */
struct http_body { char data[8192]; };

static inline size_t http_body_collect(char *d, size_t s, size_t n, void *u) {
    struct http_body *b = u;
    size_t have = strlen(b->data), add = s * n;
    if (have + add < sizeof b->data) { memcpy(b->data + have, d, add); b->data[have + add] = 0; }
    return s * n;
}

/* GET, or POST with `post` as the body; the response into `out` (may be NULL). */
static inline void harness_http(const char *method, const char *url, const char *post, struct http_body *out) {
    struct http_body scratch = { { 0 } };
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0) curl_easy_setopt(h, CURLOPT_POSTFIELDS, post ? post : "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_body_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out ? out : &scratch);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_perform(h);
    curl_easy_cleanup(h);
}

/* A counter of the front's /_test/counts: "token_total", or one grant type's count
 * (0 for one not counted yet). */
static inline int front_count(const char *endpoint, const char *key) {
    char url[512], pattern[128];
    struct http_body body = { { 0 } };
    snprintf(url, sizeof url, "%s/_test/counts", endpoint);
    harness_http("GET", url, NULL, &body);
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(body.data, pattern);
    if (!p || !(p = strchr(p + strlen(pattern), ':'))) return 0;
    return atoi(p + 1);
}

/* A thread body: one flyteauth_client_metadata call, its status kept. */
struct metadata_call { flyteauth_client *c; flyteauth_status st; };
static inline void *metadata_call_thread(void *arg) {
    struct metadata_call *m = arg;
    flyteauth_metadata *md = NULL;
    m->st = flyteauth_client_metadata(m->c, &md);
    flyteauth_metadata_free(md);
    return NULL;
}
#endif
