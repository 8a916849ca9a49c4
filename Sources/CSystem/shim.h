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
/* The kernel key retention service through the raw system calls (keyctl(2), add_key(2)):
 * libc's `syscall` is variadic, which Swift cannot call, and libkeyutils is not needed
 * for these few operations. Each returns -1 with errno set on failure, as the calls do. */
#include <errno.h>
#include <stdint.h>
#include <asm/unistd.h> /* __NR_*: sys/syscall.h drags in sys/select.h, which clashes between modules */

#define FA_KEY_SPEC_THREAD_KEYRING  (-1)
#define FA_KEY_SPEC_PROCESS_KEYRING (-2)
#define FA_KEY_SPEC_SESSION_KEYRING (-3)
#define FA_KEY_SPEC_USER_KEYRING    (-4)

/* Possessor: view, read, write, search, link, setattr; nobody else anything. */
#define FA_KEY_PERM_POSSESSOR_ALL 0x3f000000u

static inline int32_t fa_key_add(const char *description, const void *payload, size_t length, int32_t keyring) {
    return (int32_t)syscall(__NR_add_key, "user", description, payload, length, keyring);
}
/* KEYCTL_GET_KEYRING_ID with create = 0: the keyring's serial, or -1 (ENOKEY) if absent. */
static inline int32_t fa_key_keyring_id(int32_t spec, int create) {
    return (int32_t)syscall(__NR_keyctl, 0, spec, create);
}
/* KEYCTL_GET_PERSISTENT: the user's persistent keyring, linked into `into`. */
static inline int32_t fa_key_get_persistent(int32_t into) {
    return (int32_t)syscall(__NR_keyctl, 22, (uid_t)-1, into);
}
/* KEYCTL_SEARCH for a "user" key by description in `keyring` (recursively). */
static inline int32_t fa_key_search(int32_t keyring, const char *description) {
    return (int32_t)syscall(__NR_keyctl, 10, keyring, "user", description, 0);
}
/* KEYCTL_READ: the payload's length (may exceed `length`, then nothing is copied). */
static inline long fa_key_read(int32_t key, void *buffer, size_t length) {
    return syscall(__NR_keyctl, 11, key, buffer, length);
}
/* KEYCTL_SET_TIMEOUT (seconds; 0 = none). */
static inline int fa_key_set_timeout(int32_t key, unsigned seconds) {
    return (int)syscall(__NR_keyctl, 15, key, seconds);
}
/* KEYCTL_SETPERM. */
static inline int fa_key_set_perm(int32_t key, uint32_t perm) {
    return (int)syscall(__NR_keyctl, 5, key, perm);
}
/* KEYCTL_INVALIDATE: gone for everyone at once (the garbage collector unlinks it). */
static inline int fa_key_invalidate(int32_t key) {
    return (int)syscall(__NR_keyctl, 21, key);
}
/* KEYCTL_UNLINK. */
static inline int fa_key_unlink(int32_t key, int32_t keyring) {
    return (int)syscall(__NR_keyctl, 9, key, keyring);
}
static inline int fa_errno(void) { return errno; }

/* getrandom(2) until `length` bytes are filled: 0, or -1 with errno set. */
static inline int fa_getrandom(void *buffer, size_t length) {
    size_t done = 0;
    while (done < length) {
        long n = syscall(__NR_getrandom, (char *)buffer + done, length - done, 0u);
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        done += (size_t)n;
    }
    return 0;
}
#endif
