/*
 * test_hmac.c - X-Hub-Signature-256 verification: GitHub's published vector, wrong and
 * rotated secrets, and every malformed header shape. No network.
 */
#include "test.h"

#include "err.h"
#include "hmac.h"

static const char SECRET[] = "It's a Secret to Everybody";
static const char BODY[] = "Hello, World!";
static const char GOOD[] =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

static int verify1(const char *secret, const char *body, const char *header)
{
    const char *secrets[] = {secret};
    size_t lens[] = {strlen(secret)};
    return webhook_signature_verify(secrets, lens, 1, body, strlen(body), header);
}

TEST(github_published_vector)
{
    CHECK_INT_EQ(verify1(SECRET, BODY, GOOD), 0);
    char out[WEBHOOK_SIGNATURE_LEN + 1];
    webhook_signature_format(SECRET, strlen(SECRET), BODY, strlen(BODY), out);
    CHECK_STR_EQ(out, GOOD);
}

TEST(wrong_secret_or_body_is_denied)
{
    CHECK_INT_EQ(verify1("It's a Secret to Everybody!", BODY, GOOD), FB_ERR_DENIED);
    CHECK_INT_EQ(verify1(SECRET, "Hello, World?", GOOD), FB_ERR_DENIED);
    CHECK_INT_EQ(verify1(SECRET, "Hello, World! ", GOOD), FB_ERR_DENIED);
}

TEST(rotation_accepts_either_secret)
{
    const char *secrets[] = {"the-new-secret", SECRET};
    size_t lens[] = {strlen(secrets[0]), strlen(secrets[1])};
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 2, BODY, strlen(BODY), GOOD), 0);
    const char *swapped[] = {SECRET, "the-new-secret"};
    size_t slens[] = {strlen(swapped[0]), strlen(swapped[1])};
    CHECK_INT_EQ(webhook_signature_verify(swapped, slens, 2, BODY, strlen(BODY), GOOD), 0);
    const char *neither[] = {"a", "b"};
    size_t nlens[] = {1, 1};
    CHECK_INT_EQ(webhook_signature_verify(neither, nlens, 2, BODY, strlen(BODY), GOOD),
                 FB_ERR_DENIED);
    /* only the first `count` secrets are tried */
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 1, BODY, strlen(BODY), GOOD),
                 FB_ERR_DENIED);
}

TEST(no_secret_fails_closed)
{
    const char *secrets[] = {""};
    size_t lens[] = {0};
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 0, BODY, strlen(BODY), GOOD),
                 FB_ERR_DENIED);
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 1, BODY, strlen(BODY), GOOD),
                 FB_ERR_DENIED);
    const char *nulls[] = {NULL};
    CHECK_INT_EQ(webhook_signature_verify(nulls, lens, 1, BODY, strlen(BODY), GOOD), FB_ERR_DENIED);
}

TEST(header_shapes)
{
    CHECK_INT_EQ(verify1(SECRET, BODY, NULL), FB_ERR_DENIED);
    CHECK_INT_EQ(verify1(SECRET, BODY, ""), FB_ERR_DENIED);
    /* truncated by one digit, and one digit too long */
    char h[128];
    snprintf(h, sizeof(h), "%.*s", (int)strlen(GOOD) - 1, GOOD);
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
    snprintf(h, sizeof(h), "%s0", GOOD);
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
    /* upper-case hex is the same MAC */
    snprintf(h, sizeof(h),
             "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17");
    CHECK_INT_EQ(verify1(SECRET, BODY, h), 0);
    /* no prefix, another prefix, upper-case prefix, legacy sha1 */
    CHECK_INT_EQ(verify1(SECRET, BODY, GOOD + 7), FB_ERR_DENIED);
    snprintf(h, sizeof(h), "sha512=%s", GOOD + 7);
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
    snprintf(h, sizeof(h), "SHA256=%s", GOOD + 7);
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
    CHECK_INT_EQ(verify1(SECRET, BODY, "sha1=0123456789abcdef0123456789abcdef01234567"),
                 FB_ERR_DENIED);
    /* right length, a non-hex digit */
    snprintf(h, sizeof(h), "%s", GOOD);
    h[20] = 'g';
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
    /* surrounding whitespace is not trimmed */
    snprintf(h, sizeof(h), " %s", GOOD);
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
    /* one flipped bit in the MAC */
    snprintf(h, sizeof(h), "%s", GOOD);
    h[70] = '6';
    CHECK_INT_EQ(verify1(SECRET, BODY, h), FB_ERR_DENIED);
}

TEST(empty_and_binary_bodies)
{
    char sig[WEBHOOK_SIGNATURE_LEN + 1];
    const char *secrets[] = {SECRET};
    size_t lens[] = {strlen(SECRET)};
    webhook_signature_format(SECRET, strlen(SECRET), NULL, 0, sig);
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 1, NULL, 0, sig), 0);
    const unsigned char bin[] = {0, 1, 2, 0, 255, '\n'};
    webhook_signature_format(SECRET, strlen(SECRET), bin, sizeof(bin), sig);
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 1, bin, sizeof(bin), sig), 0);
    CHECK_INT_EQ(webhook_signature_verify(secrets, lens, 1, bin, 3, sig), FB_ERR_DENIED);
}
