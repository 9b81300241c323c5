/*
 * critical.c - the critical-tier gate: a repo of a tier the org lists under `critical:`
 * merges only inside a narrower daily window (in the owning team's zone, on its working
 * days), only with an approving review of the current head, and only after the shift's PRs
 * in lower tiers have merged. It does not count reviews or PRs; the evaluator does.
 */
#include "gates.h"

#include "schedule.h"
#include "tz.h"

#include <stdio.h>

#define INTERSECT_ROUNDS 64 /* hops between the two windows before giving up on an overlap */

static void window_text(int start_min, int end_min, char *out, size_t cap)
{
    snprintf(out, cap, "%02d:%02d-%02d:%02d", start_min / 60, start_min % 60, end_min / 60,
             end_min % 60);
}

/* The first instant at or after now when both the critical window and the team's own window
 * are open; the critical window's own next opening when they do not meet soon. */
static int64_t next_opening(const struct team_schedule *crit, const struct team_schedule *team,
                            const struct schedule_answer *first)
{
    int64_t t = first->at;
    for (int i = 0; i < INTERSECT_ROUNDS && t != INT64_MAX; i++) {
        struct schedule_answer a;
        schedule_query(team, t, &a);
        if (!a.open) {
            t = a.at;
            if (t == INT64_MAX)
                break;
        }
        schedule_query(crit, t, &a);
        if (a.open)
            return t;
        t = a.at;
    }
    return first->at;
}

/* Hours: true when satisfied (note says so), false with out set to the WAIT/BLOCK. */
static bool hours_ok(const struct pr_facts *f, const struct critical_fact *c, int64_t now_ms,
                     struct gate_result *out, char *note, size_t cap)
{
    char window[32];
    window_text(c->start_min, c->end_min, window, sizeof(window));
    const struct team_schedule *team = f->schedule;
    if (team == NULL) {
        gate_set(out, VERDICT_BLOCK, 0,
                 "critical repository (tier %s): merges only %s in the owning team's zone, and "
                 "no owning team is known",
                 c->tier, window);
        return false;
    }
    struct team_schedule crit = *team;
    crit.start_min = c->start_min;
    crit.end_min = c->end_min;
    struct schedule_answer a;
    int64_t now = now_ms / 1000;
    schedule_query(&crit, now, &a);
    char when[96];
    if (a.open) {
        schedule_format_local(&crit, a.closes, when, sizeof(when));
        snprintf(note, cap, "inside %s %s (until %s)", window, team->zone->name, when);
        return true;
    }
    int64_t at = next_opening(&crit, team, &a);
    schedule_format_local(&crit, at, when, sizeof(when));
    gate_set(out, VERDICT_WAIT, at == INT64_MAX ? 0 : at * 1000,
             "critical repository (tier %s): merges only %s %s; opens %s", c->tier, window,
             team->zone->name, when);
    return false;
}

void gate_critical(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct critical_fact *c = f->critical;
    if (c == NULL) {
        gate_set(out, VERDICT_PASS, 0, "not a critical repository");
        return;
    }
    char hours[256] = "", approval[80] = "", lower[80] = "";
    if (c->has_hours && !hours_ok(f, c, now_ms, out, hours, sizeof(hours)))
        return;
    if (c->require_approval) {
        if (c->approvals < 0) {
            gate_set(out, VERDICT_BLOCK, 0,
                     "critical repository (tier %s) needs an approving review of the current "
                     "head; approval not known",
                     c->tier);
            return;
        }
        if (c->approvals == 0) {
            gate_set(out, VERDICT_BLOCK, 0,
                     "critical repository (tier %s) needs an approving review of the current head",
                     c->tier);
            return;
        }
        snprintf(approval, sizeof(approval), "approved (%d approving review%s of the head)",
                 c->approvals, c->approvals == 1 ? "" : "s");
    }
    if (c->after_lower_tiers) {
        if (f->shift == NULL || f->shift[0] == '\0') {
            snprintf(lower, sizeof(lower), "not part of a shift, so no lower tiers to wait for");
        } else if (c->lower_tiers_open < 0) {
            gate_set(out, VERDICT_WAIT, 0,
                     "critical repository (tier %s) waits until the shift's PRs in lower tiers "
                     "have merged; their number is not known yet",
                     c->tier);
            return;
        } else if (c->lower_tiers_open > 0) {
            gate_set(out, VERDICT_WAIT, 0,
                     "critical repository (tier %s) waits until the shift's %lld PR%s in lower "
                     "tiers %s merged",
                     c->tier, (long long)c->lower_tiers_open, c->lower_tiers_open == 1 ? "" : "s",
                     c->lower_tiers_open == 1 ? "has" : "have");
            return;
        } else {
            snprintf(lower, sizeof(lower), "the shift's PRs in lower tiers have merged");
        }
    }
    if (!hours[0] && !approval[0] && !lower[0]) {
        gate_set(out, VERDICT_PASS, 0, "critical repository (tier %s): no extra constraints set",
                 c->tier);
        return;
    }
    gate_set(out, VERDICT_PASS, 0, "critical repository (tier %s): %s%s%s%s%s", c->tier, hours,
             hours[0] && (approval[0] || lower[0]) ? "; " : "", approval,
             approval[0] && lower[0] ? "; " : "", lower);
}
