/* The C test programs' assertions: count, and on failure print the expression, a
 * message and the library's last error for the thread. The summary line is
 * "<name>: N passed, M failed". */
#ifndef FLYTEAUTH_TEST_CHECK_H
#define FLYTEAUTH_TEST_CHECK_H
#include <flyteauth.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int passed, failed;

/* The condition is evaluated before the message's arguments: they often read the error
 * the condition's call left, which an argument evaluated first would read stale. */
#define CHECK(cond, ...)                                             \
    do {                                                             \
        int check_ok_ = (cond);                                      \
        check_(check_ok_, #cond, __FILE__, __LINE__, __VA_ARGS__);   \
    } while (0)
static void check_(int ok, const char *expr, const char *file, int line, const char *fmt, ...) {
    if (ok) { passed++; return; }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
    vfprintf(stderr, fmt, ap);
    const flyteauth_error *e = flyteauth_error_last();
    fprintf(stderr, " [last error: %s]\n", e ? e->message : "none");
    va_end(ap);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *last_message(void) {
    const flyteauth_error *e = flyteauth_error_last();
    return e ? e->message : "";
}
#endif
