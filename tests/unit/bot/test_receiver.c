/*
 * test_receiver.c - POST /webhook end to end over real HTTP (libevent's client) against a
 * real redis-server: 202 only once the event is in fb:events, duplicates, rejections that
 * touch nothing in Redis, 503 while Redis is down (nothing marked as seen), the health
 * endpoints, routing, and the body cap.
 */
#include "test.h"

#include "redis_fixture.h"

#include "err.h"
#include "hmac.h"
#include "http_server.h"
#include "log.h"
#include "receiver.h"
#include "redis.h"
#include "settings.h"
#include "timeutil.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static char SECRET[] = "s3cret";

struct env {
    struct redis_fixture rf;
    struct event_base *base;
    struct fb_redis *redis;
    struct http_server *srv;
    struct receiver *rx;
    struct fb_settings settings;
    int port;
};

struct response {
    bool done;
    int status;
    char body[256];
    char ct[64];
};

static void on_response(struct evhttp_request *req, void *arg)
{
    struct response *r = arg;
    r->done = true;
    if (req == NULL)
        return;
    r->status = evhttp_request_get_response_code(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n >= sizeof(r->body))
        n = sizeof(r->body) - 1;
    evbuffer_copyout(in, r->body, n);
    r->body[n] = '\0';
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    snprintf(r->ct, sizeof(r->ct), "%s", ct ? ct : "");
}

static void run_ms(struct env *e, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(e->base, &tv);
    event_base_dispatch(e->base);
}

/* One request on a fresh connection; waits up to 5 s for the answer. */
static struct response request(struct env *e, enum evhttp_cmd_type method, const char *path,
                               const char *event, const char *delivery, const char *ct,
                               const char *body, size_t len, bool sign)
{
    struct response r = {0};
    struct evhttp_connection *conn =
        evhttp_connection_base_new(e->base, NULL, "127.0.0.1", (ev_uint16_t)e->port);
    struct evhttp_request *req = evhttp_request_new(on_response, &r);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", "localhost");
    if (event)
        evhttp_add_header(h, "X-GitHub-Event", event);
    if (delivery)
        evhttp_add_header(h, "X-GitHub-Delivery", delivery);
    if (ct)
        evhttp_add_header(h, "Content-Type", ct);
    if (sign) {
        char sig[WEBHOOK_SIGNATURE_LEN + 1];
        webhook_signature_format(SECRET, strlen(SECRET), body, len, sig);
        evhttp_add_header(h, "X-Hub-Signature-256", sig);
    }
    if (body)
        evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    evhttp_make_request(conn, req, method, path);
    int64_t deadline = time_mono_ms() + 5000;
    while (!r.done && time_mono_ms() < deadline)
        run_ms(e, 10);
    evhttp_connection_free(conn);
    return r;
}

static struct response post(struct env *e, const char *event, const char *delivery,
                            const char *body)
{
    return request(e, EVHTTP_REQ_POST, "/webhook", event, delivery, "application/json", body,
                   strlen(body), true);
}

static bool setup(struct env *e)
{
    memset(e, 0, sizeof(*e));
    log_level_min = LOG_ERROR;
    if (redis_fixture_start(&e->rf, false) != 0)
        return false;
    e->base = event_base_new();
    struct fb_redis_options o = {
        .host = "127.0.0.1", .port = e->rf.port, .name = "rx-test", .timeout_ms = 2000};
    e->redis = fb_redis_new(e->base, &o);
    struct fb_error err = {0};
    e->srv = http_server_new(e->base, "127.0.0.1", 0, &err);
    if (e->srv == NULL)
        return false;
    e->port = http_server_port(e->srv);
    e->settings.redis_host = (char *)"127.0.0.1";
    e->settings.redis_port = e->rf.port;
    e->settings.webhook_secrets[0] = SECRET;
    e->settings.webhook_secret_lens[0] = strlen(SECRET);
    e->settings.webhook_secret_count = 1;
    e->rx = receiver_new(e->srv, e->redis, &e->settings);
    for (int i = 0; i < 250 && !fb_redis_is_ready(e->redis); i++)
        run_ms(e, 20);
    return fb_redis_is_ready(e->redis);
}

static void teardown(struct env *e)
{
    receiver_free(e->rx);
    http_server_free(e->srv);
    fb_redis_free(e->redis);
    event_base_free(e->base);
    redis_fixture_stop(&e->rf);
}

static long long xlen(struct env *e)
{
    return redis_fixture_int(&e->rf, "XLEN fb:events");
}

