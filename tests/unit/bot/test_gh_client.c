/*
 * test_gh_client.c - the real GitHub client against a scripted HTTP server (libevent's
 * evhttp on 127.0.0.1, ephemeral port) running on the same event_base in this process.
 * The server verifies App JWTs (structure and RS256 signature with a key generated at run
 * time), mints installation tokens longer than 40 characters, and answers each test's
 * script. Most tests pass redis = NULL (memory-only caches); one runs two clients, as two
 * replicas, against a throw-away redis-server to check the shared token and block keys.
 */
#include "test.h"

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "gh_client.h"
#include "jwt.h"
#include "log.h"
#include "redis.h"
#include "timeutil.h"

#include "redis_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

/* ---- the scripted server ---- */

struct seen {
    char method[8];
    char uri[1024];
    char auth[8192];
    char inm[256];
    char accept[128];
    char version[64];
    char ua[128];
    char ctype[64];
};

typedef void (*route_fn)(struct evhttp_request *r, const struct seen *s, int n);

static struct event_base *base;
static struct evhttp *srv;
static int srv_port;
static char api_url[64];
static char key_path[64];
static EVP_PKEY *key;
static struct fb_clock clk;
static int64_t srv_skew_ms;   /* server clock minus the client's clock */
static int64_t token_life_ms; /* lifetime of minted tokens */
static struct seen seen[64];  /* non-mint requests, in order */
static int nseen;
static int mints, mint_fail_status;
static char tokens[8][160];
static int jwt_ok, jwt_bad;
static route_fn route;
static struct evhttp_request *held[16];
static int nheld;

static int64_t srv_now_ms(void)
{
    return fb_clock_now_ms(&clk) + srv_skew_ms;
}

static void reply(struct evhttp_request *r, int code, const char *body, ...)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(r);
    char date[64];
    time_t t = (time_t)(srv_now_ms() / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    evhttp_add_header(out, "Date", date);
    char rid[32];
    snprintf(rid, sizeof(rid), "REQ-%d", nseen);
    evhttp_add_header(out, "X-GitHub-Request-Id", rid);
    evhttp_add_header(out, "Content-Type", "application/json; charset=utf-8");
    va_list ap;
    va_start(ap, body);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL)
        evhttp_add_header(out, name, va_arg(ap, const char *));
    va_end(ap);
    struct evbuffer *b = evbuffer_new();
    if (body)
        evbuffer_add(b, body, strlen(body));
    evhttp_send_reply(r, code, "X", b);
    evbuffer_free(b);
}

static void copy_hdr(char *dst, size_t cap, struct evkeyvalq *h, const char *name)
{
    const char *v = evhttp_find_header(h, name);
    snprintf(dst, cap, "%s", v ? v : "");
}

/* Checks an "Authorization: Bearer <jwt>" like GitHub; why gets GitHub's 401 text. */
static bool jwt_valid(const char *auth, const char **why)
{
    *why = "A JSON web token could not be decoded";
    if (strncmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *jwt = auth + 7;
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d2 == NULL)
        return false;
    struct buf h = BUF_INIT(4096), c = BUF_INIT(4096), s = BUF_INIT(4096);
    bool ok = jwt_base64url_decode(jwt, (size_t)(d1 - jwt), &h) == 0 &&
              jwt_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &c) == 0 &&
              jwt_base64url_decode(d2 + 1, strlen(d2 + 1), &s) == 0 &&
              strcmp(buf_cstr(&h), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}") == 0;
    if (ok) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, (const unsigned char *)s.data, s.len, (const unsigned char *)jwt,
                              (size_t)(d2 - jwt)) == 1;
        EVP_MD_CTX_free(md);
    }
    json_error_t je;
    json_t *cl = ok ? json_loads(buf_cstr(&c), 0, &je) : NULL;
    if (ok && cl) {
        int64_t now = srv_now_ms() / 1000;
        int64_t iat = json_integer_value(json_object_get(cl, "iat"));
        int64_t exp = json_integer_value(json_object_get(cl, "exp"));
        const char *iss = json_string_value(json_object_get(cl, "iss"));
        if (iss == NULL || strcmp(iss, "42") != 0) {
            ok = false;
            *why = "Integration not found";
        } else if (exp <= now) {
            ok = false;
            *why = "'Expiration time' claim ('exp') must be a numeric value representing the "
                   "future time at which the assertion expires";
        } else if (iat > now) {
            ok = false;
            *why = "'Issued at' claim ('iat') must be an Integer representing the time that the "
                   "assertion was issued";
        } else if (exp > now + 600) {
            ok = false;
            *why = "'Expiration time' claim ('exp') is too far in the future";
        }
    }
    json_decref(cl);
    buf_free(&h);
    buf_free(&c);
    buf_free(&s);
    return ok;
}

