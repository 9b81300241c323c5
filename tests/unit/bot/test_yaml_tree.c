/*
 * test_yaml_tree.c - YAML to a tree with line numbers: maps, lists, quoted vs plain
 * scalars, empty documents; and the refusals config files must get with a line number:
 * syntax errors, aliases, duplicate keys, complex keys, excessive depth and size.
 */
#include "test.h"

#include "bot/err.h"
#include "bot/yaml_tree.h"

#include <stdlib.h>

static struct ynode *parse_ok(const char *text)
{
    struct ynode *n = NULL;
    struct fb_error err = {0};
    int rc = yaml_tree_parse(text, strlen(text), &n, &err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0)
        fprintf(stderr, "  unexpected error: %s\n", err.msg);
    return n;
}

static void parse_bad(const char *text, const char *msg_part)
{
    struct ynode *n = (struct ynode *)1;
    struct fb_error err = {0};
    CHECK(yaml_tree_parse(text, strlen(text), &n, &err) < 0);
    CHECK(n == NULL);
    CHECK_CONTAINS(err.msg, msg_part);
}

TEST(maps_lists_and_lines)
{
    struct ynode *n = parse_ok("# org policy\n"
                               "teams:\n"
                               "  payments:\n"
                               "    timezone: Europe/Stockholm\n"
                               "    weekend: [sat, sun]\n"
                               "opt_out:\n"
                               "  max_days: 90\n");
    if (n == NULL)
        return;
    CHECK_INT_EQ(n->kind, YNODE_MAP);
    const struct ynode *pay = ynode_get(ynode_get(n, "teams"), "payments");
    CHECK(pay != NULL && pay->kind == YNODE_MAP);
    const struct ynode *tz = ynode_get(pay, "timezone");
    CHECK(tz && tz->kind == YNODE_SCALAR);
    CHECK_STR_EQ(tz ? tz->value : NULL, "Europe/Stockholm");
    CHECK_INT_EQ(tz ? tz->line : 0, 4);
    const struct ynode *wk = ynode_get(pay, "weekend");
    CHECK(wk && wk->kind == YNODE_SEQ && wk->n == 2);
    CHECK_STR_EQ(wk ? wk->items[1]->value : NULL, "sun");
    CHECK_INT_EQ(ynode_get(ynode_get(n, "opt_out"), "max_days")->line, 7);
    CHECK(ynode_get(n, "nope") == NULL);
    CHECK(ynode_get(tz, "x") == NULL);
    ynode_free(n);
}

TEST(quoted_and_plain_scalars)
{
    struct ynode *n = parse_ok("a: yes\nb: 'yes'\nc: \"multi\\nline\"\nd: |\n  block\n");
    if (n == NULL)
        return;
    CHECK(ynode_get(n, "a")->plain);
    CHECK(!ynode_get(n, "b")->plain);
    CHECK_STR_EQ(ynode_get(n, "c")->value, "multi\nline");
    CHECK_STR_EQ(ynode_get(n, "d")->value, "block\n");
    ynode_free(n);
}

TEST(empty_documents_are_empty_maps)
{
    static const char *empties[] = {"", "# only a comment\n", "---\n", "~\n"};
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        struct ynode *n = parse_ok(empties[i]);
        CHECK(n && n->kind == YNODE_MAP && n->n == 0);
        ynode_free(n);
    }
}

TEST(refusals_name_the_line)
{
    parse_bad("a: 1\nb: [1, 2\n", "line ");
    parse_bad("a: 1\n  b: 2\n", "line 2");
    parse_bad("a: &x 1\nb: *x\n", "line 2: aliases");
    parse_bad("a: 1\nb: 2\na: 3\n", "line 3: duplicate key \"a\"");
    parse_bad("? [a, b]\n: 1\n", "line 1: a key must be a plain value");
    parse_bad("a: \"\\0\"\n", "NUL");
}

TEST(limits)
{
    size_t depth = YAML_TREE_DEPTH_MAX + 5;
    char *deep = malloc(depth * 2 + 8);
    size_t k = 0;
    for (size_t i = 0; i < depth; i++)
        deep[k++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[k++] = ']';
    deep[k] = '\0';
    parse_bad(deep, "nested deeper");
    free(deep);
    struct ynode *n = NULL;
    struct fb_error err = {0};
    CHECK_INT_EQ(yaml_tree_parse("a: 1", YAML_TREE_TEXT_MAX + 1, &n, &err), FB_ERR_TOO_LARGE);
    size_t count = YAML_TREE_NODES_MAX + 10;
    char *many = malloc(count * 3 + 8);
    k = 0;
    many[k++] = '[';
    for (size_t i = 0; i < count; i++) {
        many[k++] = '1';
        many[k++] = ',';
    }
    many[k++] = ']';
    many[k] = '\0';
    err = (struct fb_error){0};
    CHECK_INT_EQ(yaml_tree_parse(many, k, &n, &err), FB_ERR_TOO_LARGE);
    free(many);
    /* a mapping with too many keys (each key is checked against the others) */
    size_t keys = YAML_TREE_MAP_KEYS_MAX + 1;
    char *wide = malloc(keys * 16 + 8);
    k = 0;
    for (size_t i = 0; i < keys; i++)
        k += (size_t)snprintf(wide + k, 16, "k%zu: 1\n", i);
    err = (struct fb_error){0};
    CHECK_INT_EQ(yaml_tree_parse(wide, k, &n, &err), FB_ERR_TOO_LARGE);
    CHECK_CONTAINS(err.msg, "keys in a mapping");
    free(wide);
}
