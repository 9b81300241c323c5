/*
 * test_policy_source.c - the contents API's base64 (wrapped at 60 columns with newlines):
 * decoded exactly, and malformed input refused. The loading itself is exercised end to
 * end by tests/integration/test_policy.py.
 */
#include "test.h"

#include "bot/buf.h"
#include "bot/err.h"
#include "bot/policy_source.h"

static void decodes(const char *in, const char *want)
{
    struct buf out = BUF_INIT(1024);
    CHECK_INT_EQ(policy_base64_decode(in, strlen(in), &out), 0);
    CHECK_INT_EQ(out.len, strlen(want));
    CHECK(out.len == strlen(want) && memcmp(out.data ? out.data : "", want, out.len) == 0);
    buf_free(&out);
}

TEST(wrapped_base64)
{
    decodes("dGVhbTogY29yZQo=\n", "team: core\n");
    decodes("dGVh\nbTog\r\nY29y\nZQo=", "team: core\n");
    decodes("", "");
    decodes("Pz8/Pw==", "????"); /* '/' and '+' of standard base64 */
    decodes("+/8=", "\xfb\xff");
}

TEST(malformed_base64)
{
    static const char *bad[] = {"dGVhb*==", "a", "dGVhbTogY29yZQo=!", "ZQ o="};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct buf out = BUF_INIT(1024);
        CHECK_INT_EQ(policy_base64_decode(bad[i], strlen(bad[i]), &out), FB_ERR_INVALID);
        buf_free(&out);
    }
    struct buf tiny = BUF_INIT(2);
    CHECK_INT_EQ(policy_base64_decode("dGVhbTogY29yZQo=", 16, &tiny), FB_ERR_INVALID);
    buf_free(&tiny);
}
