/*
 * jwt.c - RS256 App JWTs with OpenSSL EVP. The key is parsed from PEM once; every buffer
 * that held PEM text is wiped. Signing allocates nothing that outlives the call.
 */
#include "jwt.h"

#include "alloc.h"
#include "buf.h"
#include "err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define JWT_PEM_MAX (64 * 1024)

struct jwt_signer {
    EVP_PKEY *pkey;
};

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int jwt_base64url_encode(const unsigned char *in, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        char q[4] = {B64URL[(v >> 18) & 63], B64URL[(v >> 12) & 63], B64URL[(v >> 6) & 63],
                     B64URL[v & 63]};
        size_t k = left >= 3 ? 4 : left + 1;
        if (buf_append(out, q, k) != 0)
            return FB_ERR_TOO_LARGE;
    }
    return 0;
}

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '-')
        return 62;
    if (ch == '_')
        return 63;
    return -1;
}

int jwt_base64url_decode(const char *in, size_t n, struct buf *out)
{
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return FB_ERR_INVALID;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return FB_ERR_INVALID;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (buf_appendc(out, (char)((acc >> bits) & 0xff)) != 0)
                return FB_ERR_TOO_LARGE;
        }
    }
    return 0;
}

static int no_passphrase(char *b, int size, int rwflag, void *u)
{
    (void)b;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* encrypted keys are refused rather than prompting on a terminal */
}

struct jwt_signer *jwt_signer_new_from_pem(const char *pem, size_t len, struct fb_error *err)
{
    if (len == 0 || len > JWT_PEM_MAX) {
        fb_error_set(err, FB_ERR_INVALID, "private key PEM is empty or over %d bytes", JWT_PEM_MAX);
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        fb_error_set(err, FB_ERR_INTERNAL, "BIO_new_mem_buf failed");
        return NULL;
    }
    /* PEM_read_bio_PrivateKey accepts PKCS#1 and PKCS#8 alike */
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (pkey == NULL) {
        unsigned long e = ERR_get_error();
        char why[160];
        ERR_error_string_n(e, why, sizeof(why));
        ERR_clear_error();
        fb_error_set(err, FB_ERR_INVALID, "private key is not a PEM private key (%s)", why);
        return NULL;
    }
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < 2048) {
        EVP_PKEY_free(pkey);
        fb_error_set(err, FB_ERR_INVALID, "private key must be RSA of at least 2048 bits");
        return NULL;
    }
    struct jwt_signer *s = xcalloc(1, sizeof(*s));
    s->pkey = pkey;
    return s;
}

struct jwt_signer *jwt_signer_new_from_file(const char *path, struct fb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fb_error_set(err, errno == ENOENT ? FB_ERR_NOT_FOUND : FB_ERR_INVALID,
                     "cannot open private key file %s: %s", path, strerror(errno));
        return NULL;
    }
    char *pem = xmalloc(JWT_PEM_MAX + 1);
    size_t len = fread(pem, 1, JWT_PEM_MAX + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    struct jwt_signer *s = NULL;
    if (failed)
        fb_error_set(err, FB_ERR_INVALID, "cannot read private key file %s", path);
    else if (len > JWT_PEM_MAX)
        fb_error_set(err, FB_ERR_TOO_LARGE, "private key file %s is over %d bytes", path,
                     JWT_PEM_MAX);
    else if ((s = jwt_signer_new_from_pem(pem, len, err)) == NULL)
        fb_error_set(err, FB_ERR_INVALID, "cannot load private key file %s", path);
    secure_wipe(pem, JWT_PEM_MAX + 1);
    free(pem);
    return s;
}

void jwt_signer_free(struct jwt_signer *s)
{
    if (s == NULL)
        return;
    EVP_PKEY_free(s->pkey);
    free(s);
}

int jwt_sign_app(const struct jwt_signer *s, int64_t app_id, int64_t now_s, struct buf *out,
                 struct fb_error *err)
{
    static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    char claims[128];
    int n = snprintf(claims, sizeof(claims),
                     "{\"iat\":%" PRId64 ",\"exp\":%" PRId64 ",\"iss\":\"%" PRId64 "\"}",
                     now_s - JWT_IAT_BACKDATE_S, now_s + JWT_LIFETIME_S, app_id);
    if (n < 0 || (size_t)n >= sizeof(claims))
        return fb_error_set(err, FB_ERR_INTERNAL, "jwt claims do not fit");
    size_t start = out->len;
    int rc = 0;
    unsigned char *sig = NULL;
    EVP_MD_CTX *md = NULL;
    if (jwt_base64url_encode((const unsigned char *)header, sizeof(header) - 1, out) != 0 ||
        buf_appendc(out, '.') != 0 ||
        jwt_base64url_encode((const unsigned char *)claims, (size_t)n, out) != 0) {
        rc = fb_error_set(err, FB_ERR_TOO_LARGE, "jwt does not fit its buffer");
        goto out;
    }
    size_t siglen = (size_t)EVP_PKEY_get_size(s->pkey);
    sig = xmalloc(siglen);
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->pkey) != 1 ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out->data + start,
                       out->len - start) != 1) {
        ERR_clear_error();
        rc = fb_error_set(err, FB_ERR_INTERNAL, "jwt signing failed");
        goto out;
    }
    if (buf_appendc(out, '.') != 0 || jwt_base64url_encode(sig, siglen, out) != 0)
        rc = fb_error_set(err, FB_ERR_TOO_LARGE, "jwt does not fit its buffer");
out:
    if (rc != 0 && out->data) {
        secure_wipe(out->data + start, out->len - start);
        out->len = start;
        out->data[start] = '\0';
    }
    EVP_MD_CTX_free(md);
    free(sig);
    return rc;
}
