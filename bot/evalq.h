/*
 * evalq.h - the evaluation queue: PRs due for a look, in a Redis sorted set scored by
 * due time. Events schedule a PR "now" (plus a short debounce); a WAIT decision
 * schedules it for the instant its gate opens, so a PR that waited over a weekend is
 * looked at again exactly then - no loop over all PRs, no polling of GitHub.
 *
 * Claiming moves a job to a lease set atomically (Lua), so across any number of
 * replicas one PR is evaluated by one process at a time; a lease that expires (its
 * process died) puts the job back. Scheduling the same PR twice keeps the earlier time.
 */
#ifndef FLEETBOT_EVALQ_H
#define FLEETBOT_EVALQ_H

#include <stdint.h>

struct event_base;
struct fb_redis;
struct evalq;

struct evalq_job {
    const char *id;      /* "<installation>|<owner/repo>|<number>", see store_job_format() */
    int64_t lease_until; /* lease deadline (ms) */
    struct evalq *q;
};

/* Called for each claimed job; finish it with evalq_job_done() (now or later). */
typedef void (*evalq_run_fn)(struct evalq_job *job, void *priv);

struct evalq_options {
    int concurrency;  /* jobs in flight in this process */
    int64_t lease_ms; /* how long a claim lasts before another replica may take it */
    int64_t poll_ms;  /* how often to look for due jobs */
};

/* clock_fn gives the policy clock (FLEETBOT_NOW-aware) in ms. Caller owns the result. */
struct evalq *evalq_new(struct event_base *base, struct fb_redis *redis,
                        const struct evalq_options *opt, int64_t (*clock_fn)(void *),
                        void *clock_priv, evalq_run_fn fn, void *priv);
void evalq_free(struct evalq *q);

/* Releases the job's lease; next_due_ms > 0 schedules the next look (kept if an earlier
 * one is already due). Frees job. */
void evalq_job_done(struct evalq_job *job, int64_t next_due_ms);

#endif
