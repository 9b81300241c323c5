/*
 * http_client.c - libcurl multi-socket on libevent. curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); we turn those
 * into libevent events and call curl_multi_socket_action() from them. Finished transfers
 * are collected after curl_multi_socket_action() returns, so easy handles are removed and
 * freed outside curl's own callback stack, and completion callbacks may start new requests.
 */
#include "http_client.h"

#include "alloc.h"
#include "err.h"
#include "log.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#define HTTP_MAX_HEADERS 256

struct sock_ev {
    struct http_client *c;
    curl_socket_t fd;
    struct event *ev;
    struct sock_ev *prev, *next;
};

struct http_xfer {
    struct http_client *c;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;
    size_t body_len;
    http_done_fn fn;
    void *priv;
    struct http_response resp;
    size_t header_bytes;
    size_t header_alloc;
    bool body_too_large;
    bool headers_too_large;
    int64_t start_ms;
    char errbuf[CURL_ERROR_SIZE];
    struct http_xfer *prev, *next;
};

struct xfer_list {
    struct http_xfer *head, *tail;
    size_t n;
};

struct http_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer_ev;
    struct http_client_options opt;
    char *user_agent;
    struct xfer_list running;
    struct xfer_list waiting;
    struct sock_ev *socks;
    bool closing;
};

static void list_push(struct xfer_list *l, struct http_xfer *x)
{
    x->next = NULL;
    x->prev = l->tail;
    if (l->tail)
        l->tail->next = x;
    else
        l->head = x;
    l->tail = x;
    l->n++;
}

static void list_unlink(struct xfer_list *l, struct http_xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        l->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        l->tail = x->prev;
    x->prev = x->next = NULL;
    l->n--;
}

static void apply_defaults(struct http_client_options *o)
{
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = 10000;
    if (o->timeout_ms <= 0)
        o->timeout_ms = 30000;
    if (o->max_body == 0)
        o->max_body = (size_t)32 << 20;
    if (o->max_header_bytes == 0)
        o->max_header_bytes = (size_t)64 << 10;
    if (o->max_redirects == 0)
        o->max_redirects = 3;
    else if (o->max_redirects < 0)
        o->max_redirects = 0; /* do not follow */
    if (o->max_in_flight <= 0)
        o->max_in_flight = 16;
}

static void xfer_free(struct http_xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    /* header lines may carry credentials: wipe them before they go back to malloc */
    for (struct curl_slist *s = x->hdrs; s; s = s->next)
        secure_wipe(s->data, strlen(s->data));
    curl_slist_free_all(x->hdrs);
    free(x->body);
    buf_free(&x->resp.body);
    for (size_t i = 0; i < x->resp.nheaders; i++) {
        free(x->resp.headers[i].name);
        free(x->resp.headers[i].value);
    }
    free(x->resp.headers);
    free(x);
}

static void headers_clear(struct http_xfer *x)
{
    for (size_t i = 0; i < x->resp.nheaders; i++) {
        free(x->resp.headers[i].name);
        free(x->resp.headers[i].value);
    }
    x->resp.nheaders = 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_xfer *x = userdata;
    size_t n = size * nmemb;
    if (buf_append(&x->resp.body, ptr, n) != 0) {
        x->body_too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *userdata)
{
    struct http_xfer *x = userdata;
    size_t n = size * nitems;
    x->header_bytes += n;
    if (x->header_bytes > x->c->opt.max_header_bytes) {
        x->headers_too_large = true;
        return 0;
    }
    /* a status line starts the headers of a new response (redirect, 100 Continue) */
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        headers_clear(x);
        return n;
    }
    const char *colon = memchr(ptr, ':', n);
    if (colon == NULL || colon == ptr)
        return n; /* the blank line, or a folded/garbled line we do not need */
    size_t nlen = (size_t)(colon - ptr);
    const char *v = colon + 1;
    size_t vlen = n - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' ||
                        v[vlen - 1] == '\t'))
        vlen--;
    if (x->resp.nheaders >= HTTP_MAX_HEADERS) {
        x->headers_too_large = true;
        return 0;
    }
    if (x->resp.nheaders == x->header_alloc) {
        x->header_alloc = x->header_alloc ? x->header_alloc * 2 : 16;
        x->resp.headers = xrealloc(x->resp.headers, x->header_alloc * sizeof(*x->resp.headers));
    }
    x->resp.headers[x->resp.nheaders].name = xmemdup(ptr, nlen);
    x->resp.headers[x->resp.nheaders].value = xmemdup(v, vlen);
    x->resp.nheaders++;
    return n;
}

