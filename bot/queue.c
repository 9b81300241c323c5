/*
 * queue.c - the consumer group on fb:events. One tick timer drives everything that is not
 * a reply: (re)creating the group, reclaiming idle entries (XPENDING IDLE + XCLAIM),
 * heartbeats for long jobs, and restarting the read loop. Retries need no timer of their
 * own: a failed entry is re-claimed with an IDLE that makes it reclaimable after its
 * backoff. The operator commands at the end use blocking hiredis and are CLI-only.
 */
#include "queue.h"

#include "alloc.h"
#include "err.h"
#include "log.h"
#include "parse.h"
#include "redis.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#define STREAM_ID_MAX 64

/* XACK + XDEL as one step. KEYS[1] = fb:events; ARGV = group, id. */
static const char LUA_ACK[] = "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) "
                              "return redis.call('XDEL', KEYS[1], ARGV[2])";

/* Copy the entry to the dead-letter stream, then ack and delete it, atomically.
 * KEYS[1] = fb:events, KEYS[2] = fb:dead; ARGV = group, id, error, attempts, failed_at ms.
 * Returns 1 when moved, 0 when the entry was already gone (then it is only acked). */
static const char LUA_DEAD[] =
    "local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2]) "
    "local moved = 0 "
    "if #e == 1 then "
    "  local f, t = e[1][2], {} "
    "  for i = 1, #f, 2 do t[f[i]] = f[i + 1] end "
    "  redis.call('XADD', KEYS[2], '*', 'delivery', t['delivery'] or '', "
    "    'event', t['event'] or '', 'ct', t['ct'] or '', 'body', t['body'] or '', "
    "    'received', t['received'] or '', 'error', ARGV[3], 'attempts', ARGV[4], "
    "    'failed_at', ARGV[5]) "
    "  moved = 1 "
    "end "
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) "
    "redis.call('XDEL', KEYS[1], ARGV[2]) "
    "return moved";

/* Put a dead letter back on the queue. KEYS[1] = fb:dead, KEYS[2] = fb:events;
 * ARGV[1] = dead id. Returns the new entry id, or nil when there is no such dead letter. */
static const char LUA_REPLAY[] =
    "local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) "
    "if #e ~= 1 then return false end "
    "local f, t = e[1][2], {} "
    "for i = 1, #f, 2 do t[f[i]] = f[i + 1] end "
    "local id = redis.call('XADD', KEYS[2], '*', 'delivery', t['delivery'] or '', "
    "  'event', t['event'] or '', 'ct', t['ct'] or '', 'body', t['body'] or '', "
    "  'received', t['received'] or '', 'replayed_from', ARGV[1]) "
    "redis.call('XDEL', KEYS[1], ARGV[1]) "
    "return id";

struct job_impl {
    struct queue_job pub; /* first: queue_job_done() converts back */
    struct fb_queue *q;   /* NULL once the queue is freed (orphaned job) */
    struct job_impl *prev, *next;
    char *id, *delivery, *event, *ct, *body;
    int64_t touched_ms; /* monotonic: last claim or heartbeat */
};

struct fb_queue {
    struct event_base *base;
    struct fb_redis *cmd, *block;
    char *consumer;
    int64_t reclaim_ms, max_attempts;
    int concurrency;
    queue_handle_fn fn;
    void *priv;
    struct job_impl *jobs; /* in flight */
    int inflight;
    bool group_ok, creating_group, reading, reclaiming, paused, closed;
    int refs; /* callbacks outstanding that use q; q is freed when closed and 0 */
    struct event *tick_ev;
    struct queue_stats stats;
};

/* A fire-and-forget command's context: enough to log its failure. */
struct done_op {
    char what[16];
    char id[STREAM_ID_MAX];
};

struct claim_op {
    struct fb_queue *q;
    int n;
    char ids[QUEUE_READ_MAX][STREAM_ID_MAX];
    int64_t counts[QUEUE_READ_MAX];
};

