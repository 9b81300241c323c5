/*
 * evaluator.c - one evaluation of one PR, as a chain of asynchronous steps:
 *
 *   load (Redis: previous decision, backoff counters)
 *   -> GET the PR (fresh mergeable, head, labels, base)
 *   -> stop here if it is not eligible (untagged, closed, draft, held): no more API calls
 *   -> GET check runs + combined status on the head, branch protection + rules of the base
 *   -> gates -> record decision -> PUT merge with sha, or schedule the next look.
 *
 * struct evaluation owns every JSON value and string of the evaluation and is freed in
 * eval_finish() only, which also releases the job's lease.
 */
#include "evaluator.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "checkrun.h"
#include "err.h"
#include "evalq.h"
#include "evaluator_facts.h"
#include "gh_client.h"
#include "jsonutil.h"
#include "log.h"
#include "opt_out_notice.h"
#include "parse.h"
#include "policy_source.h"
#include "protection_cache.h"
#include "rate_slots.h"
#include "policies/check_summary.h"
#include "policies/gates.h"
#include "redis.h"
#include "redis_batch.h"
#include "store.h"
#include "timeutil.h"
#include "policies/schedule.h"
#include "policies/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHIFT_LABEL_PREFIX       "fleetbot/shift:"
#define RETRY_TRANSIENT_MS       10000
#define MERGE_UNKNOWN_RECHECK_MS 2000
/* A merge call outlives its HTTP timeout (30 s) by no more than this: until then another
 * process's unanswered merge of the same head may still land, so nobody sends a second. */
#define MERGE_IN_FLIGHT_MS 35000

enum { F_RUNS, F_STATUS, F_BRANCH, F_RULES, F_REVIEWS, F_COUNT };

struct evaluation {
    struct app *app;
    struct evalq_job *job;
    int64_t installation;
    char repo[256];
    int64_t number;
    char prkey[300];
    int64_t now;
    int mergeable_attempts;
    char merge_sent_sha[48]; /* a merge call sent by some process and not answered yet */
    int64_t merge_sent_at;   /* real-time ms */
    int merge_refusals;
    char *prev_decision;
    char *prev_reason;
    char *check_id, *check_sha, *check_sig; /* the `fleetbot` check run already published */
    struct opt_out_fact comment_opt_out;    /* an opt-out made by comment (fb:optout:*) */
    char comment_opt_out_text[640];
    char comment_opt_out_expires[16];
    int64_t protection_gen; /* fb:protection:gen:<repo> */
    bool protection_cached; /* branch and rules came from the per-process cache */
    bool status_asked;      /* the combined status was requested (only when needed) */
    struct pause_fact paused;
    struct cohort_fact cohort;           /* this PR's cohort of its shift's rollout */
    struct cohort_progress progress[32]; /* the earlier cohorts */
    char paused_by[128], paused_reason[320];
    json_t *pr;
    json_t *fetched[F_COUNT];
    int outstanding;
    struct fb_error fetch_err;
    struct pr_facts facts;
    struct facts_storage storage;
    struct decision decision;
    char shift[128];
    struct policy_view *policy; /* the policy files' facts; owned */
};

static const char *fetch_names[F_COUNT] = {"check runs", "combined status", "branch protection",
                                           "rules", "reviews"};

static void eval_finish(struct evaluation *ev, int64_t next_due)
{
    evalq_job_done(ev->job, next_due);
    json_decref(ev->pr);
    for (int i = 0; i < F_COUNT; i++)
        json_decref(ev->fetched[i]);
    facts_storage_free(&ev->storage);
    policy_view_free(ev->policy);
    free(ev->prev_decision);
    free(ev->prev_reason);
    free(ev->check_id);
    free(ev->check_sha);
    free(ev->check_sig);
    free(ev);
}

/* Labels for on_redis_logged (its priv is not const). */
static char w_untrack[] = "untrack", w_merge[] = "merge record", w_decision[] = "decision",
            w_tracking[] = "tracking", w_sha[] = "sha index", w_inflight[] = "merge in flight";

static void on_redis_logged(redisReply *reply, void *priv)
{
    const char *what = priv;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        log_warn("redis write failed what=%s error=%s", what, fb_redis_reply_error_text(reply));
}

/* When a rate-limited call may be made again, on the policy clock: GitHub's reset is in
 * real time, while the evaluation queue is scored in policy time (FLEETBOT_NOW). */
static int64_t rate_limit_due(const struct evaluation *ev, const struct fb_error *err)
{
    int64_t wait = err->retry_at_ms > 0 ? err->retry_at_ms - time_real_ms() : 60000;
    return ev->now + (wait > 1000 ? wait : 1000);
}

/* A failed GitHub call: when to look again, and what to tell the operator. */
static void eval_fail(struct evaluation *ev, const char *what, const struct fb_error *err)
{
    int64_t next = 0;
    if (err->code == FB_ERR_RATE_LIMITED)
        next = rate_limit_due(ev, err);
    else if (fb_err_is_transient(err->code))
        next = ev->now + RETRY_TRANSIENT_MS;
    if (err->code == FB_ERR_NOT_FOUND && ev->pr == NULL) {
        /* the PR (or our access to the repo) is gone: stop tracking it */
        fb_redis_command(ev->app->redis, on_redis_logged, w_untrack, "SREM fb:tracked:%s %lld",
                         ev->repo, (long long)ev->number);
    }
    log_warn("evaluation could not read %s repo=%s pr=%lld status=%d error=%s (%s)%s", what,
             ev->repo, (long long)ev->number, err->http_status, err->msg, fb_err_name(err->code),
             next ? ", will look again" : "");
    eval_finish(ev, next);
}

