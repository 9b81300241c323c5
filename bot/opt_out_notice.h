/*
 * opt_out_notice.h - tells a repository's owners that its opt-out is about to end: a
 * comment on the waiting fleetbot PR that is evaluated first once the notice time has
 * come (opt_outs.notice_days working days before the last opted-out day, at the team's
 * window opening), once per repository and expiry date, shared by every replica.
 */
#ifndef FLEETBOT_OPT_OUT_NOTICE_H
#define FLEETBOT_OPT_OUT_NOTICE_H

#include <stdint.h>

struct app;
struct pr_facts;

/*
 * For a PR waiting on its repo's opt-out: posts the notice when its time has come, and
 * returns when the PR should be looked at again for it (0: not before the opt-out ends).
 */
int64_t opt_out_notice_step(struct app *app, int64_t installation, const struct pr_facts *f,
                            int64_t notice_days, int64_t now_ms);

#endif
