/*
 * test_webhook_request.c - the pure webhook validation: one case per status and per
 * malformed header, in the documented order. No network.
 */
#include "test.h"

#include "hmac.h"
#include "webhook_request.h"

static const char SECRET[] = "s3cret";
static const char JSON_BODY[] = "{\"action\":\"opened\",\"number\":1}";
static const char FORM_BODY[] = "payload=%7B%22action%22%3A%22opened%22%7D";

struct fixture {
    struct webhook_request req;
    struct webhook_secrets secrets;
    const char *secret_list[2];
    size_t lens[2];
    char sig[WEBHOOK_SIGNATURE_LEN + 1];
};

static void fixture_init(struct fixture *f, const char *body)
{
    memset(f, 0, sizeof(*f));
    f->secret_list[0] = SECRET;
    f->lens[0] = strlen(SECRET);
    f->secrets.secrets = f->secret_list;
    f->secrets.lens = f->lens;
    f->secrets.count = 1;
    webhook_signature_format(SECRET, strlen(SECRET), body, strlen(body), f->sig);
    f->req.method = "POST";
    f->req.path = "/webhook";
    f->req.content_type = "application/json";
    f->req.event = "pull_request";
    f->req.delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    f->req.signature = f->sig;
    f->req.body = body;
    f->req.body_len = strlen(body);
}

static struct webhook_verdict run(const struct fixture *f)
{
    struct webhook_verdict v;
    webhook_request_validate(&f->req, &f->secrets, &v);
    return v;
}

TEST(valid_json_is_202)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 202);
    CHECK_STR_EQ(v.event, "pull_request");
    CHECK_STR_EQ(v.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    CHECK_INT_EQ(v.content_kind, WEBHOOK_CONTENT_JSON);
    CHECK_STR_EQ(webhook_content_kind_name(v.content_kind), "json");
    CHECK(!v.is_ping);
    /* a query string is ignored */
    f.req.path = "/webhook?x=1";
    CHECK_INT_EQ(run(&f).http_status, 202);
}

TEST(valid_form_is_202)
{
    struct fixture f;
    fixture_init(&f, FORM_BODY);
    f.req.content_type = "application/x-www-form-urlencoded";
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 202);
    CHECK_INT_EQ(v.content_kind, WEBHOOK_CONTENT_FORM);
    CHECK_STR_EQ(webhook_content_kind_name(v.content_kind), "form");
}

TEST(ping_is_200_and_not_queued)
{
    struct fixture f;
    fixture_init(&f, "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}");
    f.req.event = "ping";
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 200);
    CHECK(v.is_ping);
    /* a ping is verified like anything else */
    f.req.signature = "sha256=0000000000000000000000000000000000000000000000000000000000000000";
    v = run(&f);
    CHECK_INT_EQ(v.http_status, 401);
    CHECK(!v.is_ping);
}

TEST(wrong_path_is_404_first)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    f.req.path = "/webhooks";
    f.req.method = "GET"; /* the path is checked before the method */
    CHECK_INT_EQ(run(&f).http_status, 404);
    f.req.path = "/";
    CHECK_INT_EQ(run(&f).http_status, 404);
    f.req.path = NULL;
    CHECK_INT_EQ(run(&f).http_status, 404);
    f.req.path = "/webhook/";
    CHECK_INT_EQ(run(&f).http_status, 404);
}

TEST(wrong_method_is_405)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    const char *methods[] = {"GET", "PUT", "HEAD", "DELETE", "post", ""};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        f.req.method = methods[i];
        struct webhook_verdict v = run(&f);
        CHECK_INT_EQ(v.http_status, 405);
        CHECK_CONTAINS(v.reason, "POST");
    }
    f.req.method = NULL;
    CHECK_INT_EQ(run(&f).http_status, 405);
}

TEST(missing_or_malformed_event_is_400)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    f.req.event = NULL;
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 400);
    CHECK_CONTAINS(v.reason, "X-GitHub-Event");
    const char *bad[] = {"",
                         "Pull_Request",
                         "pull request",
                         "pull-request",
                         "a\nb",
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f.req.event = bad[i];
        v = run(&f);
        CHECK_INT_EQ(v.http_status, 400);
        CHECK_STR_EQ(v.event, "");
    }
    /* exactly the maximum length is fine */
    char longest[WEBHOOK_EVENT_MAX + 1];
    memset(longest, 'a', WEBHOOK_EVENT_MAX);
    longest[WEBHOOK_EVENT_MAX] = '\0';
    f.req.event = longest;
    CHECK_INT_EQ(run(&f).http_status, 202);
}

