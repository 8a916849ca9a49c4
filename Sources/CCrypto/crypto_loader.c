/* libcrypto loaded on first use: see include/CCrypto.h for why. */
#define _GNU_SOURCE
#include "CCrypto.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debian 12's libssl3; libcurl loads the same one, so it is mapped once. */
#define FA_CRYPTO_SONAME "libcrypto.so.3"

static unsigned char *(*sha256)(const unsigned char *, size_t, unsigned char *);
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];
static char key_error[512] = "libcrypto's key functions are not loaded";
static void load_keys(void *h);

static void load(void) {
    void *h = dlopen(FA_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "libcrypto could not be loaded (%s); install libssl3", why ? why : FA_CRYPTO_SONAME);
        return;
    }
    *(void **)(&sha256) = dlsym(h, "SHA256");
    if (!sha256) {
        snprintf(load_error, sizeof load_error, "%s has no SHA256", FA_CRYPTO_SONAME);
        return;
    }
    loaded = 1;
    load_keys(h);
}

int fa_crypto_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *fa_crypto_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

int fa_sha256(const void *data, size_t length, unsigned char digest[32]) {
    if (fa_crypto_load() != 0) return -1;
    return sha256((const unsigned char *)data, length, digest) ? 0 : -1;
}

/* ---- Signing keys and certificates (signed client assertions) ----
 * Resolved with the rest on first use; a failure to resolve them leaves SHA-256 (PKCE)
 * working and reports itself only when a key is used. */
typedef struct bio_st BIO_;
typedef struct evp_pkey_st EVP_PKEY_;
typedef struct evp_md_ctx_st EVP_MD_CTX_;
typedef struct evp_md_st EVP_MD_;
typedef struct x509_st X509_;
typedef struct bignum_st BIGNUM_;
typedef struct ecdsa_sig_st ECDSA_SIG_;

static struct {
    BIO_ *(*bio_new_mem_buf)(const void *, int);
    int (*bio_free)(BIO_ *);
    EVP_PKEY_ *(*pem_read_bio_privatekey)(BIO_ *, EVP_PKEY_ **, int (*)(char *, int, int, void *), void *);
    X509_ *(*pem_read_bio_x509)(BIO_ *, X509_ **, int (*)(char *, int, int, void *), void *);
    int (*i2d_x509)(X509_ *, unsigned char **);
    void (*x509_free)(X509_ *);
    int (*x509_check_private_key)(const X509_ *, const EVP_PKEY_ *);
    void (*evp_pkey_free)(EVP_PKEY_ *);
    int (*evp_pkey_get_base_id)(const EVP_PKEY_ *);
    int (*evp_pkey_get_bits)(const EVP_PKEY_ *);
    int (*evp_pkey_get_utf8_string_param)(const EVP_PKEY_ *, const char *, char *, size_t, size_t *);
    int (*evp_pkey_get_bn_param)(const EVP_PKEY_ *, const char *, BIGNUM_ **);
    EVP_MD_CTX_ *(*evp_md_ctx_new)(void);
    void (*evp_md_ctx_free)(EVP_MD_CTX_ *);
    const EVP_MD_ *(*evp_sha256)(void);
    int (*evp_digestsigninit)(EVP_MD_CTX_ *, void **, const EVP_MD_ *, void *, EVP_PKEY_ *);
    int (*evp_digestsign)(EVP_MD_CTX_ *, unsigned char *, size_t *, const unsigned char *, size_t);
    ECDSA_SIG_ *(*d2i_ecdsa_sig)(ECDSA_SIG_ **, const unsigned char **, long);
    void (*ecdsa_sig_get0)(const ECDSA_SIG_ *, const BIGNUM_ **, const BIGNUM_ **);
    void (*ecdsa_sig_free)(ECDSA_SIG_ *);
    int (*bn_bn2binpad)(const BIGNUM_ *, unsigned char *, int);
    int (*bn_num_bits)(const BIGNUM_ *);
    void (*bn_free)(BIGNUM_ *);
    unsigned long (*err_get_error)(void);
    void (*err_error_string_n)(unsigned long, char *, size_t);
    void (*err_clear_error)(void);
    void (*openssl_free)(void *, const char *, int);
} k;
static int keys_loaded;

#define EVP_PKEY_RSA_ 6
#define EVP_PKEY_EC_ 408

