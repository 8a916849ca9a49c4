#ifndef FLYTEAUTH_CMICROHTTPD_H
#define FLYTEAUTH_CMICROHTTPD_H
/* libmicrohttpd, loaded on first use (dlopen "libmicrohttpd.so.12") rather than linked.
 *
 * Why: only a browser (PKCE) login needs the callback listener, yet linking the library
 * makes every host load it and GnuTLS with its dependencies (p11-kit, nettle, gmp, ...)
 * and run GnuTLS's constructor: a millisecond and over a megabyte of resident memory for
 * every process that only reads a cached token.
 *
 * Every wrapper is safe after a failed load: it returns NULL or MHD_NO, and
 * fa_mhd_load_error() says why. */
#include <sys/types.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>

/* Loads libmicrohttpd once per process (thread-safe). 0 on success, -1 on failure. */
int fa_mhd_load(void);
/* Why the load failed (a static string), or NULL when it did not. */
const char *fa_mhd_load_error(void);

/* MHD_start_daemon is variadic: the one shape we use (an already bound listening
 * socket, one internal polling thread, a connection limit, a connection timeout, and
 * `completed` called with `cls` once each request's response has been sent or dropped). */
struct MHD_Daemon *fa_mhd_start(int listen_fd, MHD_AccessHandlerCallback handler, void *cls,
                                MHD_RequestCompletedCallback completed);
void fa_mhd_stop(struct MHD_Daemon *daemon);
enum MHD_Result fa_mhd_no(void);
const char *fa_mhd_query(struct MHD_Connection *c, const char *key);
struct MHD_Response *fa_mhd_response(const void *buffer, size_t size);
enum MHD_Result fa_mhd_add_header(struct MHD_Response *r, const char *name, const char *value);
enum MHD_Result fa_mhd_queue(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
void fa_mhd_destroy_response(struct MHD_Response *r);
#endif