static void maybe_read(struct fb_queue *q);

static void queue_destroy(struct fb_queue *q)
{
    free(q->consumer);
    free(q);
}

/* Drops one reference; true when that freed q (the caller must not touch it again). */
static bool queue_release(struct fb_queue *q)
{
    if (--q->refs == 0 && q->closed) {
        queue_destroy(q);
        return true;
    }
    return false;
}

static void on_done_reply(redisReply *reply, void *priv)
{
    struct done_op *op = priv;
    if (fb_redis_reply_is_error(reply))
        log_warn("queue %s failed, entry stays pending id=%s error=%s", op->what, op->id,
                 fb_redis_reply_error_text(reply));
    free(op);
}

static void on_ignore_reply(redisReply *reply, void *priv)
{
    (void)reply;
    (void)priv;
}

/* Issues a command whose failure is only logged; the entry then stays pending and is
 * reclaimed later, which is the at-least-once fallback for every queue write. */
static void fire(struct fb_queue *q, const char *what, const char *id, int argc, const char **argv)
{
    size_t lens[16];
    struct done_op *op = xcalloc(1, sizeof(*op));
    snprintf(op->what, sizeof(op->what), "%s", what);
    snprintf(op->id, sizeof(op->id), "%s", id);
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (fb_redis_command_argv(q->cmd, on_done_reply, op, argc, argv, lens) != 0) {
        log_warn("queue %s not sent: redis not ready, entry stays pending id=%s", what, id);
        free(op);
    }
}

static void dead_letter(struct fb_queue *q, const char *id, const char *error, int64_t attempts)
{
    char att[24], now[24];
    snprintf(att, sizeof(att), "%" PRId64, attempts);
    snprintf(now, sizeof(now), "%" PRId64, time_real_ms());
    const char *argv[] = {"EVAL", LUA_DEAD, "2", QUEUE_KEY_EVENTS, QUEUE_KEY_DEAD, QUEUE_GROUP, id,
                          error,  att,      now};
    q->stats.dead++;
    fire(q, "dead-letter", id, 10, argv);
}

static void job_free(struct job_impl *j)
{
    free(j->id);
    free(j->delivery);
    free(j->event);
    free(j->ct);
    free(j->body);
    free(j);
}

static void job_unlink(struct job_impl *j)
{
    struct fb_queue *q = j->q;
    if (j->prev)
        j->prev->next = j->next;
    else
        q->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
    q->inflight--;
}

static bool job_is_inflight(const struct fb_queue *q, const char *id)
{
    for (const struct job_impl *j = q->jobs; j; j = j->next)
        if (strcmp(j->id, id) == 0)
            return true;
    return false;
}

static const redisReply *field_value(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
            return fields->element[i + 1]->type == REDIS_REPLY_STRING ? fields->element[i + 1]
                                                                      : NULL;
    }
    return NULL;
}

/*
 * One stream entry [id, [field, value, ...]] into a job, queued on q's in-flight list but
 * not yet started. A malformed entry (missing fields) is dead-lettered instead: no handler
 * could do anything with it. Deleted entries (NIL) are skipped. Returns NULL for both.
 */
