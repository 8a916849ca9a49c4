/* LD_PRELOAD shim for the kernel keyring tests: add_key(2) and keyctl(2) fail with EPERM,
 * as under Docker's default seccomp profile; every other system call goes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

long syscall(long number, ...) {
    if (number == SYS_add_key || number == SYS_keyctl || number == SYS_request_key) {
        errno = EPERM;
        return -1;
    }
    va_list ap;
    va_start(ap, number);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    static long (*real)(long, ...);
    if (!real) *(void **)(&real) = dlsym(RTLD_NEXT, "syscall");
    return real(number, a, b, c, d, e, f);
}
