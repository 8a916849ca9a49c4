/* libsecret loaded on first use: see include/CSecret.h for why. */
#define _GNU_SOURCE
#include "CSecret.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SONAME of Debian's libsecret-1-0; GLib, GObject and GIO come in as its needs. */
#define FA_SECRET_SONAME "libsecret-1.so.0"

typedef unsigned int (*fa_hash_fn)(const void *);
typedef int (*fa_equal_fn)(const void *, const void *);
typedef void (*fa_destroy_fn)(void *);

static struct {
    SecretService *(*service_get_sync)(int, GCancellable *, GError **);
    void (*service_disconnect)(void);
    GList *(*service_search_sync)(SecretService *, const void *, GHashTable *, int, GCancellable *, GError **);
    SecretValue *(*item_get_secret)(SecretItem *);
    int (*item_get_locked)(SecretItem *);
    int (*item_set_secret_sync)(SecretItem *, SecretValue *, GCancellable *, GError **);
    int (*item_delete_sync)(SecretItem *, GCancellable *, GError **);
    SecretItem *(*item_create_sync)(SecretCollection *, const void *, GHashTable *, const char *, SecretValue *, int,
                                    GCancellable *, GError **);
    SecretCollection *(*collection_for_alias_sync)(SecretService *, const char *, int, GCancellable *, GError **);
    int (*collection_get_locked)(SecretCollection *);
    SecretValue *(*value_new)(const char *, long, const char *);
    const char *(*value_get)(SecretValue *, size_t *);
    void (*value_unref)(void *);
    void *(*object_ref)(void *);
    void (*object_unref)(void *);
    void (*list_free_full)(GList *, fa_destroy_fn);
    GHashTable *(*hash_table_new_full)(fa_hash_fn, fa_equal_fn, fa_destroy_fn, fa_destroy_fn);
    int (*hash_table_insert)(GHashTable *, void *, void *);
    void (*hash_table_unref)(GHashTable *);
    void *(*hash_table_lookup)(GHashTable *, const void *);
    GHashTable *(*item_get_attributes)(SecretItem *);
    fa_hash_fn str_hash;
    fa_equal_fn str_equal;
    fa_destroy_fn free;
    char *(*strdup)(const char *);
    GCancellable *(*cancellable_new)(void);
    void (*cancellable_cancel)(GCancellable *);
    void (*error_free)(GError *);
} api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void) {
    /* RTLD_LOCAL: GLib's symbols stay out of the host's namespace. Never closed: GLib
     * keeps process-wide state (type registry, worker threads). */
    void *h = dlopen(FA_SECRET_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "libsecret could not be loaded (%s); install libsecret-1-0 to use the Secret Service", why ? why : FA_SECRET_SONAME);
        return;
    }
#define RESOLVE(field, name)                                                                              \
    do {                                                                                                  \
        *(void **)(&api.field) = dlsym(h, name);                                                          \
        if (!api.field) {                                                                                 \
            snprintf(load_error, sizeof load_error, "%s has no %s: libsecret 0.20 or newer is needed", \
                     FA_SECRET_SONAME, name);                                                             \
            return;                                                                                       \
        }                                                                                                 \
    } while (0)
    RESOLVE(service_get_sync, "secret_service_get_sync");
    RESOLVE(service_disconnect, "secret_service_disconnect");
    RESOLVE(service_search_sync, "secret_service_search_sync");
    RESOLVE(item_get_secret, "secret_item_get_secret");
    RESOLVE(item_get_locked, "secret_item_get_locked");
    RESOLVE(item_set_secret_sync, "secret_item_set_secret_sync");
    RESOLVE(item_delete_sync, "secret_item_delete_sync");
    RESOLVE(item_create_sync, "secret_item_create_sync");
    RESOLVE(collection_for_alias_sync, "secret_collection_for_alias_sync");
    RESOLVE(collection_get_locked, "secret_collection_get_locked");
    RESOLVE(value_new, "secret_value_new");
    RESOLVE(value_get, "secret_value_get");
    RESOLVE(value_unref, "secret_value_unref");
    /* GLib's, found through libsecret's own dependencies. */
    RESOLVE(object_ref, "g_object_ref");
    RESOLVE(object_unref, "g_object_unref");
    RESOLVE(list_free_full, "g_list_free_full");
    RESOLVE(hash_table_new_full, "g_hash_table_new_full");
    RESOLVE(hash_table_insert, "g_hash_table_insert");
    RESOLVE(hash_table_unref, "g_hash_table_unref");
    RESOLVE(hash_table_lookup, "g_hash_table_lookup");
    RESOLVE(item_get_attributes, "secret_item_get_attributes");
    RESOLVE(str_hash, "g_str_hash");
    RESOLVE(str_equal, "g_str_equal");
    RESOLVE(free, "g_free");
    RESOLVE(strdup, "g_strdup");
    RESOLVE(cancellable_new, "g_cancellable_new");
    RESOLVE(cancellable_cancel, "g_cancellable_cancel");
    RESOLVE(error_free, "g_error_free");