TEST(accepted_delivery_is_in_the_stream_before_202)
{
    struct env e;
    if (!setup(&e)) {
        CHECK(0);
        return;
    }
    const char *body = "{\"action\":\"opened\",\"number\":7}";
    struct response r = post(&e, "pull_request", "guid-1", body);
    CHECK_INT_EQ(r.status, 202);
    CHECK_STR_EQ(r.body, "accepted\n");
    CHECK_CONTAINS(r.ct, "text/plain");
    CHECK_INT_EQ(xlen(&e), 1); /* already there when the 202 arrived */
    long long ttl = redis_fixture_int(&e.rf, "TTL fb:delivery:guid-1");
    CHECK(ttl > 345000 && ttl <= 345600);

    redisContext *c = redis_fixture_connect(&e.rf);
    redisReply *x = redisCommand(c, "XRANGE fb:events - +");
    CHECK(x && x->type == REDIS_REPLY_ARRAY && x->elements == 1);
    if (x && x->elements == 1) {
        redisReply *f = x->element[0]->element[1];
        CHECK_INT_EQ(f->elements, 10);
        CHECK_STR_EQ(f->element[0]->str, "delivery");
        CHECK_STR_EQ(f->element[1]->str, "guid-1");
        CHECK_STR_EQ(f->element[3]->str, "pull_request");
        CHECK_STR_EQ(f->element[5]->str, "json");
        CHECK_STR_EQ(f->element[7]->str, body);
        CHECK_STR_EQ(f->element[8]->str, "received");
        CHECK(strlen(f->element[9]->str) >= 13);
    }
    freeReplyObject(x);
    redisFree(c);

    /* the same delivery again: 200, not queued twice */
    r = post(&e, "pull_request", "guid-1", body);
    CHECK_INT_EQ(r.status, 200);
    CHECK_STR_EQ(r.body, "duplicate delivery ignored\n");
    CHECK_INT_EQ(xlen(&e), 1);

    /* a form delivery keeps its raw body */
    const char *form = "payload=%7B%22action%22%3A%22created%22%7D";
    r = request(&e, EVHTTP_REQ_POST, "/webhook", "check_run", "guid-2",
                "application/x-www-form-urlencoded", form, strlen(form), true);
    CHECK_INT_EQ(r.status, 202);
    CHECK_INT_EQ(xlen(&e), 2);

    const struct receiver_stats *st = receiver_get_stats(e.rx);
    CHECK_INT_EQ(st->accepted, 2);
    CHECK_INT_EQ(st->duplicates, 1);
    teardown(&e);
}

TEST(rejections_touch_nothing_in_redis)
{
    struct env e;
    if (!setup(&e)) {
        CHECK(0);
        return;
    }
    const char *body = "{}";
    struct response r =
        request(&e, EVHTTP_REQ_POST, "/webhook", "push", "g-1", "application/json", body, 2, false);
    CHECK_INT_EQ(r.status, 401);
    CHECK_STR_EQ(r.body, "missing X-Hub-Signature-256 header\n");
    r = request(&e, EVHTTP_REQ_POST, "/webhook", NULL, "g-2", "application/json", body, 2, true);
    CHECK_INT_EQ(r.status, 400);
    r = request(&e, EVHTTP_REQ_POST, "/webhook", "push", "bad id", "application/json", body, 2,
                true);
    CHECK_INT_EQ(r.status, 400);
    r = request(&e, EVHTTP_REQ_POST, "/webhook", "push", "g-3", "text/plain", body, 2, true);
    CHECK_INT_EQ(r.status, 415);
    r = request(&e, EVHTTP_REQ_GET, "/webhook", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 405);
    r = post(&e, "ping", "g-4", "{\"zen\":\"x\"}");
    CHECK_INT_EQ(r.status, 200);
    CHECK_STR_EQ(r.body, "pong\n");
    CHECK_INT_EQ(xlen(&e), 0);
    CHECK_INT_EQ(redis_fixture_int(&e.rf, "DBSIZE"), 0);
    const struct receiver_stats *st = receiver_get_stats(e.rx);
    CHECK_INT_EQ(st->rejected_401, 1);
    CHECK_INT_EQ(st->rejected_400, 2);
    CHECK_INT_EQ(st->rejected_415, 1);
    CHECK_INT_EQ(st->rejected_405, 1);
    CHECK_INT_EQ(st->pings, 1);
    teardown(&e);
}

