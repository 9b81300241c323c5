/*
 * test_critical.c - table tests of the critical-tier gate in real IANA zones: the narrower
 * window at its first and last minute, across a weekend and a holiday, on the weekends
 * Stockholm's clocks change (and a window opening inside the skipped hour), a window
 * crossing midnight in New York, an overlap with the team's own window; approvals and
 * lower-tier PRs at 0, 1, many and unknown; which constraint a reason names when several
 * fail; and everything passing. Expected instants are written in UTC by hand.
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

/* UTC ms of a UTC wall time */
static int64_t at(int y, int mo, int d, int h, int mi)
{
    return (cal_days_from_date(y, mo, d) * CAL_DAY_S + h * 3600 + mi * 60) * 1000;
}

static struct team_schedule team(const char *tzname, int start_min, int end_min, unsigned weekend)
{
    struct team_schedule s = {.team = "core",
                              .zone = zone(tzname),
                              .start_min = start_min,
                              .end_min = end_min,
                              .weekend = (uint8_t)weekend};
    return s;
}

static void done(struct team_schedule *s)
{
    tz_free((struct tz_zone *)s->zone);
    free((void *)s->zone);
}

static struct critical_fact hours_only(int start_min, int end_min)
{
    return (struct critical_fact){.tier = "critical",
                                  .has_hours = true,
                                  .start_min = start_min,
                                  .end_min = end_min,
                                  .approvals = -1,
                                  .lower_tiers_open = -1};
}

/* one row: at now, the verdict, the instant it waits for (WAIT) and a piece of the reason */
static void expect(const struct pr_facts *f, int64_t now, enum verdict v, int64_t until,
                   const char *reason)
{
    struct gate_result r;
    gate_critical(f, now, &r);
    CHECK_INT_EQ(r.verdict, v);
    if (v == VERDICT_WAIT)
        CHECK_INT_EQ(r.until_ms, until);
    if (reason)
        CHECK_CONTAINS(r.reason, reason);
}

TEST(not_a_critical_repository_passes)
{
    struct pr_facts f = {0};
    expect(&f, at(2026, 11, 27, 3, 0), VERDICT_PASS, 0, "not a critical repository");
}

TEST(window_edges_in_stockholm)
{
    /* team 09:00-17:00, critical 10:00-15:00; November is CET (UTC+1); Fri 2026-11-27 */
    struct team_schedule s = team("Europe/Stockholm", 9 * 60, 17 * 60, SAT_SUN);
    struct critical_fact c = hours_only(10 * 60, 15 * 60);
    struct pr_facts f = {.schedule = &s, .critical = &c};
    expect(&f, at(2026, 11, 27, 8, 59), VERDICT_WAIT, at(2026, 11, 27, 9, 0),
           "critical repository (tier critical): merges only 10:00-15:00 Europe/Stockholm; "
           "opens Fri 2026-11-27 10:00 Europe/Stockholm");
    expect(&f, at(2026, 11, 27, 8, 59) + 59999, VERDICT_WAIT, at(2026, 11, 27, 9, 0), NULL);
    expect(&f, at(2026, 11, 27, 9, 0), VERDICT_PASS, 0,
           "inside 10:00-15:00 Europe/Stockholm (until Fri 2026-11-27 15:00 Europe/Stockholm)");
    expect(&f, at(2026, 11, 27, 13, 59), VERDICT_PASS, 0, NULL); /* 14:59 */
    /* 15:00 on a Friday: the weekend is skipped */
    expect(&f, at(2026, 11, 27, 14, 0), VERDICT_WAIT, at(2026, 11, 30, 9, 0),
           "merges only 10:00-15:00 Europe/Stockholm; opens Mon 2026-11-30 10:00 "
           "Europe/Stockholm");
    expect(&f, at(2026, 11, 28, 11, 0), VERDICT_WAIT, at(2026, 11, 30, 9, 0), NULL); /* Sat */
    /* a holiday on Monday moves the opening to Tuesday */
    int64_t monday[] = {cal_days_from_date(2026, 11, 30)};
    s.holidays = monday;
    s.nholidays = 1;
    expect(&f, at(2026, 11, 27, 14, 0), VERDICT_WAIT, at(2026, 12, 1, 9, 0),
           "opens Tue 2026-12-01 10:00 Europe/Stockholm");
    done(&s);
}

