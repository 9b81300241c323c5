/*
 * shift_paused.c - the shift-paused gate: a shift that Firewatch or one of its owners
 * paused is merged nowhere until someone resumes it (/fleetbot resume-shift NAME). It
 * does not decide who may pause or resume; the command executor does.
 */
#include "gates.h"

void gate_shift_paused(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    (void)now_ms;
    const struct pause_fact *p = f->shift_paused;
    if (p == NULL) {
        gate_set(out, VERDICT_PASS, 0, "%s",
                 f->shift && f->shift[0] ? "shift not paused" : "no shift");
        return;
    }
    gate_set(out, VERDICT_BLOCK, 0,
             "shift %s is paused by %s%s%s; a shift owner resumes it with "
             "/fleetbot resume-shift %s",
             f->shift, p->by, p->reason && p->reason[0] ? ": " : "", p->reason ? p->reason : "",
             f->shift);
}
