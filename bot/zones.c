/*
 * zones.c - the zone cache: a small array searched linearly (a fleet has tens of zones,
 * not thousands), each entry loaded once with tz_parse or remembered as missing.
 */
#include "zones.h"

#include "alloc.h"
#include "err.h"
#include "policies/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONES_MAX 1024

struct zone_entry {
    char name[TZ_NAME_MAX];
    bool ok;
    struct tz_zone zone;
};

struct zones {
    char *dir;
    struct zone_entry *entries;
    size_t n;
};

struct zones *zones_new(const char *dir)
{
    struct zones *zs = xcalloc(1, sizeof(*zs));
    zs->dir = xstrdup(dir ? dir : "/usr/share/zoneinfo");
    zs->entries = xcalloc(ZONES_MAX, sizeof(*zs->entries));
    return zs;
}

void zones_free(struct zones *zs)
{
    if (zs == NULL)
        return;
    for (size_t i = 0; i < zs->n; i++)
        tz_free(&zs->entries[i].zone);
    free(zs->entries);
    free(zs->dir);
    free(zs);
}

bool zones_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || strstr(name, "..") != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '/'))
            return false;
    }
    return true;
}

static void load(struct zones *zs, struct zone_entry *e)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", zs->dir, e->name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return;
    uint8_t *data = xmalloc(TZ_DATA_MAX);
    size_t len = fread(data, 1, TZ_DATA_MAX, f);
    fclose(f);
    struct fb_error err = {0};
    e->ok = tz_parse(e->name, data, len, &e->zone, &err) == 0;
    free(data);
}

const struct tz_zone *zones_get(struct zones *zs, const char *name, struct fb_error *err)
{
    if (!zones_name_ok(name)) {
        fb_error_set(err, FB_ERR_INVALID, "\"%s\" is not a time zone name", name);
        return NULL;
    }
    for (size_t i = 0; i < zs->n; i++) {
        if (strcmp(zs->entries[i].name, name) == 0) {
            if (zs->entries[i].ok)
                return &zs->entries[i].zone;
            fb_error_set(err, FB_ERR_NOT_FOUND, "unknown time zone \"%s\"", name);
            return NULL;
        }
    }
    if (zs->n >= ZONES_MAX) {
        fb_error_set(err, FB_ERR_TOO_LARGE, "more than %d time zones in use", ZONES_MAX);
        return NULL;
    }
    struct zone_entry *e = &zs->entries[zs->n++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    load(zs, e);
    if (!e->ok) {
        fb_error_set(err, FB_ERR_NOT_FOUND, "unknown time zone \"%s\"", name);
        return NULL;
    }
    return &e->zone;
}

bool zones_exists(const char *name, void *priv)
{
    struct fb_error err = {0};
    return zones_get(priv, name, &err) != NULL;
}
