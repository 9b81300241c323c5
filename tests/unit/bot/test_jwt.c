/*
 * test_jwt.c - App JWTs: exact header and claims, iat/exp values, an RS256 signature that
 * verifies with the public half of a key generated at run time (PKCS#1 and PKCS#8 PEM),
 * base64url edge cases, and clear errors for missing or bad key files.
 */
#include "test.h"

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "jwt.h"

#include <unistd.h>

#include <jansson.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

static EVP_PKEY *test_key(void)
{
    static EVP_PKEY *k;
    if (k == NULL)
        k = EVP_RSA_gen(2048);
    return k;
}

/* Writes the key as PEM to a temp file: PKCS#1 ("RSA PRIVATE KEY") or PKCS#8. */
static void write_key(EVP_PKEY *k, bool pkcs1, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/fleetbot-test-jwt-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    BIO *bio = BIO_new_fp(f, BIO_NOCLOSE);
    if (pkcs1) {
        OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(k, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                                             "type-specific", NULL);
        OSSL_ENCODER_to_bio(ec, bio);
        OSSL_ENCODER_CTX_free(ec);
    } else {
        PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
    }
    BIO_free(bio);
    fclose(f);
}

static void write_text(const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/fleetbot-test-jwt-XXXXXX");
    int fd = mkstemp(path);
    ssize_t w = write(fd, text, strlen(text));
    (void)w;
    close(fd);
}

static bool file_contains(const char *path, const char *needle)
{
    char data[8192];
    FILE *f = fopen(path, "r");
    size_t n = fread(data, 1, sizeof(data) - 1, f);
    fclose(f);
    data[n] = '\0';
    return strstr(data, needle) != NULL;
}

/* Splits and checks one JWT completely; returns the number of problems. */
static int check_jwt(const char *jwt, EVP_PKEY *k, int64_t now_s, int64_t app_id)
{
    int bad = 0;
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    CHECK(d1 != NULL && d2 != NULL);
    if (!d1 || !d2)
        return 1;
    CHECK(strchr(d2 + 1, '.') == NULL);
    CHECK(strchr(jwt, '=') == NULL && strchr(jwt, '+') == NULL && strchr(jwt, '/') == NULL);
    struct buf h = BUF_INIT(4096), c = BUF_INIT(4096), s = BUF_INIT(4096);
    CHECK_INT_EQ(jwt_base64url_decode(jwt, (size_t)(d1 - jwt), &h), 0);
    CHECK_INT_EQ(jwt_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &c), 0);
    CHECK_INT_EQ(jwt_base64url_decode(d2 + 1, strlen(d2 + 1), &s), 0);
    CHECK_STR_EQ(buf_cstr(&h), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    char want[160];
    snprintf(want, sizeof(want), "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%lld\"}",
             (long long)(now_s - 60), (long long)(now_s + 540), (long long)app_id);
    CHECK_STR_EQ(buf_cstr(&c), want);
    json_error_t je;
    json_t *claims = json_loads(buf_cstr(&c), 0, &je);
    CHECK(claims != NULL);
    CHECK_INT_EQ(json_integer_value(json_object_get(claims, "exp")) -
                     json_integer_value(json_object_get(claims, "iat")),
                 600);
    json_decref(claims);
    CHECK_INT_EQ(s.len, 256); /* RSA-2048 */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(md, (const unsigned char *)s.data, s.len, (const unsigned char *)jwt,
                              (size_t)(d2 - jwt)) == 1;
    EVP_MD_CTX_free(md);
    CHECK(ok);
    if (!ok)
        bad++;
    buf_free(&h);
    buf_free(&c);
    buf_free(&s);
    return bad;
}

TEST(jwt_pkcs1_header_claims_signature)
{
    char path[64];
    write_key(test_key(), true, path, sizeof(path));
    CHECK(file_contains(path, "BEGIN RSA PRIVATE KEY"));
    struct fb_error err = {0};
    struct jwt_signer *s = jwt_signer_new_from_file(path, &err);
    CHECK(s != NULL);
    struct buf out = BUF_INIT(16384);
    CHECK_INT_EQ(jwt_sign_app(s, 123456, 1700000000, &out, &err), 0);
    CHECK_INT_EQ(check_jwt(buf_cstr(&out), test_key(), 1700000000, 123456), 0);
    /* a tampered claim no longer verifies */
    char *dot = strchr(out.data, '.');
    dot[2] = dot[2] == 'A' ? 'B' : 'A';
    const char *d2 = strrchr(out.data, '.');
    struct buf sig = BUF_INIT(4096);
    jwt_base64url_decode(d2 + 1, strlen(d2 + 1), &sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, test_key());
    CHECK(EVP_DigestVerify(md, (const unsigned char *)sig.data, sig.len,
                           (const unsigned char *)out.data, (size_t)(d2 - out.data)) != 1);
    EVP_MD_CTX_free(md);
    buf_free(&sig);
    buf_free(&out);
    jwt_signer_free(s);
    unlink(path);
}

