#ifndef FLYTEAUTH_CMICROHTTPD_SHIM_H
#define FLYTEAUTH_CMICROHTTPD_SHIM_H
#include <sys/types.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic: wrap the one shape we use (an already bound
 * listening socket, one internal polling thread, a connection limit). */
static inline struct MHD_Daemon *fa_mhd_start(int listen_fd,
                                              MHD_AccessHandlerCallback handler, void *cls) {
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD,
                            0, NULL, NULL, handler, cls,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                            MHD_OPTION_END);
}

static inline enum MHD_Result fa_mhd_no(void) { return MHD_NO; }
static inline const char *fa_mhd_query(struct MHD_Connection *c, const char *key) {
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}
static inline struct MHD_Response *fa_mhd_response(const void *buffer, size_t size) {
    return MHD_create_response_from_buffer(size, (void *)buffer, MHD_RESPMEM_MUST_COPY);
}
#endif
