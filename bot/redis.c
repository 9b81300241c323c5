/*
 * redis.c - async Redis connection with reconnect and a reply watchdog.
 *
 * hiredis owns the redisAsyncContext and frees it after a disconnect or a failed connect;
 * we only forget our pointer in those callbacks. The watchdog frees the context itself
 * (from a timer, never from a hiredis callback) when replies stop arriving, which makes
 * hiredis answer every pending callback with NULL.
 */
#include "redis.h"

#include "alloc.h"
#include "err.h"
#include "log.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

struct fb_redis {
    struct event_base *base;
    char *host;
    int port;
    int db;
    char *password;
    char *name;
    int64_t timeout_ms;
    redisAsyncContext *ac;
    bool ready;
    size_t pending;
    int64_t last_progress_ms;
    int64_t backoff_ms;
    struct event *reconnect_ev;
    struct event *watchdog_ev;
    fb_redis_ready_fn on_ready;
    void *on_ready_priv;
};

struct pending_cmd {
    struct fb_redis *r;
    fb_redis_reply_fn fn;
    void *priv;
};

static void fb_redis_connect(struct fb_redis *r);

static void schedule_reconnect(struct fb_redis *r)
{
    struct timeval tv = {(time_t)(r->backoff_ms / 1000),
                         (suseconds_t)((r->backoff_ms % 1000) * 1000)};
    evtimer_add(r->reconnect_ev, &tv);
    r->backoff_ms = r->backoff_ms * 2 > 2000 ? 2000 : r->backoff_ms * 2;
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fb_redis_connect(arg);
}

static void on_handshake_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    struct fb_redis *r = privdata;
    redisReply *rep = reply;
    if (rep == NULL)
        return; /* connection went away; disconnect callback reconnects */
    if (rep->type == REDIS_REPLY_ERROR) {
        log_error("redis handshake refused conn=%s error=%s", r->name, rep->str);
        return;
    }
    /* the last handshake command is SELECT; its reply makes us ready */
    if (!r->ready) {
        r->ready = true;
        r->backoff_ms = 100;
        log_info("redis connected conn=%s addr=%s:%d db=%d", r->name, r->host, r->port, r->db);
        if (r->on_ready)
            r->on_ready(r, r->on_ready_priv);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct fb_redis *r = ac->data;
    if (status != REDIS_OK) {
        log_warn("redis connect failed conn=%s addr=%s:%d error=%s", r->name, r->host, r->port,
                 ac->errstr);
        r->ac = NULL; /* hiredis frees it */
        schedule_reconnect(r);
        return;
    }
    r->last_progress_ms = time_mono_ms();
    redisAsyncContext *mac = (redisAsyncContext *)ac;
    if (r->password)
        redisAsyncCommand(mac, NULL, NULL, "AUTH %s", r->password);
    redisAsyncCommand(mac, NULL, NULL, "CLIENT SETNAME %s", r->name);
    redisAsyncCommand(mac, on_handshake_reply, r, "SELECT %d", r->db);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct fb_redis *r = ac->data;
    if (r == NULL)
        return;
    bool was_ready = r->ready;
    r->ac = NULL;
    r->ready = false;
    r->pending = 0;
    if (status != REDIS_OK || was_ready)
        log_warn("redis connection lost conn=%s error=%s", r->name,
                 ac->errstr[0] ? ac->errstr : "closed");
    schedule_reconnect(r);
}

