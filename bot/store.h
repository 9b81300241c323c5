/*
 * store.h - fleetbot's state in Redis: which PRs are tracked, which head sha belongs to
 * which PR, installations and their repos, decisions and merges. Every key fleetbot
 * writes is named here (see docs/internals/redis-keys.md). Writes go into a
 * redis_batch; conditional writes are Lua scripts so replicas never race.
 * It does not decide anything and never calls GitHub.
 */
#ifndef FLEETBOT_STORE_H
#define FLEETBOT_STORE_H

#include "redis_batch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_EVALQ         "fb:evalq"       /* ZSET member=job, score=due ms */
#define KEY_EVALQ_LEASE   "fb:evalq:lease" /* ZSET member=job, score=lease deadline ms */
#define KEY_MERGES        "fb:merges"      /* STREAM: the merge registry Firewatch reads */
#define KEY_INSTALLATIONS "fb:installations"
/* + "<owner>" (org policy files) or "<owner/repo>" (a repo's own): bumped by pushes */
#define STORE_POLICY_GEN_PREFIX "fb:policy:gen:"
#define STORE_SHA_TTL_S         (30 * 86400)
/* + "<owner/repo>": an opt-out made by comment (HASH by, at, reason, until, until_day, pr) */
#define STORE_OPTOUT_PREFIX "fb:optout:"
/* + "<shift>": the shift is paused (HASH by, at, reason) */
#define STORE_SHIFT_PAUSED_PREFIX "fb:shift:paused:"
/* + "<owner/repo>:<comment id>": a comment with commands (HASH body, user, number, is_pr,
 * id, installation, state), queued as the job "cmd|<installation>|<owner/repo>|<id>" */
#define STORE_COMMAND_PREFIX "fb:cmd:"
/* an audit trail of opt-outs, opt-ins, pauses and resumes given by comment (STREAM) */
#define KEY_COMMAND_LOG "fb:commands:log"
/* + "<owner/repo>@<sha>": policy files a push changed (SET), for the config check job */
#define STORE_CFGCHECK_PREFIX "fb:cfgcheck:"
/* + "<owner/repo>": generation of the repo's branch protection and rulesets (counter) */
#define STORE_PROTECTION_GEN_PREFIX "fb:protection:gen:"
/* + "<shift>": evaluation jobs of the shift's open tagged PRs (SET); those not also in
 * STORE_SHIFT_CRITICAL_PREFIX are the ones in lower tiers that critical repos wait for */
#define STORE_SHIFT_OPEN_PREFIX "fb:shift:open:"
/* + "<shift>": evaluation jobs of the shift's PRs in critical repos, woken by lower merges */
#define STORE_SHIFT_CRITICAL_PREFIX "fb:shift:critical:"
/* + "<owner/repo>": the repo's registered merges (ZSET member PR number, score merged_at) */
#define STORE_FW_MERGES_PREFIX "fb:fw:merges:"
/* + "<owner/repo>:<kind>:<source id>": one execution after a merge (HASH kind, pipeline,
 * sha, outcome, state, url, at), judged by the "fw|..." job */
#define STORE_FW_EXEC_PREFIX "fb:fw:exec:"
/* + "<owner/repo>#<n>": the merge's state per pipeline (HASH pipeline -> proven|implicated) */
#define STORE_FW_STATE_PREFIX "fb:fw:state:"
/* + "<owner/repo>:<sha>": which merge shas that commit contains (HASH sha -> 1|0) */
#define STORE_FW_ANCESTRY_PREFIX "fb:fw:anc:"
/* + "<shift>:observed" / ":implicated" (ZSET "<owner/repo>#<n>" -> first time seen),
 * ":since" (ms: counted from the last resume) */
#define STORE_FW_SHIFT_PREFIX "fb:fw:shift:"
/* + "<shift>": the open incident of a paused shift (HASH repo, issue, at) */
#define STORE_FW_INCIDENT_PREFIX "fb:fw:incident:"
/* + "<shift>": the shift's PRs in its rollout (HASH "<owner/repo>#<n>" -> cohort index);
 * + "<shift>:waiting": evaluation jobs waiting on the cohort gate (SET) */
#define STORE_COHORT_PREFIX "fb:cohort:"
/* the implicated merges, one entry each time an execution implicates one (STREAM) */
#define KEY_FW_IMPLICATIONS "fb:fw:implications"
/* + "<installation>": repos that have had tracked PRs (SET), to wake them on org changes */
#define STORE_TRACKED_REPOS_PREFIX "fb:tracked:repos:"
#define STORE_JOB_MAX              512

