/*
 * test_schedule.c - table tests of the working schedule and its three gates (weekend,
 * holiday, working hours) in real IANA zones: a Friday afternoon in Stockholm, a window
 * crossing midnight in New York, a holiday ending at local midnight, windows on the days
 * DST starts (including one opening inside the gap), Lord Howe's 30-minute DST, Nepal's
 * +05:45 and Saturday-only weekend. Expected instants are written in UTC by hand.
 */
#include "test.h"
#include "zone_fixture.h"

#include "bot/err.h"
#include "policies/calendar.h"
#include "policies/gates.h"
#include "policies/schedule.h"
#include "policies/tz.h"

#include <stdio.h>
#include <stdlib.h>

#define SAT_SUN ((1u << 0) | (1u << 6))

static int64_t at(int y, int mo, int d, int h, int mi)
{
    return cal_days_from_date(y, mo, d) * CAL_DAY_S + h * 3600 + mi * 60;
}

static int64_t day(int y, int mo, int d)
{
    return cal_days_from_date(y, mo, d);
}

static struct team_schedule team(const char *tzname, int start_h, int end_h, unsigned weekend)
{
    struct team_schedule s = {.team = "core",
                              .zone = zone(tzname),
                              .start_min = start_h * 60,
                              .end_min = end_h * 60,
                              .weekend = (uint8_t)weekend};
    return s;
}

static void done(struct team_schedule *s)
{
    tz_free((struct tz_zone *)s->zone);
    free((void *)s->zone);
}

/* one row: at `now`, open or not, and the instant it (next) opens / closes */
static void expect(const struct team_schedule *s, int64_t now, bool open, int64_t when,
                   int64_t closes)
{
    struct schedule_answer a;
    schedule_query(s, now, &a);
    CHECK_INT_EQ(a.open, open);
    CHECK_INT_EQ(a.at, open ? now : when);
    if (closes)
        CHECK_INT_EQ(a.closes, closes);
}

TEST(stockholm_friday_afternoon_and_weekend)
{
    struct team_schedule s = team("Europe/Stockholm", 9, 17, SAT_SUN);
    expect(&s, at(2026, 11, 27, 15, 50), true, 0, at(2026, 11, 27, 16, 0)); /* Fri 16:50 */
    expect(&s, at(2026, 11, 27, 16, 0), false, at(2026, 11, 30, 8, 0), 0);  /* Fri 17:00 */
    expect(&s, at(2026, 11, 28, 12, 0), false, at(2026, 11, 30, 8, 0), 0);  /* Saturday */
    expect(&s, at(2026, 11, 30, 7, 59), false, at(2026, 11, 30, 8, 0), 0);  /* Mon 08:59 */
    int64_t monday[] = {day(2026, 11, 30)};
    s.holidays = monday;
    s.nholidays = 1;
    expect(&s, at(2026, 11, 27, 16, 0), false, at(2026, 12, 1, 8, 0), 0); /* to Tuesday */
    done(&s);
}

TEST(window_crossing_midnight)
{
    struct team_schedule s = team("America/New_York", 22, 6, SAT_SUN);
    expect(&s, at(2026, 11, 28, 4, 30), true, 0, at(2026, 11, 28, 11, 0)); /* Fri 23:30 */
    expect(&s, at(2026, 11, 28, 8, 0), true, 0, at(2026, 11, 28, 11, 0));  /* Sat 03:00 */
    /* Sat 22:30: Saturday's and Sunday's windows never open; Monday 22:00 does */
    expect(&s, at(2026, 11, 29, 3, 30), false, at(2026, 12, 1, 3, 0), 0);
    done(&s);
}

