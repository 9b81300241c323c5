/*
 * gh_token.c - per-installation state: the installation token (memory, then Redis
 * fb:gh:token:<id>, then a mint with the App JWT), the Redis view of rate-limit blocks,
 * and the FIFO of requests waiting for either. One lookup or mint per installation is in
 * flight at a time; every request that needs it waits on that one.
 */
#include "gh_client_int.h"

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "parse.h"
#include "redis.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void inst_refresh(struct gh_client *c, struct gh_inst *inst);

struct gh_inst *gh_inst_get(struct gh_client *c, int64_t id)
{
    size_t b = (size_t)((uint64_t)id % GH_INST_BUCKETS);
    for (struct gh_inst *i = c->insts[b]; i; i = i->chain)
        if (i->id == id)
            return i;
    struct gh_inst *i = xcalloc(1, sizeof(*i));
    i->c = c;
    i->id = id;
    i->chain = c->insts[b];
    c->insts[b] = i;
    return i;
}

static void token_clear(struct gh_inst *inst)
{
    if (inst->token) {
        secure_wipe(inst->token, inst->token_len);
        free(inst->token);
    }
    inst->token = NULL;
    inst->token_len = 0;
    inst->token_expires_ms = 0;
    inst->token_minted_ms = 0;
}

void gh_inst_free_all(struct gh_client *c)
{
    for (size_t b = 0; b < GH_INST_BUCKETS; b++) {
        while (c->insts[b]) {
            struct gh_inst *i = c->insts[b];
            c->insts[b] = i->chain;
            token_clear(i);
            free(i);
        }
    }
}

bool gh_inst_token_fresh(const struct gh_client *c, const struct gh_inst *inst)
{
    return inst->token && inst->token_expires_ms - gh_server_now_ms(c) > GH_TOKEN_MARGIN_MS;
}

bool gh_inst_token_usable(const struct gh_client *c, const struct gh_inst *inst)
{
    return inst->token && inst->token_expires_ms > gh_server_now_ms(c);
}

static bool token_is_valid(const char *t, size_t n)
{
    if (n == 0 || n > GH_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
            return false;
    return true;
}

static void token_set(struct gh_client *c, struct gh_inst *inst, const char *t, size_t n,
                      int64_t minted_ms, int64_t expires_ms)
{
    token_clear(inst);
    inst->token = xmemdup(t, n);
    inst->token_len = n;
    inst->token_minted_ms = minted_ms;
    inst->token_expires_ms = expires_ms;
    inst->token_gen = ++c->next_gen;
}

static void on_redis_ignored(redisReply *reply, void *priv)
{
    (void)reply;
    (void)priv;
}

static bool redis_usable(const struct gh_client *c)
{
    return c->redis != NULL && fb_redis_is_ready(c->redis);
}

void gh_token_drop(struct gh_client *c, struct gh_inst *inst, uint64_t gen)
{
    if (inst->token == NULL || inst->token_gen != gen)
        return; /* already replaced by a newer token */
    token_clear(inst);
    if (redis_usable(c)) {
        char key[64];
        snprintf(key, sizeof(key), "fb:gh:token:%" PRId64, inst->id);
        fb_redis_command(c->redis, on_redis_ignored, NULL, "DEL %s", key);
    }
}

static void token_share(struct gh_client *c, struct gh_inst *inst)
{
    int64_t px = inst->token_expires_ms - GH_TOKEN_MARGIN_MS - gh_server_now_ms(c);
    if (!redis_usable(c) || px <= 0)
        return;
    char key[64], pxs[32];
    snprintf(key, sizeof(key), "fb:gh:token:%" PRId64, inst->id);
    snprintf(pxs, sizeof(pxs), "%" PRId64, px);
    struct buf v = BUF_INIT(GH_TOKEN_MAX + 64);
    if (buf_printf(&v, "%" PRId64 " %" PRId64 " ", inst->token_minted_ms, inst->token_expires_ms) ==
            0 &&
        buf_append(&v, inst->token, inst->token_len) == 0)
        fb_redis_command(c->redis, on_redis_ignored, NULL, "SET %s %b PX %s", key, v.data, v.len,
                         pxs);
    secure_wipe(v.data, v.len);
    buf_free(&v);
}

/* Parses "<minted_ms> <expires_ms> <token>" from Redis. */
static void token_from_redis(struct gh_client *c, struct gh_inst *inst, const char *s, size_t n)
{
    const char *sp1 = memchr(s, ' ', n);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s)) : NULL;
    int64_t minted, expires;
    if (sp2 == NULL || parse_i64(s, (size_t)(sp1 - s), 0, INT64_MAX / 2, &minted) != 0 ||
        parse_i64(sp1 + 1, (size_t)(sp2 - sp1 - 1), 0, INT64_MAX / 2, &expires) != 0)
        return;
    const char *t = sp2 + 1;
    size_t tn = n - (size_t)(t - s);
    if (!token_is_valid(t, tn) || expires - gh_server_now_ms(c) <= GH_TOKEN_MARGIN_MS)
        return;
    token_set(c, inst, t, tn, minted, expires);
}

static void call_list_push(struct gh_call_list *l, struct gh_call *call)
{
    call->wnext = NULL;
    call->wprev = l->tail;
    if (l->tail)
        l->tail->wnext = call;
    else
        l->head = call;
    l->tail = call;
}

