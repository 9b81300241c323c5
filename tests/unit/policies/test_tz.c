/*
 * test_tz.c - TZif parsing and conversions against the system's IANA data (tzdata):
 * DST starts and ends in Europe/Stockholm, America/New_York, Australia/Lord_Howe (a
 * 30-minute DST) and Asia/Kathmandu (+05:45); far-future years served by the POSIX
 * footer; local times in gaps and overlaps; POSIX TZ strings; and malformed TZif data.
 * Expected instants were computed independently with Python's zoneinfo.
 */
#include "test.h"

#include "bot/err.h"
#include "policies/calendar.h"
#include "policies/tz.h"

#include <stdio.h>
#include <stdlib.h>

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *data = malloc(TZ_DATA_MAX);
    *len = fread(data, 1, TZ_DATA_MAX, f);
    fclose(f);
    return data;
}

static bool load(const char *name, struct tz_zone *z)
{
    char path[256];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    size_t len = 0;
    uint8_t *data = read_file(path, &len);
    struct fb_error err = {0};
    int rc = data ? tz_parse(name, data, len, z, &err) : -1;
    free(data);
    if (rc != 0)
        fprintf(stderr, "  cannot load %s: %s\n", name, data ? err.msg : "no file (tzdata?)");
    return rc == 0;
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return cal_days_from_date(y, mo, d) * CAL_DAY_S + h * 3600 + mi * 60;
}

/* offset just before and at a transition, and tz_next_change finds it */
static void check_change(const char *zone, int64_t at, int32_t before, int32_t after)
{
    struct tz_zone z;
    CHECK(load(zone, &z));
    CHECK_INT_EQ(tz_offset_at(&z, at - 1), before);
    CHECK_INT_EQ(tz_offset_at(&z, at), after);
    CHECK_INT_EQ(tz_next_change(&z, at - 3600), at);
    tz_free(&z);
}

TEST(stockholm_dst_start_and_end)
{
    check_change("Europe/Stockholm", 1774746000, 3600, 7200); /* 2026-03-29 02:00 CET */
    check_change("Europe/Stockholm", 1792890000, 7200, 3600); /* 2026-10-25 03:00 CEST */
}

TEST(new_york_dst_start_and_end)
{
    check_change("America/New_York", 1772953200, -18000, -14400);
    check_change("America/New_York", 1793512800, -14400, -18000);
}

TEST(lord_howe_half_hour_dst)
{
    check_change("Australia/Lord_Howe", 1791041400, 37800, 39600); /* +10:30 -> +11 */
    check_change("Australia/Lord_Howe", 1775314800, 39600, 37800);
}

TEST(kathmandu_quarter_hour_offset)
{
    struct tz_zone z;
    CHECK(load("Asia/Kathmandu", &z));
    CHECK_INT_EQ(tz_offset_at(&z, 1780272000), 20700);
    CHECK_INT_EQ(tz_next_change(&z, 1780272000), INT64_MAX);
    /* 09:00 local on 2026-06-01 is 03:15 UTC */
    CHECK_INT_EQ(tz_from_local(&z, utc(2026, 6, 1, 9, 0)), utc(2026, 6, 1, 3, 15));
    tz_free(&z);
}

TEST(far_future_years_follow_the_footer_rule)
{
    struct tz_zone z;
    CHECK(load("Europe/Stockholm", &z));
    CHECK_INT_EQ(tz_offset_at(&z, 4118083200), 7200); /* 2100-07-01 */
    CHECK_INT_EQ(tz_offset_at(&z, 4102444800), 3600); /* 2100-01-01 */
    /* last Sunday of March 2100 is the 28th: 01:00 UTC */
    CHECK_INT_EQ(tz_next_change(&z, utc(2100, 3, 1, 0, 0)), utc(2100, 3, 28, 1, 0));
    tz_free(&z);
    CHECK(load("Australia/Lord_Howe", &z));
    CHECK_INT_EQ(tz_offset_at(&z, 3786912000), 39600); /* 2090-01-01, southern summer */
    tz_free(&z);
    CHECK(load("America/New_York", &z));
    CHECK_INT_EQ(tz_offset_at(&z, -615513600), -14400); /* 1950-07-01, from the data */
    tz_free(&z);
}

TEST(local_times_in_gaps_and_overlaps)
{
    struct tz_zone z;
    CHECK(load("Europe/Stockholm", &z));
    /* 02:30 on 2026-03-29 does not exist: the gap ends at 01:00 UTC (03:00 CEST) */
    CHECK_INT_EQ(tz_from_local(&z, utc(2026, 3, 29, 2, 30)), utc(2026, 3, 29, 1, 0));
    /* 02:30 on 2026-10-25 happens twice: the earlier is 00:30 UTC (CEST) */
    CHECK_INT_EQ(tz_from_local(&z, utc(2026, 10, 25, 2, 30)), utc(2026, 10, 25, 0, 30));
    /* an ordinary time */
    CHECK_INT_EQ(tz_from_local(&z, utc(2026, 11, 27, 17, 0)), utc(2026, 11, 27, 16, 0));
    CHECK_INT_EQ(tz_to_local(&z, utc(2026, 11, 27, 16, 0)), utc(2026, 11, 27, 17, 0));
    tz_free(&z);
    CHECK(load("Australia/Lord_Howe", &z));
    /* 02:15 local on 2026-10-04 falls in the 30-minute gap: it ends at 15:30 UTC */
    CHECK_INT_EQ(tz_from_local(&z, utc(2026, 10, 4, 2, 15)), utc(2026, 10, 3, 15, 30));
    tz_free(&z);
}