TEST(missing_or_malformed_delivery_is_400)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    f.req.delivery = NULL;
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 400);
    CHECK_CONTAINS(v.reason, "X-GitHub-Delivery");
    CHECK_STR_EQ(v.event, "pull_request"); /* known by then, for the log line */
    const char *bad[] = {"",       " 72d3162e",    "72d3162e cc78", "id\r\nX-Evil: 1", "a\"b",
                         "{guid}", "fb:delivery*", "\x7f",          "caf\xc3\xa9",     "a/b",
                         "a=b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f.req.delivery = bad[i];
        v = run(&f);
        CHECK_INT_EQ(v.http_status, 400);
        CHECK_STR_EQ(v.delivery, "");
    }
    char longest[WEBHOOK_DELIVERY_MAX + 2];
    memset(longest, 'f', sizeof(longest));
    longest[WEBHOOK_DELIVERY_MAX] = '\0';
    f.req.delivery = longest;
    CHECK_INT_EQ(run(&f).http_status, 202);
    longest[WEBHOOK_DELIVERY_MAX] = 'f';
    longest[WEBHOOK_DELIVERY_MAX + 1] = '\0';
    CHECK_INT_EQ(run(&f).http_status, 400);
}

TEST(content_type_is_415)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    const char *bad[] = {NULL,
                         "",
                         "text/plain",
                         "application/jsonx",
                         "application/json; charset=latin1",
                         "application/json; nonsense",
                         "multipart/form-data; boundary=x",
                         "application/xml"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f.req.content_type = bad[i];
        CHECK_INT_EQ(run(&f).http_status, 415);
    }
    const char *good[] = {"application/json",
                          "Application/JSON",
                          "application/json; charset=utf-8",
                          "application/json;charset=UTF-8",
                          " application/json ; charset=\"utf-8\"",
                          "application/json;"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        f.req.content_type = good[i];
        CHECK_INT_EQ(run(&f).http_status, 202);
    }
    /* 415 comes before the signature check */
    f.req.content_type = "text/plain";
    f.req.signature = NULL;
    CHECK_INT_EQ(run(&f).http_status, 415);
}

TEST(signature_is_401)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    f.req.signature = NULL;
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 401);
    CHECK_CONTAINS(v.reason, "missing");
    f.req.signature = "sha256=nothex";
    CHECK_INT_EQ(run(&f).http_status, 401);
    /* signed with another secret */
    char other[WEBHOOK_SIGNATURE_LEN + 1];
    webhook_signature_format("other", 5, JSON_BODY, strlen(JSON_BODY), other);
    f.req.signature = other;
    v = run(&f);
    CHECK_INT_EQ(v.http_status, 401);
    CHECK_CONTAINS(v.reason, "does not match");
    /* ... which is fine while rotating */
    f.secret_list[1] = "other";
    f.lens[1] = 5;
    f.secrets.count = 2;
    CHECK_INT_EQ(run(&f).http_status, 202);
    /* no secrets configured: fail closed */
    fixture_init(&f, JSON_BODY);
    f.secrets.count = 0;
    CHECK_INT_EQ(run(&f).http_status, 401);
    webhook_request_validate(&f.req, NULL, &v);
    CHECK_INT_EQ(v.http_status, 401);
}

TEST(too_large_is_413)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    f.req.body_len = (size_t)WEBHOOK_BODY_MAX + 1; /* never read: checked before the HMAC */
    f.req.signature = NULL;
    CHECK_INT_EQ(run(&f).http_status, 413);
    /* exactly the cap is allowed (and then the signature decides) */
    char *big = calloc(1, WEBHOOK_BODY_MAX);
    memset(big, ' ', WEBHOOK_BODY_MAX);
    big[0] = '{';
    big[WEBHOOK_BODY_MAX - 1] = '}';
    char sig[WEBHOOK_SIGNATURE_LEN + 1];
    webhook_signature_format(SECRET, strlen(SECRET), big, WEBHOOK_BODY_MAX, sig);
    f.req.body = big;
    f.req.body_len = WEBHOOK_BODY_MAX;
    f.req.signature = sig;
    CHECK_INT_EQ(run(&f).http_status, 202);
    free(big);
}

TEST(empty_body_and_form_without_payload_are_400)
{
    struct fixture f;
    fixture_init(&f, "");
    struct webhook_verdict v = run(&f);
    CHECK_INT_EQ(v.http_status, 400);
    CHECK_CONTAINS(v.reason, "empty");
    fixture_init(&f, "data=%7B%7D");
    f.req.content_type = "application/x-www-form-urlencoded";
    v = run(&f);
    CHECK_INT_EQ(v.http_status, 400);
    CHECK_CONTAINS(v.reason, "payload");
    /* an unsigned body is 401 before anything about its content */
    f.req.signature = NULL;
    CHECK_INT_EQ(run(&f).http_status, 401);
}

TEST(reasons_are_one_line)
{
    struct fixture f;
    fixture_init(&f, JSON_BODY);
    const char *events[] = {NULL, "ping", "pull_request"};
    for (size_t i = 0; i < 3; i++) {
        f.req.event = events[i];
        struct webhook_verdict v = run(&f);
        CHECK(v.reason[0] != '\0');
        CHECK(strchr(v.reason, '\n') == NULL);
    }
}
