/*
 * Interactive logins end to end, from C, against a real glewlwyd: PKCE with a
 * loopback callback and the device flow, driven by the browser and device-prompt
 * callbacks, which run the scripted person (python3 -m harness approve-*).
 * Needs FLYTEAUTH_TEST_STATE (harness state file), FLYTEAUTH_TEST_STATE_ROTATING
 * (a second stack with refresh-token rotation) and FLYTEAUTH_TEST_PORT_BASE (the
 * first of 8 redirect ports both stacks registered).
 */
#define _GNU_SOURCE
#include <flyteauth.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
#include "check.h"
#include "harness_client.h"

/* ---- the harness ---------------------------------------------------------- */

struct stack { char json[65536]; };

static void load(struct stack *s, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    size_t n = fread(s->json, 1, sizeof s->json - 1, f);
    s->json[n] = 0;
    fclose(f);
}

static const char *value(struct stack *s, const char *key) {
    const char *v = state_string(s->json, key);
    return v ? v : "";
}

/* Runs `python3 -m harness ARGS...`; waits when `wait` is set. */
static int harness(int wait, ...) {
    const char *argv[16] = { getenv("PYTHON") ? getenv("PYTHON") : "python3", "-m", "harness" };
    int n = 3;
    va_list ap;
    va_start(ap, wait);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 15) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    pid_t pid;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0) return -1;
    if (!wait) return 0;
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Token requests of one grant type the front has forwarded to glewlwyd. */
static int token_requests(struct stack *s, const char *grant) { return front_count(value(s, "endpoint"), grant); }

static void front(struct stack *s, const char *what, const char *body) {
    char url[1024];
    snprintf(url, sizeof url, "%s%s", value(s, "endpoint"), what);
    harness_http("POST", url, body, NULL);
}

/* ---- clients and callbacks ------------------------------------------------ */

static int port_base;
static char workdir[256];

struct person {
    struct stack *stack;
    const char *mode;   /* approve-pkce flag: "", "--stray", "--deny", "--wrong-state-only" */
    int browser_calls, device_calls;
    char user_code[64], uri[512];
    int64_t expires_at;
    int has_complete;
};

static int on_browser(void *ud, const char *url) {
    struct person *p = ud;
    __atomic_add_fetch(&p->browser_calls, 1, __ATOMIC_SEQ_CST);
    if (strcmp(p->mode, "") == 0) harness(1, "approve-pkce", "--url", url, NULL);
    else harness(1, "approve-pkce", "--url", url, p->mode, NULL);
    return 0;  /* handled: no stderr message, no xdg-open */
}

static void on_device(void *ud, const char *uri, const char *complete, const char *code, int64_t expires_at) {
    struct person *p = ud;
    __atomic_add_fetch(&p->device_calls, 1, __ATOMIC_SEQ_CST);
    snprintf(p->user_code, sizeof p->user_code, "%s", code);
    snprintf(p->uri, sizeof p->uri, "%s", uri);
    p->expires_at = expires_at;
    p->has_complete = complete != NULL;
    if (strcmp(p->mode, "--no-approval") != 0)
        harness(0, "approve-device", "--code", code, "--idp", value(p->stack, "idp"), NULL);
}

static flyteauth_client *new_client(struct stack *s, const char *auth_type, int port_offset, const char *extra,
                                    struct person *person) {
    char json[4096];
    snprintf(json, sizeof json,
             "{\"endpoint\":\"%s\",\"insecure\":true,\"auth_type\":\"%s\","
             "\"redirect_uri\":\"http://localhost:%d/callback\",\"keyring\":false,\"cache_dir\":\"%s/cache\"%s%s}",
             value(s, "endpoint"), auth_type, port_base + port_offset, workdir, extra ? "," : "", extra ? extra : "");
    flyteauth_client *c = NULL;
    flyteauth_status st = flyteauth_client_new(json, &c);
    CHECK(st == FLYTEAUTH_OK, "client_new: %d", st);
    if (person) {
        flyteauth_client_set_browser_callback(c, on_browser, person);
        flyteauth_client_set_device_prompt_callback(c, on_device, person);
    }
    return c;
}

static int has_refresh_token(flyteauth_client *c) {
    char *status = NULL;
    flyteauth_client_status(c, &status);
    int yes = status && strstr(status, "\"has_refresh_token\":true") != NULL;
    flyteauth_string_free(status);
    return yes;
}

