/*
 * gh_client.c - one GitHub REST request from gh_request_send() to its callback: wait for
 * the installation (blocks, token), send with the right headers, classify the answer
 * (rate limit, auth retry, ETag hit, error mapping), follow pagination. Tokens live in
 * gh_token.c, rate-limit blocks in gh_ratelimit.c, the ETag store in gh_etag.c.
 * Rate limits are never waited out here, and only GETs are ever retried after a failure.
 */
#include "gh_client_int.h"

#include "alloc.h"
#include "buf.h"
#include "gh_etag.h"
#include "gh_link.h"
#include "http_client.h"
#include "jwt.h"
#include "log.h"
#include "redis.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#define GH_URL_MAX        8192
#define GH_BODY_MAX       (1024 * 1024) /* request bodies we send */
#define GH_ETAG_ENTRIES   2000
#define GH_ETAG_BYTES     ((size_t)64 << 20)
#define GH_ETAG_VALUE_MAX 512
#define GH_DEFAULT_PAGES  10
#define GH_MAX_PAGES      100
#define GH_JWT_MAX        16384

int64_t gh_local_now_ms(const struct gh_client *c)
{
    return c->clock ? fb_clock_now_ms(c->clock) : time_real_ms();
}

int64_t gh_server_now_ms(const struct gh_client *c)
{
    return gh_local_now_ms(c) + c->server_skew_ms;
}

static bool is_get(const struct gh_call *call)
{
    return strcmp(call->method, "GET") == 0;
}

static const char *url_for_log(const struct gh_call *call)
{
    const struct gh_client *c = call->c;
    if (strncmp(call->url, c->api_url, c->origin_len) == 0)
        return call->url + c->origin_len;
    return call->url;
}

/* ---- lifecycle of a call ---- */

static void call_free(struct gh_call *call)
{
    struct gh_client *c = call->c;
    if (call->waiting)
        gh_inst_unwait(gh_inst_get(c, call->inst_id), call);
    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls.head = call->next;
    if (call->next)
        call->next->prev = call->prev;
    else
        c->calls.tail = call->prev;
    if (call->timer)
        event_free(call->timer);
    json_decref(call->merged);
    free(call->method);
    free(call->url);
    free(call->body);
    free(call->items_key);
    free(call);
}

/* Runs the callback once and frees the call. json is borrowed. */
static void call_complete(struct gh_call *call, const struct http_response *hr, json_t *json,
                          bool not_modified, const struct fb_error *err)
{
    struct gh_response r = {0};
    struct fb_error e = {0};
    if (err)
        e = *err;
    r.status = hr ? hr->status : e.http_status;
    if (not_modified && e.code == 0)
        r.status = 200; /* served from the cache as if GitHub had sent it again */
    if (e.http_status == 0)
        e.http_status = r.status;
    r.json = json;
    r.message = "";
    json_t *m = json_is_object(json) ? json_object_get(json, "message") : NULL;
    if (json_is_string(m))
        r.message = json_string_value(m);
    r.not_modified = not_modified;
    r.rate_remaining = hr ? gh_header_i64(hr, "x-ratelimit-remaining", -1) : -1;
    const char *rid = hr ? http_response_header(hr, "x-github-request-id") : NULL;
    r.request_id = rid ? rid : "";
    call->fn(&r, &e, call->priv);
    call_free(call);
}

void gh_call_fail(struct gh_call *call, const struct fb_error *err)
{
    call_complete(call, NULL, NULL, false, err);
}

static void fail_code(struct gh_call *call, int code, const char *what)
{
    struct fb_error e = {0};
    fb_error_set(&e, code, "%s", what);
    gh_call_fail(call, &e);
}

static void on_call_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gh_call_ready(arg);
}

static void call_schedule(struct gh_call *call, int64_t delay_ms)
{
    struct timeval tv = {(time_t)(delay_ms / 1000), (suseconds_t)((delay_ms % 1000) * 1000)};
    evtimer_add(call->timer, &tv);
}

