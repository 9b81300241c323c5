/*
 * gh_client.h - the GitHub REST client: App JWT and installation-token authentication
 * (tokens shared across replicas through Redis), primary and secondary rate limits,
 * conditional requests (ETag) and Link pagination, over http_client on the event loop.
 * It never sleeps on a rate limit and never retries a non-idempotent request: callers
 * reschedule. See docs/internals/github-client.md.
 */
#ifndef FLEETBOT_GH_CLIENT_H
#define FLEETBOT_GH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct event_base;
struct fb_clock;
struct fb_redis;
struct gh_client;

struct gh_client_options {
    /* e.g. https://api.github.com or https://HOST/api/v3, no trailing slash */
    const char *api_url;
    int64_t app_id;
    const char *private_key_file; /* PEM */
    const char *user_agent;       /* default "fleetbot" */
    /* shared token cache + rate-limit state; borrowed, may be NULL in unit tests */
    struct fb_redis *redis;
    const struct fb_clock *clock; /* for JWT iat/exp and token expiry; borrowed */
    int max_in_flight;            /* default 16 */
};

/*
 * Loads the private key and prepares the client; strings in opt are copied, redis and
 * clock are borrowed and must outlive the client. Caller owns the result; NULL with err
 * set on failure (bad key file, bad api_url).
 */
struct gh_client *gh_client_new(struct event_base *base, const struct gh_client_options *opt,
                                struct fb_error *err);

/*
 * Frees c. NULL is a no-op. Every request still pending (in flight, queued, waiting for
 * a token or a retry timer) completes with FB_ERR_UNAVAILABLE before this returns; those
 * callbacks cannot start new requests (gh_request_send fails). Redis replies arriving
 * later are dropped safely. Never call it from inside one of c's callbacks.
 */
void gh_client_free(struct gh_client *c);

/*
 * Timeouts and the response body cap (defaults: 10 s connect, 30 s total, 32 MiB), for
 * requests started from now on. A zero argument keeps the default.
 */
void gh_client_set_http_limits(struct gh_client *c, int64_t connect_timeout_ms, int64_t timeout_ms,
                               size_t max_body);

struct gh_request {
    const char *method; /* "GET", "PUT", "POST", "PATCH", "DELETE" */
    /* "/repos/o/r/pulls/1?x=y" relative to api_url (an absolute URL on the api_url origin is
     * accepted for pagination) */
    const char *path;
    /* > 0: use that installation's token; 0: authenticate as the App with a JWT */
    int64_t installation_id;
    const char *body; /* JSON text or NULL */
    /* GET only: conditional request; a 304 is served from the cache as a 200 with
     * not_modified = true */
    bool use_etag;
    /* GET only: follow Link rel="next" (never build page URLs), merging results */
    bool paginate;
    /* paginate a wrapped list, e.g. "check_runs" for {total_count, check_runs:[...]};
     * NULL = top-level array */
    const char *items_key;
    int max_pages; /* 0 = default 10 (at most 100) */
};

struct gh_response {
    int status; /* HTTP status of the (last) response; 0 if none; 200 for a cached 304 */
    /* parsed body (merged over pages), or NULL; borrowed for the callback only */
    json_t *json;
    const char *message; /* GitHub's error "message", or "" */
    bool not_modified;
    int64_t rate_remaining; /* -1 unknown */
    const char *request_id; /* x-github-request-id, for logs; "" if none */
};

/* err->code: 0 for 2xx (and cached 304); FB_ERR_NOT_FOUND 404/410; FB_ERR_DENIED 401/403
 * permission; FB_ERR_RATE_LIMITED (err->retry_at_ms set) for primary/secondary limits;
 * FB_ERR_CONFLICT for 405/409; FB_ERR_INVALID 422/400; FB_ERR_TRANSIENT 5xx or network;
 * FB_ERR_TIMEOUT. err->http_status set. resp and err are never NULL and are borrowed for the
 * callback only. */
typedef void (*gh_done_fn)(const struct gh_response *resp, const struct fb_error *err, void *priv);

/* 0: fn is called exactly once later, from the event loop. Nonzero: fn is never called.
 * Everything in req is copied. Safe to call from inside a gh_done_fn. */
int gh_request_send(struct gh_client *c, const struct gh_request *req, gh_done_fn fn, void *priv);

/* Learns the App's slug with GET /app (JWT) so the bot can ignore its own echoed events
 * ("<slug>[bot]"). Same contract as gh_request_send; slug is borrowed for the callback, NULL on
 * error. */
int gh_client_fetch_app_slug(struct gh_client *c,
                             void (*fn)(const char *slug, const struct fb_error *err, void *priv),
                             void *priv);

#endif
