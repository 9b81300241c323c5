/*
 * queue.h - the consumer side of the delivery stream fb:events: a Redis consumer group
 * ("fleetbot") read with XREADGROUP, at-least-once, with reclaim of dead consumers'
 * entries, retries with backoff, and a dead-letter stream fb:dead. It does not decode
 * payloads or know any event; the worker (worker.h) does. See docs/internals/queue.md.
 */
#ifndef FLEETBOT_QUEUE_H
#define FLEETBOT_QUEUE_H

#include <stdint.h>
#include <stdio.h>

struct event_base;
struct fb_error;
struct fb_redis;
struct fb_queue;

#define QUEUE_KEY_EVENTS "fb:events" /* stream, written by the receiver */
#define QUEUE_KEY_DEAD   "fb:dead"   /* stream of dead letters */
#define QUEUE_GROUP      "fleetbot"
#define QUEUE_BLOCK_MS   1000 /* XREADGROUP BLOCK; block_conn's timeout must exceed it */
#define QUEUE_BACKOFF_BASE_MS                                                                      \
    500                   /* first retry delay; doubles per attempt, capped at reclaim_ms          \
                           */
#define QUEUE_READ_MAX 64 /* entries per XREADGROUP / XCLAIM */

/* One delivery handed to the handler. Owned by the queue; valid until queue_job_done(). */
struct queue_job {
    const char *id;           /* stream entry id */
    const char *delivery;     /* X-GitHub-Delivery */
    const char *event;        /* X-GitHub-Event */
    const char *content_kind; /* "json" or "form" */
    const char *body;         /* raw bytes as received, NUL-terminated for convenience */
    size_t body_len;
    int64_t received_ms;
    int64_t attempt; /* 1 on first delivery; grows with each retry or reclaim */
};

/* Called from the event loop for each job; the handler finishes it with queue_job_done()
 * now or later. At most `concurrency` jobs are in flight. */
typedef void (*queue_handle_fn)(struct queue_job *job, void *priv);

struct fb_queue_options {
    const char *consumer; /* unique per process (FLEETBOT_CONSUMER); copied */
    int64_t reclaim_ms;   /* an entry idle this long in another consumer is taken over */
    int64_t max_attempts; /* deliveries before an entry goes to fb:dead */
    int concurrency;      /* jobs in flight in this process */
};

/* Counters since start, for logs and metrics. */
struct queue_stats {
    uint64_t started;   /* jobs handed to the handler */
    uint64_t acked;     /* finished with rc == 0 */
    uint64_t retried;   /* transient failures put back with a backoff */
    uint64_t dead;      /* moved to fb:dead (permanent, exhausted, poison, malformed) */
    uint64_t reclaimed; /* jobs taken over from an idle consumer (or own retries) */
};

/*
 * Starts consuming at once (and again by itself after every reconnect; the group is
 * re-created if Redis lost it). cmd_conn serves short commands and may be shared;
 * block_conn is used only for XREADGROUP BLOCK and must not be shared, since the queue
 * sets its on-ready callback. Both are borrowed and must outlive the queue's callbacks:
 * free the queue before them. fn and priv are borrowed. Caller owns the result.
 */
struct fb_queue *queue_new(struct event_base *base, struct fb_redis *cmd_conn,
                           struct fb_redis *block_conn, const struct fb_queue_options *opt,
                           queue_handle_fn fn, void *priv);

/* Stops taking jobs (for a graceful drain); jobs in flight finish normally. */
void queue_pause(struct fb_queue *q);
int queue_inflight(const struct fb_queue *q);
const struct queue_stats *queue_get_stats(const struct fb_queue *q);

/*
 * Stops consuming and frees q. Jobs still in flight stay valid and pending in Redis;
 * queue_job_done() on them only frees them, and another consumer reclaims their entries
 * after reclaim_ms. NULL is a no-op.
 */
void queue_free(struct fb_queue *q);

/*
 * Finishes a job and frees it: rc == 0 -> XACK + XDEL; a transient rc (fb_err_is_transient)
 * -> retried after a backoff (the entry stays pending, attempt grows); a permanent rc, or
 * attempts exhausted -> moved to fb:dead with err's message, acked and deleted, atomically.
 * err may be NULL. A Redis failure here leaves the entry pending, so it is redone later.
 */
void queue_job_done(struct queue_job *job, int rc, const struct fb_error *err);

/*
 * Operator commands (blocking hiredis; for the CLI only, never in the event loop).
 * queue_cli_dead_list prints one line per dead letter to out and returns how many, or a
 * negative FB_ERR_* code. queue_cli_dead_replay puts one dead letter back on fb:events
 * (same fields, a new id) and removes it from fb:dead: 0, FB_ERR_NOT_FOUND, or another
 * FB_ERR_* code. password may be NULL. Failures are logged at error level.
 */
int queue_cli_dead_list(const char *host, int port, int db, const char *password, FILE *out);
int queue_cli_dead_replay(const char *host, int port, int db, const char *password,
                          const char *dead_id);

#endif