/* Is url on the API's origin (scheme://host[:port] followed by a path)? */
static bool same_origin(const struct gh_client *c, const char *url)
{
    return strncmp(url, c->api_url, c->origin_len) == 0 &&
           (url[c->origin_len] == '/' || url[c->origin_len] == '\0');
}

static struct gh_call *call_new(struct gh_client *c, const char *method, const char *path,
                                int64_t inst_id, gh_done_fn fn, void *priv)
{
    struct buf url = BUF_INIT(GH_URL_MAX);
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
        if (!same_origin(c, path) || buf_appends(&url, path) != 0)
            goto bad;
    } else if (path[0] != '/' || buf_appends(&url, c->api_url) != 0 ||
               buf_appends(&url, path) != 0) {
        goto bad;
    }
    for (size_t i = 0; i < url.len; i++)
        if ((unsigned char)url.data[i] <= 0x20 || url.data[i] == 0x7f)
            goto bad;
    struct gh_call *call = xcalloc(1, sizeof(*call));
    call->c = c;
    call->method = xstrdup(method);
    call->url = buf_detach(&url, NULL);
    call->inst_id = inst_id;
    call->fn = fn;
    call->priv = priv;
    call->max_pages = GH_DEFAULT_PAGES;
    call->timer = evtimer_new(c->base, on_call_timer, call);
    call->prev = c->calls.tail;
    if (c->calls.tail)
        c->calls.tail->next = call;
    else
        c->calls.head = call;
    c->calls.tail = call;
    return call;
bad:
    buf_free(&url);
    return NULL;
}

int gh_call_new_internal(struct gh_client *c, const char *method, const char *path, int64_t inst_id,
                         gh_done_fn fn, void *priv)
{
    if (c->closing)
        return FB_ERR_UNAVAILABLE;
    struct gh_call *call = call_new(c, method, path, inst_id, fn, priv);
    if (call == NULL)
        return FB_ERR_INVALID;
    gh_call_ready(call);
    return 0;
}

/* ---- sending ---- */

static int etag_key(const struct gh_call *call, struct buf *key)
{
    return buf_printf(key, "%s %s %" PRId64, call->method, call->url, call->inst_id);
}

static void on_http_done(const struct http_response *hr, const struct fb_error *herr, void *priv);

static void call_send(struct gh_call *call, struct gh_inst *inst)
{
    struct gh_client *c = call->c;
    struct fb_error err = {0};
    struct buf auth = BUF_INIT(GH_TOKEN_MAX + GH_JWT_MAX);
    struct buf inm = BUF_INIT(GH_ETAG_VALUE_MAX + 32);
    struct buf key = BUF_INIT(GH_URL_MAX + 64);
    buf_appends(&auth, "Authorization: Bearer ");
    if (call->inst_id > 0) {
        buf_append(&auth, inst->token, inst->token_len);
        call->token_gen = inst->token_gen;
        call->token_minted_ms = inst->token_minted_ms;
    } else if (jwt_sign_app(c->jwt, c->app_id, gh_server_now_ms(c) / 1000, &auth, &err) != 0) {
        goto out;
    }
    const char *headers[8];
    size_t nh = 0;
    headers[nh++] = "Accept: application/vnd.github+json";
    headers[nh++] = "X-GitHub-Api-Version: 2022-11-28";
    headers[nh++] = buf_cstr(&auth);
    if (call->body)
        headers[nh++] = "Content-Type: application/json";
    struct gh_etag_entry ent;
    if (call->use_etag && !call->etag_skip && etag_key(call, &key) == 0 &&
        gh_etag_get(c->etags, buf_cstr(&key), &ent) == 0 &&
        buf_printf(&inm, "If-None-Match: %s", ent.etag) == 0)
        headers[nh++] = buf_cstr(&inm);
    headers[nh] = NULL;
    struct http_request req = {
        .method = call->method,
        .url = call->url,
        .headers = headers,
        .body = call->body,
        .body_len = call->body ? strlen(call->body) : 0,
    };
    http_request_start(c->http, &req, on_http_done, call, &err);
out:
    secure_wipe(auth.data, auth.len);
    buf_free(&auth);
    buf_free(&inm);
    buf_free(&key);
    if (err.code != 0)
        gh_call_fail(call, &err);
}