static void find_shift(struct evaluation *ev)
{
    for (size_t i = 0; i < ev->facts.nlabels; i++)
        if (store_shift_from_label(ev->facts.labels[i], ev->shift, sizeof(ev->shift)))
            return;
}

static void record_merge(struct evaluation *ev, const char *merge_sha, int64_t merged_at,
                         const char *by)
{
    struct store_merge m = {
        .repo = ev->repo,
        .number = ev->number,
        .head_sha = ev->facts.head_sha,
        .merge_sha = merge_sha,
        .shift = ev->shift,
        .merged_at = merged_at,
        .by = by,
        .method = strcmp(by, "fleetbot") == 0 ? ev->app->settings.merge_method : "",
        .installation = ev->installation,
        .cohort = ev->facts.cohort ? ev->facts.cohort->name : "",
        .team = ev->facts.schedule && ev->facts.schedule->team ? ev->facts.schedule->team : "",
        .due_ms = ev->now,
    };
    char keybufs[STORE_MERGE_KEYBUFS];
    const char *argv[STORE_MERGE_ARGC];
    size_t lens[STORE_MERGE_ARGC];
    if (store_merge_argv(&m, keybufs, argv, lens) != 0 ||
        fb_redis_command_argv(ev->app->redis, on_redis_logged, w_merge, STORE_MERGE_ARGC, argv,
                              lens) != 0)
        log_error("merge not recorded (redis unavailable) repo=%s pr=%lld merge_sha=%s; the "
                  "pull_request.closed event records it",
                  ev->repo, (long long)ev->number, merge_sha ? merge_sha : "?");
    else if (m.cohort[0] || m.team[0]) /* what only the evaluator knows, whoever recorded it */
        fb_redis_command(ev->app->redis, on_redis_logged, w_merge, "HSET %s cohort %s team %s",
                         keybufs, m.cohort, m.team);
}

/* The `fleetbot` check run on the head says what was decided; untagged PRs get none. */
static void publish_check(struct evaluation *ev, const char *kind, const char *reason,
                          int64_t until)
{
    bool has_run = ev->check_id && ev->check_id[0];
    if (strcmp(kind, "skip") == 0 && !has_run)
        return;
    const struct decision *d = &ev->decision;
    if (strcmp(kind, "wait") == 0 && d->deciding_gate >= 0 &&
        (size_t)d->deciding_gate < d->ngates &&
        strcmp(d->gates[d->deciding_gate].gate, "mergeable") == 0 && d->until_ms > 0)
        return; /* GitHub computing mergeability: a second or two, not worth a check run */
    struct check_summary_in in = {.kind = kind,
                                  .reason = reason,
                                  .until_ms = until,
                                  .d = ev->decision.ngates ? &ev->decision : NULL,
                                  .schedule = ev->facts.schedule};
    struct check_summary cs;
    struct buf summary = BUF_INIT(60 * 1024);
    if (check_summary_render(&in, &cs, &summary) == 0) {
        struct checkrun_post p = {.installation = ev->installation,
                                  .repo = ev->repo,
                                  .head_sha = ev->facts.head_sha,
                                  .state_key = ev->prkey,
                                  .prev_id = ev->check_id,
                                  .prev_sha = ev->check_sha,
                                  .prev_sig = ev->check_sig,
                                  .status = cs.status,
                                  .conclusion = cs.conclusion,
                                  .title = cs.title,
                                  .summary = buf_cstr(&summary)};
        checkrun_publish(ev->app, &p);
    }
    buf_free(&summary);
}

/* Writes the decision and its trace to fb:pr:<repo>#<n>, logs when it changed, and
 * updates the check run. until: the next look (0 = on the next event). */
static void record_decision(struct evaluation *ev, const char *kind, const char *reason,
                            int64_t until)
{
    struct buf trace = BUF_INIT(64 * 1024);
    decision_to_json(&ev->decision, &trace);
    char attempts[16], refusals[16], at[24], inst[24];
    snprintf(attempts, sizeof(attempts), "%d", ev->mergeable_attempts);
    snprintf(refusals, sizeof(refusals), "%d", ev->merge_refusals);
    snprintf(at, sizeof(at), "%lld", (long long)ev->now);
    snprintf(inst, sizeof(inst), "%lld", (long long)ev->installation);
    const char *argv[] = {"HSET",
                          ev->prkey,
                          "decision",
                          kind,
                          "reason",
                          reason,
                          "trace",
                          buf_cstr(&trace),
                          "head_sha",
                          ev->facts.head_sha ? ev->facts.head_sha : "",
                          "evaluated_at",
                          at,
                          "mergeable_attempts",
                          attempts,
                          "merge_refusals",
                          refusals,
                          "installation",
                          inst};
    size_t lens[sizeof(argv) / sizeof(argv[0])];
    for (size_t i = 0; i < sizeof(argv) / sizeof(argv[0]); i++)
        lens[i] = strlen(argv[i]);
    fb_redis_command_argv(ev->app->redis, on_redis_logged, w_decision,
                          (int)(sizeof(argv) / sizeof(argv[0])), argv, lens);
    buf_free(&trace);
    bool changed = ev->prev_decision == NULL || strcmp(ev->prev_decision, kind) != 0 ||
                   ev->prev_reason == NULL || strcmp(ev->prev_reason, reason) != 0;
    if (changed)
        log_info("decision repo=%s pr=%lld head=%.7s decision=%s reason=\"%s\"", ev->repo,
                 (long long)ev->number, ev->facts.head_sha ? ev->facts.head_sha : "-", kind,
                 reason);
    if (ev->facts.head_sha)
        publish_check(ev, kind, reason, until);
}

