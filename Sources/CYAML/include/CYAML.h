#ifndef FLYTEAUTH_CYAML_H
#define FLYTEAUTH_CYAML_H
/* libyaml, loaded (dlopen "libyaml-0.so.2") only when a YAML configuration file is
 * actually parsed: a host configured by JSON settings, or whose configuration is INI,
 * never maps it. The header is only needed for the types.
 *
 * The wrappers return 0 (libyaml's failure value) or NULL before loading and after a
 * failed load; fa_yaml_load_error() says why. */
#include <yaml.h>

/* 0 on success, -1 when libyaml cannot be loaded. */
int fa_yaml_load(void);
const char *fa_yaml_load_error(void);

int fa_yaml_parser_initialize(yaml_parser_t *parser);
void fa_yaml_parser_delete(yaml_parser_t *parser);
void fa_yaml_parser_set_input_string(yaml_parser_t *parser, const unsigned char *input, size_t size);
int fa_yaml_parser_load(yaml_parser_t *parser, yaml_document_t *document);
void fa_yaml_document_delete(yaml_document_t *document);
yaml_node_t *fa_yaml_document_get_root_node(yaml_document_t *document);
yaml_node_t *fa_yaml_node(yaml_document_t *document, int index);

/* The node union is awkward from Swift: small accessors keep the parser readable. */
static inline const char *fa_yaml_scalar_value(yaml_node_t *n) { return (const char *)n->data.scalar.value; }
static inline size_t fa_yaml_scalar_length(yaml_node_t *n) { return n->data.scalar.length; }
static inline int fa_yaml_scalar_plain(yaml_node_t *n) { return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }
static inline yaml_node_item_t *fa_yaml_seq_start(yaml_node_t *n) { return n->data.sequence.items.start; }
static inline yaml_node_item_t *fa_yaml_seq_top(yaml_node_t *n) { return n->data.sequence.items.top; }
static inline yaml_node_pair_t *fa_yaml_map_start(yaml_node_t *n) { return n->data.mapping.pairs.start; }
static inline yaml_node_pair_t *fa_yaml_map_top(yaml_node_t *n) { return n->data.mapping.pairs.top; }
#endif
