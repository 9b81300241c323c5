/*
 * test_clock.c - polls FLEETBOT_CLOCK_KEY and applies it as the policy clock's offset.
 * A read in flight is never doubled; a missing or malformed value leaves the clock as is.
 */
#include "test_clock.h"

#include "alloc.h"
#include "app.h"
#include "log.h"
#include "parse.h"
#include "redis.h"

#include <stdlib.h>

#include <event2/event.h>

struct test_clock {
    struct app *app;
    struct event *ev;
    bool reading;
    bool freed; /* freed while a read was in flight: its callback frees */
};

static void on_offset(redisReply *reply, void *priv)
{
    struct test_clock *tc = priv;
    tc->reading = false;
    if (tc->freed) {
        free(tc);
        return;
    }
    int64_t v;
    if (reply && reply->type == REDIS_REPLY_STRING &&
        parse_i64(reply->str, reply->len, INT64_MIN / 4, INT64_MAX / 4, &v) == 0 &&
        v != tc->app->clock.offset_ms) {
        tc->app->clock.offset_ms = v;
        log_info("test clock moved offset_ms=%lld", (long long)v);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct test_clock *tc = arg;
    if (tc->reading || !fb_redis_is_ready(tc->app->redis))
        return;
    if (fb_redis_command(tc->app->redis, on_offset, tc, "GET %s", tc->app->settings.clock_key) == 0)
        tc->reading = true;
}

struct test_clock *test_clock_new(struct app *app)
{
    struct test_clock *tc = xcalloc(1, sizeof(*tc));
    tc->app = app;
    tc->ev = event_new(app->base, -1, EV_PERSIST, on_tick, tc);
    struct timeval tv = {0, 100 * 1000};
    event_add(tc->ev, &tv);
    return tc;
}

void test_clock_free(struct test_clock *tc)
{
    if (tc == NULL)
        return;
    event_free(tc->ev);
    if (tc->reading)
        tc->freed = true;
    else
        free(tc);
}