static void on_batch_logged(int rc, const char *err_text, void *priv)
{
    if (rc != 0)
        log_warn("redis write failed what=%s error=%s", (const char *)priv, err_text);
}

static void set_tracking(struct evaluation *ev, bool tracked)
{
    fb_redis_command(ev->app->redis, on_redis_logged, w_tracking, "%s fb:tracked:%s %lld",
                     tracked ? "SADD" : "SREM", ev->repo, (long long)ev->number);
    if (tracked)
        fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                         "SADD " STORE_TRACKED_REPOS_PREFIX "%lld %s", (long long)ev->installation,
                         ev->repo);
    if (ev->shift[0]) {
        /* the shift's critical PRs wait for its open PRs in lower tiers (critical.c) */
        bool critical = tracked && ev->policy && ev->policy->has_critical;
        fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                         "%s " STORE_SHIFT_CRITICAL_PREFIX "%s %s", critical ? "SADD" : "SREM",
                         ev->shift, ev->job->id);
        if (!tracked && !ev->facts.is_merged) /* closed or untagged: out of the rollout */
            fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                             "HDEL " STORE_COHORT_PREFIX "%s %s#%lld", ev->shift, ev->repo,
                             (long long)ev->number);
        struct redis_batch *b = redis_batch_new(ev->app->redis, on_batch_logged, w_tracking);
        store_shift_pr_open(b, ev->shift, ev->installation, ev->repo, ev->number, tracked, ev->now);
        redis_batch_seal(b);
    }
    if (tracked && ev->facts.head_sha) {
        fb_redis_command(ev->app->redis, on_redis_logged, w_sha, "SADD fb:sha:%s:%s %lld", ev->repo,
                         ev->facts.head_sha, (long long)ev->number);
        fb_redis_command(ev->app->redis, on_redis_logged, w_sha, "EXPIRE fb:sha:%s:%s %d", ev->repo,
                         ev->facts.head_sha, STORE_SHA_TTL_S);
    }
}

/* ---- merging ------------------------------------------------------------------------ */

static void release_rates(struct evaluation *ev);

static void on_merged(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct evaluation *ev = priv;
    /* answered, whatever the answer: the call is no longer in flight */
    fb_redis_command(ev->app->redis, on_redis_logged, w_inflight,
                     "HDEL %s merge_sent_sha merge_sent_at", ev->prkey);
    const char *msg = resp && resp->message ? resp->message : "";
    if (err->code == 0) {
        const char *sha = json_path_str(resp->json, "sha");
        ev->app->merges++;
        log_info("merged repo=%s pr=%lld head=%s merge_sha=%s shift=%s", ev->repo,
                 (long long)ev->number, ev->facts.head_sha, sha ? sha : "?",
                 ev->shift[0] ? ev->shift : "-");
        record_merge(ev, sha, ev->now, "fleetbot");
        ev->merge_refusals = 0;
        record_decision(ev, "merged", "merged: every gate passed", 0);
        eval_finish(ev, 0);
        return;
    }
    /* a definite "no" (4xx) frees the reserved rate-limit slots; an unknown outcome
     * (5xx, timeout) keeps them, since the merge may have happened */
    if ((err->http_status >= 400 && err->http_status < 500) || err->code == FB_ERR_RATE_LIMITED)
        release_rates(ev);
    int64_t next = 0;
    char reason[GATE_REASON_MAX];
    if (err->http_status == 409) {
        /* the head moved after we read it: judge the new head, never retry this one */
        snprintf(reason, sizeof(reason), "head moved before the merge; re-evaluating the new head");
        next = ev->now + 1000;
    } else if (err->http_status == 405 && strstr(msg, "Base branch was modified")) {
        snprintf(reason, sizeof(reason),
                 "base branch moved during the merge; trying again shortly");
        next = ev->now + 3000;
    } else if (err->http_status == 405 && strstr(msg, "merge queue")) {
        snprintf(reason, sizeof(reason),
                 "the branch requires the merge queue; fleetbot does not enqueue PRs yet");
    } else if (err->http_status == 405 || err->code == FB_ERR_DENIED ||
               err->code == FB_ERR_INVALID) {
        snprintf(reason, sizeof(reason), "GitHub refused the merge (%d): %s", err->http_status,
                 msg[0] ? msg : err->msg);
        /* Another replica may just have merged it, or GitHub's view lags ours (a check
         * just completed): read the PR again at once, then twice more slowly, then wait
         * for an event rather than poll */
        ev->merge_refusals++;
        if (ev->merge_refusals == 1)
            next = ev->now + 2000; /* a fresh read first: was it merged meanwhile? */
        else if (ev->merge_refusals <= 3)
            next = ev->now + 30000LL * (ev->merge_refusals - 1);
    } else if (err->code == FB_ERR_RATE_LIMITED) {
        snprintf(reason, sizeof(reason), "GitHub rate limit reached; merging when it resets");
        next = rate_limit_due(ev, err);
    } else {
        /* 5xx, timeout, network: the merge may or may not have happened. Never merge
         * again on a guess: the next evaluation re-reads the PR first. */
        snprintf(reason, sizeof(reason),
                 "merge answer unknown (%s, status %d); re-reading the PR before anything else",
                 fb_err_name(err->code), err->http_status);
        next = ev->now + MERGE_UNKNOWN_RECHECK_MS;
    }
    log_warn("merge not done repo=%s pr=%lld head=%.7s status=%d reason=\"%s\"", ev->repo,
             (long long)ev->number, ev->facts.head_sha, err->http_status, reason);
    record_decision(ev, next ? "wait" : "blocked", reason, next);
    eval_finish(ev, next);
}