void gh_call_ready(struct gh_call *call)
{
    struct gh_client *c = call->c;
    if (c->closing) {
        fail_code(call, FB_ERR_UNAVAILABLE, "github client is shutting down");
        return;
    }
    struct gh_inst *inst = gh_inst_get(c, call->inst_id);
    bool after = call->after_refresh;
    call->after_refresh = false;
    if (inst->blocked_until_ms > gh_local_now_ms(c)) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_RATE_LIMITED,
                     "github rate limit: installation %" PRId64 " blocked, not sent",
                     call->inst_id);
        e.retry_at_ms = inst->blocked_until_ms;
        gh_call_fail(call, &e);
        return;
    }
    bool need_redis = !after && c->redis && fb_redis_is_ready(c->redis) &&
                      (inst->redis_checked_ms == 0 ||
                       time_mono_ms() - inst->redis_checked_ms >= GH_REDIS_RECHECK_MS);
    bool need_token = call->inst_id > 0 &&
                      !(after ? gh_inst_token_usable(c, inst) : gh_inst_token_fresh(c, inst));
    if (need_redis || need_token) {
        if (after && ++call->refresh_rounds > 3) {
            fail_code(call, FB_ERR_TRANSIENT, "no installation token after 3 attempts");
            return;
        }
        gh_inst_wait(c, inst, call);
        return;
    }
    call_send(call, inst);
}

/* ---- answers ---- */

static void map_status(int status, const char *message, struct fb_error *err)
{
    int code;
    if (status == 404 || status == 410)
        code = FB_ERR_NOT_FOUND;
    else if (status == 401 || status == 403)
        code = FB_ERR_DENIED;
    else if (status == 405 || status == 409)
        code = FB_ERR_CONFLICT;
    else if (status == 429)
        code = FB_ERR_RATE_LIMITED;
    else if (status >= 500 || status < 200 || (status >= 300 && status < 400))
        code = FB_ERR_TRANSIENT;
    else
        code = FB_ERR_INVALID; /* 400, 422 and any other 4xx */
    fb_error_set(err, code, "github %d: %s", status, message[0] ? message : "(no message)");
    err->http_status = status;
}

/* A 401: maybe retry (token replication lag, stale token, JWT clock skew). */
static bool auth_retry(struct gh_call *call, const struct http_response *hr, const char *message)
{
    struct gh_client *c = call->c;
    if (call->inst_id > 0) {
        struct gh_inst *inst = gh_inst_get(c, call->inst_id);
        int64_t age = gh_server_now_ms(c) - call->token_minted_ms;
        if (call->token_minted_ms > 0 && age < GH_TOKEN_YOUNG_MS) {
            log_debug("github 401 on a new token, retrying installation=%" PRId64, call->inst_id);
            call_schedule(call, GH_TOKEN_LAG_RETRY_MS);
            return true;
        }
        if (!call->reminted) {
            call->reminted = true;
            log_info("github 401 on a cached token, minting a new one installation=%" PRId64,
                     call->inst_id);
            gh_token_drop(c, inst, call->token_gen);
            gh_call_ready(call);
            return true;
        }
        return false;
    }
    if (!call->skew_retried && (strstr(message, "'exp'") || strstr(message, "'iat'"))) {
        call->skew_retried = true;
        const char *date = http_response_header(hr, "date");
        time_t t = date ? curl_getdate(date, NULL) : -1;
        if (t > 0) {
            c->server_skew_ms = (int64_t)t * 1000 - gh_local_now_ms(c);
            log_warn("github refused the app jwt timing, correcting clock skew skew_ms=%" PRId64,
                     c->server_skew_ms);
        }
        gh_call_ready(call);
        return true;
    }
    return false;
}

