/*
 * redis_batch.c - counts outstanding replies and reports the batch's outcome once.
 */
#include "redis_batch.h"

#include "alloc.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct redis_batch {
    struct fb_redis *r;
    redis_batch_done_fn done;
    void *priv;
    int outstanding;
    int rc;
    char err_text[160];
    bool sealed;
};

struct redis_batch *redis_batch_new(struct fb_redis *r, redis_batch_done_fn done, void *priv)
{
    struct redis_batch *b = xcalloc(1, sizeof(*b));
    b->r = r;
    b->done = done;
    b->priv = priv;
    return b;
}

struct fb_redis *redis_batch_conn(struct redis_batch *b)
{
    return b->r;
}

static void fail(struct redis_batch *b, int rc, const char *text)
{
    if (b->rc == 0) {
        b->rc = rc;
        snprintf(b->err_text, sizeof(b->err_text), "%s", text);
    }
}

static void finish_if_done(struct redis_batch *b)
{
    if (b->sealed && b->outstanding == 0) {
        b->done(b->rc, b->err_text, b->priv);
        free(b);
    }
}

static void on_reply(redisReply *reply, void *priv)
{
    struct redis_batch *b = priv;
    if (reply == NULL)
        fail(b, FB_ERR_UNAVAILABLE, "redis connection lost");
    else if (reply->type == REDIS_REPLY_ERROR)
        fail(b, FB_ERR_INTERNAL, reply->str);
    b->outstanding--;
    finish_if_done(b);
}

void redis_batch_cmd(struct redis_batch *b, const char *fmt, ...)
{
    if (b->rc != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int rc = fb_redis_vcommand(b->r, on_reply, b, fmt, ap);
    va_end(ap);
    if (rc)
        fail(b, rc, "redis unavailable");
    else
        b->outstanding++;
}

void redis_batch_argv(struct redis_batch *b, int argc, const char **argv, const size_t *lens)
{
    if (b->rc != 0)
        return;
    int rc = fb_redis_command_argv(b->r, on_reply, b, argc, argv, lens);
    if (rc)
        fail(b, rc, "redis unavailable");
    else
        b->outstanding++;
}

void redis_batch_seal(struct redis_batch *b)
{
    b->sealed = true;
    finish_if_done(b);
}