/* ---- scenarios ------------------------------------------------------------- */

static void pkce_login_and_refresh(struct stack *s) {
    struct person p = { .stack = s, .mode = "--stray" };
    flyteauth_client *c = new_client(s, "Pkce", 0, NULL, &p);
    int codes_before = token_requests(s, "authorization_code");
    flyteauth_metadata *md = NULL;
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_OK && md, "PKCE login with stray requests first: %d", st);
    if (md) {
        CHECK(strcmp(md->headers[0].key, "flyte-authorization") == 0, "header key %s", md->headers[0].key);
        CHECK(strncmp(md->headers[0].value, "Bearer ey", 9) == 0, "a JWT access token");
    }
    flyteauth_metadata_free(md);
    CHECK(p.browser_calls == 1, "one browser open (%d)", p.browser_calls);
    CHECK(token_requests(s, "authorization_code") == codes_before + 1, "one code exchange");
    CHECK(has_refresh_token(c), "the refresh token is kept");

    /* After the access token expires: refreshed with the refresh token, no browser. */
    int refreshes = token_requests(s, "refresh_token");
    sleep(5);
    st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_OK, "metadata after expiry: %d", st);
    flyteauth_metadata_free(md);
    CHECK(p.browser_calls == 1, "no second browser login (%d)", p.browser_calls);
    CHECK(token_requests(s, "refresh_token") >= refreshes + 1, "refreshed with the refresh token");
    flyteauth_client_free(c);
}

static void pkce_denied(struct stack *s) {
    struct person p = { .stack = s, .mode = "--deny" };
    flyteauth_client *c = new_client(s, "Pkce", 1, NULL, &p);
    flyteauth_metadata *md = NULL;
    double t0 = now_s();
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    const flyteauth_error *e = flyteauth_error_last();
    CHECK(st == FLYTEAUTH_E_OAUTH && e && e->oauth_error && strcmp(e->oauth_error, "access_denied") == 0,
          "denied consent ends the login: %d", st);
    CHECK(now_s() - t0 < 10, "promptly (%.1f s)", now_s() - t0);
    flyteauth_client_free(c);
}

static void pkce_wrong_state_then_timeout(struct stack *s) {
    struct person p = { .stack = s, .mode = "--wrong-state-only" };
    flyteauth_client *c = new_client(s, "Pkce", 2, "\"login_timeout_seconds\":3", &p);
    flyteauth_metadata *md = NULL;
    double t0 = now_s();
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    double took = now_s() - t0;
    CHECK(st == FLYTEAUTH_E_TIMEOUT && strstr(last_message(), "login_timeout_seconds"),
          "a wrong state is ignored and the login times out: %d", st);
    CHECK(took >= 2.9 && took < 8, "after the login timeout (%.1f s)", took);
    flyteauth_client_free(c);
}

static void pkce_busy_port(struct stack *s) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port_base + 3) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int bound = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0;
    CHECK(bound, "test could bind the port");
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "Pkce", 3, NULL, &p);
    flyteauth_metadata *md = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", port_base + 3);
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_E_NETWORK && strstr(last_message(), port) && strstr(last_message(), "in use"),
          "busy port is a clear error naming it: %d", st);
    CHECK(p.browser_calls == 0, "no browser opened for a login that cannot finish");
    flyteauth_client_free(c);
    close(fd);
}

static void non_interactive(struct stack *s) {
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "Pkce", 4, "\"interactive\":false", &p);
    flyteauth_metadata *md = NULL;
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_E_LOGIN_REQUIRED && strstr(last_message(), "does not ask a person"), "services never open a browser: %d", st);
    CHECK(p.browser_calls == 0, "no browser");
    flyteauth_client_free(c);
    c = new_client(s, "DeviceFlow", 4, "\"interactive\":false", &p);
    st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_E_LOGIN_REQUIRED && p.device_calls == 0, "nor a device prompt: %d", st);
    flyteauth_client_free(c);
}

static void one_login_for_many_threads(struct stack *s) {
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "Pkce", 5, NULL, &p);
    pthread_t t[8];
    struct metadata_call r[8];
    for (int i = 0; i < 8; i++) { r[i] = (struct metadata_call){ .c = c }; pthread_create(&t[i], NULL, metadata_call_thread, &r[i]); }
    int ok = 0;
    for (int i = 0; i < 8; i++) { pthread_join(t[i], NULL); ok += r[i].st == FLYTEAUTH_OK; }
    CHECK(ok == 8, "all 8 threads got a header (%d)", ok);
    CHECK(p.browser_calls == 1, "8 threads needing a login opened the browser once (%d)", p.browser_calls);
    flyteauth_client_free(c);
}

