/*
 * gh_client_int.h - what gh_client.c (requests), gh_token.c (installation tokens and the
 * per-installation state) and gh_ratelimit.c (blocks) share. Not for use outside them.
 */
#ifndef FLEETBOT_GH_CLIENT_INT_H
#define FLEETBOT_GH_CLIENT_INT_H

#include "gh_client.h"

#include <stdbool.h>
#include <stdint.h>

struct event;
struct http_client;
struct http_response;
struct jwt_signer;
struct gh_etag_cache;

#define GH_INST_BUCKETS       256
#define GH_TOKEN_MARGIN_MS    (5 * 60 * 1000) /* renew (and expire in Redis) this early */
#define GH_TOKEN_YOUNG_MS     5000            /* a 401 on a younger token is replication lag */
#define GH_TOKEN_LAG_RETRY_MS 1000
#define GH_REDIS_RECHECK_MS   1000 /* how stale our view of another replica's block may be */
#define GH_GET_RETRY_MS       500
#define GH_SECONDARY_MIN_MS   (60 * 1000)
#define GH_SECONDARY_MAX_MS   (15 * 60 * 1000)
#define GH_TOKEN_MAX          8192 /* installation tokens have no fixed size; bound them anyway */

struct gh_call;

struct gh_call_list {
    struct gh_call *head, *tail;
};

/* One per installation id seen (id 0 = the App's own JWT bucket); lives until free. */
struct gh_inst {
    struct gh_client *c;
    int64_t id;
    char *token; /* secret; wiped when dropped */
    size_t token_len;
    int64_t token_minted_ms;  /* server clock */
    int64_t token_expires_ms; /* server clock */
    uint64_t token_gen;       /* bumped on every new token */
    int64_t blocked_until_ms; /* fb_clock domain */
    int64_t secondary_backoff_ms;
    int64_t redis_checked_ms; /* monotonic; 0 = never */
    bool busy;                /* a Redis lookup or a mint is in flight */
    struct gh_call_list waiters;
    struct gh_inst *chain;
};

/* A Redis read in flight; outlives the client if need be (c is NULLed by gh_client_free). */
struct gh_redis_op {
    struct gh_client *c;
    int64_t inst_id;
    struct gh_redis_op *prev, *next;
};

struct gh_client {
    struct event_base *base;
    struct http_client *http;
    struct jwt_signer *jwt;
    struct gh_etag_cache *etags;
    char *api_url;
    char *user_agent;
    int max_in_flight;
    size_t origin_len; /* "https://host[:port]" prefix of api_url */
    int64_t app_id;
    struct fb_redis *redis;
    const struct fb_clock *clock;
    int64_t server_skew_ms; /* GitHub's clock minus ours, learned from a Date header */
    struct gh_inst *insts[GH_INST_BUCKETS];
    struct gh_call_list calls; /* every live call */
    struct gh_redis_op *ops;
    uint64_t next_gen;
    bool closing;
};

struct gh_call {
    struct gh_client *c;
    char *method;
    char *url; /* absolute URL of the current page */
    char *body;
    int64_t inst_id;
    bool use_etag, paginate;
    char *items_key;
    int max_pages;
    gh_done_fn fn;
    void *priv;
    struct event *timer;
    /* pagination */
    int pages;
    json_t *merged;
    bool all_not_modified;
    /* per-page retry state */
    bool get_retried;
    bool etag_skip; /* resend without If-None-Match (entry evicted under us) */
    /* auth state */
    uint64_t token_gen;
    int64_t token_minted_ms;
    bool reminted;
    bool skew_retried;
    int refresh_rounds;
    bool waiting;                  /* on an inst's waiter list */
    bool after_refresh;            /* woken by a finished lookup/mint: use any unexpired token */
    struct gh_call *prev, *next;   /* c->calls */
    struct gh_call *wprev, *wnext; /* inst->waiters */
};

/* gh_client.c */
int64_t gh_server_now_ms(const struct gh_client *c);
int64_t gh_local_now_ms(const struct gh_client *c);
void gh_call_ready(struct gh_call *call);
void gh_call_fail(struct gh_call *call, const struct fb_error *err);
int gh_call_new_internal(struct gh_client *c, const char *method, const char *path, int64_t inst_id,
                         gh_done_fn fn, void *priv);

/* gh_token.c */
struct gh_inst *gh_inst_get(struct gh_client *c, int64_t id);
void gh_inst_free_all(struct gh_client *c);
/* Is the token good for a new request (renewal margin) / at all (not expired)? */
bool gh_inst_token_fresh(const struct gh_client *c, const struct gh_inst *inst);
bool gh_inst_token_usable(const struct gh_client *c, const struct gh_inst *inst);
/* Queues call until inst has been refreshed (Redis lookup and/or mint). */
void gh_inst_wait(struct gh_client *c, struct gh_inst *inst, struct gh_call *call);
void gh_inst_unwait(struct gh_inst *inst, struct gh_call *call);
/* Drops inst's token from memory and Redis if it is still generation gen. */
void gh_token_drop(struct gh_client *c, struct gh_inst *inst, uint64_t gen);

/* gh_ratelimit.c */
/* Looks at a response for rate-limit signals; on a limit blocks inst (memory and Redis),
 * fills err (FB_ERR_RATE_LIMITED, retry_at_ms) and returns that code, else 0. */
int gh_ratelimit_observe(struct gh_client *c, struct gh_inst *inst, const struct http_response *hr,
                         const char *message, struct fb_error *err);
void gh_block_set(struct gh_client *c, struct gh_inst *inst, int64_t until_ms, bool share);
int64_t gh_header_i64(const struct http_response *hr, const char *name, int64_t dflt);

#endif
