/* Unit tests for worker_decode_body(): JSON and form bodies, and every malformed case
 * that must end in the dead-letter stream with a clear error. */
#include "test.h"

#include "bot/err.h"
#include "bot/worker.h"

#include <string.h>

static json_t *decode(const char *kind, const char *body, struct fb_error *err)
{
    fb_error_clear(err);
    return worker_decode_body(kind, body, strlen(body), err);
}

TEST(json_body)
{
    struct fb_error err;
    json_t *v = decode("json", "{\"action\":\"opened\"}", &err);
    CHECK(v != NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(v, "action")), "opened");
    json_decref(v);
}

TEST(form_body)
{
    struct fb_error err;
    json_t *v = decode("form", "payload=%7B%22action%22%3A%22a+b%22%7D", &err);
    CHECK(v != NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(v, "action")), "a b");
    json_decref(v);
}

TEST(malformed_bodies)
{
    struct fb_error err;
    CHECK(decode("json", "{\"action\":", &err) == NULL);
    CHECK_INT_EQ(err.code, FB_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "malformed JSON at line 1");
    CHECK(decode("json", "[1,2]", &err) == NULL);
    CHECK_CONTAINS(err.msg, "not a JSON object");
    CHECK(decode("json", "", &err) == NULL);
    CHECK(decode("form", "action=opened", &err) == NULL);
    CHECK_CONTAINS(err.msg, "no payload=");
    CHECK(decode("form", "payload=%7", &err) == NULL);
    CHECK_CONTAINS(err.msg, "escape");
    CHECK(decode("form", "payload=", &err) == NULL);
    CHECK(decode("json", "{\"a\":1} trailing", &err) == NULL);
}
