/*
 * eligibility.c - is this PR fleetbot's to merge at all? Tagged by a shift author, open,
 * not a draft, aimed at the default branch, not held, and not handed to GitHub's native
 * auto-merge by a human. It does not look at checks or time.
 */
#include "gates.h"

#include <string.h>

void gate_eligibility(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    (void)now_ms;
    if (f->is_merged) {
        gate_set(out, VERDICT_SKIP, 0, "already merged");
    } else if (!f->is_open) {
        gate_set(out, VERDICT_SKIP, 0, "closed");
    } else if (!facts_has_label(f, f->automerge_label)) {
        gate_set(out, VERDICT_SKIP, 0, "not tagged with the label \"%s\"", f->automerge_label);
    } else if (f->human_auto_merge) {
        gate_set(out, VERDICT_SKIP, 0,
                 "native auto-merge was enabled by a person; GitHub will merge it, fleetbot "
                 "stays out of the way");
    } else if (f->is_draft) {
        gate_set(out, VERDICT_BLOCK, 0, "is a draft; mark it ready for review");
    } else if (f->base_ref == NULL || f->default_branch == NULL ||
               strcmp(f->base_ref, f->default_branch) != 0) {
        gate_set(out, VERDICT_BLOCK, 0, "targets \"%s\", not the default branch \"%s\"",
                 f->base_ref ? f->base_ref : "?", f->default_branch ? f->default_branch : "?");
    } else if (facts_has_label(f, f->hold_label)) {
        gate_set(out, VERDICT_BLOCK, 0, "on hold (label \"%s\"); remove the label to continue",
                 f->hold_label);
    } else {
        gate_set(out, VERDICT_PASS, 0, "tagged \"%s\", open, targets \"%s\"", f->automerge_label,
                 f->default_branch);
    }
}
