/* libcrypto loaded on first use: see include/CCrypto.h for why. */
#define _GNU_SOURCE
#include "CCrypto.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* Debian 12's libssl3; libcurl loads the same one, so it is mapped once. */
#define FA_CRYPTO_SONAME "libcrypto.so.3"

static unsigned char *(*sha256)(const unsigned char *, size_t, unsigned char *);
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void) {
    void *h = dlopen(FA_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "libcrypto could not be loaded (%s); install libssl3", why ? why : FA_CRYPTO_SONAME);
        return;
    }
    *(void **)(&sha256) = dlsym(h, "SHA256");
    if (!sha256) {
        snprintf(load_error, sizeof load_error, "%s has no SHA256", FA_CRYPTO_SONAME);
        return;
    }
    loaded = 1;
}

int fa_crypto_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *fa_crypto_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

int fa_sha256(const void *data, size_t length, unsigned char digest[32]) {
    if (fa_crypto_load() != 0) return -1;
    return sha256((const unsigned char *)data, length, digest) ? 0 : -1;
}