static struct job_impl *job_from_entry(struct fb_queue *q, const redisReply *e, int64_t attempt)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[0]->len >= STREAM_ID_MAX)
        return NULL;
    const char *id = e->element[0]->str;
    const redisReply *fields = e->element[1];
    if (fields->type != REDIS_REPLY_ARRAY)
        return NULL; /* deleted while pending */
    const redisReply *delivery = field_value(fields, "delivery");
    const redisReply *event = field_value(fields, "event");
    const redisReply *ct = field_value(fields, "ct");
    const redisReply *body = field_value(fields, "body");
    const redisReply *received = field_value(fields, "received");
    int64_t received_ms = 0;
    if (!delivery || !event || !ct || !body ||
        (received && parse_i64(received->str, received->len, 0, INT64_MAX, &received_ms))) {
        log_warn("queue entry malformed, moved to dead letters id=%s", id);
        dead_letter(q, id, "malformed queue entry: missing delivery, event, ct or body", attempt);
        return NULL;
    }
    struct job_impl *j = xcalloc(1, sizeof(*j));
    j->q = q;
    j->id = xstrdup(id);
    j->delivery = xstrndup(delivery->str, delivery->len);
    j->event = xstrndup(event->str, event->len);
    j->ct = xstrndup(ct->str, ct->len);
    j->body = xmalloc(body->len + 1);
    memcpy(j->body, body->str, body->len);
    j->body[body->len] = '\0';
    j->pub.id = j->id;
    j->pub.delivery = j->delivery;
    j->pub.event = j->event;
    j->pub.content_kind = j->ct;
    j->pub.body = j->body;
    j->pub.body_len = body->len;
    j->pub.received_ms = received_ms;
    j->pub.attempt = attempt;
    j->touched_ms = time_mono_ms();
    j->next = q->jobs;
    if (q->jobs)
        q->jobs->prev = j;
    q->jobs = j;
    q->inflight++;
    return j;
}

/* Hands a batch of prepared jobs to the handler. They were all counted in flight before
 * the first call, so a handler finishing a job synchronously (which reads more) cannot
 * push us over the concurrency limit. If the handler frees the queue, the jobs not yet
 * started are dropped here and stay pending in Redis for a reclaim. */
static void start_jobs(struct fb_queue *q, struct job_impl **jobs, int n)
{
    q->refs++;
    for (int i = 0; i < n; i++) {
        if (q->closed) {
            job_free(jobs[i]);
            continue;
        }
        q->stats.started++;
        log_debug("job started delivery=%s event=%s attempt=%" PRId64 " id=%s", jobs[i]->delivery,
                  jobs[i]->event, jobs[i]->pub.attempt, jobs[i]->id);
        q->fn(&jobs[i]->pub, q->priv);
    }
    queue_release(q);
}

/* Entries read while paused or closing go back at once: claimed to ourselves with an IDLE
 * of reclaim_ms, which makes them reclaimable by any live consumer immediately. */
static void give_back(struct fb_queue *q, const redisReply *entries)
{
    char idle[24];
    snprintf(idle, sizeof(idle), "%" PRId64, q->reclaim_ms);
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        const char *argv[] = {"XCLAIM",           QUEUE_KEY_EVENTS, QUEUE_GROUP, q->consumer, "0",
                              e->element[0]->str, "IDLE",           idle,        "JUSTID"};
        size_t lens[9];
        for (int k = 0; k < 9; k++)
            lens[k] = strlen(argv[k]);
        fb_redis_command_argv(q->cmd, on_ignore_reply, NULL, 9, argv, lens);
    }
}

static void on_read(redisReply *reply, void *priv)
{
    struct fb_queue *q = priv;
    q->reading = false;
    const redisReply *entries = NULL;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2 &&
        reply->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
        entries = reply->element[0]->element[1];

    if (q->closed || q->paused) {
        if (entries != NULL)
            give_back(q, entries);
        queue_release(q);
        return;
    }
    if (reply == NULL) {
        /* connection lost: on-ready or the tick restarts reading */
    } else if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "NOGROUP", 7) == 0) {
            log_warn("queue group missing, re-creating it stream=%s group=%s", QUEUE_KEY_EVENTS,
                     QUEUE_GROUP);
            q->group_ok = false;
        } else {
            log_warn("queue read failed error=%s", reply->str);
        }
        /* the tick retries; never spin on an error */
    } else if (entries != NULL) {
        struct job_impl *jobs[QUEUE_READ_MAX];
        int n = 0;
        for (size_t i = 0; i < entries->elements && n < QUEUE_READ_MAX; i++) {
            struct job_impl *j = job_from_entry(q, entries->element[i], 1);
            if (j != NULL)
                jobs[n++] = j;
        }
        start_jobs(q, jobs, n);
        if (!q->closed)
            maybe_read(q);
    } else {
        maybe_read(q); /* BLOCK timed out (nil): read again */
    }
    queue_release(q);
}

