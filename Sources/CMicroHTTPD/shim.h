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
#endif
