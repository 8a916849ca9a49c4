/* libmicrohttpd loaded on first use: see include/CMicroHTTPD.h for why. */
#define _GNU_SOURCE
#include "CMicroHTTPD.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define FA_MHD_SONAME "libmicrohttpd.so.12"

static struct {
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                       MHD_AccessHandlerCallback, void *, ...);
    void (*stop_daemon)(struct MHD_Daemon *);
    const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
    struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy_response)(struct MHD_Response *);
} api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void) {
    /* Never closed: a daemon's thread may outlive any reference count we could keep. */
    void *h = dlopen(FA_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "libmicrohttpd (for the login callback listener) could not be loaded (%s); install libmicrohttpd12",
                 why ? why : FA_MHD_SONAME);
        return;
    }
#define RESOLVE(field, name)                                                                   \
    do {                                                                                       \
        *(void **)(&api.field) = dlsym(h, name);                                               \
        if (!api.field) {                                                                      \
            snprintf(load_error, sizeof load_error, "%s has no %s: libmicrohttpd 0.9.71 or newer is needed", \
                     FA_MHD_SONAME, name);                                                     \
            return;                                                                            \
        }                                                                                      \
    } while (0)
    RESOLVE(start_daemon, "MHD_start_daemon");
    RESOLVE(stop_daemon, "MHD_stop_daemon");
    RESOLVE(lookup_connection_value, "MHD_lookup_connection_value");
    RESOLVE(create_response_from_buffer, "MHD_create_response_from_buffer");
    RESOLVE(add_response_header, "MHD_add_response_header");
    RESOLVE(queue_response, "MHD_queue_response");
    RESOLVE(destroy_response, "MHD_destroy_response");
#undef RESOLVE
    loaded = 1;
}

int fa_mhd_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *fa_mhd_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

struct MHD_Daemon *fa_mhd_start(int listen_fd, MHD_AccessHandlerCallback handler, void *cls,
                                MHD_RequestCompletedCallback completed) {
    if (fa_mhd_load() != 0) return NULL;
    return api.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, cls,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, cls,
                            /* A browser sends its request at once: a connection idle for a
                               second is dropped, so connections that trickle bytes cannot hold
                               every slot while the real callback waits. */
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)1,
                            MHD_OPTION_END);
}

void fa_mhd_stop(struct MHD_Daemon *daemon) { if (daemon && loaded) api.stop_daemon(daemon); }
enum MHD_Result fa_mhd_no(void) { return MHD_NO; }

const char *fa_mhd_query(struct MHD_Connection *c, const char *key) {
    return c && loaded ? api.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key) : NULL;
}

struct MHD_Response *fa_mhd_response(const void *buffer, size_t size) {
    return loaded ? api.create_response_from_buffer(size, (void *)buffer, MHD_RESPMEM_MUST_COPY) : NULL;
}

enum MHD_Result fa_mhd_add_header(struct MHD_Response *r, const char *name, const char *value) {
    return r && loaded ? api.add_response_header(r, name, value) : MHD_NO;
}

enum MHD_Result fa_mhd_queue(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r) {
    return c && r && loaded ? api.queue_response(c, status, r) : MHD_NO;
}

void fa_mhd_destroy_response(struct MHD_Response *r) { if (r && loaded) api.destroy_response(r); }
