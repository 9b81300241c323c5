/*
 * firewatch_health.h - a shift's health after one of its merges was implicated, and the
 * circuit breaker: pause the shift and alert its owners once per incident when too many
 * of its observed merges are implicated (shifts/<name>.yml `firewatch:`, org defaults).
 */
#ifndef FLEETBOT_FIREWATCH_HEALTH_H
#define FLEETBOT_FIREWATCH_HEALTH_H

#include <stdint.h>

struct app;

/* Fire and forget: reads the thresholds, counts, pauses and alerts as needed. */
void firewatch_health_check(struct app *app, int64_t installation, const char *repo,
                            const char *shift, int64_t now_ms);

#endif