static void send_merge(struct evaluation *ev)
{
    char path[512], body[256];
    snprintf(path, sizeof(path), "/repos/%s/pulls/%lld/merge", ev->repo, (long long)ev->number);
    snprintf(body, sizeof(body), "{\"sha\":\"%s\",\"merge_method\":\"%s\"}", ev->facts.head_sha,
             ev->app->settings.merge_method);
    struct gh_request req = {
        .method = "PUT", .path = path, .installation_id = ev->installation, .body = body};
    /* Written before the call on the same connection, so it lands first. */
    fb_redis_command(ev->app->redis, on_redis_logged, w_inflight,
                     "HSET %s merge_sent_sha %s merge_sent_at %lld", ev->prkey, ev->facts.head_sha,
                     (long long)time_real_ms());
    if (gh_request_send(ev->app->gh, &req, on_merged, ev) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "github client unavailable");
        eval_fail(ev, "merge", &e);
    }
}

static void rate_member(const struct evaluation *ev, char *out, size_t cap)
{
    snprintf(out, cap, "%s#%lld@%s", ev->repo, (long long)ev->number, ev->facts.head_sha);
}

/* The merge did not happen: give its slots back. */
static void release_rates(struct evaluation *ev)
{
    if (ev->policy == NULL)
        return;
    char member[400];
    rate_member(ev, member, sizeof(member));
    rate_slots_release(ev->app->redis, ev->policy, member);
}

static void on_reserved(redisReply *reply, void *priv)
{
    struct evaluation *ev = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis: %s", fb_redis_reply_error_text(reply));
        eval_fail(ev, "a rate-limit slot", &e);
        return;
    }
    if (reply->integer == 0) {
        send_merge(ev);
        return;
    }
    /* another replica took the last slot since the facts were read */
    char when[40];
    time_format_rfc3339(reply->integer, when, sizeof(when));
    char reason[GATE_REASON_MAX];
    snprintf(reason, sizeof(reason),
             "rate limit on automerges reached just before merging (another PR took the "
             "slot); next slot at %s",
             when);
    record_decision(ev, "wait", reason, reply->integer);
    eval_finish(ev, reply->integer);
}

static void merge(struct evaluation *ev)
{
    struct policy_view *v = ev->policy;
    if (v == NULL || v->nrates == 0) {
        send_merge(ev);
        return;
    }
    char member[400];
    rate_member(ev, member, sizeof(member));
    if (rate_slots_reserve(ev->app->redis, v, ev->now, member, on_reserved, ev) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis unavailable");
        eval_fail(ev, "a rate-limit slot", &e);
    }
}

/* ---- deciding ----------------------------------------------------------------------- */

static void decide(struct evaluation *ev)
{
    gates_evaluate(&ev->facts, ev->now, &ev->decision);
    const struct decision *d = &ev->decision;
    bool mergeable_wait = d->kind == DECISION_WAIT && d->deciding_gate >= 0 &&
                          strcmp(d->gates[d->deciding_gate].gate, "mergeable") == 0;
    ev->mergeable_attempts = mergeable_wait ? ev->mergeable_attempts + 1 : 0;
    if (d->kind == DECISION_MERGE) {
        int64_t since = time_real_ms() - ev->merge_sent_at;
        if (strcmp(ev->merge_sent_sha, ev->facts.head_sha) == 0 && since >= 0 &&
            since < MERGE_IN_FLIGHT_MS) {
            /* a process that died (or lost its lease) sent this merge and its answer is
             * unknown: its pull_request.closed event settles it, or we look again */
            record_decision(ev, "wait",
                            "a merge of this head is already in flight (sent by a process that "
                            "lost its lease); looking again once it must have been answered",
                            ev->now + (MERGE_IN_FLIGHT_MS - since));
            eval_finish(ev, ev->now + (MERGE_IN_FLIGHT_MS - since));
            return;
        }
        merge(ev);
        return;
    }
    if (d->kind == DECISION_SKIP)
        set_tracking(ev, false);
    int64_t next = d->kind == DECISION_WAIT ? d->until_ms : 0;
    if (d->kind == DECISION_WAIT && strcmp(d->gates[d->deciding_gate].gate, "cohort") == 0 &&
        d->until_ms == 0) /* Firewatch wakes it when it proves a merge of the shift */
        fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                         "SADD " STORE_COHORT_PREFIX "%s:waiting %s", ev->shift, ev->job->id);
    if (d->kind == DECISION_WAIT && strcmp(d->gates[d->deciding_gate].gate, "opt-out") == 0 &&
        ev->policy && ev->policy->has_org) {
        /* the owners hear a few working days ahead that their opt-out ends */
        int64_t notice = opt_out_notice_step(ev->app, ev->installation, &ev->facts,
                                             ev->policy->org.opt_out_notice_days, ev->now);
        if (notice > 0 && (next == 0 || notice < next))
            next = notice;
    }
    record_decision(ev, decision_kind_name(d->kind), decision_reason(d),
                    d->kind == DECISION_WAIT ? d->until_ms : 0);
    eval_finish(ev, next);
}

static void on_fetched(struct evaluation *ev, int slot, const struct gh_response *resp,
                       const struct fb_error *err);
static void on_status(const struct gh_response *resp, const struct fb_error *err, void *priv);