static void on_request(struct evhttp_request *r, void *arg)
{
    (void)arg;
    struct seen s;
    memset(&s, 0, sizeof(s));
    struct evkeyvalq *in = evhttp_request_get_input_headers(r);
    switch (evhttp_request_get_command(r)) {
    case EVHTTP_REQ_GET:
        snprintf(s.method, sizeof(s.method), "GET");
        break;
    case EVHTTP_REQ_POST:
        snprintf(s.method, sizeof(s.method), "POST");
        break;
    case EVHTTP_REQ_PUT:
        snprintf(s.method, sizeof(s.method), "PUT");
        break;
    case EVHTTP_REQ_PATCH:
        snprintf(s.method, sizeof(s.method), "PATCH");
        break;
    case EVHTTP_REQ_DELETE:
        snprintf(s.method, sizeof(s.method), "DELETE");
        break;
    default:
        snprintf(s.method, sizeof(s.method), "?");
        break;
    }
    snprintf(s.uri, sizeof(s.uri), "%s", evhttp_request_get_uri(r));
    copy_hdr(s.auth, sizeof(s.auth), in, "Authorization");
    copy_hdr(s.inm, sizeof(s.inm), in, "If-None-Match");
    copy_hdr(s.accept, sizeof(s.accept), in, "Accept");
    copy_hdr(s.version, sizeof(s.version), in, "X-GitHub-Api-Version");
    copy_hdr(s.ua, sizeof(s.ua), in, "User-Agent");
    copy_hdr(s.ctype, sizeof(s.ctype), in, "Content-Type");
    if (strncmp(s.uri, "/app", 4) == 0) {
        const char *why;
        if (!jwt_valid(s.auth, &why)) {
            jwt_bad++;
            char body[512];
            snprintf(body, sizeof(body), "{\"message\":\"%s\"}", why);
            reply(r, 401, body, NULL);
            return;
        }
        jwt_ok++;
    }
    if (strcmp(s.method, "POST") == 0 && strncmp(s.uri, "/app/installations/", 19) == 0 &&
        strstr(s.uri, "/access_tokens")) {
        if (mint_fail_status) {
            reply(r, mint_fail_status, "{\"message\":\"This installation has been suspended\"}",
                  NULL);
            return;
        }
        int k = mints++ % 8;
        char tok[160];
        int n = snprintf(tok, sizeof(tok), "ghs_%d_", mints);
        for (; n < 100; n++)
            tok[n] = (char)('a' + n % 26);
        tok[n] = '\0';
        snprintf(tokens[k], sizeof(tokens[k]), "%s", tok);
        char exp[40], body[400];
        time_format_rfc3339(srv_now_ms() + token_life_ms, exp, sizeof(exp));
        snprintf(body, sizeof(body), "{\"token\":\"%s\",\"expires_at\":\"%s\"}", tok, exp);
        reply(r, 201, body, NULL);
        return;
    }
    int n = nseen;
    if (nseen < 64)
        seen[nseen++] = s;
    if (route)
        route(r, &s, n);
    else
        reply(r, 200, "{\"ok\":true}", NULL);
}

static const char *last_token(void)
{
    return mints ? tokens[(mints - 1) % 8] : "";
}

static bool auth_is_token(const struct seen *s, const char *tok)
{
    return strncmp(s->auth, "Bearer ", 7) == 0 && strcmp(s->auth + 7, tok) == 0;
}

/* ---- client side ---- */

struct res {
    int done;
    int code;
    int status;
    int http_status;
    int64_t retry_at;
    bool not_modified;
    int64_t remaining;
    char json[16384];
    char msg[256];
    char message[256];
    char rid[64];
};