const char *http_response_header(const struct http_response *r, const char *name)
{
    if (r == NULL)
        return NULL;
    for (size_t i = r->nheaders; i > 0; i--)
        if (strcasecmp(r->headers[i - 1].name, name) == 0)
            return r->headers[i - 1].value;
    return NULL;
}

static void xfer_complete(struct http_xfer *x, CURLcode rc, int forced_code)
{
    struct fb_error err = {0};
    long status = 0;
    if (x->easy && forced_code == 0)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    x->resp.status = (int)status;
    x->resp.duration_ms = x->start_ms ? time_mono_ms() - x->start_ms : 0;
    if (forced_code != 0) {
        fb_error_set(&err, forced_code, "http client closed with the request pending");
    } else if (x->body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        fb_error_set(&err, FB_ERR_TOO_LARGE, "response body over %zu bytes", x->c->opt.max_body);
    } else if (x->headers_too_large) {
        fb_error_set(&err, FB_ERR_TOO_LARGE, "response headers over their cap");
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        fb_error_set(&err, FB_ERR_TIMEOUT, "http timeout: %s",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    } else if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
               rc == CURLE_TOO_MANY_REDIRECTS) {
        fb_error_set(&err, FB_ERR_INVALID, "http request refused: %s",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    } else if (rc != CURLE_OK) {
        fb_error_set(&err, FB_ERR_TRANSIENT, "http transfer failed: %s",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    }
    if (err.code != 0)
        err.http_status = x->resp.status;
    x->fn(&x->resp, err.code ? &err : NULL, x->priv);
    xfer_free(x);
}

static int xfer_launch(struct http_client *c, struct http_xfer *x)
{
    x->start_ms = time_mono_ms();
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK)
        return FB_ERR_INTERNAL;
    list_push(&c->running, x);
    return 0;
}

/* Moves waiting transfers into curl while there is room. */
static void pump(struct http_client *c)
{
    while (!c->closing && c->waiting.head && c->running.n < (size_t)c->opt.max_in_flight) {
        struct http_xfer *x = c->waiting.head;
        list_unlink(&c->waiting, x);
        if (xfer_launch(c, x) != 0)
            xfer_complete(x, CURLE_FAILED_INIT, 0);
    }
}

/* Collects finished transfers; runs only from our own libevent callbacks. */
static void check_done(struct http_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct http_xfer *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(c->multi, easy);
        list_unlink(&c->running, x);
        xfer_complete(x, rc, 0);
    }
    pump(c);
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
    struct sock_ev *se = arg;
    struct http_client *c = se->c; /* se may be freed inside socket_action */
    int flags =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
}

static void on_timer_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_client *c = arg;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static void sock_ev_free(struct http_client *c, struct sock_ev *se)
{
    if (se->prev)
        se->prev->next = se->next;
    else
        c->socks = se->next;
    if (se->next)
        se->next->prev = se->prev;
    if (se->ev)
        event_free(se->ev);
    free(se);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    struct http_client *c = userp;
    struct sock_ev *se = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (se) {
            curl_multi_assign(c->multi, s, NULL);
            sock_ev_free(c, se);
        }
        return 0;
    }
    short kind = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                         ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
    if (se == NULL) {
        se = xcalloc(1, sizeof(*se));
        se->c = c;
        se->fd = s;
        se->next = c->socks;
        if (c->socks)
            c->socks->prev = se;
        c->socks = se;
        se->ev = event_new(c->base, s, kind, on_sock_event, se);
        curl_multi_assign(c->multi, s, se);
    } else {
        event_del(se->ev);
        event_assign(se->ev, c->base, s, kind, on_sock_event, se);
    }
    event_add(se->ev, NULL);
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct http_client *c = userp;
    if (timeout_ms < 0) {
        evtimer_del(c->timer_ev);
        return 0;
    }
    /* never call socket_action from here (re-entrancy): a 0 timeout fires on the next turn */
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000)};
    evtimer_add(c->timer_ev, &tv);
    return 0;
}

