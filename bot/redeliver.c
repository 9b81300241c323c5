/*
 * redeliver.c - the recovery job. GitHub never retries a failed delivery, and fleetbot
 * answers 503 while Redis is down, so every few minutes one replica (a Redis lock picks
 * it) lists the App's recent deliveries, finds the ones with no successful attempt that
 * fleetbot never accepted, and asks GitHub to redeliver each once. It does not replay
 * anything itself: the redelivery arrives as a normal signed webhook with the same GUID.
 */
#include "redeliver.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "err.h"
#include "gh_client.h"
#include "jsonutil.h"
#include "log.h"
#include "redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define REDELIVER_FIRST_S     20
#define REDELIVER_MAX_PER_RUN 200

struct redeliver {
    struct app *app;
    struct event *timer;
    int64_t interval_ms;
    bool running;
    int outstanding;
    int requested;
};

struct redeliver_run {
    struct redeliver *rd;
    json_t *deliveries; /* owned */
};

/* KEYS: none. ARGV: guid1 id1 guid2 id2 ... Returns the ids to redeliver: guids fleetbot
 * never accepted (no fb:delivery:<guid>) and not already requested within the hour. */
static const char LUA_PICK[] =
    "local out = {} "
    "for i = 1, #ARGV, 2 do "
    "  local g = ARGV[i] "
    "  if redis.call('EXISTS', 'fb:delivery:' .. g) == 0 and "
    "     redis.call('SET', 'fb:redeliver:asked:' .. g, '1', 'NX', 'EX', 3600) then "
    "    out[#out + 1] = ARGV[i + 1] end "
    "end return out";

static void schedule(struct redeliver *rd, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(rd->timer, &tv);
}

static void run_done(struct redeliver *rd)
{
    if (rd->requested > 0)
        log_info("recovery asked GitHub to redeliver %d failed deliveries", rd->requested);
    rd->running = false;
    schedule(rd, rd->interval_ms);
}

static void on_attempt(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    (void)resp;
    struct redeliver *rd = priv;
    if (err->code == 0)
        rd->requested++;
    else
        log_warn("redelivery request failed status=%d error=%s", err->http_status, err->msg);
    if (--rd->outstanding == 0)
        run_done(rd);
}

static void on_picked(redisReply *reply, void *priv)
{
    struct redeliver_run *run = priv;
    struct redeliver *rd = run->rd;
    json_decref(run->deliveries);
    free(run);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        log_warn("recovery could not check deliveries error=%s", fb_redis_reply_error_text(reply));
        run_done(rd);
        return;
    }
    rd->outstanding = 1; /* guard while sending */
    for (size_t i = 0; i < reply->elements && i < REDELIVER_MAX_PER_RUN; i++) {
        redisReply *id = reply->element[i];
        if (id->type != REDIS_REPLY_STRING)
            continue;
        char path[128];
        snprintf(path, sizeof(path), "/app/hook/deliveries/%.*s/attempts", (int)id->len, id->str);
        struct gh_request req = {.method = "POST", .path = path, .installation_id = 0};
        if (gh_request_send(rd->app->gh, &req, on_attempt, rd) == 0)
            rd->outstanding++;
    }
    if (--rd->outstanding == 0)
        run_done(rd);
}

static bool is_ok(json_t *d)
{
    const char *status = json_path_str(d, "status");
    int64_t code = json_path_int(d, "status_code", 0);
    return (status && strcmp(status, "OK") == 0) || (code >= 200 && code < 300);
}

static void on_list(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct redeliver *rd = priv;
    if (err->code != 0) {
        log_warn("recovery could not list deliveries status=%d error=%s", err->http_status,
                 err->msg);
        run_done(rd);
        return;
    }
    /* Group by guid: a guid with any OK attempt is done. Keep the newest id per guid. */
    json_t *list = resp->json;
    size_t n = json_array_size(list);
    const char **argv = xcalloc(2 * n + 4, sizeof(char *));
    size_t *lens = xcalloc(2 * n + 4, sizeof(size_t));
    char(*ids)[24] = xcalloc(n ? n : 1, 24);
    int argc = 0;
    argv[argc++] = "EVAL";
    argv[argc++] = LUA_PICK;
    argv[argc++] = "0";
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(list, i);
        const char *guid = json_path_str(d, "guid");
        int64_t id = json_path_int(d, "id", 0);
        if (guid == NULL || id <= 0 || is_ok(d))
            continue;
        bool settled = false, seen = false;
        for (size_t j = 0; j < n && !settled; j++) {
            json_t *o = json_array_get(list, j);
            const char *g = json_path_str(o, "guid");
            if (g == NULL || strcmp(g, guid) != 0)
                continue;
            if (is_ok(o))
                settled = true;
            else if (j < i)
                seen = true; /* newest first: an earlier index already stands for this guid */
        }
        if (settled || seen)
            continue;
        snprintf(ids[i], sizeof(ids[i]), "%lld", (long long)id);
        argv[argc++] = guid;
        argv[argc++] = ids[i];
    }
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    struct redeliver_run *run = xcalloc(1, sizeof(*run));
    run->rd = rd;
    run->deliveries = json_incref(list);
    if (argc == 3 || fb_redis_command_argv(rd->app->redis, on_picked, run, argc, argv, lens) != 0) {
        json_decref(run->deliveries);
        free(run);
        run_done(rd);
    }
    free(argv);
    free(lens);
    free(ids);
}

static void on_lock(redisReply *reply, void *priv)
{
    struct redeliver *rd = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
        /* another replica runs it this time (or Redis is down) */
        rd->running = false;
        schedule(rd, rd->interval_ms);
        return;
    }
    struct gh_request req = {.method = "GET",
                             .path = "/app/hook/deliveries?per_page=100",
                             .installation_id = 0,
                             .paginate = true,
                             .max_pages = 5};
    rd->requested = 0;
    if (gh_request_send(rd->app->gh, &req, on_list, rd) != 0)
        run_done(rd);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct redeliver *rd = arg;
    if (rd->running)
        return;
    rd->running = true;
    /* The lock lives almost one interval, so across replicas the job runs about once per
     * interval whatever their phases. */
    long long lock_ms = rd->interval_ms - rd->interval_ms / 10;
    if (fb_redis_command(rd->app->redis, on_lock, rd, "SET fb:redeliver:lock %s NX PX %lld",
                         rd->app->settings.consumer, lock_ms) != 0) {
        rd->running = false;
        schedule(rd, rd->interval_ms);
    }
}

struct redeliver *redeliver_new(struct app *app, int64_t interval_ms)
{
    struct redeliver *rd = xcalloc(1, sizeof(*rd));
    rd->app = app;
    rd->interval_ms = interval_ms > 1000 ? interval_ms : 1000;
    rd->timer = evtimer_new(app->base, on_timer, rd);
    int64_t first = REDELIVER_FIRST_S * 1000;
    schedule(rd, rd->interval_ms < first ? rd->interval_ms : first);
    return rd;
}

void redeliver_free(struct redeliver *rd)
{
    if (rd == NULL)
        return;
    event_free(rd->timer);
    free(rd);
}
