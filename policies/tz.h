/*
 * tz.h - IANA time zones from their compiled TZif data (RFC 8536, versions 1-4): the UTC
 * offset in effect at any instant, local wall time back to UTC (DST gaps and overlaps
 * resolved), and the next offset change. Beyond the last transition the TZif footer's
 * POSIX TZ rule (e.g. "CET-1CEST,M3.5.0,M10.5.0/3") takes over, so any year works.
 * Parsing is pure (bytes in); reading /usr/share/zoneinfo is bot/zones.c's job.
 */
#ifndef FLEETBOT_POLICIES_TZ_H
#define FLEETBOT_POLICIES_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fb_error;

#define TZ_NAME_MAX  64
#define TZ_TRANS_MAX 4096
#define TZ_TYPES_MAX 256
#define TZ_DATA_MAX  (256 * 1024)

/* One end of a POSIX TZ DST period: a day rule and a local time of day. */
struct tz_posix_date {
    char kind;    /* 'M' (Mm.w.d), 'J' (Jn, 1..365, no Feb 29), 'N' (n, 0..365) */
    int month;    /* M */
    int week;     /* M: 1..5, 5 = last */
    int weekday;  /* M: 0 = Sunday */
    int day;      /* J, N */
    int32_t time; /* seconds after local midnight, may be negative or > 24 h */
};

struct tz_posix_rule {
    int32_t std_offset; /* seconds east of UTC */
    int32_t dst_offset;
    bool has_dst;
    struct tz_posix_date start, end; /* start in standard time, end in daylight time */
};

struct tz_zone {
    char name[TZ_NAME_MAX];
    size_t ntrans;
    int64_t *trans_at;   /* UTC seconds, ascending; owned */
    uint8_t *trans_type; /* index into the types; owned */
    size_t ntypes;
    int32_t *type_offset; /* seconds east of UTC; owned */
    bool has_rule;
    struct tz_posix_rule rule; /* for instants after the last transition */
};

/* Parses TZif bytes. z is caller-owned and zeroed; free with tz_free. 0 or FB_ERR_INVALID
 * with a reason in err. Bounded: at most TZ_DATA_MAX bytes, TZ_TRANS_MAX transitions. */
int tz_parse(const char *name, const uint8_t *data, size_t len, struct tz_zone *z,
             struct fb_error *err);
/* A zone with a fixed offset and no transitions (e.g. "UTC"). */
void tz_fixed(struct tz_zone *z, const char *name, int32_t offset);
void tz_free(struct tz_zone *z);

/* Parses a POSIX TZ string such as "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0". 0 or -1. */
int tz_posix_parse(const char *s, size_t n, struct tz_posix_rule *out);

/* The UTC offset (seconds east) in effect at UTC instant t (seconds). */
int32_t tz_offset_at(const struct tz_zone *z, int64_t t);
/* Local wall-clock seconds (as if UTC) of UTC instant t. */
int64_t tz_to_local(const struct tz_zone *z, int64_t t);
/* The first instant strictly after t at which the offset changes, or INT64_MAX. */
int64_t tz_next_change(const struct tz_zone *z, int64_t t);
/*
 * The UTC instant of local wall time `local` (seconds, as if UTC). In an overlap (clocks
 * set back) the earlier instant; in a gap (clocks set forward) the instant the gap ends,
 * i.e. the first instant whose local time is at or after `local`.
 */
int64_t tz_from_local(const struct tz_zone *z, int64_t local);

#endif
