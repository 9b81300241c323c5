/*
 * rate_slots.c - two Lua scripts over the same arguments. KEYS: the scopes' sorted sets.
 * ARGV: now, member, then limit and window per key.
 */
#include "rate_slots.h"

#include "alloc.h"
#include "err.h"
#include "log.h"
#include "parse.h"
#include "policy_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The merge times still inside each scope's window. */
static const char LUA_READ[] =
    "local out = {} "
    "for i, k in ipairs(KEYS) do "
    "  local from = tonumber(ARGV[1]) - tonumber(ARGV[2 + 2 * i]) "
    "  out[i] = redis.call('ZRANGEBYSCORE', k, '(' .. from, '+inf', 'WITHSCORES') "
    "end return out";

/* Reserves a slot in every scope at once, or returns when the first full one frees. */
static const char LUA_RESERVE[] =
    "local now = tonumber(ARGV[1]) local wait = 0 "
    "for i, k in ipairs(KEYS) do "
    "  local limit = tonumber(ARGV[1 + 2 * i]) local win = tonumber(ARGV[2 + 2 * i]) "
    "  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - win) "
    "  local n = redis.call('ZCARD', k) "
    "  if n >= limit then "
    "    local r = redis.call('ZRANGE', k, n - limit, n - limit, 'WITHSCORES') "
    "    local slot = tonumber(r[2]) + win "
    "    if slot > wait then wait = slot end end "
    "end "
    "if wait > 0 then return wait end "
    "for i, k in ipairs(KEYS) do "
    "  redis.call('ZADD', k, now, ARGV[2]) "
    "  redis.call('PEXPIRE', k, 2 * tonumber(ARGV[2 + 2 * i])) end "
    "return 0";

static int send(struct fb_redis *r, const char *script, const struct policy_view *v, int64_t now_ms,
                const char *member, fb_redis_reply_fn fn, void *priv)
{
    const char *argv[5 + 3 * 3];
    size_t lens[5 + 3 * 3];
    char nkeys[24], now[24], limits[3][24], wins[3][24];
    int argc = 0;
    argv[argc++] = "EVAL";
    argv[argc++] = script;
    snprintf(nkeys, sizeof(nkeys), "%zu", v->nrates);
    argv[argc++] = nkeys;
    for (size_t i = 0; i < v->nrates; i++)
        argv[argc++] = v->rate_keys[i];
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    argv[argc++] = now;
    argv[argc++] = member;
    for (size_t i = 0; i < v->nrates; i++) {
        snprintf(limits[i], sizeof(limits[i]), "%lld", (long long)v->rates[i].limit);
        snprintf(wins[i], sizeof(wins[i]), "%lld", (long long)v->rates[i].window_ms);
        argv[argc++] = limits[i];
        argv[argc++] = wins[i];
    }
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return fb_redis_command_argv(r, fn, priv, argc, argv, lens);
}

int rate_slots_read(struct fb_redis *r, const struct policy_view *v, int64_t now_ms,
                    fb_redis_reply_fn fn, void *priv)
{
    return send(r, LUA_READ, v, now_ms, "", fn, priv);
}

int rate_slots_fill(struct policy_view *v, const redisReply *reply)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != v->nrates)
        return FB_ERR_UNAVAILABLE;
    for (size_t i = 0; i < v->nrates; i++) {
        const redisReply *list = reply->element[i];
        size_t n = list->type == REDIS_REPLY_ARRAY ? list->elements / 2 : 0;
        free(v->rate_recent[i]);
        v->rate_recent[i] = xcalloc(n ? n : 1, sizeof(int64_t));
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            const redisReply *score = list->element[2 * j + 1];
            int64_t t;
            if (score->type == REDIS_REPLY_STRING &&
                parse_i64(score->str, score->len, 0, INT64_MAX, &t) == 0)
                v->rate_recent[i][k++] = t;
        }
        v->rates[i].recent_ms = v->rate_recent[i];
        v->rates[i].nrecent = k;
    }
    return 0;
}

int rate_slots_reserve(struct fb_redis *r, const struct policy_view *v, int64_t now_ms,
                       const char *member, fb_redis_reply_fn fn, void *priv)
{
    return send(r, LUA_RESERVE, v, now_ms, member, fn, priv);
}

static char w_release[] = "rate-limit release";

static void on_released(redisReply *reply, void *priv)
{
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        log_warn("redis write failed what=%s error=%s (the slot frees when its window ends)",
                 (const char *)priv, fb_redis_reply_error_text(reply));
}

void rate_slots_release(struct fb_redis *r, const struct policy_view *v, const char *member)
{
    for (size_t i = 0; i < v->nrates; i++)
        fb_redis_command(r, on_released, w_release, "ZREM %s %s", v->rate_keys[i], member);
}
