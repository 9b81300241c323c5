/*
 * timeutil.h - RFC 3339 / ISO 8601 timestamps and the process clock.
 *
 * All instants inside fleetbot are int64 milliseconds since the Unix epoch (UTC).
 * The clock is read once per evaluation and passed into policies; policies never read it.
 * FLEETBOT_NOW starts the clock at a fixed instant and lets it run from there (tests and
 * the sandbox only).
 */
#ifndef FLEETBOT_TIMEUTIL_H
#define FLEETBOT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

struct fb_error;

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)" (also with a space for 'T').
 * Returns 0 or FB_ERR_INVALID.
 */
int time_parse_rfc3339(const char *s, int64_t *out_ms);

/* Formats ms as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 32 bytes). */
void time_format_rfc3339(int64_t ms, char *out, size_t outcap);

/* The process clock: real time plus a fixed offset (0 unless FLEETBOT_NOW is set). */
struct fb_clock {
    int64_t offset_ms;
};

/* start may be NULL or empty for the real clock. */
int fb_clock_init(struct fb_clock *c, const char *start, struct fb_error *err);
int64_t fb_clock_now_ms(const struct fb_clock *c);
/* Real wall-clock milliseconds, for timeouts and latency (never for policy). */
int64_t time_real_ms(void);
/* Monotonic milliseconds, for measuring durations. */
int64_t time_mono_ms(void);

#endif