TEST(health_and_routing)
{
    struct env e;
    if (!setup(&e)) {
        CHECK(0);
        return;
    }
    struct response r = request(&e, EVHTTP_REQ_GET, "/healthz", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 200);
    CHECK_STR_EQ(r.body, "ok\n");
    r = request(&e, EVHTTP_REQ_GET, "/readyz", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 200);
    r = request(&e, EVHTTP_REQ_GET, "/readyz?verbose=1", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 200);
    r = request(&e, EVHTTP_REQ_POST, "/healthz", NULL, NULL, NULL, "x", 1, false);
    CHECK_INT_EQ(r.status, 405);
    r = request(&e, EVHTTP_REQ_GET, "/nope", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 404);
    CHECK_STR_EQ(r.body, "not found\n");
    r = request(&e, EVHTTP_REQ_POST, "/webhook/x", "push", "g", "application/json", "{}", 2, true);
    CHECK_INT_EQ(r.status, 404);
    teardown(&e);
}

TEST(redis_down_is_503_and_nothing_is_marked_seen)
{
    struct env e;
    if (!setup(&e)) {
        CHECK(0);
        return;
    }
    redis_fixture_kill(&e.rf, true);
    run_ms(&e, 100);
    struct response r = post(&e, "pull_request", "guid-down", "{\"a\":1}");
    CHECK_INT_EQ(r.status, 503);
    CHECK_CONTAINS(r.body, "unavailable");
    r = request(&e, EVHTTP_REQ_GET, "/readyz", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 503);
    CHECK_STR_EQ(r.body, "redis not ready\n");
    r = request(&e, EVHTTP_REQ_GET, "/healthz", NULL, NULL, NULL, NULL, 0, false);
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(receiver_get_stats(e.rx)->unavailable, 1);

    /* Redis is back: GitHub's redelivery of the same id is accepted */
    CHECK_INT_EQ(redis_fixture_spawn(&e.rf), 0);
    for (int i = 0; i < 250 && !fb_redis_is_ready(e.redis); i++)
        run_ms(&e, 20);
    r = post(&e, "pull_request", "guid-down", "{\"a\":1}");
    CHECK_INT_EQ(r.status, 202);
    CHECK_INT_EQ(xlen(&e), 1);
    teardown(&e);
}

/* Raw HTTP: sends head (no body follows) and returns what the server answered in 5 s. */
static void raw_exchange(struct env *e, const char *head, char *out, size_t cap)
{
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)e->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        send(fd, head, strlen(head), 0) != (ssize_t)strlen(head)) {
        close(fd);
        return;
    }
    size_t got = 0;
    int64_t deadline = time_mono_ms() + 5000;
    while (time_mono_ms() < deadline && got + 1 < cap) {
        run_ms(e, 10);
        ssize_t n = recv(fd, out + got, cap - 1 - got, MSG_DONTWAIT);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0)
            break;
    }
    out[got] = '\0';
    close(fd);
}

TEST(oversized_body_is_413_unread)
{
    struct env e;
    if (!setup(&e)) {
        CHECK(0);
        return;
    }
    char head[512], resp[2048];
    snprintf(head, sizeof(head),
             "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
             "X-GitHub-Delivery: g-big\r\nContent-Type: application/json\r\n"
             "Content-Length: %u\r\n\r\n",
             HTTP_SERVER_BODY_MAX + 1);
    raw_exchange(&e, head, resp, sizeof(resp));
    CHECK_CONTAINS(resp, "HTTP/1.1 413");
    /* exactly the cap is read (and then judged by its signature) */
    snprintf(head, sizeof(head), "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %u\r\n\r\n",
             HTTP_SERVER_BODY_MAX);
    raw_exchange(&e, head, resp, sizeof(resp));
    CHECK(strstr(resp, "413") == NULL); /* still waiting for the body: no answer yet */
    CHECK_INT_EQ(xlen(&e), 0);
    teardown(&e);
}

TEST(oversized_headers_are_refused)
{
    struct env e;
    if (!setup(&e)) {
        CHECK(0);
        return;
    }
    size_t n = HTTP_SERVER_HEADERS_MAX + 1024;
    char *head = malloc(n + 128);
    int off = snprintf(head, n + 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(head + off, 'a', n);
    memcpy(head + off + n, "\r\n\r\n", 5);
    char resp[2048];
    raw_exchange(&e, head, resp, sizeof(resp));
    free(head);
    CHECK(strstr(resp, "200 OK") == NULL);
    teardown(&e);
}
