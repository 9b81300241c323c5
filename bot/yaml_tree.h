/*
 * yaml_tree.h - a YAML document as a small tree of maps, sequences and scalars, each
 * with the line it starts on, so config errors can name "fleetbot.yml:12". Built on
 * libyaml's event parser with hard limits: no aliases (no billion laughs), no duplicate
 * or non-scalar keys, bounded size, depth and node count. It gives no meaning to the
 * values: config.c does, with the line numbers kept here.
 */
#ifndef FLEETBOT_YAML_TREE_H
#define FLEETBOT_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

struct fb_error;

#define YAML_TREE_TEXT_MAX     (1024 * 1024)
#define YAML_TREE_DEPTH_MAX    32
#define YAML_TREE_NODES_MAX    100000
#define YAML_TREE_MAP_KEYS_MAX 4096 /* keys are checked for duplicates one by one */

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
    enum ynode_kind kind;
    int line; /* 1-based */
    /* scalar */
    char *value; /* NUL-terminated, owned */
    size_t len;
    bool plain; /* unquoted: "yes"/"null" mean something; "'yes'" is a string */
    /* map (keys[i] -> items[i]) and seq (items) */
    size_t n;
    char **keys;          /* map only, owned */
    struct ynode **items; /* owned */
};

/*
 * Parses the first document of text. An empty document gives an empty map. On error
 * returns FB_ERR_INVALID (or FB_ERR_TOO_LARGE) with "line N: what" in err->msg and *out
 * NULL. Caller owns *out (ynode_free).
 */
int yaml_tree_parse(const char *text, size_t len, struct ynode **out, struct fb_error *err);
void ynode_free(struct ynode *n);

/* The value of key in a map, or NULL (also when n is not a map). Borrowed from n. */
const struct ynode *ynode_get(const struct ynode *n, const char *key);
const char *ynode_kind_name(enum ynode_kind k);

#endif
