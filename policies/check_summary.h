/*
 * check_summary.h - what the `fleetbot` check run on a PR's head says: a title, a status
 * and conclusion GitHub understands, and a markdown summary listing every gate with
 * ✓ / ✗ and, when waiting, the next look in the owning team's local time and zone. The
 * same text answers `/fleetbot why`. Pure: it formats, it does not call GitHub.
 */
#ifndef FLEETBOT_POLICIES_CHECK_SUMMARY_H
#define FLEETBOT_POLICIES_CHECK_SUMMARY_H

#include "decision.h"

#include <stddef.h>
#include <stdint.h>

struct buf;
struct team_schedule;

#define CHECK_TITLE_MAX 200

struct check_summary_in {
    const char *kind;                     /* "merged", "wait", "blocked", "skip" (as recorded) */
    const char *reason;                   /* the recorded reason */
    int64_t until_ms;                     /* the next look, 0 = on the next event */
    const struct decision *d;             /* the gate trace; may be NULL */
    const struct team_schedule *schedule; /* local times in its zone; NULL = UTC */
};

struct check_summary {
    const char *status;     /* "in_progress" or "completed" (static) */
    const char *conclusion; /* NULL while in progress, else "success", "failure", "neutral" */
    char title[CHECK_TITLE_MAX];
};

/* Fills out and appends the markdown summary to summary. 0, or the buf error. */
int check_summary_render(const struct check_summary_in *in, struct check_summary *out,
                         struct buf *summary);

#endif
