#ifndef FLYTEAUTH_CSECRET_H
#define FLYTEAUTH_CSECRET_H
/* libsecret (with GLib, GObject and GIO), loaded on first use (dlopen
 * "libsecret-1.so.0") rather than linked.
 *
 * Why: linking it makes every host load and relocate about 20 libraries (libsecret,
 * GLib, GIO, GObject, libgcrypt, ...; about 2 ms and most of the 16 MB of resident memory
 * the library used to add) before its first call, though a token read from the kernel
 * keyring tier needs none of them. The Secret Service tier still uses libsecret; it only
 * pays for it when it is used.
 *
 * The few types the engine touches are declared here (opaque, or the two public GLib
 * structs it reads), so no GLib header is needed to build. Every wrapper is safe before
 * loading and after a failed load: it returns 0 or NULL and fa_secret_load_error() says
 * why; the engine checks fa_secret_load() first. */
#include <stddef.h>

typedef struct _SecretService SecretService;
typedef struct _SecretItem SecretItem;
typedef struct _SecretValue SecretValue;
typedef struct _SecretCollection SecretCollection;
typedef struct _GCancellable GCancellable;
typedef struct _GHashTable GHashTable;

/* GLib's public struct layouts (stable since GLib 2.0). */
typedef struct _GError {
    unsigned int domain;
    int code;
    char *message;
} GError;
typedef struct _GList {
    void *data;
    struct _GList *next;
    struct _GList *prev;
} GList;

/* The flag values of libsecret 0.20 (secret-service.h, secret-types.h). */
#define FA_SECRET_SERVICE_OPEN_SESSION (1 << 1)
#define FA_SECRET_SEARCH_ALL (1 << 1)
#define FA_SECRET_SEARCH_LOAD_SECRETS (1 << 3)
#define FA_SECRET_ITEM_CREATE_REPLACE (1 << 1)

/* Loads libsecret once per process (thread-safe). 0 on success, -1 when it cannot be
 * loaded or lacks a function we need. */
int fa_secret_load(void);
/* Why the load failed (a static string), or NULL when it did not. */
const char *fa_secret_load_error(void);

SecretService *fa_secret_service_get_sync(int flags, GCancellable *cancellable, GError **error);
/* Drops the process's shared SecretService (its D-Bus session): the next get opens a new
 * one, e.g. after the daemon was restarted. */
void fa_secret_service_disconnect(void);
/* A list of referenced SecretItem; free with fa_secret_list_free. Items matching
 * {service, username} whatever their schema (token-cache.md section 3); a NULL
 * username matches every item of the service. */
GList *fa_secret_service_search(SecretService *service, const char *service_attr, const char *username,
                                int flags, GCancellable *cancellable, GError **error);
void fa_secret_list_free(GList *list);

SecretValue *fa_secret_item_get_secret(SecretItem *item);
int fa_secret_item_get_locked(SecretItem *item);
int fa_secret_item_set_secret_sync(SecretItem *item, SecretValue *value, GCancellable *cancellable, GError **error);
int fa_secret_item_delete_sync(SecretItem *item, GCancellable *cancellable, GError **error);
/* A new item {service, username, application} with no schema: libsecret would add
 * xdg:schema, which the other tools never match. */
SecretItem *fa_secret_item_create_sync(SecretCollection *collection, const char *service_attr, const char *username,
                                       const char *application, const char *label, SecretValue *value,
                                       GCancellable *cancellable, GError **error);

/* The item's "username" attribute, malloc'd (free()), or NULL. */
char *fa_secret_item_copy_username(SecretItem *item);

SecretCollection *fa_secret_collection_for_default_alias_sync(SecretService *service, GCancellable *cancellable,
                                                              GError **error);
int fa_secret_collection_get_locked(SecretCollection *collection);

SecretValue *fa_secret_value_new_text(const char *secret);
const char *fa_secret_value_get(SecretValue *value, size_t *length);
void fa_secret_value_unref(SecretValue *value);

void *fa_g_object_ref(void *object);
void fa_g_object_unref(void *object);
GCancellable *fa_g_cancellable_new(void);
void fa_g_cancellable_cancel(GCancellable *cancellable);
void fa_g_error_free(GError *error);
#endif
