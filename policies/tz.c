/*
 * tz.c - TZif parsing (RFC 8536) and instant <-> local time conversion. The data arrays
 * answer for the past and the near future; the footer's POSIX rule answers after the
 * last transition. Leap-second records are skipped: fleetbot works in POSIX time.
 */
#include "tz.h"

#include "bot/alloc.h"
#include "bot/err.h"
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_OFFSET_LIMIT (26 * 3600) /* |offset| beyond a day and two hours is nonsense */

/* ---- reading big-endian fields ---------------------------------------------------- */

struct reader {
    const uint8_t *p;
    size_t left;
};

static bool take(struct reader *r, size_t n, const uint8_t **out)
{
    if (r->left < n)
        return false;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return true;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | (uint64_t)be32(p + 4));
}

struct header {
    char version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static bool read_header(struct reader *r, struct header *h)
{
    const uint8_t *p;
    if (!take(r, 44, &p) || memcmp(p, "TZif", 4) != 0)
        return false;
    h->version = (char)p[4];
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    return true;
}

static size_t block_size(const struct header *h, size_t tsize)
{
    return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads one data block (times of tsize bytes) into z. */
static int read_block(struct reader *r, const struct header *h, size_t tsize, struct tz_zone *z,
                      struct fb_error *err)
{
    if (h->timecnt > TZ_TRANS_MAX || h->typecnt == 0 || h->typecnt > TZ_TYPES_MAX ||
        h->charcnt == 0 || h->leapcnt > 100000 || (h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
        (h->isutcnt != 0 && h->isutcnt != h->typecnt))
        return fb_error_set(err, FB_ERR_INVALID, "time zone %s: implausible TZif counts", z->name);
    const uint8_t *times, *idx, *types, *rest;
    if (!take(r, (size_t)h->timecnt * tsize, &times) || !take(r, h->timecnt, &idx) ||
        !take(r, (size_t)h->typecnt * 6, &types) ||
        !take(r, h->charcnt + (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt, &rest))
        return fb_error_set(err, FB_ERR_INVALID, "time zone %s: TZif data truncated", z->name);
    z->ntrans = h->timecnt;
    z->ntypes = h->typecnt;
    z->trans_at = xcalloc(z->ntrans ? z->ntrans : 1, sizeof(int64_t));
    z->trans_type = xcalloc(z->ntrans ? z->ntrans : 1, 1);
    z->type_offset = xcalloc(z->ntypes, sizeof(int32_t));
    for (size_t i = 0; i < z->ntypes; i++) {
        int32_t off = (int32_t)be32(types + 6 * i);
        if (off < -TZ_OFFSET_LIMIT || off > TZ_OFFSET_LIMIT || types[6 * i + 4] > 1 ||
            types[6 * i + 5] >= h->charcnt)
            return fb_error_set(err, FB_ERR_INVALID, "time zone %s: bad local time type", z->name);
        z->type_offset[i] = off;
    }
    for (size_t i = 0; i < z->ntrans; i++) {
        z->trans_at[i] = tsize == 8 ? be64(times + 8 * i) : (int64_t)(int32_t)be32(times + 4 * i);
        z->trans_type[i] = idx[i];
        if (idx[i] >= z->ntypes || (i > 0 && z->trans_at[i] <= z->trans_at[i - 1]))
            return fb_error_set(err, FB_ERR_INVALID, "time zone %s: bad transition %zu", z->name,
                                i);
    }
    return 0;
}

static void clear(struct tz_zone *z)
{
    free(z->trans_at);
    free(z->trans_type);
    free(z->type_offset);
    z->trans_at = NULL;
    z->trans_type = NULL;
    z->type_offset = NULL;
    z->ntrans = z->ntypes = 0;
    z->has_rule = false;
}

int tz_parse(const char *name, const uint8_t *data, size_t len, struct tz_zone *z,
             struct fb_error *err)
{
    memset(z, 0, sizeof(*z));
    snprintf(z->name, sizeof(z->name), "%s", name ? name : "?");
    if (len > TZ_DATA_MAX)
        return fb_error_set(err, FB_ERR_INVALID, "time zone %s: TZif data too large", z->name);
    struct reader r = {data, len};
    struct header h;
    if (!read_header(&r, &h))
        return fb_error_set(err, FB_ERR_INVALID, "time zone %s: not TZif data", z->name);
    int rc;
    if (h.version == 0) {
        if ((rc = read_block(&r, &h, 4, z, err)) != 0)
            goto fail;
        return 0;
    }
    /* version 2+: skip the 32-bit block, read the 64-bit one and the footer */
    const uint8_t *skip;
    if (h.timecnt > TZ_TRANS_MAX || h.typecnt > TZ_TYPES_MAX || h.leapcnt > 100000 ||
        !take(&r, block_size(&h, 4), &skip) || !read_header(&r, &h)) {
        rc = fb_error_set(err, FB_ERR_INVALID, "time zone %s: TZif data truncated", z->name);
        goto fail;
    }
    if ((rc = read_block(&r, &h, 8, z, err)) != 0)
        goto fail;
    const uint8_t *nl;
    if (!take(&r, 1, &nl) || *nl != '\n') {
        rc = fb_error_set(err, FB_ERR_INVALID, "time zone %s: TZif footer missing", z->name);
        goto fail;
    }
    const uint8_t *end = memchr(r.p, '\n', r.left);
    if (end == NULL) {
        rc = fb_error_set(err, FB_ERR_INVALID, "time zone %s: TZif footer unterminated", z->name);
        goto fail;
    }
    size_t flen = (size_t)(end - r.p);
    if (flen > 0) {
        if (tz_posix_parse((const char *)r.p, flen, &z->rule) != 0) {
            rc = fb_error_set(err, FB_ERR_INVALID, "time zone %s: bad POSIX TZ footer", z->name);
            goto fail;
        }
        z->has_rule = true;
    }
    return 0;
fail:
    clear(z);
    return rc;
}

void tz_fixed(struct tz_zone *z, const char *name, int32_t offset)
{
    memset(z, 0, sizeof(*z));
    snprintf(z->name, sizeof(z->name), "%s", name);
    z->ntypes = 1;
    z->type_offset = xcalloc(1, sizeof(int32_t));
    z->type_offset[0] = offset;
}

void tz_free(struct tz_zone *z)
{
    if (z)
        clear(z);
}

/* ---- POSIX TZ strings ------------------------------------------------------------- */

struct scan {
    const char *p, *end;
};

static bool scan_name(struct scan *s)
{
    if (s->p < s->end && *s->p == '<') {
        const char *q = s->p + 1;
        while (q < s->end && *q != '>')
            q++;
        if (q >= s->end || q - s->p < 4)
            return false;
        s->p = q + 1;
        return true;
    }
    const char *q = s->p;
    while (q < s->end && ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')))
        q++;
    if (q - s->p < 3)
        return false;
    s->p = q;
    return true;
}

static bool scan_num(struct scan *s, int max, int *out)
{
    int v = 0, digits = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && digits < 3) {
        v = v * 10 + (*s->p - '0');
        s->p++;
        digits++;
    }
    if (digits == 0 || v > max)
        return false;
    *out = v;
    return true;
}

/* [+-]hh[:mm[:ss]] in seconds, hours up to max_h. */
static bool scan_hms(struct scan *s, int max_h, int32_t *out)
{
    int sign = 1, h, m = 0, sec = 0;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
        sign = *s->p == '-' ? -1 : 1;
        s->p++;
    }
    if (!scan_num(s, max_h, &h))
        return false;
    if (s->p < s->end && *s->p == ':') {
        s->p++;
        if (!scan_num(s, 59, &m))
            return false;
        if (s->p < s->end && *s->p == ':') {
            s->p++;
            if (!scan_num(s, 59, &sec))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
}

static bool scan_date(struct scan *s, struct tz_posix_date *d)
{
    memset(d, 0, sizeof(*d));
    d->time = 2 * 3600;
    if (s->p >= s->end)
        return false;
    if (*s->p == 'M') {
        s->p++;
        d->kind = 'M';
        if (!scan_num(s, 12, &d->month) || d->month < 1 || s->p >= s->end || *s->p++ != '.' ||
            !scan_num(s, 5, &d->week) || d->week < 1 || s->p >= s->end || *s->p++ != '.' ||
            !scan_num(s, 6, &d->weekday))
            return false;
    } else if (*s->p == 'J') {
        s->p++;
        d->kind = 'J';
        if (!scan_num(s, 365, &d->day) || d->day < 1)
            return false;
    } else {
        d->kind = 'N';
        if (!scan_num(s, 365, &d->day))
            return false;
    }
    if (s->p < s->end && *s->p == '/') {
        s->p++;
        if (!scan_hms(s, 167, &d->time))
            return false;
    }
    return true;
}

int tz_posix_parse(const char *str, size_t n, struct tz_posix_rule *out)
{
    struct scan s = {str, str + n};
    memset(out, 0, sizeof(*out));
    int32_t west;
    if (!scan_name(&s) || !scan_hms(&s, 24, &west))
        return -1;
    out->std_offset = -west;
    if (s.p == s.end)
        return 0;
    if (!scan_name(&s))
        return -1;
    out->has_dst = true;
    out->dst_offset = out->std_offset + 3600;
    if (s.p < s.end && *s.p != ',') {
        if (!scan_hms(&s, 24, &west))
            return -1;
        out->dst_offset = -west;
    }
    if (s.p == s.end) { /* no rule: the POSIX default, US rules */
        out->start = (struct tz_posix_date){'M', 3, 2, 0, 0, 7200};
        out->end = (struct tz_posix_date){'M', 11, 1, 0, 0, 7200};
        return 0;
    }
    if (*s.p++ != ',' || !scan_date(&s, &out->start) || s.p >= s.end || *s.p++ != ',' ||
        !scan_date(&s, &out->end) || s.p != s.end)
        return -1;
    return 0;
}

static int64_t posix_date_days(const struct tz_posix_date *d, int32_t year)
{
    int64_t jan1 = cal_days_from_date(year, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->day - 1 + (cal_is_leap(year) && d->day >= 60);
    if (d->kind == 'N')
        return jan1 + d->day;
    int64_t first = cal_days_from_date(year, d->month, 1);
    int64_t day = first + (d->weekday - cal_weekday(first) + 7) % 7 + (int64_t)(d->week - 1) * 7;
    int64_t last = first + cal_month_days(year, d->month) - 1;
    while (day > last)
        day -= 7;
    return day;
}

/* The rule's transitions of `year`: [0] into DST, [1] back to standard time (UTC). */
static void rule_year(const struct tz_posix_rule *r, int32_t year, int64_t out[2])
{
    out[0] = posix_date_days(&r->start, year) * CAL_DAY_S + r->start.time - r->std_offset;
    out[1] = posix_date_days(&r->end, year) * CAL_DAY_S + r->end.time - r->dst_offset;
}

static int32_t rule_offset_at(const struct tz_posix_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_offset;
    int32_t year = cal_date_from_days(cal_floor_div(t + r->std_offset, CAL_DAY_S)).year;
    int64_t best_at = INT64_MIN;
    int32_t best = r->std_offset;
    for (int32_t y = year - 1; y <= year + 1; y++) {
        int64_t tr[2];
        rule_year(r, y, tr);
        for (int i = 0; i < 2; i++) {
            if (tr[i] <= t && tr[i] > best_at) {
                best_at = tr[i];
                best = i == 0 ? r->dst_offset : r->std_offset;
            }
        }
    }
    return best;
}

/* ---- queries ---------------------------------------------------------------------- */

/* Index of the last transition at or before t, or -1. */
static long last_trans(const struct tz_zone *z, int64_t t)
{
    long lo = 0, hi = (long)z->ntrans - 1, found = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (z->trans_at[mid] <= t) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

int32_t tz_offset_at(const struct tz_zone *z, int64_t t)
{
    if (z->ntrans == 0 || t < z->trans_at[0]) {
        if (z->ntrans == 0 && z->has_rule)
            return rule_offset_at(&z->rule, t);
        return z->ntypes ? z->type_offset[0] : 0;
    }
    if (z->has_rule && t >= z->trans_at[z->ntrans - 1])
        return rule_offset_at(&z->rule, t);
    return z->type_offset[z->trans_type[last_trans(z, t)]];
}

int64_t tz_to_local(const struct tz_zone *z, int64_t t)
{
    return t + tz_offset_at(z, t);
}

int64_t tz_next_change(const struct tz_zone *z, int64_t t)
{
    long i = last_trans(z, t) + 1;
    for (; i < (long)z->ntrans; i++) {
        int64_t at = z->trans_at[i];
        if (tz_offset_at(z, at) != tz_offset_at(z, at - 1))
            return at;
    }
    if (!z->has_rule || !z->rule.has_dst || z->rule.dst_offset == z->rule.std_offset)
        return INT64_MAX;
    int64_t from = t;
    if (z->ntrans > 0 && z->trans_at[z->ntrans - 1] > from)
        from = z->trans_at[z->ntrans - 1];
    int32_t year = cal_date_from_days(cal_floor_div(from, CAL_DAY_S)).year;
    int64_t best = INT64_MAX;
    for (int32_t y = year - 1; y <= year + 2; y++) {
        int64_t tr[2];
        rule_year(&z->rule, y, tr);
        for (int k = 0; k < 2; k++)
            if (tr[k] > from && tr[k] < best &&
                tz_offset_at(z, tr[k]) != tz_offset_at(z, tr[k] - 1))
                best = tr[k];
    }
    return best;
}

int64_t tz_from_local(const struct tz_zone *z, int64_t local)
{
    /* Any answer u satisfies u = local - offset with |offset| <= 26 h, so only the offsets
     * in force within that window can be it. */
    int64_t lo = local - TZ_OFFSET_LIMIT, hi = local + TZ_OFFSET_LIMIT;
    int64_t best = INT64_MAX;
    int64_t at = lo;
    for (int guard = 0; guard < 64 && at <= hi; guard++) {
        int32_t off = tz_offset_at(z, at);
        int64_t u = local - off;
        if (tz_offset_at(z, u) == off && u < best)
            best = u;
        int64_t next = tz_next_change(z, at);
        if (next == INT64_MAX)
            break;
        at = next;
    }
    if (best != INT64_MAX)
        return best;
    /* a gap: the first change whose local time after it reaches `local` */
    at = lo;
    for (int guard = 0; guard < 64; guard++) {
        int64_t c = tz_next_change(z, at);
        if (c == INT64_MAX || c > hi)
            break;
        if (c + tz_offset_at(z, c) >= local)
            return c;
        at = c;
    }
    return local - tz_offset_at(z, local);
}