/* One of the parallel fetches (or the guard held while sending them) finished. */
static void fetch_step_done(struct evaluation *ev)
{
    if (--ev->outstanding > 0)
        return;
    if (ev->fetch_err.code != 0) {
        eval_fail(ev, "checks", &ev->fetch_err);
        return;
    }
    if (!ev->status_asked &&
        facts_statuses_needed(ev->fetched[F_BRANCH], ev->fetched[F_RULES], ev->fetched[F_RUNS])) {
        /* a required check without a check run may be a commit status: read them too */
        ev->status_asked = true;
        char path[700];
        snprintf(path, sizeof(path), "/repos/%s/commits/%s/status?per_page=100", ev->repo,
                 ev->facts.head_sha);
        struct gh_request req = {
            .method = "GET", .path = path, .installation_id = ev->installation, .use_etag = true};
        ev->outstanding = 1;
        if (gh_request_send(ev->app->gh, &req, on_status, ev) != 0) {
            struct fb_error e = {0};
            fb_error_set(&e, FB_ERR_UNAVAILABLE, "github client refused the request");
            on_fetched(ev, F_STATUS, NULL, &e);
        }
        return;
    }
    if (!ev->protection_cached)
        protection_cache_put(ev->app->protection, ev->repo, ev->facts.base_ref, ev->protection_gen,
                             time_real_ms(), ev->fetched[F_BRANCH], ev->fetched[F_RULES]);
    facts_from_checks(&ev->facts, &ev->storage, ev->fetched[F_BRANCH], ev->fetched[F_RULES],
                      ev->fetched[F_RUNS], ev->fetched[F_STATUS]);
    if (ev->fetched[F_REVIEWS] && ev->policy && ev->policy->has_critical)
        ev->policy->critical.approvals =
            facts_approvals_of_head(ev->fetched[F_REVIEWS], ev->facts.head_sha);
    decide(ev);
}

static void on_fetched(struct evaluation *ev, int slot, const struct gh_response *resp,
                       const struct fb_error *err)
{
    if (err->code == 0) {
        ev->fetched[slot] = json_incref(resp->json);
    } else if (err->code == FB_ERR_NOT_FOUND && (slot == F_BRANCH || slot == F_RULES)) {
        /* no such branch record / no rules: nothing required from that source */
    } else if (ev->fetch_err.code == 0) {
        ev->fetch_err = *err;
        snprintf(ev->fetch_err.msg, sizeof(ev->fetch_err.msg), "%s: %.200s", fetch_names[slot],
                 err->msg);
    }
    fetch_step_done(ev);
}

#define FETCH_CB(name, slot)                                                                       \
    static void name(const struct gh_response *resp, const struct fb_error *err, void *priv)       \
    {                                                                                              \
        on_fetched(priv, slot, resp, err);                                                         \
    }
FETCH_CB(on_runs, F_RUNS)
FETCH_CB(on_status, F_STATUS)
FETCH_CB(on_branch, F_BRANCH)
FETCH_CB(on_rules, F_RULES)
FETCH_CB(on_reviews, F_REVIEWS)

static void fetch_checks(struct evaluation *ev)
{
    char paths[F_COUNT][700], ref[400];
    url_encode_path(ev->facts.base_ref, ref, sizeof(ref));
    snprintf(paths[F_RUNS], sizeof(paths[F_RUNS]),
             "/repos/%s/commits/%s/check-runs?per_page=100&filter=latest", ev->repo,
             ev->facts.head_sha);
    snprintf(paths[F_STATUS], sizeof(paths[F_STATUS]), "/repos/%s/commits/%s/status?per_page=100",
             ev->repo, ev->facts.head_sha);
    snprintf(paths[F_BRANCH], sizeof(paths[F_BRANCH]), "/repos/%s/branches/%s", ev->repo, ref);
    snprintf(paths[F_RULES], sizeof(paths[F_RULES]), "/repos/%s/rules/branches/%s", ev->repo, ref);
    struct gh_request reqs[F_COUNT] = {
        {.method = "GET",
         .path = paths[F_RUNS],
         .installation_id = ev->installation,
         .paginate = true,
         .items_key = "check_runs",
         .max_pages = 10,
         .use_etag = true},
        {.method = "GET",
         .path = paths[F_STATUS],
         .installation_id = ev->installation,
         .use_etag = true},
        {.method = "GET",
         .path = paths[F_BRANCH],
         .installation_id = ev->installation,
         .use_etag = true},
        {.method = "GET",
         .path = paths[F_RULES],
         .installation_id = ev->installation,
         .use_etag = true},
    };
    snprintf(paths[F_REVIEWS], sizeof(paths[F_REVIEWS]),
             "/repos/%s/pulls/%lld/reviews?per_page=100", ev->repo, (long long)ev->number);
    reqs[F_REVIEWS] = (struct gh_request){.method = "GET",
                                          .path = paths[F_REVIEWS],
                                          .installation_id = ev->installation,
                                          .paginate = true,
                                          .max_pages = 10,
                                          .use_etag = true};
    gh_done_fn cbs[F_COUNT] = {on_runs, on_status, on_branch, on_rules, on_reviews};
    bool want[F_COUNT] = {true, false, true, true, false}; /* statuses: see fetch_step_done */
    const struct critical_fact *c = ev->facts.critical;
    want[F_REVIEWS] = c && c->require_approval; /* only critical repos need their reviews */
    ev->protection_cached =
        protection_cache_get(ev->app->protection, ev->repo, ev->facts.base_ref, ev->protection_gen,
                             time_real_ms(), &ev->fetched[F_BRANCH], &ev->fetched[F_RULES]);
    if (ev->protection_cached)
        want[F_BRANCH] = want[F_RULES] = false;
    ev->outstanding = 1; /* a guard, so no callback finishes ev while sending */
    for (int i = 0; i < F_COUNT; i++) {
        if (!want[i])
            continue;
        ev->outstanding++;
        if (gh_request_send(ev->app->gh, &reqs[i], cbs[i], ev) != 0) {
            struct fb_error e = {0};
            fb_error_set(&e, FB_ERR_UNAVAILABLE, "github client refused the request");
            on_fetched(ev, i, NULL, &e);
        }
    }
    fetch_step_done(ev);
}