TEST(jwt_pkcs8_key_loads)
{
    char path[64];
    write_key(test_key(), false, path, sizeof(path));
    CHECK(file_contains(path, "BEGIN PRIVATE KEY"));
    struct fb_error err = {0};
    struct jwt_signer *s = jwt_signer_new_from_file(path, &err);
    CHECK(s != NULL);
    struct buf out = BUF_INIT(16384);
    CHECK_INT_EQ(jwt_sign_app(s, 7, 1000000, &out, &err), 0);
    CHECK_INT_EQ(check_jwt(buf_cstr(&out), test_key(), 1000000, 7), 0);
    buf_free(&out);
    jwt_signer_free(s);
    jwt_signer_free(NULL);
    unlink(path);
}

TEST(jwt_bad_key_files)
{
    struct fb_error err = {0};
    CHECK(jwt_signer_new_from_file("/nonexistent/fleetbot/key.pem", &err) == NULL);
    CHECK_INT_EQ(err.code, FB_ERR_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "/nonexistent/fleetbot/key.pem");

    char path[64];
    write_text(
        "-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all\n-----END RSA PRIVATE KEY-----\n", path,
        sizeof(path));
    fb_error_clear(&err);
    CHECK(jwt_signer_new_from_file(path, &err) == NULL);
    CHECK_INT_EQ(err.code, FB_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "private key");
    unlink(path);

    write_text("", path, sizeof(path));
    fb_error_clear(&err);
    CHECK(jwt_signer_new_from_file(path, &err) == NULL);
    CHECK_INT_EQ(err.code, FB_ERR_INVALID);
    unlink(path);

    /* an EC key is a valid PEM but not what GitHub Apps use */
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    write_key(ec, false, path, sizeof(path));
    fb_error_clear(&err);
    CHECK(jwt_signer_new_from_file(path, &err) == NULL);
    CHECK_CONTAINS(err.msg, "RSA");
    EVP_PKEY_free(ec);
    unlink(path);
}

TEST(jwt_output_buffer_too_small)
{
    char path[64];
    write_key(test_key(), true, path, sizeof(path));
    struct fb_error err = {0};
    struct jwt_signer *s = jwt_signer_new_from_file(path, &err);
    struct buf out = BUF_INIT(64);
    CHECK_INT_EQ(jwt_sign_app(s, 1, 1000, &out, &err), FB_ERR_TOO_LARGE);
    CHECK_INT_EQ(out.len, 0);
    buf_free(&out);
    jwt_signer_free(s);
    unlink(path);
}

TEST(base64url_round_trip_and_errors)
{
    const unsigned char in[] = {0xfb, 0xff, 0xbf, 0x00, 0x01};
    for (size_t n = 0; n <= sizeof(in); n++) {
        struct buf e = BUF_INIT(64), d = BUF_INIT(64);
        CHECK_INT_EQ(jwt_base64url_encode(in, n, &e), 0);
        CHECK_INT_EQ(e.len, (n * 4 + 2) / 3);
        CHECK_INT_EQ(jwt_base64url_decode(buf_cstr(&e), e.len, &d), 0);
        CHECK_INT_EQ(d.len, n);
        CHECK(n == 0 || memcmp(d.data, in, n) == 0);
        buf_free(&e);
        buf_free(&d);
    }
    struct buf e = BUF_INIT(64);
    jwt_base64url_encode(in, 3, &e);
    CHECK_STR_EQ(buf_cstr(&e), "-_-_");
    buf_free(&e);
    struct buf d = BUF_INIT(64);
    CHECK_INT_EQ(jwt_base64url_decode("a+b/", 4, &d), FB_ERR_INVALID);
    CHECK_INT_EQ(jwt_base64url_decode("abcde", 5, &d), FB_ERR_INVALID);
    buf_free(&d);
}
