/*
 * rate_slots.h - the Redis side of the rate limits (policies/rate_limit.c is the pure
 * side): a sorted set of automerge times per scope (fb:rl:*), read into the gate's facts,
 * reserved atomically in every scope just before a merge call, and released when GitHub
 * refused the merge. The scopes come from the policy view (policy_source.h).
 */
#ifndef FLEETBOT_RATE_SLOTS_H
#define FLEETBOT_RATE_SLOTS_H

#include "redis.h"

#include <stdint.h>

struct policy_view;

/* Sends the read of the recent automerges of v's scopes; fn gets the reply, which
 * rate_slots_fill puts into v. 0, or nonzero (fn never called). */
int rate_slots_read(struct fb_redis *r, const struct policy_view *v, int64_t now_ms,
                    fb_redis_reply_fn fn, void *priv);
/* Fills v->rates[*].recent_ms from a read reply. 0, or FB_ERR_UNAVAILABLE for a bad reply. */
int rate_slots_fill(struct policy_view *v, const redisReply *reply);

/* Reserves a slot for member in every scope at once. The reply is an integer: 0 when
 * reserved, else the instant (ms) the first full scope frees a slot. */
int rate_slots_reserve(struct fb_redis *r, const struct policy_view *v, int64_t now_ms,
                       const char *member, fb_redis_reply_fn fn, void *priv);
/* Gives member's slots back (the merge did not happen). Fire and forget. */
void rate_slots_release(struct fb_redis *r, const struct policy_view *v, const char *member);

#endif