TEST(stockholm_dst_weekends)
{
    struct team_schedule s = team("Europe/Stockholm", 9 * 60, 17 * 60, SAT_SUN);
    struct critical_fact c = hours_only(10 * 60, 15 * 60);
    struct pr_facts f = {.schedule = &s, .critical = &c};
    /* clocks go forward on Sun 2026-03-29: Friday 15:00 CET, Monday 10:00 CEST (UTC+2) */
    expect(&f, at(2026, 3, 27, 14, 0), VERDICT_WAIT, at(2026, 3, 30, 8, 0),
           "opens Mon 2026-03-30 10:00 Europe/Stockholm");
    expect(&f, at(2026, 3, 30, 7, 59), VERDICT_WAIT, at(2026, 3, 30, 8, 0), NULL);
    expect(&f, at(2026, 3, 30, 8, 0), VERDICT_PASS, 0,
           "(until Mon 2026-03-30 15:00 Europe/Stockholm)");
    expect(&f, at(2026, 3, 30, 12, 59), VERDICT_PASS, 0, NULL);
    expect(&f, at(2026, 3, 30, 13, 0), VERDICT_WAIT, at(2026, 3, 31, 8, 0), NULL);
    /* clocks go back on Sun 2026-10-25: Friday 15:00 CEST, Monday 10:00 CET (UTC+1) */
    expect(&f, at(2026, 10, 23, 13, 0), VERDICT_WAIT, at(2026, 10, 26, 9, 0),
           "opens Mon 2026-10-26 10:00 Europe/Stockholm");
    done(&s);

    /* on the day itself: a 02:30-04:00 window opens when the skipped hour ends, 03:00 CEST */
    struct team_schedule all = team("Europe/Stockholm", 0, 24 * 60, 0);
    struct critical_fact night = hours_only(2 * 60 + 30, 4 * 60);
    f = (struct pr_facts){.schedule = &all, .critical = &night};
    expect(&f, at(2026, 3, 29, 0, 30), VERDICT_WAIT, at(2026, 3, 29, 1, 0),
           "merges only 02:30-04:00 Europe/Stockholm; opens Sun 2026-03-29 03:00 "
           "Europe/Stockholm");
    expect(&f, at(2026, 3, 29, 1, 0), VERDICT_PASS, 0, NULL);
    expect(&f, at(2026, 3, 29, 1, 59), VERDICT_PASS, 0, NULL);
    expect(&f, at(2026, 3, 29, 2, 0), VERDICT_WAIT, at(2026, 3, 30, 0, 30), NULL);
    done(&all);
}

TEST(window_crossing_midnight_in_new_york)
{
    /* team 20:00-08:00, critical 22:00-06:00; November is EST (UTC-5) */
    struct team_schedule s = team("America/New_York", 20 * 60, 8 * 60, SAT_SUN);
    struct critical_fact c = hours_only(22 * 60, 6 * 60);
    struct pr_facts f = {.schedule = &s, .critical = &c};
    expect(&f, at(2026, 11, 28, 2, 59), VERDICT_WAIT, at(2026, 11, 28, 3, 0),
           "merges only 22:00-06:00 America/New_York; opens Fri 2026-11-27 22:00 "
           "America/New_York"); /* Fri 21:59 */
    expect(&f, at(2026, 11, 28, 3, 0), VERDICT_PASS, 0,
           "(until Sat 2026-11-28 06:00 America/New_York)");
    expect(&f, at(2026, 11, 28, 10, 59), VERDICT_PASS, 0, NULL); /* Sat 05:59: Friday's window */
    /* Sat 06:00: Saturday's and Sunday's windows never open; Monday 22:00 does */
    expect(&f, at(2026, 11, 28, 11, 0), VERDICT_WAIT, at(2026, 12, 1, 3, 0),
           "opens Mon 2026-11-30 22:00 America/New_York");
    done(&s);
}

TEST(waits_for_where_both_windows_are_open)
{
    /* critical 10:00-15:00 but the team only starts at 12:00: merges from 12:00 */
    struct team_schedule s = team("UTC", 12 * 60, 17 * 60, SAT_SUN);
    struct critical_fact c = hours_only(10 * 60, 15 * 60);
    struct pr_facts f = {.schedule = &s, .critical = &c};
    expect(&f, at(2026, 11, 30, 9, 0), VERDICT_WAIT, at(2026, 11, 30, 12, 0),
           "merges only 10:00-15:00 UTC; opens Mon 2026-11-30 12:00 UTC");
    /* inside the critical window the gate passes; working-hours is the team's gate */
    expect(&f, at(2026, 11, 30, 11, 0), VERDICT_PASS, 0, NULL);
    /* windows that never meet: the critical window's own opening */
    s.start_min = 18 * 60;
    s.end_min = 20 * 60;
    expect(&f, at(2026, 11, 30, 9, 0), VERDICT_WAIT, at(2026, 11, 30, 10, 0),
           "opens Mon 2026-11-30 10:00 UTC");
    done(&s);
}

