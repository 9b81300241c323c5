/*
 * firewatch.c - the judgement of one execution, and what GitHub's states mean for it.
 */
#include "firewatch.h"

#include <string.h>

static bool is_one_of(const char *v, const char *const *list)
{
    for (; v && *list; list++)
        if (strcmp(v, *list) == 0)
            return true;
    return false;
}

enum fw_outcome firewatch_outcome(const char *kind, const char *value)
{
    static const char *const dep_fail[] = {"failure", "error", NULL};
    static const char *const run_fail[] = {"failure", "timed_out", "startup_failure", NULL};
    static const char *const status_fail[] = {"failure", "error", NULL};
    if (value == NULL || kind == NULL)
        return FW_OUTCOME_NONE;
    if (strcmp(value, "success") == 0)
        return FW_OUTCOME_SUCCESS;
    if (strcmp(kind, "deployment") == 0)
        return is_one_of(value, dep_fail) ? FW_OUTCOME_FAILURE : FW_OUTCOME_NONE;
    if (strcmp(kind, "workflow") == 0 || strcmp(kind, "checks") == 0)
        return is_one_of(value, run_fail) ? FW_OUTCOME_FAILURE : FW_OUTCOME_NONE;
    if (strcmp(kind, "status") == 0)
        return is_one_of(value, status_fail) ? FW_OUTCOME_FAILURE : FW_OUTCOME_NONE;
    return FW_OUTCOME_NONE;
}

bool firewatch_needs_ancestry(enum fw_outcome o, const struct fw_merge *m)
{
    if (o == FW_OUTCOME_SUCCESS)
        return m->state != FW_PROVEN;
    if (o == FW_OUTCOME_FAILURE)
        return m->state == FW_UNSEEN; /* proven: cleared for good; implicated: already */
    return false;
}

size_t firewatch_judge(enum fw_outcome o, struct fw_merge *m, size_t n)
{
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        m[i].next = m[i].state;
        if (m[i].contained != 1 || !firewatch_needs_ancestry(o, &m[i]))
            continue;
        m[i].next = o == FW_OUTCOME_SUCCESS ? FW_PROVEN : FW_IMPLICATED;
        changed++;
    }
    return changed;
}

const char *fw_state_name(enum fw_state s)
{
    switch (s) {
    case FW_PROVEN:
        return "proven";
    case FW_IMPLICATED:
        return "implicated";
    case FW_UNSEEN:
        break;
    }
    return "unseen";
}