/* The evaluation job id for one PR: "<installation>|<owner/repo>|<number>". */
int store_job_format(char *out, size_t cap, int64_t installation, const char *repo, int64_t number);
/* Parses a job id; repo is copied into repo_out (cap bytes). 0 or FB_ERR_INVALID. */
int store_job_parse(const char *job, int64_t *installation, char *repo_out, size_t cap,
                    int64_t *number);

/* A PR event: remember its head, track it when tagged (and schedule an evaluation at
 * due_ms), forget it when untagged or closed. */
void store_pr_seen(struct redis_batch *b, int64_t installation, const char *repo, int64_t number,
                   const char *head_sha, bool tracked, int64_t due_ms);
/* Schedule an evaluation of repo#number if it is tracked. */
void store_schedule_if_tracked(struct redis_batch *b, int64_t installation, const char *repo,
                               int64_t number, int64_t due_ms);
/* Schedule every tracked PR whose head is sha (check runs of forks carry no PR list). */
void store_schedule_by_sha(struct redis_batch *b, int64_t installation, const char *repo,
                           const char *sha, int64_t due_ms);
/* Schedule every tracked PR of a repo (its default branch moved). */
void store_schedule_repo(struct redis_batch *b, int64_t installation, const char *repo,
                         int64_t due_ms);

/* Schedule every tracked PR of the installation (its org policy changed). */
void store_schedule_installation(struct redis_batch *b, int64_t installation, int64_t due_ms);
/* Schedule every open PR of a shift (STORE_SHIFT_OPEN_PREFIX: it was resumed or paused). */
void store_schedule_shift(struct redis_batch *b, const char *shift, int64_t due_ms);

/* A tagged PR of the shift is open (open) or gone (closed, untagged); when one goes, the
 * shift's critical PRs that may wait for it look again at due_ms. */
void store_shift_pr_open(struct redis_batch *b, const char *shift, int64_t installation,
                         const char *repo, int64_t number, bool open, int64_t due_ms);

void store_installation_upsert(struct redis_batch *b, int64_t installation, const char *account,
                               const char *target_type, bool suspended);
void store_installation_delete(struct redis_batch *b, int64_t installation);
void store_installation_repo(struct redis_batch *b, int64_t installation, const char *repo,
                             bool added);

/* One merge for the registry Firewatch reads. Strings may be "" when unknown. */
struct store_merge {
    const char *repo;
    int64_t number;
    const char *head_sha;
    const char *merge_sha;
    const char *shift;    /* from the fleetbot/shift:<name> label, "" if none */
    int64_t merged_at;    /* ms */
    const char *by;       /* "fleetbot" or "human" */
    const char *method;   /* merge|squash|rebase, "" when a person merged */
    int64_t installation; /* for the PR's job id */
    const char *cohort;   /* the shift's cohort of the PR, "" when unknown or none */
    const char *team;     /* the repo's owning team, "" when unknown */
    int64_t due_ms;       /* when the shift's critical PRs look again */
};

/* Records a merge once, whoever sees it first (the merging evaluation, or the
 * pull_request.closed event if that process died before recording): fb:merge:<repo>#<n>,
 * an entry in KEY_MERGES, and the PR no longer tracked. Appends the command to b, or,
 * with b NULL, fills argv/lens (STORE_MERGE_ARGC entries, pointing into m and keybufs,
 * which must hold STORE_MERGE_KEYBUFS bytes) for the caller to send. A merge of a shift's
 * PR also takes it out of the shift's open PRs and wakes the shift's critical PRs at
 * due_ms. */
#define STORE_MERGE_KEYBUFS (6 * STORE_JOB_MAX)
#define STORE_MERGE_ARGC    20
int store_merge_argv(const struct store_merge *m, char *keybufs, const char **argv, size_t *lens);
void store_record_merge(struct redis_batch *b, const struct store_merge *m);

/* The shift named by a PR label "fleetbot/shift:<name>" (case-insensitive prefix) into
 * out, or "" when label is not one. */
#define STORE_SHIFT_LABEL_PREFIX "fleetbot/shift:"
bool store_shift_from_label(const char *label, char *out, size_t cap);

/* Key helpers: write "fb:pr:<repo>#<n>" etc. into out. 0 or FB_ERR_TOO_LARGE. */
int store_key_pr(char *out, size_t cap, const char *repo, int64_t number);
int store_key_merge(char *out, size_t cap, const char *repo, int64_t number);

#endif
