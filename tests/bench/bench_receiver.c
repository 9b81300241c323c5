/*
 * bench_receiver.c - a receiver-only server for tests/bench/ingest.sh until (and besides)
 * `fleetbot serve`: settings from the FLEETBOT_* environment, one Redis connection, the
 * HTTP server and the receiver; SIGINT/SIGTERM stop it and print the counters.
 * It runs no worker: nothing consumes fb:events.
 */
#include "err.h"
#include "http_server.h"
#include "log.h"
#include "receiver.h"
#include "redis.h"
#include "settings.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

int main(void)
{
    struct fb_settings s = {0};
    struct fb_error err = {0};
    if (settings_load(&s, &err) != 0)
        log_fatal("bad settings: %s", err.msg);
    log_set_level_name(s.log_level);
    /* the changelist coalesces the many epoll_ctl calls of evhttp and hiredis per loop turn
     * (syscalls are the largest cost here); FLEETBOT_BENCH_PLAIN_BASE=1 measures without it */
    struct event_config *cfg = event_config_new();
    if (getenv("FLEETBOT_BENCH_PLAIN_BASE") == NULL)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    struct fb_redis_options ro = {.host = s.redis_host,
                                  .port = s.redis_port,
                                  .db = s.redis_db,
                                  .password = s.redis_password,
                                  .name = "fleetbot-bench-receiver",
                                  .timeout_ms = 5000};
    struct fb_redis *redis = fb_redis_new(base, &ro);
    struct http_server *srv = http_server_new(base, s.listen_host, s.listen_port, &err);
    if (srv == NULL)
        log_fatal("cannot serve: %s", err.msg);
    struct receiver *rx = receiver_new(srv, redis, &s);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    event_base_dispatch(base);

    receiver_drain(rx);
    const struct receiver_stats *st = receiver_get_stats(rx);
    fprintf(stderr,
            "receiver stats accepted=%" PRIu64 " duplicates=%" PRIu64 " unavailable=%" PRIu64
            " rejected_401=%" PRIu64 " rejected_400=%" PRIu64 "\n",
            st->accepted, st->duplicates, st->unavailable, st->rejected_401, st->rejected_400);
    receiver_free(rx);
    http_server_free(srv);
    fb_redis_free(redis);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(base);
    settings_free(&s);
    return 0;
}
