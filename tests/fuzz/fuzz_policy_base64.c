/*
 * fuzz_policy_base64.c - file contents from the contents API: any bytes decode or are
 * refused, within the output's cap.
 */
#include "bot/buf.h"
#include "bot/policy_source.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf out = BUF_INIT(4096);
    policy_base64_decode((const char *)data, size, &out);
    if (out.len > 4096)
        abort();
    buf_free(&out);
    return 0;
}
