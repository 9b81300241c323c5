/*
 * fuzz_ical.c - holiday calendars come from repositories and URLs: whatever the bytes,
 * expansion returns an error or a bounded, sorted list of days.
 */
#include "bot/err.h"
#include "bot/ical.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ical_day *days = NULL;
    size_t n = 0;
    struct fb_error err = {0};
    if (ical_expand((const char *)data, size, 20000, 20400, &days, &n, &err) == 0) {
        if (n > ICAL_DAYS_MAX)
            abort();
        for (size_t i = 1; i < n; i++)
            if (days[i - 1].day >= days[i].day)
                abort();
    }
    free(days);
    return 0;
}