void gh_inst_unwait(struct gh_inst *inst, struct gh_call *call)
{
    if (!call->waiting)
        return;
    if (call->wprev)
        call->wprev->wnext = call->wnext;
    else
        inst->waiters.head = call->wnext;
    if (call->wnext)
        call->wnext->wprev = call->wprev;
    else
        inst->waiters.tail = call->wprev;
    call->wprev = call->wnext = NULL;
    call->waiting = false;
}

void gh_inst_wait(struct gh_client *c, struct gh_inst *inst, struct gh_call *call)
{
    call_list_push(&inst->waiters, call);
    call->waiting = true;
    if (!inst->busy)
        inst_refresh(c, inst);
}

/* Ends a refresh: every waiter goes on (it re-checks blocks and tokens) or fails with err. */
static void inst_wake(struct gh_inst *inst, const struct fb_error *err)
{
    inst->busy = false;
    /* detach first: a woken call may wait again and start a new refresh */
    struct gh_call *list = inst->waiters.head;
    inst->waiters.head = inst->waiters.tail = NULL;
    for (struct gh_call *w = list; w; w = w->wnext)
        w->waiting = false;
    while (list) {
        struct gh_call *call = list;
        list = call->wnext;
        call->wprev = call->wnext = NULL;
        if (err && err->code) {
            gh_call_fail(call, err);
        } else {
            call->after_refresh = true;
            gh_call_ready(call);
        }
    }
}

static void on_minted(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct gh_inst *inst = priv;
    struct gh_client *c = inst->c;
    if (err->code != 0) {
        /* say which step failed, keeping GitHub's answer and any retry time */
        struct fb_error e = {0};
        fb_error_set(&e, err->code, "installation token: %.200s", err->msg);
        e.http_status = err->http_status;
        e.retry_at_ms = err->retry_at_ms;
        log_warn("cannot mint installation token installation=%" PRId64 " status=%d error=%s",
                 inst->id, err->http_status, fb_err_name(err->code));
        inst_wake(inst, &e);
        return;
    }
    json_t *tok = json_object_get(resp->json, "token");
    json_t *exp = json_object_get(resp->json, "expires_at");
    int64_t expires_ms;
    if (!json_is_string(tok) || !json_is_string(exp) ||
        !token_is_valid(json_string_value(tok), json_string_length(tok)) ||
        time_parse_rfc3339(json_string_value(exp), &expires_ms) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_TRANSIENT, "installation token answer without token/expires_at");
        e.http_status = resp->status;
        inst_wake(inst, &e);
        return;
    }
    token_set(c, inst, json_string_value(tok), json_string_length(tok), gh_server_now_ms(c),
              expires_ms);
    token_share(c, inst);
    log_debug("installation token minted installation=%" PRId64, inst->id);
    inst_wake(inst, NULL);
}

static void mint(struct gh_client *c, struct gh_inst *inst)
{
    char path[96];
    snprintf(path, sizeof(path), "/app/installations/%" PRId64 "/access_tokens", inst->id);
    if (gh_call_new_internal(c, "POST", path, 0, on_minted, inst) != 0) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_UNAVAILABLE, "cannot start an installation token request");
        inst_wake(inst, &e);
    }
}

/* After the Redis view (or without Redis): mint if a token is still needed, else wake. */
static void inst_after_lookup(struct gh_client *c, struct gh_inst *inst)
{
    bool blocked = inst->blocked_until_ms > gh_local_now_ms(c);
    if (inst->id > 0 && !blocked && !gh_inst_token_fresh(c, inst))
        mint(c, inst);
    else
        inst_wake(inst, NULL);
}

static void op_unlink(struct gh_client *c, struct gh_redis_op *op)
{
    if (op->prev)
        op->prev->next = op->next;
    else
        c->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
}

static void on_redis_lookup(redisReply *reply, void *priv)
{
    struct gh_redis_op *op = priv;
    struct gh_client *c = op->c;
    if (c == NULL) { /* the client was freed meanwhile */
        free(op);
        return;
    }
    op_unlink(c, op);
    struct gh_inst *inst = gh_inst_get(c, op->inst_id);
    free(op);
    inst->redis_checked_ms = time_mono_ms();
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        redisReply *blk = reply->element[0], *tok = reply->element[1];
        int64_t until;
        if (blk->type == REDIS_REPLY_STRING &&
            parse_i64(blk->str, blk->len, 0, INT64_MAX / 2, &until) == 0)
            gh_block_set(c, inst, until, false);
        if (tok->type == REDIS_REPLY_STRING && !gh_inst_token_fresh(c, inst))
            token_from_redis(c, inst, tok->str, tok->len);
    } else if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        log_warn("redis lookup for github state failed installation=%" PRId64 " error=%s", inst->id,
                 fb_redis_reply_error_text(reply));
    }
    inst_after_lookup(c, inst);
}

static void inst_refresh(struct gh_client *c, struct gh_inst *inst)
{
    inst->busy = true;
    if (!redis_usable(c)) {
        inst_after_lookup(c, inst);
        return;
    }
    struct gh_redis_op *op = xcalloc(1, sizeof(*op));
    op->c = c;
    op->inst_id = inst->id;
    op->next = c->ops;
    if (c->ops)
        c->ops->prev = op;
    c->ops = op;
    char kb[64], kt[64];
    snprintf(kb, sizeof(kb), "fb:gh:blocked:%" PRId64, inst->id);
    snprintf(kt, sizeof(kt), "fb:gh:token:%" PRId64, inst->id);
    if (fb_redis_command(c->redis, on_redis_lookup, op, "MGET %s %s", kb, kt) != 0) {
        op_unlink(c, op);
        free(op);
        inst_after_lookup(c, inst);
    }
}
