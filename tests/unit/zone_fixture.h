/*
 * zone_fixture.h - loads a real IANA zone from the system's tzdata for table tests of
 * the schedule gates (a test that cannot load one fails at once, never silently passes).
 * The caller frees with tz_free() and free(), or leaves it to the process's exit.
 */
#ifndef FLEETBOT_TEST_ZONE_FIXTURE_H
#define FLEETBOT_TEST_ZONE_FIXTURE_H

#include "bot/err.h"
#include "policies/tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static struct tz_zone *zone(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    FILE *fp = fopen(path, "rb");
    static uint8_t data[TZ_DATA_MAX];
    size_t len = fp ? fread(data, 1, sizeof(data), fp) : 0;
    if (fp)
        fclose(fp);
    struct tz_zone *z = calloc(1, sizeof(*z));
    struct fb_error err = {0};
    if (tz_parse(name, data, len, z, &err) != 0) {
        fprintf(stderr, "cannot load zone %s\n", name);
        exit(1);
    }
    return z;
}

#endif
