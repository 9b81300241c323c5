/*
 * facts.h - everything the gates may know about one pull request, gathered by the
 * evaluator before any gate runs. Gates read facts and `now`; they never fetch more.
 * All pointers are borrowed from the evaluation that built the facts.
 */
#ifndef FLEETBOT_POLICIES_FACTS_H
#define FLEETBOT_POLICIES_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct team_schedule;

enum check_kind { CHECK_KIND_RUN = 0, CHECK_KIND_STATUS = 1 };
enum check_state { CHECK_PENDING = 0, CHECK_PASSED = 1, CHECK_FAILED = 2 };

/* One check run or commit status reported on the head commit (latest per name and source). */
struct check_observation {
    enum check_kind kind;
    const char *name; /* check run name or status context */
    int64_t app_id;   /* check runs: the app that reported it; statuses: 0 */
    enum check_state state;
    const char *detail; /* conclusion, status or state, for reasons ("failure", "in_progress") */
};

/* A check the base branch requires: classic protection and rulesets, unioned. */
struct required_check {
    const char *name;
    int64_t app_id;     /* 0 = any source */
    const char *source; /* "branch protection" or "ruleset" */
};

struct pr_facts {
    const char *repo; /* owner/name */
    int64_t number;
    bool is_open;
    bool is_merged;
    bool is_draft;
    const char *head_sha;
    const char *base_ref;
    const char *default_branch;
    const char *const *labels;
    size_t nlabels;
    const char *automerge_label; /* configured tag, e.g. fleetbot/automerge */
    const char *hold_label;      /* e.g. fleetbot/hold */
    bool human_auto_merge;       /* native auto-merge enabled by someone: leave it to GitHub */

    int mergeable; /* -1 = null (GitHub still computing), 0 = false, 1 = true */
    const char *mergeable_state;
    int mergeable_attempts; /* evaluations in a row that saw mergeable == null */

    bool checks_loaded; /* false when the evaluator stopped after eligibility */
    const struct required_check *required;
    size_t nrequired;
    const struct check_observation *checks;
    size_t nchecks;
    int64_t own_app_id; /* fleetbot's own check runs never count */

    /* the owning team's working schedule (schedule.h); NULL when none applies */
    const struct team_schedule *schedule;
};

bool facts_has_label(const struct pr_facts *f, const char *label);

#endif
