#ifndef FLYTEAUTH_CCRYPTO_H
#define FLYTEAUTH_CCRYPTO_H
/* OpenSSL's libcrypto, loaded (dlopen "libcrypto.so.3") only when a PKCE login needs
 * SHA-256 for its code challenge: a host that reads a cached token never maps it.
 * Random bytes come from getrandom(2) instead (CSystem). */
#include <stddef.h>

/* 0 on success, -1 when libcrypto cannot be loaded. */
int fa_crypto_load(void);
const char *fa_crypto_load_error(void);

/* SHA-256 of `length` bytes into `digest` (32 bytes): 0, or -1 when libcrypto is missing. */
int fa_sha256(const void *data, size_t length, unsigned char digest[32]);
#endif