/* Facts complete except the checks: gates that need no check facts decide first. */
static void after_policy(struct evaluation *ev)
{
    if (!gates_precheck_passes(&ev->facts, ev->now)) {
        /* outside the schedule, frozen, opted out, rate-limited, bad config: decided without
         * fetching check facts (they stay "not evaluated") */
        decide(ev);
        return;
    }
    fetch_checks(ev);
}

static void on_rates(redisReply *reply, void *priv)
{
    struct evaluation *ev = priv;
    if (rate_slots_fill(ev->policy, reply) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis: %s", fb_redis_reply_error_text(reply));
        eval_fail(ev, "the rate-limit counters", &e);
        return;
    }
    after_policy(ev);
}

/* Rate-limit counters when limits apply, then the rest. */
static void read_rates(struct evaluation *ev)
{
    if (ev->policy->nrates == 0) {
        after_policy(ev);
        return;
    }
    int rc = rate_slots_read(ev->app->redis, ev->policy, ev->now, on_rates, ev);
    if (rc != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis unavailable");
        eval_fail(ev, "the rate-limit counters", &e);
    }
}

/* KEYS: the shift's cohort members (hash "<repo>#<n>" -> cohort index), its implicated
 * merges (zset, score = when) and its last resume. ARGV: the PR's cohort k. Per earlier
 * cohort: total, merged, proven, implicated, newest merge (ms). An implication a shift
 * owner acknowledged by resuming the shift counts as proven: they looked. */
static const char LUA_COHORTS[] =
    "local k = tonumber(ARGV[1]) local out = {} "
    "local since = tonumber(redis.call('GET', KEYS[3]) or '0') "
    "for i = 1, 5 * k do out[i] = 0 end "
    "local all = redis.call('HGETALL', KEYS[1]) "
    "for i = 1, #all, 2 do local c = tonumber(all[i + 1]) "
    "  if c and c < k then local b = 5 * c "
    "    out[b + 1] = out[b + 1] + 1 "
    "    local at = redis.call('HGET', 'fb:merge:' .. all[i], 'merged_at') "
    "    if at then out[b + 2] = out[b + 2] + 1 "
    "      if tonumber(at) > out[b + 5] then out[b + 5] = tonumber(at) end "
    "      local st = redis.call('HGETALL', 'fb:fw:state:' .. all[i]) "
    "      local seen, bad, good = false, false, false "
    "      for j = 1, #st, 2 do "
    "        if st[j] == '_observed' then seen = true "
    "        elseif st[j + 1] == 'implicated' then bad = true "
    "        elseif st[j + 1] == 'proven' then good = true end end "
    "      if bad then local t = redis.call('ZSCORE', KEYS[2], all[i]) "
    "        if t and tonumber(t) < since then bad = false good = true seen = true end end "
    "      if bad then out[b + 4] = out[b + 4] + 1 "
    "      elseif seen and good then out[b + 3] = out[b + 3] + 1 end end end end "
    "return out";

static void on_cohorts(redisReply *reply, void *priv)
{
    struct evaluation *ev = priv;
    size_t k = (size_t)ev->cohort.index;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 5 * k) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis: %s", fb_redis_reply_error_text(reply));
        eval_fail(ev, "the rollout's cohorts", &e);
        return;
    }
    for (size_t i = 0; i < k; i++) {
        int64_t v[5];
        for (size_t j = 0; j < 5; j++)
            v[j] = reply->element[5 * i + j]->type == REDIS_REPLY_INTEGER
                       ? reply->element[5 * i + j]->integer
                       : 0;
        ev->progress[i] = (struct cohort_progress){
            ev->policy->shift.cohorts[i].name, v[0], v[1], v[2], v[3], v[4]};
    }
    ev->cohort.earlier = ev->progress;
    ev->cohort.nearlier = k;
    read_rates(ev);
}

/* The PR's cohort in its shift's rollout, and - past the first - how the earlier ones did. */
static void read_cohorts(struct evaluation *ev)
{
    const struct policy_view *v = ev->policy;
    if (!ev->shift[0]) {
        read_rates(ev);
        return;
    }
    /* every shift PR is a member of its shift's rollout (cohort 0 without cohorts): the
     * progress API lists them from there (api.c) */
    fb_redis_command(ev->app->redis, on_redis_logged, w_tracking, "SADD fb:shifts %s", ev->shift);
    int k = v->has_shift
                ? cfg_shift_cohort_of(&v->shift, ev->repo, v->has_repo ? v->repo.tier : NULL)
                : -1;
    if (k < 0 || k >= 32) {
        fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                         "HSET " STORE_COHORT_PREFIX "%s %s#%lld 0", ev->shift, ev->repo,
                         (long long)ev->number);
        read_rates(ev);
        return;
    }
    struct buf names = BUF_INIT(8192);
    buf_appends(&names, "[");
    for (size_t i = 0; i < v->shift.ncohorts && i < 32; i++) {
        buf_appends(&names, i ? ",\"" : "\"");
        buf_append_json_escaped(&names, v->shift.cohorts[i].name ? v->shift.cohorts[i].name : "?");
        buf_appends(&names, "\"");
    }
    buf_appends(&names, "]");
    fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                     "HSET fb:shift:info:%s cohorts %s", ev->shift, buf_cstr(&names));
    buf_free(&names);
    const struct cfg_cohort *c = &v->shift.cohorts[k];
    ev->cohort =
        (struct cohort_fact){c->name ? c->name : "?",       k,    v->shift.cohort_min_percent,
                             v->shift.cohort_soak_s * 1000, NULL, 0};
    ev->facts.cohort = &ev->cohort;
    fb_redis_command(ev->app->redis, on_redis_logged, w_tracking,
                     "HSET " STORE_COHORT_PREFIX "%s %s#%lld %d", ev->shift, ev->repo,
                     (long long)ev->number, k);
    if (k == 0) {
        read_rates(ev);
        return;
    }
    if (fb_redis_command(ev->app->redis, on_cohorts, ev,
                         "EVAL %s 3 " STORE_COHORT_PREFIX "%s " STORE_FW_SHIFT_PREFIX
                         "%s:implicated " STORE_FW_SHIFT_PREFIX "%s:since %d",
                         LUA_COHORTS, ev->shift, ev->shift, ev->shift, k) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis unavailable");
        eval_fail(ev, "the rollout's cohorts", &e);
    }
}

