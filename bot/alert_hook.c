/*
 * alert_hook.c - one POST of {"text": ...} per alert, 10 s at most, no redirects (a
 * webhook that redirects is misconfigured, and following it could leak the text).
 */
#include "alert_hook.h"

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "http_client.h"
#include "log.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

struct alert_hook {
    struct http_client *http;
    char *url; /* a secret: wiped on free */
};

struct alert_hook *alert_hook_new(struct event_base *base, const char *url)
{
    if (url == NULL || url[0] == '\0' || base == NULL)
        return NULL;
    struct http_client_options o = {.connect_timeout_ms = 10000,
                                    .timeout_ms = 10000,
                                    .max_body = 64 * 1024,
                                    .max_redirects = -1,
                                    .max_in_flight = 4,
                                    .user_agent = "fleetbot"};
    struct fb_error err = {0};
    struct http_client *c = http_client_new(base, &o, &err);
    if (c == NULL) {
        log_warn("alert webhook disabled error=%s", err.msg);
        return NULL;
    }
    struct alert_hook *h = xcalloc(1, sizeof(*h));
    h->http = c;
    h->url = xstrdup(url);
    return h;
}

void alert_hook_free(struct alert_hook *h)
{
    if (h == NULL)
        return;
    http_client_free(h->http);
    secure_wipe(h->url, strlen(h->url));
    free(h->url);
    free(h);
}

static void on_sent(const struct http_response *resp, const struct fb_error *err, void *priv)
{
    (void)priv;
    if (err != NULL)
        log_warn("alert webhook failed error=%s", err->msg);
    else if (resp->status < 200 || resp->status >= 300)
        log_warn("alert webhook refused the alert status=%d", resp->status);
}

void alert_hook_send(struct alert_hook *h, const char *text)
{
    if (h == NULL)
        return;
    struct buf body = BUF_INIT(64 * 1024);
    buf_appends(&body, "{\"text\":\"");
    buf_append_json_escaped(&body, text);
    buf_appends(&body, "\"}");
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    struct http_request req = {.method = "POST",
                               .url = h->url,
                               .headers = headers,
                               .body = buf_cstr(&body),
                               .body_len = body.len};
    struct fb_error err = {0};
    if (http_request_start(h->http, &req, on_sent, NULL, &err) != 0)
        log_warn("alert webhook not sent error=%s", err.msg);
    buf_free(&body);
}
