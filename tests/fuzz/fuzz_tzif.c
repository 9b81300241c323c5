/*
 * fuzz_tzif.c - TZif data and POSIX TZ strings are read from disk or config: whatever the
 * bytes, parsing must fail cleanly or yield a zone whose queries terminate and stay sane.
 */
#include "policies/tz.h"

#include "bot/err.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tz_posix_rule rule;
    tz_posix_parse((const char *)data, size < 128 ? size : 128, &rule);
    struct tz_zone z;
    struct fb_error err = {0};
    if (tz_parse("fuzz", data, size, &z, &err) != 0)
        return 0;
    static const int64_t probes[] = {INT32_MIN, -1, 0, 1774746000, 4102444800, 253402300799};
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        int64_t t = probes[i];
        int32_t off = tz_offset_at(&z, t);
        if (off < -26 * 3600 || off > 26 * 3600)
            abort();
        tz_next_change(&z, t);
        tz_from_local(&z, tz_to_local(&z, t));
    }
    tz_free(&z);
    return 0;
}
