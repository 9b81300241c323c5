/*
 * redis_batch.h - a group of Redis commands whose completion is reported once: the
 * handler of one delivery issues its writes into a batch and learns, in one callback,
 * whether all of them succeeded. Commands are pipelined on one connection, so they run
 * in order. It does not make them atomic; use a Lua script for that.
 */
#ifndef FLEETBOT_REDIS_BATCH_H
#define FLEETBOT_REDIS_BATCH_H

#include "redis.h"

struct redis_batch;

/* rc: 0 when every command got a non-error reply, else FB_ERR_UNAVAILABLE (connection)
 * or FB_ERR_INTERNAL (an error reply); err_text names the first failure. */
typedef void (*redis_batch_done_fn)(int rc, const char *err_text, void *priv);

/* The batch frees itself after calling done. */
struct redis_batch *redis_batch_new(struct fb_redis *r, redis_batch_done_fn done, void *priv);
/* Adds a command (hiredis format). A command that cannot be sent fails the batch. */
void redis_batch_cmd(struct redis_batch *b, const char *fmt, ...);
void redis_batch_argv(struct redis_batch *b, int argc, const char **argv, const size_t *lens);
/* No more commands: done is called once all replies are in (possibly from inside this
 * call, when nothing is outstanding). */
void redis_batch_seal(struct redis_batch *b);
struct fb_redis *redis_batch_conn(struct redis_batch *b);

#endif