static void maybe_read(struct fb_queue *q)
{
    if (q->closed || q->paused || q->reading || !q->group_ok || !fb_redis_is_ready(q->block))
        return;
    int want = q->concurrency - q->inflight;
    if (want <= 0)
        return;
    if (want > QUEUE_READ_MAX)
        want = QUEUE_READ_MAX;
    if (fb_redis_command(q->block, on_read, q,
                         "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s >", QUEUE_GROUP,
                         q->consumer, want, QUEUE_BLOCK_MS, QUEUE_KEY_EVENTS) == 0) {
        q->reading = true;
        q->refs++;
    }
}

static void on_group_created(redisReply *reply, void *priv)
{
    struct fb_queue *q = priv;
    q->creating_group = false;
    if (reply != NULL &&
        (reply->type == REDIS_REPLY_STATUS ||
         (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) == 0))) {
        if (!q->group_ok && reply->type == REDIS_REPLY_STATUS)
            log_info("queue group created stream=%s group=%s", QUEUE_KEY_EVENTS, QUEUE_GROUP);
        q->group_ok = true;
        maybe_read(q);
    } else if (reply != NULL) {
        log_warn("queue group cannot be created stream=%s error=%s", QUEUE_KEY_EVENTS,
                 fb_redis_reply_error_text(reply));
    }
    queue_release(q);
}

static void ensure_group(struct fb_queue *q)
{
    if (q->closed || q->creating_group || !fb_redis_is_ready(q->cmd))
        return;
    if (fb_redis_command(q->cmd, on_group_created, q, "XGROUP CREATE %s %s 0 MKSTREAM",
                         QUEUE_KEY_EVENTS, QUEUE_GROUP) == 0) {
        q->creating_group = true;
        q->refs++;
    }
}

static void on_claimed(redisReply *reply, void *priv)
{
    struct claim_op *op = priv;
    struct fb_queue *q = op->q;
    q->reclaiming = false;
    if (q->closed) {
        if (reply && reply->type == REDIS_REPLY_ARRAY)
            give_back(q, reply);
    } else if (reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
        struct job_impl *jobs[QUEUE_READ_MAX];
        int n = 0;
        for (size_t i = 0; i < reply->elements && n < QUEUE_READ_MAX; i++) {
            const redisReply *e = reply->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
                e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            int64_t count = 0;
            for (int k = 0; k < op->n; k++)
                if (strcmp(op->ids[k], e->element[0]->str) == 0)
                    count = op->counts[k];
            /* XCLAIM counted this delivery: attempt = deliveries so far, this one included */
            struct job_impl *j = job_from_entry(q, e, count + 1);
            if (j != NULL) {
                q->stats.reclaimed++;
                jobs[n++] = j;
            }
        }
        start_jobs(q, jobs, n);
        if (!q->closed)
            maybe_read(q);
    } else if (reply != NULL) {
        log_warn("queue reclaim failed error=%s", fb_redis_reply_error_text(reply));
    }
    queue_release(q);
    free(op);
}

