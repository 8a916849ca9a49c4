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

/* Private keys (signed client assertions). `key` is an opaque EVP_PKEY. Errors are
 * written to `err` (never key material). */
enum { FA_PKEY_OTHER = 0, FA_PKEY_RSA = 1, FA_PKEY_EC = 2 };
/* Reads an unencrypted PEM private key (PKCS#1, PKCS#8 or SEC1); an encrypted one fails. */
int fa_pkey_load_pem(const void *pem, size_t length, void **key, char *err, size_t errlen);
void fa_pkey_free(void *key);
/* Type (FA_PKEY_*), size in bits and, for EC, the group name ("prime256v1"). */
int fa_pkey_describe(void *key, int *type, int *bits, char *group, size_t grouplen);
/* RSA: n and e; EC: x and y (each as wide as the field). Unsigned big-endian. */
int fa_pkey_public_params(void *key, unsigned char *a, size_t acap, size_t *alen,
                          unsigned char *b, size_t bcap, size_t *blen);
/* SHA-256 signature: RSASSA-PKCS1-v1_5 (RS256) or ECDSA as r||s (ES256). `*siglen` is
 * the capacity in, the length out. */
int fa_pkey_sign_sha256(void *key, const void *data, size_t length, unsigned char *sig, size_t *siglen,
                        char *err, size_t errlen);
/* The DER form of the first PEM certificate (malloc'd, free with free()); with `key`,
 * fails unless the certificate holds that key's public half. */
int fa_x509_pem_to_der(const void *pem, size_t length, void *key, unsigned char **der, size_t *derlen,
                       char *err, size_t errlen);
#endif
