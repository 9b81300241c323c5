/*
 * mergeable.c - can GitHub merge it? mergeable == null means GitHub only just started
 * computing it: wait with backoff and read again (never merge on a guess). Conflicts and
 * "behind" block; "blocked"/"unstable" are left to the merge call, whose answer decides.
 */
#include "gates.h"

#include <string.h>

int64_t mergeable_backoff_ms(int attempts)
{
    int64_t ms = 1000;
    for (int i = 0; i < attempts && ms < 30000; i++)
        ms *= 2;
    return ms > 30000 ? 30000 : ms;
}

void gate_mergeable(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    const char *state = f->mergeable_state ? f->mergeable_state : "unknown";
    if (f->mergeable < 0 || strcmp(state, "unknown") == 0) {
        int64_t wait = mergeable_backoff_ms(f->mergeable_attempts);
        gate_set(out, VERDICT_WAIT, now_ms + wait,
                 "GitHub is still computing whether it can be merged; reading again in %llds",
                 (long long)(wait / 1000));
    } else if (f->mergeable == 0 || strcmp(state, "dirty") == 0) {
        gate_set(out, VERDICT_BLOCK, 0, "has merge conflicts with \"%s\"",
                 f->base_ref ? f->base_ref : "?");
    } else if (strcmp(state, "behind") == 0) {
        gate_set(out, VERDICT_BLOCK, 0,
                 "is behind \"%s\" and the branch must be up to date before merging",
                 f->base_ref ? f->base_ref : "?");
    } else {
        gate_set(out, VERDICT_PASS, 0, "mergeable (%s)", state);
    }
}
