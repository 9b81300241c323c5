/*
 * receiver.h - POST /webhook: validate the request (webhook_request.c), then dedupe and
 * enqueue it in Redis with one atomic script, and answer 202 only once Redis replied.
 * It never parses the payload and never calls GitHub; the worker (queue.h) does the rest.
 * Redis keys: fb:delivery:<guid> (dedupe, 4 days) and the stream fb:events.
 */
#ifndef FLEETBOT_RECEIVER_H
#define FLEETBOT_RECEIVER_H

#include <stdint.h>

struct fb_redis;
struct fb_settings;
struct http_server;
struct receiver;

#define RECEIVER_KEY_EVENTS       "fb:events"
#define RECEIVER_KEY_DELIVERY     "fb:delivery:" /* + X-GitHub-Delivery */
#define RECEIVER_DEDUPE_TTL_S     345600         /* 4 days > GitHub's 3-day redelivery window */
#define RECEIVER_PENDING_MAX      4096           /* Redis replies awaited before answering 503 */
#define RECEIVER_REDIS_CONNS      8    /* connections used for enqueueing (see receiver.c) */
#define RECEIVER_REDIS_TIMEOUT_MS 5000 /* no reply this long: 503, well inside GitHub's 10 s */

/* Counters since start, for logs and metrics. */
struct receiver_stats {
    uint64_t accepted;    /* 202: the event is in fb:events */
    uint64_t duplicates;  /* 200: the delivery id was seen before */
    uint64_t pings;       /* 200: verified ping, not queued */
    uint64_t unavailable; /* 503: Redis not ready, failed, timed out, or too far behind */
    uint64_t rejected_400;
    uint64_t rejected_401;
    uint64_t rejected_404;
    uint64_t rejected_405;
    uint64_t rejected_413;
    uint64_t rejected_415;
};

/*
 * Registers POST /webhook on srv and makes /readyz follow Redis' readiness. Besides the
 * borrowed redis, the receiver opens RECEIVER_REDIS_CONNS - 1 connections of its own from
 * settings (redis_host/port/db/password) on srv's event base, and spreads deliveries over
 * them. Everything passed is borrowed and must outlive the receiver: srv, redis, and
 * settings (its webhook secrets are used in place, not copied). Caller owns the result.
 */
struct receiver *receiver_new(struct http_server *srv, struct fb_redis *redis,
                              const struct fb_settings *settings);
/* Answers every request still waiting for Redis with 503 (counted as unavailable) and
 * keeps serving; at shutdown, call it before reading the final stats. */
void receiver_drain(struct receiver *r);

/* Answers every request still waiting for Redis with 503 and frees r; their Redis
 * callbacks, when they come, are ignored. Call it before http_server_free and
 * fb_redis_free. NULL is a no-op. */
void receiver_free(struct receiver *r);

/* Borrowed until receiver_free. */
const struct receiver_stats *receiver_get_stats(const struct receiver *r);

#endif