struct http_client *http_client_new(struct event_base *base, const struct http_client_options *opt,
                                    struct fb_error *err)
{
    static bool curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fb_error_set(err, FB_ERR_INTERNAL, "curl_global_init failed");
            return NULL;
        }
        curl_ready = true;
    }
    struct http_client *c = xcalloc(1, sizeof(*c));
    c->base = base;
    http_client_set_options(c, opt);
    c->multi = curl_multi_init();
    c->timer_ev = evtimer_new(base, on_timer_event, c);
    if (c->multi == NULL || c->timer_ev == NULL) {
        fb_error_set(err, FB_ERR_INTERNAL, "cannot create the curl multi handle");
        http_client_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 32L);
    return c;
}

void http_client_set_options(struct http_client *c, const struct http_client_options *opt)
{
    struct http_client_options o = {0};
    if (opt)
        o = *opt;
    apply_defaults(&o);
    free(c->user_agent);
    c->user_agent = xstrdup(o.user_agent && o.user_agent[0] ? o.user_agent : "fleetbot");
    o.user_agent = c->user_agent;
    c->opt = o;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    c->closing = true;
    while (c->running.head) {
        struct http_xfer *x = c->running.head;
        list_unlink(&c->running, x);
        curl_multi_remove_handle(c->multi, x->easy);
        xfer_complete(x, CURLE_OK, FB_ERR_UNAVAILABLE);
    }
    while (c->waiting.head) {
        struct http_xfer *x = c->waiting.head;
        list_unlink(&c->waiting, x);
        xfer_complete(x, CURLE_OK, FB_ERR_UNAVAILABLE);
    }
    if (c->multi)
        curl_multi_cleanup(c->multi);
    while (c->socks)
        sock_ev_free(c, c->socks);
    if (c->timer_ev)
        event_free(c->timer_ev);
    free(c->user_agent);
    free(c);
}

static bool method_is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

int http_request_start(struct http_client *c, const struct http_request *req, http_done_fn fn,
                       void *priv, struct fb_error *err)
{
    if (c->closing)
        return fb_error_set(err, FB_ERR_UNAVAILABLE, "http client is closing");
    if (req->url == NULL || req->method == NULL || req->method[0] == '\0' ||
        (strncmp(req->url, "http://", 7) != 0 && strncmp(req->url, "https://", 8) != 0))
        return fb_error_set(err, FB_ERR_INVALID, "http request needs a method and an http(s) url");
    struct http_xfer *x = xcalloc(1, sizeof(*x));
    x->c = c;
    x->fn = fn;
    x->priv = priv;
    buf_init(&x->resp.body, c->opt.max_body);
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        xfer_free(x);
        return fb_error_set(err, FB_ERR_INTERNAL, "curl_easy_init failed");
    }
    for (const char *const *h = req->headers; h && *h; h++) {
        struct curl_slist *n = curl_slist_append(x->hdrs, *h);
        if (n == NULL)
            abort(); /* out of memory, as in xmalloc */
        x->hdrs = n;
    }
    /* no "Expect: 100-continue" round trip for small JSON bodies */
    struct curl_slist *n = curl_slist_append(x->hdrs, "Expect:");
    if (n == NULL)
        abort();
    x->hdrs = n;

    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, c->opt.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)c->opt.max_redirects);
    curl_easy_setopt(e, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opt.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->opt.timeout_ms);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opt.max_body);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    if (method_is(req->method, "GET") && req->body == NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (method_is(req->method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body || !method_is(req->method, "DELETE")) {
            /* PUT/POST/PATCH always carry a Content-Length, even when 0 */
            x->body_len = req->body ? req->body_len : 0;
            x->body = req->body ? xmemdup(req->body, x->body_len) : xstrdup("");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
        }
    }
    if (c->running.n < (size_t)c->opt.max_in_flight) {
        if (xfer_launch(c, x) != 0) {
            xfer_free(x);
            return fb_error_set(err, FB_ERR_INTERNAL, "curl_multi_add_handle failed");
        }
    } else {
        list_push(&c->waiting, x);
    }
    return 0;
}

size_t http_client_in_flight(const struct http_client *c)
{
    return c->running.n;
}

size_t http_client_queued(const struct http_client *c)
{
    return c->waiting.n;
}
