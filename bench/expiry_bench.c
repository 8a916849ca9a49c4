/*
 * Latency of the header call across token expiries (case 5 of bench/run.sh).
 *
 *   expiry_bench SETTINGS_JSON SECONDS [CALLERS [INTERVAL_US [WINDOW_S]]]
 *
 * CALLERS threads (default 2) each call flyteauth_client_metadata() every INTERVAL_US
 * microseconds (default 500) for SECONDS, timing every call. One control thread does
 * the same with a mutex-protected strdup/free of a string of the header's length, so
 * the scheduler's own noise on this machine is measured beside the library.
 * With tokens that live a few seconds, the library must refresh in the background
 * while callers keep getting the still-valid token at once.
 *
 * Prints one JSON line: percentiles (ns) for the library and the control, calls over
 * 1, 10 and 50 ms, calls that returned an already expired token, token changes seen,
 * the slowest calls with their time offsets, and per-window statistics.
 */
#define _GNU_SOURCE
#include <flyteauth.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sample { uint32_t at_ms; uint32_t ns; };

struct thread_data {
    int control;
    size_t cap, n;
    struct sample *s;
    long errors, expired, changes;
    uint32_t change_at[4096];
    int nchange;
};

static flyteauth_client *client;
static double seconds, interval_us;
static struct timespec t_start;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *control_string;
static pthread_barrier_t barrier;

