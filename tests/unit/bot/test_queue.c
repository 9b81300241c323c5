/*
 * test_queue.c - the consumer group against a real redis-server (tests/unit/redis_fixture.h):
 * ack + delete, transient retry, dead letters, reclaim from a consumer that died, poison
 * entries, the concurrency bound, a Redis restart, and the operator commands.
 */
#include "test.h"

#include "redis_fixture.h"

#include "alloc.h"
#include "err.h"
#include "log.h"
#include "queue.h"
#include "redis.h"
#include "timeutil.h"

#include <event2/event.h>

#define MAX_SEEN 64

enum behaviour { ACK, HOLD, TRANSIENT_ONCE, ALWAYS_TRANSIENT, PERMANENT };

struct harness {
    struct redis_fixture rf;
    struct event_base *base;
    struct fb_redis *cmd, *block;
    enum behaviour mode;
    int seen;
    int64_t attempts[MAX_SEEN];
    int64_t seen_at_ms[MAX_SEEN];
    struct queue_job *held[MAX_SEEN];
    int nheld;
    char last_delivery[80], last_event[80], last_ct[16], last_body[256];
    int64_t last_received;
};

static void on_job(struct queue_job *job, void *priv)
{
    struct harness *h = priv;
    if (h->seen < MAX_SEEN) {
        h->attempts[h->seen] = job->attempt;
        h->seen_at_ms[h->seen] = time_mono_ms();
    }
    h->seen++;
    snprintf(h->last_delivery, sizeof(h->last_delivery), "%s", job->delivery);
    snprintf(h->last_event, sizeof(h->last_event), "%s", job->event);
    snprintf(h->last_ct, sizeof(h->last_ct), "%s", job->content_kind);
    snprintf(h->last_body, sizeof(h->last_body), "%.*s", (int)job->body_len, job->body);
    h->last_received = job->received_ms;
    struct fb_error err = {0};
    switch (h->mode) {
    case ACK:
        queue_job_done(job, 0, NULL);
        break;
    case HOLD:
        if (h->nheld < MAX_SEEN)
            h->held[h->nheld++] = job;
        break;
    case TRANSIENT_ONCE:
        if (job->attempt == 1) {
            fb_error_set(&err, FB_ERR_UNAVAILABLE, "redis went away");
            queue_job_done(job, FB_ERR_UNAVAILABLE, &err);
        } else {
            queue_job_done(job, 0, NULL);
        }
        break;
    case ALWAYS_TRANSIENT:
        fb_error_set(&err, FB_ERR_TIMEOUT, "github timed out");
        queue_job_done(job, FB_ERR_TIMEOUT, &err);
        break;
    case PERMANENT:
        fb_error_set(&err, FB_ERR_INVALID, "bad json at byte 3");
        queue_job_done(job, FB_ERR_INVALID, &err);
        break;
    }
}

static struct fb_redis *connect_async(struct harness *h, const char *name, int64_t timeout_ms)
{
    struct fb_redis_options o = {
        .host = "127.0.0.1", .port = h->rf.port, .name = name, .timeout_ms = timeout_ms};
    return fb_redis_new(h->base, &o);
}

static void run_ms(struct harness *h, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(h->base, &tv);
    event_base_dispatch(h->base);
}

typedef bool (*cond_fn)(struct harness *h);

static bool run_until(struct harness *h, cond_fn cond, int64_t timeout_ms)
{
    int64_t deadline = time_mono_ms() + timeout_ms;
    while (!cond(h)) {
        if (time_mono_ms() > deadline)
            return false;
        run_ms(h, 20);
    }
    return true;
}

static bool setup(struct harness *h, bool aof)
{
    memset(h, 0, sizeof(*h));
    log_level_min = LOG_WARN;
    if (redis_fixture_start(&h->rf, aof) != 0) {
        fprintf(stderr, "  cannot start redis-server\n");
        return false;
    }
    h->base = event_base_new();
    h->cmd = connect_async(h, "test-cmd", 2000);
    h->block = connect_async(h, "test-block", QUEUE_BLOCK_MS + 2000);
    return true;
}

static void teardown(struct harness *h)
{
    fb_redis_free(h->block);
    fb_redis_free(h->cmd);
    event_base_free(h->base);
    redis_fixture_stop(&h->rf);
}

static struct fb_queue *queue_start(struct harness *h, const char *consumer, int64_t reclaim_ms,
                                    int64_t max_attempts, int concurrency)
{
    struct fb_queue_options o = {.consumer = consumer,
                                 .reclaim_ms = reclaim_ms,
                                 .max_attempts = max_attempts,
                                 .concurrency = concurrency};
    return queue_new(h->base, h->cmd, h->block, &o, on_job, h);
}

