/*
 * fuzz_yaml_tree.c - config files are written by people and fetched from repositories:
 * whatever the bytes, the YAML tree is built or refused cleanly within its limits, and
 * every policy reader (org, shift, repo, Backstage) accepts or reports errors, never more.
 */
#include "bot/config.h"
#include "bot/err.h"
#include "bot/yaml_tree.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct ynode *n = NULL;
    struct fb_error err = {0};
    if (yaml_tree_parse(text, size, &n, &err) == 0) {
        ynode_get(n, "teams");
        ynode_free(n);
    }
    struct config_errors errs = {0};
    struct cfg_org o = {0};
    config_parse_org("f", text, size, NULL, NULL, &o, &errs);
    cfg_org_free(&o);
    struct cfg_shift s = {0};
    config_parse_shift("f", "s", text, size, &s, &errs);
    cfg_shift_free(&s);
    struct cfg_repo r = {0};
    config_parse_repo("f", text, size, NULL, NULL, &r, &errs);
    cfg_repo_free(&r);
    char *owner = NULL;
    config_parse_catalog("f", text, size, &owner, &errs);
    free(owner);
    char out[512];
    config_errors_format(&errs, out, sizeof(out));
    return 0;
}