static double since_start(const struct timespec *t) {
    return (t->tv_sec - t_start.tv_sec) + (t->tv_nsec - t_start.tv_nsec) / 1e9;
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

static void *run(void *p) {
    struct thread_data *d = p;
    uint64_t last_fp = 0;
    pthread_barrier_wait(&barrier);
    struct timespec next = t_start;
    for (;;) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        double at = since_start(&a);
        if (at >= seconds) break;
        if (d->control) {
            pthread_mutex_lock(&mu);
            char *copy = strdup(control_string);
            pthread_mutex_unlock(&mu);
            free(copy);
            clock_gettime(CLOCK_MONOTONIC, &b);
        } else {
            flyteauth_metadata *md = NULL;
            flyteauth_status st = flyteauth_client_metadata(client, &md);
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (st != FLYTEAUTH_OK) {
                d->errors++;
            } else {
                struct timespec wall;
                clock_gettime(CLOCK_REALTIME, &wall);
                double now = wall.tv_sec + wall.tv_nsec / 1e9;
                if (md->expires_at != 0 && now >= (double)md->expires_at) d->expired++;
                uint64_t fp = fnv1a(md->headers[0].value);
                if (last_fp && fp != last_fp) {
                    d->changes++;
                    if (d->nchange < 4096) d->change_at[d->nchange++] = (uint32_t)(at * 1000);
                }
                last_fp = fp;
                flyteauth_metadata_free(md);
            }
        }
        if (d->n < d->cap) {
            double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
            d->s[d->n].at_ms = (uint32_t)(at * 1000);
            d->s[d->n].ns = ns > 4e9 ? 4000000000u : (uint32_t)ns;
            d->n++;
        }
        /* Fixed cadence: the next call is due INTERVAL_US after the previous was due. */
        next.tv_nsec += (long)(interval_us * 1000);
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (b.tv_sec > next.tv_sec || (b.tv_sec == next.tv_sec && b.tv_nsec > next.tv_nsec)) next = b;
        else while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0) {}
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t pct(const uint32_t *v, size_t n, double q) {
    if (!n) return 0;
    size_t i = (size_t)(q * (n - 1) + 0.5);
    return v[i];
}

/* Percentiles and slow-call counts of the samples of `ds` (n_threads of them) whose
 * at_ms lies in [from_ms, to_ms). */
static void stats(struct thread_data *ds, int n_threads, uint32_t from_ms, uint32_t to_ms, const char *name) {
    size_t total = 0;
    for (int t = 0; t < n_threads; t++) total += ds[t].n;
    uint32_t *v = malloc((total ? total : 1) * sizeof *v);
    size_t n = 0, over1 = 0, over10 = 0, over50 = 0;
    for (int t = 0; t < n_threads; t++)
        for (size_t i = 0; i < ds[t].n; i++) {
            struct sample s = ds[t].s[i];
            if (s.at_ms < from_ms || s.at_ms >= to_ms) continue;
            v[n++] = s.ns;
            if (s.ns > 1000000) over1++;
            if (s.ns > 10000000) over10++;
            if (s.ns > 50000000) over50++;
        }
    qsort(v, n, sizeof *v, cmp_u32);
    printf("\"%s\":{\"calls\":%zu,\"p50_ns\":%u,\"p90_ns\":%u,\"p99_ns\":%u,\"p999_ns\":%u,\"max_ns\":%u,"
           "\"over_1ms\":%zu,\"over_10ms\":%zu,\"over_50ms\":%zu}",
           name, n, pct(v, n, .5), pct(v, n, .9), pct(v, n, .99), pct(v, n, .999), n ? v[n - 1] : 0,
           over1, over10, over50);
    free(v);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: expiry_bench SETTINGS_JSON SECONDS [CALLERS [INTERVAL_US [WINDOW_S]]]\n");
        return 64;
    }
    seconds = atof(argv[2]);
    int callers = argc > 3 ? atoi(argv[3]) : 2;
    interval_us = argc > 4 ? atof(argv[4]) : 500;
    double window = argc > 5 ? atof(argv[5]) : 10;
    if (callers < 1 || callers > 16) callers = 2;
    if (interval_us < 1) interval_us = 1;

    if (flyteauth_client_new(argv[1], &client) != FLYTEAUTH_OK) {
        fprintf(stderr, "expiry_bench: client: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    flyteauth_metadata *md = NULL;
    if (flyteauth_client_metadata(client, &md) != FLYTEAUTH_OK) {
        fprintf(stderr, "expiry_bench: first metadata: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    size_t len = strlen(md->headers[0].value);
    flyteauth_metadata_free(md);
    control_string = malloc(len + 1);
    memset(control_string, 'x', len);
    control_string[len] = 0;

    int n = callers + 1;
    struct thread_data *ds = calloc(n, sizeof *ds);
    size_t cap = (size_t)(seconds * 1e6 / interval_us * 1.05) + 1024;
    for (int i = 0; i < n; i++) {
        ds[i].control = i == callers;
        ds[i].cap = cap;
        ds[i].s = malloc(cap * sizeof(struct sample));
        /* Touch the pages now so the first calls do not pay for page faults. */
        memset(ds[i].s, 0, cap * sizeof(struct sample));
    }
    pthread_barrier_init(&barrier, NULL, n + 1);
    pthread_t t[32];
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, run, &ds[i]);
    clock_gettime(CLOCK_MONOTONIC, &t_start);
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);

    long errors = 0, expired = 0, changes = 0;
    for (int i = 0; i < callers; i++) { errors += ds[i].errors; expired += ds[i].expired; changes += ds[i].changes; }
    printf("{\"case\":\"latency_across_expiry\",\"seconds\":%.1f,\"callers\":%d,\"interval_us\":%.0f,"
           "\"header_length\":%zu,\"errors\":%ld,\"expired_returned\":%ld,\"token_changes_thread0\":%ld,",
           seconds, callers, interval_us, len, errors, expired, ds[0].changes);
    (void)changes;
    stats(ds, callers, 0, UINT32_MAX, "library");
    printf(",");
    stats(ds + callers, 1, 0, UINT32_MAX, "control");
    /* The slowest library calls with their offsets (ms since start). */
    printf(",\"slow_calls\":[");
    int printed = 0;
    for (int i = 0; i < callers && printed < 200; i++)
        for (size_t j = 0; j < ds[i].n && printed < 200; j++)
            if (ds[i].s[j].ns > 1000000) {
                printf("%s[%u,%u]", printed ? "," : "", ds[i].s[j].at_ms, ds[i].s[j].ns);
                printed++;
            }
    printf("],\"control_slow_calls\":[");
    printed = 0;
    for (size_t j = 0; j < ds[callers].n && printed < 200; j++)
        if (ds[callers].s[j].ns > 1000000) {
            printf("%s[%u,%u]", printed ? "," : "", ds[callers].s[j].at_ms, ds[callers].s[j].ns);
            printed++;
        }
    printf("],\"token_changes_at_ms\":[");
    for (int j = 0; j < ds[0].nchange; j++) printf("%s%u", j ? "," : "", ds[0].change_at[j]);
    printf("],\"windows\":[");
    int nw = (int)(seconds / window + 0.999);
    for (int w = 0; w < nw; w++) {
        uint32_t from = (uint32_t)(w * window * 1000), to = (uint32_t)((w + 1) * window * 1000);
        printf("%s{\"from_s\":%.1f,", w ? "," : "", w * window);
        stats(ds, callers, from, to, "library");
        printf(",");
        stats(ds + callers, 1, from, to, "control");
        printf("}");
    }
    printf("]}\n");
    for (int i = 0; i < n; i++) free(ds[i].s);
    free(ds);
    free(control_string);
    flyteauth_client_free(client);
    return errors ? 1 : 0;
}
