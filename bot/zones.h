/*
 * zones.h - IANA time zones loaded from the system's compiled tzdata (default
 * /usr/share/zoneinfo, FLEETBOT_ZONEINFO_DIR) on first use and kept for the life of the
 * process: a zone is a few KB read once, so the event loop pays one small local read per
 * zone name ever seen, never per evaluation. Names are checked before touching the disk.
 */
#ifndef FLEETBOT_ZONES_H
#define FLEETBOT_ZONES_H

#include <stdbool.h>

struct fb_error;
struct tz_zone;
struct zones;

/* dir is copied; NULL = /usr/share/zoneinfo. Caller owns the result. */
struct zones *zones_new(const char *dir);
void zones_free(struct zones *zs);

/* The zone, or NULL with err set (FB_ERR_INVALID: bad name; FB_ERR_NOT_FOUND: no such zone).
 * Borrowed until zones_free. Failures are remembered too (no repeated disk reads). */
const struct tz_zone *zones_get(struct zones *zs, const char *name, struct fb_error *err);

/* config_zone_fn: priv is a struct zones. */
bool zones_exists(const char *name, void *priv);

/* A syntactically acceptable IANA name: letters, digits, "_+-/", no "..", 1-63 bytes. */
bool zones_name_ok(const char *name);

#endif
