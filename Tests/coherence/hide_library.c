/* LD_PRELOAD: dlopen of a library whose file name contains $FLYTEAUTH_TEST_HIDE_LIBRARY
 * fails, as on a machine where that package is not installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

void *dlopen(const char *file, int mode) {
    static void *(*real)(const char *, int);
    if (!real) *(void **)(&real) = dlsym(RTLD_NEXT, "dlopen");
    const char *hide = getenv("FLYTEAUTH_TEST_HIDE_LIBRARY");
    if (file && hide && *hide && strstr(file, hide)) return NULL;
    return real(file, mode);
}
