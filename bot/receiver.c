/*
 * receiver.c - POST /webhook. The one Lua script below makes "seen" and "queued" a single
 * step: a delivery is marked as seen only together with its XADD, so a 503 never leaves a
 * delivery id that would make GitHub's redelivery look like a duplicate.
 * It does not retry Redis: GitHub gets a 503 and the delivery is redelivered later.
 */
#include "receiver.h"

#include "alloc.h"
#include "err.h"
#include "http_server.h"
#include "log.h"
#include "redis.h"
#include "settings.h"
#include "timeutil.h"
#include "webhook_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

/*
 * KEYS[1] = fb:delivery:<guid>, KEYS[2] = fb:events
 * ARGV = ttl seconds, delivery, event, ct, body, received ms
 * Returns the new stream id, or nil for a delivery id already seen. XADD comes before SET
 * so that if a write fails mid-script (Redis does not roll back) the event is queued and
 * at worst a later redelivery is queued again - never "seen" but lost.
 */
static const char LUA_ENQUEUE[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return false end "
    "local id = redis.call('XADD', KEYS[2], '*', 'delivery', ARGV[2], 'event', ARGV[3], "
    "'ct', ARGV[4], 'body', ARGV[5], 'received', ARGV[6]) "
    "redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) "
    "return id";

struct rx_op {
    struct receiver *r; /* NULL once the receiver is gone */
    struct evhttp_request *req;
    struct rx_op *prev, *next;
    char delivery[WEBHOOK_DELIVERY_MAX + 1];
    char event[WEBHOOK_EVENT_MAX + 1];
};

struct receiver {
    struct http_server *srv;
    /* conns[0] is the borrowed connection; the others are the receiver's own. Redis reads
     * at most 16 KiB per client per event-loop turn (and fsyncs the AOF once per turn), so
     * one connection carries about one 12 KiB delivery per turn; several share the turn. */
    struct fb_redis *conns[RECEIVER_REDIS_CONNS];
    int nconns;
    struct webhook_secrets secrets;
    struct rx_op *ops; /* requests waiting for Redis */
    size_t nops;
    struct receiver_stats stats;
};

static void count_rejection(struct receiver *r, int status)
{
    switch (status) {
    case 400:
        r->stats.rejected_400++;
        break;
    case 401:
        r->stats.rejected_401++;
        break;
    case 404:
        r->stats.rejected_404++;
        break;
    case 405:
        r->stats.rejected_405++;
        break;
    case 413:
        r->stats.rejected_413++;
        break;
    case 415:
        r->stats.rejected_415++;
        break;
    default:
        break;
    }
}

static const char *peer_of(struct evhttp_request *req)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    const char *addr = NULL;
    ev_uint16_t port = 0;
    if (c != NULL)
        evhttp_connection_get_peer(c, (char **)&addr, &port);
    return addr ? addr : "-";
}

static void op_unlink(struct rx_op *op)
{
    struct receiver *r = op->r;
    if (op->prev)
        op->prev->next = op->next;
    else
        r->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    r->nops--;
    op->r = NULL;
}

static void on_enqueue_reply(redisReply *reply, void *priv)
{
    struct rx_op *op = priv;
    struct receiver *r = op->r;
    if (r == NULL) { /* receiver_free already answered */
        free(op);
        return;
    }
    op_unlink(op);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        r->stats.unavailable++;
        log_warn("webhook not queued: redis failed delivery=%s event=%s error=%s", op->delivery,
                 op->event, fb_redis_reply_error_text(reply));
        http_reply_text(op->req, 503, "queue unavailable, delivery not accepted");
    } else if (reply->type == REDIS_REPLY_NIL) {
        r->stats.duplicates++;
        log_debug("webhook duplicate delivery=%s event=%s", op->delivery, op->event);
        http_reply_text(op->req, 200, "duplicate delivery ignored");
    } else {
        r->stats.accepted++;
        log_debug("webhook accepted delivery=%s event=%s id=%s", op->delivery, op->event,
                  reply->type == REDIS_REPLY_STRING ? reply->str : "?");
        http_reply_text(op->req, 202, "accepted");
    }
    free(op);
}

static void reply_unavailable(struct receiver *r, struct evhttp_request *req,
                              const struct webhook_verdict *v, const char *why)
{
    r->stats.unavailable++;
    log_warn("webhook not queued: %s delivery=%s event=%s", why, v->delivery, v->event);
    http_reply_text(req, 503, "queue unavailable, delivery not accepted");
}

/* The ready connection with the fewest replies outstanding, or NULL. */
static struct fb_redis *pick_conn(const struct receiver *r)
{
    struct fb_redis *best = NULL;
    for (int i = 0; i < r->nconns; i++) {
        if (!fb_redis_is_ready(r->conns[i]))
            continue;
        if (best == NULL || fb_redis_pending(r->conns[i]) < fb_redis_pending(best))
            best = r->conns[i];
    }
    return best;
}