static void etag_store(struct gh_call *call, const struct http_response *hr, const char *next)
{
    const char *etag = http_response_header(hr, "etag");
    if (etag == NULL || etag[0] == '\0' || strlen(etag) > GH_ETAG_VALUE_MAX)
        return;
    struct buf key = BUF_INIT(GH_URL_MAX + 64);
    if (etag_key(call, &key) == 0)
        gh_etag_put(call->c->etags, buf_cstr(&key), etag, buf_cstr(&hr->body), hr->body.len, next);
    buf_free(&key);
}

/* One page (or a single response) is in: json is stolen. */
static void page_done(struct gh_call *call, const struct http_response *hr, json_t *json,
                      bool not_modified, const char *cached_next)
{
    struct gh_client *c = call->c;
    struct fb_error ok = {0};
    char *next = NULL;
    if (not_modified) {
        next = cached_next ? xstrdup(cached_next) : NULL;
    } else {
        const char *link = http_response_header(hr, "link");
        struct sv v;
        if (link && gh_link_next(link, strlen(link), &v) == 0)
            next = xstrndup(v.p, v.n);
        if (call->use_etag)
            etag_store(call, hr, next);
    }
    call->all_not_modified =
        call->pages == 0 ? not_modified : call->all_not_modified && not_modified;
    call->pages++;
    if (!call->paginate) {
        call_complete(call, hr, json, not_modified, &ok);
        goto out;
    }
    json_t *arr = call->items_key ? json_object_get(json, call->items_key) : json;
    if (!json_is_array(arr)) {
        struct fb_error e = {0};
        fb_error_set(&e, FB_ERR_INVALID, "github page %d of %s is not a list", call->pages,
                     url_for_log(call));
        call_complete(call, hr, json, false, &e);
        goto out;
    }
    if (call->merged == NULL) {
        call->merged = json;
        json = NULL;
    } else {
        json_t *dst =
            call->items_key ? json_object_get(call->merged, call->items_key) : call->merged;
        json_array_extend(dst, arr);
    }
    if (next && call->pages < call->max_pages) {
        if (!same_origin(c, next)) {
            struct fb_error e = {0};
            fb_error_set(&e, FB_ERR_INVALID, "github next page link leaves the api origin");
            call_complete(call, hr, NULL, false, &e);
            goto out;
        }
        free(call->url);
        call->url = next;
        next = NULL;
        call->get_retried = false;
        call->etag_skip = false;
        call->reminted = false;
        gh_call_ready(call);
        goto out;
    }
    if (next)
        log_debug("github pagination stopped at max_pages=%d url=%s", call->max_pages,
                  url_for_log(call));
    call_complete(call, hr, call->merged, call->all_not_modified, &ok);
out:
    free(next);
    json_decref(json);
}

