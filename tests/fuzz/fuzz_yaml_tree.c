/*
 * fuzz_yaml_tree.c - config files are written by people and fetched from repositories:
 * whatever the bytes, the YAML tree is built or refused cleanly, within its limits.
 */
#include "bot/err.h"
#include "bot/yaml_tree.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ynode *n = NULL;
    struct fb_error err = {0};
    if (yaml_tree_parse((const char *)data, size, &n, &err) == 0) {
        ynode_get(n, "teams");
        ynode_free(n);
    }
    return 0;
}
