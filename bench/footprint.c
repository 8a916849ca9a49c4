/*
 * Resident memory added by libflyteauth (case 6 of bench/run.sh): a C host that is not
 * linked with the library reads VmRSS from /proc/self/status before dlopen, after
 * dlopen, after flyteauth_client_new and after the first header.
 *
 *   footprint LIBRARY_PATH SETTINGS_JSON
 *
 * Prints one JSON line (kB), with the time dlopen, client creation and the first
 * header took (ms), anonymous and file-backed resident memory, and the resident
 * memory per mapped file (the largest first).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flyteauth.h>

static long file_kb(const char *path, const char *field) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') { kb = atol(line + n + 1); break; }
    fclose(f);
    return kb;
}

static long status_kb(const char *field) { return file_kb("/proc/self/status", field); }
static long pss_kb(void) { return file_kb("/proc/self/smaps_rollup", "Pss"); }

/* Resident kB per mapped file after everything ran (/proc/self/smaps), the largest
 * first, as a JSON array of [name, kB]; anonymous memory is one entry, "[anon]". */
struct use { char name[160]; long kb; };

static void print_rss_by_mapping(int top) {
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) { printf("[]"); return; }
    static struct use uses[512];
    int n = 0;
    char line[512], current[160] = "[anon]";
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char perms[8];
        int consumed = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &a, &b, perms, &consumed) == 3) {
            char *path = line + consumed;
            while (*path == ' ') path++;
            path[strcspn(path, "\n")] = 0;
            const char *slash = strrchr(path, '/');
            snprintf(current, sizeof current, "%s", *path == 0 ? "[anon]" : slash ? slash + 1 : path);
            if (strcmp(current, "[heap]") == 0 || strncmp(current, "[stack", 6) == 0) snprintf(current, sizeof current, "[anon]");
            continue;
        }
        long kb;
        if (sscanf(line, "Rss: %ld kB", &kb) == 1 && kb > 0) {
            int i;
            for (i = 0; i < n; i++) if (strcmp(uses[i].name, current) == 0) break;
            if (i == n && n < 512) { snprintf(uses[n].name, sizeof uses[n].name, "%s", current); uses[n].kb = 0; n++; }
            if (i < n) uses[i].kb += kb;
        }
    }
    fclose(f);
    printf("[");
    for (int k = 0; k < top && k < n; k++) {
        int best = k;
        for (int i = k + 1; i < n; i++) if (uses[i].kb > uses[best].kb) best = i;
        struct use t = uses[k]; uses[k] = uses[best]; uses[best] = t;
        printf("%s[\"%s\",%ld]", k ? "," : "", uses[k].name, uses[k].kb);
    }
    printf("]");
}

/* ,"shared_objects":[...]: every shared object mapped now (/proc/self/maps), by name. */
static void print_shared_objects(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    printf(",\"shared_objects\":[");
    char line[4096], seen[128][96];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (!path || !strstr(path, ".so")) continue;
        path[strcspn(path, "\n")] = 0;
        const char *name = strrchr(path, '/') + 1;
        int dup = 0;
        for (int i = 0; i < n; i++) if (strcmp(seen[i], name) == 0) { dup = 1; break; }
        if (dup || n == 128) continue;
        snprintf(seen[n], sizeof seen[n], "%s", name);
        printf("%s\"%s\"", n ? "," : "", seen[n]);
        n++;
    }
    if (f) fclose(f);
    printf("]");
}

/* A pointer named p_<fn> to the library's <fn>, typed from the header's declaration. */
#define SYM(name) __typeof__(&name) p_##name = (__typeof__(&name))dlsym(lib, #name); \
    if (!p_##name) { fprintf(stderr, "footprint: no %s\n", #name); return 1; }

static double ms_since(const struct timespec *a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: footprint LIBRARY_PATH SETTINGS_JSON\n");
        return 64;
    }
    long before = status_kb("VmRSS");
    long pss_before = pss_kb();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "footprint: dlopen: %s\n", dlerror());
        return 1;
    }
    double dlopen_ms = ms_since(&t0);
    long after_dlopen = status_kb("VmRSS");
    SYM(flyteauth_client_new)
    SYM(flyteauth_client_metadata)
    SYM(flyteauth_metadata_free)
    SYM(flyteauth_client_free)
    SYM(flyteauth_error_last)
    flyteauth_client *c = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (p_flyteauth_client_new(argv[2], &c) != FLYTEAUTH_OK) {
        fprintf(stderr, "footprint: client: %s\n", p_flyteauth_error_last()->message);
        return 1;
    }
    double client_ms = ms_since(&t0);
    long after_client = status_kb("VmRSS");
    flyteauth_metadata *md = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (p_flyteauth_client_metadata(c, &md) != FLYTEAUTH_OK) {
        fprintf(stderr, "footprint: metadata: %s\n", p_flyteauth_error_last()->message);
        return 1;
    }
    double header_ms = ms_since(&t0);
    p_flyteauth_metadata_free(md);
    long after_header = status_kb("VmRSS");
    long hwm = status_kb("VmHWM");
    long pss_after = pss_kb();
    printf("{\"rss_before_kb\":%ld,\"rss_after_dlopen_kb\":%ld,\"rss_after_client_kb\":%ld,"
           "\"rss_after_header_kb\":%ld,\"hwm_kb\":%ld,\"added_by_dlopen_kb\":%ld,\"added_total_kb\":%ld,"
           "\"rss_anon_kb\":%ld,\"rss_file_kb\":%ld,\"pss_before_kb\":%ld,\"pss_after_kb\":%ld,"
           "\"dlopen_ms\":%.3f,\"client_new_ms\":%.3f,"
           "\"first_header_ms\":%.3f,\"rss_by_mapping_kb\":",
           before, after_dlopen, after_client, after_header, hwm, after_dlopen - before, after_header - before,
           status_kb("RssAnon"), status_kb("RssFile"), pss_before, pss_after, dlopen_ms, client_ms, header_ms);
    print_rss_by_mapping(12);
    print_shared_objects();
    printf("}\n");
    p_flyteauth_client_free(c);
    return 0;
}