static const char *elem_str(redisReply *arr, size_t i, char *out, size_t cap)
{
    out[0] = '\0';
    if (arr == NULL || arr->type != REDIS_REPLY_ARRAY || i >= arr->elements)
        return NULL;
    redisReply *r = arr->element[i];
    if (r->type != REDIS_REPLY_STRING)
        return NULL;
    size_t n = r->len < cap - 1 ? r->len : cap - 1;
    memcpy(out, r->str, n);
    out[n] = '\0';
    return out;
}

/* An opt-out made by comment holds until the end of its day in the owning team's zone,
 * like one written in .github/fleetbot.yml; the later of the two applies. */
static void apply_comment_opt_out(struct evaluation *ev, redisReply *o)
{
    char by[128], at[32], day[32];
    int64_t until_day, at_ms = 0;
    if (elem_str(o, 0, by, sizeof(by)) == NULL || elem_str(o, 4, day, sizeof(day)) == NULL ||
        parse_i64(day, strlen(day), 0, 10000000, &until_day) != 0)
        return;
    if (elem_str(o, 1, at, sizeof(at)))
        parse_i64(at, strlen(at), 0, INT64_MAX, &at_ms);
    char reason[300], when[40];
    elem_str(o, 2, reason, sizeof(reason));
    elem_str(o, 3, ev->comment_opt_out_expires, sizeof(ev->comment_opt_out_expires));
    time_format_rfc3339(at_ms, when, sizeof(when));
    snprintf(ev->comment_opt_out_text, sizeof(ev->comment_opt_out_text),
             "%s (by @%s with /fleetbot opt-out on %.10s)", reason, by, when);
    const struct tz_zone *zone = ev->facts.schedule ? ev->facts.schedule->zone : NULL;
    int64_t until_s = (until_day + 1) * 86400;
    ev->comment_opt_out = (struct opt_out_fact){
        .reason = ev->comment_opt_out_text,
        .until_ms = (zone ? tz_from_local(zone, until_s) : until_s) * 1000,
        .max_until_ms = 0, /* checked against the org's limit when the command was given */
        .expires = ev->comment_opt_out_expires,
    };
    if (ev->facts.opt_out == NULL || ev->facts.opt_out->until_ms < ev->comment_opt_out.until_ms)
        ev->facts.opt_out = &ev->comment_opt_out;
}

static void on_overrides(redisReply *reply, void *priv)
{
    struct evaluation *ev = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis: %s", fb_redis_reply_error_text(reply));
        eval_fail(ev, "opt-outs and shift pauses", &e);
        return;
    }
    char gen[32];
    if (elem_str(reply, 2, gen, sizeof(gen)))
        parse_i64(gen, strlen(gen), 0, INT64_MAX, &ev->protection_gen);
    if (ev->policy->has_critical && reply->element[3]->type == REDIS_REPLY_INTEGER)
        /* without a shift there are no lower tiers to wait for */
        ev->policy->critical.lower_tiers_open = ev->shift[0] ? reply->element[3]->integer : 0;
    apply_comment_opt_out(ev, reply->element[0]);
    char at[32];
    if (ev->shift[0] && elem_str(reply->element[1], 0, ev->paused_by, sizeof(ev->paused_by))) {
        int64_t at_ms = 0;
        if (elem_str(reply->element[1], 1, at, sizeof(at)))
            parse_i64(at, strlen(at), 0, INT64_MAX, &at_ms);
        elem_str(reply->element[1], 2, ev->paused_reason, sizeof(ev->paused_reason));
        ev->paused = (struct pause_fact){ev->paused_by, at_ms, ev->paused_reason};
        ev->facts.shift_paused = &ev->paused;
    }
    read_cohorts(ev);
}

/* Opt-outs made by comment and shift pauses live in Redis, not in Git. */
static const char LUA_OVERRIDES[] =
    "return {redis.call('HMGET', KEYS[1], 'by', 'at', 'reason', 'until', 'until_day'), "
    "redis.call('HMGET', KEYS[2], 'by', 'at', 'reason'), "
    "redis.call('GET', KEYS[3]) or '0', "
    "ARGV[1] == '1' and #redis.call('SDIFF', KEYS[4], KEYS[5]) or 0}";

static void on_policy(struct policy_view *view, const struct fb_error *err, void *priv)
{
    struct evaluation *ev = priv;
    if (view == NULL) {
        eval_fail(ev, "the policy files", err);
        return;
    }
    ev->policy = view;
    policy_view_facts(view, &ev->facts);
    ev->facts.shift = ev->shift;
    /* before the read below, on the same connection: a critical PR is never counted among
     * the lower tiers it waits for */
    set_tracking(ev, true);
    if (fb_redis_command(ev->app->redis, on_overrides, ev,
                         "EVAL %s 5 " STORE_OPTOUT_PREFIX "%s " STORE_SHIFT_PAUSED_PREFIX
                         "%s " STORE_PROTECTION_GEN_PREFIX "%s " STORE_SHIFT_OPEN_PREFIX
                         "%s " STORE_SHIFT_CRITICAL_PREFIX "%s %s",
                         LUA_OVERRIDES, ev->repo, ev->shift, ev->repo, ev->shift, ev->shift,
                         view->has_critical && view->critical.after_lower_tiers ? "1" : "0") != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis unavailable");
        eval_fail(ev, "opt-outs and shift pauses", &e);
    }
}

