/*
 * firewatch.h - how one post-merge execution (a deployment, a workflow run, a check suite
 * or a commit status on the default branch) judges the merges it carries, for its
 * pipeline. A merge is judged by the first runs that carry it: a success proves it for
 * that pipeline (also after it was implicated: the pipeline recovered with it in); a
 * failure implicates it unless the pipeline already succeeded with it. Pure: the caller
 * says which merges the execution's commit contains. See docs/firewatch.md.
 */
#ifndef FLEETBOT_POLICIES_FIREWATCH_H
#define FLEETBOT_POLICIES_FIREWATCH_H

#include <stdbool.h>
#include <stddef.h>

enum fw_outcome { FW_OUTCOME_NONE = 0, FW_OUTCOME_SUCCESS, FW_OUTCOME_FAILURE };
enum fw_state { FW_UNSEEN = 0, FW_PROVEN, FW_IMPLICATED };

struct fw_merge {
    enum fw_state state; /* for this pipeline, before the execution */
    int contained;       /* the execution's commit contains the merge: 1, 0, or -1 unknown */
    enum fw_state next;  /* out: the state after it */
};

/* Does the execution's outcome depend on knowing whether m is contained? */
bool firewatch_needs_ancestry(enum fw_outcome o, const struct fw_merge *m);

/* Sets next for each merge; returns how many changed state. Unknown containment
 * changes nothing. */
size_t firewatch_judge(enum fw_outcome o, struct fw_merge *m, size_t n);

/* What an execution's reported state means. kind: "deployment", "workflow", "checks",
 * "status"; value: the state or conclusion as GitHub sends it. Everything that is not
 * a finished success or failure (pending, cancelled, skipped, neutral...) is NONE. */
enum fw_outcome firewatch_outcome(const char *kind, const char *value);

const char *fw_state_name(enum fw_state s);

#endif
