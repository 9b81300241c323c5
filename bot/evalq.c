/*
 * evalq.c - claims due evaluation jobs from Redis and hands them to the evaluator.
 */
#include "evalq.h"

#include "alloc.h"
#include "log.h"
#include "redis.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

struct evalq {
    struct event_base *base;
    struct fb_redis *redis;
    struct evalq_options opt;
    int64_t (*clock_fn)(void *);
    void *clock_priv;
    evalq_run_fn fn;
    void *priv;
    int in_flight;
    bool claiming;
    int64_t claim_now; /* the `now` sent with the claim in flight */
    struct event *poll_ev;
};

/* KEYS: due, lease. ARGV: now, lease_ms, limit. Expired leases return to due first. */
static const char LUA_CLAIM[] =
    "local now = tonumber(ARGV[1]) "
    "for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do "
    "  redis.call('ZREM', KEYS[2], m) redis.call('ZADD', KEYS[1], 'LT', now, m) end "
    "local limit = tonumber(ARGV[3]) local out = {} "
    "for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit * 4)) "
    "do "
    "  if #out >= limit then break end "
    "  if not redis.call('ZSCORE', KEYS[2], m) then "
    "    redis.call('ZREM', KEYS[1], m) "
    "    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), m) out[#out + 1] = m end "
    "end return out";

/* KEYS: due, lease. ARGV: job, lease deadline, next due (0 = none). */
static const char LUA_DONE[] =
    "local s = redis.call('ZSCORE', KEYS[2], ARGV[1]) "
    "if s and tonumber(s) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[2], ARGV[1]) end "
    "if tonumber(ARGV[3]) > 0 then redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[1]) end "
    "return 1";

static void on_claimed(redisReply *reply, void *priv)
{
    struct evalq *q = priv;
    q->claiming = false;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply)
            log_warn("evaluation queue claim failed error=%s", fb_redis_reply_error_text(reply));
        return;
    }
    for (size_t i = 0; i < reply->elements; i++) {
        redisReply *m = reply->element[i];
        if (m->type != REDIS_REPLY_STRING)
            continue;
        struct evalq_job *job = xcalloc(1, sizeof(*job));
        job->id = xstrndup(m->str, m->len);
        job->lease_until = q->claim_now + q->opt.lease_ms;
        job->q = q;
        q->in_flight++;
        q->fn(job, q->priv);
    }
}

static void claim(struct evalq *q)
{
    if (q->claiming || q->in_flight >= q->opt.concurrency || !fb_redis_is_ready(q->redis))
        return;
    int64_t now = q->clock_fn(q->clock_priv);
    int limit = q->opt.concurrency - q->in_flight;
    q->claim_now = now;
    if (fb_redis_command(q->redis, on_claimed, q,
                         "EVAL %s 2 " KEY_EVALQ " " KEY_EVALQ_LEASE " %lld %lld %d", LUA_CLAIM,
                         (long long)now, (long long)q->opt.lease_ms, limit) == 0)
        q->claiming = true;
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    claim(arg);
}

struct evalq *evalq_new(struct event_base *base, struct fb_redis *redis,
                        const struct evalq_options *opt, int64_t (*clock_fn)(void *),
                        void *clock_priv, evalq_run_fn fn, void *priv)
{
    struct evalq *q = xcalloc(1, sizeof(*q));
    q->base = base;
    q->redis = redis;
    q->opt = *opt;
    if (q->opt.concurrency <= 0)
        q->opt.concurrency = 16;
    if (q->opt.lease_ms <= 0)
        q->opt.lease_ms = 120000;
    if (q->opt.poll_ms <= 0)
        q->opt.poll_ms = 100;
    q->clock_fn = clock_fn;
    q->clock_priv = clock_priv;
    q->fn = fn;
    q->priv = priv;
    q->poll_ev = event_new(base, -1, EV_PERSIST, on_poll, q);
    struct timeval tv = {(time_t)(q->opt.poll_ms / 1000),
                         (suseconds_t)((q->opt.poll_ms % 1000) * 1000)};
    event_add(q->poll_ev, &tv);
    return q;
}

void evalq_free(struct evalq *q)
{
    if (q == NULL)
        return;
    event_free(q->poll_ev);
    free(q);
}

static void on_done_reply(redisReply *reply, void *priv)
{
    char *id = priv;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        log_warn("evaluation lease release failed job=%s error=%s (the lease expires by itself)",
                 id, fb_redis_reply_error_text(reply));
    free(id);
}

void evalq_job_done(struct evalq_job *job, int64_t next_due_ms)
{
    struct evalq *q = job->q;
    char *id = (char *)job->id;
    if (fb_redis_command(q->redis, on_done_reply, id,
                         "EVAL %s 2 " KEY_EVALQ " " KEY_EVALQ_LEASE " %s %lld %lld", LUA_DONE, id,
                         (long long)job->lease_until,
                         (long long)(next_due_ms > 0 ? next_due_ms : 0)) != 0) {
        log_warn("evaluation lease release failed job=%s error=redis unavailable", id);
        free(id);
    }
    q->in_flight--;
    free(job);
}