static void on_pending(redisReply *reply, void *priv)
{
    struct fb_queue *q = priv;
    q->reclaiming = false;
    if (q->closed || q->paused || reply == NULL) {
        queue_release(q);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "NOGROUP", 7) == 0)
            q->group_ok = false;
        else
            log_warn("queue pending scan failed error=%s", reply->str);
        queue_release(q);
        return;
    }
    struct claim_op *op = xcalloc(1, sizeof(*op));
    op->q = q;
    int room = q->concurrency - q->inflight;
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *p = reply->element[i];
        if (p->type != REDIS_REPLY_ARRAY || p->elements != 4 ||
            p->element[0]->type != REDIS_REPLY_STRING ||
            p->element[3]->type != REDIS_REPLY_INTEGER || p->element[0]->len >= STREAM_ID_MAX)
            continue;
        const char *id = p->element[0]->str;
        int64_t count = p->element[3]->integer;
        if (job_is_inflight(q, id))
            continue; /* ours, still running */
        if (count >= q->max_attempts) {
            char why[160];
            snprintf(why, sizeof(why),
                     "delivered %" PRId64 " times without being finished (the consumer "
                     "crashed or hung on it)",
                     count);
            log_warn("queue entry never finished, moved to dead letters id=%s deliveries=%" PRId64
                     " last_consumer=%s",
                     id, count,
                     p->element[1]->type == REDIS_REPLY_STRING ? p->element[1]->str : "?");
            dead_letter(q, id, why, count);
            continue;
        }
        if (op->n < room && op->n < QUEUE_READ_MAX) {
            snprintf(op->ids[op->n], STREAM_ID_MAX, "%s", id);
            op->counts[op->n] = count;
            op->n++;
        }
    }
    if (op->n == 0) {
        free(op);
        queue_release(q);
        return;
    }
    /* min-idle-time = reclaim_ms: if another consumer claimed it meanwhile, we get nothing */
    const char *argv[5 + QUEUE_READ_MAX];
    size_t lens[5 + QUEUE_READ_MAX];
    char idle[24];
    snprintf(idle, sizeof(idle), "%" PRId64, q->reclaim_ms);
    int argc = 0;
    argv[argc++] = "XCLAIM";
    argv[argc++] = QUEUE_KEY_EVENTS;
    argv[argc++] = QUEUE_GROUP;
    argv[argc++] = q->consumer;
    argv[argc++] = idle;
    for (int k = 0; k < op->n; k++)
        argv[argc++] = op->ids[k];
    for (int k = 0; k < argc; k++)
        lens[k] = strlen(argv[k]);
    if (fb_redis_command_argv(q->cmd, on_claimed, op, argc, argv, lens) == 0) {
        q->reclaiming = true;
        q->refs++; /* handed over to on_claimed */
    } else {
        free(op);
    }
    queue_release(q);
}

static void reclaim(struct fb_queue *q)
{
    if (q->reclaiming || q->paused || !fb_redis_is_ready(q->cmd))
        return;
    if (q->concurrency - q->inflight <= 0)
        return;
    /* ask for more than there is room for: some are ours or go to dead letters */
    int n = QUEUE_READ_MAX;
    if (fb_redis_command(q->cmd, on_pending, q, "XPENDING %s %s IDLE %lld - + %d", QUEUE_KEY_EVENTS,
                         QUEUE_GROUP, (long long)q->reclaim_ms, n) == 0) {
        q->reclaiming = true;
        q->refs++;
    }
}

/* Long-running jobs reset their idle time (XCLAIM to ourselves, JUSTID: no delivery count)
 * every third of reclaim_ms, so a live consumer's work is never taken over. */
