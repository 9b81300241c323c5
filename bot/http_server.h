/*
 * http_server.h - the evhttp listener: bounds (body size, header size, slow-client
 * timeout), a small exact-path route table, and the always-on health endpoints
 * GET /healthz (the loop runs) and GET /readyz (a readiness probe says yes).
 * It knows nothing about webhooks or Redis; receiver.c registers /webhook and the probe.
 */
#ifndef FLEETBOT_HTTP_SERVER_H
#define FLEETBOT_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct evhttp_request;
struct fb_error;
struct http_server;

#define HTTP_SERVER_BODY_MAX    (25u * 1024 * 1024) /* larger bodies get 413 unread */
#define HTTP_SERVER_HEADERS_MAX (64u * 1024)
#define HTTP_SERVER_TIMEOUT_S   30 /* a request must arrive within this (slow clients) */
#define HTTP_SERVER_ROUTES_MAX  16

/* A route handler: it must answer req exactly once, now or later (evhttp_send_reply,
 * usually through http_reply_text). req is libevent's until then. */
typedef void (*http_route_fn)(struct evhttp_request *req, void *priv);
/* Readiness for GET /readyz: true = 200 "ready"; why (a short reason) on false. */
typedef bool (*http_ready_fn)(void *priv, const char **why);

/* Binds host:port and serves on base. Returns NULL with err set (FB_ERR_UNAVAILABLE)
 * when the address cannot be bound. Caller owns the result. Sets SIGPIPE to be ignored
 * (process-wide): a client hanging up mid-reply must not kill the server. */
struct http_server *http_server_new(struct event_base *base, const char *host, int port,
                                    struct fb_error *err);
/* Closes the listener and every connection. NULL is a no-op. Requests a route still holds
 * become invalid: free the routes' owners (receiver_free) first. */
void http_server_free(struct http_server *s);

/* Routes requests whose path (query string ignored) is exactly path to fn, for every
 * method; the handler answers 405 itself. A path whose last segment is a lone asterisk
 * routes every path with exactly one non-empty segment in its place (exact routes win). Registering
 * a path again replaces the route. path is copied; priv is borrowed until the route is replaced or
 * the server freed. A NULL fn removes the route (404). */
void http_server_route(struct http_server *s, const char *path, http_route_fn fn, void *priv);

/* Sets the /readyz probe (NULL: not ready). priv is borrowed like a route's. */
void http_server_set_ready(struct http_server *s, http_ready_fn fn, void *priv);

/* The event base the server runs on (borrowed). */
struct event_base *http_server_base(const struct http_server *s);

/* The port actually bound (useful with port 0 in tests). */
int http_server_port(const struct http_server *s);

/* Answers req with status and a one-line text/plain body "reason\n". */
void http_reply_text(struct evhttp_request *req, int status, const char *reason);

/* Answers req with status and body as application/json. */
void http_reply_json(struct evhttp_request *req, int status, const char *json, size_t len);

/* The request's method as a string ("GET", "POST", ...; "" when unknown). */
const char *http_method_name(const struct evhttp_request *req);

#endif
