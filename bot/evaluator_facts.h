/*
 * evaluator_facts.h - turns GitHub's JSON (PR, check runs, combined status, branch
 * protection, rules) into struct pr_facts for the gates. Pure translation: no I/O.
 * The facts borrow strings from the JSON values, which must outlive them.
 */
#ifndef FLEETBOT_EVALUATOR_FACTS_H
#define FLEETBOT_EVALUATOR_FACTS_H

#include "policies/facts.h"

#include <jansson.h>

struct facts_storage {
    const char **labels;
    struct required_check *required;
    struct check_observation *checks;
};

/* Fills the PR part of f from a pull request object. */
void facts_from_pr(struct pr_facts *f, struct facts_storage *st, json_t *pr);
/* Fills required checks (classic protection ∪ rulesets, deduplicated) and observations
 * (latest check run per name and app, latest status per context). Any JSON may be NULL. */
void facts_from_checks(struct pr_facts *f, struct facts_storage *st, json_t *branch, json_t *rules,
                       json_t *check_runs, json_t *combined_status);
void facts_storage_free(struct facts_storage *st);

/* Does deciding need the commit statuses too? Only when some required check has no
 * check run of its name (and app, when pinned) on the head: then a status may be what
 * satisfies it. When every required check has a run, a status of the same name could
 * only make GitHub refuse the merge, which the merge call handles. */
bool facts_statuses_needed(json_t *branch, json_t *rules, json_t *check_runs);

/* Approving reviews of head_sha in a PR's reviews list (GET .../pulls/{n}/reviews, oldest
 * first): each reviewer's latest APPROVED / CHANGES_REQUESTED / DISMISSED review counts,
 * and only an APPROVED one whose commit_id is the head. */
int facts_approvals_of_head(json_t *reviews, const char *head_sha);

#endif