TEST(holiday_is_a_whole_local_day_ending_at_midnight)
{
    struct team_schedule s = team("Europe/Stockholm", 9, 17, SAT_SUN);
    int64_t eve[] = {day(2026, 12, 24)};
    s.holidays = eve;
    s.nholidays = 1;
    expect(&s, at(2026, 12, 24, 9, 0), false, at(2026, 12, 25, 8, 0), 0);   /* 10:00 local */
    expect(&s, at(2026, 12, 24, 22, 59), false, at(2026, 12, 25, 8, 0), 0); /* 23:59 local */
    done(&s);

    /* a night window running into a holiday closes at that midnight */
    struct team_schedule n = team("Europe/Stockholm", 22, 6, 0);
    int64_t xmas[] = {day(2026, 12, 25)};
    n.holidays = xmas;
    n.nholidays = 1;
    expect(&n, at(2026, 12, 24, 22, 30), true, 0, at(2026, 12, 24, 23, 0));
    expect(&n, at(2026, 12, 24, 23, 30), false, at(2026, 12, 26, 21, 0), 0);
    done(&n);
}

TEST(windows_on_the_day_dst_starts)
{
    /* 01:00-05:00 on 2026-03-29 is only three real hours: 00:00-03:00 UTC */
    struct team_schedule s = team("Europe/Stockholm", 1, 5, 0);
    expect(&s, at(2026, 3, 29, 2, 59), true, 0, at(2026, 3, 29, 3, 0));
    expect(&s, at(2026, 3, 29, 3, 0), false, at(2026, 3, 29, 23, 0), 0);
    done(&s);
    /* a window opening at 02:30, inside the gap, opens when the gap ends (03:00 CEST) */
    struct team_schedule g = team("Europe/Stockholm", 2, 4, 0);
    g.start_min = 150;
    expect(&g, at(2026, 3, 29, 0, 59), false, at(2026, 3, 29, 1, 0), at(2026, 3, 29, 2, 0));
    done(&g);
    /* New York's fall back: 00:00-01:30 ends at the first 01:30 (EDT) */
    struct team_schedule ny = team("America/New_York", 0, 1, 0);
    ny.end_min = 90;
    expect(&ny, at(2026, 11, 1, 5, 0), true, 0, at(2026, 11, 1, 5, 30));
    done(&ny);
}

TEST(lord_howe_and_kathmandu)
{
    struct team_schedule lh = team("Australia/Lord_Howe", 9, 17, SAT_SUN);
    /* Sunday 2026-10-04 23:00 local (+11 since 02:00): Monday 09:00 is 22:00 UTC */
    expect(&lh, at(2026, 10, 4, 12, 0), false, at(2026, 10, 4, 22, 0), 0);
    /* the Friday before, still +10:30: 09:00 is 22:30 UTC Thursday */
    expect(&lh, at(2026, 10, 1, 22, 30), true, 0, at(2026, 10, 2, 6, 30));
    done(&lh);
    struct team_schedule kt = team("Asia/Kathmandu", 9, 17, 1u << 6);        /* Saturday only */
    expect(&kt, at(2026, 11, 28, 4, 15), false, at(2026, 11, 29, 3, 15), 0); /* Sat 10:00 */
    expect(&kt, at(2026, 11, 29, 3, 15), true, 0, at(2026, 11, 29, 11, 15)); /* Sun 09:00 */
    done(&kt);
}

TEST(no_window_at_all)
{
    struct team_schedule s = team("UTC", 9, 17, 0x7f);
    expect(&s, at(2026, 11, 27, 12, 0), false, INT64_MAX, 0);
    struct pr_facts f = {.schedule = &s};
    struct gate_result r;
    gate_working_hours(&f, at(2026, 11, 27, 12, 0) * 1000, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, 0); /* nothing to schedule: an event (a config change) wakes it */
    CHECK_CONTAINS(r.reason, "never");
    done(&s);
}