static void enqueue(struct receiver *r, struct evhttp_request *req, const struct webhook_verdict *v,
                    const char *body, size_t len)
{
    char key[sizeof(RECEIVER_KEY_DELIVERY) + WEBHOOK_DELIVERY_MAX];
    char ttl[24], received[24];
    struct fb_redis *conn = pick_conn(r);
    if (conn == NULL) {
        reply_unavailable(r, req, v, "redis not ready");
        return;
    }
    if (r->nops >= RECEIVER_PENDING_MAX) {
        reply_unavailable(r, req, v, "too many deliveries waiting for redis");
        return;
    }
    snprintf(key, sizeof(key), "%s%s", RECEIVER_KEY_DELIVERY, v->delivery);
    snprintf(ttl, sizeof(ttl), "%d", RECEIVER_DEDUPE_TTL_S);
    snprintf(received, sizeof(received), "%" PRId64, time_real_ms());
    const char *ct = webhook_content_kind_name(v->content_kind);
    const char *argv[] = {"EVAL",  LUA_ENQUEUE, "2",      key, RECEIVER_KEY_EVENTS,
                          ttl,     v->delivery, v->event, ct,  body,
                          received};
    size_t lens[] = {4,
                     sizeof(LUA_ENQUEUE) - 1,
                     1,
                     strlen(key),
                     sizeof(RECEIVER_KEY_EVENTS) - 1,
                     strlen(ttl),
                     strlen(v->delivery),
                     strlen(v->event),
                     strlen(ct),
                     len,
                     strlen(received)};

    struct rx_op *op = xcalloc(1, sizeof(*op));
    op->req = req;
    memcpy(op->delivery, v->delivery, sizeof(op->delivery));
    memcpy(op->event, v->event, sizeof(op->event));
    /* hiredis formats the command (copying body) before this returns */
    if (fb_redis_command_argv(conn, on_enqueue_reply, op, 11, argv, lens) != 0) {
        free(op);
        reply_unavailable(r, req, v, "redis not ready");
        return;
    }
    op->r = r;
    op->next = r->ops;
    if (r->ops)
        r->ops->prev = op;
    r->ops = op;
    r->nops++;
}

static void on_webhook(struct evhttp_request *req, void *priv)
{
    struct receiver *r = priv;
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    /* one contiguous copy at most (usually none for small bodies): HMAC and Redis need it */
    const char *body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : NULL;
    struct webhook_request wr = {
        .method = http_method_name(req),
        .path = evhttp_request_get_uri(req),
        .content_type = evhttp_find_header(h, "Content-Type"),
        .event = evhttp_find_header(h, "X-GitHub-Event"),
        .delivery = evhttp_find_header(h, "X-GitHub-Delivery"),
        .signature = evhttp_find_header(h, "X-Hub-Signature-256"),
        .body = body,
        .body_len = len,
    };
    struct webhook_verdict v;
    webhook_request_validate(&wr, &r->secrets, &v);

    if (v.http_status == 202) {
        enqueue(r, req, &v, body, len);
        return;
    }
    if (v.is_ping) {
        r->stats.pings++;
        log_info("webhook ping answered delivery=%s", v.delivery);
    } else {
        count_rejection(r, v.http_status);
        log_info("webhook rejected status=%d reason=\"%s\" delivery=%s event=%s peer=%s",
                 v.http_status, v.reason, v.delivery[0] ? v.delivery : "-",
                 v.event[0] ? v.event : "-", peer_of(req));
    }
    http_reply_text(req, v.http_status, v.reason);
}

static bool redis_ready(void *priv, const char **why)
{
    struct receiver *r = priv;
    if (pick_conn(r) != NULL)
        return true;
    *why = "redis not ready";
    return false;
}

struct receiver *receiver_new(struct http_server *srv, struct fb_redis *redis,
                              const struct fb_settings *settings)
{
    struct receiver *r = xcalloc(1, sizeof(*r));
    r->srv = srv;
    r->conns[r->nconns++] = redis;
    /* without an address in the settings, only the borrowed connection is used */
    for (int i = 1; settings->redis_host != NULL && i < RECEIVER_REDIS_CONNS; i++) {
        char name[48];
        snprintf(name, sizeof(name), "fleetbot-receiver-%d", i);
        struct fb_redis_options o = {.host = settings->redis_host,
                                     .port = settings->redis_port,
                                     .db = settings->redis_db,
                                     .password = settings->redis_password,
                                     .name = name,
                                     .timeout_ms = RECEIVER_REDIS_TIMEOUT_MS};
        r->conns[r->nconns++] = fb_redis_new(http_server_base(srv), &o);
    }
    r->secrets.secrets = (const char *const *)settings->webhook_secrets;
    r->secrets.lens = settings->webhook_secret_lens;
    r->secrets.count = settings->webhook_secret_count;
    if (r->secrets.count == 0)
        log_warn("no webhook secret configured: every delivery will be rejected");
    http_server_route(srv, WEBHOOK_PATH, on_webhook, r);
    http_server_set_ready(srv, redis_ready, r);
    return r;
}

void receiver_drain(struct receiver *r)
{
    while (r->ops != NULL) {
        struct rx_op *op = r->ops;
        struct evhttp_request *req = op->req;
        op_unlink(op); /* its Redis callback will only free it */
        op->req = NULL;
        r->stats.unavailable++;
        http_reply_text(req, 503, "shutting down, delivery not accepted");
    }
}

void receiver_free(struct receiver *r)
{
    if (r == NULL)
        return;
    receiver_drain(r);
    http_server_route(r->srv, WEBHOOK_PATH, NULL, NULL);
    http_server_set_ready(r->srv, NULL, NULL);
    for (int i = 1; i < r->nconns; i++)
        fb_redis_free(r->conns[i]); /* pending callbacks see NULL and only free their op */
    free(r);
}

const struct receiver_stats *receiver_get_stats(const struct receiver *r)
{
    return &r->stats;
}
