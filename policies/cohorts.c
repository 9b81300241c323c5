/*
 * cohorts.c - the cohort gate of a gradual rollout: a shift's PRs in cohort N merge only
 * after every cohort before it reached the health bar - at least min_percent of its PRs
 * merged and proven by what ran after them, none of its merges implicated, and (when
 * set) the soak time passed since its newest merge. It counts nothing itself: Firewatch's
 * states, read by the evaluator, are the facts. WAITs that depend on other PRs wait for
 * an event (Firewatch wakes the shift's waiting PRs when it proves a merge).
 */
#include "gates.h"

#include <stdio.h>

void gate_cohort(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const struct cohort_fact *c = f->cohort;
    if (c == NULL) {
        gate_set(out, VERDICT_PASS, 0, "no cohorts");
        return;
    }
    if (c->index == 0) {
        gate_set(out, VERDICT_PASS, 0, "cohort %s is the first", c->name);
        return;
    }
    if (c->earlier == NULL) {
        gate_set(out, VERDICT_WAIT, 0, "cohort %s: the earlier cohorts' progress is not known",
                 c->name);
        return;
    }
    int64_t soak_until = 0;
    const struct cohort_progress *soaking = NULL;
    for (size_t i = 0; i < c->nearlier; i++) {
        const struct cohort_progress *p = &c->earlier[i];
        if (p->implicated > 0) {
            gate_set(out, VERDICT_WAIT, 0,
                     "cohort %s waits: %lld merge%s of cohort %s %s implicated in failures "
                     "after merge",
                     c->name, (long long)p->implicated, p->implicated == 1 ? "" : "s", p->name,
                     p->implicated == 1 ? "is" : "are");
            return;
        }
        if (p->proven * 100 < c->min_percent * p->total) {
            gate_set(out, VERDICT_WAIT, 0,
                     "cohort %s waits for cohort %s: %lld of its %lld PRs merged and proven "
                     "(%lld merged), %lld%% needed",
                     c->name, p->name, (long long)p->proven, (long long)p->total,
                     (long long)p->merged, (long long)c->min_percent);
            return;
        }
        if (c->soak_ms > 0 && p->last_merged_ms + c->soak_ms > soak_until) {
            soak_until = p->last_merged_ms + c->soak_ms;
            soaking = p;
        }
    }
    if (soaking && now_ms < soak_until) {
        gate_set(out, VERDICT_WAIT, soak_until, "cohort %s waits while cohort %s soaks (%lld min)",
                 c->name, soaking->name, (long long)(c->soak_ms / 60000));
        return;
    }
    gate_set(out, VERDICT_PASS, 0, "cohort %s: the %zu earlier cohort%s reached the health bar",
             c->name, c->nearlier, c->nearlier == 1 ? "" : "s");
}
