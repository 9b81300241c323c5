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

    /* freeze windows that apply (org-wide and the repo's own) */
    const struct freeze_fact *freezes;
    size_t nfreezes;
    /* the repo's opt-out, or NULL */
    const struct opt_out_fact *opt_out;
    /* the PR's shift ("" = none) and whether it only recommends */
    const char *shift;
    bool shift_recommend_only;
    /* rate limits that apply: per installation, per shift, repo spacing */
    const struct rate_fact *rates;
    size_t nrates;
    /* a policy file that could not be read or is invalid: never a merge */
    const char *config_error;
    /* the PR's shift is paused (by Firewatch or a shift owner), or NULL */
    const struct pause_fact *shift_paused;
    /* the repo is of a critical tier (org policy `critical:`), or NULL */
    const struct critical_fact *critical;
    /* the shift rolls out in cohorts and this PR is in one of them, or NULL */
    const struct cohort_fact *cohort;
};

/* How far an earlier cohort of the shift got (Firewatch's per-merge states). */
struct cohort_progress {
    const char *name;
    int64_t total;      /* the shift's PRs known in the cohort */
    int64_t merged;     /* of them merged */
    int64_t proven;     /* merged, carried by an execution, and proven by every pipeline that ran */
    int64_t implicated; /* merged and implicated by some pipeline (not proven since) */
    int64_t last_merged_ms;
};

struct cohort_fact {
    const char *name; /* this PR's cohort */
    int index;        /* 0 = the first cohort */
    int64_t min_percent;
    int64_t soak_ms;
    const struct cohort_progress *earlier; /* cohorts 0 .. index-1; NULL = not read */
    size_t nearlier;
};

struct pause_fact {
    const char *by;     /* login, or "firewatch" */
    int64_t at_ms;      /* when it was paused */
    const char *reason; /* may be "" */
};

/* Extra constraints for a repo of a critical tier. Facts the evaluator could not read are
 * "unknown" (-1) and never pass. */
struct critical_fact {
    const char *tier;
    bool require_approval;
    int approvals;          /* approving reviews of the current head; -1 = not fetched */
    bool has_hours;         /* a narrower daily window, in the owning team's zone */
    int start_min, end_min; /* as in schedule.h */
    bool after_lower_tiers;
    int64_t
        lower_tiers_open; /* unmerged PRs of the same shift in non-critical repos; -1 = unknown */
};

struct freeze_fact {
    int64_t from_ms, to_ms; /* [from, to) */
    const char *reason;
    const char *scope; /* "org-wide" or "this repository" */
};

struct opt_out_fact {
    const char *reason;
    int64_t until_ms;     /* the opt-out holds before this (the end of its expiry day) */
    int64_t max_until_ms; /* the longest the org allows from now; 0 = no limit */
    const char *expires;  /* as written, for reasons */
};

/* One rate limit: at most `limit` automerges in any `window_ms` (spacing: limit 1). */
struct rate_fact {
    const char *what;         /* "installation", "shift bump-libfoo", "repo spacing" */
    int64_t limit;            /* > 0 */
    int64_t window_ms;        /* e.g. 3600000 */
    const int64_t *recent_ms; /* times of recent automerges in scope, ascending */
    size_t nrecent;
};

bool facts_has_label(const struct pr_facts *f, const char *label);

#endif