static void device_login(struct stack *s) {
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "DeviceFlow", 6, NULL, &p);
    flyteauth_metadata *md = NULL;
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_OK && md, "device login approved while polling: %d", st);
    flyteauth_metadata_free(md);
    CHECK(p.device_calls == 1 && p.user_code[0] && strstr(p.uri, "/device"), "prompt got code and URI");
    CHECK(p.expires_at > time(NULL), "prompt got the expiry");
    CHECK(has_refresh_token(c), "device login keeps the refresh token (flyte #4784)");
    flyteauth_client_free(c);
}

static void device_slow_down(struct stack *s) {
    /* The IdP says slow_down on the first poll: the next poll waits interval + 5 s. */
    front(s, "/_test/fail?n=1&status=400&grant_type=urn:ietf:params:oauth:grant-type:device_code"
             "&body=%7B%22error%22%3A%22slow_down%22%7D", NULL);
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "DeviceFlow", 6, NULL, &p);
    flyteauth_metadata *md = NULL;
    double t0 = now_s();
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    double took = now_s() - t0;
    CHECK(st == FLYTEAUTH_OK, "device login after slow_down: %d", st);
    CHECK(took >= 6.5, "slow_down honoured: the login took %.1f s (interval 1 s + 5 s)", took);
    flyteauth_metadata_free(md);
    flyteauth_client_free(c);
}

static void device_expired(struct stack *s) {
    front(s, "/_test/fail?n=1&status=400&grant_type=urn:ietf:params:oauth:grant-type:device_code"
             "&body=%7B%22error%22%3A%22expired_token%22%7D", NULL);
    struct person p = { .stack = s, .mode = "--no-approval" };
    flyteauth_client *c = new_client(s, "DeviceFlow", 6, NULL, &p);
    flyteauth_metadata *md = NULL;
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    const flyteauth_error *e = flyteauth_error_last();
    CHECK(st == FLYTEAUTH_E_OAUTH && e && e->oauth_error && strcmp(e->oauth_error, "expired_token") == 0,
          "expired device code stops the login: %d", st);
    flyteauth_client_free(c);
}

static void *cancel_later(void *arg) {
    usleep(800 * 1000);
    flyteauth_client_cancel(arg);
    return NULL;
}

static void device_cancel(struct stack *s) {
    struct person p = { .stack = s, .mode = "--no-approval" };
    flyteauth_client *c = new_client(s, "DeviceFlow", 6, NULL, &p);
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, c);
    flyteauth_metadata *md = NULL;
    double t0 = now_s();
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    pthread_join(t, NULL);
    CHECK(st == FLYTEAUTH_E_CANCELLED, "cancelled from another thread: %d", st);
    CHECK(now_s() - t0 < 3, "promptly (%.1f s)", now_s() - t0);
    /* A cancelled client works again afterwards. */
    p.mode = "";
    st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_OK, "later calls work: %d", st);
    flyteauth_metadata_free(md);
    flyteauth_client_free(c);
}

static void device_unavailable(struct stack *s) {
    front(s, "/_test/config", "{\"metadata\":{\"device_authorization_endpoint\":\"\"}}");
    struct person p = { .stack = s, .mode = "" };
    char extra[600];
    snprintf(extra, sizeof extra, "\"discovery_cache_ttl_seconds\":0");
    flyteauth_client *c = new_client(s, "DeviceFlow", 6, extra, &p);
    flyteauth_metadata *md = NULL;
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_E_UNSUPPORTED && strstr(last_message(), "Device Authentication is not available"),
          "no device endpoint: %d", st);
    flyteauth_client_free(c);
    front(s, "/_test/config", "{\"replace\":true}");
}