static void load_keys(void *h) {
    struct { void **slot; const char *name; } table[] = {
        {(void **)&k.bio_new_mem_buf, "BIO_new_mem_buf"}, {(void **)&k.bio_free, "BIO_free"},
        {(void **)&k.pem_read_bio_privatekey, "PEM_read_bio_PrivateKey"}, {(void **)&k.pem_read_bio_x509, "PEM_read_bio_X509"},
        {(void **)&k.i2d_x509, "i2d_X509"}, {(void **)&k.x509_free, "X509_free"},
        {(void **)&k.x509_check_private_key, "X509_check_private_key"},
        {(void **)&k.evp_pkey_free, "EVP_PKEY_free"}, {(void **)&k.evp_pkey_get_base_id, "EVP_PKEY_get_base_id"},
        {(void **)&k.evp_pkey_get_bits, "EVP_PKEY_get_bits"},
        {(void **)&k.evp_pkey_get_utf8_string_param, "EVP_PKEY_get_utf8_string_param"},
        {(void **)&k.evp_pkey_get_bn_param, "EVP_PKEY_get_bn_param"},
        {(void **)&k.evp_md_ctx_new, "EVP_MD_CTX_new"}, {(void **)&k.evp_md_ctx_free, "EVP_MD_CTX_free"},
        {(void **)&k.evp_sha256, "EVP_sha256"}, {(void **)&k.evp_digestsigninit, "EVP_DigestSignInit"},
        {(void **)&k.evp_digestsign, "EVP_DigestSign"}, {(void **)&k.d2i_ecdsa_sig, "d2i_ECDSA_SIG"},
        {(void **)&k.ecdsa_sig_get0, "ECDSA_SIG_get0"}, {(void **)&k.ecdsa_sig_free, "ECDSA_SIG_free"},
        {(void **)&k.bn_bn2binpad, "BN_bn2binpad"}, {(void **)&k.bn_num_bits, "BN_num_bits"}, {(void **)&k.bn_free, "BN_free"},
        {(void **)&k.err_get_error, "ERR_get_error"}, {(void **)&k.err_error_string_n, "ERR_error_string_n"},
        {(void **)&k.err_clear_error, "ERR_clear_error"}, {(void **)&k.openssl_free, "CRYPTO_free"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        *table[i].slot = dlsym(h, table[i].name);
        if (!*table[i].slot) {
            snprintf(key_error, sizeof key_error, "%s has no %s", FA_CRYPTO_SONAME, table[i].name);
            return;
        }
    }
    keys_loaded = 1;
}

static int keys_ready(char *err, size_t errlen) {
    if (fa_crypto_load() != 0) { snprintf(err, errlen, "%s", load_error); return -1; }
    if (!keys_loaded) { snprintf(err, errlen, "%s", key_error); return -1; }
    return 0;
}

/* The newest OpenSSL error, for messages; clears the queue. */
static void last_error(char *err, size_t errlen, const char *what) {
    unsigned long e = k.err_get_error(), next;
    while ((next = k.err_get_error()) != 0) e = next;
    char detail[256] = "";
    if (e) k.err_error_string_n(e, detail, sizeof detail);
    snprintf(err, errlen, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

/* No passphrase is ever asked for: an encrypted key is a configuration error. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

int fa_pkey_load_pem(const void *pem, size_t length, void **key, char *err, size_t errlen) {
    *key = NULL;
    if (keys_ready(err, errlen) != 0) return -1;
    if (length > 1 << 20) { snprintf(err, errlen, "larger than 1 MiB"); return -1; }
    k.err_clear_error();
    BIO_ *bio = k.bio_new_mem_buf(pem, (int)length);
    if (!bio) { last_error(err, errlen, "out of memory"); return -1; }
    EVP_PKEY_ *pkey = k.pem_read_bio_privatekey(bio, NULL, no_passphrase, NULL);
    k.bio_free(bio);
    if (!pkey) { last_error(err, errlen, "no private key could be read"); return -1; }
    *key = pkey;
    return 0;
}

void fa_pkey_free(void *key) {
    if (key && keys_loaded) k.evp_pkey_free((EVP_PKEY_ *)key);
}

int fa_pkey_describe(void *key, int *type, int *bits, char *group, size_t grouplen) {
    EVP_PKEY_ *pkey = key;
    int id = k.evp_pkey_get_base_id(pkey);
    *type = id == EVP_PKEY_RSA_ ? FA_PKEY_RSA : id == EVP_PKEY_EC_ ? FA_PKEY_EC : FA_PKEY_OTHER;
    *bits = k.evp_pkey_get_bits(pkey);
    if (grouplen) group[0] = 0;
    if (*type == FA_PKEY_EC) {
        size_t n = 0;
        if (!k.evp_pkey_get_utf8_string_param(pkey, "group", group, grouplen, &n)) group[0] = 0;
    }
    k.err_clear_error();
    return 0;
}

/* A big number parameter, unsigned big-endian, left-padded to `width` (0: minimal). */
static int bn_param(EVP_PKEY_ *pkey, const char *name, unsigned char *out, size_t cap, size_t *len, int width) {
    BIGNUM_ *bn = NULL;
    if (!k.evp_pkey_get_bn_param(pkey, name, &bn) || !bn) { k.err_clear_error(); return -1; }
    int n = width ? width : (k.bn_num_bits(bn) + 7) / 8;
    if (n <= 0) n = 1;
    int rc = -1;
    if ((size_t)n <= cap && k.bn_bn2binpad(bn, out, n) == n) { *len = (size_t)n; rc = 0; }
    k.bn_free(bn);
    return rc;
}

int fa_pkey_public_params(void *key, unsigned char *a, size_t acap, size_t *alen,
                          unsigned char *b, size_t bcap, size_t *blen) {
    EVP_PKEY_ *pkey = key;
    int id = k.evp_pkey_get_base_id(pkey);
    if (id == EVP_PKEY_RSA_) {
        return bn_param(pkey, "n", a, acap, alen, 0) == 0 && bn_param(pkey, "e", b, bcap, blen, 0) == 0 ? 0 : -1;
    }
    if (id == EVP_PKEY_EC_) {
        int width = (k.evp_pkey_get_bits(pkey) + 7) / 8;
        return bn_param(pkey, "qx", a, acap, alen, width) == 0 && bn_param(pkey, "qy", b, bcap, blen, width) == 0 ? 0 : -1;
    }
    return -1;
}

int fa_pkey_sign_sha256(void *key, const void *data, size_t length, unsigned char *sig, size_t *siglen,
                        char *err, size_t errlen) {
    EVP_PKEY_ *pkey = key;
    size_t cap = *siglen;
    k.err_clear_error();
    EVP_MD_CTX_ *ctx = k.evp_md_ctx_new();
    if (!ctx) { last_error(err, errlen, "out of memory"); return -1; }
    unsigned char der[1024];
    size_t derlen = sizeof der;
    int id = k.evp_pkey_get_base_id(pkey);
    unsigned char *target = id == EVP_PKEY_EC_ ? der : sig;
    size_t *targetlen = id == EVP_PKEY_EC_ ? &derlen : siglen;
    int ok = k.evp_digestsigninit(ctx, NULL, k.evp_sha256(), NULL, pkey) == 1
        && k.evp_digestsign(ctx, NULL, targetlen, data, length) == 1
        && *targetlen <= (id == EVP_PKEY_EC_ ? sizeof der : cap)
        && k.evp_digestsign(ctx, target, targetlen, data, length) == 1;
    k.evp_md_ctx_free(ctx);
    if (!ok) { last_error(err, errlen, "signing failed"); return -1; }
    if (id != EVP_PKEY_EC_) return 0;
    /* JOSE wants ES256 as r || s, 32 bytes each (RFC 7518 3.4), not DER. */
    const unsigned char *p = der;
    ECDSA_SIG_ *es = k.d2i_ecdsa_sig(NULL, &p, (long)derlen);
    if (!es) { last_error(err, errlen, "unreadable ECDSA signature"); return -1; }
    const BIGNUM_ *r = NULL, *s = NULL;
    k.ecdsa_sig_get0(es, &r, &s);
    ok = cap >= 64 && k.bn_bn2binpad(r, sig, 32) == 32 && k.bn_bn2binpad(s, sig + 32, 32) == 32;
    k.ecdsa_sig_free(es);
    if (!ok) { snprintf(err, errlen, "ECDSA signature does not fit 64 bytes"); return -1; }
    *siglen = 64;
    return 0;
}

int fa_x509_pem_to_der(const void *pem, size_t length, void *key, unsigned char **der, size_t *derlen,
                       char *err, size_t errlen) {
    *der = NULL;
    *derlen = 0;
    if (keys_ready(err, errlen) != 0) return -1;
    if (length > 1 << 20) { snprintf(err, errlen, "larger than 1 MiB"); return -1; }
    k.err_clear_error();
    BIO_ *bio = k.bio_new_mem_buf(pem, (int)length);
    if (!bio) { last_error(err, errlen, "out of memory"); return -1; }
    X509_ *cert = k.pem_read_bio_x509(bio, NULL, no_passphrase, NULL);
    k.bio_free(bio);
    if (!cert) { last_error(err, errlen, "no certificate could be read"); return -1; }
    if (key && k.x509_check_private_key(cert, (EVP_PKEY_ *)key) != 1) {
        k.x509_free(cert);
        k.err_clear_error();
        snprintf(err, errlen, "the certificate is not the private key's");
        return -1;
    }
    unsigned char *out = NULL;
    int n = k.i2d_x509(cert, &out);
    k.x509_free(cert);
    if (n <= 0 || !out) { last_error(err, errlen, "the certificate cannot be encoded"); return -1; }
    unsigned char *copy = malloc((size_t)n);
    if (copy) memcpy(copy, out, (size_t)n);
    k.openssl_free(out, __FILE__, __LINE__);
    if (!copy) { snprintf(err, errlen, "out of memory"); return -1; }
    *der = copy;
    *derlen = (size_t)n;
    return 0;
}
