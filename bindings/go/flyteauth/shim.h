/*
 * shim.h - the cgo side of the Go binding: each helper makes one libflyteauth call
 * and copies flyteauth_error_last() in the same cgo call, so the error is read on
 * the OS thread that failed. Included by the package's cgo preambles (not by the
 * file with //export, whose preamble must hold declarations only).
 */
#ifndef FLYTEAUTH_GO_SHIM_H
#define FLYTEAUTH_GO_SHIM_H
#include <flyteauth.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The last error of the thread that made the call, copied (malloc) for Go.
typedef struct fa_err {
    int status;
    int http_status;
    int has_error;
    char *message;
    char *oauth_error;
    char *oauth_error_description;
} fa_err;

static inline char *fa_dup(const char *s) { return s ? strdup(s) : NULL; }

static inline flyteauth_status fa_capture(flyteauth_status s, fa_err *e) {
    memset(e, 0, sizeof *e);
    e->status = (int)s;
    if (s != FLYTEAUTH_OK) {
        const flyteauth_error *le = flyteauth_error_last();
        if (le) {
            e->has_error = 1;
            e->http_status = le->http_status;
            e->message = fa_dup(le->message);
            e->oauth_error = fa_dup(le->oauth_error);
            e->oauth_error_description = fa_dup(le->oauth_error_description);
        }
    }
    return s;
}

static inline void fa_err_free(fa_err *e) {
    free(e->message);
    free(e->oauth_error);
    free(e->oauth_error_description);
    e->message = e->oauth_error = e->oauth_error_description = NULL;
}

static inline flyteauth_status fa_client_new(const char *json, flyteauth_client **out, fa_err *e) {
    return fa_capture(flyteauth_client_new(json, out), e);
}

static inline flyteauth_status fa_client_new_from_config(const char *path, const char *overrides,
                                                  flyteauth_client **out, fa_err *e) {
    return fa_capture(flyteauth_client_new_from_config(path, overrides, out), e);
}

static inline flyteauth_status fa_config_resolve(const char *path, const char *overrides, char **out, fa_err *e) {
    return fa_capture(flyteauth_config_resolve(path, overrides, out), e);
}

static inline flyteauth_status fa_client_metadata(flyteauth_client *c, flyteauth_metadata **out, fa_err *e) {
    return fa_capture(flyteauth_client_metadata(c, out), e);
}

static inline flyteauth_status fa_client_token(flyteauth_client *c, char **token, int64_t *expires_at, fa_err *e) {
    return fa_capture(flyteauth_client_token(c, token, expires_at), e);
}

static inline flyteauth_status fa_client_refresh(flyteauth_client *c, const char *rejected, flyteauth_metadata **out,
                                          fa_err *e) {
    return fa_capture(flyteauth_client_refresh(c, rejected, out), e);
}

static inline flyteauth_status fa_client_login(flyteauth_client *c, fa_err *e) {
    return fa_capture(flyteauth_client_login(c), e);
}

static inline flyteauth_status fa_client_logout(flyteauth_client *c, fa_err *e) {
    return fa_capture(flyteauth_client_logout(c), e);
}

static inline flyteauth_status fa_client_set_token(flyteauth_client *c, const char *token, int64_t expires_at, fa_err *e) {
    return fa_capture(flyteauth_client_set_token(c, token, expires_at), e);
}

static inline flyteauth_status fa_client_cancel(flyteauth_client *c, fa_err *e) {
    return fa_capture(flyteauth_client_cancel(c), e);
}

static inline flyteauth_status fa_client_status(flyteauth_client *c, char **out, fa_err *e) {
    return fa_capture(flyteauth_client_status(c, out), e);
}

// Go functions exported by callbacks.go. user_data carries a runtime/cgo.Handle.
extern int faGoBrowser(uintptr_t handle, char *url);
extern void faGoDevicePrompt(uintptr_t handle, char *uri, char *uri_complete, char *user_code, int64_t expires_at);
extern void faGoLog(uintptr_t handle, int level, char *message);

static inline int fa_browser_trampoline(void *user_data, const char *url) {
    return faGoBrowser((uintptr_t)user_data, (char *)url);
}

static inline void fa_device_trampoline(void *user_data, const char *uri, const char *uri_complete, const char *code,
                                 int64_t expires_at) {
    faGoDevicePrompt((uintptr_t)user_data, (char *)uri, (char *)uri_complete, (char *)code, expires_at);
}

static inline void fa_log_trampoline(void *user_data, flyteauth_log_level level, const char *message) {
    faGoLog((uintptr_t)user_data, (int)level, (char *)message);
}

static inline flyteauth_status fa_set_browser(flyteauth_client *c, int on, uintptr_t handle, fa_err *e) {
    return fa_capture(flyteauth_client_set_browser_callback(c, on ? fa_browser_trampoline : NULL,
                                                            on ? (void *)handle : NULL), e);
}

static inline flyteauth_status fa_set_device_prompt(flyteauth_client *c, int on, uintptr_t handle, fa_err *e) {
    return fa_capture(flyteauth_client_set_device_prompt_callback(c, on ? fa_device_trampoline : NULL,
                                                                  on ? (void *)handle : NULL), e);
}

static inline flyteauth_status fa_set_log(flyteauth_client *c, int on, uintptr_t handle, int min_level, fa_err *e) {
    return fa_capture(flyteauth_client_set_log_callback(c, on ? fa_log_trampoline : NULL,
                                                        on ? (void *)handle : NULL,
                                                        (flyteauth_log_level)min_level), e);
}

#endif
