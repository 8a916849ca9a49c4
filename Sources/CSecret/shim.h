#ifndef FLYTEAUTH_CSECRET_SHIM_H
#define FLYTEAUTH_CSECRET_SHIM_H
#include <libsecret/secret.h>

/* Items written by Python keyring and go-keyring carry only {service, username}:
 * match on those two and never on xdg:schema (token-cache.md section 3). */
static inline const SecretSchema *fa_secret_schema(void) {
    static const SecretSchema schema = {
        "org.flyte.flyteauth", SECRET_SCHEMA_DONT_MATCH_NAME,
        {
            { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { "application", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { NULL, 0 },
        }
    };
    return &schema;
}

static inline GHashTable *fa_secret_attributes(const char *service, const char *username) {
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(t, g_strdup("service"), g_strdup(service));
    g_hash_table_insert(t, g_strdup("username"), g_strdup(username));
    return t;
}

static inline void fa_secret_attributes_add(GHashTable *t, const char *k, const char *v) {
    g_hash_table_insert(t, g_strdup(k), g_strdup(v));
}
#endif