static void on_http_done(const struct http_response *hr, const struct fb_error *herr, void *priv)
{
    struct gh_call *call = priv;
    struct gh_client *c = call->c;
    const char *rid = http_response_header(hr, "x-github-request-id");
    log_debug("github request method=%s path=%s installation=%" PRId64
              " status=%d duration_ms=%" PRId64 " request_id=%s",
              call->method, url_for_log(call), call->inst_id, hr->status, hr->duration_ms,
              rid ? rid : "-");
    if (herr) {
        if (!c->closing && (herr->code == FB_ERR_TRANSIENT || herr->code == FB_ERR_TIMEOUT) &&
            is_get(call) && !call->get_retried) {
            call->get_retried = true;
            call_schedule(call, GH_GET_RETRY_MS);
            return;
        }
        gh_call_fail(call, herr);
        return;
    }
    json_t *json = NULL;
    if (hr->body.len > 0) {
        json_error_t jerr;
        json = json_loadb(hr->body.data, hr->body.len, 0, &jerr);
    }
    json_t *m = json_is_object(json) ? json_object_get(json, "message") : NULL;
    const char *message = json_is_string(m) ? json_string_value(m) : "";
    struct gh_inst *inst = gh_inst_get(c, call->inst_id);
    struct fb_error err = {0};
    int status = hr->status;
    if (gh_ratelimit_observe(c, inst, hr, message, &err) != 0) {
        call_complete(call, hr, json, false, &err);
        json_decref(json);
        return;
    }
    if (status >= 200 && status < 300) {
        page_done(call, hr, json, false, NULL);
        return;
    }
    if (status == 304 && call->use_etag) {
        struct buf key = BUF_INIT(GH_URL_MAX + 64);
        struct gh_etag_entry ent;
        json_t *cached = NULL;
        char *cnext = NULL;
        bool hit = etag_key(call, &key) == 0 && gh_etag_get(c->etags, buf_cstr(&key), &ent) == 0;
        if (hit) {
            json_error_t jerr;
            cached = ent.body_len ? json_loadb(ent.body, ent.body_len, 0, &jerr) : NULL;
            cnext = ent.next_url ? xstrdup(ent.next_url) : NULL;
        }
        buf_free(&key);
        json_decref(json);
        if (hit) {
            page_done(call, hr, cached, true, cnext);
            free(cnext);
        } else if (!call->etag_skip) {
            call->etag_skip = true; /* evicted while in flight: ask again without a validator */
            gh_call_ready(call);
        } else {
            fail_code(call, FB_ERR_TRANSIENT, "github 304 without a cached body");
        }
        return;
    }
    if (status == 401 && auth_retry(call, hr, message)) {
        json_decref(json);
        return;
    }
    if (status >= 500 && is_get(call) && !call->get_retried && !c->closing) {
        call->get_retried = true;
        json_decref(json);
        call_schedule(call, GH_GET_RETRY_MS);
        return;
    }
    map_status(status, message, &err);
    call_complete(call, hr, json, false, &err);
    json_decref(json);
}

/* ---- public API ---- */

struct gh_client *gh_client_new(struct event_base *base, const struct gh_client_options *opt,
                                struct fb_error *err)
{
    const char *api = opt->api_url;
    if (api == NULL || (strncmp(api, "http://", 7) != 0 && strncmp(api, "https://", 8) != 0) ||
        strlen(api) > 1024) {
        fb_error_set(err, FB_ERR_INVALID, "github api_url must be an http(s) URL");
        return NULL;
    }
    if (opt->app_id <= 0 || opt->private_key_file == NULL) {
        fb_error_set(err, FB_ERR_INVALID, "github app_id and private_key_file are required");
        return NULL;
    }
    struct gh_client *c = xcalloc(1, sizeof(*c));
    c->base = base;
    c->api_url = xstrdup(api);
    size_t n = strlen(c->api_url);
    while (n > 0 && c->api_url[n - 1] == '/')
        c->api_url[--n] = '\0';
    const char *host = strstr(c->api_url, "://") + 3;
    const char *slash = strchr(host, '/');
    c->origin_len = slash ? (size_t)(slash - c->api_url) : n;
    c->app_id = opt->app_id;
    c->redis = opt->redis;
    c->clock = opt->clock;
    c->jwt = jwt_signer_new_from_file(opt->private_key_file, err);
    if (c->jwt == NULL)
        goto fail;
    c->max_in_flight = opt->max_in_flight > 0 ? opt->max_in_flight : 16;
    c->user_agent = xstrdup(opt->user_agent && opt->user_agent[0] ? opt->user_agent : "fleetbot");
    struct http_client_options ho = {
        .max_in_flight = c->max_in_flight,
        .user_agent = c->user_agent,
    };
    c->http = http_client_new(base, &ho, err);
    if (c->http == NULL)
        goto fail;
    c->etags = gh_etag_cache_new(GH_ETAG_ENTRIES, GH_ETAG_BYTES);
    return c;
fail:
    gh_client_free(c);
    return NULL;
}

