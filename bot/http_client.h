/*
 * http_client.h - asynchronous HTTP requests over libcurl's multi-socket interface, driven
 * by the libevent loop (curl's sockets and timer become libevent events; nothing blocks).
 * It knows nothing about GitHub: no auth, no retries, no JSON. Bodies are capped, header
 * bytes are capped, redirects (301/302/303/307/308) are followed a few times.
 * See docs/internals/github-client.md.
 */
#ifndef FLEETBOT_HTTP_CLIENT_H
#define FLEETBOT_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event_base;
struct fb_error;
struct http_client;

struct http_client_options {
    int64_t connect_timeout_ms; /* default 10000 */
    int64_t timeout_ms;         /* whole transfer; default 30000 */
    size_t max_body;            /* response body cap; default 32 MiB; past it the transfer aborts */
    size_t max_header_bytes;    /* all response header lines together; default 64 KiB */
    int max_redirects;          /* 0 = default 3; negative = do not follow */
    int max_in_flight;          /* transfers at once; the rest wait FIFO; default 16 */
    const char *user_agent;     /* default "fleetbot"; copied */
};

struct http_request {
    const char *method;         /* "GET", "POST", "PUT", "PATCH", "DELETE", ... */
    const char *url;            /* absolute http:// or https:// URL */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;
};

struct http_header {
    char *name;
    char *value;
};

/* Borrowed by the completion callback for its duration only. */
struct http_response {
    int status;                  /* of the final response (after redirects); 0 if none */
    struct buf body;             /* always NUL-terminated, possibly empty */
    struct http_header *headers; /* of the final response only */
    size_t nheaders;
    int64_t duration_ms;
};

/*
 * err is NULL on success (any HTTP status is a success at this level). Otherwise err->code
 * is FB_ERR_TIMEOUT, FB_ERR_TOO_LARGE (body or headers past their cap), FB_ERR_TRANSIENT
 * (connect/network failure), FB_ERR_INVALID (bad URL, too many redirects) or
 * FB_ERR_UNAVAILABLE (the client was freed with the request pending).
 */
typedef void (*http_done_fn)(const struct http_response *resp, const struct fb_error *err,
                             void *priv);

/* opt may be NULL for the defaults. Caller owns the result. */
struct http_client *http_client_new(struct event_base *base, const struct http_client_options *opt,
                                    struct fb_error *err);

/*
 * Completes every pending and queued request with FB_ERR_UNAVAILABLE (their callbacks run
 * before this returns and must not start new requests), then frees c. NULL is a no-op.
 * Never call it from inside one of c's callbacks.
 */
void http_client_free(struct http_client *c);

/* Changes the limits for requests started from now on. */
void http_client_set_options(struct http_client *c, const struct http_client_options *opt);

/*
 * Starts (or queues, past max_in_flight) a request; everything in req is copied. Returns 0
 * and calls fn exactly once later from the event loop, or returns an error (err set) and
 * never calls fn. Safe to call from inside a completion callback.
 */
int http_request_start(struct http_client *c, const struct http_request *req, http_done_fn fn,
                       void *priv, struct fb_error *err);

/* Transfers started but not finished, and waiting in the FIFO. */
size_t http_client_in_flight(const struct http_client *c);
size_t http_client_queued(const struct http_client *c);

/* The value of the last header called name (case-insensitive), or NULL. Borrowed. */
const char *http_response_header(const struct http_response *r, const char *name);

#endif
