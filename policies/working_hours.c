/*
 * working_hours.c - the weekend and working-hours gates: merge only inside the owning
 * team's daily window, in its time zone, and never on its weekend days. Both WAIT until
 * the exact instant the schedule next opens (schedule.c), so a PR that waits over a
 * weekend is looked at again at 09:00 local on the next working day, not before.
 */
#include "gates.h"

#include "calendar.h"
#include "schedule.h"
#include "tz.h"

#include <stdio.h>

static const char *weekday_name(int64_t day)
{
    static const char *names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                   "Thursday", "Friday", "Saturday"};
    return names[cal_weekday(day)];
}

static void window_text(const struct team_schedule *s, char *out, size_t cap)
{
    snprintf(out, cap, "%02d:%02d-%02d:%02d", s->start_min / 60, s->start_min % 60, s->end_min / 60,
             s->end_min % 60);
}

bool gate_schedule_answer(const struct pr_facts *f, int64_t now_ms, struct gate_result *out,
                          struct schedule_answer *a)
{
    if (f->schedule == NULL) {
        gate_set(out, VERDICT_PASS, 0, "no working schedule applies");
        return false;
    }
    schedule_query(f->schedule, now_ms / 1000, a);
    return true;
}

void gate_weekend(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct team_schedule *s = f->schedule;
    struct schedule_answer a;
    if (!gate_schedule_answer(f, now_ms, out, &a))
        return;
    if (!a.today_weekend) {
        gate_set(out, VERDICT_PASS, 0, "%s is a working day for team %s", weekday_name(a.today),
                 s->team);
        return;
    }
    if (a.open) {
        gate_set(out, VERDICT_PASS, 0,
                 "%s is a weekend day for team %s, but the previous day's window is still open",
                 weekday_name(a.today), s->team);
        return;
    }
    char next[96];
    schedule_format_local(s, a.at, next, sizeof(next));
    gate_set(out, VERDICT_WAIT, a.at == INT64_MAX ? 0 : a.at * 1000,
             "%s is a weekend day for team %s; next working window opens %s", weekday_name(a.today),
             s->team, next);
}

void gate_working_hours(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct team_schedule *s = f->schedule;
    struct schedule_answer a;
    if (!gate_schedule_answer(f, now_ms, out, &a))
        return;
    char window[32], when[96];
    window_text(s, window, sizeof(window));
    if (a.open) {
        schedule_format_local(s, a.closes, when, sizeof(when));
        gate_set(out, VERDICT_PASS, 0, "inside team %s's working hours %s (until %s)", s->team,
                 window, when);
        return;
    }
    schedule_format_local(s, a.at, when, sizeof(when));
    gate_set(out, VERDICT_WAIT, a.at == INT64_MAX ? 0 : a.at * 1000,
             "outside team %s's working hours %s %s; next window opens %s", s->team, window,
             s->zone->name, when);
}
