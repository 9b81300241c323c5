/*
 * redis.h - one asynchronous Redis connection on the libevent loop, with reconnect,
 * AUTH/SELECT on every (re)connect, and a reply watchdog (hiredis 0.14 has no command
 * timeouts of its own). It does not know any fleetbot key; see store.h and queue.h.
 *
 * Contract: fb_redis_command*() returns 0 and then calls fn exactly once, later, from the
 * event loop: with the reply (which may be REDIS_REPLY_ERROR), or with NULL when the
 * connection was lost or timed out before the reply came. It returns FB_ERR_UNAVAILABLE
 * and never calls fn when there is no ready connection. The reply is borrowed for the
 * duration of the callback. A blocking command (XREADGROUP BLOCK) needs its own
 * connection with a timeout longer than the block time.
 */
#ifndef FLEETBOT_REDIS_H
#define FLEETBOT_REDIS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

struct event_base;
struct fb_redis;

typedef void (*fb_redis_reply_fn)(redisReply *reply, void *priv);
typedef void (*fb_redis_ready_fn)(struct fb_redis *r, void *priv);

struct fb_redis_options {
    const char *host;
    int port;
    int db;
    const char *password; /* NULL for none; copied and wiped on free */
    const char *name;     /* for logs and CLIENT SETNAME */
    int64_t timeout_ms;   /* a reply slower than this drops the connection; default 5000 */
};

/* Starts connecting at once and keeps reconnecting with backoff. Caller owns the result. */
struct fb_redis *fb_redis_new(struct event_base *base, const struct fb_redis_options *opt);
/* Drops the connection (pending callbacks get NULL) and frees r. NULL is a no-op.
 * Never call it from inside one of r's callbacks. */
void fb_redis_free(struct fb_redis *r);

bool fb_redis_is_ready(const struct fb_redis *r);
/* Called after every successful (re)connect, once AUTH and SELECT are done. */
void fb_redis_on_ready(struct fb_redis *r, fb_redis_ready_fn fn, void *priv);

int fb_redis_command(struct fb_redis *r, fb_redis_reply_fn fn, void *priv, const char *fmt, ...);
int fb_redis_vcommand(struct fb_redis *r, fb_redis_reply_fn fn, void *priv, const char *fmt,
                      va_list ap);
int fb_redis_command_argv(struct fb_redis *r, fb_redis_reply_fn fn, void *priv, int argc,
                          const char **argv, const size_t *argvlen);

/* Replies in flight on this connection (for back-pressure). */
size_t fb_redis_pending(const struct fb_redis *r);

/* Helpers for reading replies. */
bool fb_redis_reply_is_error(const redisReply *reply);
/* The value of field name in an HGETALL reply (len set when not NULL), or NULL. Borrowed
 * from the reply. */
const char *fb_redis_hash_field(const redisReply *h, const char *name, size_t *len);
/* A NIL reply or an error reply's text, for logs; never NULL. */
const char *fb_redis_reply_error_text(const redisReply *reply);

/* A blocking connection for operator commands (never inside the event loop): connects with
 * a 5 s timeout, AUTH and SELECT. NULL on failure (logged). Caller frees (redisFree). */
redisContext *fb_redis_cli_connect(const char *host, int port, int db, const char *password);

#endif