static void xadd(struct harness *h, const char *delivery, const char *body)
{
    redisContext *c = redis_fixture_connect(&h->rf);
    redisReply *r = redisCommand(c,
                                 "XADD fb:events * delivery %s event pull_request ct json "
                                 "body %s received 1763800000000",
                                 delivery, body);
    CHECK(r != NULL && r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
    redisFree(c);
}

static long long xlen(struct harness *h, const char *key)
{
    return redis_fixture_int(&h->rf, "XLEN %s", key);
}

static long long pending(struct harness *h)
{
    redisContext *c = redis_fixture_connect(&h->rf);
    redisReply *r = redisCommand(c, "XPENDING fb:events fleetbot");
    long long n = (r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                   r->element[0]->type == REDIS_REPLY_INTEGER)
                      ? r->element[0]->integer
                      : -1;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return n;
}

/* A field of the only entry of a stream, copied into out. */
static void stream_field(struct harness *h, const char *key, const char *field, char *out,
                         size_t cap)
{
    out[0] = '\0';
    redisContext *c = redis_fixture_connect(&h->rf);
    redisReply *r = redisCommand(c, "XRANGE %s - + COUNT 1", key);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        redisReply *f = r->element[0]->element[1];
        for (size_t i = 0; i + 1 < f->elements; i += 2)
            if (strcmp(f->element[i]->str, field) == 0)
                snprintf(out, cap, "%s", f->element[i + 1]->str);
    }
    if (r)
        freeReplyObject(r);
    redisFree(c);
}

static bool seen_one(struct harness *h)
{
    return h->seen >= 1;
}
static bool seen_two(struct harness *h)
{
    return h->seen >= 2;
}
static bool stream_empty(struct harness *h)
{
    return xlen(h, "fb:events") == 0 && pending(h) == 0;
}
static bool dead_one(struct harness *h)
{
    return xlen(h, "fb:dead") == 1;
}
static bool both_ready(struct harness *h)
{
    return fb_redis_is_ready(h->cmd) && fb_redis_is_ready(h->block);
}

TEST(job_is_handled_then_acked_and_deleted)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = ACK;
    struct fb_queue *q = queue_start(&h, "c1", 60000, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-1", "{\"action\":\"opened\"}");
    CHECK(run_until(&h, seen_one, 5000));
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(h.seen, 1);
    CHECK_INT_EQ(h.attempts[0], 1);
    CHECK_STR_EQ(h.last_delivery, "d-1");
    CHECK_STR_EQ(h.last_event, "pull_request");
    CHECK_STR_EQ(h.last_ct, "json");
    CHECK_STR_EQ(h.last_body, "{\"action\":\"opened\"}");
    CHECK_INT_EQ(h.last_received, 1763800000000LL);
    CHECK_INT_EQ(queue_get_stats(q)->acked, 1);
    CHECK_INT_EQ(queue_inflight(q), 0);
    queue_free(q);
    teardown(&h);
}

TEST(transient_failure_is_retried_with_attempt_2)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = TRANSIENT_ONCE;
    struct fb_queue *q = queue_start(&h, "c1", 400, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-2", "{}");
    CHECK(run_until(&h, seen_two, 5000));
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(h.seen, 2);
    CHECK_INT_EQ(h.attempts[0], 1);
    CHECK_INT_EQ(h.attempts[1], 2);
    /* the backoff (500 ms capped at reclaim_ms) held the retry back */
    CHECK(h.seen_at_ms[1] - h.seen_at_ms[0] >= 350);
    CHECK_INT_EQ(xlen(&h, "fb:dead"), 0);
    CHECK_INT_EQ(queue_get_stats(q)->retried, 1);
    queue_free(q);
    teardown(&h);
}

TEST(permanent_failure_goes_to_dead_letters)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = PERMANENT;
    struct fb_queue *q = queue_start(&h, "c1", 60000, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-3", "{\"broken\"");
    CHECK(run_until(&h, dead_one, 5000));
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(h.seen, 1);
    char v[256];
    stream_field(&h, "fb:dead", "error", v, sizeof(v));
    CHECK_STR_EQ(v, "bad json at byte 3");
    stream_field(&h, "fb:dead", "attempts", v, sizeof(v));
    CHECK_STR_EQ(v, "1");
    stream_field(&h, "fb:dead", "delivery", v, sizeof(v));
    CHECK_STR_EQ(v, "d-3");
    stream_field(&h, "fb:dead", "body", v, sizeof(v));
    CHECK_STR_EQ(v, "{\"broken\"");
    stream_field(&h, "fb:dead", "ct", v, sizeof(v));
    CHECK_STR_EQ(v, "json");
    stream_field(&h, "fb:dead", "received", v, sizeof(v));
    CHECK_STR_EQ(v, "1763800000000");
    stream_field(&h, "fb:dead", "failed_at", v, sizeof(v));
    CHECK(strlen(v) >= 13);
    queue_free(q);
    teardown(&h);
}

