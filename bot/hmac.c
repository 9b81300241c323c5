/*
 * hmac.c - X-Hub-Signature-256 verification with OpenSSL's one-shot HMAC().
 * The header's hex is decoded to 32 bytes first, so upper- and lower-case digits compare
 * alike and the secret-dependent comparison is CRYPTO_memcmp over fixed-size MACs.
 */
#include "hmac.h"

#include "err.h"
#include "parse.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAC_LEN 32

/* The 64 hex digits after the prefix into 32 bytes; -1 when any digit is not hex. */
static int decode_mac(const char *hex, unsigned char out[MAC_LEN])
{
    for (size_t i = 0; i < MAC_LEN; i++) {
        int hi = hex_digit_value(hex[2 * i]), lo = hex_digit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int compute_mac(const char *secret, size_t secret_len, const void *body, size_t len,
                       unsigned char out[MAC_LEN])
{
    static const unsigned char empty[1];
    unsigned int out_len = 0;
    if (secret_len > (size_t)INT32_MAX)
        return -1;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, body ? body : empty, len, out, &out_len) ==
            NULL ||
        out_len != MAC_LEN)
        return -1;
    return 0;
}

int webhook_signature_verify(const char *const secrets[], const size_t lens[], int count,
                             const void *body, size_t len, const char *header_value)
{
    unsigned char want[MAC_LEN], got[MAC_LEN];
    const size_t prefix_len = sizeof(WEBHOOK_SIGNATURE_PREFIX) - 1;
    int rc = FB_ERR_DENIED;

    if (header_value == NULL || strlen(header_value) != WEBHOOK_SIGNATURE_LEN ||
        memcmp(header_value, WEBHOOK_SIGNATURE_PREFIX, prefix_len) != 0 ||
        decode_mac(header_value + prefix_len, want) != 0)
        return FB_ERR_DENIED;
    if (count > WEBHOOK_SECRETS_MAX)
        count = WEBHOOK_SECRETS_MAX;
    for (int i = 0; i < count; i++) {
        if (secrets[i] == NULL || lens[i] == 0)
            continue;
        if (compute_mac(secrets[i], lens[i], body, len, got) != 0)
            continue;
        if (CRYPTO_memcmp(got, want, MAC_LEN) == 0)
            rc = 0;
    }
    OPENSSL_cleanse(got, sizeof(got));
    return rc;
}

void webhook_signature_format(const char *secret, size_t secret_len, const void *body, size_t len,
                              char out[WEBHOOK_SIGNATURE_LEN + 1])
{
    unsigned char mac[MAC_LEN];
    const size_t prefix_len = sizeof(WEBHOOK_SIGNATURE_PREFIX) - 1;
    memcpy(out, WEBHOOK_SIGNATURE_PREFIX, prefix_len);
    if (compute_mac(secret, secret_len, body, len, mac) != 0)
        memset(mac, 0, sizeof(mac));
    hex_encode(mac, MAC_LEN, out + prefix_len);
}