static void refresh_failures(struct stack *s) {
    char extra[600];
    snprintf(extra, sizeof extra, "\"file_cache\":true,\"file_cache_path\":\"%s/tokens.json\"", workdir);
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "Pkce", 0, extra, &p);
    flyteauth_metadata *md = NULL;
    CHECK(flyteauth_client_metadata(c, &md) == FLYTEAUTH_OK, "login");
    flyteauth_metadata_free(md);
    sleep(5);
    /* The IdP is briefly down: an error, but the refresh token survives. */
    /* Every attempt of the retry rule (RateLimitRetry.maximumAttempts = 4) answered 503. */
    front(s, "/_test/fail?n=4&status=503&grant_type=refresh_token", NULL);
    flyteauth_status st = flyteauth_client_metadata(c, &md);
    CHECK(st != FLYTEAUTH_OK && flyteauth_error_last()->http_status == 503 && p.browser_calls == 1, "transient refresh failure: %d", st);
    st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_OK && p.browser_calls == 1, "the next call refreshes with the kept refresh token: %d", st);
    flyteauth_metadata_free(md);

    /* A service sharing the cache: a refused refresh token means "log in", never a browser. */
    struct person q = { .stack = s, .mode = "" };
    char extra2[700];
    snprintf(extra2, sizeof extra2, "%s,\"interactive\":false", extra);
    flyteauth_client *svc = new_client(s, "Pkce", 0, extra2, &q);
    CHECK(flyteauth_client_metadata(svc, &md) == FLYTEAUTH_OK, "the service reads the shared file cache");
    flyteauth_metadata_free(md);
    sleep(5);
    front(s, "/_test/fail?n=1&status=400&grant_type=refresh_token&body=%7B%22error%22%3A%22invalid_grant%22%7D", NULL);
    st = flyteauth_client_metadata(svc, &md);
    CHECK(st == FLYTEAUTH_E_LOGIN_REQUIRED && q.browser_calls == 0, "invalid_grant without interaction: %d", st);
    flyteauth_client_free(svc);

    /* With interaction allowed, invalid_grant leads to a new login. */
    sleep(1);
    front(s, "/_test/fail?n=1&status=400&grant_type=refresh_token&body=%7B%22error%22%3A%22invalid_grant%22%7D", NULL);
    st = flyteauth_client_metadata(c, &md);
    CHECK(st == FLYTEAUTH_OK && p.browser_calls == 2, "invalid_grant: a new browser login (%d, %d calls)", st, p.browser_calls);
    flyteauth_metadata_free(md);
    flyteauth_client_free(c);
}

static void rotation(struct stack *s) {
    struct person p = { .stack = s, .mode = "" };
    flyteauth_client *c = new_client(s, "Pkce", 7, NULL, &p);
    flyteauth_metadata *md = NULL;
    CHECK(flyteauth_client_metadata(c, &md) == FLYTEAUTH_OK, "login on the rotating IdP");
    flyteauth_metadata_free(md);
    for (int i = 0; i < 3; i++) {
        sleep(5);
        flyteauth_status st = flyteauth_client_metadata(c, &md);
        CHECK(st == FLYTEAUTH_OK, "refresh %d with a rotated refresh token: %d", i + 1, st);
        flyteauth_metadata_free(md);
    }
    CHECK(p.browser_calls == 1, "rotation never forced a new login (%d)", p.browser_calls);
    CHECK(token_requests(s, "refresh_token") >= 3, "three refreshes");
    flyteauth_client_free(c);
}

int main(void) {
    const char *state = getenv("FLYTEAUTH_TEST_STATE");
    const char *rotating = getenv("FLYTEAUTH_TEST_STATE_ROTATING");
    const char *base = getenv("FLYTEAUTH_TEST_PORT_BASE");
    if (!state || !rotating || !base) { fprintf(stderr, "set FLYTEAUTH_TEST_STATE, _ROTATING and _PORT_BASE\n"); return 2; }
    port_base = atoi(base);
    snprintf(workdir, sizeof workdir, "/tmp/flyteauth-login-XXXXXX");
    if (!mkdtemp(workdir)) return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static struct stack s, r;
    load(&s, state);
    load(&r, rotating);

    pkce_login_and_refresh(&s);
    pkce_denied(&s);
    pkce_wrong_state_then_timeout(&s);
    pkce_busy_port(&s);
    non_interactive(&s);
    one_login_for_many_threads(&s);
    device_login(&s);
    device_slow_down(&s);
    device_expired(&s);
    device_cancel(&s);
    device_unavailable(&s);
    refresh_failures(&s);
    rotation(&r);

    curl_global_cleanup();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", workdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", workdir);
    printf("login: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
