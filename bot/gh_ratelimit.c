/*
 * gh_ratelimit.c - turns GitHub's rate-limit answers into blocks (contract §5.3) and
 * shares them with the other replicas through Redis (fb:gh:blocked:<id>, PX). It never
 * sleeps or retries: a blocked installation fails fast and callers reschedule.
 */
#include "gh_client_int.h"

#include "http_client.h"
#include "log.h"
#include "parse.h"
#include "redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

int64_t gh_header_i64(const struct http_response *hr, const char *name, int64_t dflt)
{
    const char *v = http_response_header(hr, name);
    int64_t n;
    if (v == NULL || parse_i64_cstr(v, 0, INT64_MAX / 2000, &n) != 0)
        return dflt;
    return n;
}

static void on_redis_ignored(redisReply *reply, void *priv)
{
    (void)reply;
    (void)priv;
}

void gh_block_set(struct gh_client *c, struct gh_inst *inst, int64_t until_ms, bool share)
{
    if (until_ms > inst->blocked_until_ms)
        inst->blocked_until_ms = until_ms;
    int64_t px = until_ms - gh_local_now_ms(c);
    if (!share || c->redis == NULL || !fb_redis_is_ready(c->redis) || px <= 0)
        return;
    char key[64], val[32], pxs[32];
    snprintf(key, sizeof(key), "fb:gh:blocked:%" PRId64, inst->id);
    snprintf(val, sizeof(val), "%" PRId64, until_ms);
    snprintf(pxs, sizeof(pxs), "%" PRId64, px);
    /* keep the later of two replicas' blocks: a plain SET would do for a few seconds' skew */
    fb_redis_command(c->redis, on_redis_ignored, NULL, "SET %s %s PX %s", key, val, pxs);
}

static bool mentions_secondary(const char *message)
{
    for (const char *p = message; p && *p; p++)
        if (strncasecmp(p, "secondary rate", 14) == 0)
            return true;
    return false;
}

/* GitHub's "now": its Date header when present (a reset is in GitHub's clock). */
static int64_t response_server_now_ms(const struct gh_client *c, const struct http_response *hr)
{
    const char *date = http_response_header(hr, "date");
    if (date) {
        time_t t = curl_getdate(date, NULL);
        if (t > 0)
            return (int64_t)t * 1000;
    }
    return gh_server_now_ms(c);
}

int gh_ratelimit_observe(struct gh_client *c, struct gh_inst *inst, const struct http_response *hr,
                         const char *message, struct fb_error *err)
{
    int status = hr->status;
    int64_t remaining = gh_header_i64(hr, "x-ratelimit-remaining", -1);
    int64_t local_now = gh_local_now_ms(c);
    if (status >= 200 && status < 400) {
        inst->secondary_backoff_ms = 0;
        return 0;
    }
    if (status != 403 && status != 429)
        return 0;
    int64_t retry_after = gh_header_i64(hr, "retry-after", -1);
    int64_t reset = gh_header_i64(hr, "x-ratelimit-reset", -1);
    bool secondary = mentions_secondary(message);
    int64_t wait_ms;
    const char *kind;
    if (retry_after >= 0) {
        wait_ms = retry_after * 1000;
        kind = secondary ? "secondary" : "retry-after";
        if (secondary && wait_ms > inst->secondary_backoff_ms)
            inst->secondary_backoff_ms = wait_ms;
    } else if (remaining == 0 && reset > 0) {
        wait_ms = reset * 1000 - response_server_now_ms(c, hr) + 1000;
        if (wait_ms < 1000)
            wait_ms = 1000;
        kind = "primary";
    } else if (secondary || status == 429) {
        int64_t prev = inst->secondary_backoff_ms;
        wait_ms = prev > 0 ? prev * 2 : GH_SECONDARY_MIN_MS;
        if (wait_ms < GH_SECONDARY_MIN_MS)
            wait_ms = GH_SECONDARY_MIN_MS;
        if (wait_ms > GH_SECONDARY_MAX_MS)
            wait_ms = GH_SECONDARY_MAX_MS;
        inst->secondary_backoff_ms = wait_ms;
        kind = "secondary";
    } else {
        return 0; /* a 403 with quota left is a permission problem, never a limit */
    }
    if (wait_ms > 24 * 3600 * 1000LL)
        wait_ms = 24 * 3600 * 1000LL;
    int64_t until = local_now + wait_ms;
    gh_block_set(c, inst, until, true);
    log_warn("github rate limited installation=%" PRId64 " kind=%s status=%d wait_ms=%" PRId64,
             inst->id, kind, status, wait_ms);
    fb_error_set(err, FB_ERR_RATE_LIMITED, "github %s rate limit, retry in %" PRId64 " s", kind,
                 (wait_ms + 999) / 1000);
    if (err) {
        err->retry_at_ms = inst->blocked_until_ms;
        err->http_status = status;
    }
    return FB_ERR_RATE_LIMITED;
}