void gh_client_set_http_limits(struct gh_client *c, int64_t connect_timeout_ms, int64_t timeout_ms,
                               size_t max_body)
{
    struct http_client_options ho = {
        .connect_timeout_ms = connect_timeout_ms,
        .timeout_ms = timeout_ms,
        .max_body = max_body,
        .max_in_flight = c->max_in_flight,
        .user_agent = c->user_agent,
    };
    http_client_set_options(c->http, &ho);
}

void gh_client_free(struct gh_client *c)
{
    if (c == NULL)
        return;
    c->closing = true;
    for (struct gh_redis_op *op = c->ops; op; op = op->next)
        op->c = NULL; /* their replies come later and only free the op */
    c->ops = NULL;
    http_client_free(c->http); /* in-flight calls complete with FB_ERR_UNAVAILABLE */
    c->http = NULL;
    while (c->calls.head) /* waiting for a token, a lookup or a retry timer */
        fail_code(c->calls.head, FB_ERR_UNAVAILABLE, "github client is shutting down");
    gh_inst_free_all(c);
    gh_etag_cache_free(c->etags);
    jwt_signer_free(c->jwt);
    free(c->api_url);
    free(c->user_agent);
    free(c);
}

static bool method_is_known(const char *m)
{
    static const char *const ok[] = {"GET", "PUT", "POST", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(m, ok[i]) == 0)
            return true;
    return false;
}

int gh_request_send(struct gh_client *c, const struct gh_request *req, gh_done_fn fn, void *priv)
{
    if (c == NULL || req == NULL || fn == NULL || req->method == NULL || req->path == NULL)
        return FB_ERR_INVALID;
    if (c->closing)
        return FB_ERR_UNAVAILABLE;
    if (!method_is_known(req->method) || req->installation_id < 0 ||
        ((req->use_etag || req->paginate) && strcmp(req->method, "GET") != 0) ||
        (req->body && strlen(req->body) > GH_BODY_MAX) || req->max_pages < 0)
        return FB_ERR_INVALID;
    struct gh_call *call = call_new(c, req->method, req->path, req->installation_id, fn, priv);
    if (call == NULL)
        return FB_ERR_INVALID;
    call->body = req->body ? xstrdup(req->body) : NULL;
    call->use_etag = req->use_etag;
    call->paginate = req->paginate;
    call->items_key = req->items_key ? xstrdup(req->items_key) : NULL;
    call->max_pages = req->max_pages > 0 ? req->max_pages : GH_DEFAULT_PAGES;
    if (call->max_pages > GH_MAX_PAGES)
        call->max_pages = GH_MAX_PAGES;
    call_schedule(call, 0); /* the callback always comes from the loop, never from here */
    return 0;
}

struct slug_req {
    void (*fn)(const char *slug, const struct fb_error *err, void *priv);
    void *priv;
};

static void on_app(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct slug_req *s = priv;
    json_t *slug = json_object_get(resp->json, "slug");
    if (err->code == 0 && json_is_string(slug) && json_string_length(slug) > 0) {
        s->fn(json_string_value(slug), err, s->priv);
    } else {
        struct fb_error e = *err;
        if (e.code == 0)
            fb_error_set(&e, FB_ERR_INVALID, "GET /app answered without a slug");
        s->fn(NULL, &e, s->priv);
    }
    free(s);
}

int gh_client_fetch_app_slug(struct gh_client *c,
                             void (*fn)(const char *slug, const struct fb_error *err, void *priv),
                             void *priv)
{
    struct slug_req *s = xcalloc(1, sizeof(*s));
    s->fn = fn;
    s->priv = priv;
    struct gh_request req = {.method = "GET", .path = "/app"};
    int rc = gh_request_send(c, &req, on_app, s);
    if (rc != 0)
        free(s);
    return rc;
}
