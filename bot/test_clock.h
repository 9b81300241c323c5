/*
 * test_clock.h - testing and sandbox only: lets a test move the policy clock of every
 * fleetbot process at once. With FLEETBOT_NOW and FLEETBOT_CLOCK_KEY set, each process
 * re-reads the Redis key every 100 ms; it holds the clock's offset from real time in ms.
 * Production never sets either variable; nothing else reads the key.
 */
#ifndef FLEETBOT_TEST_CLOCK_H
#define FLEETBOT_TEST_CLOCK_H

struct app;
struct test_clock;

/* Starts polling app->settings.clock_key into app->clock. Caller owns the result. */
struct test_clock *test_clock_new(struct app *app);
/* Free before app->redis (a pending read is answered with NULL when Redis is freed). */
void test_clock_free(struct test_clock *tc);

#endif
