#ifndef FLYTEAUTH_CYAML_SHIM_H
#define FLYTEAUTH_CYAML_SHIM_H
#include <yaml.h>

/* The node union is awkward from Swift: small accessors keep the parser readable. */
static inline yaml_node_t *fa_yaml_node(yaml_document_t *d, int index) { return yaml_document_get_node(d, index); }
static inline const char *fa_yaml_scalar_value(yaml_node_t *n) { return (const char *)n->data.scalar.value; }
static inline size_t fa_yaml_scalar_length(yaml_node_t *n) { return n->data.scalar.length; }
static inline int fa_yaml_scalar_plain(yaml_node_t *n) { return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }
static inline yaml_node_item_t *fa_yaml_seq_start(yaml_node_t *n) { return n->data.sequence.items.start; }
static inline yaml_node_item_t *fa_yaml_seq_top(yaml_node_t *n) { return n->data.sequence.items.top; }
static inline yaml_node_pair_t *fa_yaml_map_start(yaml_node_t *n) { return n->data.mapping.pairs.start; }
static inline yaml_node_pair_t *fa_yaml_map_top(yaml_node_t *n) { return n->data.mapping.pairs.top; }
#endif
