/*
 * holidays.c - the holiday gate: never merge on a holiday of the owning team. A holiday
 * is a whole local day in the team's zone; the calendar (iCalendar files or inline dates)
 * was expanded into local day numbers before the gates run.
 */
#include "gates.h"

#include "calendar.h"
#include "schedule.h"

void gate_holiday(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct team_schedule *s = f->schedule;
    struct schedule_answer a;
    if (!gate_schedule_answer(f, now_ms, out, &a))
        return;
    if (a.holiday_index < 0) {
        gate_set(out, VERDICT_PASS, 0, "not a holiday for team %s", s->team);
        return;
    }
    struct cal_date d = cal_date_from_days(a.today);
    const char *name = s->holiday_names ? s->holiday_names[a.holiday_index] : NULL;
    if (name && name[0] == '\0')
        name = NULL;
    char next[96];
    schedule_format_local(s, a.at, next, sizeof(next));
    gate_set(out, VERDICT_WAIT, a.at == INT64_MAX ? 0 : a.at * 1000,
             "%04d-%02d-%02d is a holiday for team %s%s%s%s; next working window opens %s",
             (int)d.year, d.month, d.day, s->team, name ? " (" : "", name ? name : "",
             name ? ")" : "", next);
}