static void on_pr(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct evaluation *ev = priv;
    if (err->code != 0) {
        eval_fail(ev, "the pull request", err);
        return;
    }
    ev->pr = json_incref(resp->json);
    facts_from_pr(&ev->facts, &ev->storage, ev->pr);
    ev->facts.repo = ev->repo;
    ev->facts.number = ev->number;
    ev->facts.automerge_label = ev->app->settings.automerge_label;
    ev->facts.hold_label = ev->app->settings.hold_label;
    ev->facts.own_app_id = ev->app->settings.app_id;
    ev->facts.mergeable_attempts = ev->mergeable_attempts;
    find_shift(ev);

    if (ev->facts.is_merged && facts_has_label(&ev->facts, ev->facts.automerge_label)) {
        /* merged, perhaps by us after an unknown answer, perhaps by a person: record once */
        const char *by = json_path_str(ev->pr, "merged_by.login");
        bool ours = by && ev->app->bot_login[0] && strcmp(by, ev->app->bot_login) == 0;
        int64_t at = 0;
        const char *merged_at = json_path_str(ev->pr, "merged_at");
        if (merged_at == NULL || time_parse_rfc3339(merged_at, &at) != 0)
            at = ev->now;
        record_merge(ev, json_path_str(ev->pr, "merge_commit_sha"), at,
                     ours ? "fleetbot" : "human");
    }
    if (ev->facts.head_sha == NULL || ev->facts.base_ref == NULL) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_INVALID, "pull request JSON lacks head.sha or base.ref");
        eval_fail(ev, "the pull request", &e);
        return;
    }
    if (!gates_is_eligible(&ev->facts, ev->now)) {
        decide(ev); /* not fleetbot's to merge: no policy or check facts needed */
        return;
    }
    if (policy_load(ev->app->policy, ev->installation, ev->repo, ev->shift, ev->now, on_policy,
                    ev) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "policy files could not be requested");
        eval_fail(ev, "the policy files", &e);
    }
}

static void fetch_pr(struct evaluation *ev)
{
    char path[512];
    snprintf(path, sizeof(path), "/repos/%s/pulls/%lld", ev->repo, (long long)ev->number);
    struct gh_request req = {
        .method = "GET", .path = path, .installation_id = ev->installation, .use_etag = true};
    if (gh_request_send(ev->app->gh, &req, on_pr, ev) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "github client refused the request");
        eval_fail(ev, "the pull request", &e);
    }
}

static int reply_int(redisReply *r)
{
    int64_t v = 0;
    if (r && r->type == REDIS_REPLY_STRING && parse_i64(r->str, r->len, 0, 1000000, &v) == 0)
        return (int)v;
    return 0;
}

static char *reply_str(redisReply *r)
{
    return (r && r->type == REDIS_REPLY_STRING) ? xstrndup(r->str, r->len) : NULL;
}

static void on_loaded(redisReply *reply, void *priv)
{
    struct evaluation *ev = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 9) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "redis: %s", fb_redis_reply_error_text(reply));
        eval_fail(ev, "its stored state", &e);
        return;
    }
    ev->mergeable_attempts = reply_int(reply->element[0]);
    ev->merge_refusals = reply_int(reply->element[1]);
    ev->prev_decision = reply_str(reply->element[2]);
    ev->prev_reason = reply_str(reply->element[3]);
    ev->check_id = reply_str(reply->element[6]);
    ev->check_sha = reply_str(reply->element[7]);
    ev->check_sig = reply_str(reply->element[8]);
    redisReply *sent = reply->element[4];
    if (sent->type == REDIS_REPLY_STRING && sent->len < sizeof(ev->merge_sent_sha)) {
        memcpy(ev->merge_sent_sha, sent->str, sent->len);
        ev->merge_sent_sha[sent->len] = '\0';
        redisReply *at = reply->element[5];
        if (at->type != REDIS_REPLY_STRING ||
            parse_i64(at->str, at->len, 0, INT64_MAX, &ev->merge_sent_at) != 0)
            ev->merge_sent_sha[0] = '\0';
    }
    fetch_pr(ev);
}

void evaluator_on_job(struct evalq_job *job, void *priv)
{
    struct app *app = priv;
    struct evaluation *ev = xcalloc(1, sizeof(*ev));
    ev->app = app;
    ev->job = job;
    ev->now = app_now_ms(app); /* read once; every gate sees the same instant */
    app->evaluations++;
    if (store_job_parse(job->id, &ev->installation, ev->repo, sizeof(ev->repo), &ev->number) != 0 ||
        store_key_pr(ev->prkey, sizeof(ev->prkey), ev->repo, ev->number) != 0) {
        log_error("evaluation job malformed, dropped job=%s", job->id);
        eval_finish(ev, 0);
        return;
    }
    if (fb_redis_command(app->redis, on_loaded, ev,
                         "HMGET %s mergeable_attempts merge_refusals decision reason "
                         "merge_sent_sha merge_sent_at check_id check_sha check_sig",
                         ev->prkey) != 0) {
        /* Redis is down: the lease expires and the job comes back by itself */
        log_warn("evaluation postponed, redis unavailable repo=%s pr=%lld", ev->repo,
                 (long long)ev->number);
        eval_finish(ev, 0);
    }
}
