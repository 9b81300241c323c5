/*
 * fuzz_gh_link.c - gh_link_next() on arbitrary bytes. The input is copied to a heap block
 * of exactly its size, so ASan catches any read past len. Checks the result's invariants:
 * a found URL lies inside the input, is non-empty, bounded, and holds no space, control
 * character, '<', '>' or '"'.
 */
#include "err.h"
#include "gh_link.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    struct sv v = {NULL, 0};
    int rc = gh_link_next(copy, size, &v);
    if (rc == 0) {
        if (v.p < copy || v.p + v.n > copy + size || v.n == 0 || v.n > GH_LINK_URL_MAX)
            abort();
        for (size_t i = 0; i < v.n; i++) {
            unsigned char ch = (unsigned char)v.p[i];
            if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>' || ch == '"')
                abort();
        }
    } else if (rc != FB_ERR_NOT_FOUND && rc != FB_ERR_INVALID && rc != FB_ERR_TOO_LARGE) {
        abort();
    }
    if (rc == FB_ERR_TOO_LARGE && size <= GH_LINK_MAX)
        abort();
    free(copy);
    return 0;
}
