/*
 * app.h - the one process-wide object: settings, clock, event loop and the adapters
 * (Redis connections, GitHub client, HTTP server) every role borrows. main() builds it
 * and frees it; nothing else owns any part of it.
 */
#ifndef FLEETBOT_APP_H
#define FLEETBOT_APP_H

#include "settings.h"
#include "timeutil.h"

struct event_base;
struct fb_redis;
struct gh_client;
struct http_server;
struct receiver;
struct fb_queue;
struct evalq;
struct redeliver;
struct zones;
struct policy_source;
struct test_clock;
struct protection_cache;
struct alert_hook;

struct app {
    struct event_base *base;
    struct fb_settings settings;
    struct fb_clock clock;
    struct fb_redis *redis;       /* commands, scripts */
    struct fb_redis *redis_block; /* XREADGROUP BLOCK only */
    struct gh_client *gh;
    struct http_server *http;
    struct receiver *receiver;
    struct fb_queue *queue;
    struct evalq *evalq;
    struct redeliver *redeliver;
    struct zones *zones;                 /* IANA zones, loaded on first use */
    struct policy_source *policy;        /* policy files through the contents API */
    struct test_clock *test_clock;       /* FLEETBOT_CLOCK_KEY only */
    struct protection_cache *protection; /* what base branches require, per process */
    struct alert_hook *alert_hook;       /* FLEETBOT_ALERT_WEBHOOK_URL, or NULL */
    char bot_login[160]; /* "<slug>[bot]": the sender of fleetbot's own echoed events */
    /* counters for logs and metrics */
    long deliveries_handled;
    long deliveries_failed;
    long evaluations;
    long merges;
};

/* The policy clock (FLEETBOT_NOW-aware), in ms; priv is the struct app. */
int64_t app_now_ms(void *app);

#endif
