/*
 * yaml_tree.c - libyaml events to a tree. A stack of open containers; each scalar, map or
 * sequence start becomes a child of the top (as a key or a value when the top is a map).
 */
#include "yaml_tree.h"

#include "alloc.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

struct builder {
    struct ynode *stack[YAML_TREE_DEPTH_MAX + 1];
    int depth;
    char *pending_key; /* a map's key waiting for its value */
    int pending_line;
    size_t nodes;
    struct ynode *root;
};

static struct ynode *node_new(enum ynode_kind kind, int line)
{
    struct ynode *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->line = line;
    return n;
}

void ynode_free(struct ynode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        ynode_free(n->items[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->value);
    free(n);
}

/* Capacity doubles: 8, 16, 32... (a full array has a power-of-two length of at least 8),
 * so a long list costs O(n) copies, not O(n^2). */
static void append(struct ynode *parent, char *key, struct ynode *child)
{
    size_t n = parent->n;
    if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
        size_t cap = n == 0 ? 8 : n * 2;
        parent->items = xrealloc(parent->items, cap * sizeof(*parent->items));
        if (parent->kind == YNODE_MAP)
            parent->keys = xrealloc(parent->keys, cap * sizeof(*parent->keys));
    }
    if (parent->kind == YNODE_MAP)
        parent->keys[n] = key;
    parent->items[parent->n++] = child;
}

/* Attaches a new node (or, for a scalar in key position, records the key). Returns 0 or
 * an error code with err set; takes ownership of child. */
static int attach(struct builder *b, struct ynode *child, struct fb_error *err)
{
    if (++b->nodes > YAML_TREE_NODES_MAX) {
        int line = child->line;
        ynode_free(child);
        return fb_error_set(err, FB_ERR_TOO_LARGE, "line %d: more than %d nodes", line,
                            YAML_TREE_NODES_MAX);
    }
    if (b->depth == 0) {
        if (b->root != NULL) {
            ynode_free(child);
            return 0; /* a second top-level node cannot happen within one document */
        }
        b->root = child;
        return 0;
    }
    struct ynode *top = b->stack[b->depth - 1];
    if (top->kind == YNODE_SEQ) {
        append(top, NULL, child);
        return 0;
    }
    if (b->pending_key == NULL) {
        if (child->kind != YNODE_SCALAR) {
            int line = child->line;
            ynode_free(child);
            return fb_error_set(err, FB_ERR_INVALID, "line %d: a key must be a plain value", line);
        }
        if (top->n >= YAML_TREE_MAP_KEYS_MAX) {
            int line = child->line;
            ynode_free(child);
            return fb_error_set(err, FB_ERR_TOO_LARGE, "line %d: more than %d keys in a mapping",
                                line, YAML_TREE_MAP_KEYS_MAX);
        }
        if (ynode_get(top, child->value) != NULL) {
            int line = child->line;
            int rc = fb_error_set(err, FB_ERR_INVALID, "line %d: duplicate key \"%s\"", line,
                                  child->value);
            ynode_free(child);
            return rc;
        }
        b->pending_key = child->value;
        b->pending_line = child->line;
        child->value = NULL;
        ynode_free(child);
        return 0;
    }
    append(top, b->pending_key, child);
    b->pending_key = NULL;
    return 0;
}

static int push(struct builder *b, struct ynode *container, struct fb_error *err)
{
    int line = container->line;
    if (b->depth >= YAML_TREE_DEPTH_MAX) {
        ynode_free(container);
        return fb_error_set(err, FB_ERR_INVALID, "line %d: nested deeper than %d levels", line,
                            YAML_TREE_DEPTH_MAX);
    }
    int rc = attach(b, container, err);
    if (rc != 0)
        return rc;
    b->stack[b->depth++] = container;
    return 0;
}

int yaml_tree_parse(const char *text, size_t len, struct ynode **out, struct fb_error *err)
{
    *out = NULL;
    if (len > YAML_TREE_TEXT_MAX)
        return fb_error_set(err, FB_ERR_TOO_LARGE, "line 1: file larger than %d bytes",
                            YAML_TREE_TEXT_MAX);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fb_error_set(err, FB_ERR_INTERNAL, "line 1: cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct builder b = {0};
    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = fb_error_set(err, FB_ERR_INVALID, "line %d: %s", (int)parser.problem_mark.line + 1,
                              parser.problem ? parser.problem : "invalid YAML");
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_SCALAR_EVENT: {
            struct ynode *n = node_new(YNODE_SCALAR, line);
            n->len = ev.data.scalar.length;
            n->value = xmalloc(n->len + 1);
            memcpy(n->value, ev.data.scalar.value, n->len);
            n->value[n->len] = '\0';
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (memchr(n->value, '\0', n->len) != NULL) {
                ynode_free(n);
                rc = fb_error_set(err, FB_ERR_INVALID, "line %d: NUL byte in a value", line);
                break;
            }
            rc = attach(&b, n, err);
            break;
        }
        case YAML_MAPPING_START_EVENT:
            rc = push(&b, node_new(YNODE_MAP, line), err);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = push(&b, node_new(YNODE_SEQ, line), err);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (b.depth > 0)
                b.depth--;
            break;
        case YAML_ALIAS_EVENT:
            rc =
                fb_error_set(err, FB_ERR_INVALID,
                             "line %d: aliases (*name) are not supported in fleetbot config", line);
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    free(b.pending_key);
    if (rc != 0) {
        ynode_free(b.root);
        return rc;
    }
    if (b.root == NULL || (b.root->kind == YNODE_SCALAR && b.root->plain &&
                           (b.root->len == 0 || strcmp(b.root->value, "~") == 0 ||
                            strcmp(b.root->value, "null") == 0))) {
        ynode_free(b.root);
        b.root = node_new(YNODE_MAP, 1);
    }
    *out = b.root;
    return 0;
}

const struct ynode *ynode_get(const struct ynode *n, const char *key)
{
    if (n == NULL || n->kind != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->keys[i], key) == 0)
            return n->items[i];
    return NULL;
}

const char *ynode_kind_name(enum ynode_kind k)
{
    switch (k) {
    case YNODE_SCALAR:
        return "a value";
    case YNODE_MAP:
        return "a mapping";
    case YNODE_SEQ:
        return "a list";
    }
    return "?";
}