#undef RESOLVE
    loaded = 1;
}

int fa_secret_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *fa_secret_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

static GHashTable *attributes(const char *service, const char *username) {
    GHashTable *t = api.hash_table_new_full(api.str_hash, api.str_equal, api.free, api.free);
    api.hash_table_insert(t, api.strdup("service"), api.strdup(service));
    if (username) api.hash_table_insert(t, api.strdup("username"), api.strdup(username));
    return t;
}

SecretService *fa_secret_service_get_sync(int flags, GCancellable *c, GError **e) {
    return fa_secret_load() == 0 ? api.service_get_sync(flags, c, e) : NULL;
}

void fa_secret_service_disconnect(void) {
    if (fa_secret_load() == 0) api.service_disconnect();
}

GList *fa_secret_service_search(SecretService *s, const char *service, const char *username, int flags,
                                GCancellable *c, GError **e) {
    if (!loaded || !s) return NULL;
    GHashTable *t = attributes(service, username);
    /* No schema: match {service, username} only, whoever wrote the item. */
    GList *list = api.service_search_sync(s, NULL, t, flags, c, e);
    api.hash_table_unref(t);
    return list;
}

void fa_secret_list_free(GList *list) { if (loaded && list) api.list_free_full(list, api.object_unref); }

SecretValue *fa_secret_item_get_secret(SecretItem *i) { return loaded && i ? api.item_get_secret(i) : NULL; }
int fa_secret_item_get_locked(SecretItem *i) { return loaded && i ? api.item_get_locked(i) : 1; }
int fa_secret_item_set_secret_sync(SecretItem *i, SecretValue *v, GCancellable *c, GError **e) {
    return loaded && i ? api.item_set_secret_sync(i, v, c, e) : 0;
}
int fa_secret_item_delete_sync(SecretItem *i, GCancellable *c, GError **e) {
    return loaded && i ? api.item_delete_sync(i, c, e) : 0;
}

SecretItem *fa_secret_item_create_sync(SecretCollection *col, const char *service, const char *username,
                                       const char *application, const char *label, SecretValue *v,
                                       GCancellable *c, GError **e) {
    if (!loaded || !col) return NULL;
    GHashTable *t = attributes(service, username);
    api.hash_table_insert(t, api.strdup("application"), api.strdup(application));
    /* REPLACE: two processes creating the same item at once (two first readers recording
     * an import) leave one item, as their attributes are identical. */
    SecretItem *item = api.item_create_sync(col, NULL, t, label, v, FA_SECRET_ITEM_CREATE_REPLACE, c, e);
    api.hash_table_unref(t);
    return item;
}

char *fa_secret_item_copy_username(SecretItem *i) {
    if (!loaded || !i) return NULL;
    GHashTable *t = api.item_get_attributes(i);
    if (!t) return NULL;
    const char *u = api.hash_table_lookup(t, "username");
    char *copy = u ? strdup(u) : NULL;
    api.hash_table_unref(t);
    return copy;
}

SecretCollection *fa_secret_collection_for_default_alias_sync(SecretService *s, GCancellable *c, GError **e) {
    return loaded && s ? api.collection_for_alias_sync(s, "default", 0 /* SECRET_COLLECTION_NONE */, c, e) : NULL;
}
int fa_secret_collection_get_locked(SecretCollection *col) { return loaded && col ? api.collection_get_locked(col) : 1; }

SecretValue *fa_secret_value_new_text(const char *secret) {
    return fa_secret_load() == 0 ? api.value_new(secret, -1, "text/plain") : NULL;
}
const char *fa_secret_value_get(SecretValue *v, size_t *length) { return loaded && v ? api.value_get(v, length) : NULL; }
void fa_secret_value_unref(SecretValue *v) { if (loaded && v) api.value_unref(v); }

void *fa_g_object_ref(void *o) { return loaded && o ? api.object_ref(o) : o; }
void fa_g_object_unref(void *o) { if (loaded && o) api.object_unref(o); }
GCancellable *fa_g_cancellable_new(void) { return fa_secret_load() == 0 ? api.cancellable_new() : NULL; }
void fa_g_cancellable_cancel(GCancellable *c) { if (loaded && c) api.cancellable_cancel(c); }
void fa_g_error_free(GError *e) { if (loaded && e) api.error_free(e); }