TEST(gates_speak_the_same_instant)
{
    struct team_schedule s = team("Europe/Stockholm", 9, 17, SAT_SUN);
    int64_t monday[] = {day(2026, 11, 30)};
    const char *names[] = {"Day of the Test"};
    s.holidays = monday;
    s.holiday_names = names;
    s.nholidays = 1;
    struct pr_facts f = {.schedule = &s};
    struct gate_result r;
    int64_t sat = at(2026, 11, 28, 12, 0) * 1000;
    gate_weekend(&f, sat, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, at(2026, 12, 1, 8, 0) * 1000);
    CHECK_CONTAINS(r.reason, "Saturday is a weekend day for team core");
    CHECK_CONTAINS(r.reason, "Tue 2026-12-01 09:00 Europe/Stockholm");
    gate_holiday(&f, sat, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    gate_working_hours(&f, sat, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, at(2026, 12, 1, 8, 0) * 1000);
    CHECK_CONTAINS(r.reason, "09:00-17:00");
    int64_t mon = at(2026, 11, 30, 10, 0) * 1000;
    gate_holiday(&f, mon, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_CONTAINS(r.reason, "2026-11-30 is a holiday for team core (Day of the Test)");
    gate_working_hours(&f, at(2026, 12, 1, 10, 0) * 1000, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    CHECK_CONTAINS(r.reason, "until Tue 2026-12-01 17:00");
    done(&s);
}

TEST(parsing_times_and_weekdays)
{
    int m;
    CHECK_INT_EQ(schedule_parse_hhmm("09:30", 5, &m), 0);
    CHECK_INT_EQ(m, 570);
    CHECK_INT_EQ(schedule_parse_hhmm("24:00", 5, &m), 0);
    CHECK_INT_EQ(m, 1440);
    static const char *bad[] = {"24:01", "9:30", "09-30", "25:00", "09:60", "0a:00", "09:300"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT_EQ(schedule_parse_hhmm(bad[i], strlen(bad[i]), &m), -1);
    CHECK_INT_EQ(schedule_parse_weekday("sat", 3), 6);
    CHECK_INT_EQ(schedule_parse_weekday("Sunday", 6), 0);
    CHECK_INT_EQ(schedule_parse_weekday("FRI", 3), 5);
    CHECK_INT_EQ(schedule_parse_weekday("fr", 2), -1);
    CHECK_INT_EQ(schedule_parse_weekday("satur", 5), -1);
}

/* Opt-out notices: N working days before the last opted-out day, at the window's opening
 * in the team's zone; weekends and holidays are not counted. Expected instants by hand. */
TEST(opt_out_notice_counts_working_days)
{
    struct team_schedule s = team("Europe/Stockholm", 9, 17, SAT_SUN);
    /* opted out through Tue 2026-12-08 (until = Wed 00:00 CET = Tue 23:00 UTC) */
    int64_t until = at(2026, 12, 8, 23, 0) * 1000;
    /* 3 working days before Tue: Mon 7, Fri 4, Thu 3 -> Thu 09:00 CET = 08:00 UTC */
    CHECK_INT_EQ(opt_out_notice_at(&s, until, 3), at(2026, 12, 3, 8, 0) * 1000);
    CHECK_INT_EQ(opt_out_notice_at(&s, until, 1), at(2026, 12, 7, 8, 0) * 1000);
    /* Monday a holiday: Fri 4, Thu 3, Wed 2 */
    int64_t hol[] = {day(2026, 12, 7)};
    s.holidays = hol;
    s.nholidays = 1;
    CHECK_INT_EQ(opt_out_notice_at(&s, until, 3), at(2026, 12, 2, 8, 0) * 1000);
    CHECK_INT_EQ(opt_out_notice_at(&s, until, 0), INT64_MAX);
    /* across the end of DST: through Tue 2026-10-27 (CET), 2 working days -> Fri 23 (CEST) */
    s.nholidays = 0;
    CHECK_INT_EQ(opt_out_notice_at(&s, at(2026, 10, 27, 23, 0) * 1000, 2),
                 at(2026, 10, 23, 7, 0) * 1000);
    /* without a schedule: UTC calendar days at midnight */
    CHECK_INT_EQ(opt_out_notice_at(NULL, at(2026, 12, 9, 0, 0) * 1000, 3),
                 at(2026, 12, 5, 0, 0) * 1000);
    done(&s);
}
