#ifndef FLYTEAUTH_CSYSTEM_SHIM_H
#define FLYTEAUTH_CSYSTEM_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

/* pipe2 is a GNU extension the Glibc module does not show to Swift. O_CLOEXEC at
 * creation: another thread's fork must not inherit our pipes. */
static inline int fa_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* Wipes memory the compiler may not optimise away (secrets before free). */
/* The process environment, for posix_spawn (the Glibc module's `environ` is ambiguous). */
static inline char **fa_environ(void) { extern char **environ; return environ; }

static inline void fa_explicit_bzero(void *p, size_t n) { explicit_bzero(p, n); }
#endif