TEST(transient_failures_exhaust_attempts_into_dead_letters)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = ALWAYS_TRANSIENT;
    struct fb_queue *q = queue_start(&h, "c1", 200, 3, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-4", "{}");
    CHECK(run_until(&h, dead_one, 8000));
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(h.seen, 3);
    CHECK_INT_EQ(h.attempts[2], 3);
    char v[256];
    stream_field(&h, "fb:dead", "error", v, sizeof(v));
    CHECK_STR_EQ(v, "github timed out");
    stream_field(&h, "fb:dead", "attempts", v, sizeof(v));
    CHECK_STR_EQ(v, "3");
    queue_free(q);
    teardown(&h);
}

TEST(dead_consumer_work_is_reclaimed_by_another)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = HOLD;
    struct fb_queue *a = queue_start(&h, "consumer-a", 300, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-5", "{}");
    CHECK(run_until(&h, seen_one, 5000));
    CHECK_INT_EQ(h.nheld, 1);
    /* consumer a "dies": gone without finishing its job */
    queue_free(a);
    int64_t died = time_mono_ms();
    h.mode = ACK;
    struct fb_queue *b = queue_start(&h, "consumer-b", 300, 5, 4);
    CHECK(run_until(&h, seen_two, 5000));
    CHECK(h.seen_at_ms[1] - died >= 200); /* only once idle for reclaim_ms */
    CHECK_INT_EQ(h.attempts[1], 2);
    CHECK_STR_EQ(h.last_delivery, "d-5");
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(queue_get_stats(b)->reclaimed, 1);
    /* the orphaned job may still be finished: it is only freed */
    queue_job_done(h.held[0], 0, NULL);
    queue_free(b);
    teardown(&h);
}

TEST(live_consumer_keeps_long_jobs_by_heartbeat)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = HOLD;
    struct fb_queue *a = queue_start(&h, "consumer-a", 300, 5, 4);
    struct fb_queue *b = queue_start(&h, "consumer-b", 300, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-6", "{}");
    CHECK(run_until(&h, seen_one, 5000));
    run_ms(&h, 1500); /* 5 x reclaim_ms: without heartbeats the other would take it */
    CHECK_INT_EQ(h.seen, 1);
    queue_job_done(h.held[0], 0, NULL);
    CHECK(run_until(&h, stream_empty, 5000));
    queue_free(a);
    queue_free(b);
    teardown(&h);
}

static int poison_round;

TEST(poison_entry_goes_dead_after_max_attempts)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = HOLD;
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-7", "{\"crash\":true}");
    /* every consumer that takes it "crashes" (is freed without finishing) */
    for (poison_round = 0; poison_round < 6 && xlen(&h, "fb:dead") == 0; poison_round++) {
        char name[32];
        snprintf(name, sizeof(name), "crashy-%d", poison_round);
        int before = h.seen;
        struct fb_queue *q = queue_start(&h, name, 200, 3, 4);
        int64_t deadline = time_mono_ms() + 3000;
        while (h.seen == before && xlen(&h, "fb:dead") == 0 && time_mono_ms() < deadline)
            run_ms(&h, 20);
        queue_free(q);
    }
    CHECK_INT_EQ(xlen(&h, "fb:dead"), 1);
    CHECK_INT_EQ(h.seen, 3);
    CHECK_INT_EQ(h.attempts[0], 1);
    CHECK_INT_EQ(h.attempts[1], 2);
    CHECK_INT_EQ(h.attempts[2], 3);
    char v[256];
    stream_field(&h, "fb:dead", "error", v, sizeof(v));
    CHECK_CONTAINS(v, "delivered 3 times");
    stream_field(&h, "fb:dead", "body", v, sizeof(v));
    CHECK_STR_EQ(v, "{\"crash\":true}");
    CHECK(run_until(&h, stream_empty, 3000));
    for (int i = 0; i < h.nheld; i++)
        queue_job_done(h.held[i], 0, NULL);
    teardown(&h);
}

static bool three_held(struct harness *h)
{
    return h->nheld >= 3;
}

