/*
 * timeutil.c - timestamp parsing/formatting and the offsettable process clock.
 */
#define _GNU_SOURCE
#include "timeutil.h"

#include "err.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int digits(const char *s, size_t n, int64_t min, int64_t max, int *out)
{
    int64_t v;
    if (parse_i64(s, n, min, max, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

int time_parse_rfc3339(const char *s, int64_t *out_ms)
{
    if (s == NULL)
        return FB_ERR_INVALID;
    size_t len = strlen(s);
    if (len < 20 || len > 40)
        return FB_ERR_INVALID;
    int y, mo, d, h, mi, sec;
    if (digits(s, 4, 1970, 9999, &y) || s[4] != '-' || digits(s + 5, 2, 1, 12, &mo) ||
        s[7] != '-' || digits(s + 8, 2, 1, 31, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, 0, 23, &h) ||
        s[13] != ':' || digits(s + 14, 2, 0, 59, &mi) || s[16] != ':' ||
        digits(s + 17, 2, 0, 60, &sec))
        return FB_ERR_INVALID;
    const char *p = s + 19;
    int ms = 0;
    if (*p == '.') {
        p++;
        int scale = 100, nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 3)
                ms += (*p - '0') * scale;
            scale /= 10;
            nd++;
            p++;
        }
        if (nd == 0 || nd > 9)
            return FB_ERR_INVALID;
    }
    int64_t offset_s = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset_s = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (digits(p + 1, 2, 0, 23, &oh) || digits(p + 4, 2, 0, 59, &om))
            return FB_ERR_INVALID;
        offset_s = (int64_t)oh * 3600 + om * 60;
        if (*p == '-')
            offset_s = -offset_s;
    } else {
        return FB_ERR_INVALID;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return FB_ERR_INVALID;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *out_ms = ((int64_t)t - offset_s) * 1000 + ms;
    return 0;
}

void time_format_rfc3339(int64_t ms, char *out, size_t outcap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outcap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t time_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fb_clock_init(struct fb_clock *c, const char *start, struct fb_error *err)
{
    c->offset_ms = 0;
    if (start == NULL || start[0] == '\0')
        return 0;
    int64_t ms;
    if (time_parse_rfc3339(start, &ms) != 0)
        return fb_error_set(
            err, FB_ERR_INVALID,
            "FLEETBOT_NOW is not an RFC 3339 instant (e.g. 2026-11-20T16:50:00+01:00)");
    c->offset_ms = ms - time_real_ms();
    return 0;
}

int64_t fb_clock_now_ms(const struct fb_clock *c)
{
    return time_real_ms() + c->offset_ms;
}
