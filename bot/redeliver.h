/*
 * redeliver.h - the recovery job that asks GitHub to redeliver webhooks that failed
 * (GitHub never retries on its own). One replica at a time, every interval.
 */
#ifndef FLEETBOT_REDELIVER_H
#define FLEETBOT_REDELIVER_H

#include <stdint.h>

struct app;
struct redeliver;

/* Starts the periodic job (first run after at most 20 s) using app's GitHub client and
 * Redis connection, both borrowed. Caller owns the result. */
struct redeliver *redeliver_new(struct app *app, int64_t interval_ms);
/* Frees rd. Free it after app->gh and app->redis: their pending callbacks use rd. */
void redeliver_free(struct redeliver *rd);

#endif
