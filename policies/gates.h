/*
 * gates.h - the ordered gates a pull request passes before fleetbot merges it, and the
 * evaluator that runs them all. Each gate is a pure function of the facts and `now`.
 * Cheap and final gates come first; every gate runs so the trace is complete.
 * Working hours, holidays, rate limits and opt-outs plug in here as more gates.
 */
#ifndef FLEETBOT_POLICIES_GATES_H
#define FLEETBOT_POLICIES_GATES_H

#include "decision.h"
#include "facts.h"

typedef void (*gate_fn)(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);

struct gate {
    const char *name;
    gate_fn fn;
    bool needs_checks; /* needs the check/status/protection facts (skipped when not loaded) */
};

/* Eligibility: tagged, open, not a draft, targets the default branch, not on hold. */
void gate_eligibility(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Every required check (classic protection ∪ rulesets) passing on the current head. */
void gate_required_checks(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* GitHub says the PR can merge (mergeable computed, no conflicts, not behind). */
void gate_mergeable(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);

/* Not on the owning team's weekend days (schedule.h). */
void gate_weekend(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Not on one of the owning team's holidays. */
void gate_holiday(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Inside the owning team's daily window, in its time zone. */
void gate_working_hours(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);

/* Policy files could not be read or are invalid (BLOCK: never a merge on bad config). */
void gate_config(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* The repository's opt-out holds (WAIT until it expires; BLOCK when longer than allowed). */
void gate_opt_out(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* The PR's shift is paused (Firewatch or a shift owner): BLOCK until someone resumes it. */
void gate_shift_paused(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Gradual rollout: the PR's cohort merges once every earlier cohort of its shift reached
 * the health bar (merged and proven, none implicated, soaked). */
void gate_cohort(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Critical-tier constraints: an approving review, a narrower window, lower tiers first. */
void gate_critical(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* When the owners of an opt-out holding until until_ms (exclusive) are told it ends:
 * the opening of the team's window notice_days working days before its last day, in the
 * team's zone (UTC days and 00:00 without a schedule). notice_days <= 0: never (INT64_MAX). */
int64_t opt_out_notice_at(const struct team_schedule *s, int64_t until_ms, int64_t notice_days);
/* A recommendation shift is never automerged. */
void gate_shift_mode(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Inside a freeze window (WAIT until it, and any window it runs into, ends). */
void gate_freeze(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* Per-installation, per-shift and per-repo-spacing limits (WAIT until the next slot). */
void gate_rate_limit(const struct pr_facts *f, int64_t now_ms, struct gate_result *out);
/* When the limit r next admits an automerge (now if it does now). */
int64_t rate_next_slot(const struct rate_fact *r, int64_t now_ms);

struct schedule_answer;
struct team_schedule;
/* Shared start of the schedule gates: false (out set to PASS) when no schedule applies,
 * else true with a filled for f's schedule at now. */
bool gate_schedule_answer(const struct pr_facts *f, int64_t now_ms, struct gate_result *out,
                          struct schedule_answer *a);

/* Backoff for re-reading a PR whose mergeable is still null: 1 s, 2 s, 4 s ... 30 s. */
int64_t mergeable_backoff_ms(int attempts);

/* The gates in evaluation order. */
const struct gate *gates_all(size_t *count);

/* Runs every gate; the first non-PASS decides. A decision is MERGE only if all passed. */
void gates_evaluate(const struct pr_facts *f, int64_t now_ms, struct decision *out);

/* Only the eligibility gate: lets the evaluator stop before fetching check facts. */
bool gates_is_eligible(const struct pr_facts *f, int64_t now_ms);

/* Every gate that needs no check facts passes (eligibility, schedule, ...): only then are
 * check runs, statuses and protection worth fetching. */
bool gates_precheck_passes(const struct pr_facts *f, int64_t now_ms);

#endif
