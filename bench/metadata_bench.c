/*
 * Per-call cost of flyteauth_client_metadata + flyteauth_metadata_free with a warm
 * in-memory token, on T threads, against the floor: a mutex-protected strdup/free of
 * a string of the same length. Prints JSON lines.
 *   metadata_bench THREADS SECONDS [TOKEN_LENGTH]
 * By default the token is a passthrough token of TOKEN_LENGTH characters (no network).
 * With FLYTEAUTH_BENCH_SETTINGS set to a settings JSON object, the client is created
 * from it instead (e.g. a PKCE client whose token is in the keyring), warmed with one
 * call, and the floor uses the real token's length.
 */
#define _GNU_SOURCE
#include <flyteauth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct arg { flyteauth_client *c; double seconds; long calls; int errors; };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *shared_header;
static pthread_barrier_t barrier;

static void *lib_thread(void *p) {
    struct arg *a = p;
    pthread_barrier_wait(&barrier);
    double end = now() + a->seconds;
    while (1) {
        for (int i = 0; i < 1000; i++) {
            flyteauth_metadata *md;
            if (flyteauth_client_metadata(a->c, &md) != FLYTEAUTH_OK) a->errors++;
            else flyteauth_metadata_free(md);
        }
        a->calls += 1000;
        if (now() >= end) break;
    }
    return NULL;
}

static void *floor_thread(void *p) {
    struct arg *a = p;
    pthread_barrier_wait(&barrier);
    double end = now() + a->seconds;
    while (1) {
        for (int i = 0; i < 1000; i++) {
            pthread_mutex_lock(&mu);
            char *copy = strdup(shared_header);
            pthread_mutex_unlock(&mu);
            free(copy);
        }
        a->calls += 1000;
        if (now() >= end) break;
    }
    return NULL;
}

static double run(void *(*fn)(void *), flyteauth_client *c, int threads, double seconds, int *errors) {
    pthread_t t[64];
    struct arg a[64];
    pthread_barrier_init(&barrier, NULL, threads);
    for (int i = 0; i < threads; i++) {
        a[i] = (struct arg){ .c = c, .seconds = seconds };
        pthread_create(&t[i], NULL, fn, &a[i]);
    }
    long calls = 0;
    *errors = 0;
    for (int i = 0; i < threads; i++) { pthread_join(t[i], NULL); calls += a[i].calls; *errors += a[i].errors; }
    pthread_barrier_destroy(&barrier);
    /* Wall time per call per thread: what one caller waits. */
    return seconds * 1e9 * threads / calls;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 2;
    int length = argc > 3 ? atoi(argv[3]) : 1024;
    /* A token of `length` characters the host supplies: no network in this benchmark. */
    char *token = malloc(length + 1);
    memset(token, 'x', length);
    token[length] = 0;
    flyteauth_client *c = NULL;
    const char *settings = getenv("FLYTEAUTH_BENCH_SETTINGS");
    if (settings && *settings) {
        flyteauth_metadata *md = NULL;
        if (flyteauth_client_new(settings, &c) != FLYTEAUTH_OK || flyteauth_client_metadata(c, &md) != FLYTEAUTH_OK) {
            fprintf(stderr, "setup: %s\n", flyteauth_error_last()->message);
            return 1;
        }
        size_t value_length = strlen(md->headers[0].value);
        length = value_length > 7 ? (int)(value_length - 7) : 1;  /* "Bearer " */
        flyteauth_metadata_free(md);
        free(token);
        token = malloc(length + 1);
        memset(token, 'x', length);
        token[length] = 0;
    } else if (flyteauth_client_new("{\"auth_type\":\"passthrough\",\"authorization_header\":\"authorization\"}", &c) != FLYTEAUTH_OK ||
               flyteauth_client_set_token(c, token, 0) != FLYTEAUTH_OK) {
        fprintf(stderr, "setup: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    shared_header = malloc(length + 32);
    snprintf(shared_header, length + 32, "Bearer %s", token);
    int errors = 0, floor_errors = 0;
    run(lib_thread, c, threads, 0.2, &errors);  /* warm up */
    double ns = run(lib_thread, c, threads, seconds, &errors);
    double floor_ns = run(floor_thread, c, threads, seconds, &floor_errors);
    printf("{\"case\":\"metadata_per_call\",\"client\":\"%s\",\"threads\":%d,\"token_length\":%d,\"ns_per_call\":%.1f,"
           "\"floor_ns_per_call\":%.1f,\"errors\":%d}\n", settings && *settings ? "settings" : "passthrough",
           threads, length, ns, floor_ns, errors);
    flyteauth_client_free(c);
    free(token);
    free(shared_header);
    return errors ? 1 : 0;
}
