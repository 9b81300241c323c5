/*
 * rate_limit.c - the rate-limit gate: at most N automerges per window per installation
 * and per shift, and a minimum spacing between automerges into one repo. Pure: the
 * recent merge times come in as facts; reserving a slot atomically is the store's job at
 * merge time. A WAIT names when the next slot opens.
 */
#include "gates.h"

#include <stdio.h>

int64_t rate_next_slot(const struct rate_fact *r, int64_t now_ms)
{
    /* merges still inside the window ending now */
    size_t first = 0;
    while (first < r->nrecent && r->recent_ms[first] <= now_ms - r->window_ms)
        first++;
    size_t inside = r->nrecent - first;
    if ((int64_t)inside < r->limit)
        return now_ms;
    /* the slot frees when the merge `limit` places from the newest leaves the window */
    return r->recent_ms[r->nrecent - (size_t)r->limit] + r->window_ms;
}

void gate_rate_limit(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    int64_t until = now_ms;
    const struct rate_fact *worst = NULL;
    for (size_t i = 0; i < f->nrates; i++) {
        if (f->rates[i].limit <= 0)
            continue;
        int64_t next = rate_next_slot(&f->rates[i], now_ms);
        if (next > until) {
            until = next;
            worst = &f->rates[i];
        }
    }
    if (worst == NULL) {
        gate_set(out, VERDICT_PASS, 0, "within every rate limit");
        return;
    }
    int64_t wait_s = (until - now_ms + 999) / 1000;
    if (worst->limit == 1)
        gate_set(out, VERDICT_WAIT, until,
                 "%s: one automerge per %lld min; next slot in %lld min %02lld s", worst->what,
                 (long long)(worst->window_ms / 60000), (long long)(wait_s / 60),
                 (long long)(wait_s % 60));
    else
        gate_set(out, VERDICT_WAIT, until,
                 "%s: %lld automerges per %lld min reached; next slot in %lld min %02lld s",
                 worst->what, (long long)worst->limit, (long long)(worst->window_ms / 60000),
                 (long long)(wait_s / 60), (long long)(wait_s % 60));
}