static void heartbeat(struct fb_queue *q)
{
    int64_t now = time_mono_ms();
    for (struct job_impl *j = q->jobs; j; j = j->next) {
        if (now - j->touched_ms < q->reclaim_ms / 3)
            continue;
        j->touched_ms = now;
        const char *argv[] = {"XCLAIM", QUEUE_KEY_EVENTS, QUEUE_GROUP, q->consumer, "0",
                              j->id,    "JUSTID"};
        fire(q, "heartbeat", j->id, 7, argv);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fb_queue *q = arg;
    if (!q->group_ok) {
        ensure_group(q);
        return;
    }
    if (fb_redis_is_ready(q->cmd)) {
        heartbeat(q);
        reclaim(q);
    }
    maybe_read(q);
}

static void on_block_ready(struct fb_redis *r, void *priv)
{
    (void)r;
    struct fb_queue *q = priv;
    /* a reconnect may mean a Redis that lost the group: re-create it (BUSYGROUP is fine) */
    q->group_ok = false;
    ensure_group(q);
}

struct fb_queue *queue_new(struct event_base *base, struct fb_redis *cmd_conn,
                           struct fb_redis *block_conn, const struct fb_queue_options *opt,
                           queue_handle_fn fn, void *priv)
{
    struct fb_queue *q = xcalloc(1, sizeof(*q));
    q->base = base;
    q->cmd = cmd_conn;
    q->block = block_conn;
    q->consumer = xstrdup(opt->consumer);
    q->reclaim_ms = opt->reclaim_ms > 0 ? opt->reclaim_ms : 60000;
    q->max_attempts = opt->max_attempts > 0 ? opt->max_attempts : 8;
    q->concurrency = opt->concurrency > 0 ? opt->concurrency : 1;
    q->fn = fn;
    q->priv = priv;
    int64_t tick_ms = q->reclaim_ms / 4;
    tick_ms = tick_ms < 50 ? 50 : tick_ms > 1000 ? 1000 : tick_ms;
    struct timeval tv = {(time_t)(tick_ms / 1000), (suseconds_t)(tick_ms % 1000 * 1000)};
    q->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, q);
    event_add(q->tick_ev, &tv);
    fb_redis_on_ready(block_conn, on_block_ready, q);
    ensure_group(q);
    return q;
}

void queue_pause(struct fb_queue *q)
{
    q->paused = true;
}

int queue_inflight(const struct fb_queue *q)
{
    return q->inflight;
}

const struct queue_stats *queue_get_stats(const struct fb_queue *q)
{
    return &q->stats;
}

void queue_free(struct fb_queue *q)
{
    if (q == NULL)
        return;
    event_free(q->tick_ev);
    fb_redis_on_ready(q->block, NULL, NULL);
    while (q->jobs != NULL) {
        struct job_impl *j = q->jobs;
        job_unlink(j);
        j->q = NULL;
    }
    q->closed = true;
    if (q->refs == 0)
        queue_destroy(q);
}

static int64_t backoff_ms(const struct fb_queue *q, int64_t attempt, const struct fb_error *err)
{
    int64_t b = QUEUE_BACKOFF_BASE_MS;
    for (int64_t i = 1; i < attempt && b < q->reclaim_ms; i++)
        b *= 2;
    if (err != NULL && err->retry_at_ms > 0) {
        int64_t wait = err->retry_at_ms - time_real_ms();
        if (wait > b)
            b = wait;
    }
    /* the entry's idle time cannot be set into the future: reclaim_ms is the longest wait */
    return b > q->reclaim_ms ? q->reclaim_ms : b;
}

void queue_job_done(struct queue_job *job, int rc, const struct fb_error *err)
{
    struct job_impl *j = (struct job_impl *)job;
    struct fb_queue *q = j->q;
    if (q == NULL) { /* the queue is gone; the entry stays pending for a reclaim */
        job_free(j);
        return;
    }
    job_unlink(j);
    const char *msg = err != NULL && err->msg[0] ? err->msg : fb_err_name(rc);
    if (rc == 0) {
        q->stats.acked++;
        log_debug("job done delivery=%s event=%s id=%s", j->delivery, j->event, j->id);
        const char *argv[] = {"EVAL", LUA_ACK, "1", QUEUE_KEY_EVENTS, QUEUE_GROUP, j->id};
        fire(q, "ack", j->id, 6, argv);
    } else if (fb_err_is_transient(rc) && job->attempt < q->max_attempts) {
        int64_t wait = backoff_ms(q, job->attempt, err);
        char idle[24];
        snprintf(idle, sizeof(idle), "%" PRId64, q->reclaim_ms - wait);
        q->stats.retried++;
        log_info("delivery failed, will retry delivery=%s event=%s attempt=%" PRId64
                 " retry_in_ms=%" PRId64 " error=\"%s\"",
                 j->delivery, j->event, job->attempt, wait, msg);
        const char *argv[] = {"XCLAIM", QUEUE_KEY_EVENTS, QUEUE_GROUP, q->consumer, "0",
                              j->id,    "IDLE",           idle,        "JUSTID"};
        fire(q, "retry", j->id, 9, argv);
    } else {
        log_warn("delivery failed, moved to dead letters delivery=%s event=%s attempt=%" PRId64
                 " error=\"%s\"",
                 j->delivery, j->event, job->attempt, msg);
        dead_letter(q, j->id, msg, job->attempt);
    }
    job_free(j);
    maybe_read(q);
}

