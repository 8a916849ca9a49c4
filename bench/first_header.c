/*
 * Process start to first authorization header, as a C program a user would write
 * (linked with `pkg-config --libs flyteauth`). Cases 1 and 2 of bench/run.sh.
 *
 *   first_header SETTINGS_JSON
 *
 * Prints one line: `<header key> <value length> <ms since BENCH_T0_NS or -1> [fingerprint]`.
 * BENCH_T0_NS: CLOCK_MONOTONIC nanoseconds taken by the benchmark just before it
 * spawned this process (so the time includes exec and dynamic loading).
 * BENCH_FP=1 adds a 64-bit FNV-1a fingerprint of the header value (never the token).
 */
#define _GNU_SOURCE
#include <flyteauth.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: first_header SETTINGS_JSON\n");
        return 64;
    }
    flyteauth_client *c = NULL;
    if (flyteauth_client_new(argv[1], &c) != FLYTEAUTH_OK) {
        fprintf(stderr, "first_header: client: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    flyteauth_metadata *md = NULL;
    if (flyteauth_client_metadata(c, &md) != FLYTEAUTH_OK) {
        const flyteauth_error *e = flyteauth_error_last();
        fprintf(stderr, "first_header: metadata: %s: %s\n", flyteauth_strerror(e->status), e->message);
        flyteauth_client_free(c);
        return 1;
    }
    int64_t got = mono_ns();
    const char *t0 = getenv("BENCH_T0_NS");
    double ms = t0 ? (got - strtoll(t0, NULL, 10)) / 1e6 : -1;
    const char *value = md->headers[0].value;
    printf("%s %zu %.3f", md->headers[0].key, strlen(value), ms);
    if (getenv("BENCH_FP")) printf(" %016llx", (unsigned long long)fnv1a(value));
    printf("\n");
    flyteauth_metadata_free(md);
    flyteauth_client_free(c);
    return 0;
}
