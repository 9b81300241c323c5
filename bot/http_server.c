/*
 * http_server.c - one evhttp instance with a generic callback that dispatches on the exact
 * path, so unknown paths get a one-line 404 rather than libevent's HTML page. Errors that
 * libevent answers by itself (malformed request, body or headers over the bounds) keep
 * libevent's short page: 2.1 has no hook to change it.
 */
#include "http_server.h"

#include "alloc.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

struct http_route {
    char *path;
    http_route_fn fn;
    void *priv;
};

struct http_server {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    struct http_route routes[HTTP_SERVER_ROUTES_MAX];
    int nroutes;
    http_ready_fn ready_fn;
    void *ready_priv;
};

const char *http_method_name(const struct evhttp_request *req)
{
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "";
}

static const char *status_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    }
    return "";
}

void http_reply_text(struct evhttp_request *req, int status, const char *reason)
{
    /* the request's own output buffer: no allocation per reply */
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evbuffer_add(out, reason, strlen(reason));
    evbuffer_add(out, "\n", 1);
    evhttp_send_reply(req, status, status_phrase(status), NULL);
}

void http_reply_json(struct evhttp_request *req, int status, const char *json, size_t len)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json; charset=utf-8");
    evbuffer_add(out, json, len);
    evhttp_send_reply(req, status, status_phrase(status), NULL);
}

/* The path of the request-URI without query or fragment, into out; false if too long. */
static bool request_path(struct evhttp_request *req, char *out, size_t cap)
{
    const char *uri = evhttp_request_get_uri(req);
    if (uri == NULL)
        return false;
    size_t n = strcspn(uri, "?#");
    if (n >= cap)
        return false;
    memcpy(out, uri, n);
    out[n] = '\0';
    return true;
}

static bool is_get_or_head(struct evhttp_request *req)
{
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    return cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
}

static void on_healthz(struct evhttp_request *req, void *priv)
{
    (void)priv;
    if (!is_get_or_head(req)) {
        http_reply_text(req, 405, "method not allowed: use GET");
        return;
    }
    http_reply_text(req, 200, "ok");
}

static void on_readyz(struct evhttp_request *req, void *priv)
{
    struct http_server *s = priv;
    const char *why = "not ready";
    if (!is_get_or_head(req)) {
        http_reply_text(req, 405, "method not allowed: use GET");
        return;
    }
    if (s->ready_fn != NULL && s->ready_fn(s->ready_priv, &why))
        http_reply_text(req, 200, "ready");
    else
        http_reply_text(req, 503, why ? why : "not ready");
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct http_server *s = arg;
    char path[256];
    if (!request_path(req, path, sizeof(path))) {
        http_reply_text(req, 404, "not found");
        return;
    }
    for (int i = 0; i < s->nroutes; i++) {
        if (s->routes[i].fn != NULL && strcmp(s->routes[i].path, path) == 0) {
            s->routes[i].fn(req, s->routes[i].priv);
            return;
        }
    }
    for (int i = 0; i < s->nroutes; i++) { /* a last segment "*": any one segment */
        const char *r = s->routes[i].path;
        size_t n = strlen(r);
        if (s->routes[i].fn != NULL && n >= 2 && strcmp(r + n - 2, "/*") == 0 &&
            strncmp(path, r, n - 1) == 0 && path[n - 1] != '\0' &&
            strchr(path + n - 1, '/') == NULL) {
            s->routes[i].fn(req, s->routes[i].priv);
            return;
        }
    }
    http_reply_text(req, 404, "not found");
}

struct http_server *http_server_new(struct event_base *base, const char *host, int port,
                                    struct fb_error *err)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    /* a client that hangs up while we write must not kill the process */
    signal(SIGPIPE, SIG_IGN);
    s->base = base;
    s->http = evhttp_new(base);
    if (s->http == NULL) {
        fb_error_set(err, FB_ERR_INTERNAL, "cannot create the HTTP server");
        goto fail;
    }
    evhttp_set_max_body_size(s->http, HTTP_SERVER_BODY_MAX);
    evhttp_set_max_headers_size(s->http, HTTP_SERVER_HEADERS_MAX);
    evhttp_set_timeout(s->http, HTTP_SERVER_TIMEOUT_S);
    /* every method reaches the routes, so a wrong one is a one-line 405 from us */
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(s->http, on_request, s);
    s->sock = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port);
    if (s->sock == NULL) {
        fb_error_set(err, FB_ERR_UNAVAILABLE, "cannot listen on %s:%d", host, port);
        goto fail;
    }
    http_server_route(s, "/healthz", on_healthz, s);
    http_server_route(s, "/readyz", on_readyz, s);
    log_info("http listening addr=%s:%d", host, http_server_port(s));
    return s;
fail:
    http_server_free(s);
    return NULL;
}

void http_server_free(struct http_server *s)
{
    if (s == NULL)
        return;
    if (s->http != NULL)
        evhttp_free(s->http);
    for (int i = 0; i < s->nroutes; i++)
        free(s->routes[i].path);
    free(s);
}

void http_server_route(struct http_server *s, const char *path, http_route_fn fn, void *priv)
{
    for (int i = 0; i < s->nroutes; i++) {
        if (strcmp(s->routes[i].path, path) == 0) {
            s->routes[i].fn = fn;
            s->routes[i].priv = priv;
            return;
        }
    }
    if (s->nroutes >= HTTP_SERVER_ROUTES_MAX) {
        log_error("too many http routes path=%s", path);
        return;
    }
    s->routes[s->nroutes].path = xstrdup(path);
    s->routes[s->nroutes].fn = fn;
    s->routes[s->nroutes].priv = priv;
    s->nroutes++;
}

void http_server_set_ready(struct http_server *s, http_ready_fn fn, void *priv)
{
    s->ready_fn = fn;
    s->ready_priv = priv;
}

struct event_base *http_server_base(const struct http_server *s)
{
    return s->base;
}

int http_server_port(const struct http_server *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(s->sock);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}