TEST(concurrency_bounds_jobs_in_flight)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = HOLD;
    struct fb_queue *q = queue_start(&h, "c1", 60000, 5, 3);
    CHECK(run_until(&h, both_ready, 5000));
    for (int i = 0; i < 10; i++) {
        char d[16];
        snprintf(d, sizeof(d), "d-%d", i);
        xadd(&h, d, "{}");
    }
    CHECK(run_until(&h, three_held, 5000));
    run_ms(&h, 300);
    CHECK_INT_EQ(h.nheld, 3);
    CHECK_INT_EQ(queue_inflight(q), 3);
    /* finishing jobs lets the rest in, never more than 3 at a time */
    for (int round = 0; round < 50 && stream_empty(&h) == false; round++) {
        int n = h.nheld;
        h.nheld = 0;
        for (int i = 0; i < n; i++)
            queue_job_done(h.held[i], 0, NULL);
        run_ms(&h, 50);
        CHECK(queue_inflight(q) <= 3);
    }
    CHECK_INT_EQ(h.seen, 10);
    CHECK(stream_empty(&h));
    queue_free(q);
    teardown(&h);
}

TEST(malformed_entry_goes_to_dead_letters)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = ACK;
    struct fb_queue *q = queue_start(&h, "c1", 60000, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    redisContext *c = redis_fixture_connect(&h.rf);
    redisReply *r = redisCommand(c, "XADD fb:events * delivery d-8 something else");
    freeReplyObject(r);
    redisFree(c);
    CHECK(run_until(&h, dead_one, 5000));
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(h.seen, 0);
    char v[256];
    stream_field(&h, "fb:dead", "error", v, sizeof(v));
    CHECK_CONTAINS(v, "malformed");
    queue_free(q);
    teardown(&h);
}

TEST(queue_resumes_after_redis_restart)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = ACK;
    struct fb_queue *q = queue_start(&h, "c1", 60000, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "before", "{}");
    CHECK(run_until(&h, seen_one, 5000));
    /* a restart without persistence: the stream and the group are gone */
    CHECK_INT_EQ(redis_fixture_restart(&h.rf), 0);
    run_ms(&h, 300);
    CHECK(run_until(&h, both_ready, 10000));
    xadd(&h, "after", "{}");
    CHECK(run_until(&h, seen_two, 10000));
    CHECK_STR_EQ(h.last_delivery, "after");
    CHECK(run_until(&h, stream_empty, 5000));
    queue_free(q);
    teardown(&h);
}

TEST(pending_work_survives_restart_with_aof)
{
    struct harness h;
    if (!setup(&h, true)) {
        CHECK(0);
        return;
    }
    h.mode = HOLD;
    struct fb_queue *a = queue_start(&h, "consumer-a", 300, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-9", "{}");
    CHECK(run_until(&h, seen_one, 5000));
    queue_free(a); /* dies holding it */
    CHECK_INT_EQ(redis_fixture_restart(&h.rf), 0);
    h.mode = ACK;
    struct fb_queue *b = queue_start(&h, "consumer-b", 300, 5, 4);
    CHECK(run_until(&h, seen_two, 10000));
    CHECK_STR_EQ(h.last_delivery, "d-9");
    CHECK_INT_EQ(h.attempts[1], 2);
    CHECK(run_until(&h, stream_empty, 5000));
    queue_job_done(h.held[0], 0, NULL);
    queue_free(b);
    teardown(&h);
}

TEST(operators_list_and_replay_dead_letters)
{
    struct harness h;
    if (!setup(&h, false)) {
        CHECK(0);
        return;
    }
    h.mode = PERMANENT;
    struct fb_queue *q = queue_start(&h, "c1", 60000, 5, 4);
    CHECK(run_until(&h, both_ready, 5000));
    xadd(&h, "d-10", "{\"x\":1}");
    CHECK(run_until(&h, dead_one, 5000));
    CHECK(run_until(&h, stream_empty, 5000));

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK_INT_EQ(queue_cli_dead_list("127.0.0.1", h.rf.port, 0, NULL, out), 1);
    fclose(out);
    CHECK_CONTAINS(text, "delivery=d-10");
    CHECK_CONTAINS(text, "event=pull_request");
    CHECK_CONTAINS(text, "attempts=1");
    CHECK_CONTAINS(text, "error=\"bad json at byte 3\"");
    char id[64] = "";
    sscanf(text, "%63s", id);
    free(text);

    CHECK_INT_EQ(queue_cli_dead_replay("127.0.0.1", h.rf.port, 0, NULL, "1-1"), FB_ERR_NOT_FOUND);
    h.mode = ACK;
    CHECK_INT_EQ(queue_cli_dead_replay("127.0.0.1", h.rf.port, 0, NULL, id), 0);
    CHECK_INT_EQ(xlen(&h, "fb:dead"), 0);
    CHECK(run_until(&h, seen_two, 5000));
    CHECK_STR_EQ(h.last_delivery, "d-10");
    CHECK_STR_EQ(h.last_body, "{\"x\":1}");
    CHECK(run_until(&h, stream_empty, 5000));
    CHECK_INT_EQ(queue_cli_dead_list("127.0.0.1", h.rf.port, 0, NULL, stdout), 0);
    queue_free(q);
    teardown(&h);
}
