/* libcurl loaded on first use: see include/CCurl.h for why. */
#define _GNU_SOURCE
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* The SONAME of Debian's libcurl4 (OpenSSL flavour), the one the headers belong to. */
#define FA_CURL_SONAME "libcurl.so.4"

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void) {
    /* RTLD_LOCAL: libcurl's symbols stay out of the host's global namespace. Never
     * closed: libcurl and OpenSSL keep process-wide state (and atexit handlers). */
    void *h = dlopen(FA_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "libcurl could not be loaded (%s); install libcurl4",
                 why ? why : FA_CURL_SONAME);
        return;
    }
#define RESOLVE(field, name)                                                                       \
    do {                                                                                           \
        *(void **)(&api.field) = dlsym(h, name);                                                   \
        if (!api.field) {                                                                          \
            snprintf(load_error, sizeof load_error, "%s has no %s: libcurl 7.85 or newer is needed", \
                     FA_CURL_SONAME, name);                                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
#undef RESOLVE
    CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed: %s", api.easy_strerror(rc));
        return;
    }
    loaded = 1;
}

int fa_curl_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *fa_curl_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

CURL *fa_curl_easy_init(void) { return fa_curl_load() == 0 ? api.easy_init() : NULL; }
void fa_curl_easy_cleanup(CURL *h) { if (h && loaded) api.easy_cleanup(h); }
CURLcode fa_curl_easy_perform(CURL *h) { return h && loaded ? api.easy_perform(h) : CURLE_FAILED_INIT; }
const char *fa_curl_easy_strerror(CURLcode code) {
    return fa_curl_load() == 0 ? api.easy_strerror(code) : "libcurl is not loaded";
}
struct curl_slist *fa_curl_slist_append(struct curl_slist *list, const char *value) {
    return fa_curl_load() == 0 ? api.slist_append(list, value) : NULL;
}
void fa_curl_slist_free_all(struct curl_slist *list) { if (list && loaded) api.slist_free_all(list); }

#define SETOPT(h, o, v) ((h) && loaded ? api.easy_setopt((h), (o), (v)) : CURLE_FAILED_INIT)
CURLcode fa_curl_setopt_long(CURL *h, CURLoption o, long v) { return SETOPT(h, o, v); }
CURLcode fa_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return SETOPT(h, o, v); }
CURLcode fa_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return SETOPT(h, o, v); }
CURLcode fa_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return SETOPT(h, o, v); }
CURLcode fa_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return SETOPT(h, o, v); }
CURLcode fa_curl_setopt_write_function(CURL *h, fa_curl_write_fn f) { return SETOPT(h, CURLOPT_WRITEFUNCTION, f); }
CURLcode fa_curl_setopt_header_function(CURL *h, fa_curl_write_fn f) { return SETOPT(h, CURLOPT_HEADERFUNCTION, f); }
CURLcode fa_curl_setopt_progress_function(CURL *h, fa_curl_progress_fn f) { return SETOPT(h, CURLOPT_XFERINFOFUNCTION, f); }
#undef SETOPT

CURLcode fa_curl_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return h && loaded ? api.easy_getinfo(h, i, v) : CURLE_FAILED_INIT;
}
CURLcode fa_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) {
    return h && loaded ? api.easy_getinfo(h, i, v) : CURLE_FAILED_INIT;
}