TEST(hours_without_a_schedule_block)
{
    struct critical_fact c = hours_only(10 * 60, 15 * 60);
    struct pr_facts f = {.critical = &c};
    expect(&f, at(2026, 11, 30, 11, 0), VERDICT_BLOCK, 0,
           "merges only 10:00-15:00 in the owning team's zone, and no owning team is known");
}

TEST(approval_of_the_current_head)
{
    struct critical_fact c = {.tier = "critical", .require_approval = true, .approvals = 0};
    struct pr_facts f = {.critical = &c};
    int64_t now = at(2026, 11, 30, 11, 0);
    expect(&f, now, VERDICT_BLOCK, 0,
           "critical repository (tier critical) needs an approving review of the current head");
    c.approvals = -1;
    expect(&f, now, VERDICT_BLOCK, 0,
           "critical repository (tier critical) needs an approving review of the current head; "
           "approval not known");
    c.approvals = 1;
    expect(&f, now, VERDICT_PASS, 0, "approved (1 approving review of the head)");
    c.approvals = 3;
    expect(&f, now, VERDICT_PASS, 0, "approved (3 approving reviews of the head)");
    c.require_approval = false; /* not asked for: unknown does not matter */
    c.approvals = -1;
    expect(&f, now, VERDICT_PASS, 0, "critical repository (tier critical): no extra constraints");
}

TEST(after_lower_tiers)
{
    struct critical_fact c = {.tier = "gold", .after_lower_tiers = true, .lower_tiers_open = 3};
    struct pr_facts f = {.critical = &c, .shift = "bump-libfoo"};
    int64_t now = at(2026, 11, 30, 11, 0);
    expect(&f, now, VERDICT_WAIT, 0,
           "critical repository (tier gold) waits until the shift's 3 PRs in lower tiers have "
           "merged");
    c.lower_tiers_open = 1;
    expect(&f, now, VERDICT_WAIT, 0, "waits until the shift's 1 PR in lower tiers has merged");
    c.lower_tiers_open = -1;
    expect(&f, now, VERDICT_WAIT, 0,
           "waits until the shift's PRs in lower tiers have merged; their number is not known yet");
    c.lower_tiers_open = 0;
    expect(&f, now, VERDICT_PASS, 0,
           "critical repository (tier gold): the shift's PRs in lower tiers have merged");
    f.shift = ""; /* no shift: nothing to wait for */
    c.lower_tiers_open = -1;
    expect(&f, now, VERDICT_PASS, 0, "not part of a shift");
}

TEST(the_reason_names_the_first_failure)
{
    struct team_schedule s = team("Europe/Stockholm", 9 * 60, 17 * 60, SAT_SUN);
    struct critical_fact c = hours_only(10 * 60, 15 * 60);
    c.require_approval = true;
    c.approvals = 0;
    c.after_lower_tiers = true;
    c.lower_tiers_open = 2;
    struct pr_facts f = {.schedule = &s, .critical = &c, .shift = "bump"};
    expect(&f, at(2026, 11, 30, 7, 0), VERDICT_WAIT, at(2026, 11, 30, 9, 0),
           "merges only 10:00-15:00"); /* 08:00: hours first */
    expect(&f, at(2026, 11, 30, 9, 0), VERDICT_BLOCK, 0, "needs an approving review");
    c.approvals = -1;
    expect(&f, at(2026, 11, 30, 9, 0), VERDICT_BLOCK, 0, "approval not known");
    c.approvals = 1;
    expect(&f, at(2026, 11, 30, 9, 0), VERDICT_WAIT, 0, "the shift's 2 PRs in lower tiers");
    c.lower_tiers_open = 0;
    expect(&f, at(2026, 11, 30, 9, 0), VERDICT_PASS, 0,
           "critical repository (tier critical): inside 10:00-15:00 Europe/Stockholm (until Mon "
           "2026-11-30 15:00 Europe/Stockholm); approved (1 approving review of the head); the "
           "shift's PRs in lower tiers have merged");
    done(&s);
}

TEST(runs_in_the_gate_order_after_working_hours)
{
    size_t n;
    const struct gate *g = gates_all(&n);
    int hours = -1, critical = -1, rate = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(g[i].name, "working-hours") == 0)
            hours = (int)i;
        if (strcmp(g[i].name, "critical") == 0) {
            critical = (int)i;
            CHECK(g[i].needs_checks);
        }
        if (strcmp(g[i].name, "rate-limit") == 0)
            rate = (int)i;
    }
    CHECK(hours >= 0 && hours < critical);
    CHECK(critical >= 0 && critical < rate);
}
