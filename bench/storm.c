/*
 * Refresh storm, one process of it (case 4 of bench/run.sh): T threads are all told
 * at the same moment that the token they sent was rejected, and call
 * flyteauth_client_refresh(client, rejected_token).
 *
 *   storm SETTINGS_JSON THREADS
 *
 * Protocol with the benchmark: gets the current header (from the cache), prints
 * "ready", reads one line from stdin holding the start time (CLOCK_MONOTONIC ns,
 * shared by every process of the storm), releases its threads at that instant, and
 * prints one JSON line: distinct fingerprints of the headers the threads got back
 * (64-bit FNV-1a, never the token), the fingerprint of the rejected one, errors, and
 * the slowest thread's wait in ms.
 */
#define _GNU_SOURCE
#include <flyteauth.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 256

static flyteauth_client *client;
static char *rejected;
static struct timespec start_at;

struct result { uint64_t fp; int status; double ms; };
static struct result results[MAX_THREADS];

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

static double since_start_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ts.tv_sec - start_at.tv_sec) * 1e3 + (ts.tv_nsec - start_at.tv_nsec) / 1e6;
}

static void *worker(void *p) {
    struct result *r = p;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &start_at, NULL) != 0) {}
    flyteauth_metadata *md = NULL;
    r->status = flyteauth_client_refresh(client, rejected, &md);
    r->ms = since_start_ms();
    if (r->status == FLYTEAUTH_OK) {
        r->fp = fnv1a(md->headers[0].value);
        flyteauth_metadata_free(md);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: storm SETTINGS_JSON THREADS\n");
        return 64;
    }
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > MAX_THREADS) threads = 1;
    if (flyteauth_client_new(argv[1], &client) != FLYTEAUTH_OK) {
        fprintf(stderr, "storm: client: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    flyteauth_metadata *md = NULL;
    if (flyteauth_client_metadata(client, &md) != FLYTEAUTH_OK) {
        fprintf(stderr, "storm: metadata: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    rejected = strdup(md->headers[0].value);  /* "Bearer ..." is accepted */
    uint64_t old_fp = fnv1a(rejected);
    flyteauth_metadata_free(md);

    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "storm: no start time on stdin\n");
        return 1;
    }
    long long ns = atoll(line);
    start_at.tv_sec = ns / 1000000000LL;
    start_at.tv_nsec = ns % 1000000000LL;

    pthread_t t[MAX_THREADS];
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, &results[i]);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);

    uint64_t fps[MAX_THREADS];
    int nfp = 0, errors = 0;
    double max_ms = 0;
    for (int i = 0; i < threads; i++) {
        if (results[i].ms > max_ms) max_ms = results[i].ms;
        if (results[i].status != FLYTEAUTH_OK) { errors++; continue; }
        int seen = 0;
        for (int j = 0; j < nfp; j++) if (fps[j] == results[i].fp) seen = 1;
        if (!seen) fps[nfp++] = results[i].fp;
    }
    printf("{\"ok\":%s,\"threads\":%d,\"errors\":%d,\"old\":\"%016llx\",\"max_ms\":%.3f,\"fps\":[",
           errors ? "false" : "true", threads, errors, (unsigned long long)old_fp, max_ms);
    for (int j = 0; j < nfp; j++) printf("%s\"%016llx\"", j ? "," : "", (unsigned long long)fps[j]);
    printf("]}\n");
    free(rejected);
    flyteauth_client_free(client);
    return errors ? 1 : 0;
}
