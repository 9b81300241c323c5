/*
 * opt_out.c - the opt-out gate: a repo whose owners opted out is never automerged while
 * the opt-out holds, and takes part again by itself after its expiry day (a WAIT until
 * then, so no one has to remember). An opt-out longer than the org allows is a
 * configuration error, and a configuration error is never a merge.
 */
#include "gates.h"

#include "calendar.h"
#include "schedule.h"
#include "tz.h"

void gate_opt_out(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct opt_out_fact *o = f->opt_out;
    if (o == NULL || o->until_ms <= now_ms) {
        gate_set(out, VERDICT_PASS, 0, "the repository has not opted out");
        return;
    }
    if (o->max_until_ms > 0 && o->until_ms > o->max_until_ms) {
        gate_set(out, VERDICT_BLOCK, 0,
                 "the repository's opt-out (until %s) is longer than the org allows; shorten "
                 "it in .github/fleetbot.yml",
                 o->expires);
        return;
    }
    gate_set(out, VERDICT_WAIT, o->until_ms, "the repository opted out until %s: %s", o->expires,
             o->reason);
}

void gate_config(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    (void)now_ms;
    if (f->config_error == NULL) {
        gate_set(out, VERDICT_PASS, 0, "policy files are valid");
        return;
    }
    gate_set(out, VERDICT_BLOCK, 0, "invalid policy configuration: %s", f->config_error);
}

void gate_shift_mode(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    (void)now_ms;
    if (f->shift_recommend_only) {
        gate_set(out, VERDICT_BLOCK, 0,
                 "shift %s only recommends: fleetbot never merges it, a person does", f->shift);
        return;
    }
    gate_set(out, VERDICT_PASS, 0, "%s%s", f->shift && f->shift[0] ? "shift automerges: " : "",
             f->shift && f->shift[0] ? f->shift : "no shift");
}

int64_t opt_out_notice_at(const struct team_schedule *s, int64_t until_ms, int64_t notice_days)
{
    if (notice_days <= 0)
        return INT64_MAX;
    int64_t last_s = until_ms / 1000 - 1; /* the last second the opt-out holds */
    if (s == NULL || s->zone == NULL) {
        int64_t day = cal_floor_div(last_s, CAL_DAY_S) - notice_days;
        return day * CAL_DAY_S * 1000;
    }
    int64_t day = cal_floor_div(tz_to_local(s->zone, last_s), CAL_DAY_S);
    /* count back working days; give up (notice the day before) past a year of holidays */
    int64_t counted = 0, d = day;
    for (int guard = 0; counted < notice_days && guard < 400; guard++) {
        d--;
        if (schedule_is_working_day(s, d))
            counted++;
    }
    if (counted < notice_days)
        d = day - 1;
    return tz_from_local(s->zone, d * CAL_DAY_S + (int64_t)s->start_min * 60) * 1000;
}