static void on_res(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct res *r = priv;
    r->done++;
    r->code = err->code;
    r->http_status = err->http_status;
    r->retry_at = err->retry_at_ms;
    snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
    r->status = resp->status;
    r->not_modified = resp->not_modified;
    r->remaining = resp->rate_remaining;
    snprintf(r->message, sizeof(r->message), "%s", resp->message ? resp->message : "(null)");
    snprintf(r->rid, sizeof(r->rid), "%s", resp->request_id ? resp->request_id : "(null)");
    r->json[0] = '\0';
    if (resp->json) {
        char *d = json_dumps(resp->json, JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(r->json, sizeof(r->json), "%s", d);
        free(d);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* Runs the loop until *flag >= want or timeout_ms passes. */
static bool run_until(const int *flag, int want, int64_t timeout_ms)
{
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 10000};
    event_add(tick, &tv);
    int64_t deadline = time_mono_ms() + timeout_ms;
    while (*flag < want && time_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(tick);
    return *flag >= want;
}

static void spin(int64_t ms)
{
    int never = 0;
    run_until(&never, 1, ms);
}

static void reset(void)
{
    nseen = 0;
    mints = 0;
    mint_fail_status = 0;
    jwt_ok = jwt_bad = 0;
    route = NULL;
    srv_skew_ms = 0;
    clk.offset_ms = 0;
    token_life_ms = 3600 * 1000;
    nheld = 0;
}

static struct gh_client *client_at(const char *url, int max_in_flight)
{
    struct gh_client_options o = {
        .api_url = url,
        .app_id = 42,
        .private_key_file = key_path,
        .user_agent = "fleetbot-test",
        .redis = NULL,
        .clock = &clk,
        .max_in_flight = max_in_flight,
    };
    struct fb_error err = {0};
    struct gh_client *c = gh_client_new(base, &o, &err);
    if (c == NULL)
        fprintf(stderr, "gh_client_new: %s\n", err.msg);
    return c;
}

static struct gh_client *client(void)
{
    reset();
    return client_at(api_url, 0);
}

static int send_req(struct gh_client *c, const struct gh_request *req, struct res *r)
{
    memset(r, 0, sizeof(*r));
    return gh_request_send(c, req, on_res, r);
}

/* Sends one request and runs the loop until it completes. */
static void run1(struct gh_client *c, const char *method, const char *path, int64_t inst,
                 struct res *r)
{
    struct gh_request req = {.method = method, .path = path, .installation_id = inst};
    CHECK_INT_EQ(send_req(c, &req, r), 0);
    CHECK(run_until(&r->done, 1, 10000));
}

static void setup_once(void)
{
    if (base)
        return;
    log_level_min = LOG_ERROR;
    base = event_base_new();
    key = EVP_RSA_gen(2048);
    snprintf(key_path, sizeof(key_path), "/tmp/fleetbot-test-gh-XXXXXX");
    int fd = mkstemp(key_path);
    FILE *f = fdopen(fd, "w");
    BIO *bio = BIO_new_fp(f, BIO_NOCLOSE);
    OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(key, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                                         "type-specific", NULL);
    OSSL_ENCODER_to_bio(ec, bio);
    OSSL_ENCODER_CTX_free(ec);
    BIO_free(bio);
    fclose(f);
    srv = evhttp_new(base);
    evhttp_set_allowed_methods(srv, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(srv, on_request, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(srv, "127.0.0.1", 0);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&a, &al);
    srv_port = ntohs(a.sin_port);
    snprintf(api_url, sizeof(api_url), "http://127.0.0.1:%d", srv_port);
}

__attribute__((destructor)) static void teardown(void)
{
    if (key_path[0])
        unlink(key_path);
}

/* ---- tests ---- */

static void on_slug(const char *slug, const struct fb_error *err, void *priv)
{
    struct res *r = priv;
    r->done++;
    r->code = err->code;
    snprintf(r->json, sizeof(r->json), "%s", slug ? slug : "(null)");
}

static void route_app(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    reply(r, 200, "{\"id\":42,\"slug\":\"fleetbot-test\"}", NULL);
}

TEST(app_route_sends_verified_jwt_and_headers)
{
    setup_once();
    struct gh_client *c = client();
    route = route_app;
    struct res r = {0};
    CHECK_INT_EQ(gh_client_fetch_app_slug(c, on_slug, &r), 0);
    CHECK_INT_EQ(r.done, 0); /* never called synchronously */
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_STR_EQ(r.json, "fleetbot-test");
    CHECK_INT_EQ(jwt_ok, 1);
    CHECK_INT_EQ(jwt_bad, 0);
    CHECK_INT_EQ(nseen, 1);
    CHECK_STR_EQ(seen[0].uri, "/app");
    CHECK_STR_EQ(seen[0].accept, "application/vnd.github+json");
    CHECK_STR_EQ(seen[0].version, "2022-11-28");
    CHECK_STR_EQ(seen[0].ua, "fleetbot-test");
    CHECK_STR_EQ(seen[0].ctype, "");
    gh_client_free(c);
}

static void route_echo_auth(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    reply(r, 200, "{\"number\":1}", "x-ratelimit-remaining", "4999", NULL);
}

TEST(token_minted_once_and_reused)
{
    setup_once();
    struct gh_client *c = client();
    route = route_echo_auth;
    struct res r[8];
    struct gh_request req = {.method = "GET", .path = "/repos/o/r/pulls/1", .installation_id = 7};
    for (int i = 0; i < 5; i++)
        CHECK_INT_EQ(send_req(c, &req, &r[i]), 0);
    int total = 0;
    for (int i = 0; i < 5; i++) {
        CHECK(run_until(&r[i].done, 1, 10000));
        total += r[i].done;
        CHECK_INT_EQ(r[i].code, 0);
        CHECK_INT_EQ(r[i].status, 200);
        CHECK_INT_EQ(r[i].remaining, 4999);
        CHECK_STR_EQ(r[i].json, "{\"number\":1}");
    }
    CHECK_INT_EQ(total, 5);
    for (int i = 5; i < 8; i++)
        run1(c, "GET", "/repos/o/r/pulls/1", 7, &r[i]);
    CHECK_INT_EQ(mints, 1); /* five concurrent requests shared one mint */
    CHECK_INT_EQ(nseen, 8);
    CHECK(strlen(last_token()) > 40);
    for (int i = 0; i < nseen; i++)
        CHECK(auth_is_token(&seen[i], last_token()));
    CHECK_STR_EQ(r[7].message, "");
    CHECK_CONTAINS(r[7].rid, "REQ-");
    gh_client_free(c);
}

TEST(token_near_expiry_is_reminted)
{
    setup_once();
    struct gh_client *c = client();
    route = route_echo_auth;
    struct res r;
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(mints, 1);
    char first[160];
    snprintf(first, sizeof(first), "%s", last_token());
    clk.offset_ms += 50 * 60 * 1000; /* 10 min left: still fresh */
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(mints, 1);
    clk.offset_ms += 6 * 60 * 1000; /* 4 min left: inside the renewal margin */
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(mints, 2);
    CHECK(strcmp(first, last_token()) != 0);
    CHECK(auth_is_token(&seen[2], last_token()));
    gh_client_free(c);
}

static void route_401_first_use(struct evhttp_request *r, const struct seen *s, int n)
{
    /* replication lag: the first request with each token is refused */
    bool first = true;
    for (int i = 0; i < n; i++)
        if (strcmp(seen[i].auth, s->auth) == 0)
            first = false;
    if (first)
        reply(r, 401, "{\"message\":\"Bad credentials\"}", NULL);
    else
        reply(r, 200, "{\"ok\":1}", NULL);
}

TEST(fresh_token_401_is_retried_after_a_second)
{
    setup_once();
    struct gh_client *c = client();
    route = route_401_first_use;
    struct res r;
    int64_t t0 = time_mono_ms();
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(mints, 1);
    CHECK_INT_EQ(nseen, 2);
    CHECK(time_mono_ms() - t0 >= 900);
    gh_client_free(c);
}

static void route_401_old_token(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    if (mints == 1 && nseen >= 2 && auth_is_token(s, tokens[0]))
        reply(r, 401, "{\"message\":\"Bad credentials\"}", NULL);
    else
        reply(r, 200, "{\"ok\":1}", NULL);
}

TEST(old_token_401_drops_it_and_remints_once)
{
    setup_once();
    struct gh_client *c = client();
    route = route_401_old_token;
    struct res r;
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    clk.offset_ms += 60 * 1000; /* the token is a minute old: a 401 means it is bad */
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(mints, 2);
    CHECK_INT_EQ(nseen, 3);
    CHECK(auth_is_token(&seen[2], tokens[1]));
    /* a token that keeps failing is DENIED after the one re-mint */
    route = NULL;
    gh_client_free(c);
}

static void route_always_401(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    reply(r, 401, "{\"message\":\"Bad credentials\"}", NULL);
}

TEST(persistent_401_is_denied)
{
    setup_once();
    struct gh_client *c = client();
    struct res r;
    run1(c, "GET", "/repos/o/r", 7, &r); /* mint while the route answers 200 */
    route = route_always_401;
    clk.offset_ms += 60 * 1000;
    run1(c, "GET", "/repos/o/r", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_DENIED);
    CHECK_INT_EQ(r.http_status, 401);
    CHECK_STR_EQ(r.message, "Bad credentials");
    CHECK_INT_EQ(mints, 2);
    gh_client_free(c);
}

TEST(mint_failure_reaches_every_waiter)
{
    setup_once();
    struct gh_client *c = client();
    mint_fail_status = 403;
    struct res r[3];
    struct gh_request req = {.method = "GET", .path = "/repos/o/r", .installation_id = 9};
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(send_req(c, &req, &r[i]), 0);
    for (int i = 0; i < 3; i++) {
        CHECK(run_until(&r[i].done, 1, 10000));
        CHECK_INT_EQ(r[i].done, 1);
        CHECK_INT_EQ(r[i].code, FB_ERR_DENIED);
        CHECK_CONTAINS(r[i].msg, "installation token");
    }
    CHECK_INT_EQ(nseen, 0);
    gh_client_free(c);
}

TEST(jwt_clock_skew_is_corrected_from_date)
{
    setup_once();
    struct gh_client *c = client();
    route = route_app;
    srv_skew_ms = 2 * 3600 * 1000; /* GitHub's clock is two hours ahead of ours */
    struct res r = {0};
    CHECK_INT_EQ(gh_client_fetch_app_slug(c, on_slug, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_STR_EQ(r.json, "fleetbot-test");
    CHECK_INT_EQ(jwt_bad, 1);
    CHECK_INT_EQ(jwt_ok, 1);
    /* the learned offset sticks: the next App call is accepted at once */
    memset(&r, 0, sizeof(r));
    CHECK_INT_EQ(gh_client_fetch_app_slug(c, on_slug, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(jwt_bad, 1);
    CHECK_INT_EQ(jwt_ok, 2);
    gh_client_free(c);
}

static void route_primary_limit(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    if (strstr(s->uri, "/limited")) {
        char reset_s[32];
        snprintf(reset_s, sizeof(reset_s), "%lld", (long long)(srv_now_ms() / 1000 + 120));
        reply(r, 403, "{\"message\":\"API rate limit exceeded for installation ID 7.\"}",
              "x-ratelimit-remaining", "0", "x-ratelimit-reset", reset_s, "x-ratelimit-limit",
              "5000", NULL);
    } else {
        reply(r, 200, "{\"ok\":1}", NULL);
    }
}

TEST(primary_limit_blocks_without_http_calls)
{
    setup_once();
    struct gh_client *c = client();
    route = route_primary_limit;
    struct res r;
    int64_t now = fb_clock_now_ms(&clk);
    run1(c, "GET", "/repos/o/r/limited", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK_INT_EQ(r.http_status, 403);
    CHECK_INT_EQ(r.remaining, 0);
    CHECK(r.retry_at >= now + 119000 && r.retry_at <= now + 123000);
    int before = nseen;
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK(r.retry_at >= now + 119000);
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK_INT_EQ(nseen, before); /* no HTTP call while blocked */
    /* another installation has its own bucket */
    run1(c, "GET", "/repos/o/r/pulls/1", 8, &r);
    CHECK_INT_EQ(r.code, 0);
    /* after the reset the installation is served again */
    clk.offset_ms += 125 * 1000;
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    gh_client_free(c);
}

static void route_secondary(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    if (strstr(s->uri, "/ok"))
        reply(r, 200, "{\"ok\":1}", NULL);
    else if (strstr(s->uri, "/retry-after"))
        reply(r, 429, "{\"message\":\"You have exceeded a secondary rate limit.\"}", "retry-after",
              "30", "x-ratelimit-remaining", "4000", NULL);
    else
        reply(r, 403,
              "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few "
              "minutes before you try again.\"}",
              "x-ratelimit-remaining", "4000", NULL);
}

TEST(secondary_limit_without_retry_after_backs_off_doubling)
{
    setup_once();
    struct gh_client *c = client();
    route = route_secondary;
    struct res r;
    int64_t now = fb_clock_now_ms(&clk);
    run1(c, "POST", "/repos/o/r/issues/1/comments", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK(r.retry_at >= now + 60000 && r.retry_at <= now + 62000);
    int before = nseen;
    run1(c, "GET", "/repos/o/r/ok", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK_INT_EQ(nseen, before);
    clk.offset_ms += 61 * 1000;
    now = fb_clock_now_ms(&clk);
    run1(c, "POST", "/repos/o/r/issues/1/comments", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK(r.retry_at >= now + 120000 && r.retry_at <= now + 122000); /* doubled */
    clk.offset_ms += 121 * 1000;
    run1(c, "GET", "/repos/o/r/ok", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    now = fb_clock_now_ms(&clk);
    run1(c, "POST", "/repos/o/r/issues/1/comments", 7, &r);
    CHECK(r.retry_at >= now + 60000 && r.retry_at <= now + 62000); /* reset by the success */
    gh_client_free(c);
}

TEST(secondary_limit_with_retry_after)
{
    setup_once();
    struct gh_client *c = client();
    route = route_secondary;
    struct res r;
    int64_t now = fb_clock_now_ms(&clk);
    run1(c, "POST", "/repos/o/r/retry-after", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK_INT_EQ(r.http_status, 429);
    CHECK(r.retry_at >= now + 30000 && r.retry_at <= now + 32000);
    int before = nseen;
    run1(c, "GET", "/repos/o/r/ok", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK_INT_EQ(nseen, before);
    gh_client_free(c);
}

static void route_forbidden(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    reply(r, 403, "{\"message\":\"Resource not accessible by integration\"}",
          "x-ratelimit-remaining", "4999", "x-accepted-github-permissions", "contents=write", NULL);
}

TEST(permission_403_is_denied_not_rate_limited)
{
    setup_once();
    struct gh_client *c = client();
    route = route_forbidden;
    struct res r;
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_DENIED);
    CHECK_INT_EQ(r.http_status, 403);
    CHECK_INT_EQ(r.retry_at, 0);
    CHECK_STR_EQ(r.message, "Resource not accessible by integration");
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_DENIED);
    CHECK_INT_EQ(nseen, 2); /* not blocked, and never retried */
    gh_client_free(c);
}

static void route_etag(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    if (strcmp(s->inm, "\"abc\"") == 0)
        reply(r, 304, NULL, "ETag", "\"abc\"", NULL);
    else
        reply(r, 200, "{\"number\":5,\"state\":\"open\"}", "ETag", "\"abc\"", NULL);
}

TEST(etag_304_is_served_from_the_cache)
{
    setup_once();
    struct gh_client *c = client();
    route = route_etag;
    struct res r;
    struct gh_request req = {
        .method = "GET", .path = "/repos/o/r/pulls/5", .installation_id = 7, .use_etag = true};
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK(!r.not_modified);
    CHECK_STR_EQ(seen[0].inm, "");
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(r.status, 200);
    CHECK(r.not_modified);
    CHECK_STR_EQ(seen[1].inm, "\"abc\"");
    CHECK_STR_EQ(r.json, "{\"number\":5,\"state\":\"open\"}");
    /* another installation has its own cache entry */
    req.installation_id = 8;
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK(!r.not_modified);
    CHECK_STR_EQ(seen[2].inm, "");
    /* without use_etag nothing conditional is sent */
    req.installation_id = 7;
    req.use_etag = false;
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_STR_EQ(seen[3].inm, "");
    gh_client_free(c);
}

static void route_pages(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    int page = 1;
    const char *p = strstr(s->uri, "&page=");
    if (p)
        page = p[6] - '0';
    bool list = strstr(s->uri, "/list") != NULL;
    const char *lp = list ? "/list" : "/repositories/9/commits/abc/check-runs";
    char link[512], body[512];
    if (page < 3)
        snprintf(link, sizeof(link),
                 "<%s%s?per_page=2&page=%d>; rel=\"next\", <%s%s?per_page=2&page=3>; rel=\"last\"",
                 api_url, lp, page + 1, api_url, lp);
    else
        snprintf(link, sizeof(link), "<%s%s?per_page=2&page=2>; rel=\"prev\"", api_url, lp);
    if (list)
        snprintf(body, sizeof(body), "[%d,%d]", page * 10 + 1, page * 10 + 2);
    else
        snprintf(body, sizeof(body), "{\"total_count\":6,\"check_runs\":[{\"id\":%d},{\"id\":%d}]}",
                 page * 10 + 1, page * 10 + 2);
    reply(r, 200, body, "Link", link, "ETag", page == 1 ? "\"p1\"" : "\"px\"", NULL);
}

TEST(pagination_follows_link_next_with_items_key)
{
    setup_once();
    struct gh_client *c = client();
    route = route_pages;
    struct res r;
    struct gh_request req = {.method = "GET",
                             .path = "/repos/o/r/commits/abc/check-runs?per_page=2",
                             .installation_id = 7,
                             .paginate = true,
                             .items_key = "check_runs"};
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(nseen, 3);
    CHECK_STR_EQ(seen[1].uri, "/repositories/9/commits/abc/check-runs?per_page=2&page=2");
    CHECK_STR_EQ(seen[2].uri, "/repositories/9/commits/abc/check-runs?per_page=2&page=3");
    CHECK_STR_EQ(r.json, "{\"check_runs\":[{\"id\":11},{\"id\":12},{\"id\":21},{\"id\":22},{"
                         "\"id\":31},{\"id\":32}],\"total_count\":6}");
    CHECK(auth_is_token(&seen[2], last_token()));
    gh_client_free(c);
}

TEST(pagination_top_level_array_and_max_pages)
{
    setup_once();
    struct gh_client *c = client();
    route = route_pages;
    struct res r;
    struct gh_request req = {
        .method = "GET", .path = "/list", .installation_id = 7, .paginate = true};
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_STR_EQ(r.json, "[11,12,21,22,31,32]");
    nseen = 0;
    req.max_pages = 2;
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_STR_EQ(r.json, "[11,12,21,22]");
    CHECK_INT_EQ(nseen, 2);
    /* a wrapped list read as a top-level array is an error, not a crash */
    req.path = "/repos/o/r/commits/abc/check-runs";
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, FB_ERR_INVALID);
    gh_client_free(c);
}

static void route_evil_link(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    reply(r, 200, "[1]", "Link", "<http://evil.example/steal?page=2>; rel=\"next\"", NULL);
}

TEST(pagination_never_leaves_the_api_origin)
{
    setup_once();
    struct gh_client *c = client();
    route = route_evil_link;
    struct res r;
    struct gh_request req = {
        .method = "GET", .path = "/list", .installation_id = 7, .paginate = true};
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    CHECK(run_until(&r.done, 1, 10000));
    CHECK_INT_EQ(r.code, FB_ERR_INVALID);
    CHECK_INT_EQ(nseen, 1);
    /* absolute URLs given by callers must be on the origin too */
    req.path = "http://evil.example/repos";
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    gh_client_free(c);
}

static void route_5xx_once(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    if (n == 0)
        reply(r, 502, "<html>Bad gateway</html>", NULL);
    else
        reply(r, 200, "{\"ok\":1}", NULL);
}

TEST(server_error_put_is_not_retried_get_is_once)
{
    setup_once();
    struct gh_client *c = client();
    route = route_5xx_once;
    struct res r;
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_TRANSIENT);
    CHECK_INT_EQ(r.http_status, 502);
    CHECK_INT_EQ(nseen, 1);
    nseen = 0;
    run1(c, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(nseen, 2);
    gh_client_free(c);
}

static void route_big(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    size_t len = (size_t)2 << 20;
    char *big = xmalloc(len + 1);
    memset(big, ' ', len);
    big[0] = '[';
    big[len - 1] = ']';
    big[len] = '\0';
    reply(r, 200, big, NULL);
    free(big);
}

TEST(body_over_the_cap_is_an_error_and_the_client_goes_on)
{
    setup_once();
    struct gh_client *c = client();
    gh_client_set_http_limits(c, 0, 0, (size_t)1 << 20);
    route = route_big;
    struct res r;
    run1(c, "PUT", "/repos/o/r/big", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_TOO_LARGE);
    route = NULL;
    run1(c, "GET", "/repos/o/r", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_STR_EQ(r.json, "{\"ok\":true}");
    gh_client_free(c);
}

TEST(connection_refused_is_transient)
{
    setup_once();
    reset();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    socklen_t al = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd); /* nobody listens on that port now */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
    struct gh_client *c = client_at(url, 0);
    struct res r;
    run1(c, "GET", "/app", 0, &r);
    CHECK_INT_EQ(r.code, FB_ERR_TRANSIENT);
    CHECK_INT_EQ(r.status, 0);
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r); /* the mint fails the same way */
    CHECK_INT_EQ(r.code, FB_ERR_TRANSIENT);
    gh_client_free(c);
}

static void route_status(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    const char *p = strrchr(s->uri, '/');
    int code = (int)strtol(p + 1, NULL, 10);
    reply(r, code, "{\"message\":\"scripted\"}", "x-ratelimit-remaining", "10", NULL);
}

TEST(status_codes_map_to_error_codes)
{
    setup_once();
    struct gh_client *c = client();
    route = route_status;
    static const struct {
        const char *path;
        int code;
    } cases[] = {
        {"/s/200", 0},
        {"/s/201", 0},
        {"/s/204", 0},
        {"/s/400", FB_ERR_INVALID},
        {"/s/404", FB_ERR_NOT_FOUND},
        {"/s/405", FB_ERR_CONFLICT},
        {"/s/409", FB_ERR_CONFLICT},
        {"/s/410", FB_ERR_NOT_FOUND},
        {"/s/422", FB_ERR_INVALID},
        {"/s/500", FB_ERR_TRANSIENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct res r;
        run1(c, "PATCH", cases[i].path, 7, &r);
        CHECK_INT_EQ(r.code, cases[i].code);
        CHECK_INT_EQ(r.status, (int)strtol(cases[i].path + 3, NULL, 10));
        CHECK_INT_EQ(r.http_status, r.status);
        if (r.status != 204)
            CHECK_STR_EQ(r.message, "scripted");
    }
    gh_client_free(c);
}

static void route_hold(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)s;
    (void)n;
    if (nheld < 16)
        held[nheld++] = r;
}

TEST(timeout_is_reported)
{
    setup_once();
    struct gh_client *c = client();
    gh_client_set_http_limits(c, 1000, 300, 0);
    route = route_hold;
    struct res r;
    run1(c, "PUT", "/repos/o/r/pulls/1/merge", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_TIMEOUT);
    CHECK_INT_EQ(nseen, 1);
    gh_client_free(c);
    for (int i = 0; i < nheld; i++)
        reply(held[i], 200, "{}", NULL);
    spin(50);
}

TEST(max_in_flight_queues_fifo_and_free_completes_pending)
{
    setup_once();
    reset();
    struct gh_client *c = client_at(api_url, 2);
    route = route_hold;
    struct res r[5];
    struct gh_request req = {.method = "GET", .path = "/x", .installation_id = 0};
    for (int i = 0; i < 5; i++)
        CHECK_INT_EQ(send_req(c, &req, &r[i]), 0);
    spin(300);
    CHECK_INT_EQ(nheld, 2);
    reply(held[0], 200, "[0]", NULL);
    CHECK(run_until(&r[0].done, 1, 5000));
    spin(200);
    CHECK_INT_EQ(nheld, 3); /* one finished, one more started */
    int done = 0;
    for (int i = 0; i < 5; i++)
        done += r[i].done;
    CHECK_INT_EQ(done, 1);
    gh_client_free(c); /* the other four complete now, before free returns */
    for (int i = 1; i < 5; i++) {
        CHECK_INT_EQ(r[i].done, 1);
        CHECK_INT_EQ(r[i].code, FB_ERR_UNAVAILABLE);
    }
    spin(50);
}

static struct gh_client *chain_client;
static struct res chain_second;

static void on_chain(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    on_res(resp, err, priv);
    struct gh_request req = {.method = "GET", .path = "/repos/o/r/second", .installation_id = 7};
    CHECK_INT_EQ(send_req(chain_client, &req, &chain_second), 0);
}

TEST(a_request_can_be_sent_from_a_callback)
{
    setup_once();
    struct gh_client *c = client();
    chain_client = c;
    struct res r = {0};
    struct gh_request req = {.method = "GET", .path = "/repos/o/r/first", .installation_id = 7};
    CHECK_INT_EQ(gh_request_send(c, &req, on_chain, &r), 0);
    CHECK(run_until(&chain_second.done, 1, 10000));
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(chain_second.code, 0);
    CHECK_STR_EQ(seen[1].uri, "/repos/o/r/second");
    gh_client_free(c);
}

static void route_redirect(struct evhttp_request *r, const struct seen *s, int n)
{
    (void)n;
    if (strstr(s->uri, "/old")) {
        char loc[128];
        snprintf(loc, sizeof(loc), "%s/repositories/99/pulls/1", api_url);
        reply(r, 301, "{\"message\":\"Moved Permanently\"}", "Location", loc, NULL);
    } else {
        reply(r, 200, "{\"moved\":true}", NULL);
    }
}

TEST(redirects_are_followed_with_auth)
{
    setup_once();
    struct gh_client *c = client();
    route = route_redirect;
    struct res r;
    run1(c, "GET", "/repos/old/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_STR_EQ(r.json, "{\"moved\":true}");
    CHECK_INT_EQ(nseen, 2);
    CHECK(auth_is_token(&seen[1], last_token()));
    gh_client_free(c);
}

TEST(bad_requests_are_refused_synchronously)
{
    setup_once();
    struct gh_client *c = client();
    struct res r = {0};
    struct gh_request req = {.method = "PUT", .path = "/x", .use_etag = true};
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    req = (struct gh_request){.method = "POST", .path = "/x", .paginate = true};
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    req = (struct gh_request){.method = "TRACE", .path = "/x"};
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    req = (struct gh_request){.method = "GET", .path = "x"};
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    req = (struct gh_request){.method = "GET", .path = "/a b"};
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    req = (struct gh_request){.method = "GET", .path = "/x", .installation_id = -1};
    CHECK(gh_request_send(c, &req, on_res, &r) != 0);
    spin(50);
    CHECK_INT_EQ(r.done, 0);
    gh_client_free(c);
    gh_client_free(NULL);

    struct gh_client_options o = {.api_url = "ftp://x", .app_id = 1, .private_key_file = key_path};
    struct fb_error err = {0};
    CHECK(gh_client_new(base, &o, &err) == NULL);
    CHECK_INT_EQ(err.code, FB_ERR_INVALID);
    o.api_url = api_url;
    o.private_key_file = "/nonexistent/key.pem";
    fb_error_clear(&err);
    CHECK(gh_client_new(base, &o, &err) == NULL);
    CHECK_INT_EQ(err.code, FB_ERR_NOT_FOUND);
}

static void on_redis_ready(struct fb_redis *rd, void *priv)
{
    (void)rd;
    (*(int *)priv)++;
}

TEST(replicas_share_tokens_and_blocks_through_redis)
{
    setup_once();
    reset();
    struct redis_fixture rf;
    if (redis_fixture_start(&rf, false) != 0) {
        fprintf(stderr, "  cannot start redis-server\n");
        CHECK(0);
        return;
    }
    struct fb_redis_options ro = {.host = "127.0.0.1", .port = rf.port, .name = "gh-test"};
    struct fb_redis *rd = fb_redis_new(base, &ro);
    int ready = 0;
    fb_redis_on_ready(rd, on_redis_ready, &ready);
    CHECK(run_until(&ready, 1, 5000));
    struct gh_client_options o = {
        .api_url = api_url, .app_id = 42, .private_key_file = key_path, .redis = rd, .clock = &clk};
    struct fb_error err = {0};
    struct gh_client *a = gh_client_new(base, &o, &err);
    struct gh_client *b = gh_client_new(base, &o, &err);
    route = route_primary_limit;
    struct res r;
    run1(a, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(mints, 1);
    long long pttl = redis_fixture_int(&rf, "PTTL fb:gh:token:7");
    CHECK(pttl > 54 * 60 * 1000 && pttl <= 55 * 60 * 1000);
    run1(b, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, 0);
    CHECK_INT_EQ(mints, 1); /* the second replica found the token in Redis */
    CHECK(auth_is_token(&seen[1], tokens[0]));

    run1(a, "GET", "/repos/o/r/limited", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    spin(100); /* let the SET reach Redis */
    pttl = redis_fixture_int(&rf, "PTTL fb:gh:blocked:7");
    CHECK(pttl > 110 * 1000 && pttl <= 122 * 1000);
    spin(1100); /* past b's Redis re-check interval */
    int before = nseen;
    run1(b, "GET", "/repos/o/r/pulls/1", 7, &r);
    CHECK_INT_EQ(r.code, FB_ERR_RATE_LIMITED);
    CHECK(r.retry_at > fb_clock_now_ms(&clk) + 110 * 1000);
    CHECK_INT_EQ(nseen, before); /* b honoured a's block without an HTTP call */

    /* a Redis reply arriving after the client is gone is dropped safely */
    struct gh_client *c = gh_client_new(base, &o, &err);
    struct gh_request req = {.method = "GET", .path = "/repos/o/r", .installation_id = 11};
    CHECK_INT_EQ(send_req(c, &req, &r), 0);
    spin(0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    gh_client_free(c);
    CHECK_INT_EQ(r.done, 1);
    spin(100);

    gh_client_free(a);
    gh_client_free(b);
    fb_redis_free(rd);
    redis_fixture_stop(&rf);
}
