#ifndef FLYTEAUTH_CCURL_H
#define FLYTEAUTH_CCURL_H
/* libcurl, loaded on first use (dlopen "libcurl.so.4") rather than linked.
 *
 * Why: linking libcurl makes every host load its ~30 dependencies (OpenSSL's libssl,
 * Kerberos, LDAP, libssh2, RTMP, nghttp2, ...) and run their constructors, about 6 ms
 * and several MB of resident memory on the common path, which needs no network at
 * all: a token read from the keyring with discovery on its disk cache. The library
 * still uses libcurl for every request; it only pays for it when it sends one.
 *
 * Only the handful of functions the transport uses are wrapped. Every wrapper is safe
 * to call before loading and after a failed load: it returns CURLE_FAILED_INIT (or
 * NULL), and fa_curl_load_error() says why. */
#include <curl/curl.h>

/* Loads libcurl and runs curl_global_init once per process (thread-safe). Returns 0 on
 * success, -1 when libcurl cannot be loaded or lacks a function we need. */
int fa_curl_load(void);
/* Why the load failed (a static string), or NULL when it did not. */
const char *fa_curl_load_error(void);

CURL *fa_curl_easy_init(void);
void fa_curl_easy_cleanup(CURL *h);
CURLcode fa_curl_easy_perform(CURL *h);
const char *fa_curl_easy_strerror(CURLcode code);
struct curl_slist *fa_curl_slist_append(struct curl_slist *list, const char *value);
void fa_curl_slist_free_all(struct curl_slist *list);

/* curl_easy_setopt and curl_easy_getinfo are variadic: Swift cannot call them. */
CURLcode fa_curl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode fa_curl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode fa_curl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode fa_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode fa_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v);

typedef size_t (*fa_curl_write_fn)(char *data, size_t size, size_t count, void *user);
CURLcode fa_curl_setopt_write_function(CURL *h, fa_curl_write_fn f);
CURLcode fa_curl_setopt_header_function(CURL *h, fa_curl_write_fn f);

typedef int (*fa_curl_progress_fn)(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
CURLcode fa_curl_setopt_progress_function(CURL *h, fa_curl_progress_fn f);

CURLcode fa_curl_getinfo_long(CURL *h, CURLINFO i, long *v);
/* For the info that is a pointer (CURLINFO_CERTINFO, CURLINFO_CAINFO): `flyteauth doctor`. */
CURLcode fa_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v);
#endif