/* ---- operator commands: blocking hiredis, CLI only ---- */

static const char *entry_field(const redisReply *fields, const char *name)
{
    const redisReply *v = field_value(fields, name);
    return v ? v->str : "";
}

int queue_cli_dead_list(const char *host, int port, int db, const char *password, FILE *out)
{
    redisContext *c = fb_redis_cli_connect(host, port, db, password);
    if (c == NULL)
        return FB_ERR_UNAVAILABLE;
    int count = 0;
    char start[STREAM_ID_MAX + 1] = "-";
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 100", QUEUE_KEY_DEAD, start);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
            log_error("cannot list dead letters error=%s",
                      r ? fb_redis_reply_error_text(r) : c->errstr);
            if (r)
                freeReplyObject(r);
            count = FB_ERR_UNAVAILABLE;
            break;
        }
        size_t n = r->elements;
        for (size_t i = 0; i < n; i++) {
            const redisReply *e = r->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
                e->element[1]->type != REDIS_REPLY_ARRAY)
                continue;
            const redisReply *f = e->element[1];
            char failed[40] = "";
            int64_t ms;
            if (parse_i64_cstr(entry_field(f, "failed_at"), 0, INT64_MAX, &ms) == 0)
                time_format_rfc3339(ms, failed, sizeof(failed));
            fprintf(out,
                    "%s delivery=%s event=%s attempts=%s failed_at=%s bytes=%zu error=\"%s\"\n",
                    e->element[0]->str, entry_field(f, "delivery"), entry_field(f, "event"),
                    entry_field(f, "attempts"), failed,
                    field_value(f, "body") ? field_value(f, "body")->len : (size_t)0,
                    entry_field(f, "error"));
            count++;
            if (i + 1 == n)
                snprintf(start, sizeof(start), "(%s", e->element[0]->str);
        }
        freeReplyObject(r);
        if (n < 100)
            break;
    }
    redisFree(c);
    return count;
}

int queue_cli_dead_replay(const char *host, int port, int db, const char *password,
                          const char *dead_id)
{
    redisContext *c = fb_redis_cli_connect(host, port, db, password);
    if (c == NULL)
        return FB_ERR_UNAVAILABLE;
    int rc = 0;
    redisReply *r = redisCommand(c, "EVAL %s 2 %s %s %s", LUA_REPLAY, QUEUE_KEY_DEAD,
                                 QUEUE_KEY_EVENTS, dead_id);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        log_error("cannot replay dead letter id=%s error=%s", dead_id,
                  r ? fb_redis_reply_error_text(r) : c->errstr);
        rc = r ? FB_ERR_INVALID : FB_ERR_UNAVAILABLE;
    } else if (r->type == REDIS_REPLY_NIL) {
        log_error("no such dead letter id=%s", dead_id);
        rc = FB_ERR_NOT_FOUND;
    } else {
        log_info("dead letter replayed id=%s new_id=%s", dead_id,
                 r->type == REDIS_REPLY_STRING ? r->str : "?");
    }
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return rc;
}
