/* libyaml loaded on first use: see include/CYAML.h for why. */
#define _GNU_SOURCE
#include "CYAML.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define FA_YAML_SONAME "libyaml-0.so.2"

static struct {
    int (*parser_initialize)(yaml_parser_t *);
    void (*parser_delete)(yaml_parser_t *);
    void (*parser_set_input_string)(yaml_parser_t *, const unsigned char *, size_t);
    int (*parser_load)(yaml_parser_t *, yaml_document_t *);
    void (*document_delete)(yaml_document_t *);
    yaml_node_t *(*document_get_root_node)(yaml_document_t *);
    yaml_node_t *(*document_get_node)(yaml_document_t *, int);
} api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void) {
    void *h = dlopen(FA_YAML_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "libyaml could not be loaded (%s); install libyaml-0-2 to read YAML configuration", why ? why : FA_YAML_SONAME);
        return;
    }
#define RESOLVE(field, name)                                                                    \
    do {                                                                                        \
        *(void **)(&api.field) = dlsym(h, name);                                                \
        if (!api.field) {                                                                       \
            snprintf(load_error, sizeof load_error, "%s has no %s", FA_YAML_SONAME, name);      \
            return;                                                                             \
        }                                                                                       \
    } while (0)
    RESOLVE(parser_initialize, "yaml_parser_initialize");
    RESOLVE(parser_delete, "yaml_parser_delete");
    RESOLVE(parser_set_input_string, "yaml_parser_set_input_string");
    RESOLVE(parser_load, "yaml_parser_load");
    RESOLVE(document_delete, "yaml_document_delete");
    RESOLVE(document_get_root_node, "yaml_document_get_root_node");
    RESOLVE(document_get_node, "yaml_document_get_node");
#undef RESOLVE
    loaded = 1;
}

int fa_yaml_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *fa_yaml_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

int fa_yaml_parser_initialize(yaml_parser_t *p) { return fa_yaml_load() == 0 ? api.parser_initialize(p) : 0; }
void fa_yaml_parser_delete(yaml_parser_t *p) { if (loaded) api.parser_delete(p); }
void fa_yaml_parser_set_input_string(yaml_parser_t *p, const unsigned char *input, size_t size) {
    if (loaded) api.parser_set_input_string(p, input, size);
}
int fa_yaml_parser_load(yaml_parser_t *p, yaml_document_t *d) { return loaded ? api.parser_load(p, d) : 0; }
void fa_yaml_document_delete(yaml_document_t *d) { if (loaded) api.document_delete(d); }
yaml_node_t *fa_yaml_document_get_root_node(yaml_document_t *d) { return loaded ? api.document_get_root_node(d) : NULL; }
yaml_node_t *fa_yaml_node(yaml_document_t *d, int index) { return loaded ? api.document_get_node(d, index) : NULL; }
