/*
 * protected_call - call an HTTP endpoint protected by Flyte's authentication,
 * with the headers libflyteauth provides.
 *
 *   protected_call [-X METHOD] [-d BODY] SETTINGS URL
 *
 * SETTINGS is a JSON object (flyteauth_client_new's settings) or a file holding
 * one, or "-" for the user's Flyte configuration (flyteauth_client_new_from_config).
 * The program gets the metadata, sends the request with those headers, and when
 * the server answers 401 it tells the library which token was rejected
 * (flyteauth_client_refresh) and retries once with the fresh headers.
 *
 * Prints the HTTP status and the body size (and "retried after 401" when it
 * retried) on stdout. Exit status: 0 for a 2xx answer, 1 for any other answer or
 * a failure, 2 for a usage error. Never prints a token.
 */
#define _POSIX_C_SOURCE 200809L
#include <flyteauth.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Settings files are at most 1 MiB (the library's limit). */
#define MAX_SETTINGS (1u << 20)

static void usage(void) {
    fprintf(stderr, "usage: protected_call [-X METHOD] [-d BODY] SETTINGS URL\n"
                    "  SETTINGS  JSON object, a file holding one, or - for the Flyte configuration\n");
}

/* Reads a whole file (at most MAX_SETTINGS bytes) into a NUL-terminated buffer. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "protected_call: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_SETTINGS + 1);
    size_t n = buf ? fread(buf, 1, MAX_SETTINGS + 1, f) : 0;
    int bad = ferror(f) || n > MAX_SETTINGS;
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "protected_call: %s: unreadable or larger than 1 MiB\n", path);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

/* Reports a failed libflyteauth call: status text and message (never a secret). */
static void report(const char *what, flyteauth_status status) {
    const flyteauth_error *e = flyteauth_error_last();
    fprintf(stderr, "protected_call: %s: %s: %s", what, flyteauth_strerror(status),
            e && e->message ? e->message : "(no details)");
    if (e && e->oauth_error)
        fprintf(stderr, " (%s%s%s)", e->oauth_error, e->oauth_error_description ? ": " : "",
                e->oauth_error_description ? e->oauth_error_description : "");
    if (e && e->http_status) fprintf(stderr, " [HTTP %d]", e->http_status);
    fputc('\n', stderr);
}

static size_t count_body(char *data, size_t size, size_t n, void *user) {
    (void)data;
    *(size_t *)user += size * n;
    return size * n;
}

/* Wipes and frees a curl header list that held credentials. */
static void free_headers(struct curl_slist *list) {
    for (struct curl_slist *l = list; l; l = l->next)
        if (l->data) memset(l->data, 0, strlen(l->data));
    curl_slist_free_all(list);
}

/*
 * One request with md's headers. Returns 0 and sets *status and *size on an
 * answer, -1 on a transport failure (reported). *sent gets a copy of the
 * authorization value that was sent (the caller frees it), for the refresh.
 */
static int send_request(CURL *h, const char *url, const char *method, const char *body,
                        const flyteauth_metadata *md, long *status, size_t *size, char **sent) {
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < md->count; i++) {
        size_t len = strlen(md->headers[i].key) + strlen(md->headers[i].value) + 3;
        char *line = malloc(len);
        if (!line) { free_headers(headers); return -1; }
        snprintf(line, len, "%s: %s", md->headers[i].key, md->headers[i].value);
        struct curl_slist *next = curl_slist_append(headers, line);
        memset(line, 0, len);
        free(line);
        if (!next) { free_headers(headers); return -1; }
        headers = next;
    }
    *sent = md->count > 0 ? strdup(md->headers[0].value) : NULL;

    *size = 0;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, size);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    /* Credentials must not follow a redirect to another host. */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    if (method) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);

    CURLcode rc = curl_easy_perform(h);
    free_headers(headers);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    if (rc != CURLE_OK) {
        fprintf(stderr, "protected_call: %s: %s\n", url, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

static void free_secret(char *s) {
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

int main(int argc, char **argv) {
    const char *method = NULL, *body = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != 0; i++) {
        if (strcmp(argv[i], "-X") == 0 && i + 1 < argc) method = argv[++i];
        else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) body = argv[++i];
        else if (strcmp(argv[i], "--") == 0) { i++; break; }
        else { usage(); return 2; }
    }
    if (argc - i != 2) { usage(); return 2; }
    const char *settings_arg = argv[i], *url = argv[i + 1];

    /* Settings: "-" (Flyte configuration), inline JSON, or a file. */
    flyteauth_client *client = NULL;
    flyteauth_status s;
    if (strcmp(settings_arg, "-") == 0) {
        s = flyteauth_client_new_from_config(NULL, NULL, &client);
    } else if (settings_arg[strspn(settings_arg, " \t\r\n")] == '{') {
        s = flyteauth_client_new(settings_arg, &client);
    } else {
        char *text = read_file(settings_arg);
        if (!text) return 1;
        s = flyteauth_client_new(text, &client);
        free_secret(text); /* it may hold a client secret */
    }
    if (s != FLYTEAUTH_OK) { report("settings", s); return 1; }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "protected_call: curl_global_init failed\n");
        flyteauth_client_free(client);
        return 1;
    }
    CURL *h = curl_easy_init();
    int exit_code = 1;
    flyteauth_metadata *md = NULL;
    char *sent = NULL;
    long status = 0;
    size_t size = 0;
    int retried = 0;

    if (!h) { fprintf(stderr, "protected_call: curl_easy_init failed\n"); goto done; }
    if ((s = flyteauth_client_metadata(client, &md)) != FLYTEAUTH_OK) { report("metadata", s); goto done; }
    if (send_request(h, url, method, body, md, &status, &size, &sent) != 0) goto done;
    flyteauth_metadata_free(md);
    md = NULL;

    if (status == 401) {
        /* Rejected: name the token we sent, so that a token another thread or
         * process already replaced is not refreshed again; then retry once. */
        s = flyteauth_client_refresh(client, sent, &md);
        free_secret(sent);
        sent = NULL;
        if (s != FLYTEAUTH_OK) { report("refresh after 401", s); goto done; }
        retried = 1;
        if (send_request(h, url, method, body, md, &status, &size, &sent) != 0) goto done;
    }

    printf("HTTP %ld, %zu bytes%s\n", status, size, retried ? " (retried after 401)" : "");
    exit_code = status >= 200 && status < 300 ? 0 : 1;

done:
    free_secret(sent);
    flyteauth_metadata_free(md);
    if (h) curl_easy_cleanup(h);
    curl_global_cleanup();
    flyteauth_client_free(client);
    return exit_code;
}