TEST(posix_rules)
{
    struct tz_posix_rule r;
    CHECK_INT_EQ(tz_posix_parse("CET-1CEST,M3.5.0,M10.5.0/3", 26, &r), 0);
    CHECK_INT_EQ(r.std_offset, 3600);
    CHECK_INT_EQ(r.dst_offset, 7200);
    CHECK_INT_EQ(r.end.time, 3 * 3600);
    const char *lh = "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0";
    CHECK_INT_EQ(tz_posix_parse(lh, strlen(lh), &r), 0);
    CHECK_INT_EQ(r.std_offset, 37800);
    CHECK_INT_EQ(r.dst_offset, 39600);
    CHECK_INT_EQ(tz_posix_parse("<+0545>-5:45", 12, &r), 0);
    CHECK_INT_EQ(r.std_offset, 20700);
    CHECK(!r.has_dst);
    CHECK_INT_EQ(tz_posix_parse("EST5EDT,J60/-1,300/25", 21, &r), 0);
    CHECK_INT_EQ(r.start.time, -3600);
    CHECK_INT_EQ(r.end.time, 25 * 3600);
    static const char *bad[] = {"",
                                "C-1",
                                "CET",
                                "CET-1CEST,M13.1.0,M10.5.0",
                                "CET-1CEST,M3.6.0,M10.5.0",
                                "CET-1CEST,M3.5.7,M10.5.0",
                                "CET-1CEST,M3.5.0",
                                "<+01-1",
                                "CET-1CEST,J0,J365",
                                "CET-99",
                                "CET-1CEST,M3.5.0,M10.5.0x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT_EQ(tz_posix_parse(bad[i], strlen(bad[i]), &r), -1);
}

TEST(malformed_tzif_is_refused)
{
    size_t len = 0;
    uint8_t *good = read_file("/usr/share/zoneinfo/Europe/Stockholm", &len);
    CHECK(good != NULL && len > 100);
    if (good == NULL)
        return;
    struct tz_zone z;
    struct fb_error err = {0};
    CHECK_INT_EQ(tz_parse("empty", good, 0, &z, &err), FB_ERR_INVALID);
    uint8_t *copy = malloc(len);
    memcpy(copy, good, len);
    copy[0] = 'X'; /* magic */
    err = (struct fb_error){0};
    CHECK_INT_EQ(tz_parse("magic", copy, len, &z, &err), FB_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "not TZif");
    for (size_t cut = 10; cut < len; cut += len / 7) { /* truncated anywhere */
        err = (struct fb_error){0};
        CHECK_INT_EQ(tz_parse("cut", good, cut, &z, &err), FB_ERR_INVALID);
    }
    memcpy(copy, good, len);
    copy[32] = 0x7f; /* timecnt of the v1 block: absurd */
    err = (struct fb_error){0};
    CHECK_INT_EQ(tz_parse("counts", copy, len, &z, &err), FB_ERR_INVALID);
    memcpy(copy, good, len);
    copy[len - 3] = '!'; /* the POSIX footer */
    err = (struct fb_error){0};
    CHECK_INT_EQ(tz_parse("footer", copy, len, &z, &err), FB_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "footer");
    err = (struct fb_error){0};
    CHECK_INT_EQ(tz_parse("ok", good, len, &z, &err), 0);
    tz_free(&z);
    free(copy);
    free(good);
}

TEST(calendar_round_trips)
{
    CHECK_INT_EQ(cal_days_from_date(1970, 1, 1), 0);
    CHECK_INT_EQ(cal_weekday(cal_days_from_date(2026, 11, 27)), 5); /* a Friday */
    CHECK_INT_EQ(cal_days_from_date(2000, 3, 1) - cal_days_from_date(2000, 2, 28), 2);
    CHECK_INT_EQ(cal_days_from_date(2100, 3, 1) - cal_days_from_date(2100, 2, 28), 1);
    for (int64_t d = -800000; d < 800000; d += 997) {
        struct cal_date c = cal_date_from_days(d);
        if (cal_days_from_date(c.year, c.month, c.day) != d) {
            CHECK_INT_EQ(cal_days_from_date(c.year, c.month, c.day), d);
            break;
        }
    }
    int64_t days;
    CHECK_INT_EQ(cal_parse_date("2026-02-29", 10, &days), -1);
    CHECK_INT_EQ(cal_parse_date("2028-02-29", 10, &days), 0);
    CHECK_INT_EQ(cal_parse_date("2026-1-01", 9, &days), -1);
    CHECK_INT_EQ(cal_parse_date("2026-13-01", 10, &days), -1);
    CHECK_INT_EQ(cal_parse_date("2026-12-01", 10, &days), 0);
    CHECK_INT_EQ(days, cal_days_from_date(2026, 12, 1));
}
