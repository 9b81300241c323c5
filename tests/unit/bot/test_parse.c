/* Unit tests for bot/parse.c, bot/buf.c and bot/timeutil.c: bounded parsing basics. */
#include "test.h"

#include "bot/buf.h"
#include "bot/err.h"
#include "bot/parse.h"
#include "bot/timeutil.h"

TEST(parse_i64_accepts_range)
{
    int64_t v = 0;
    CHECK_INT_EQ(parse_i64_cstr("42", 0, 100, &v), 0);
    CHECK_INT_EQ(v, 42);
    CHECK_INT_EQ(parse_i64_cstr("-9223372036854775808", INT64_MIN, 0, &v), 0);
    CHECK(v == INT64_MIN);
    CHECK_INT_EQ(parse_i64_cstr("9223372036854775807", 0, INT64_MAX, &v), 0);
    CHECK(v == INT64_MAX);
}

TEST(parse_i64_rejects_malformed)
{
    int64_t v = 7;
    CHECK_INT_EQ(parse_i64_cstr("", 0, 100, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(parse_i64_cstr("-", -5, 100, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(parse_i64_cstr("12a", 0, 100, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(parse_i64_cstr(" 12", 0, 100, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(parse_i64_cstr("101", 0, 100, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(parse_i64_cstr("9223372036854775808", 0, INT64_MAX, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(parse_i64_cstr("99999999999999999999", 0, INT64_MAX, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(v, 7);
}

TEST(buf_respects_limit)
{
    struct buf b = BUF_INIT(8);
    CHECK_INT_EQ(buf_appends(&b, "12345678"), 0);
    CHECK_INT_EQ(buf_appendc(&b, '9'), FB_ERR_TOO_LARGE);
    CHECK_STR_EQ(buf_cstr(&b), "12345678");
    buf_reset(&b);
    CHECK_INT_EQ(buf_printf(&b, "%d-%s", 12, "ab"), 0);
    CHECK_STR_EQ(buf_cstr(&b), "12-ab");
    CHECK_INT_EQ(buf_printf(&b, "%s", "too long"), FB_ERR_TOO_LARGE);
    CHECK_STR_EQ(buf_cstr(&b), "12-ab");
    buf_free(&b);
    struct buf e = BUF_INIT(4);
    CHECK_STR_EQ(buf_cstr(&e), "");
}

TEST(buf_json_escape)
{
    struct buf b = BUF_INIT(100);
    CHECK_INT_EQ(buf_append_json_escaped(&b, "a\"b\\c\nd\x01"), 0);
    CHECK_STR_EQ(buf_cstr(&b), "a\\\"b\\\\c\\nd\\u0001");
    buf_free(&b);
}

TEST(url_decode_cases)
{
    char out[64];
    long n = url_decode("a+b%20c%7B", 10, out, sizeof(out));
    CHECK_INT_EQ(n, 6);
    CHECK(memcmp(out, "a b c{", 6) == 0);
    CHECK_INT_EQ(url_decode("%2", 2, out, sizeof(out)), -1);
    CHECK_INT_EQ(url_decode("%zz", 3, out, sizeof(out)), -1);
    CHECK_INT_EQ(url_decode("abc", 3, out, 2), -1);
}

TEST(rfc3339_round_trip)
{
    int64_t ms = 0;
    CHECK_INT_EQ(time_parse_rfc3339("2026-11-20T16:50:00+01:00", &ms), 0);
    char out[32];
    time_format_rfc3339(ms, out, sizeof(out));
    CHECK_STR_EQ(out, "2026-11-20T15:50:00Z");
    CHECK_INT_EQ(time_parse_rfc3339("2026-11-20T15:50:00.250Z", &ms), 0);
    CHECK_INT_EQ(ms % 1000, 250);
    CHECK_INT_EQ(time_parse_rfc3339("2026-02-29T00:00:00Z", &ms), FB_ERR_INVALID);
    CHECK_INT_EQ(time_parse_rfc3339("2026-11-20 15:50:00", &ms), FB_ERR_INVALID);
    CHECK_INT_EQ(time_parse_rfc3339("2026-13-20T15:50:00Z", &ms), FB_ERR_INVALID);
    CHECK_INT_EQ(time_parse_rfc3339("garbage", &ms), FB_ERR_INVALID);
}

TEST(url_encoding_of_labels_and_branches)
{
    char out[64];
    url_encode_component("fleetbot/hold", out, sizeof(out));
    CHECK_STR_EQ(out, "fleetbot%2Fhold");
    url_encode_path("release/2.x #1", out, sizeof(out));
    CHECK_STR_EQ(out, "release/2.x%20%231");
    url_encode_component("é~", out, sizeof(out));
    CHECK_STR_EQ(out, "%C3%A9~");
    char tiny[6];
    url_encode_component("a/b/c", tiny, sizeof(tiny)); /* stops rather than overflow */
    CHECK_STR_EQ(tiny, "a%2F");
}