static void fb_redis_connect(struct fb_redis *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (ac == NULL || ac->err) {
        log_warn("redis connect failed conn=%s addr=%s:%d error=%s", r->name, r->host, r->port,
                 ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        schedule_reconnect(r);
        return;
    }
    ac->data = r;
    r->ac = ac;
    r->pending = 0;
    r->last_progress_ms = time_mono_ms(); /* the watchdog also bounds a hanging connect */
    redisLibeventAttach(ac, r->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fb_redis *r = arg;
    if (r->ac == NULL)
        return;
    int64_t now = time_mono_ms();
    bool stuck_handshake = !r->ready && now - r->last_progress_ms > r->timeout_ms;
    bool stuck_reply = r->pending > 0 && now - r->last_progress_ms > r->timeout_ms;
    if (stuck_handshake || stuck_reply) {
        log_warn("redis not answering conn=%s waited_ms=%lld pending=%zu", r->name,
                 (long long)(now - r->last_progress_ms), r->pending);
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        r->ready = false;
        ac->data = NULL; /* our disconnect callback ignores it; we reconnect here */
        redisAsyncFree(ac);
        r->pending = 0;
        schedule_reconnect(r);
    }
}

struct fb_redis *fb_redis_new(struct event_base *base, const struct fb_redis_options *opt)
{
    struct fb_redis *r = xcalloc(1, sizeof(*r));
    r->base = base;
    r->host = xstrdup(opt->host);
    r->port = opt->port;
    r->db = opt->db;
    r->password = opt->password ? xstrdup(opt->password) : NULL;
    r->name = xstrdup(opt->name ? opt->name : "fleetbot");
    r->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 5000;
    r->backoff_ms = 100;
    r->reconnect_ev = evtimer_new(base, on_reconnect_timer, r);
    r->watchdog_ev = event_new(base, -1, EV_PERSIST, on_watchdog, r);
    struct timeval tv = {0, 250 * 1000};
    event_add(r->watchdog_ev, &tv);
    fb_redis_connect(r);
    return r;
}

void fb_redis_free(struct fb_redis *r)
{
    if (r == NULL)
        return;
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    event_free(r->reconnect_ev);
    event_free(r->watchdog_ev);
    if (r->password)
        secure_wipe(r->password, strlen(r->password));
    free(r->password);
    free(r->host);
    free(r->name);
    free(r);
}

bool fb_redis_is_ready(const struct fb_redis *r)
{
    return r != NULL && r->ready && r->ac != NULL;
}

void fb_redis_on_ready(struct fb_redis *r, fb_redis_ready_fn fn, void *priv)
{
    r->on_ready = fn;
    r->on_ready_priv = priv;
    if (fb_redis_is_ready(r) && fn)
        fn(r, priv);
}

size_t fb_redis_pending(const struct fb_redis *r)
{
    return r->pending;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct pending_cmd *pc = privdata;
    struct fb_redis *r = ac->data ? ac->data : NULL;
    if (r != NULL && r->ac == ac) {
        if (r->pending > 0)
            r->pending--;
        r->last_progress_ms = time_mono_ms();
    }
    pc->fn(reply, pc->priv);
    free(pc);
}

static int start_pending(struct fb_redis *r, fb_redis_reply_fn fn, void *priv,
                         struct pending_cmd **out)
{
    if (!fb_redis_is_ready(r))
        return FB_ERR_UNAVAILABLE;
    struct pending_cmd *pc = xmalloc(sizeof(*pc));
    pc->r = r;
    pc->fn = fn;
    pc->priv = priv;
    if (r->pending == 0)
        r->last_progress_ms = time_mono_ms();
    *out = pc;
    return 0;
}

int fb_redis_vcommand(struct fb_redis *r, fb_redis_reply_fn fn, void *priv, const char *fmt,
                      va_list ap)
{
    struct pending_cmd *pc;
    int rc = start_pending(r, fn, priv, &pc);
    if (rc)
        return rc;
    if (redisvAsyncCommand(r->ac, on_reply, pc, fmt, ap) != REDIS_OK) {
        free(pc);
        return FB_ERR_UNAVAILABLE;
    }
    r->pending++;
    return 0;
}

int fb_redis_command(struct fb_redis *r, fb_redis_reply_fn fn, void *priv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fb_redis_vcommand(r, fn, priv, fmt, ap);
    va_end(ap);
    return rc;
}

int fb_redis_command_argv(struct fb_redis *r, fb_redis_reply_fn fn, void *priv, int argc,
                          const char **argv, const size_t *argvlen)
{
    struct pending_cmd *pc;
    int rc = start_pending(r, fn, priv, &pc);
    if (rc)
        return rc;
    if (redisAsyncCommandArgv(r->ac, on_reply, pc, argc, argv, argvlen) != REDIS_OK) {
        free(pc);
        return FB_ERR_UNAVAILABLE;
    }
    r->pending++;
    return 0;
}

bool fb_redis_reply_is_error(const redisReply *reply)
{
    return reply == NULL || reply->type == REDIS_REPLY_ERROR;
}

const char *fb_redis_reply_error_text(const redisReply *reply)
{
    if (reply == NULL)
        return "connection lost";
    if (reply->type == REDIS_REPLY_ERROR && reply->str)
        return reply->str;
    if (reply->type == REDIS_REPLY_NIL)
        return "nil";
    return "unexpected reply";
}

/* ---- blocking connections for the operator CLI ---- */

redisContext *fb_redis_cli_connect(const char *host, int port, int db, const char *password)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (c == NULL || c->err) {
        log_error("redis connect failed addr=%s:%d error=%s", host, port,
                  c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    redisReply *r = NULL;
    if (password != NULL && password[0]) {
        r = redisCommand(c, "AUTH %s", password);
        if (fb_redis_reply_is_error(r))
            goto fail;
        freeReplyObject(r);
    }
    r = redisCommand(c, "SELECT %d", db);
    if (fb_redis_reply_is_error(r))
        goto fail;
    freeReplyObject(r);
    return c;
fail:
    log_error("redis handshake failed addr=%s:%d error=%s", host, port,
              r ? fb_redis_reply_error_text(r) : c->errstr);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

const char *fb_redis_hash_field(const redisReply *h, const char *name, size_t *len)
{
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
        if (h->element[i]->type == REDIS_REPLY_STRING && strcmp(h->element[i]->str, name) == 0 &&
            h->element[i + 1]->type == REDIS_REPLY_STRING) {
            if (len)
                *len = h->element[i + 1]->len;
            return h->element[i + 1]->str;
        }
    return NULL;
}
